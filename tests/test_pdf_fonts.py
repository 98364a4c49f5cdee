"""Every PDF the platform renders prints every CJK ideograph of a name: the Chinese font, then the
rare-ideograph fallback fonts, and a logged warning for a character no installed font has."""

import logging
from io import BytesIO

import pytest
from pypdf import PdfReader

from anmin.property import labels
from anmin.property.labels import CjkPdf, find_cjk_font, find_fallback_fonts

#: 㛃 U+36C3 and 䶮 U+4DAE (Extension A), 𠮷 U+20BB7 (Extension B, in Noto), 𪜀 U+2A700 (Extension C,
#: only in the fallback).
NAMES = "王㛃 张䶮 李𠮷 赵𪜀"
#: Extension H (Unicode 15): no font the platform installs has it.
UNDRAWABLE = "\U00031350"


def render(draw) -> bytes:
    pdf = CjkPdf(orientation="P", unit="mm", format="A4")
    pdf.set_title("测试")
    pdf.add_cjk_fonts(find_cjk_font())
    pdf.add_page()
    pdf.set_font("cjk", size=12)
    draw(pdf)
    return bytes(pdf.output())


def fonts_used(content: bytes) -> set[str]:
    reader = PdfReader(BytesIO(content))
    return {
        str(font.get_object()["/BaseFont"]) for page in reader.pages for font in page["/Resources"]["/Font"].values()
    }


def pdf_text(content: bytes) -> str:
    # pypdf reads the 2-byte codes of fpdf2's CFF font (Noto Sans CJK) as single bytes and puts a NUL
    # before each character; the characters, read through the ToUnicode map, are right.
    return "".join(page.extract_text() for page in PdfReader(BytesIO(content)).pages).replace("\x00", "")


def glyph_codes(content: bytes) -> set[int]:
    """The code points the embedded fonts' ToUnicode maps give glyphs for: what a reader can copy out."""
    return {ord(char) for char in pdf_text(content)}


@pytest.fixture(autouse=True)
def _fallbacks_installed():
    if not find_fallback_fonts():
        pytest.fail("fonts-hanazono is not installed: .ci/run installs it")


@pytest.mark.parametrize("how", ["text", "cell", "multi_cell"])
def test_rare_ideographs_are_drawn_and_extractable(how):
    def draw(pdf):
        if how == "text":
            pdf.text(20, 20, NAMES)
        elif how == "cell":
            pdf.cell(0, 10, NAMES)
        else:
            pdf.multi_cell(60, 10, NAMES)

    content = render(draw)
    text = pdf_text(content).replace("\n", "")
    for name in NAMES.split():
        assert name in text
    assert {0x36C3, 0x4DAE, 0x20BB7, 0x2A700} <= glyph_codes(content)
    used = fonts_used(content)
    assert any("NotoSans" in font for font in used)
    assert any("HanaMin" in font for font in used)  # 𪜀 came from the fallback


def test_text_with_fallback_runs_advances_past_each_run():
    # The run after a fallback character starts where that character ends, not on top of it.
    content = render(lambda pdf: pdf.text(20, 20, "赵𪜀之"))
    assert pdf_text(content) == "赵𪜀之"


def test_a_document_without_rare_characters_embeds_only_the_chinese_font():
    used = fonts_used(render(lambda pdf: pdf.cell(0, 10, "张三 110")))
    assert used and all("NotoSans" in font or "WenQuanYi" in font for font in used)


def test_it_logs_a_character_no_font_has_instead_of_dropping_it_silently(caplog):
    with caplog.at_level(logging.WARNING, logger="anmin.property.labels"):
        content = render(lambda pdf: pdf.cell(0, 10, f"王{UNDRAWABLE}"))
    assert content.startswith(b"%PDF")
    warnings = [r.getMessage() for r in caplog.records if r.name == "anmin.property.labels"]
    assert any("U+31350" in message and "测试" in message for message in warnings)


def test_nothing_is_logged_when_every_character_is_drawn(caplog):
    with caplog.at_level(logging.WARNING, logger="anmin.property.labels"):
        render(lambda pdf: pdf.text(20, 20, NAMES))
    assert not [r for r in caplog.records if r.name == "anmin.property.labels"]


def test_it_warns_once_when_the_fallback_fonts_are_missing(caplog):
    labels.find_fallback_fonts.cache_clear()
    try:
        with caplog.at_level(logging.WARNING, logger="anmin.property.labels"):
            assert labels.find_fallback_fonts((("/nonexistent/HanaMinB.ttf", "HanaMinB", "fonts-hanazono"),)) == ()
        assert any("fonts-hanazono" in r.getMessage() for r in caplog.records)
    finally:
        labels.find_fallback_fonts.cache_clear()


@pytest.mark.django_db
def test_the_label_sheet_prints_rare_names(city, settings, tmp_path):
    from anmin.cases.actions import OpenCase
    from anmin.property.actions import RegisterItem
    from anmin.property.models import SeizedItem

    settings.MEDIA_ROOT = tmp_path
    case = OpenCase(by=city.station_officer, kind="criminal", title="盗窃电动车案").execute()
    data = {"kind": "electronics", "description": f"持有人 {NAMES}", "quantity": "1", "unit": "部"}
    RegisterItem(by=city.station_officer, case=case, **data).execute()
    content = labels.label_sheet(SeizedItem.objects.filter(case=case))
    assert {0x36C3, 0x4DAE, 0x20BB7, 0x2A700} <= glyph_codes(content)


def test_the_statistics_brief_prints_rare_names():
    from anmin.stats import exports

    content = exports.report_pdf([], title=f"简报 {NAMES}", issuer="李𠮷派出所")
    assert {0x36C3, 0x4DAE, 0x20BB7, 0x2A700} <= glyph_codes(content)
    assert any("HanaMin" in font for font in fonts_used(content))


def test_the_accident_documents_print_rare_names():
    from anmin.reports.documents import _Doc

    document = _Doc("道路交通事故协议书")
    document.row("姓名", NAMES)
    assert {0x36C3, 0x4DAE, 0x20BB7, 0x2A700} <= glyph_codes(bytes(document.pdf.output()))
