"""机动车号牌号码 (motor-vehicle plate numbers) after GA 36-2018 《中华人民共和国机动车号牌》.

    冀 T 12345      province abbreviation + 发牌机关代号 (issuing office letter) + 5-character serial
    冀 T D12345     小型新能源汽车: serial of 6, first D (纯电动) or F (非纯电动) — since 2021 also the
                    expansion letters A B C E G H J K — then a letter or digit, then four digits
    冀 T 12345D     大型新能源汽车: five digits, then D or F
    冀 T 1234学     教练 (学), 警用 (警), 挂车 (挂), 领馆 (领), 港/澳 入出境: four characters and the suffix
    使 123456       使馆汽车: 使 and six digits (three for the embassy, three for the vehicle)

Serial letters never include I or O (they read as 1 and 0); an ordinary serial holds at most two
letters (号牌号码 chosen by the owner are limited to two). Military and armed-police plates (军/WJ) are
not issued by the traffic police and are refused here.
"""

import re
import unicodedata

from django.utils.translation import gettext as _

from anmin.core.errors import ActionError

PROVINCES = "京津冀晋蒙辽吉黑沪苏浙皖闽赣鲁豫鄂湘粤桂琼渝川贵云藏陕甘青宁新"
_LETTER = "A-HJ-NP-Z"  # no I, no O
_OFFICE = f"[{PROVINCES}][A-HJ-Z]"  # 发牌机关代号: A–Z without I (粤O, 京O are real offices)
_SERIAL_CHAR = f"[{_LETTER}0-9]"

ORDINARY = re.compile(rf"{_OFFICE}{_SERIAL_CHAR}{{5}}")
NEW_ENERGY_SMALL = re.compile(rf"{_OFFICE}[ABCDEFGHJK]{_SERIAL_CHAR}[0-9]{{4}}")
NEW_ENERGY_LARGE = re.compile(rf"{_OFFICE}[0-9]{{5}}[DF]")
SUFFIXED = re.compile(rf"{_OFFICE}{_SERIAL_CHAR}{{4}}[学警挂领港澳]")
EMBASSY = re.compile(r"使[0-9]{6}")

_SEPARATORS = re.compile(r"[\s·•．.\-_]")


def clean_plate(value, field: str = "plate") -> str:
    """The plate number in its canonical form (冀T12345: upper case, half-width, no separators), or
    ActionError naming `field`."""
    if value is None or (isinstance(value, str) and not value.strip()):
        raise ActionError(_("请填写号牌号码"), field=field, code="required")
    if not isinstance(value, str):
        raise ActionError(_("号牌号码应为文本"), field=field)
    # NFKC turns full-width Ａ１ (typed with a Chinese input method) into A1.
    plate = _SEPARATORS.sub("", unicodedata.normalize("NFKC", value)).upper()
    if len(plate) > 10:
        raise ActionError(_("号牌号码过长"), field=field, code="too_long")
    if plate[:1] not in PROVINCES and not plate.startswith("使"):
        raise ActionError(
            _("号牌号码应以省份简称开头，如 冀T12345（%(value)s）") % {"value": plate}, field=field, code="province"
        )
    if "I" in plate[1:] or "O" in plate[2:]:
        raise ActionError(
            _("号牌序号中不使用字母 I 和 O，请核对是否为数字 1 或 0（%(value)s）") % {"value": plate},
            field=field,
            code="letter_i_o",
        )
    if NEW_ENERGY_SMALL.fullmatch(plate) or NEW_ENERGY_LARGE.fullmatch(plate) or SUFFIXED.fullmatch(plate):
        return plate
    if EMBASSY.fullmatch(plate):
        return plate
    if ORDINARY.fullmatch(plate):
        if sum(c.isalpha() for c in plate[2:]) > 2:
            raise ActionError(
                _("号牌序号最多含两个字母（%(value)s）") % {"value": plate}, field=field, code="too_many_letters"
            )
        return plate
    raise ActionError(
        _(
            "号牌号码格式不正确（%(value)s）：应为省份简称 + 发牌机关字母 + 5 位序号，新能源 6 位，"
            "如 冀T12345、冀TD12345"
        )
        % {"value": plate},
        field=field,
        code="invalid",
    )
