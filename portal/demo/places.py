"""Zhengzhou geography and the reporting agencies of the demo data set (pure data).

Region codes are GB/T 2260 codes of 郑州市 (4101xx); the functional zones (郑州航空港经济综合实验区
410171, 高新区 410172, 经开区 410173) have their own codes, 郑东新区 registers under the city (410100).
"""

from __future__ import annotations

__all__ = ["DISTRICTS", "District", "CITY_DEPTS", "Dept", "agency_rows", "ID_REGIONS"]


class District:
    __slots__ = (
        "key",
        "name",
        "code",
        "addr",
        "gov",
        "gov_code",
        "court",
        "court_code",
        "abbr",
        "shop_prefix",
        "weight",
        "roads",
        "short",
    )

    def __init__(
        self, key, name, code, addr, gov, gov_code, court, court_code, abbr, shop_prefix, weight, roads, short
    ):
        self.key, self.name, self.code, self.addr = key, name, code, addr
        self.gov, self.gov_code, self.court, self.court_code = gov, gov_code, court, court_code
        self.abbr, self.shop_prefix, self.weight, self.roads, self.short = abbr, shop_prefix, weight, roads, short

    def dept_name(self, dept_key: str, city_name: str) -> str:
        """The district-level counterpart of a city department, e.g. 郑州市金水区市场监督管理局."""
        suffix = DISTRICT_DEPT_SUFFIX.get(dept_key)
        if suffix is None:
            return city_name
        if dept_key == "sthj":
            return f"郑州市生态环境局{self.short}分局"
        if dept_key == "sw":
            return f"国家税务总局{self.shop_prefix}税务局"
        if dept_key == "ga" and self.shop_prefix.startswith("郑州"):
            return f"郑州市公安局{self.short}分局"
        return f"{self.shop_prefix}{suffix}"


def _d(key, name, code, addr, gov, court, court_code, abbr, prefix, weight, roads, short=None):
    return District(
        key,
        name,
        code,
        addr,
        gov,
        f"ZZ-{key.upper()}",
        court,
        court_code,
        abbr,
        prefix,
        weight,
        tuple(roads.split()),
        short or name.rstrip("区县市"),
    )


DISTRICTS: tuple[District, ...] = (
    _d(
        "jsq",
        "金水区",
        "410105",
        "郑州市金水区",
        "郑州市金水区人民政府",
        "郑州市金水区人民法院",
        "豫0105",
        "郑金",
        "郑州市金水区",
        16,
        "花园路 经三路 农业路 纬五路 文化路 东风路 北三环 金水路 经五路 丰产路 黄河路 红专路 "
        "丰庆路 中州大道 政七街 纬四路 南阳路 国基路",
        "金水",
    ),
    _d(
        "eqq",
        "二七区",
        "410103",
        "郑州市二七区",
        "郑州市二七区人民政府",
        "郑州市二七区人民法院",
        "豫0103",
        "郑二",
        "郑州市二七区",
        8,
        "大学路 航海中路 京广路 陇海中路 嵩山南路 长江路 淮河路 兴华街 政通路 大学南路 马寨镇工业园区 解放路 德化街",
        "二七",
    ),
    _d(
        "zyq",
        "中原区",
        "410102",
        "郑州市中原区",
        "郑州市中原区人民政府",
        "郑州市中原区人民法院",
        "豫0102",
        "郑中",
        "郑州市中原区",
        8,
        "建设路 中原路 桐柏路 秦岭路 伏牛路 棉纺路 华山路 工人路 陇海西路 化工路 须水河路 航海西路 冉屯路",
        "中原",
    ),
    _d(
        "gcq",
        "管城回族区",
        "410104",
        "郑州市管城回族区",
        "郑州市管城回族区人民政府",
        "郑州市管城回族区人民法院",
        "豫0104",
        "郑管",
        "郑州市管城回族区",
        6,
        "紫荆山路 城东路 商城路 东大街 航海东路 南三环 城南路 陇海东路 中州大道 货站街 二里岗南街",
        "管城",
    ),
    _d(
        "hjq",
        "惠济区",
        "410108",
        "郑州市惠济区",
        "郑州市惠济区人民政府",
        "郑州市惠济区人民法院",
        "豫0108",
        "郑惠",
        "郑州市惠济区",
        4,
        "天河路 开元路 长兴路 江山路 英才街 清华园路 文化北路 北四环 迎宾路",
        "惠济",
    ),
    _d(
        "sjq",
        "上街区",
        "410106",
        "郑州市上街区",
        "郑州市上街区人民政府",
        "郑州市上街区人民法院",
        "豫0106",
        "郑上",
        "郑州市上街区",
        1.5,
        "中心路 济源路 登封路 新安西路 工业路 汝南路",
        "上街",
    ),
    _d(
        "zdxq",
        "郑东新区",
        "410100",
        "郑州市郑东新区",
        "郑州市郑东新区管理委员会",
        "郑州市金水区人民法院",
        "豫0105",
        "郑东",
        "郑州市郑东新区",
        10,
        "商务内环路 商务外环路 金水东路 农业东路 龙湖中环路 心怡路 商鼎路 众意西路 "
        "如意东路 九如路 平安大道 七里河南路 博学路",
        "郑东",
    ),
    _d(
        "gxq",
        "高新区",
        "410172",
        "郑州高新技术产业开发区",
        "郑州高新技术产业开发区管理委员会",
        "郑州高新技术产业开发区人民法院",
        "豫0191",
        "郑开",
        "郑州高新技术产业开发区",
        7,
        "科学大道 长椿路 西四环 莲花街 翠竹街 梧桐街 冬青街 瑞达路 红松路 枫杨街 金梭路 雪松路",
        "高新",
    ),
    _d(
        "jkq",
        "经开区",
        "410173",
        "郑州经济技术开发区",
        "郑州经济技术开发区管理委员会",
        "郑州经济技术开发区人民法院",
        "豫0192",
        "郑经",
        "郑州经济技术开发区",
        6,
        "航海东路 第八大街 经北一路 经南八路 第三大街 第十五大街 朝凤路 金岱路 经开第二十二大街",
        "经开",
    ),
    _d(
        "hkg",
        "航空港区",
        "410171",
        "郑州航空港经济综合实验区",
        "郑州航空港经济综合实验区管理委员会",
        "郑州航空港经济综合实验区人民法院",
        "豫0193",
        "郑港",
        "郑州航空港经济综合实验区",
        6,
        "新港大道 郑港四街 迎宾大道 四港联动大道 云港路 华夏大道 雁鸣路 新港八路 凌空街",
        "航空港",
    ),
    _d(
        "zmx",
        "中牟县",
        "410122",
        "河南省郑州市中牟县",
        "中牟县人民政府",
        "中牟县人民法院",
        "豫0122",
        "牟",
        "中牟县",
        5,
        "青年路 商都大道 官渡大街 建设路 广惠街 万胜路 牟州大道",
        "中牟",
    ),
    _d(
        "gys",
        "巩义市",
        "410181",
        "河南省巩义市",
        "巩义市人民政府",
        "巩义市人民法院",
        "豫0181",
        "巩",
        "巩义市",
        4,
        "新兴路 杜甫路 嵩山路 桐本路 光明路 人民路 永安路 紫荆路",
        "巩义",
    ),
    _d(
        "xys",
        "荥阳市",
        "410182",
        "河南省荥阳市",
        "荥阳市人民政府",
        "荥阳市人民法院",
        "豫0182",
        "荥",
        "荥阳市",
        4,
        "索河路 京城路 郑上路 演武路 桃源路 繁荣街 禹锡路",
        "荥阳",
    ),
    _d(
        "xms",
        "新密市",
        "410183",
        "河南省新密市",
        "新密市人民政府",
        "新密市人民法院",
        "豫0183",
        "密",
        "新密市",
        3.5,
        "青屏大街 开阳路 西大街 溱水路 嵩山大道 长乐路",
        "新密",
    ),
    _d(
        "xzs",
        "新郑市",
        "410184",
        "河南省新郑市",
        "新郑市人民政府",
        "新郑市人民法院",
        "豫0184",
        "新郑",
        "新郑市",
        6,
        "轩辕路 中华路 新华路 文化路 人民路 黄水路 新建路 梨园路",
        "新郑",
    ),
    _d(
        "dfs",
        "登封市",
        "410185",
        "河南省登封市",
        "登封市人民政府",
        "登封市人民法院",
        "豫0185",
        "登",
        "登封市",
        3,
        "中岳大街 少林大道 嵩阳路 大禹路 崇高路 书院河路",
        "登封",
    ),
)

# 户籍 region codes found in residents' ID numbers (the functional zones issue none of their own).
ID_REGIONS: tuple[tuple[str, float], ...] = (
    ("410105", 16),
    ("410103", 10),
    ("410102", 10),
    ("410104", 7),
    ("410108", 4),
    ("410106", 2),
    ("410122", 8),
    ("410181", 8),
    ("410182", 7),
    ("410183", 6),
    ("410184", 8),
    ("410185", 6),
    ("410101", 3),
)

# Suffix of the district-level counterpart (prefixed by 郑州市金水区 / 巩义市 …); absent = city only.
DISTRICT_DEPT_SUFFIX = {
    "scjg": "市场监督管理局",
    "sthj": "",
    "sw": "",
    "rs": "人力资源和社会保障局",
    "yj": "应急管理局",
    "jt": "交通运输局",
    "cg": "城市管理局",
    "wj": "卫生健康委员会",
    "jy": "教育局",
    "wl": "文化广电和旅游局",
    "mz": "民政局",
    "cj": "住房和城乡建设局",
    "zrzy": "自然资源局",
    "ga": "公安局",
}


class Dept:
    __slots__ = ("key", "name", "code", "abbr", "org")

    def __init__(self, key, name, code, abbr, org):
        self.key, self.name, self.code, self.abbr, self.org = key, name, code, abbr, org


# City-level providers: key, name, agency code, document abbreviation, organisation-code stem.
CITY_DEPTS: tuple[Dept, ...] = tuple(
    Dept(*row)
    for row in (
        ("scjg", "郑州市市场监督管理局", "ZZ-SCJGJ", "郑市监", "41700101"),
        ("sthj", "郑州市生态环境局", "ZZ-STHJJ", "郑环", "41700102"),
        ("sw", "国家税务总局郑州市税务局", "ZZ-SWJ", "郑税", "41700103"),
        ("rs", "郑州市人力资源和社会保障局", "ZZ-RSJ", "郑人社", "41700104"),
        ("fy", "郑州市中级人民法院", "ZZ-ZYFY", "豫01", "41700105"),
        ("fg", "郑州市住房保障和房地产管理局", "ZZ-FGJ", "郑房", "41700106"),
        ("fgw", "郑州市发展和改革委员会", "ZZ-FGW", "郑发改", "41700107"),
        ("yj", "郑州市应急管理局", "ZZ-YJJ", "郑应急", "41700108"),
        ("jt", "郑州市交通运输局", "ZZ-JTJ", "郑交", "41700109"),
        ("cg", "郑州市城市管理局", "ZZ-CGJ", "郑城管", "41700110"),
        ("wj", "郑州市卫生健康委员会", "ZZ-WJW", "郑卫", "41700111"),
        ("jy", "郑州市教育局", "ZZ-JYJ", "郑教", "41700112"),
        ("ga", "郑州市公安局", "ZZ-GAJ", "郑公", "41700113"),
        ("zrzy", "郑州市自然资源和规划局", "ZZ-ZRZYJ", "郑自然资源", "41700114"),
        ("wl", "郑州市文化广电和旅游局", "ZZ-WGLJ", "郑文广旅", "41700115"),
        ("mz", "郑州市民政局", "ZZ-MZJ", "郑民", "41700116"),
        ("cj", "郑州市城乡建设局", "ZZ-CJJ", "郑建", "41700117"),
        ("cz", "郑州市财政局", "ZZ-CZJ", "郑财", "41700118"),
        ("bb", "中共郑州市委机构编制委员会办公室", "ZZ-BB", "郑编", "41700119"),
        ("gjj", "郑州住房公积金管理中心", "ZZ-GJJ", "郑公积金", "41700120"),
        ("sl", "郑州市水利局", "ZZ-SLJ", "郑水", "41700121"),
    )
)


def _org_code(stem8: str) -> str:
    """A 9-character 组织机构代码 (GB 11714): 8 characters plus its MOD-11 check character."""
    weights = (3, 7, 9, 10, 5, 8, 4, 2)
    values = [int(c) if c.isdigit() else ord(c) - 55 for c in stem8]
    check = 11 - sum(v * w for v, w in zip(values, weights)) % 11
    return stem8 + ("X" if check == 10 else "0" if check == 11 else str(check))


def agency_rows() -> list[tuple[str, str, str]]:
    """(code, name, uscc) of every demo agency: city departments, then district governments.

    机关 USCCs start with 11 (机构编制部门, 机关); 郑州住房公积金管理中心 is a 事业单位 (12).
    """
    from portal.lib.uscc import make

    rows = []
    for dept in CITY_DEPTS:
        kind = "12" if dept.key == "gjj" else "11"
        rows.append((dept.code, dept.name, make(f"{kind}410100{_org_code(dept.org)}")))
    for i, d in enumerate(DISTRICTS):
        rows.append((d.gov_code, d.gov, make(f"11{d.code}{_org_code(f'7{d.code[2:]}0{i:02d}')}")))
    return rows
