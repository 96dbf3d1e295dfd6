"""Realistic Chinese names: persons, enterprises, shops, organisations (pure, fast).

Everything is drawn through one ``random.random`` callable so a seed fixes the output. Weighted
draws use precomputed cumulative tables and ``bisect``; nothing allocates per call beyond the
resulting string.
"""

from __future__ import annotations

from bisect import bisect
from itertools import accumulate

__all__ = ["Weighted", "NameGen", "INDUSTRIES", "SHOPS", "SECTORS"]


class Weighted:
    """Weighted choice among `items` with `pick(r)` for r in [0, 1)."""

    __slots__ = ("items", "cum", "total")

    def __init__(self, pairs):
        pairs = list(pairs)
        self.items = tuple(p[0] for p in pairs)
        self.cum = tuple(accumulate(float(p[1]) for p in pairs))
        self.total = self.cum[-1]

    def pick(self, r: float):
        return self.items[bisect(self.cum, r * self.total)]


def _uniq(text: str) -> tuple[str, ...]:
    return tuple(dict.fromkeys(text.split() if " " in text else text))


_SURNAMES = (
    "王 7.8 李 7.4 张 7.0 刘 5.6 陈 4.4 杨 3.4 赵 2.6 黄 1.9 周 2.0 吴 1.8 徐 1.6 孙 1.9 胡 1.4 朱 1.3 高 1.4 "
    "林 0.9 何 1.0 郭 1.9 马 1.6 罗 0.8 梁 0.9 宋 1.0 郑 0.9 谢 0.6 韩 0.8 唐 0.6 冯 0.8 于 0.6 董 0.7 程 0.6 "
    "曹 0.6 袁 0.6 邓 0.4 许 0.6 傅 0.3 沈 0.4 曾 0.3 彭 0.4 吕 0.5 苏 0.5 卢 0.4 蒋 0.3 蔡 0.3 贾 0.6 丁 0.5 "
    "魏 0.5 薛 0.4 叶 0.3 阎 0.3 余 0.3 潘 0.3 杜 0.4 戴 0.2 夏 0.3 钟 0.2 汪 0.2 田 0.4 任 0.4 姜 0.3 范 0.4 "
    "方 0.3 石 0.3 姚 0.3 谭 0.2 廖 0.1 邹 0.1 熊 0.2 金 0.2 陆 0.2 郝 0.3 孔 0.2 白 0.3 崔 0.3 康 0.3 毛 0.2 "
    "邱 0.1 秦 0.3 江 0.2 史 0.3 顾 0.1 侯 0.3 邵 0.2 孟 0.3 龙 0.1 万 0.2 段 0.2 雷 0.2 钱 0.1 汤 0.1 尹 0.2 "
    "易 0.1 常 0.3 武 0.3 乔 0.3 贺 0.2 龚 0.1 文 0.1 牛 0.3 申 0.2 司 0.1 翟 0.2 闫 0.3 聂 0.2 耿 0.2 焦 0.2 "
    "岳 0.2 娄 0.1 楚 0.05 靳 0.15 祁 0.1 樊 0.2 陶 0.1 齐 0.15 路 0.15 付 0.3 王 0.0 "
    "欧阳 0.02 司马 0.015 上官 0.01 诸葛 0.006 皇甫 0.01 端木 0.004"
).split()
SURNAMES = Weighted(zip(_SURNAMES[::2], _SURNAMES[1::2]))

_MALE1 = _uniq("建国志文海东俊晓振家子浩宏德永春庆红学卫明天一思嘉新金玉长立世永保宝鹏伟军")
_MALE2 = _uniq(
    "伟强磊军勇杰涛明超辉刚鹏华飞斌浩宇峰亮林波东凯晨阳洋博帅龙鑫振豪轩然宏德新生利庆兵平成全"
    "福贵光学顺民胜健毅彬旭昊航宁铭锐睿泽瑞祥克荣山松江河森中原兴安远诚恒钢忠义军杰坤"
)
_FEMALE1 = _uniq("秀桂玉淑丽美晓雪雅佳欣梦诗思可雨紫若一心子文春红海艳慧静婉嘉")
_FEMALE2 = _uniq(
    "芳娜敏静丽艳娟霞英玲燕萍红梅琳婷雪颖倩莉琴慧佳欣怡婧蕾瑶璐晶洁丹悦梦雅雨涵馨诗珍凤兰"
    "桂华美月晴妍彤萌露薇莹蓉媛欢宁菲佩茜冰然雯琪"
)
_OLD_MALE = _uniq(
    "建国 建华 国强 国庆 卫东 卫国 红军 志强 德明 富贵 长林 保国 振华 金山 玉林 建军 新民 胜利 "
    "解放 建设 援朝 国栋 宝山 铁柱 满仓 留柱 根生"
)
_OLD_FEMALE = _uniq(
    "秀英 桂兰 玉兰 秀兰 桂英 凤英 玉梅 淑珍 秀珍 春梅 红霞 丽华 素芬 美兰 爱华 玉芝 秀云 桂芳 翠兰 金凤"
)
_NEW_MALE = _uniq("子轩 浩然 宇轩 思远 俊杰 浩宇 明轩 子墨 奕辰 梓豪 一鸣 子豪 皓轩 宇航 博文 晨阳 天佑 梓睿")
_NEW_FEMALE = _uniq("梓涵 欣怡 一诺 佳怡 雨萱 梓萱 诗涵 子涵 可欣 雨桐 艺涵 语嫣 思琪 欣妍 若曦 梦瑶 雨欣 佳琪")

# 字号 syllables: characters companies actually like to use, and ready-made two-character words.
_ZIHAO_CHARS = _uniq(
    "宇华鑫盛泰隆恒达兴瑞博航德信通源丰祥和嘉睿智创远宏金银天中原豫龙凤佳美安康正新锦绿海星辰晨明昊晟"
    "煜昌荣富贵汇聚众合力诚凯旭辉耀腾飞翔鹏浩瀚洋润泽澳涵泓清沐森林杉松柏桐楠翠青蓝紫乐欣悦怡雅逸尚品优"
    "卓越冠领先锋峰岳嵩岩磊石坤乾元亨利贞东方南北西夏九州万千百一三六八仁义礼善道永久长伟宸宁静欧亚英环"
    "球科联网云数易迅捷速驰骋虎豹鹰鹤骏麒麟凰鸿雁春秋冬阳光亮月日雨霖霆风河江湖川溪泉潭湾港城都邦国家园"
    "苑庭阁轩居坊台亭桥途程景观图文艺书琴诗韵声音彩馨香芳兰梅菊竹荷莲桂枫柳槐梓樟禾谷稻麦农牧耕工匠巧精"
    "准实卫民生福寿喜庆吉昇晋豪钰铭锐钧铂钜铠铸铭坤垚淼焱森犇鼎晶弘毅睿哲朗乐航帆舟船港湾驿站桦"
)
_ZIHAO_WORDS = _uniq(
    "中原 黄河 嵩山 商都 绿城 郑东 豫信 华夏 金港 天明 正弘 康桥 鑫苑 永威 天地 宏达 大河 中州 龙湖 少林 轩辕 "
    "黄帝 二七 金水 郑航 豫通 九鼎 宇华 中联 豫能 豫安 豫丰 华豫 中豫 豫华 豫泰 豫龙 豫鑫 国润 国基 汇丰 同德 "
    "万通 万达 百盛 千禧 新天地 天瑞 中天 华润 恒泰 正商 昌建 升龙 东方 西湖 南海 北辰 博雅 智联 数云 云图 "
    "鼎盛 瑞丰 和谐 祥和 福瑞 吉祥 如意 长城 长江 泰山 华山 衡山 嵩岳 伏羲 神农 仓颉 商鼎 郑韩 管鲍 子产 "
    "列子 杜甫 白居易 郑风 豫风 中博 中科 中鼎 中信 中正 中和 中泰 中恒 中兴 中瑞 中驰 中航 中铁 中建 中基"
)

SECTORS = (
    "tech",
    "trade",
    "logistics",
    "construction",
    "manufacturing",
    "food",
    "hotel",
    "pharma",
    "culture",
    "education",
    "service",
    "realestate",
    "auto",
    "agriculture",
    "environment",
)

# 行业表述, sector, weight.
INDUSTRIES = Weighted(
    (w, float(x))
    for w, x in (
        (("科技", "tech"), 8),
        (("网络科技", "tech"), 4),
        (("信息技术", "tech"), 4),
        (("电子科技", "tech"), 2),
        (("智能科技", "tech"), 2),
        (("生物科技", "pharma"), 1.5),
        (("软件", "tech"), 1),
        (("数据科技", "tech"), 1),
        (("商贸", "trade"), 8),
        (("贸易", "trade"), 3),
        (("实业", "trade"), 3),
        (("供应链管理", "logistics"), 1.5),
        (("物流", "logistics"), 3),
        (("国际货运代理", "logistics"), 0.8),
        (("建筑工程", "construction"), 5),
        (("建设工程", "construction"), 2),
        (("装饰工程", "construction"), 3),
        (("市政工程", "construction"), 1),
        (("劳务", "construction"), 1.5),
        (("园林绿化工程", "construction"), 1),
        (("建材", "trade"), 1.5),
        (("机械设备", "manufacturing"), 2),
        (("电子", "manufacturing"), 1.5),
        (("耐火材料", "manufacturing"), 0.8),
        (("新材料", "manufacturing"), 1),
        (("化工", "manufacturing"), 0.8),
        (("食品", "food"), 1.5),
        (("餐饮管理", "food"), 4),
        (("餐饮服务", "food"), 1.5),
        (("酒店管理", "hotel"), 1.5),
        (("医药", "pharma"), 1.5),
        (("大药房", "pharma"), 1),
        (("医疗器械", "pharma"), 1.2),
        (("健康管理", "service"), 1),
        (("文化传媒", "culture"), 3),
        (("广告", "culture"), 1.5),
        (("影视文化", "culture"), 0.7),
        (("教育咨询", "education"), 1.5),
        (("教育科技", "education"), 1.5),
        (("企业管理咨询", "service"), 2.5),
        (("人力资源服务", "service"), 1),
        (("物业服务", "realestate"), 1.5),
        (("置业", "realestate"), 1.5),
        (("房地产开发", "realestate"), 1),
        (("汽车销售服务", "auto"), 1),
        (("汽车租赁", "auto"), 0.7),
        (("农业科技", "agriculture"), 1.5),
        (("农业开发", "agriculture"), 0.8),
        (("环保科技", "environment"), 1.2),
        (("新能源科技", "environment"), 1),
        (("服饰", "trade"), 0.8),
        (("旅游", "hotel"), 0.7),
        (("家政服务", "service"), 0.8),
        (("保洁服务", "service"), 0.5),
        (("安防科技", "tech"), 0.5),
        (("检测技术", "service"), 0.6),
        (("电力工程", "construction"), 0.6),
        (("钢结构工程", "construction"), 0.4),
        (("仓储服务", "logistics"), 0.5),
        (("再生资源回收", "environment"), 0.4),
    )
)

# 个体工商户 shop kinds: (店名后缀, sector, weight).
SHOPS = Weighted(
    (w, float(x))
    for w, x in (
        (("烩面馆", "food"), 4),
        (("胡辣汤店", "food"), 3),
        (("羊肉汤馆", "food"), 2),
        (("拉面馆", "food"), 2),
        (("包子铺", "food"), 1.5),
        (("饺子馆", "food"), 1.5),
        (("烧烤店", "food"), 2),
        (("火锅店", "food"), 1.5),
        (("小吃店", "food"), 2),
        (("面馆", "food"), 2),
        (("卤肉店", "food"), 1),
        (("凉皮店", "food"), 1),
        (("蒸饺馆", "food"), 0.6),
        (("蛋糕店", "food"), 1),
        (("奶茶店", "food"), 1.5),
        (("快餐店", "food"), 1.5),
        (("家常菜馆", "food"), 2),
        (("便利店", "trade"), 4),
        (("五金店", "trade"), 2),
        (("超市", "trade"), 3),
        (("副食店", "trade"), 1.5),
        (("服装店", "trade"), 2.5),
        (("烟酒店", "trade"), 2),
        (("水果店", "trade"), 2),
        (("手机店", "trade"), 1.2),
        (("电动车行", "trade"), 1.2),
        (("茶叶店", "trade"), 0.8),
        (("建材经营部", "trade"), 1.5),
        (("文具店", "trade"), 0.6),
        (("日用品店", "trade"), 1),
        (("鞋店", "trade"), 0.8),
        (("花店", "trade"), 0.6),
        (("眼镜店", "trade"), 0.5),
        (("母婴用品店", "trade"), 0.6),
        (("粮油店", "trade"), 1),
        (("理发店", "service"), 2.5),
        (("美容店", "service"), 1.5),
        (("美甲店", "service"), 0.7),
        (("洗衣店", "service"), 0.8),
        (("图文广告部", "culture"), 1),
        (("摄影工作室", "culture"), 0.5),
        (("家电维修部", "service"), 0.8),
        (("开锁服务部", "service"), 0.3),
        (("足疗店", "service"), 0.6),
        (("汽车修理部", "auto"), 1.5),
        (("汽车美容店", "auto"), 0.8),
        (("轮胎店", "auto"), 0.4),
        (("洗车行", "auto"), 0.6),
        (("宾馆", "hotel"), 0.8),
        (("旅社", "hotel"), 0.4),
        (("民宿", "hotel"), 0.3),
    )
)

_FORMS = Weighted(
    (
        ("郑州{z}{i}有限公司", 34),
        ("河南{z}{i}有限公司", 16),
        ("河南省{z}{i}有限公司", 3),
        ("郑州市{z}{i}有限公司", 7),
        ("{z}（郑州）{i}有限公司", 3),
        ("河南{z}{i}股份有限公司", 2),
        ("郑州{z}{i}股份有限公司", 1),
        ("郑州{z}{i}有限责任公司", 4),
        ("{d}{z}{i}有限公司", 5),
        ("郑州{z}{i}有限公司{s}分公司", 3),
        ("河南{z}{i}股份有限公司{s}分公司", 1),
        ("郑州{z}{i}中心（有限合伙）", 1.5),
        ("河南{z}{i}合伙企业（有限合伙）", 0.5),
        ("{z}{i}集团有限公司", 0.6),
        ("河南{z}集团有限公司", 0.8),
        ("{z}股份有限公司", 0.4),
        ("郑州{z}{i}工作室", 0.6),
        ("河南{z}{i}有限公司郑州分公司", 1.2),
    )
)
_CROPS = _uniq("蔬菜 大蒜 西瓜 草莓 葡萄 小麦 花生 食用菌 中药材 苗木 养殖 红枣 大枣 石榴 樱桃")
_ASSOC = _uniq(
    "餐饮 商贸 物流 建筑业 装饰 软件 电子商务 家政服务 物业管理 汽车维修 美容美发 个体劳动者 "
    "私营企业 茶叶 酒业 书法 摄影 足球 围棋 志愿者 养老服务 慈善 青年创业 女企业家"
)
_SOCIAL_FORMS = Weighted(
    (
        (("郑州市{a}协会", "51"), 3),
        (("{d}{a}协会", "51"), 3),
        (("郑州市{a}行业协会", "51"), 2),
        (("河南省{z}商会", "51"), 0.6),
        (("{d}{z}社会工作服务中心", "52"), 2),
        (("{d}{z}幼儿园", "52"), 3),
        (("{d}{z}培训学校", "52"), 2),
        (("{d}{z}养老院", "52"), 1.2),
        (("{d}{z}康复中心", "52"), 0.6),
        (("郑州{z}公益基金会", "53"), 0.3),
        (("{d}{z}社区服务中心", "52"), 1),
    )
)
_PUBLIC_DOMAINS = _uniq(
    "社区卫生服务中心 不动产登记中心 政务服务中心 农业技术推广站 城市照明管理处 园林绿化中心 "
    "公共资源交易中心 就业创业服务中心 老干部活动中心 文化馆 图书馆 疾病预防控制中心 "
    "环境卫生管理所 市政设施管理处 水利工程管理站 房屋征收服务中心 机关事务服务中心"
)


_URBAN = frozenset({"jsq", "eqq", "zyq", "gcq", "hjq", "sjq"})


class NameGen:
    """Name generators bound to one ``random.random``."""

    def __init__(self, rnd):
        self.rnd = rnd

    def _p(self, seq):
        return seq[int(self.rnd() * len(seq))]

    def person(self, male: bool | None = None, birth_year: int = 1975) -> str:
        rnd = self.rnd
        if male is None:
            male = rnd() < 0.55
        surname = SURNAMES.pick(rnd())
        r = rnd()
        if birth_year < 1970 and r < 0.3:
            return surname + self._p(_OLD_MALE if male else _OLD_FEMALE)
        if birth_year >= 1993 and r < 0.3:
            return surname + self._p(_NEW_MALE if male else _NEW_FEMALE)
        if r > 0.86 and len(surname) == 1:  # single-character given name: 王伟, 李娜
            return surname + self._p(_MALE2 if male else _FEMALE2)
        if male:
            return surname + self._p(_MALE1) + self._p(_MALE2)
        second = self._p(_FEMALE2)
        if rnd() < 0.04:
            return surname + second + second  # 婷婷, 晶晶
        return surname + self._p(_FEMALE1) + second

    def zihao(self) -> str:
        rnd = self.rnd
        r = rnd()
        if r < 0.22:
            return self._p(_ZIHAO_WORDS)
        if r < 0.30:
            return self._p(_ZIHAO_CHARS) + self._p(_ZIHAO_CHARS) + self._p(_ZIHAO_CHARS)
        return self._p(_ZIHAO_CHARS) + self._p(_ZIHAO_CHARS)

    def enterprise(self, district) -> tuple[str, str, str, str]:
        """(name, sector, industry word, 登记管理部门+机构类别 code '91'/'93')."""
        rnd = self.rnd
        if district.key in ("zmx", "xzs", "xys", "dfs", "xms", "gys") and rnd() < 0.06:
            crop = self._p(_CROPS)
            return f"{district.shop_prefix}{self.zihao()}{crop}种植专业合作社", "agriculture", crop, "93"
        industry, sector = INDUSTRIES.pick(rnd())
        if industry == "耐火材料" and rnd() < 0.7:
            prefix = "巩义市" if rnd() < 0.5 else "新密市"
            return f"{prefix}{self.zihao()}耐火材料有限公司", sector, industry, "91"
        form = _FORMS.pick(rnd())
        if sector in ("manufacturing", "food") and rnd() < 0.05:
            form = "郑州{z}{i}厂" if rnd() < 0.6 else "{d}{z}{i}厂"
        if industry == "大药房":
            form = "郑州{z}{i}有限公司" if rnd() < 0.6 else "河南{z}{i}连锁有限公司"
        name = form.format(z=self.zihao(), i=industry, d=district.shop_prefix, s=district.short)
        return name, sector, industry, "91"

    def shop(self, district, owner: str) -> tuple[str, str, str]:
        """(个体工商户 name, sector, shop kind)."""
        rnd = self.rnd
        kind, sector = SHOPS.pick(rnd())
        # 金水区张记烩面馆 / 郑州市金水区张记烩面馆; zones and county-level cities keep their full prefix.
        prefix = district.name if district.key in _URBAN and rnd() < 0.45 else district.shop_prefix
        r = rnd()
        surname = owner[:1]
        if sector == "food" and r < 0.35:
            middle = f"{surname}记" if rnd() < 0.6 else f"老{surname}家"
        elif r < 0.5:
            middle = owner
        else:
            middle = self.zihao()
        return f"{prefix}{middle}{kind}", sector, kind

    def social_org(self, district) -> tuple[str, str]:
        """(社会组织 name, 登记管理部门+机构类别 code 51/52/53)."""
        form, code = _SOCIAL_FORMS.pick(self.rnd())
        return form.format(a=self._p(_ASSOC), z=self.zihao(), d=district.shop_prefix), code

    def public_institution(self, district) -> str:
        rnd = self.rnd
        r = rnd()
        if r < 0.3:
            return (
                f"{district.shop_prefix}{self._p(district.roads)}小学"
                if rnd() < 0.7
                else f"{district.shop_prefix}第{int(rnd() * 40) + 1}小学"
            )
        if r < 0.45:
            return f"郑州市第{int(rnd() * 120) + 1}中学" if rnd() < 0.5 else f"{district.shop_prefix}{self.zihao()}中学"
        if r < 0.55:
            return f"{district.shop_prefix}{self._p(district.roads)}街道社区卫生服务中心"
        if r < 0.62:
            return f"郑州市{self.zihao()}研究院" if rnd() < 0.5 else f"{district.shop_prefix}{self.zihao()}幼儿园"
        return f"{district.shop_prefix}{self._p(_PUBLIC_DOMAINS)}"
