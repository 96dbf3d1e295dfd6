"""Display masking (R-17): nothing personal is ever shown unmasked."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from portal.lib.masking import mask_id_number, mask_name, mask_phone


@pytest.mark.parametrize(
    ("value", "masked"),
    [
        ("410105199001011234", "4101**********1234"),
        ("41010519900101123x", "4101**********123X"),
        (" 410105199001011234 ", "4101**********1234"),
        ("410105900101123", "4101*******1123"),  # 15-digit old format
        ("41010519900101", "4*************"),  # implausible length: first character only
        ("12345678", "1*******"),
        ("1", "*"),
        ("", ""),
        (None, ""),
    ],
)
def test_mask_id_number(value, masked):
    assert mask_id_number(value) == masked


@pytest.mark.parametrize(
    ("value", "masked"),
    [
        ("张三", "张*"),
        ("王小明", "王*明"),
        ("欧阳娜娜", "欧**娜"),
        ("买买提·艾力", "买****力"),
        ("张", "*"),
        ("", ""),
    ],
)
def test_mask_name(value, masked):
    assert mask_name(value) == masked


@pytest.mark.parametrize(
    ("value", "masked"),
    [
        ("13812345678", "138****5678"),
        ("138 1234 5678", "138****5678"),
        ("0371-12345678", "037******5678"),
        ("12345678", "1*******"),
        ("110", "1**"),
    ],
)
def test_mask_phone(value, masked):
    assert mask_phone(value) == masked


def _shown(original: str, masked: str) -> int:
    return sum(a == b for a, b in zip(original, masked))


@given(st.text(alphabet="0123456789X", min_size=18, max_size=18))
def test_id_masking_never_shows_more_than_8_of_18(value):
    masked = mask_id_number(value)
    assert len(masked) == 18 and masked.count("*") == 10
    assert _shown(value, masked) <= 8


@given(st.text(min_size=1))
def test_masking_always_hides_something(value):
    # whatever arrives, at least one character is starred and little is shown.
    text = "".join(value.split())
    for mask, most_shown in ((mask_id_number, 8), (mask_name, 2), (mask_phone, 7)):
        masked = mask(value)
        assert len(masked) == len(text)
        if text:
            assert masked.count("*") >= 1
            assert len(masked) - masked.count("*") <= most_shown
