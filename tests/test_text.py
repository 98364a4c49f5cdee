"""Stored text: one validator for every entry point; invisible characters removed, controls refused,
NFC, and names in every CJK ideograph block kept exactly."""

import unicodedata

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from anmin.citizens.actions import VerifyRealName
from anmin.citizens.models import Citizen
from anmin.core.errors import ActionError
from anmin.core.text import BIDI_CONTROLS, INVISIBLE, PERSON_NAME, ZERO_WIDTH, forbidden_character, is_han
from anmin.core.validation import clean_text
from anmin.incidents.actions import clean_call
from anmin.library.actions import _text as library_text

#: GB 18030-2022 names: 㛃 U+36C3 and 䶮 U+4DAE (Extension A), 𠮷 U+20BB7 (Extension B).
RARE_NAMES = ("王㛃", "张䶮", "李𠮷")
WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)


def id_number(body: str) -> str:
    """A 居民身份证号码 with its ISO 7064 MOD 11-2 check character."""
    return body + "10X98765432"[sum(int(d) * w for d, w in zip(body, WEIGHTS, strict=True)) % 11]


def test_it_strips_bidi_controls_and_zero_width_characters():
    for char in sorted(INVISIBLE):
        assert clean_text(f"张{char}三", "name", "姓名", 30, required=True) == "张三"
    # the "Trojan Source" shape: an override that makes the text display reversed
    assert clean_text("\u202e三张\u202c", "name", "姓名", 30, required=True) == "三张"
    assert BIDI_CONTROLS >= {"\u202a", "\u202e", "\u2066", "\u2069", "\u200e", "\u200f", "\u061c"}
    assert ZERO_WIDTH == {"\u200b", "\u200c", "\u200d", "\u2060", "\ufeff"}


def test_it_rejects_a_value_that_is_only_invisible_characters_when_required():
    with pytest.raises(ActionError) as caught:
        clean_text("\u200b\u202e \ufeff", "address", "地址", 200, required=True)
    assert caught.value.field == "address" and caught.value.code == "required"


@pytest.mark.parametrize("char", ["\x00", "\x01", "\x1b", "\x1f", "\x7f", "\x85", "\x9f", "\ud800", "\udfff"])
def test_it_rejects_control_characters_and_lone_surrogates(char):
    with pytest.raises(ActionError) as caught:
        clean_text(f"人民路{char}100号", "address", "地址", 200, required=True)
    assert caught.value.field == "address"
    assert caught.value.code == "forbidden_character"
    assert "地址" in caught.value.message


def test_it_keeps_tabs_and_line_breaks_as_line_feeds():
    assert clean_text("一\r\n二\r三\n四\t五", "summary", "案情", 100, required=False) == "一\n二\n三\n四\t五"


def test_it_normalises_to_nfc():
    assert clean_text("Jose\u0301", "name", "姓名", 30, required=True) == "José"
    # a CJK compatibility ideograph becomes the unified character it duplicates
    assert clean_text("\uf900", "name", "姓名", 30, required=True) == "\u8c48"


def test_it_keeps_ideographic_variation_selectors():
    # 葛 with an ideographic variation selector: the glyph a family registers its name in
    name = "\u845b\U000e0100"
    assert clean_text(name, "name", "姓名", 30, required=True) == name


def test_it_counts_a_supplementary_ideograph_as_one_character():
    assert clean_text("𠮷" * 30, "name", "姓名", 30, required=True) == "𠮷" * 30
    with pytest.raises(ActionError) as caught:
        clean_text("𠮷" * 31, "name", "姓名", 30, required=True)
    assert caught.value.code == "too_long" and caught.value.field == "name"


def test_it_rejects_values_that_are_not_text():
    for value in (1, 2.5, ["张三"], {"a": 1}, b"abc"):
        with pytest.raises(ActionError) as caught:
            clean_text(value, "name", "姓名", 30, required=True)
        assert caught.value.field == "name"


#: Characters that exercise every branch: invisible ones, controls, line breaks, a combining accent.
MESSY = st.text(alphabet=st.sampled_from(sorted(INVISIBLE) + list("张三𠮷 \t\r\n\x00\x85e\u0301")))


@settings(max_examples=300, deadline=None)
@given(st.one_of(st.text(), MESSY, st.none()))
def test_any_text_is_refused_naming_its_field_or_stored_clean(value):
    try:
        cleaned = clean_text(value, "description", "简要警情", 20, required=False)
    except ActionError as error:
        assert error.field == "description"
        assert error.message
        return
    assert not INVISIBLE & set(cleaned)
    assert forbidden_character(cleaned) is None and "\r" not in cleaned
    assert cleaned == cleaned.strip()
    assert unicodedata.is_normalized("NFC", cleaned)
    assert len(cleaned) <= 20
    assert clean_text(cleaned, "description", "简要警情", 20, required=False) == cleaned  # idempotent


@pytest.mark.parametrize("char", ["〇", "㐀", "㛃", "䶮", "䶿", "一", "鿿", "豈", "𠀀", "𠮷", "𪛖", "𫝀", "𰀀", "𱍐"])
def test_every_ideograph_block_is_han(char):
    assert is_han(char)


@pytest.mark.parametrize("char", ["A", "1", "·", "、", "ア", "한", "\u2f00"])
def test_other_characters_are_not_han(char):
    assert not is_han(char)


@pytest.mark.parametrize("name", [*RARE_NAMES, "阿依古丽·买买提", "John Smith", "刘䶮"])
def test_it_accepts_names_in_any_ideograph_block(name):
    assert PERSON_NAME.fullmatch(name)


@pytest.mark.parametrize("name", ["张3", "·张三", "张三·", "张三<script>", "张 三"])
def test_it_rejects_names_that_are_not_names(name):
    assert not PERSON_NAME.fullmatch(name)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("name", "body"),
    list(zip(RARE_NAMES, ("13110219900101001", "13110219900101002", "13110219900101003"), strict=True)),
)
def test_rare_names_verify_and_round_trip_through_the_database(name, body):
    citizen = Citizen.objects.create(phone="13800002222")
    VerifyRealName(citizen=citizen, name=f"\u200b{name} ", id_number=id_number(body)).execute()
    citizen.refresh_from_db()
    assert citizen.name == name
    assert Citizen.objects.filter(name=name).get() == citizen
    assert Citizen.objects.filter(name__startswith=name[0], name__endswith=name[-1]).count() == 1


@pytest.mark.django_db
def test_it_still_refuses_a_one_character_name():
    citizen = Citizen.objects.create(phone="13800002222")
    with pytest.raises(ActionError) as caught:
        VerifyRealName(citizen=citizen, name="𠮷", id_number=id_number("13110219900101001")).execute()
    assert caught.value.field == "name"


@pytest.mark.django_db
def test_intake_uses_the_one_validator(city, call_data):
    data = clean_call({**call_data, "address": "\u202e人民路\u200b100号 ", "caller_name": "李𠮷"})
    assert data.address == "人民路100号" and data.caller_name == "李𠮷"
    with pytest.raises(ActionError) as caught:
        clean_call({**call_data, "description": "a\x00b"})
    assert caught.value.field == "description" and caught.value.code == "forbidden_character"


def test_the_library_uses_the_one_validator():
    assert library_text("\u2066入室盗窃\u2069", "title", 120, required=True) == "入室盗窃"
    with pytest.raises(ActionError) as caught:
        library_text("x\x07", "summary", 100)
    assert caught.value.field == "summary" and "案情" in caught.value.message
