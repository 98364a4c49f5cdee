"""What stored text may contain, and the Han characters a name may be written in.

Text reaches the platform pasted from web pages, chat apps and word processors, which carry
characters nobody sees: bidi controls that make "张三" display as something else in a list or a
PDF (the "Trojan Source" trick), zero-width spaces that make two equal-looking names compare
unequal and a search miss. They are removed before anything is stored. Control characters, by
contrast, never come from a keyboard: they mean a binary file or a forged request, and PostgreSQL
refuses NUL outright, so they are refused with a message rather than silently changed.

Names are written in any CJK ideograph GB 18030-2022 requires, not only the 20,902 of the basic
block (U+4E00–U+9FA5) that older systems check for: 王㛃 (U+36C3, Extension A), 张䶮 (U+4DAE,
Extension A), 李𠮷 (U+20BB7, Extension B) are real people's names.
"""

import re
import unicodedata

#: Bidirectional controls: embeddings and overrides (U+202A–U+202E), isolates (U+2066–U+2069),
#: the marks LRM, RLM (U+200E, U+200F) and the Arabic letter mark (U+061C).
BIDI_CONTROLS = frozenset(
    [chr(c) for c in range(0x202A, 0x202F)] + [chr(c) for c in range(0x2066, 0x206A)] + ["\u200e", "\u200f", "\u061c"]
)
#: Zero-width characters: space, non-joiner, joiner (U+200B–U+200D), word joiner (U+2060) and the
#: byte-order mark / zero-width no-break space (U+FEFF). Variation selectors (U+FE00–U+FE0F,
#: U+E0100–U+E01EF) are kept: an ideographic variation sequence picks the glyph of a name's character.
ZERO_WIDTH = frozenset(["\u200b", "\u200c", "\u200d", "\u2060", "\ufeff"])
INVISIBLE = BIDI_CONTROLS | ZERO_WIDTH
_REMOVE_INVISIBLE = str.maketrans(dict.fromkeys(INVISIBLE))

#: The CJK ideograph blocks, as a regular-expression character class body: 〇 (U+3007), Extension A,
#: the basic block, the compatibility ideographs, and planes 2 and 3 whole (Extensions B–J and the
#: compatibility supplement: Unicode reserves both planes for ideographs, so a character of an
#: extension newer than this Python's Unicode tables is accepted too).
HAN = "\u3007\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0002fffd\U00030000-\U0003fffd"
#: Separator in the transliterated names of minorities (阿依古丽·买买提): the middle dot U+00B7.
NAME_SEPARATOR = "·"
#: A personal name: Han ideographs, possibly in parts joined by the middle dot, or a Latin-letter name.
PERSON_NAME = re.compile(rf"[{HAN}]+(?:{NAME_SEPARATOR}[{HAN}]+)*|[A-Za-z][A-Za-z .'-]*")


def is_han(char: str) -> bool:
    """Whether `char` is a CJK ideograph of any block."""
    return re.fullmatch(f"[{HAN}]", char) is not None


def normalise(value: str) -> str:
    """`value` as it is stored: line breaks as \\n (browsers send \\r\\n from a textarea), bidi
    controls and zero-width characters removed, NFC (so a name typed with a combining accent equals
    the precomposed one; CJK compatibility ideographs become the unified character they duplicate),
    surrounding whitespace stripped."""
    value = value.replace("\r\n", "\n").replace("\r", "\n").translate(_REMOVE_INVISIBLE)
    return unicodedata.normalize("NFC", value).strip()


def forbidden_character(value: str) -> str | None:
    """The first character stored text may not contain, or None: C0 controls other than tab and the
    line breaks (which `normalise` turns into \\n), DEL, C1 controls, and lone surrogates (a JSON
    body may carry "\\ud800", which no database can encode)."""
    for char in value:
        code = ord(char)
        if (code < 0x20 and char not in "\t\n\r") or 0x7F <= code <= 0x9F or 0xD800 <= code <= 0xDFFF:
            return char
    return None
