"""公民身份号码 (GB 11643-1999): MOD 11-2 check digit, birth date, region code, messages."""

from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from portal.lib import id_number

TODAY = date(2026, 11, 22)
regions = st.from_regex(r"[1-9][0-9]{5}", fullmatch=True)
births = st.dates(min_value=date(1900, 1, 1), max_value=TODAY)
seqs = st.from_regex(r"[0-9]{3}", fullmatch=True)
CHECK_CHARS = "0123456789X"


def test_weights_are_powers_of_two_mod_11():
    assert id_number.WEIGHTS == (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)


def test_standard_examples():
    # The two examples printed in GB 11643-1999.
    assert id_number.check_digit("11010519491231002") == "X"
    assert id_number.is_valid("11010519491231002X", TODAY)
    assert id_number.check_digit("44052418800101001") == "4"
    # ... the second one has a correct check digit but was born in 1880, before the 1900 floor.
    assert id_number.validation_error("440524188001010014", TODAY) == "出生日期无效"


@pytest.mark.parametrize(
    ("number", "message"),
    [
        ("11010519491231002", "公民身份号码应为18位"),
        ("110105194912310021X", "公民身份号码应为18位"),
        ("11010519491231002x", "公民身份号码前17位应为数字，最后一位应为数字或大写字母X"),
        ("1101051949123100AX", "公民身份号码前17位应为数字，最后一位应为数字或大写字母X"),
        ("11010519491231002Ⅹ", "公民身份号码前17位应为数字，最后一位应为数字或大写字母X"),
        ("010105194912310029", "公民身份号码前6位行政区划代码无效"),
        ("110105194902300023", "出生日期无效"),  # 30 February
        ("110105189912310020", "出生日期无效"),  # before 1900
        ("110105202611230026", "出生日期无效"),  # after TODAY
        ("110105194912310021", "公民身份号码校验位不正确"),
    ],
)
def test_validation_messages(number, message):
    assert id_number.validation_error(number, TODAY) == message
    assert not id_number.is_valid(number, TODAY)


def test_birth_on_today_is_valid_and_today_defaults_to_the_current_date():
    assert id_number.is_valid(id_number.make("410105", TODAY, "123"), TODAY)
    tomorrow_born = id_number.make("410105", date.today() + timedelta(days=1), "001")
    assert not id_number.is_valid(tomorrow_born)


def test_normalize():
    assert id_number.normalize(" 11010519491231002x ") == "11010519491231002X"
    assert id_number.normalize("１１０１０５ １９４９１２３１ ００２ｘ") == "11010519491231002X"


def test_birth_date():
    assert id_number.birth_date("11010519491231002X") == date(1949, 12, 31)
    for bad in ["110105194913310021", "1101051949", "11010519A912310021"]:
        with pytest.raises(ValueError, match="出生日期无效"):
            id_number.birth_date(bad)


def test_make_rejects_bad_parts():
    with pytest.raises(ValueError, match="行政区划代码"):
        id_number.make("010105", date(1990, 1, 1), "123")
    with pytest.raises(ValueError, match="顺序码"):
        id_number.make("410105", date(1990, 1, 1), "12")
    with pytest.raises(ValueError, match="出生日期无效"):
        id_number.make("410105", date(1899, 12, 31), "123")
    with pytest.raises(ValueError, match="17位数字"):
        id_number.check_digit("4101051990010112")


def test_every_single_character_change_is_detectable_proof():
    # A digit change at position i alters the sum by delta * w_i, delta in ±1..9; 11 is prime and
    # no weight is 0 mod 11, so the residue (hence the check character) always changes.
    # Changing the check character itself breaks the one-to-one residue -> character map.
    for weight in id_number.WEIGHTS:
        assert all(delta * weight % 11 for delta in range(1, 10))
    assert len(set(CHECK_CHARS)) == len("10X98765432") == 11


@given(st.from_regex(r"[0-9]{17}", fullmatch=True))
def test_check_digit_satisfies_mod_11_2(first17):
    # ISO 7064 MOD 11-2: sum of value * 2**(17-i) over all 18 positions (X = 10) is 1 mod 11.
    values = [int(c) for c in first17] + [10 if (c := id_number.check_digit(first17)) == "X" else int(c)]
    assert sum(v * pow(2, 17 - i, 11) for i, v in enumerate(values)) % 11 == 1


@given(regions, births, seqs)
def test_made_numbers_are_valid(region, birth, seq):
    number = id_number.make(region, birth, seq)
    assert id_number.is_valid(number, TODAY)
    assert id_number.birth_date(number) == birth


@given(regions, births, seqs)
def test_any_single_substitution_invalidates(region, birth, seq):
    number = id_number.make(region, birth, seq)
    for i, original in enumerate(number):
        alphabet = CHECK_CHARS if i == 17 else "0123456789"
        for other in alphabet.replace(original, ""):
            assert not id_number.is_valid(number[:i] + other + number[i + 1 :], TODAY)
