"""Natural persons' credit records (R-08): identity and 提示信息, and the red/black list kinds (pure data).

Natural persons' records never carry the raw ID number or an address (R-17): identity items show the
masked number only.
"""

from __future__ import annotations

from portal.demo.catalog_general import G

__all__ = ["PERSONS", "LISTS"]

_SCHOOLS = (
    "郑州大学",
    "河南大学",
    "河南农业大学",
    "河南工业大学",
    "郑州轻工业大学",
    "河南财经政法大学",
    "华北水利水电大学",
    "河南中医药大学",
    "郑州航空工业管理学院",
    "河南牧业经济学院",
    "郑州铁路职业技术学院",
    "黄河科技学院",
)
_SKILLS = (
    "电工",
    "焊工",
    "育婴员",
    "中式烹调师",
    "美发师",
    "保育师",
    "养老护理员",
    "汽车维修工",
    "电子商务师",
    "保安员",
)

# fmt: off
PERSONS = [
    G("identity", "jy", "N", "person", 2, "0:0:1", "学历信息",
      lambda g, s, d: f"{g.y(d)}年毕业于{g.p(_SCHOOLS)}，{g.p(('本科', '专科', '硕士研究生', '本科'))}学历。", doc="",
    ),
    G("identity", "mz", "N", "person", 1, "0:0:1", "婚姻登记信息",
      lambda g, s, d: f"于{g.cn(d)}在{s.dist.name}民政局婚姻登记处办理{g.p(('结婚', '结婚', '结婚', '离婚'))}登记。",
      doc="",
    ),
    G("identity", "rs", "N", "person", 2, "0:6:4", "就业登记信息", lambda g, s, d: (
      f"{g.cn(d)}办理就业登记，就业单位：郑州{g.zihao()}{g.p(('科技', '商贸', '物流', '建筑工程'))}有限公司。"),
      doc="",
    ),
    G("person_license", "rs", "N", "person", 3, "6:4:0", "职业技能等级证书", lambda g, s, d: (
      f"取得{g.p(_SKILLS)}{g.p(('五级/初级工', '四级/中级工', '三级/高级工'))}职业技能等级证书，证书编号"
      f"S{g.digits(6)}41{g.digits(10)}。"), doc="",
    ),
    G("person_judicial", "fy", "N", "person", 4, "1:0:0", "失信被执行人", lambda g, s, d: (
      f"{g.case(d, '执')}，被执行人有履行能力而拒不履行生效法律文书确定的义务，执行标的{g.n(5, 800) * 1000}元。"),
      doc="case", act="open",
    ),
    G("person_judicial", "fy", "N", "person", 3, "1:0:0", "限制消费令",
      lambda g, s, d: f"{g.case(d, '执')}，因未按执行通知书指定的期间履行给付义务，对被执行人采取限制消费措施。",
      doc="case", act="open",
    ),
    G("person_judicial", "fy", "N", "person", 2, "0:7:3", "民事判决", lambda g, s, d: (
      f"{g.case(d, '民初')}{g.p(('民间借贷', '买卖合同', '房屋租赁合同', '机动车交通事故责任'))}纠纷一案，"
      f"判决被告支付{g.n(3, 300) * 1000}元。"), doc="case", act="after",
    ),
    G("person_negative", "gjj", "N", "person", 2, "0:3:7", "住房公积金贷款逾期",
      lambda g, s, d: f"个人住房公积金贷款逾期{g.n(3, 12)}期，逾期金额{g.n(3, 90) * 1000}元。", doc="", act="after",
    ),
    G("person_negative", "jt", "N", "person", 2, "0:1:0", "公共交通严重失信行为", lambda g, s, d: (
      f"在{g.p(('郑州地铁', '郑州公交', '郑州东站'))}{g.p(('多次逃票', '冒用他人优惠卡', '扰乱乘车秩序'))}，"
      f"经认定为公共交通严重失信行为。"), doc="", act="before",
    ),
    G("person_negative", "fgw", "N", "person", 1, "0:8:2", "信用承诺违诺信息", lambda g, s, d: (
      f"在申请{g.p(('职业资格证书', '人才补贴', '购房资格审核', '公租房'))}时作出的信用承诺经核查与事实不符。"),
      act="before",
    ),
    G("person_negative", "cg", "N", "person", 1, "0:4:6", "拖欠城市公用事业费",
      lambda g, s, d: f"截至{g.ym(d)}，拖欠{g.p(('燃气费', '供暖费', '水费'))}{g.n(3, 40) * 100}元，经催缴仍未缴纳。",
      doc="", act="open",
    ),
    G("person_positive", "mz", "N", "person", 1, "1:0:0", "见义勇为", lambda g, s, d: (
      f"{g.cn(d - g.n(20, 200))}在{s.dist.name}{g.p(('勇救落水群众', '协助抓获犯罪嫌疑人', '扑救火灾'))}，"
      f"被授予“郑州市见义勇为先进个人”称号。"),
    ),
    G("person_positive", "wj", "N", "person", 3, "5:5:0", "无偿献血奉献奖",
      lambda g, s, d: f"累计无偿献血{g.n(20, 160)}次，获全国无偿献血奉献奖{g.p(('铜奖', '银奖', '金奖'))}。", doc="",
    ),
    G("person_positive", "mz", "N", "person", 3, "7:3:0", "优秀志愿者",
      lambda g, s, d: f"累计志愿服务{g.n(100, 3000)}小时，被评为{g.y(d)}年度郑州市优秀志愿者。", doc="",
    ),
    G("person_positive", "rs", "N", "person", 0.5, "1:0:0", "劳动模范",
      lambda g, s, d: f"被授予“郑州市劳动模范”称号（{g.y(d)}年）。",
    ),
    G("person_positive", "fgw", "N", "person", 1, "0:1:0", "信用承诺践诺",
      lambda g, s, d: f"在申请{g.p(('职业资格证书', '人才补贴', '创业担保贷款'))}时作出的信用承诺已按期履行。", doc="",
    ),
]
# fmt: on

# 红名单 / 黑名单: list name, list type, deciding dept, who (L/N), weight, years valid (None: until removed),
# reason lambda.
# fmt: off
LISTS = [
    ("A级纳税人", "red", "sw", "L", 5, 1, lambda g, s, d: f"{g.y(d) - 1}年度纳税信用评价结果为A级。"),
    ("守合同重信用企业", "red", "scjg", "L", 3, 2,
      lambda g, s, d: f"经河南省市场监督管理局公示为{g.y(d) - 2}—{g.y(d) - 1}年度“守合同重信用”企业。",
    ),
    ("诚信示范企业", "red", "fgw", "L", 2, 3, lambda g, s, d: "经申报、评审、公示，认定为郑州市诚信示范企业。"),
    ("诚实守信模范", "red", "fgw", "N", 2, 3, lambda g, s, d: "经推荐、评审、公示，认定为郑州市诚实守信模范。"),
    ("失信被执行人", "black", "fy", "L", 5, None,
      lambda g, s, d: f"{g.case(d, '执')}，有履行能力而拒不履行生效法律文书确定的义务。",
    ),
    ("失信被执行人", "black", "fy", "N", 8, None,
      lambda g, s, d: f"{g.case(d, '执')}，有履行能力而拒不履行生效法律文书确定的义务。",
    ),
    ("重大税收违法失信主体", "black", "sw", "L", 1.5, 3,
      lambda g, s, d: f"经税务稽查，{g.y(d) - 1}年偷税{g.n(100, 9000) * 1000}元，达到重大税收违法失信主体标准。",
    ),
    ("拖欠农民工工资失信联合惩戒对象", "black", "rs", "L", 1.5, 3, lambda g, s, d: (
      f"克扣、无故拖欠{g.n(10, 200)}名农民工工资{g.n(30, 900) * 1000}元，数额达到认定拒不支付劳动报酬罪数额标准。"),
    ),
    ("严重违法失信企业", "black", "scjg", "L", 2, 3,
      lambda g, s, d: "被列入经营异常名录届满3年仍未履行相关义务，列入严重违法失信名单。",
    ),
    ("安全生产失信联合惩戒对象", "black", "yj", "L", 0.6, 3,
      lambda g, s, d: "发生较大生产安全事故，对事故负有责任，纳入安全生产失信联合惩戒“黑名单”。",
    ),
]
# fmt: on
