"""Labels for seized property (涉案财物标签): a QR code per item and a printable A4 sheet of them.

Each label carries the item's code as text and as a QR code (what a keeper's scanner reads when the
item comes in or goes out), the case number, the kind and quantity, and a short description. The
sheet is A4 with 3 × 8 labels of 70 × 37 mm, the common self-adhesive 24-up format.

The PDF embeds a Chinese font (a subset of it, so the file stays small): intranet PCs that print it
may have none. fpdf2 reads OpenType collections with CFF outlines, so Debian's `fonts-noto-cjk`
(Noto Sans CJK SC, the platform's typeface) works; the WenQuanYi TrueType fonts are a fallback.

Noto Sans CJK SC has the basic block and Extension A, but only about 2,100 of Extension B's 42,720
ideographs and none of C–F, while GB 18030-2022 asks for all of them in names. `CjkPdf` therefore
embeds HanaMin A and B (花園明朝, GlyphWiki, SIL OFL; Debian `fonts-hanazono`: the BMP, then
Extensions B–F) as fallback fonts: a character Noto lacks is drawn from them. One that no installed
font has (Extensions G and later) is drawn as the font's empty box and logged, never dropped
unseen: refusing the whole document would stop an accident agreement or a 简报 over one character
of one name, while the box shows the reader where a character is missing.
"""

import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache
from pathlib import Path

import segno
from django.utils import timezone
from fpdf import FPDF

from anmin.property.models import SeizedItem

logger = logging.getLogger(__name__)

#: Where Linux distributions put a Chinese font fpdf2 can embed: (path, family to pick in a collection,
#: the package that installs it).
KNOWN_FONTS: tuple[tuple[str, str, str], ...] = (
    ("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc", "Noto Sans CJK SC", "fonts-noto-cjk (Debian/Ubuntu)"),
    ("/usr/share/fonts/noto-cjk/NotoSansCJK-Regular.ttc", "Noto Sans CJK SC", "noto-fonts-cjk (Arch)"),
    (
        "/usr/share/fonts/google-noto-cjk/NotoSansCJK-Regular.ttc",
        "Noto Sans CJK SC",
        "google-noto-sans-cjk-ttc-fonts (Fedora/RHEL)",
    ),
    ("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc", "WenQuanYi Zen Hei", "fonts-wqy-zenhei (Debian/Ubuntu)"),
    ("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc", "WenQuanYi Micro Hei", "fonts-wqy-microhei (Debian/Ubuntu)"),
)

#: Fonts for the ideographs the Chinese font lacks, in the order they are tried: (path, family,
#: package). Only those installed are used.
KNOWN_FALLBACK_FONTS: tuple[tuple[str, str, str], ...] = (
    ("/usr/share/fonts/truetype/hanazono/HanaMinA.ttf", "HanaMinA", "fonts-hanazono (Debian/Ubuntu)"),
    ("/usr/share/fonts/truetype/hanazono/HanaMinB.ttf", "HanaMinB", "fonts-hanazono (Debian/Ubuntu)"),
)

# Sheet geometry, in millimetres.
PAGE_W, PAGE_H = 210.0, 297.0
COLUMNS, ROWS = 3, 8
LABEL_W, LABEL_H = 70.0, 37.0
TOP = (PAGE_H - ROWS * LABEL_H) / 2
PAD = 3.0
QR_SIZE = 24.0
#: The QR standard asks for a quiet zone of 4 modules around the symbol; the label edge gives part
#: of it, the rest is drawn as white space inside the QR square.
QR_BORDER = 2
LABELS_PER_PAGE = COLUMNS * ROWS


class FontMissing(RuntimeError):
    """No Chinese font that can be embedded in a PDF is installed."""


@dataclass(frozen=True)
class CjkFont:
    path: str
    index: int
    family: str


@lru_cache(maxsize=1)
def find_cjk_font(candidates: Sequence[tuple[str, str, str]] = KNOWN_FONTS) -> CjkFont:
    """The first known Chinese font on this machine; in a collection (.ttc), the face named `family`
    (Noto's collection starts with the Japanese face, whose glyph shapes differ from Chinese ones)."""
    from fontTools.ttLib import TTCollection

    for path, family, _package in candidates:
        if not Path(path).is_file():
            continue
        index = 0
        if path.endswith(".ttc"):
            collection = TTCollection(path, lazy=True)
            for i, font in enumerate(collection.fonts):
                if font["name"].getDebugName(1) == family:
                    index = i
                    break
        return CjkFont(path=path, index=index, family=family)
    looked = "\n".join(f"  {path}  ← {package}" for path, _family, package in candidates)
    raise FontMissing(
        "未找到可嵌入 PDF 的中文字体，无法生成涉案财物标签。请安装 Debian 软件包 fonts-noto-cjk"
        f"（apt-get install fonts-noto-cjk）。已查找：\n{looked}"
    )


@lru_cache(maxsize=1)
def find_fallback_fonts(candidates: Sequence[tuple[str, str, str]] = KNOWN_FALLBACK_FONTS) -> tuple[CjkFont, ...]:
    """The installed fonts for ideographs the Chinese font lacks; none is an error only for the
    characters that need them, which `CjkPdf` logs."""
    found = tuple(CjkFont(path=path, index=0, family=family) for path, family, _ in candidates if Path(path).is_file())
    if not found:
        logger.warning("未安装 fonts-hanazono：PDF 中扩展 B–F 区的生僻字将显示为方框")
    return found


@lru_cache(maxsize=8)
def font_coverage(path: str) -> frozenset[int]:
    """The code points a font has glyphs for, read once per process (about half a second each)."""
    from fontTools.ttLib import TTFont

    return frozenset(TTFont(path, lazy=True).getBestCmap())


class CjkPdf(FPDF):
    """A PDF in Chinese: the platform's font as "cjk", the rare-ideograph fonts as its fallbacks, and
    a warning naming any character no font could draw.

    A fallback font is embedded only once a text needs it: fpdf2 parses a font whole when it is
    added, which for HanaMin A and B (100,000 glyphs) takes five seconds, on every document."""

    def add_cjk_fonts(self, regular: CjkFont, bold: CjkFont | None = None) -> None:
        self.add_font("cjk", fname=regular.path, collection_font_number=regular.index)
        if bold is not None:
            self.add_font("cjk", style="B", fname=bold.path, collection_font_number=bold.index)
        self._pending_fallbacks = list(find_fallback_fonts())
        self._added_fallbacks: list[str] = []

    def normalize_text(self, text: str) -> str:
        # Every way of drawing or measuring text passes here first: the place to notice a
        # character the Chinese font lacks before fpdf2 looks for a fallback.
        text = super().normalize_text(text)
        pending = getattr(self, "_pending_fallbacks", None)
        if pending and "cjk" in self.fonts:
            cmap = self.fonts["cjk"].cmap
            missing = {ord(char) for char in text if ord(char) not in cmap}
            if missing:
                self._add_fallbacks(missing)
        return text

    def _add_fallbacks(self, missing: set[int]) -> None:
        for font in list(self._pending_fallbacks):
            if missing & font_coverage(font.path):
                self.add_font(font.family, fname=font.path, collection_font_number=font.index)
                self._pending_fallbacks.remove(font)
                self._added_fallbacks.append(font.family)
                missing -= font_coverage(font.path)
        if self._added_fallbacks:
            order = [font.family for font in find_fallback_fonts() if font.family in self._added_fallbacks]
            # exact_match=False: the fallbacks have no bold face, and a rare character of a bold
            # heading is better drawn regular than not at all.
            self.set_fallback_fonts(order, exact_match=False)

    def text(self, x: float, y: float, text: str = "") -> None:
        """As FPDF.text, with fallback fonts: fpdf2 applies them in cell() and multi_cell() only, so
        the text is drawn here in runs, each in the first font that has its characters."""
        text = self.normalize_text(text)
        if not self._fallback_font_ids or not text or self.current_font is None:
            super().text(x, y, text)
            return
        family, style, size = self.font_family, self.font_style, self.font_size_pt
        runs: list[tuple[str | None, str]] = []
        for char in text:
            fontkey = None if ord(char) in self.current_font.cmap else self.get_fallback_font(char, style)
            if runs and runs[-1][0] == fontkey:
                runs[-1] = (fontkey, runs[-1][1] + char)
            else:
                runs.append((fontkey, char))
        for fontkey, run in runs:
            if fontkey is None:
                self.set_font(family, style, size)
            else:  # the fallbacks are added in their regular style only, whose key is the family
                self.set_font(fontkey, "", size)
            super().text(x, y, run)
            x += self.get_string_width(run)
        self.set_font(family, style, size)

    def output(self, *args, **kwargs):
        result = super().output(*args, **kwargs)
        missing = sorted({code for font in self.fonts.values() for code in getattr(font, "missing_glyphs", ())})
        if missing:
            logger.warning(
                "PDF《%s》中有字体缺少的字符，已显示为方框：%s",
                self.title,
                " ".join(f"U+{code:04X}" for code in missing),
            )
        return result


def qr_code(code: str) -> segno.QRCode:
    """The QR code for a label: the label code alone (alphanumeric mode, version 2 for a 27-character
    code), error correction at least M so a scuffed label still reads."""
    return segno.make(code, error="m", micro=False)


def qr_matrix(code: str, border: int = 0) -> tuple[tuple[bool, ...], ...]:
    """The modules of `code`'s QR code, True for dark, with `border` light modules around."""
    return tuple(tuple(bool(module) for module in row) for row in qr_code(code).matrix_iter(border=border))


def _draw_qr(pdf: FPDF, code: str, x: float, y: float, size: float) -> None:
    # Drawn as vector rectangles rather than an embedded bitmap: sharp at any printer resolution,
    # and no image library between the code and the page. Runs of dark modules in a row become one
    # rectangle, which keeps the page small and avoids hairline gaps between neighbours.
    matrix = qr_matrix(code, border=QR_BORDER)
    module = size / len(matrix)
    pdf.set_fill_color(0, 0, 0)
    for r, row in enumerate(matrix):
        c = 0
        while c < len(row):
            if not row[c]:
                c += 1
                continue
            start = c
            while c < len(row) and row[c]:
                c += 1
            pdf.rect(x + start * module, y + r * module, (c - start) * module, module, style="F")


def _fit(pdf: FPDF, text: str, width: float, lines: int) -> list[str]:
    """Break `text` into at most `lines` lines of `width` mm, character by character (Chinese has no
    spaces to break at), ending the last one with … when it does not all fit."""
    out: list[str] = []
    current = ""
    for char in " ".join(text.split()):
        if pdf.get_string_width(current + char) <= width:
            current += char
            continue
        out.append(current)
        current = char
        if len(out) == lines:
            break
    else:
        return [*out, current] if current else out
    last = out[-1]
    while last and pdf.get_string_width(last + "…") > width:
        last = last[:-1]
    out[-1] = last + "…"
    return out


def _quantity(item: SeizedItem) -> str:
    number = item.quantity.normalize() if isinstance(item.quantity, Decimal) else item.quantity
    text = format(number, "f") if isinstance(number, Decimal) else str(number)
    return f"{text} {item.unit}"


def _draw_label(pdf: FPDF, item: SeizedItem, x: float, y: float) -> None:
    # Cut guide: a light frame, so a sheet printed on plain paper can be cut with scissors.
    pdf.set_draw_color(190, 190, 190)
    pdf.set_line_width(0.1)
    pdf.rect(x, y, LABEL_W, LABEL_H)

    _draw_qr(pdf, item.label_code, x + PAD - 1, y + PAD - 1, QR_SIZE)

    left = x + PAD + QR_SIZE
    width = x + LABEL_W - PAD - left
    pdf.set_text_color(0, 0, 0)
    pdf.set_font("cjk", size=9)
    pdf.text(left, y + PAD + 3.2, f"涉案财物 · {item.get_kind_display()}")
    pdf.set_font("cjk", size=6.5)
    pdf.text(left, y + PAD + 7.2, f"案件 {item.case.number}")
    pdf.text(left, y + PAD + 10.6, f"数量 {_quantity(item)}")
    seized = timezone.localtime(item.seized_at).strftime("%Y-%m-%d")
    pdf.text(left, y + PAD + 14.0, f"扣押 {seized}")
    pdf.set_font("cjk", size=7.5)
    for n, line in enumerate(_fit(pdf, item.description, width, 2)):
        pdf.text(left, y + PAD + 18.0 + n * 3.4, line)

    # The code under the QR, across the label: what a person reads when the scanner is not at hand.
    pdf.set_font("cjk", size=9)
    pdf.text(x + PAD, y + LABEL_H - PAD - 0.6, item.label_code)


def label_sheet(items: Iterable[SeizedItem], *, title: str = "涉案财物标签", skip: int = 0) -> bytes:
    """A PDF of A4 pages with 3 × 8 labels, one per item in order; `skip` leaves the first positions of
    the first page empty, for a sheet some of whose labels were used already."""
    font = find_cjk_font()
    pdf = CjkPdf(orientation="P", unit="mm", format="A4")
    pdf.set_lang("zh-CN")
    pdf.set_title(title)
    pdf.set_creator("安民 智慧公安一体化平台")
    pdf.set_auto_page_break(False)
    pdf.set_margins(0, 0, 0)
    pdf.add_cjk_fonts(font)
    first = skip % LABELS_PER_PAGE
    for n, item in enumerate(items):
        slot = (first + n) % LABELS_PER_PAGE
        if n == 0 or slot == 0:
            pdf.add_page()
        column, row = slot % COLUMNS, slot // COLUMNS
        _draw_label(pdf, item, column * LABEL_W, TOP + row * LABEL_H)
    if pdf.page == 0:
        pdf.add_page()  # no items: one empty sheet rather than an invalid PDF
    return bytes(pdf.output())
