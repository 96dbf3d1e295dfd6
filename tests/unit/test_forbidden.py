"""R-09 forbidden data: the pure checker every collection path calls (build item 5)."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from portal.ingest import forbidden
from portal.ingest.forbidden import check, consent_ref_ok, scrub
from portal.records.categories import FORBIDDEN_FIELDS

CONSENT = "郑信同意〔2026〕15号"


def codes(fields, kind="natural", consent=""):
    return [p.code for p in check(fields, subject_kind=kind, consent_ref=consent)]


# --- names ----------------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("name", "item"),
    [
        ("宗教信仰", "religion"), ("宗教", "religion"), ("religion", "religion"), ("ZongJiao", "religion"),
        ("血型", "blood_type"), ("blood_type", "blood_type"), ("BloodType", "blood_type"),
        ("xuexing", "blood_type"), ("申请人血型（ABO）", "blood_type"),
        ("指纹", "fingerprint"), ("fingerprint", "fingerprint"), ("基因", "gene"), ("gene_test", "gene"),
        ("病史", "medical_history"), ("既往病史", "medical_history"), ("疾病", "disease"),
        ("disease", "disease"), ("家庭出身", "family_origin"), ("种族", "race"), ("race", "race"),
        ("民族", "ethnicity"), ("月收入", "income"), ("年收入", "income"), ("工资收入", "income"),
        ("income", "income"), ("Monthly Income", "income"), ("存款", "deposit"),
        ("bank_deposit", "deposit"), ("savings", "deposit"),
        ("房产", "real_estate"),
        ("不动产", "real_estate"), ("商业保险", "commercial_insurance"), ("有价证券", "securities"),
        ("纳税额", "tax_amount"), ("纳税数额", "tax_amount"), ("tax_amount", "tax_amount"),
    ],
)
def test_forbidden_names_are_refused_for_a_natural_person(name, item):
    [problem] = check({name: ""}, subject_kind="natural")
    assert problem.code == f"forbidden_field:{item}" and problem.rule == "R-09"
    assert problem.field == name and f"字段“{name}”" in problem.message
    assert "第九条" in problem.message


@pytest.mark.parametrize(
    "name",
    ["血 型", "血　型", "ＢＬＯＯＤ＿ＴＹＰＥ", "blood-type", "Blood.Type", " 宗教·信仰 ", "【血型】",
     "ｒｅｌｉｇｉｏｎ", "Religion", "RELIGION", "月收入（元）", "月 收 入"],
)
def test_names_tolerate_spaces_punctuation_full_width_and_case(name):
    assert len(check({name: "x"}, subject_kind="natural")) == 1


@pytest.mark.parametrize(
    "name",
    ["trace_id", "grace_period", "generic_code", "general", "姓名", "公民身份号码", "处罚依据", "罚款金额",
     "欠缴增值税金额", "欠税金额", "拖欠工资金额", "违法所得", "没收违法收入", "医疗器械经营许可证号",
     "保险代理许可证号", "房地产开发资质等级", "证券从业资格证书编号", "转基因标识", "住房公积金缴存单位",
     "cert_fingerprint", "key_fingerprint", "学历", "婚姻状况", "就业状况", "good_faith_commitment",
     "security_deposit", "stock_quantity", "minimum_wage_violation"],
)
def test_legitimate_names_pass_for_both_kinds(name):
    assert check({name: "1"}, subject_kind="natural") == []
    assert check({name: "1"}, subject_kind="legal") == []


def test_legal_person_names_groups_one_two_refused_group_three_only_when_personal():
    # A company has no religion or blood type: such a column is someone's personal data.
    assert codes({"宗教信仰": ""}, "legal") == ["forbidden_field:religion"]
    assert codes({"血型": ""}, "legal") == ["forbidden_field:blood_type"]
    # a company's finances and taxes are its own records.
    for name in ("营业收入", "纳税额", "income", "不动产", "存款", "tax_amount", "个人所得税（代扣代缴）",
                 "未按规定办理个人所得税综合所得汇算清缴"):
        assert codes({name: "1"}, "legal") == [], name
    # ... but its representative's own money is a person's.
    assert codes({"法定代表人个人收入": ""}, "legal") == ["forbidden_field:income"]
    assert codes({"法定代表人房产": ""}, "legal") == ["forbidden_field:real_estate"]
    assert codes({"法定代表人房产": ""}, "legal", CONSENT) == []


def test_a_name_is_refused_even_with_an_empty_value_and_nested_names_are_seen():
    assert codes({"血型": None}) == ["forbidden_field:blood_type"]
    [problem] = check({"extra": {"religion": "x"}}, subject_kind="natural")
    assert problem.field == "extra.religion"


# --- content ---------------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("text", "item"),
    [
        ("血型为A型", "blood_type"), ("该人系O型血", "blood_type"), ("患有糖尿病", "disease"),
        ("当事人罹患肺癌", "disease"), ("诊断为抑郁症", "disease"), ("有高血压病史", "medical_history"),
        ("信仰佛教", "religion"), ("是基督徒", "religion"), ("家庭出身地主", "family_origin"),
        ("男，汉族，1980年生", "ethnicity"), ("民族：回族", "ethnicity"), ("指纹信息已采集", "fingerprint"),
        ("经基因检测", "gene"), ("月收入8000元", "income"), ("月收入 8,000 元", "income"),
        ("年收入约五十万元", "income"), ("月薪12000", "income"), ("名下房产两套", "real_estate"),
        ("拥有商品房3套", "real_estate"), ("存款50万元", "deposit"), ("银行存款余额为20万元", "deposit"),
        ("持有某公司股票", "securities"), ("投保重疾险", "commercial_insurance"),
        ("购买商业保险", "commercial_insurance"), ("缴纳个人所得税3万元", "tax_amount"),
        ("年纳税额为12000元", "tax_amount"),
        ("月 收 入 ８０００ 元", "income"), ("血　型为Ａ型", "blood_type"),
        # Ordinary wording and a zero-width space (found by a tester; they were stored word for word).
        ("当事人有艾滋病，长期服药", "disease"), ("宗教：伊斯兰教", "religion"),
        ("当事人每月挣8000元", "income"), ("当事人银行卡内有50万元存款未申报", "deposit"),
        ("当事人在金水区有三套房", "real_estate"), ("当事人血\u200b型为AB型", "blood_type"),
        ("熊\u200b猫血", "blood_type"),
    ],
)
def test_recognisable_content_is_refused_for_a_natural_person(text, item):
    assert f"forbidden_content:{item}" in codes({"备注": text})


@pytest.mark.parametrize(
    "text",
    [
        "欠缴增值税12000元", "欠税金额35000元", "罚款金额5000元", "处以罚款人民币三万元",
        "处罚依据：《中华人民共和国税收征收管理法》第六十三条第一款",
        "未取得医疗器械经营许可证从事经营活动", "持有保险代理许可", "取得房地产开发资质二级",
        "持有证券从业资格证书", "没收违法收入5000元", "非法吸收公众存款2000万元",
        "偷逃个人所得税5万元，已补缴", "违法建设房屋3处", "拖欠工资8000元",
        "住所：广西壮族自治区南宁市", "宁夏回族自治区银川市", "郑州市管城回族区人民法院",
        "湘西土家族苗族自治州", "朝鲜族乡", "经营水族馆", "销售转基因大豆未标识",
        "超范围执业，为患者注射", "存在安全隐患", "诚信奉献，热心教育事业", "荣获民族团结进步模范称号",
        "纳税信用等级A级", "纳税人识别号91350100M000100Y43", "安装指纹锁", "营业收入120万元",
        "未依法参加工伤保险", "伪造保单号骗取保险金", "出租房屋2处未登记住宿人员信息",
        "组织非法宗教活动", "利用邪教组织破坏法律实施", "无证行医，为他人诊断治疗疾病",
        "酒后驾驶，血液酒精含量85mg/100ml",
    ],
)
def test_legitimate_content_passes(text):
    assert codes({"事实": text}) == []


def test_content_of_legal_person_records_is_not_scanned():
    # A company's penalty text speaks of diseases, real estate and taxes.
    assert codes({"处罚事由": "患有传染病的从业人员未调离岗位；名下房产两套"}, "legal") == []
    assert codes({"处罚事由": "患有传染病"}, "natural") == ["forbidden_content:disease"]


def test_non_text_values_are_not_scanned_and_lists_are():
    assert codes({"金额": 8000, "日期": None}) == []
    assert codes({"备注": ["一", "血型为A型"]}) == ["forbidden_content:blood_type"]


# --- consent ---------------------------------------------------------------------------------

def test_group_three_is_accepted_with_a_well_formed_consent_reference():
    fields = {"月收入": "8000", "备注": "名下房产两套，存款50万元"}
    assert sorted(codes(fields)) == ["forbidden_content:deposit", "forbidden_content:real_estate",
                                     "forbidden_field:income"]
    assert codes(fields, consent=CONSENT) == []
    assert codes(fields, consent="CONSENT-2026-000123") == []


def test_groups_one_and_two_are_never_accepted_even_with_consent():
    assert codes({"血型": "A"}, consent=CONSENT) == ["forbidden_field:blood_type"]
    assert codes({"备注": "信仰佛教"}, consent=CONSENT) == ["forbidden_content:religion"]
    # Consent for income does not cover the blood type in the same text.
    assert codes({"备注": "月收入8000元，血型为A型"}, consent=CONSENT) == ["forbidden_content:blood_type"]


@pytest.mark.parametrize(
    "ref",
    ["x", "无", "同意", "a" * 61 + "1", "<script>1", "410102199001011234", "41010219900101123X",
     "同意书 110101800101001", "123\n456"],
)
def test_malformed_consent_references_are_refused_and_say_so(ref):
    assert not consent_ref_ok(ref)
    [problem] = check({"月收入": "8000"}, subject_kind="natural", consent_ref=ref)
    assert problem.code == "consent_invalid:income" and "格式不正确" in problem.message


@pytest.mark.parametrize("ref", [CONSENT, "CONSENT-2026-000123", "郑信同意（2026）第15号", "No. 15", " 15 "])
def test_well_formed_consent_references(ref):
    assert consent_ref_ok(ref)


def test_missing_consent_is_told_as_such():
    [problem] = check({"月收入": "8000"}, subject_kind="natural")
    assert "未提供书面同意文书编号" in problem.message and "第九条第三项" in problem.message


def test_unknown_subject_kind_is_a_programming_error():
    with pytest.raises(ValueError):
        check({}, subject_kind="person")


# --- nothing of the value ever shows ---------------------------------------------------------

TRIGGERS = ["血型为A型", "患有糖尿病", "信仰佛教", "月收入{n}元", "名下房产两套", "存款{n}万元",
            "缴纳个人所得税{n}元", "民族：回族", "指纹信息"]
NAMES = ["备注", "事实", "remark", "血型", "宗教信仰", "月收入", "religion"]
CONSENTS = ["", "?!", CONSENT]
# One text per item: what a message about that item says, whatever the value was.
CANON = {"race": "种族为黄种人", "ethnicity": "民族：回族", "family_origin": "家庭出身地主",
         "religion": "信仰佛教", "gene": "基因检测", "fingerprint": "指纹", "blood_type": "血型为A型",
         "disease": "患有糖尿病", "medical_history": "病史", "income": "月收入8000元",
         "deposit": "存款50万元", "securities": "有价证券", "commercial_insurance": "商业保险",
         "real_estate": "名下房产两套", "tax_amount": "纳税额为100元"}
# Characters the messages are made of: random fill drawn outside them cannot appear by chance.
_VOCAB = set("".join(p.message for name in NAMES for text in CANON.values() for consent in CONSENTS
                     for kind in ("natural", "legal")
                     for p in check({name: text}, subject_kind=kind, consent_ref=consent)))
fill = st.text(st.characters(blacklist_characters=sorted(_VOCAB), blacklist_categories=("Cs",)),
               max_size=30)


def substrings(text):
    return {text[i:j] for i in range(len(text)) for j in range(i + 2, len(text) + 1)}


def test_every_item_has_a_canonical_text():
    assert set(CANON) == set(FORBIDDEN_FIELDS)
    for key, text in CANON.items():
        assert f"forbidden_content:{key}" in codes({"备注": text}), key


@given(name=st.sampled_from(NAMES), before=fill, trigger=st.sampled_from(TRIGGERS), after=fill,
       amount=st.integers(min_value=10, max_value=10**9), consent=st.sampled_from(CONSENTS),
       kind=st.sampled_from(["natural", "legal"]))
def test_no_part_of_a_refused_value_appears_in_any_message(name, before, trigger, after, amount,
                                                           consent, kind):
    value = before + trigger.format(n=amount) + after
    for problem in check({name: value}, subject_kind=kind, consent_ref=consent):
        leaked = [s for s in substrings(before) | substrings(after) | substrings(str(amount))
                  if s in problem.message]
        assert leaked == []
        # The message depends on the field, the item and the consent only, never on the value.
        item = problem.code.split(":")[1]
        expected = {p.message for text in ("", CANON[item])
                    for p in check({name: text}, subject_kind=kind, consent_ref=consent)}
        assert problem.message in expected
    assert scrub(value) == forbidden.PLACEHOLDER


@given(value=st.text(max_size=40))
def test_a_forbidden_name_gives_the_same_message_whatever_its_value(value):
    [problem] = check({"血型": value}, subject_kind="natural")
    [baseline] = check({"血型": ""}, subject_kind="natural")
    assert problem == baseline


def test_the_categories_list_derives_from_the_checker():
    assert FORBIDDEN_FIELDS == {item.key: item.label for item in forbidden.ITEMS}
    assert {"religion", "blood_type", "income", "tax_amount", "ethnicity"} <= set(FORBIDDEN_FIELDS)
    assert scrub("月收入8000元") == "（已拒收，未保存）"


@pytest.mark.parametrize("text", ["患有高血压", "补充：该人患有抑郁", "经诊断为阿尔茨海默"])
def test_any_illness_named_after_a_verb_of_having_it(text):
    """R-09 二: "患有…" is health information whatever the illness is called."""
    assert [p.code for p in check({"content": text}, subject_kind="natural")] == ["forbidden_content:disease"]


_NAME = st.one_of(
    st.sampled_from(["宗教信仰", "血型", "月收入", "营业收入", "纳税额", "个人收入", "title", "fine_amount"]),
    st.text(max_size=8),
)
_VALUE = st.one_of(
    st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), st.text(max_size=12),
    st.dates(), st.lists(st.text(max_size=6), max_size=3), st.decimals(allow_nan=False, allow_infinity=False),
)
_FIELDS = st.recursive(
    st.dictionaries(_NAME, _VALUE, max_size=6), lambda inner: st.dictionaries(_NAME, inner, max_size=4), max_leaves=20
)


@given(fields=_FIELDS, consent=st.sampled_from(["", CONSENT, "乱写"]))
def test_a_legal_persons_check_by_its_names_alone_is_the_full_check(fields, consent):
    # The rows of one template share their names: a legal person's check is remembered by names
    # (its values are never read). It must say exactly what the general walk says.
    state = "none" if not consent else ("ok" if consent_ref_ok(consent) else "bad")
    assert check(fields, subject_kind="legal", consent_ref=consent) == forbidden._problems(fields, "legal", state)
