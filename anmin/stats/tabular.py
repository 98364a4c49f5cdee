"""Reading a table (header row, then data rows) from a CSV or XLSX file, streamed.

Files come from other systems and from Excel on Chinese Windows: a CSV may be UTF-8 (with the BOM
Excel writes, or without) or GBK. The encoding is settled for the whole file before the first row
is handed out, so that an import never fails halfway through on an undecodable byte.
"""

import codecs
import csv
import io
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from django.utils.translation import gettext as _

ENCODINGS = ("utf-8-sig", "gb18030")  # gb18030 is a superset of GBK and GB2312


class TableError(Exception):
    """The file as a whole cannot be read as a table (missing, not decodable, damaged, empty)."""


@dataclass
class Table:
    header: list[str]
    #: (row number in the file counting the header as 1, cells as text, why the row could not be parsed or "")
    rows: Iterator[tuple[int, list[str], str]]
    #: how much of the file has been read, 0–1, when it can be told
    fraction: Callable[[], float | None]


def detect_encoding(path: Path) -> str:
    """UTF-8 if the whole file decodes strictly as such, else GB18030, else TableError."""
    for encoding in ENCODINGS:
        decoder = codecs.getincrementaldecoder(encoding)("strict")
        try:
            with path.open("rb") as raw:
                while chunk := raw.read(1 << 20):
                    decoder.decode(chunk)
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            continue
        return encoding
    raise TableError(_("文件编码无法识别（应为 UTF-8 或 GBK）"))


@contextmanager
def open_table(path: Path) -> Iterator[Table]:
    try:
        with path.open("rb") as probe:
            magic = probe.read(8)
    except OSError as exc:
        raise TableError(_("无法打开文件 %(path)s：%(error)s") % {"path": path, "error": exc.strerror}) from None
    if magic.startswith(b"\xd0\xcf\x11\xe0"):
        raise TableError(_("不支持旧版 Excel（.xls）文件，请另存为 .xlsx 或 CSV"))
    if magic.startswith(b"PK\x03\x04") or path.suffix.lower() == ".xlsx":
        with _open_xlsx(path) as table:
            yield table
        return
    encoding = detect_encoding(path)
    size = path.stat().st_size or 1
    with path.open("rb") as raw:
        reader = csv.reader(io.TextIOWrapper(raw, encoding=encoding, newline=""))
        try:
            header = next(reader, None)
        except csv.Error as exc:
            raise TableError(_("表头行无法解析：%(error)s") % {"error": exc}) from None
        if header is None:
            raise TableError(_("文件为空，缺少表头行"))
        yield Table(header, _csv_rows(reader), lambda: raw.tell() / size)


def _csv_rows(reader) -> Iterator[tuple[int, list[str], str]]:
    number = 1
    while True:
        number += 1
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:  # e.g. a field over the size limit: that row only
            yield number, [], _("CSV 格式错误：%(error)s") % {"error": exc}
            continue
        yield number, cells, ""


def excel_text(value) -> str:
    """Cells come typed from a workbook; callers read text, as from a CSV."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))  # 3.0 → "3": Excel stores every number as a float
    if isinstance(value, datetime):
        return value.isoformat(sep=" ")
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value)


@contextmanager
def _open_xlsx(path: Path) -> Iterator[Table]:
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(path, read_only=True, data_only=True)
    except Exception:  # openpyxl raises zip, XML and key errors alike for a damaged workbook
        message = _("无法读取 XLSX 文件 %(path)s（文件已损坏或不是 Excel 工作簿）") % {"path": path}
        raise TableError(message) from None
    try:
        sheet = workbook.worksheets[0]
        rows = sheet.iter_rows(values_only=True)
        header = next(rows, None)
        if header is None:
            raise TableError(_("文件为空，缺少表头行"))
        total = sheet.max_row or 0
        position = {"row": 1}

        def numbered() -> Iterator[tuple[int, list[str], str]]:
            for values in rows:
                position["row"] += 1
                yield position["row"], [excel_text(v) for v in values], ""

        yield Table(
            [excel_text(v) for v in header],
            numbered(),
            lambda: min(1.0, position["row"] / total) if total > 1 else None,
        )
    finally:
        workbook.close()
