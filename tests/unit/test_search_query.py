"""Reading a search entry, and marking matches (pure)."""

from datetime import date

from portal.lib import id_number
from portal.lib import uscc as uscc_rules
from portal.search.highlight import highlight
from portal.search.query import like_pattern, parse, subsequence_pattern

CODE = uscc_rules.make("91410105MA3X7Q2L0")


def test_kinds_of_entries():
    assert parse("  ").kind == "empty"
    assert parse(CODE.lower()).kind == "uscc"
    assert parse(" ".join(CODE)).kind == "uscc"  # spaces inside a code are ignored
    wrong = CODE[:17] + ("0" if CODE[17] != "0" else "1")
    assert parse(wrong).kind == "bad_check"
    assert parse(CODE[:6]).kind == "uscc_prefix" and parse(CODE[:6]).code == CODE[:6]
    assert parse(CODE[:5]).kind == "name"  # too short for a prefix
    assert parse("ABCDEFGH").kind == "name"  # code letters without digits: a name
    assert parse(id_number.make("410105", date(1990, 3, 7), "123")).kind == "id_number"


def test_terms_split_at_any_space():
    assert parse("郑州 韵宇\u3000科技").terms == ("郑州", "韵宇", "科技")
    assert parse("郑州韵宇").subsequence and not parse("郑州韵").subsequence and not parse("郑州 韵宇").subsequence


def test_terms_split_at_the_punctuation_people_type():
    assert parse("河南某服饰合伙企业(有限合伙)").terms == ("河南某服饰合伙企业", "有限合伙")
    assert parse("“韵宇”").terms == ("韵宇",) and parse('"韵宇"。').terms == ("韵宇",)
    assert parse("韵宇,科技").terms == ("韵宇", "科技") and parse("韵宇、科技").terms == ("韵宇", "科技")
    assert parse("掱_%司").terms == ("掱_%司",)  # LIKE's wildcards are characters, never separators
    assert parse("（）").terms == ()


def test_a_code_of_digits_only_is_not_taken_for_an_id_number():
    """An all-digit USCC with a wrong check character is that error, not the R-17 notice; a
    15-character prefix of it is a prefix. Only a real birth date inside makes an ID number."""
    code = next(c for c in (uscc_rules.make(f"9141010503939{i:04d}") for i in range(1000)) if c.isdigit())
    wrong = code[:17] + ("0" if code[17] != "0" else "1")
    assert parse(wrong).kind == "bad_check"
    assert parse(code[:15]).kind == "uscc_prefix"
    person = id_number.make("410105", date(1990, 3, 7), "123")
    assert parse(person[:17] + ("0" if person[17] != "0" else "1")).kind == "id_number"  # its check wrong
    assert parse("410105900307123").kind == "id_number"  # the 15-digit form: YYMMDD
    assert parse("410105901307123").kind == "uscc_prefix"  # month 13: no birth date, so a code prefix


def test_person_like_names():
    assert parse("张伟").person_like and parse("欧阳娜娜").person_like
    for entry in ("张伟科技", "王记面馆", "郑州", "河南省", "李A"):
        assert not parse(entry).person_like, entry


def test_like_patterns_take_syntax_literally():
    assert like_pattern("5%_\\") == "%5\\%\\_\\\\%"
    assert subsequence_pattern("郑州韵宇") == "%郑%州%韵%宇%"


def test_highlight_escapes_and_marks():
    assert highlight("<b>郑州</b>韵宇", ("郑州",)) == "&lt;b&gt;<mark>郑州</mark>&lt;/b&gt;韵宇"
    assert highlight("郑州市金水区韵宇科技", ("郑州韵宇",), in_order=True) == (
        "<mark>郑州</mark>市金水区<mark>韵宇</mark>科技"
    )
    assert highlight("ABC科技abc", ("abc",)) == "<mark>ABC</mark>科技<mark>abc</mark>"
    assert highlight("郑州", ()) == "郑州"
    assert highlight("郑州", ("韵宇",), in_order=True) == "郑州"
