"""统一社会信用代码 (GB 32100-2015): check character, strict validation, normalisation."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from portal.lib import uscc

first17s = st.text(alphabet=uscc.CHARSET, min_size=17, max_size=17)


def test_weights_are_powers_of_three_mod_31():
    assert uscc.WEIGHTS == (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
    assert len(uscc.CHARSET) == 31 and not set("IOZSV") & set(uscc.CHARSET)


def test_well_known_sample_is_valid_by_the_algorithm():
    # 91350100M000100Y43: weighted sum of the first 17 values is 1640 = 52*31 + 28,
    # so the check value is 31 - 28 = 3 -> "3".
    first17 = "91350100M000100Y4"
    values = [uscc.CHARSET.index(c) for c in first17]
    assert sum(v * w for v, w in zip(values, uscc.WEIGHTS)) == 1640
    assert uscc.check_char(first17) == "3"
    assert uscc.is_valid("91350100M000100Y43")
    assert not uscc.is_valid("91350100M000100Y42")
    assert uscc.validation_error("91350100M000100Y42") == "统一社会信用代码校验码不正确"


def test_check_value_zero_maps_to_character_0():
    # (31 - 0 % 31) % 31 == 0: an all-zero body has check character "0", not an index error.
    assert uscc.make("0" * 17) == "0" * 18


@pytest.mark.parametrize(
    ("code", "message"),
    [
        ("91350100M000100Y4", "统一社会信用代码应为18位"),
        ("91350100M000100Y433", "统一社会信用代码应为18位"),
        ("91350100m000100Y43", "统一社会信用代码含有不允许的字符（仅限数字和除I、O、Z、S、V以外的大写字母）"),
        ("91350100I000100Y43", "统一社会信用代码含有不允许的字符（仅限数字和除I、O、Z、S、V以外的大写字母）"),
        ("", "统一社会信用代码应为18位"),
    ],
)
def test_strict_validation_messages(code, message):
    assert uscc.validation_error(code) == message
    assert not uscc.is_valid(code)


def test_normalize_strips_spaces_folds_width_and_uppercases():
    assert uscc.normalize(" 9135 0100m000100y43\u3000") == "91350100M000100Y43"
    assert uscc.normalize("９１３５０１００Ｍ０００１００Ｙ４３") == "91350100M000100Y43"
    assert uscc.is_valid(uscc.normalize(" 91350100m000100y43 "))


@pytest.mark.parametrize("bad", ["", "91350100M000100Y", "91350100M000100Y4X", "91350100O000100Y4"])
def test_check_char_rejects_malformed_bodies(bad):
    with pytest.raises(ValueError, match="统一社会信用代码"):
        uscc.check_char(bad)


def test_every_single_character_change_is_detectable_proof():
    # The check detects a change of position i from value v to v' iff (v' - v) * w_i != 0 (mod 31).
    # 31 is prime, |v' - v| is in 1..30 and no weight is 0 mod 31, so the product never is.
    for weight in uscc.WEIGHTS:
        assert all(delta * weight % 31 for delta in range(1, 31))


@given(first17s)
def test_made_codes_are_valid(first17):
    code = uscc.make(first17)
    assert len(code) == 18 and uscc.is_valid(code)


@given(first17s)
def test_any_single_substitution_invalidates(first17):
    code = uscc.make(first17)
    for i, original in enumerate(code):
        for other in uscc.CHARSET.replace(original, ""):
            assert not uscc.is_valid(code[:i] + other + code[i + 1 :])
