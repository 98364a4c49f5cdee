"""机动车号牌号码 (GA 36-2018): clean_plate accepts every plate type a 事故快处 meets and names the field
otherwise."""

import pytest

from anmin.core.errors import ActionError
from anmin.reports.plates import clean_plate


@pytest.mark.parametrize(
    ("typed", "canonical"),
    [
        ("冀T12345", "冀T12345"),
        ("冀t·12345", "冀T12345"),  # separator and lower case as people type them
        ("冀Ｔ１２３４５", "冀T12345"),  # full-width, from a Chinese input method
        (" 京A-AB123 ", "京AAB123"),  # two letters in the serial
        ("冀TD12345", "冀TD12345"),  # 小型新能源 纯电动
        ("冀TFA1234", "冀TFA1234"),  # 小型新能源 非纯电动, second position a letter
        ("冀TA12345", "冀TA12345"),  # 2021 expansion letter (six characters, new-energy shape)
        ("冀T12345D", "冀T12345D"),  # 大型新能源
        ("冀T1234学", "冀T1234学"),
        ("冀T1234警", "冀T1234警"),
        ("冀T1234挂", "冀T1234挂"),
        ("沪A1234领", "沪A1234领"),
        ("粤Z1234港", "粤Z1234港"),
        ("使123456", "使123456"),
        ("粤O12345", "粤O12345"),  # O is a real office letter (公安), only serials avoid it
    ],
)
def test_it_accepts_valid_plates(typed, canonical):
    assert clean_plate(typed) == canonical


@pytest.mark.parametrize(
    ("typed", "code"),
    [
        ("", "required"),
        ("T12345", "province"),  # no province
        ("A冀12345", "province"),
        ("冀T1234", "invalid"),  # four characters
        ("冀T1234567", "invalid"),
        ("冀TI2345", "letter_i_o"),  # I in the serial
        ("冀T0O123", "letter_i_o"),  # O in the serial
        ("冀IT2345", "letter_i_o"),  # I is no office letter
        ("冀TABC12", "too_many_letters"),
        ("冀TX12345", "invalid"),  # six characters starting with a letter that is no new-energy mark
        ("冀T12345X", "invalid"),  # large new-energy ends in D or F only
        ("冀T123学", "invalid"),
        ("使12345", "invalid"),
        ("冀T12345678901", "too_long"),
        ("WJ0112345", "province"),  # armed police plates are not the traffic police's
    ],
)
def test_it_rejects_invalid_plates_naming_the_field(typed, code):
    with pytest.raises(ActionError) as err:
        clean_plate(typed, field="b_plate")
    assert err.value.field == "b_plate"
    assert err.value.code == code
    assert err.value.message


def test_it_rejects_non_text():
    with pytest.raises(ActionError) as err:
        clean_plate(12345)
    assert err.value.field == "plate"
