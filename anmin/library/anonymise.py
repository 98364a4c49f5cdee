"""Personal data that must not reach a published typical case (个人信息保护法; 公开前脱敏).

A typical case is read by every officer of the bureau, far beyond the people who handled it, so the
text must not identify anyone. Three kinds of data are machine-detectable and are refused outright:
居民身份证号码 (18 digits per GB 11643, or the 15-digit first generation), mobile numbers
(1[3-9] + 9 digits, also written 138-1234-5678 or 138 1234 5678), and vehicle plates in the GA 36
format (province abbreviation + office letter + 5 characters, new-energy 6: 冀T12345, 冀TD12345).
Names, addresses and workplaces cannot be found reliably by a pattern: they stay the author's
responsibility (write 王某, 某小区).

`find_personal_data()` reports what it found, masked; `anonymise()` replaces it with placeholders.
Detection errs towards refusing: any 18-character run of digits (last one may be X) counts as an ID
number even if its check digit is wrong, because a mistyped ID number still identifies a person.
"""

import re
from dataclasses import dataclass

from django.db import models
from django.utils.translation import gettext_lazy as _

from anmin.core.masking import mask_phone

# Full-width digits and letters (０-９, Ａ-Ｚ, ａ-ｚ) and the ideographic space are folded to ASCII one
# character for one, so positions found in the folded text are positions in the original.
_FOLD = str.maketrans({**{chr(0xFF01 + i): chr(0x21 + i) for i in range(94)}, "\u3000": " "})

_PROVINCES = "京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼使领"
_LETTER = "A-HJ-NP-Z"  # GA 36 plates use no I or O

_ID_NUMBER = re.compile(r"(?<![0-9])(?:[0-9]{17}[0-9Xx]|[0-9]{15})(?![0-9Xx])")
_MOBILE = re.compile(r"(?<![0-9])1[3-9][0-9][ -]?[0-9]{4}[ -]?[0-9]{4}(?![0-9])")
_PLATE = re.compile(
    rf"[{_PROVINCES}][{_LETTER}][·•.\- ]?"
    rf"(?:[DF][{_LETTER}0-9]{{5}}|[0-9]{{5}}[DF]|[{_LETTER}0-9]{{4}}[{_LETTER}0-9挂学警港澳领试超])"
    r"(?![A-Za-z0-9])",
    re.IGNORECASE,
)


class Kind(models.TextChoices):
    ID_NUMBER = "id_number", _("身份证号")
    MOBILE = "mobile", _("手机号")
    PLATE = "plate", _("车牌号")


#: What replaces each kind in `anonymise()`; none of them contains a digit, so the result passes.
PLACEHOLDERS = {
    Kind.ID_NUMBER: "身份证号[已隐去]",
    Kind.MOBILE: "手机号[已隐去]",
    Kind.PLATE: "车牌号[已隐去]",
}


@dataclass(frozen=True)
class Finding:
    kind: Kind
    start: int
    end: int
    text: str

    @property
    def masked(self) -> str:
        """Shown in the refusal so the author can find it, without repeating the data in full."""
        digits = re.sub(r"[ \-·•.]", "", self.text.translate(_FOLD))
        if self.kind == Kind.ID_NUMBER:
            # As anmin.core.masking: a 15-digit number keeps only 3 at the end (4 would show the
            # last digit of the birth date).
            tail = 3 if len(digits) == 15 else 4
            return digits[:6] + "*" * (len(digits) - 6 - tail) + digits[-tail:]
        if self.kind == Kind.MOBILE:
            return mask_phone(digits)
        return digits[:2] + "*" * (len(digits) - 3) + digits[-1:]

    def as_dict(self) -> dict:
        return {"kind": self.kind.value, "label": str(self.kind.label), "masked": self.masked}


def find_personal_data(text: str) -> list[Finding]:
    """ID numbers, mobile numbers and plates in `text`, in order of position, never overlapping."""
    if not text:
        return []
    folded = text.translate(_FOLD)
    found: list[Finding] = []
    taken: list[tuple[int, int]] = []
    # ID numbers first: an 18-digit number must not also be reported as the mobile number inside it.
    for kind, pattern in ((Kind.ID_NUMBER, _ID_NUMBER), (Kind.MOBILE, _MOBILE), (Kind.PLATE, _PLATE)):
        for m in pattern.finditer(folded):
            if any(m.start() < end and start < m.end() for start, end in taken):
                continue
            taken.append((m.start(), m.end()))
            found.append(Finding(kind, m.start(), m.end(), text[m.start() : m.end()]))
    return sorted(found, key=lambda f: f.start)


def anonymise(text: str) -> str:
    """`text` with every ID number, mobile number and plate replaced by a placeholder such as
    身份证号[已隐去]. Idempotent: anonymising twice changes nothing more."""
    out, pos = [], 0
    for f in find_personal_data(text):
        out.append(text[pos : f.start])
        out.append(PLACEHOLDERS[f.kind])
        pos = f.end
    out.append(text[pos:])
    return "".join(out)
