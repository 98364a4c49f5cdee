"""居民身份证号码 (resident identity card number, GB 11643-1999 公民身份号码): checking and reading one.

Persons involved in a case (嫌疑人/被害人/证人) are identified by this number, so a wrong one links the
wrong person to a case. An 18-character number is

    131102 19900101 123 8
    │      │        │   └ check character, ISO 7064 MOD 11-2 over the first 17 digits: 0-9 or X (= 10)
    │      │        └ sequence code; its last digit (the 17th of the number) is odd for men, even for women
    │      └ birth date YYYYMMDD
    └ address code: the county-level administrative division (GB/T 2260) where the number was first assigned

First-generation numbers (一代证, issued from 1984) have 15 digits: a two-digit year of the 1900s and no check
character. GB 11643-1999 upgrades them by inserting "19" before the year and appending the check character.

Division codes come from python-stdnum's GB/T 2260 table (``stdnum/cn/loc.dat``), but we do not call
``stdnum.cn.ric.validate``: it rejects a number whose birth year falls outside the years the county existed,
and the county only has to exist when the number is *assigned*, which is usually years after birth (everyone
alive in 1999 got an 18-digit number then). stdnum would reject 131102 (桃城区, created 1996) for everyone in
Taocheng born before 1996, and every Hong Kong residence permit (810000, "1997-") of a person born before 1997.
So a code is accepted if the table knows it in any period, including abolished counties, whose numbers people
still carry.
"""

import re
import unicodedata
from dataclasses import dataclass
from datetime import date
from functools import lru_cache

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from stdnum import numdb
from stdnum.cn import ric

from anmin.core.errors import ActionError

# [0-9] rather than \d: \d also matches other scripts' digits, such as Arabic-Indic "١".
_SHAPE_18 = re.compile(r"[0-9]{17}[0-9X]")
_SHAPE_15 = re.compile(r"[0-9]{15}")

#: GB 11643-1999 itself allows older years (its example 440524188001010014 was born in 1880), but nobody alive
#: was born before 1900, so such a date in a case file is a typo. 15-digit numbers are all of the 1900s.
_EARLIEST_BIRTH = date(1900, 1, 1)

#: Codes that GB/T 2260 does not list but that are assigned like division codes. 830000 is used for Taiwan
#: residents' residence permits (港澳台居民居住证申领发放办法, 2018), which carry a number of this same form;
#: Hong Kong (810000) and Macao (820000) are in stdnum's table already.
_EXTRA_DIVISIONS = {"830000": "台湾地区"}

#: Grouping rows of GB/T 2260 that are not place names: 市辖区 (all districts of a city, 130101 or Beijing's
#: 110100), 县 (Beijing's counties, 110200) and 省直辖县级行政单位 (429000, 469000 and the like).
_PLACEHOLDERS = frozenset({"市辖区", "县"})


def _is_placeholder(name: str) -> bool:
    return name in _PLACEHOLDERS or "直辖" in name


class Sex(models.TextChoices):
    """Sex as recorded in the number: the 17th digit is odd for men and even for women (GB 11643-1999 顺序码)."""

    MALE = "male", gettext_lazy("男")
    FEMALE = "female", gettext_lazy("女")


def clean_id_number(value: str, *, field: str = "id_number", today: date | None = None) -> str:
    """Check a 居民身份证号码 as typed and return it as 18 characters with an upper-case X.

    Spaces are removed (also full-width ones, and full-width digits are folded to ASCII, as Chinese input
    methods produce them). A 15-digit first-generation number is upgraded to 18 digits as GB 11643-1999
    prescribes. Raises ``ActionError(field=field)`` with one of these codes:

    - ``format``: not 18 characters (17 digits and a digit or X), nor 15 digits;
    - ``division``: the first 6 digits are not a GB/T 2260 administrative division code;
    - ``birth_date``: no such date, or it is before 1900 or after ``today`` (default: today in TIME_ZONE);
    - ``check_digit``: the ISO 7064 MOD 11-2 check character does not match.

    The checks run left to right through the number, so the error points at the first part that is wrong.
    """
    if not isinstance(value, str):
        raise ActionError(_("身份证号码应为文本"), field=field, code="format")
    number = "".join(unicodedata.normalize("NFKC", value).split()).upper()
    if not number:
        raise ActionError(_("请填写身份证号码"), field=field, code="format")
    if _SHAPE_18.fullmatch(number):
        body, given = number[:17], number[17]
    elif _SHAPE_15.fullmatch(number):
        # A 15-digit number has no check character to verify: one is computed for the upgraded form.
        body, given = _upgrade_body(number), None
    elif len(number) not in (15, 18):
        raise ActionError(
            _("身份证号码应为18位（一代证为15位），现为%(length)s位") % {"length": len(number)},
            field=field,
            code="format",
        )
    else:
        raise ActionError(
            _("身份证号码只能由数字组成，18位号码的最后一位可以是X"),
            field=field,
            code="format",
        )

    code = body[:6]
    if _division(code) is None:
        raise ActionError(
            _("身份证号码前6位（%(code)s）不是有效的行政区划代码") % {"code": code},
            field=field,
            code="division",
        )

    digits = body[6:14]
    try:
        born = date(int(digits[:4]), int(digits[4:6]), int(digits[6:]))
    except ValueError:
        raise ActionError(
            _("身份证号码中的出生日期（%(digits)s）不是有效日期") % {"digits": digits},
            field=field,
            code="birth_date",
        ) from None
    if born < _EARLIEST_BIRTH:
        raise ActionError(
            _("身份证号码中的出生日期（%(date)s）早于1900年") % {"date": born.isoformat()},
            field=field,
            code="birth_date",
        )
    if born > (today or timezone.localdate()):
        raise ActionError(
            _("身份证号码中的出生日期（%(date)s）晚于今天") % {"date": born.isoformat()},
            field=field,
            code="birth_date",
        )

    check = _check_character(body)
    if given is not None and given != check:
        # The expected character is deliberately not shown: a clerk told "should end in 7" would fix the last
        # character and save a valid-looking number that still has a mistyped digit somewhere else, i.e. the
        # number of somebody else. The error must send them back to the card.
        raise ActionError(_("身份证号码校验码错误，请对照证件逐位核对"), field=field, code="check_digit")
    return body + check


def birth_date(number: str) -> date:
    """Birth date encoded in a number (digits 7-14, GB 11643-1999 出生日期码). Raises ValueError if there is none."""
    number = _normalized(number)
    return date(int(number[6:10]), int(number[10:12]), int(number[12:14]))


def sex(number: str) -> Sex:
    """Sex encoded in a number: the 17th digit, the last of the sequence code, is odd for men (顺序码)."""
    return Sex.MALE if int(_normalized(number)[16]) % 2 else Sex.FEMALE


def division_code(number: str) -> str:
    """The 6-digit GB/T 2260 address code: where the number was assigned, not where the person lives now."""
    return _normalized(number)[:6]


def division_name(number: str) -> str:
    """Name of the division the number was assigned in, e.g. 河北省衡水市桃城区 for 131102.

    For a code that was renamed this is its latest name, for an abolished county its last one. Returns ""
    for a code the table does not know, so that a page showing an old record never fails on it.
    """
    return _division(division_code(number)) or ""


def _upgrade_body(number15: str) -> str:
    """First 17 digits of the 18-digit form of a 15-digit number: "19" goes in front of the 2-digit year."""
    return number15[:6] + "19" + number15[6:]


def _check_character(body: str) -> str:
    """ISO 7064 MOD 11-2 check character of the 17-digit body, "X" standing for 10 (GB 11643-1999 校验码).

    stdnum's ``calc_check_digit`` expects the whole 18 characters and ignores the last, hence the filler.
    """
    return ric.calc_check_digit(body + "0")


def _normalized(number: str) -> str:
    """The 18-character form of a stored or typed number, for the read-only helpers.

    These helpers do not validate (use clean_id_number for that); they only need the shape. The number is
    not put in the exception message: error messages end up in logs, and this is personal data (PIPL).
    """
    number = "".join(unicodedata.normalize("NFKC", number).split()).upper()
    if _SHAPE_18.fullmatch(number):
        return number
    if _SHAPE_15.fullmatch(number):
        body = _upgrade_body(number)
        return body + _check_character(body)
    raise ValueError("not a resident ID number: expected 18 characters or 15 digits")


@dataclass(frozen=True)
class _Period:
    start: int | None
    end: int | None
    name: str


def _periods(value: str) -> list[_Period]:
    """Parse stdnum's county value: "[1983-2019]桥东区,[2020-]襄都区", or a plain "桃城区" in stdnum 1.x."""
    periods = []
    for item in value.split(","):
        start = end = None
        if item.startswith("["):
            years, item = item[1:].split("]", 1)
            first, _sep, last = years.partition("-")
            start, end = (int(first) if first else None), (int(last) if last else None)
        periods.append(_Period(start, end, item))
    return periods


def _latest_name(value: str) -> str:
    # A period still open ("[1996-]") is the current name; otherwise the one that ended last.
    return max(_periods(value), key=lambda period: period.end or 9999).name


@lru_cache(maxsize=4096)
def _division(code: str) -> str | None:
    """Full name of a GB/T 2260 code (province, prefecture, county), or None if the table does not know it."""
    if code in _EXTRA_DIVISIONS:
        return _EXTRA_DIVISIONS[code]
    props = _table_props(code)
    # stdnum's table has province-only rows too: "131199" matches 河北省 but no county, and is unknown.
    county = props.get("county")
    if not county:
        return None
    county = _latest_name(county)
    if code.endswith("0000"):
        # A province-level code names itself (810000 香港特别行政区); stdnum spells that province row in
        # traditional characters but the county row in simplified ones.
        return county
    # stdnum 1.x stores the prefecture on each row; 2.x has it on the row of the prefecture's own code.
    prefecture = props.get("prefecture")
    if prefecture is None and not code.endswith("00"):
        prefecture = _latest_name(_table_props(code[:4] + "00").get("county", ""))
    parts = [props.get("province", "")]
    if prefecture and prefecture != county and not _is_placeholder(prefecture):
        parts.append(prefecture)
    if not _is_placeholder(county):
        parts.append(county)
    return "".join(parts)


def _table_props(code: str) -> dict[str, str]:
    return {key: value for _part, props in numdb.get("cn/loc").info(code) for key, value in props.items()}
