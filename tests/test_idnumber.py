"""居民身份证号码 (GB 11643-1999): checking, upgrading 15-digit numbers, reading, masking.

Valid numbers are built here with a check character computed by this module's own MOD 11-2, written from
the weights table of GB 11643-1999 rather than from stdnum's base-13 shortcut, so that the code under test
is checked against an independent implementation. That implementation is itself checked against the
standard's own example, 11010519491231002X.
"""

import re
from datetime import date

import pytest
from django.utils import timezone, translation

from anmin.core.errors import ActionError
from anmin.core.idnumber import Sex, birth_date, clean_id_number, division_code, division_name, sex
from anmin.core.masking import mask_id_number

#: Weights W_i = 2^(17-i) mod 11 for the 17 digits, and the check character for each remainder (GB 11643-1999).
WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
CHECK_FOR_REMAINDER = "10X98765432"

TODAY = date(2024, 6, 15)
CJK = re.compile(r"[\u4e00-\u9fff]")


def check_character(body: str) -> str:
    """ISO 7064 MOD 11-2 check character of a 17-digit body."""
    assert len(body) == 17 and body.isdigit()
    return CHECK_FOR_REMAINDER[sum(int(digit) * weight for digit, weight in zip(body, WEIGHTS, strict=True)) % 11]


def valid(body: str) -> str:
    """A complete, correctly checked number for a 17-digit body."""
    return body + check_character(body)


def wrong_check(number: str) -> str:
    """The same number with some other check character."""
    return number[:17] + next(char for char in "0123456789X" if char != number[17])


def clean_error(value: str, *, field: str = "id_number", today: date = TODAY) -> ActionError:
    with translation.override("zh-hans"), pytest.raises(ActionError) as info:
        clean_id_number(value, field=field, today=today)
    return info.value


# Real Hengshui division codes (GB/T 2260): 桃城区, 冀州区, 枣强县, 深州市, and 冀州市 (abolished 2016).
VALID_BODIES = [
    "13110219900101123",
    "13110319850615204",
    "13112119720308311",
    "13118220001231400",
    "13118119680707116",
    "13110219900101114",  # check character X
]


# --- the independent implementation ----------------------------------------------------------------


def test_its_reference_implementation_matches_the_example_in_gb_11643():
    assert check_character("11010519491231002") == "X"


def test_its_test_data_includes_a_number_ending_in_x():
    assert any(check_character(body) == "X" for body in VALID_BODIES)


# --- valid numbers --------------------------------------------------------------------------------


@pytest.mark.parametrize("body", VALID_BODIES)
def test_it_accepts_valid_numbers(body):
    number = valid(body)
    assert clean_id_number(number, today=TODAY) == number


def test_it_accepts_the_example_in_gb_11643():
    assert clean_id_number("11010519491231002X", today=TODAY) == "11010519491231002X"


@pytest.mark.parametrize("body", VALID_BODIES)
def test_it_is_idempotent(body):
    number = clean_id_number(valid(body), today=TODAY)
    assert clean_id_number(number, today=TODAY) == number


def test_it_upper_cases_a_trailing_x():
    assert clean_id_number("13110219900101114x", today=TODAY) == "13110219900101114X"


@pytest.mark.parametrize(
    "typed",
    [
        " 131102199001011238 ",
        "131102 19900101 1238",
        "131102\t19900101123 8\n",
        "131102\u300019900101123 8",  # full-width space, as a Chinese input method types it
        "１３１１０２１９９００１０１１２３８",  # full-width digits
    ],
)
def test_it_strips_spaces_and_folds_full_width_characters(typed):
    assert clean_id_number(typed, today=TODAY) == "131102199001011238"


@pytest.mark.parametrize(
    "body",
    [
        "13118119680707116",  # 冀州市, abolished in 2016 when it became 冀州区: people still carry the number
        "11010319700101123",  # 崇文区 of Beijing, merged away in 2010
        "13110219500101123",  # 桃城区 only exists since 1996; the number was assigned long after this birth
        "13110319900101123",  # 冀州区 (2016-), likewise
        "81000019800101123",  # Hong Kong residence permit (810000 in the table only since 1997)
        "83000019800101123",  # Taiwan residence permit: not in GB/T 2260, assigned like a division code
    ],
)
def test_it_accepts_division_codes_that_did_not_exist_at_birth_or_no_longer_exist(body):
    number = valid(body)
    assert clean_id_number(number, today=TODAY) == number


@pytest.mark.parametrize(
    ("digits", "today"),
    [
        ("20000229", TODAY),  # a leap day
        ("19000101", TODAY),  # the earliest the standard can express
        ("20240615", date(2024, 6, 15)),  # born today
    ],
)
def test_it_accepts_edge_birth_dates(digits, today):
    number = valid(f"131102{digits}123")
    assert clean_id_number(number, today=today) == number


# --- 15-digit first-generation numbers ----------------------------------------------------------


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("110105491231002", "11010519491231002X"),  # the pair given in GB 11643-1999
        ("131102900101123", valid("13110219900101123")),
        ("131121720308311", valid("13112119720308311")),
        ("131181680707116", valid("13118119680707116")),
    ],
)
def test_it_upgrades_15_digit_numbers(old, new):
    assert new == old[:6] + "19" + old[6:] + check_character(old[:6] + "19" + old[6:])
    upgraded = clean_id_number(old, today=TODAY)
    assert upgraded == new
    assert clean_id_number(upgraded, today=TODAY) == upgraded


@pytest.mark.parametrize(
    ("old", "code"),
    [
        ("131102990230123", "birth_date"),
        ("131102991301123", "birth_date"),
        ("999999900101123", "division"),
        ("13110290010112X", "format"),  # 15-digit numbers have no check character
    ],
)
def test_it_checks_15_digit_numbers_too(old, code):
    assert clean_error(old).code == code


# --- invalid numbers -----------------------------------------------------------------------------


@pytest.mark.parametrize("body", VALID_BODIES)
def test_it_rejects_a_wrong_check_character(body):
    number = valid(body)
    error = clean_error(wrong_check(number))
    assert error.code == "check_digit"


@pytest.mark.parametrize("body", VALID_BODIES)
def test_it_does_not_reveal_the_expected_check_character(body):
    number = valid(body)
    message = clean_error(wrong_check(number)).message
    # The message holds no characters of the number at all, so not the expected one either.
    assert not set(message) & set("0123456789X")


@pytest.mark.parametrize("digits", ["19990230", "19990229", "19991301", "19990001", "19990100", "19990432"])
def test_it_rejects_impossible_birth_dates(digits):
    error = clean_error(valid(f"131102{digits}123"))
    assert error.code == "birth_date"
    assert digits in error.message


@pytest.mark.parametrize("digits", ["20240616", "20250101", "29991231"])
def test_it_rejects_birth_dates_in_the_future(digits):
    assert clean_error(valid(f"131102{digits}123"), today=TODAY).code == "birth_date"


def test_it_takes_today_from_the_time_zone_by_default():
    tomorrow = timezone.localdate().toordinal() + 1
    digits = date.fromordinal(tomorrow).strftime("%Y%m%d")
    with pytest.raises(ActionError) as info:
        clean_id_number(valid(f"131102{digits}123"))
    assert info.value.code == "birth_date"


@pytest.mark.parametrize("digits", ["18991231", "18800101", "00010101"])
def test_it_rejects_birth_dates_before_1900(digits):
    assert clean_error(valid(f"131102{digits}123")).code == "birth_date"


@pytest.mark.parametrize(
    "division",
    [
        "999999",
        "000000",
        "131199",  # a province stdnum knows but a county it does not
        "990101",
        "840000",  # the residence-permit series stops at 830000
    ],
)
def test_it_rejects_unknown_division_codes(division):
    error = clean_error(valid(f"{division}19900101123"))
    assert error.code == "division"
    assert division in error.message


@pytest.mark.parametrize(
    "value",
    [
        "",
        "   ",
        "123",
        "1311021990010112",  # 16
        "13110219900101123",  # 17
        "1311021990010112388",  # 19
        "13110219900101123A",
        "1311021990010112X8",  # X only as the last character
        "X31102199001011238",
        "131102-19900101-1238",
        "131102199001011a38",
        "١٣١١٠٢١٩٩٠٠١٠١١٢٣٨",  # Arabic-Indic digits are digits to Python, not to GB 11643
        "13110219900101",
    ],
)
def test_it_rejects_wrong_length_or_characters(value):
    assert clean_error(value).code == "format"


def test_it_rejects_a_value_that_is_not_text():
    assert clean_error(131102199001011238).code == "format"


BAD_INPUTS = [
    ("13110219900101123", "format"),
    ("13110219900101123Y", "format"),
    (valid("99999919900101123"), "division"),
    (valid("13110219990230123"), "birth_date"),
    (valid("13110218991231123"), "birth_date"),
    (valid("13110220990101123"), "birth_date"),
    (wrong_check(valid("13110219900101123")), "check_digit"),
]


@pytest.mark.parametrize(("value", "code"), BAD_INPUTS)
def test_it_names_the_given_field_and_explains_in_chinese(value, code):
    error = clean_error(value, field="suspect_id_number")
    assert error.code == code
    assert error.field == "suspect_id_number"
    assert CJK.search(error.message)
    assert error.as_dict() == {"field": "suspect_id_number", "message": error.message, "code": code}


def test_it_uses_id_number_as_the_default_field():
    assert clean_error("123").field == "id_number"


# --- reading a number -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("number", "expected"),
    [
        (valid("13110219900101123"), date(1990, 1, 1)),
        ("11010519491231002X", date(1949, 12, 31)),
        ("110105491231002", date(1949, 12, 31)),
        (valid("13118220001231400"), date(2000, 12, 31)),
    ],
)
def test_it_reads_the_birth_date(number, expected):
    assert birth_date(number) == expected


@pytest.mark.parametrize(
    ("sequence", "expected"),
    [("121", Sex.MALE), ("123", Sex.MALE), ("129", Sex.MALE), ("120", Sex.FEMALE), ("114", Sex.FEMALE)],
)
def test_it_reads_sex_from_the_17th_digit(sequence, expected):
    assert sex(valid(f"13110219900101{sequence}")) == expected


def test_it_reads_sex_as_plain_strings():
    assert sex("11010519491231002X") == "female"
    assert sex(valid("13110219900101123")) == "male"
    assert sex("110105491231002") == "female"  # 15 digits: the last digit is the sequence's last


@pytest.mark.parametrize(
    ("body", "code", "parts"),
    [
        ("13110219900101123", "131102", ["河北省", "衡水市", "桃城区"]),
        ("13110319900101123", "131103", ["衡水市", "冀州区"]),
        ("13118119680707116", "131181", ["衡水市", "冀州市"]),
        ("13112119720308311", "131121", ["枣强县"]),
        ("11010519491231002", "110105", ["北京市", "朝阳区"]),
        ("81000019800101123", "810000", ["香港特别行政区"]),
    ],
)
def test_it_reads_the_division(body, code, parts):
    number = valid(body)
    assert division_code(number) == code
    name = division_name(number)
    for part in parts:
        assert part in name


def test_it_names_a_renamed_division_by_its_latest_name():
    # 130502 was 桥东区 of 邢台 until 2019 and is 襄都区 since 2020.
    assert division_name(valid("13050219900101123")).endswith("襄都区")


def test_it_leaves_grouping_rows_out_of_division_names():
    assert division_name(valid("11010019900101123")) == "北京市"  # 110100 市辖区
    assert division_name(valid("46900119900101123")) == "海南省五指山市"  # 469000 省直辖县级行政单位


def test_it_gives_an_empty_name_for_an_unknown_division():
    assert division_name(valid("99999919900101123")) == ""


def test_it_reads_a_15_digit_number_as_upgraded():
    assert division_code("131102900101123") == "131102"
    assert birth_date("131102900101123") == date(1990, 1, 1)


@pytest.mark.parametrize("reader", [birth_date, sex, division_code, division_name])
def test_it_refuses_to_read_what_is_not_a_number_without_echoing_it(reader):
    with pytest.raises(ValueError) as info:
        reader("13110219900101")
    assert "13110219900101" not in str(info.value)


# --- masking --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("number", "masked"),
    [
        ("13110219900101123X", "131102********123X"),
        ("131102199001011238", "131102********1238"),
        ("131102900101123", "131102******123"),  # 15 digits: the birth date is 6 digits, then 3 of sequence
        ("13110219900101123", "131102*******1123"),  # 17: a typo, masked like a full number
        ("", ""),
        ("12345", "***45"),
        ("1234", "****"),
        ("1", "*"),
        ("1311021990", "********90"),
    ],
)
def test_it_masks_id_numbers(number, masked):
    assert mask_id_number(number) == masked


@pytest.mark.parametrize(
    ("number", "birth_digits"),
    [(valid(body), slice(6, 14)) for body in VALID_BODIES] + [("131102900101123", slice(6, 12))],
)
def test_it_masks_exactly_the_birth_date(number, birth_digits):
    masked = mask_id_number(number)
    assert len(masked) == len(number)
    assert set(masked[birth_digits]) == {"*"}
    assert masked.replace("*", "") == number[: birth_digits.start] + number[birth_digits.stop :]
