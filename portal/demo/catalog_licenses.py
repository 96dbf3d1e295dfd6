"""行政许可 templates (双公示): licence, 审批类别, content, validity and certificate number (pure data).

``content`` and ``number`` are lambdas ``(g, s, day) -> str``; ``years`` is the validity (None =
长期有效); ``project`` optionally names a 项目 other than the licence itself.
"""

from __future__ import annotations

__all__ = ["LICENSES"]

BIZ = (
    "tech trade logistics construction manufacturing food hotel pharma culture education service realestate "
    "auto agriculture environment"
)


def L(dept, who, sectors, weight, name, approval, content, years, number, project=None):
    return {
        "dept": dept,
        "who": who,
        "sectors": sectors,
        "weight": weight,
        "name": name,
        "approval": approval,
        "content": content,
        "years": years,
        "number": number,
        "project": project,
    }


_FOOD_SCOPE = (
    "预包装食品销售（含冷藏冷冻食品）",
    "散装食品销售（不含散装熟食）",
    "热食类食品制售",
    "冷食类食品制售",
    "糕点类食品制售（不含裱花蛋糕）",
    "自制饮品制售（不含自酿酒）",
    "保健食品销售",
    "特殊医学用途配方食品销售",
)
_SC_SCOPE = ("糕点", "速冻食品", "饮料", "方便食品", "肉制品", "豆制品", "调味品", "粮食加工品")
_EQUIP = ("乘客电梯", "载货电梯", "自动扶梯", "承压蒸汽锅炉", "固定式压力容器", "场（厂）内专用机动车辆")
_POLLUTER = (
    "金属制品业",
    "汽车修理与维护",
    "印刷和记录媒介复制业",
    "非金属矿物制品业",
    "食品制造业",
    "化学原料和化学制品制造业",
)


def _two(g, pool):
    a = g.p(pool)
    b = g.p(pool)
    return a if a == b else f"{a}；{b}"


# fmt: off
LICENSES = [
    L("scjg", "L", "food hotel", 8, "食品经营许可证", "普通",
      lambda g, s, d: f"经营项目：{_two(g, _FOOD_SCOPE)}；经营场所：{s.addr}", 5,
      lambda g, s, d: f"JY{g.p('12')}{s.dist.code}{g.digits(7)}",
    ),
    L("scjg", "L", "food manufacturing", 1.5, "食品生产许可证", "普通",
      lambda g, s, d: f"食品类别：{_two(g, _SC_SCOPE)}；生产地址：{s.addr}", 5,
      lambda g, s, d: f"SC{g.n(101, 131)}{s.dist.code}{g.digits(5)}",
    ),
    L("scjg", "L", "pharma", 4, "药品经营许可证", "普通", lambda g, s, d: (
      "经营范围：中药饮片、中成药、化学药制剂、抗生素制剂、生化药品、生物制品（除疫苗）；"
      f"经营方式：{g.p(('零售', '零售（连锁）', '批发'))}"), 5,
      lambda g, s, d: f"豫{g.p(('AA', 'AB', 'DA'))}{g.digits(7)}",
    ),
    L("scjg", "L", "manufacturing construction hotel realestate service", 3, "特种设备使用登记", "登记",
      lambda g, s, d: f"设备类别：{g.p(_EQUIP)}；数量：{g.n(1, 12)}台；使用地点：{s.addr}", None,
      lambda g, s, d: f"{g.p(('梯', '锅', '容', '车'))}11豫A{g.digits(5)}（{g.y(d) % 100:02d}）",
    ),
    L("scjg", "L", BIZ, 3.5, "市场主体变更登记", "登记", lambda g, s, d: (
      f"变更事项：{g.p(('经营范围', '住所', '注册资本', '法定代表人', '名称', '股东'))}；核准日期：{g.cn(d)}"), None,
      lambda g, s, d: s.code,
    ),
    L("scjg", "L", "service tech manufacturing", 0.8, "检验检测机构资质认定", "认可", lambda g, s, d: (
      f"检验检测能力范围：{g.p(('建筑材料', '环境监测', '食品', '机动车安全技术', '电线电缆'))}"
      f"等{g.n(20, 300)}项参数"), 6, lambda g, s, d: f"{g.y(d) % 100:02d}1605{g.digits(6)}",
    ),
    L("sthj", "L", "manufacturing environment auto pharma food", 4, "排污许可证", "普通", lambda g, s, d: (
      f"行业类别：{g.p(_POLLUTER)}；主要污染物类别：{g.p(('废气', '废水', '废气、废水'))}；生产经营场所：{s.addr}"), 5,
      lambda g, s, d: f"{s.code}{g.n(1, 3):03d}{g.p('VPQU')}",
    ),
    L("sthj", "L", "construction realestate manufacturing environment", 2.5, "建设项目环境影响报告表审批", "普通",
      lambda g, s, d: (f"同意该项目按照环境影响报告表所列性质、规模、地点和环境保护措施进行建设，项目总投资"
      f"{g.n(100, 50000)}万元，其中环保投资{g.n(5, 800)}万元"), None,
      lambda g, s, d: f"{g.dept_abbr}审〔{g.y(d)}〕{g.n(1, 400)}号",
      lambda g, s, d: f"{g.zihao()}{g.p(('年产5000吨', '新建', '扩建', '技术改造', '智能制造产业园'))}项目",
    ),
    L("jt", "L", "logistics auto", 5, "道路运输经营许可证", "普通", lambda g, s, d: (
      f"经营范围：{g.p(('道路普通货物运输', '道路普通货物运输；货物专用运输（集装箱）', '道路旅客运输', '机动车维修'))}"
      ), 4, lambda g, s, d: f"豫交运管许可郑字{s.dist.code}{g.digits(6)}号",
    ),
    L("cj", "L", "construction realestate", 5, "建筑工程施工许可证", "普通", lambda g, s, d: (
      f"建设规模：{g.n(3000, 300000)}平方米；合同价格：{g.n(500, 90000)}万元；合同工期："
      f"{g.n(180, 1200)}天；建设地址：{s.dist.addr}{g.p(s.dist.roads)}"), None,
      lambda g, s, d: f"{s.dist.code}{g.iso(d).replace('-', '')}{g.digits(4)}", lambda g, s, d: (
      f"{g.zihao()}{g.p(('花园', '府', '产业园', '商务中心', '安置房', '学校'))}项目"
      f"（{g.p(('一期', '二期', '三期', '一标段'))}）"),
    ),
    L("cj", "L", "construction", 3, "建筑业企业资质（施工总承包三级）", "认可",
      lambda g, s, d: f"资质类别及等级：{g.p(('建筑工程', '市政公用工程', '机电工程'))}施工总承包三级", 5,
      lambda g, s, d: f"D341{g.digits(6)}",
    ),
    L("cj", "L", "construction", 2, "安全生产许可证（建筑施工）", "普通", lambda g, s, d: "许可范围：建筑施工", 3,
      lambda g, s, d: f"（豫）JZ安许证字〔{g.y(d)}〕{g.digits(6)}",
    ),
    L("fg", "L", "realestate", 4, "商品房预售许可证", "核准",
      lambda g, s, d: f"预售楼栋：{g.n(1, 20)}号楼；预售面积：{g.n(8000, 60000)}平方米；预售套数：{g.n(60, 500)}套",
      None, lambda g, s, d: f"郑房预售字第{g.y(d)}{g.digits(4)}号",
      lambda g, s, d: f"{g.zihao()}{g.p(('府', '花园', '公馆', '华庭', '悦府', '城'))}",
    ),
    L("fg", "L", "realestate service", 1.5, "房地产经纪机构备案", "其他",
      lambda g, s, d: f"备案范围：房屋买卖、租赁居间；门店地址：{s.addr}", 3,
      lambda g, s, d: f"郑房经备字〔{g.y(d)}〕{g.digits(4)}号",
    ),
    L("wj", "L", "pharma service", 3, "医疗机构执业许可证", "普通", lambda g, s, d: (
      f"诊疗科目：{g.p(('内科', '口腔科', '中医科', '医疗美容科', '预防保健科'))}；"
      f"{g.p(('外科', '妇产科', '儿科', '医学检验科'))}"), 5,
      lambda g, s, d: f"PDY{g.digits(5)}{s.dist.code}{g.digits(5)}",
    ),
    L("wj", "L", "hotel service", 4, "公共场所卫生许可证", "普通",
      lambda g, s, d: f"许可项目：{g.p(('住宿场所', '美容美发场所', '沐浴场所', '游泳场所', '候车室'))}", 4,
      lambda g, s, d: f"{g.dept_abbr}公字〔{g.y(d)}〕第{g.digits(4)}号",
    ),
    L("wl", "L", "culture hotel service", 2, "网络文化经营许可证", "普通",
      lambda g, s, d: f"经营范围：{g.p(('利用信息网络经营音乐娱乐产品、演出剧（节）目', '网络表演', '动漫产品'))}", 3,
      lambda g, s, d: f"豫网文〔{g.y(d)}〕{g.digits(4)}-{g.n(100, 999)}号",
    ),
    L("wl", "L", "hotel", 1.5, "旅行社业务经营许可证", "普通", lambda g, s, d: "经营范围：境内旅游业务、入境旅游业务",
      None, lambda g, s, d: f"L-HEN-{g.digits(5)}",
    ),
    L("jy", "L", "education social", 3, "民办学校办学许可证", "普通", lambda g, s, d: (
      f"办学内容：{g.p(('学前教育', '艺术培训', '体育培训', '科技培训', '职业技能培训'))}；办学地址：{s.addr}"), 5,
      lambda g, s, d: f"教民1{s.dist.code}{g.digits(9)}号",
    ),
    L("rs", "L", "service", 2, "人力资源服务许可证", "普通",
      lambda g, s, d: "服务范围：职业介绍、人才供求信息的收集整理发布、人力资源管理咨询", 5,
      lambda g, s, d: f"{s.dist.code}{g.y(d)}{g.digits(4)}",
    ),
    L("rs", "L", "service construction", 1.5, "劳务派遣经营许可证", "普通", lambda g, s, d: "许可经营事项：劳务派遣",
      3, lambda g, s, d: f"豫劳派{s.dist.code}{g.y(d)}{g.digits(4)}号",
    ),
    L("cg", "L", "culture trade food", 1.5, "城市户外广告设施设置许可", "普通", lambda g, s, d: (
      f"设置地点：{s.dist.addr}{g.p(s.dist.roads)}；设施形式：{g.p(('门头招牌', '墙体广告', '单立柱广告'))}"), 3,
      lambda g, s, d: f"{g.dept_abbr}广许〔{g.y(d)}〕{g.digits(4)}号",
    ),
    L("cg", "L", "environment realestate", 0.5, "燃气经营许可证", "特许",
      lambda g, s, d: f"经营类别：{g.p(('管道燃气', '瓶装液化石油气', '汽车加气站'))}；经营区域：{s.dist.name}", 3,
      lambda g, s, d: f"豫{g.y(d)}{g.digits(6)}G",
    ),
    L("cg", "L", "environment service logistics", 0.5, "城市生活垃圾经营性收集、运输服务许可", "特许",
      lambda g, s, d: f"服务区域：{s.dist.name}；车辆{g.n(5, 60)}台", 3,
      lambda g, s, d: f"{g.dept_abbr}垃运许〔{g.y(d)}〕{g.digits(3)}号",
    ),
    L("yj", "L", "manufacturing trade environment", 1.5, "危险化学品经营许可证", "普通", lambda g, s, d: (
      f"许可范围：{g.p(('汽油、柴油', '甲醇、乙醇', '油漆、稀释剂', '液氧、液氮'))}（不带储存设施经营）"), 3,
      lambda g, s, d: f"豫郑危化经字〔{g.y(d)}〕{g.digits(6)}",
    ),
    L("sl", "L", "agriculture manufacturing food hotel", 1, "取水许可", "普通",
      lambda g, s, d: f"取水方式：{g.p(('地下水', '地表水'))}；年取水量：{g.n(1, 80)}万立方米", 5,
      lambda g, s, d: f"取水豫郑字〔{g.y(d)}〕第{g.digits(4)}号",
    ),
    L("zrzy", "L", "realestate construction manufacturing", 1.5, "建设工程规划许可证", "普通",
      lambda g, s, d: f"建设规模：{g.n(3000, 200000)}平方米；建设位置：{s.dist.addr}{g.p(s.dist.roads)}", None,
      lambda g, s, d: f"建字第{s.dist.code}{g.y(d)}{g.digits(5)}号",
      lambda g, s, d: f"{g.zihao()}{g.p(('综合楼', '住宅小区', '厂房', '物流园'))}项目",
    ),
    L("sw", "L", BIZ, 3, "增值税专用发票最高开票限额审批", "普通",
      lambda g, s, d: f"最高开票限额：{g.p(('十万元', '一百万元', '一万元'))}；每月最高领用数量：{g.n(25, 200)}份",
      None, lambda g, s, d: f"{g.dept_abbr}许〔{g.y(d)}〕{g.digits(5)}号",
    ),
    L("mz", "L", "social", 6, "社会组织变更登记", "登记",
      lambda g, s, d: f"变更事项：{g.p(('法定代表人', '住所', '业务范围', '注册资金'))}", None, lambda g, s, d: s.code,
    ),
    L("bb", "L", "public", 6, "事业单位法人变更登记", "登记",
      lambda g, s, d: f"变更事项：{g.p(('法定代表人', '住所', '宗旨和业务范围', '开办资金'))}", None,
      lambda g, s, d: s.code,
    ),
    # --- natural persons -------------------------------------------------------------------
    L("wj", "N", "person", 3, "医师执业注册", "认可", lambda g, s, d: (
      f"执业类别：{g.p(('临床', '中医', '口腔'))}；"
      f"执业范围：{g.p(('内科专业', '外科专业', '全科医学专业', '儿科专业'))}；"
      f"执业地点：{s.dist.name}"), None, lambda g, s, d: f"1104101{g.digits(8)}",
    ),
    L("jy", "N", "person", 3, "教师资格认定", "认可", lambda g, s, d: (
      f"资格种类：{g.p(('小学', '初级中学', '高级中学', '幼儿园'))}教师资格；任教学科："
      f"{g.p(('语文', '数学', '英语', '物理', '音乐', '体育'))}"), None, lambda g, s, d: f"{g.y(d)}41{g.digits(11)}",
    ),
    L("jt", "N", "person", 4, "道路运输从业人员从业资格证", "认可", lambda g, s, d: (
      f"从业资格类别：{g.p(('经营性道路货物运输驾驶员', '经营性道路旅客运输驾驶员', '危险货物运输驾驶员'))}"), 6,
      lambda g, s, d: f"{s.code[:4]}{g.digits(10)}",
    ),
    L("jt", "N", "person", 4, "网络预约出租汽车驾驶员证", "认可",
      lambda g, s, d: "从业资格类别：网络预约出租汽车驾驶员", 6, lambda g, s, d: f"豫郑网约{g.digits(8)}",
    ),
    L("scjg", "N", "person", 1.5, "执业药师注册", "认可",
      lambda g, s, d: f"执业类别：{g.p(('药学', '中药学'))}；执业范围：药品零售；执业地区：{s.dist.name}", 5,
      lambda g, s, d: f"{g.p(('', 'ZY'))}41{g.digits(8)}",
    ),
    L("cj", "N", "person", 1.5, "二级建造师执业注册", "认可",
      lambda g, s, d: f"注册专业：{g.p(('建筑工程', '市政公用工程', '机电工程'))}", 3,
      lambda g, s, d: f"豫2410{g.digits(9)}",
    ),
]
# fmt: on
