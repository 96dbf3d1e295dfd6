"""Other credit records of legal persons (R-07): one template per kind of item (pure data).

``classes`` gives relative weights of disclosure classes A/B/C; ``doc`` the kind of document number
("doc" 文号, "case" 案号, "" none); ``act`` how the end of a dishonest act is dated ("before" the
decision, "after" it, "open" often not yet ended); None for non-negative items.
"""

from __future__ import annotations

__all__ = ["GENERAL", "G"]

BIZ = (
    "tech trade logistics construction manufacturing food hotel pharma culture education service realestate "
    "auto agriculture environment"
)
ALL = BIZ + " social public"
ENT = BIZ + " !ent"  # "!ent": enterprises only (not 个体工商户)


def G(category, dept, who, sectors, weight, classes, title, content, doc="doc", act=None, polarity=None):
    return {
        "category": category,
        "dept": dept,
        "who": who,
        "sectors": sectors,
        "weight": weight,
        "classes": classes,
        "title": title,
        "content": content,
        "doc": doc,
        "act": act,
        "polarity": polarity,
    }


_BANKS = (
    "中国工商银行股份有限公司郑州分行",
    "中国建设银行股份有限公司河南省分行",
    "中原银行股份有限公司郑州分行",
    "郑州银行股份有限公司",
    "中国农业银行股份有限公司郑州金水支行",
    "招商银行股份有限公司郑州分行",
)
_CAUSES = ("买卖合同", "借款合同", "建设工程施工合同", "房屋租赁合同", "劳务合同", "服务合同", "承揽合同", "运输合同")
_ACCIDENTS = ("高处坠落", "物体打击", "机械伤害", "触电", "车辆伤害", "起重伤害", "坍塌")
_HONOURS = (
    ("守合同重信用企业", "scjg"),
    ("郑州市文明单位", "fgw"),
    ("郑州市劳动关系和谐企业", "rs"),
    ("郑州市优秀民营企业", "fgw"),
    ("河南省绿色工厂", "sthj"),
    ("安全生产标准化三级达标企业", "yj"),
    ("郑州市诚信经营示范单位", "fgw"),
    ("郑州市科学技术进步奖", "fgw"),
)
_MATTERS = (
    "食品经营许可",
    "建筑工程施工许可",
    "企业投资项目备案",
    "公共场所卫生许可",
    "政府采购投标",
    "财政资金申报",
    "人力资源服务许可",
    "道路运输经营许可",
)

# fmt: off
GENERAL = [
    G("representative", "scjg", "L", ENT, 3, "9:1:0", "法定代表人变更",
      lambda g, s, d: f"法定代表人由{g.person()}变更为{s.rep}，变更日期：{g.cn(d)}。",
    ),
    G("representative", "scjg", "L", ENT, 1.5, "9:1:0", "设立分支机构", lambda g, s, d: (
      f"设立分支机构：{s.name[:24]}{g.p(('金水', '二七', '中原', '郑东', '高新', '新郑'))}分公司，"
      f"负责人：{g.person()}。"),
    ),
    G("representative", "scjg", "L", ENT, 1.5, "2:8:0", "主要人员备案",
      lambda g, s, d: f"执行董事：{s.rep}；监事：{g.person()}；经理：{g.person()}。", doc="",
    ),
    G("ip_brand", "scjg", "L", "tech trade manufacturing food pharma culture agriculture hotel", 3, "6:4:0",
      "注册商标专用权", lambda g, s, d: (
      f"“{g.zihao()}”商标核准注册于第{g.n(1, 45)}类商品/服务，注册号第{g.digits(8)}号，专用权期限至"
      f"{g.cn(d + 3652)}。"), doc="",
    ),
    G("ip_brand", "scjg", "L", "tech manufacturing pharma environment agriculture", 2, "5:5:0", "专利授权",
      lambda g, s, d: (f"“一种{g.p(('智能', '节能', '便携式', '自动化', '环保型'))}"
      f"{g.p(('检测装置', '控制系统', '加工方法', '传感器', '耐火材料', '包装结构'))}”获"
      f"{g.p(('发明专利', '实用新型专利'))}授权，专利号ZL{g.y(d) - 1}{g.p('12')}{g.digits(7)}.{g.n(0, 9)}。"), doc="",
    ),
    G("license", "fgw", "L", "tech manufacturing pharma environment", 2, "1:0:0", "高新技术企业认定",
      lambda g, s, d: f"经认定为高新技术企业，证书编号GR{g.y(d)}41{g.digits(6)}，有效期三年。",
    ),
    G("license", "scjg", "L", BIZ, 1.5, "6:4:0", "质量管理体系认证", lambda g, s, d: (
      f"通过GB/T 19001-2016/ISO 9001:2015质量管理体系认证，证书编号{g.digits(5)}Q{g.digits(5)}R0M，"
      f"有效期至{g.cn(d + 1095)}。"), doc="",
    ),
    G("operation", "scjg", "L", ENT, 3, "1:0:0", "企业年度报告公示",
      lambda g, s, d: f"已于{g.cn(d)}报送并公示{g.y(d) - 1}年度年度报告。", doc="",
    ),
    G("operation", "sw", "L", BIZ, 4, "0:1:0", "纳税信用等级评价结果",
      lambda g, s, d: f"{g.y(d) - 1}年度纳税信用等级评价结果为{g.p('AABBBBMMC')}级。", doc="",
    ),
    G("operation", "rs", "L", ALL, 3, "0:6:4", "社会保险参保缴费情况",
      lambda g, s, d: f"截至{g.ym(d)}，单位参保职工{g.n(1, 400)}人，养老、医疗、失业、工伤保险缴费状态正常。", doc="",
    ),
    G("operation", "gjj", "L", ALL, 2, "0:3:7", "住房公积金缴存情况",
      lambda g, s, d: f"截至{g.ym(d)}，单位缴存职工{g.n(1, 300)}人，缴存状态正常。", doc="",
    ),
    G("operation", "sw", "L", ENT, 2, "0:2:8", "主要财务指标", lambda g, s, d: (
      f"{g.y(d) - 1}年度资产总额{g.n(50, 90000)}万元，营业收入{g.n(20, 60000)}万元，资产负债率{g.n(8, 92)}%。"),
      doc="",
    ),
    G("basic_other", "scjg", "L", ENT, 2, "5:5:0", "住所变更登记",
      lambda g, s, d: f"住所由{s.dist.addr}{g.p(s.dist.roads)}{g.n(1, 300)}号变更为{s.addr}。", doc="",
    ),
    G("basic_other", "scjg", "L", ENT, 1.5, "1:0:0", "股权出质登记",
      lambda g, s, d: f"出质股权数额{g.n(10, 3000)}万元，质权人：{g.p(_BANKS)}，登记编号{s.dist.code}{g.digits(8)}。",
      doc="",
    ),
    G("basic_other", "scjg", "L", ENT, 1, "5:5:0", "动产抵押登记", lambda g, s, d: (
      f"抵押物：{g.p(('生产设备', '车辆', '原材料', '库存商品'))}，被担保债权数额{g.n(10, 5000)}万元，"
      f"抵押权人：{g.p(_BANKS)}。"), doc="",
    ),
    G("basic_other", "scjg", "L", ALL, 1, "0:1:1", "联络员备案",
      lambda g, s, d: f"企业联络员：{g.person()[:1]}**，已完成实名验证。", doc="",
    ),
    G("judicial", "fy", "L", BIZ, 4, "1:6:3", "民事判决", lambda g, s, d: (
      f"{g.case(d, '民初')}{g.p(_CAUSES)}纠纷一案，判决{s.name}向原告支付款项{g.n(5, 900) * 1000}元及利息。"),
      doc="case", act="after",
    ),
    G("judicial", "fy", "L", BIZ, 3, "1:0:0", "失信被执行人", lambda g, s, d: (
      f"{g.case(d, '执')}，被执行人有履行能力而拒不履行生效法律文书确定的义务，执行标的{g.n(10, 5000) * 1000}元。"),
      doc="case", act="open",
    ),
    G("judicial", "fy", "L", BIZ, 2, "7:3:0", "限制消费令", lambda g, s, d: (
      f"{g.case(d, '执')}，因未按执行通知书指定的期间履行生效法律文书确定的给付义务，对{s.name}"
      f"及其法定代表人{s.rep}采取限制消费措施。"), doc="case", act="open",
    ),
    G("judicial", "fy", "L", BIZ, 1, "0:1:0", "终结本次执行程序", lambda g, s, d: (
      f"{g.case(d, '执')}，经财产调查未发现可供执行的财产，裁定终结本次执行程序，未履行金额"
      f"{g.n(5, 3000) * 1000}元。"), doc="case", act="open",
    ),
    G("tax_violation", "sw", "L", BIZ, 1, "1:0:0", "重大税收违法失信案件", lambda g, s, d: (
      f"经国家税务总局郑州市税务局稽查局检查，{g.y(d) - 2}年至{g.y(d) - 1}年期间，采取"
      f"{g.p(('虚开增值税专用发票', '隐匿收入', '虚列成本', '账外经营'))}手段少缴税款{g.n(100, 9000) * 1000}元。"),
      act="before",
    ),
    G("tax_violation", "sw", "L", BIZ, 2, "1:0:0", "欠税公告", lambda g, s, d: (
      f"截至{g.ym(d)}，欠缴{g.p(('增值税', '企业所得税', '房产税', '城镇土地使用税'))}{g.n(1, 900) * 1000}元。"),
      act="after", doc="",
    ),
    G("tax_violation", "sw", "L", BIZ, 1, "3:7:0", "非正常户认定",
      lambda g, s, d: "未按照规定期限申报纳税，经税务机关责令限期改正后逾期不改正，且无法联系，认定为非正常户。",
      act="after",
    ),
    G("labour", "rs", "L", "construction manufacturing logistics food hotel service realestate", 1.5, "1:0:0",
      "拖欠农民工工资",
      lambda g, s, d: f"拖欠{g.n(3, 150)}名农民工工资共计{g.n(3, 400) * 1000}元，经责令限期支付后逾期未支付。",
      act="before",
    ),
    G("labour", "rs", "L", BIZ, 2, "0:1:0", "未依法足额缴纳社会保险费",
      lambda g, s, d: f"欠缴{g.ym(d - g.n(200, 400))}至{g.ym(d - g.n(30, 190))}社会保险费{g.n(5, 800) * 100}元。",
      act="after",
    ),
    G("labour", "rs", "L", BIZ, 1.5, "2:8:0", "劳动保障监察责令改正",
      lambda g, s, d: f"未依法与{g.n(2, 40)}名劳动者签订书面劳动合同，已责令限期改正。", act="before",
    ),
    G("accident", "yj", "L", "construction manufacturing logistics environment", 0.7, "1:0:0", "一般生产安全事故",
      lambda g, s, d: (f"{g.cn(d - g.n(60, 200))}，在{s.dist.addr}{g.p(s.dist.roads)}发生{g.p(_ACCIDENTS)}事故，造成"
      f"{g.n(1, 2)}人死亡，直接经济损失约{g.n(80, 400)}万元。经调查认定为一般生产安全事故，该单位对事故发生负有责任。"
      ), act="before",
    ),
    G("accident", "scjg", "L", "manufacturing trade food pharma", 1.5, "1:0:0", "产品质量监督抽查不合格",
      lambda g, s, d: (
      f"在{g.y(d)}年产品质量监督抽查中，该单位生产（销售）的"
      f"{g.p(('电线电缆', '插座', '儿童玩具', '饮料', '化肥', '门窗'))}"
      f"经检验不合格，不合格项目：{g.p(('标志和说明', '导体电阻', '菌落总数', '有效成分含量', '抗风压性能'))}。"),
      act="before",
    ),
    G("accident", "sthj", "L", "manufacturing environment", 0.3, "1:0:0", "一般突发环境事件", lambda g, s, d: (
      f"{g.cn(d - g.n(30, 120))}，该单位{g.p(('废水处理设施故障', '储罐泄漏', '废气处理设施停运'))}导致"
      f"污染物外泄，被认定为一般突发环境事件。"), act="before",
    ),
    G("fee_arrears", "cg", "L", BIZ, 1.5, "0:7:3", "欠缴城市生活垃圾处理费",
      lambda g, s, d: f"截至{g.ym(d)}，欠缴城市生活垃圾处理费{g.n(3, 600) * 10}元，经催缴仍未缴纳。", doc="",
      act="open",
    ),
    G("fee_arrears", "cz", "L", BIZ, 1, "0:5:5", "欠缴非税收入", lambda g, s, d: (
      f"欠缴{g.p(('城市基础设施配套费', '国有资源有偿使用收入', '防空地下室易地建设费'))}{g.n(1, 500) * 1000}元。"),
      act="open",
    ),
    G("fee_arrears", "gjj", "L", ALL, 1, "0:2:8", "欠缴住房公积金",
      lambda g, s, d: f"截至{g.ym(d)}，欠缴职工住房公积金{g.n(2, 36)}个月，欠缴金额{g.n(1, 900) * 100}元。", doc="",
      act="open",
    ),
    G("executive_ban", "fy", "L", ENT, 0.4, "0:3:7", "高级管理人员行业禁入", lambda g, s, d: (
      f"公司{g.p(('董事', '监事', '经理', '财务负责人'))}{g.person()}因"
      f"{g.p(('职务侵占', '非法吸收公众存款', '虚开发票'))}被判处刑罚，{g.n(3, 10)}年内不得担任公司董事、"
      f"监事、高级管理人员。"), doc="case", act="before",
    ),
    G("executive_ban", "fy", "L", ENT, 0.6, "0:6:4", "法定代表人被列为失信被执行人",
      lambda g, s, d: f"{g.case(d, '执')}，法定代表人{s.rep}被纳入失信被执行人名单。", doc="case", act="open",
    ),
    G("bankruptcy", "fy", "L", ENT, 0.5, "1:0:0", "破产清算", lambda g, s, d: (
      f"{g.case(d, '破', city=True)}，郑州市中级人民法院裁定受理{s.name}破产清算申请，并指定"
      f"河南{g.zihao()}律师事务所为管理人。"), doc="case", act="after",
    ),
    G("commitment_breach", "scjg", "L", BIZ, 1.5, "1:0:0", "信用承诺违诺信息",
      lambda g, s, d: f"在办理{g.p(_MATTERS)}时以告知承诺方式作出信用承诺，经核查承诺内容与实际情况不符，构成违诺。",
      act="before",
    ),
    G("other_negative", "scjg", "L", ENT, 2, "1:0:0", "列入经营异常名录", lambda g, s, d: (
      f"因{g.p(('未按规定期限公示年度报告', '通过登记的住所或者经营场所无法联系', '公示企业信息隐瞒真实情况'))}，"
      f"被列入经营异常名录。"), act="after",
    ),
    G("other_negative", "cz", "L", BIZ, 0.5, "1:0:0", "政府采购不良行为记录", lambda g, s, d: (
      f"在{g.zihao()}项目政府采购活动中"
      f"{g.p(('提供虚假材料谋取中标', '与其他供应商恶意串通', '拒绝签订政府采购合同'))}，"
      f"{g.n(1, 3)}年内禁止参加政府采购活动。"), act="before",
    ),
    G("other_negative", "scjg", "L", ALL, 2, "0:1:0", "“双随机、一公开”抽查发现问题", lambda g, s, d: (
      f"在{g.y(d)}年“双随机、一公开”抽查中发现"
      f"{g.p(('未按规定公示即时信息', '经营场所与登记不符', '台账记录不全', '从业人员培训记录缺失'))}，已责令整改。"),
      act="before",
    ),
    G("other_negative", "fgw", "L", BIZ, 1, "0:8:2", "信用监管约谈", lambda g, s, d: (
      f"因{g.p(('投诉举报集中', '多次行政处罚', '信用评价等级较低'))}，对法定代表人{s.rep}进行信用监管约谈。"),
      act="before",
    ),
    G("other_positive", "sw", "L", BIZ, 2, "1:0:0", "纳税信用A级纳税人",
      lambda g, s, d: f"被评为{g.y(d) - 1}年度纳税信用A级纳税人。", doc="",
    ),
    G("other_positive", "mz", "L", ALL, 1.5, "6:4:0", "慈善捐赠", lambda g, s, d: (
      f"向{g.p(('郑州市慈善总会', '河南省红十字会', '郑州市青少年发展基金会'))}捐赠"
      f"{g.p(('款物', '防汛救灾物资', '助学资金'))}，价值{g.n(1, 500)}万元。"), doc="",
    ),
    G("other_positive", "scjg", "L", ALL, 2, "2:8:0", "“双随机、一公开”抽查未发现问题",
      lambda g, s, d: f"在{g.y(d)}年“双随机、一公开”抽查中未发现问题。", doc="",
    ),
    G("other_positive", "fgw", "L", ALL, 1, "0:1:0", "信用承诺践诺",
      lambda g, s, d: f"在办理{g.p(_MATTERS)}时作出的信用承诺已按期履行。", doc="",
    ),
]
# fmt: on

# fmt: off
GENERAL += [
    G("honour", dept, "L", ENT, 0.5, "1:0:0", title, (lambda t: lambda g, s, d: f"被评为{g.y(d) - 1}年度{t}。")(title))
    for title, dept in _HONOURS
]
# fmt: on
