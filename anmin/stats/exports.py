"""Reports as files a clerk sends on: the 统计报表 workbook (.xlsx) and the 简报 PDF.

Both start from the same tables. Consecutive reports that differ only in their comparison (the same
figures 同比 and 环比) become one table with a column block per comparison; consecutive single-figure
reports of one metric (破案率 overall, for 传统侵财 and for 电信网络诈骗) become one table with a row per
report. Everything else is a table of its own.

The workbook has one sheet per table rather than tables stacked on one sheet: each table has its own
headers and number formats, a sheet prints as its own A4 page (fit to width, headers repeated on a
long ranking), and the sheet tabs name the tables the way a 统计报表 numbers them (表1, 表2…).

Every number written comes from the report's rows as they are; nothing is recomputed here, so the file
and the page a leader drills down from cannot disagree.
"""

import math
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache
from io import BytesIO

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop
from fpdf import FPDF, FontFace
from fpdf.enums import WrapMode
from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.page import PageMargins

from anmin.property.labels import KNOWN_FONTS, CjkFont, CjkPdf, FontMissing, find_cjk_font
from anmin.stats.periods import Kind, Period
from anmin.stats.report import CATEGORY_GROUPS, GROUP_BY, Metric, Report, Row, change_text, grid_names

DASH = "—"
COMPARE_WORD = {"yoy": "同比", "pop": "环比"}
BASELINE_WORD = {"yoy": "同期", "pop": "上期"}

# --- tables --------------------------------------------------------------------------------------


@dataclass
class Line:
    """One row of a table: its label and, per comparison, the report row it was read from."""

    key: str
    label: str
    rows: dict[str | None, Row] = field(default_factory=dict)
    total: bool = False

    @property
    def first(self) -> Row:
        return next(iter(self.rows.values()))

    @property
    def value(self):
        return self.first.value

    @property
    def rank(self) -> int | None:
        return self.first.rank


@dataclass
class Table:
    """What one sheet, or one section of the brief, shows."""

    metric: Metric
    period: Period
    caption: str
    head: str  # the header of the label column
    grouped: bool  # rows are the groups of one report (else: one row per single-figure report)
    ranked: bool
    compares: list[str] = field(default_factory=list)
    baselines: dict[str, Period] = field(default_factory=dict)
    lines: list[Line] = field(default_factory=list)
    total: Line | None = None
    reports: list[Report] = field(default_factory=list)
    signature: tuple = ()

    def accepts(self, report: Report) -> bool:
        if _signature(report) != self.signature:
            return False
        compare = report.query.compare
        if self.grouped:
            return all(r.query.compare != compare for r in self.reports)
        key = _filter_key(report)
        return not any(line.key == key and compare in line.rows for line in self.lines)

    def add(self, report: Report) -> None:
        query = report.query
        self.reports.append(report)
        if query.compare and query.compare not in self.compares:
            self.compares.append(query.compare)
            self.baselines[query.compare] = query.baseline_period
        if self.grouped:
            known = {line.key: line for line in self.lines}
            for row in report.rows:
                line = known.get(row.key)
                if line is None:
                    line = known[row.key] = Line(row.key, row.label)
                    self.lines.append(line)
                line.rows[query.compare] = row
            if self.total is None:
                self.total = Line("total", report.total.label, total=True)
            self.total.rows[query.compare] = report.total
            return
        key = _filter_key(report)
        line = next((line for line in self.lines if line.key == key), None)
        if line is None:
            label = _filter_label(report) or _("合计")
            line = Line(key, label, total=not key.strip("|"))
            self.lines.append(line)
        line.rows[query.compare] = report.total

    @property
    def all_lines(self) -> list[Line]:
        """The 合计 row first, as a 统计报表 puts it, then the groups."""
        return [self.total, *self.lines] if self.total else list(self.lines)


def _ranked(report: Report) -> bool:
    return any(row.rank is not None for row in report.rows)


def _filter_key(report: Report) -> str:
    q = report.query
    return "|".join(str(v or "") for v in (q.klass, q.category, q.group, q.org, q.grid))


def _signature(report: Report) -> tuple:
    q = report.query
    grouped = bool(q.group_by)
    return (q.metric.code, q.period, q.group_by, _filter_key(report) if grouped else None, _ranked(report))


def _filter_label(report: Report) -> str:
    from anmin.incidents.models import Category, IncidentClass
    from anmin.org.models import Organization

    q = report.query
    parts = []
    if q.org:
        org = Organization.objects.filter(pk=q.org).first()
        parts.append(org.label if org else str(q.org))
    if q.klass:
        parts.append(str(IncidentClass(q.klass).label) if q.klass in IncidentClass.values else q.klass)
    if q.group:
        parts.append(str(CATEGORY_GROUPS[q.group][0]))
    if q.category:
        category = Category.objects.filter(code=q.category).first()
        parts.append(category.name if category else q.category)
    if q.grid:
        parts.append(grid_names([q.grid])[q.grid])
    return "·".join(parts)


def build_tables(reports: Iterable[Report]) -> list[Table]:
    """The tables the reports print as (see the module docstring for what is merged)."""
    tables: list[Table] = []
    for report in reports:
        if tables and tables[-1].accepts(report):
            tables[-1].add(report)
            continue
        q = report.query
        grouped = bool(q.group_by)
        ranked = _ranked(report)
        filters = _filter_label(report) if grouped else ""
        how = ""
        if grouped:
            how = (
                _("按%(by)s排名") % {"by": GROUP_BY[q.group_by]}
                if ranked
                else _("按%(by)s") % {"by": GROUP_BY[q.group_by]}
            )
        detail = "，".join(p for p in (filters, how) if p)
        caption = f"{q.metric.label}（{detail}）" if detail else str(q.metric.label)
        if grouped:
            head = str(GROUP_BY[q.group_by])
        else:
            head = _("单位") if q.org else _("类别")
        table = Table(
            metric=q.metric,
            period=q.period,
            caption=caption,
            head=head,
            grouped=grouped,
            ranked=ranked,
            signature=_signature(report),
        )
        table.add(report)
        tables.append(table)
    for table in tables:
        if not table.grouped and len(table.lines) == 1 and not table.lines[0].total:
            table.caption = f"{table.metric.label}（{table.lines[0].label}）"
    return tables


# --- columns, shared by the workbook and the PDF -------------------------------------------------


@dataclass(frozen=True)
class Column:
    kind: str  # label, rank, value, baseline, change, pct
    compare: str | None = None


def columns(table: Table) -> list[Column]:
    cols = [Column("label")]
    if table.ranked:
        cols.append(Column("rank"))
    cols.append(Column("value"))
    for compare in table.compares:
        cols += [Column("baseline", compare), Column("change", compare), Column("pct", compare)]
    return cols


def metric_heading(metric: Metric) -> str:
    return f"{metric.label}（{metric.unit}）"


def header_cells(table: Table) -> tuple[int, list[tuple[int, int, int, int, str]]]:
    """The header as (number of rows, [(row, column, rowspan, colspan, text)]), zero-based."""
    cols = columns(table)
    levels = 3 if len(table.compares) > 1 else 2
    first = 2 if table.ranked else 1
    cells = [(0, 0, levels, 1, table.head)]
    if table.ranked:
        cells.append((0, 1, levels, 1, _("排名")))
    cells.append((0, first, 1, len(cols) - first, metric_heading(table.metric)))
    change = _("增减（百分点）") if table.metric.unit == "%" else _("增减")
    if levels == 2:
        cells.append((1, first, 1, 1, _("本期")))
        for n, compare in enumerate(table.compares):
            at = first + 1 + 3 * n
            cells += [
                (1, at, 1, 1, BASELINE_WORD[compare]),
                (1, at + 1, 1, 1, change),
                (1, at + 2, 1, 1, _("增减幅度")),
            ]
        return levels, cells
    cells.append((1, first, 2, 1, _("本期")))
    for n, compare in enumerate(table.compares):
        at = first + 1 + 3 * n
        cells.append((1, at, 1, 3, COMPARE_WORD[compare]))
        cells += [(2, at, 1, 1, BASELINE_WORD[compare]), (2, at + 1, 1, 1, change), (2, at + 2, 1, 1, _("增减幅度"))]
    return levels, cells


def cell_value(line: Line, column: Column):
    """The number (or text) in one cell; None where there is nothing to show (printed as —)."""
    if column.kind == "label":
        return line.label
    if column.kind == "rank":
        return line.rank
    if column.kind == "value":
        return line.value
    row = line.rows.get(column.compare)
    if row is None:
        return None
    return {"baseline": row.baseline, "change": row.change, "pct": row.change_pct}[column.kind]


def comparison_text(table: Table) -> str:
    return "；".join(f"{COMPARE_WORD[c]}：{table.baselines[c].label}" for c in table.compares)


def _number(value, metric: Metric, kind: str = "value") -> str:
    if value is None:
        return DASH
    if kind == "rank":
        return str(value)
    if kind == "pct":
        return f"{value:+.2f}%"
    sign = "+" if kind == "change" and value > 0 else ""
    if metric.is_ratio or isinstance(value, float) and not value.is_integer():
        return f"{sign}{value:,.2f}"
    return f"{sign}{int(value):,}"


# --- notes ---------------------------------------------------------------------------------------

#: What a metric means, printed under a table that shows it.
DEFINITIONS = {
    "on_time_rate": gettext_noop("按时到场率＝按时到场警情数÷到场警情数×100%。"),
    "arrival_minutes": gettext_noop("平均到场时长＝到场警情自接警至到场用时之和÷到场警情数。"),
    "clearance_rate": gettext_noop("破案率＝本期刑事破案数÷本期刑事立案数×100%；破案率的增减以百分点计。"),
    "zero_incident_rate": gettext_noop("零发案网格占比＝本期无警情的网格数÷网格总数×100%。"),
    "zero_community_rate": gettext_noop(
        "零发案小区率＝本期无刑事、治安警情的小区数÷小区总数×100%（村、城市社区不计）。"
    ),
    "serious_violence": gettext_noop(
        "八类严重暴力：杀人、放火、爆炸、投放危险物质、强奸、抢劫、绑架、故意伤害致人重伤或死亡。"
    ),
}


def note_lines(tables: Sequence[Table], notes: Iterable[str], now: datetime) -> list[str]:
    local = timezone.localtime(now)
    out = [
        _("数据来源：%(site)s警情、案件统计库（按日、按月汇总，可逐条下钻至原始记录）。")
        % {"site": settings.SITE_NAME},
        _("数据截至 %(now)s。") % {"now": f"{local.year}年{local.month}月{local.day}日 {local:%H:%M}"},
        _("“—”表示对比期数值为零或无数据，无法计算增减幅度。"),
    ]
    definitions = []
    for table in tables:
        text = DEFINITIONS.get(table.metric.code)
        if text and _(text) not in definitions:
            definitions.append(_(text))
    return [*out, *definitions, *(n for n in notes if n)]


def _today_text(now: datetime) -> str:
    local = timezone.localtime(now)
    return f"{local.year}年{local.month}月{local.day}日"


# --- the workbook --------------------------------------------------------------------------------

THIN = Side(style="thin", color="000000")
BORDER = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)
HEAD_FILL = PatternFill("solid", fgColor="F2F2F2")
MIN_SHEET_WIDTH = 72.0  # column units
XLSX_FONT = "宋体"  # what a 统计报表 is set in; WPS and Excel on the intranet PCs have it


def text_width(text: str) -> float:
    """Width in spreadsheet column units: a Chinese character is about two digits wide."""
    return sum(2.1 if unicodedata.east_asian_width(ch) in "WF" else 1.1 for ch in str(text))


def _formats(metric: Metric) -> dict[str, str]:
    if metric.is_ratio:
        number, change = "0.00", "+0.00;-0.00;0.00"
    else:
        number, change = "#,##0", "+#,##0;-#,##0;0"
    return {"value": number, "baseline": number, "change": change, "pct": "+0.00%;-0.00%;0.00%", "rank": "0"}


def _merge(ws, row: int, col: int, rowspan: int, colspan: int, value, *, font=None, align=None, border=None):
    cell = ws.cell(row=row, column=col, value=value)
    if rowspan > 1 or colspan > 1:
        ws.merge_cells(start_row=row, start_column=col, end_row=row + rowspan - 1, end_column=col + colspan - 1)
    for r in range(row, row + rowspan):
        for c in range(col, col + colspan):
            target = ws.cell(row=r, column=c)
            if border is not None:
                target.border = border
            if font is not None:
                target.font = font
            if align is not None:
                target.alignment = align
    return cell


def _lines_needed(text: str, width: float) -> int:
    return max(1, math.ceil(text_width(text) / max(width - 1, 1)))


def sheet_name(table: Table, number: int, used: set[str]) -> str:
    """表1 警情数（按警情类别）, cut to Excel's 31 characters, without the characters it forbids."""
    name = f"表{number} {table.caption}"
    for bad in "[]:*?/\\":
        name = name.replace(bad, "")
    name = name[:31]
    base, n = name, 2
    while name in used:
        suffix = f"({n})"
        name, n = base[: 31 - len(suffix)] + suffix, n + 1
    used.add(name)
    return name


def report_xlsx(
    reports: list[Report],
    *,
    title: str,
    issuer: str,
    notes: Iterable[str] = (),
    preparer: str = "",
    now: datetime | None = None,
) -> bytes:
    """The reports as a 统计报表 workbook, one sheet per table (see the module docstring)."""
    now = now or timezone.now()
    tables = build_tables(reports)
    notes = list(notes)
    book = Workbook()
    book.remove(book.active)
    book.properties.title = title
    book.properties.creator = str(settings.SITE_NAME)
    book.properties.language = "zh-CN"
    used: set[str] = set()
    for number, table in enumerate(tables, start=1):
        sheet = book.create_sheet(sheet_name(table, number, used))
        _write_sheet(sheet, table, number, title, issuer, note_lines([table], notes, now), preparer, now)
    if not tables:
        sheet = book.create_sheet(_("统计报表"))
        sheet["A1"] = title
        sheet["A2"] = _("无数据")
    out = BytesIO()
    book.save(out)
    return out.getvalue()


def _write_sheet(ws, table: Table, number: int, title, issuer, notes, preparer, now) -> None:
    cols = columns(table)
    width = len(cols)
    formats = _formats(table.metric)
    plain = Font(name=XLSX_FONT, size=11)
    bold = Font(name=XLSX_FONT, size=11, bold=True)
    left = Alignment(horizontal="left", vertical="center", wrap_text=True)
    right = Alignment(horizontal="right", vertical="center")
    centre = Alignment(horizontal="center", vertical="center", wrap_text=True)

    # Column widths first: the height of a wrapped row depends on them.
    widths = []
    for col in cols:
        if col.kind == "label":
            texts = [table.head, *(line.label for line in table.all_lines)]
            widths.append(min(max(10.0, max(text_width(t) for t in texts) + 2), 40.0))
        elif col.kind == "rank":
            widths.append(7.0)
        else:
            widths.append(12.0 if table.metric.unit == "%" and col.kind == "change" else 11.0)
    # A narrow table (a figure and its 同比) is widened to hold the title on one line.
    figures = [n for n, col in enumerate(cols) if col.kind not in ("label", "rank")]
    short = MIN_SHEET_WIDTH - sum(widths)
    if short > 0:
        for n in figures:
            widths[n] += short / len(figures)
    for n, w in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(n)].width = w
    total_width = sum(widths)
    half = max(1, (width + 1) // 2)

    _merge(ws, 1, 1, 1, width, title, font=Font(name=XLSX_FONT, size=18, bold=True), align=centre)
    ws.row_dimensions[1].height = 30 * _lines_needed(title, total_width / 1.6)
    caption = f"表{number}　{table.caption}"
    _merge(ws, 2, 1, 1, width, caption, font=Font(name=XLSX_FONT, size=12, bold=True), align=centre)
    ws.row_dimensions[2].height = 20
    # 填报单位 on the left and 计量单位 on the right, then the periods, each on a line of its own.
    issuer_text = _("填报单位：%(issuer)s") % {"issuer": issuer}
    unit_text = _("计量单位：%(unit)s") % {"unit": table.metric.unit}
    _merge(ws, 3, 1, 1, half, issuer_text, font=plain, align=left)
    _merge(ws, 3, half + 1, 1, width - half, unit_text, font=plain, align=Alignment(horizontal="right"))
    ws.row_dimensions[3].height = 16 * _lines_needed(issuer_text, sum(widths[:half]))
    info = [_("统计期间：%(period)s") % {"period": table.period.label}]
    if table.compares:
        info.append(_("对比期间：%(text)s") % {"text": comparison_text(table)})
    for n, text in enumerate(info, start=4):
        _merge(ws, n, 1, 1, width, text, font=plain, align=left)
        ws.row_dimensions[n].height = 16 * _lines_needed(text, total_width)

    top = 4 + len(info)
    levels, cells = header_cells(table)
    for r, c, rowspan, colspan, text in cells:
        _merge(ws, top + r, c + 1, rowspan, colspan, text, font=bold, align=centre, border=BORDER)
    for r in range(levels):
        ws.cell(row=top + r, column=1).fill = HEAD_FILL
        for c in range(1, width + 1):
            ws.cell(row=top + r, column=c).fill = HEAD_FILL
        ws.row_dimensions[top + r].height = 20

    row_no = top + levels
    for line in table.all_lines:
        font = bold if line.total else plain
        for c, col in enumerate(cols, start=1):
            value = cell_value(line, col)
            cell = ws.cell(row=row_no, column=c)
            cell.border = BORDER
            cell.font = font
            if col.kind == "label":
                cell.value = value
                cell.alignment = left
                continue
            if value is None:
                cell.value = "" if col.kind == "rank" else DASH
            else:
                # A percentage cell holds the fraction so that a spreadsheet formula reads it right.
                cell.value = value / 100 if col.kind == "pct" else value
                cell.number_format = formats[col.kind]
            cell.alignment = right
        ws.row_dimensions[row_no].height = 18
        row_no += 1

    row_no += 1
    for n, text in enumerate(notes, start=1):
        text = (_("注：") if n == 1 else "　　") + f"{n}. {text}"
        _merge(ws, row_no, 1, 1, width, text, font=Font(name=XLSX_FONT, size=10), align=left)
        ws.row_dimensions[row_no].height = 15 * _lines_needed(text, total_width * 1.1)
        row_no += 1
    row_no += 1
    footer = _("制表人：%(preparer)s　　审核人：　　　　　　制表日期：%(date)s") % {
        "preparer": preparer or "　" * 4,
        "date": _today_text(now),
    }
    _merge(ws, row_no, 1, 1, width, footer, font=plain, align=left)
    ws.row_dimensions[row_no].height = 16 * _lines_needed(footer, total_width)

    ws.freeze_panes = ws.cell(row=top + levels, column=2)
    ws.sheet_view.showGridLines = False
    ws.print_title_rows = f"{top}:{top + levels - 1}"
    ws.print_area = f"A1:{get_column_letter(width)}{row_no}"
    ws.page_setup.orientation = ws.ORIENTATION_LANDSCAPE
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.print_options.horizontalCentered = True
    ws.page_margins = PageMargins(left=0.5, right=0.5, top=0.6, bottom=0.7)
    ws.oddFooter.center.text = _("第 &P 页，共 &N 页")


# --- the brief (PDF) -----------------------------------------------------------------------------

BAR_NOW = (31, 78, 140)
BAR_BASE = (176, 186, 200)
RED = (192, 0, 0)
CHART_ROWS = 15
SECTION_NUMBERS = "一二三四五六七八九十"


@lru_cache(maxsize=1)
def brief_fonts() -> tuple[CjkFont, CjkFont | None]:
    """The Chinese font and, where installed, its bold face (fpdf2 cannot embolden an embedded font)."""
    try:
        regular = find_cjk_font()
    except FontMissing as error:  # its message speaks of property labels
        raise FontMissing(
            "未找到可嵌入 PDF 的中文字体，无法生成统计简报。请安装 Debian 软件包 fonts-noto-cjk"
            "（apt-get install fonts-noto-cjk）。"
        ) from error
    bold_candidates = tuple(
        (path.replace("Regular", "Bold"), family, package) for path, family, package in KNOWN_FONTS if "Regular" in path
    )
    try:
        bold = find_cjk_font(bold_candidates)
    except FontMissing:
        bold = None
    if bold is not None and bold.family != regular.family:
        bold = None
    return regular, bold


class Brief(CjkPdf):
    """A 简报's pages: A4, numbered 第 n 页 共 N 页 at the foot."""

    def footer(self):
        self.set_y(-12)
        self.set_font("cjk", size=8)
        self.set_text_color(90, 90, 90)
        self.cell(0, 6, _("第 %(page)s 页　共 %(pages)s 页") % {"page": self.page_no(), "pages": "{nb}"}, align="C")
        self.set_text_color(0, 0, 0)


def summary(table: Table, area: str = "") -> str:
    """A few sentences on the table, as a 简报 words them: the total and its changes, then the groups
    that stand out. Every figure is read from the table."""
    metric = table.metric
    lead_line = table.total or next((line for line in table.lines if line.total), None)
    others = [line for line in table.lines if line is not lead_line]
    place = area or _("本期")
    parts = []
    if lead_line is not None:
        parts.append(place + _figure_phrase(metric, lead_line.value, lead=True) + _changes(table, lead_line))
    if not others:
        return "。".join(parts) + "。"
    if lead_line is not None and not metric.is_ratio and not lead_line.value:
        return "。".join(parts) + "。"
    if table.ranked:
        top = [line for line in others if line.value][:3]
        if top:
            names = "、".join(f"{line.label}（{_number(line.value, metric)}{metric.unit}）" for line in top)
            parts.append(_("居前%(n)s位的是%(names)s") % {"n": _count_word(len(top)), "names": names})
        if table.compares:
            compare = table.compares[0]
            up = sum(1 for line in others if (line.rows.get(compare) and (line.rows[compare].change or 0) > 0))
            down = sum(1 for line in others if (line.rows.get(compare) and (line.rows[compare].change or 0) < 0))
            parts.append(
                _("%(word)s上升的%(head)s %(up)s 个，下降的 %(down)s 个")
                % {"word": COMPARE_WORD[compare], "head": table.head, "up": up, "down": down}
            )
        return "；".join(parts) + "。"
    shown = others
    if table.grouped:
        shown = sorted((line for line in others if line.value), key=lambda line: -(line.value or 0))[:5]
    items = []
    by = table.reports[0].query.group_by
    for line in shown:
        label = line.label
        if by == "class" and metric.family == "incident":
            label += _("警情")
        elif by == "category" and line.key in label:
            label = label.replace(line.key, "", 1).strip()  # "0106 抢劫": the code is for the table
        figure = _figure_phrase(metric, line.value, lead=False)
        change = _changes(table, line, brackets=True)
        items.append(f"{label}{figure}{change}")
    if items:
        parts.append(_("其中") + "，".join(items))
    return "；".join(parts) + "。"


def _count_word(n: int) -> str:
    return "一二三四五"[n - 1] if 1 <= n <= 5 else str(n)


#: How the summary states a table's total, per metric.
LEAD_PHRASES = {
    "incidents": gettext_noop("共接报警情 %(value)s 起"),
    "serious_violence": gettext_noop("共接报八类严重暴力警情 %(value)s 起"),
    "arrived": gettext_noop("到场警情 %(value)s 起"),
    "on_time_rate": gettext_noop("按时到场率 %(value)s%%"),
    "arrival_minutes": gettext_noop("平均到场时长 %(value)s 分钟"),
    "cases_accepted": gettext_noop("共受理案件 %(value)s 起"),
    "cases_filed": gettext_noop("共立刑事案件 %(value)s 起"),
    "cases_solved": gettext_noop("共破获刑事案件 %(value)s 起"),
    "clearance_rate": gettext_noop("刑事案件破案率 %(value)s%%"),
    "zero_incident_rate": gettext_noop("零发案网格占比 %(value)s%%"),
}


#: What a ratio's denominator counts, for "本期无立案" where a ratio cannot be computed.
DENOMINATOR_NOUNS = {
    "on_time_rate": gettext_noop("到场警情"),
    "arrival_minutes": gettext_noop("到场警情"),
    "clearance_rate": gettext_noop("立案"),
    "zero_incident_rate": gettext_noop("网格"),
    "zero_community_rate": gettext_noop("小区"),
}


def _figure_phrase(metric: Metric, value, *, lead: bool) -> str:
    if value is None:
        noun = DENOMINATOR_NOUNS.get(metric.code)
        if noun:
            return _("本期无%(noun)s，%(label)s无法计算") % {"noun": _(noun), "label": metric.label}
        return _("%(label)s无数据") % {"label": metric.label}
    number = _number(value, metric)
    if lead:
        return _(LEAD_PHRASES.get(metric.code, "%(label)s %(value)s %(unit)s")) % {
            "value": number,
            "label": metric.label,
            "unit": metric.unit,
        }
    if metric.unit == "%":
        return f"{metric.label} {number}%"
    return f" {number} {metric.unit}"


def _changes(table: Table, line: Line, *, brackets: bool = False) -> str:
    if line.value is None:
        return ""  # nothing to compare
    texts = []
    for compare in table.compares:
        row = line.rows.get(compare)
        if row is None:
            continue
        text = change_text(row, compare, table.metric)
        if text == DASH:
            text = (
                _("%(base)s为 0") % {"base": BASELINE_WORD[compare]}
                if row.baseline == 0
                else _("%(base)s无数据") % {"base": BASELINE_WORD[compare]}
            )
        texts.append(text)
    if not texts:
        return ""
    return f"（{'，'.join(texts)}）" if brackets else "，" + "，".join(texts)


def report_pdf(
    reports: list[Report],
    *,
    title: str,
    issuer: str,
    notes: Iterable[str] = (),
    area: str = "",
    preparer: str = "",
    now: datetime | None = None,
) -> bytes:
    """The reports as a 简报: a summary in words, the table and a bar chart per table. `area` names
    where the figures are from in the sentences (全市, 桃城分局辖区)."""
    now = now or timezone.now()
    tables = build_tables(reports)
    regular, bold = brief_fonts()
    pdf = Brief(orientation="P", unit="mm", format="A4")
    pdf.set_lang("zh-CN")
    pdf.set_title(title)
    pdf.set_subject(title)
    pdf.set_author(issuer)
    pdf.set_creator(str(settings.SITE_NAME))
    pdf.set_creation_date(now)
    pdf.add_cjk_fonts(regular, bold or regular)
    pdf.set_margins(15, 15, 15)
    pdf.set_auto_page_break(True, margin=16)
    pdf.alias_nb_pages()
    pdf.add_page()

    pdf.set_font("cjk", "B", 20)
    pdf.set_text_color(*RED)
    for line in wrap(pdf, title, pdf.epw):
        pdf.cell(0, 11, line, align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.set_text_color(0, 0, 0)
    pdf.set_font("cjk", size=10.5)
    period = tables[0].period.label if tables else ""
    pdf.cell(0, 7, _("填报单位：%(issuer)s") % {"issuer": issuer}, new_x="LMARGIN", new_y="NEXT")
    pdf.cell(0, 7, _("统计期间：%(period)s") % {"period": period}, new_x="LMARGIN", new_y="NEXT")
    pdf.set_draw_color(*RED)
    pdf.set_line_width(0.6)
    pdf.line(pdf.l_margin, pdf.get_y() + 1.5, pdf.w - pdf.r_margin, pdf.get_y() + 1.5)
    pdf.set_draw_color(0, 0, 0)
    pdf.ln(5)

    for number, table in enumerate(tables, start=1):
        _pdf_section(pdf, table, number, area)

    pdf.ln(2)
    pdf.set_font("cjk", size=9)
    for n, text in enumerate(note_lines(tables, notes, now), start=1):
        prefix = _("注：") if n == 1 else "　　"
        paragraph(pdf, f"{n}. {text}", 5, first=prefix, rest="　　" + " " * 4)
    pdf.ln(4)
    pdf.set_font("cjk", size=10.5)
    footer = _("制表人：%(preparer)s　　审核人：　　　　　　制表日期：%(date)s") % {
        "preparer": preparer or "　" * 4,
        "date": _today_text(now),
    }
    pdf.cell(0, 7, footer, new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())


#: Chinese line breaking (避头尾): these never start a line, those never end one.
NO_LINE_START = frozenset("，。、；：？！）》」』”’%…·")
NO_LINE_END = frozenset("（《「『“‘")
TOKEN = re.compile(r"[0-9A-Za-z.,+\-%]+|\s+|.")


def wrap(pdf: FPDF, text: str, width: float) -> list[str]:
    """Lines of at most `width` mm in the current font, broken between Chinese characters but never
    inside a figure (16,352 / +6.23%) nor before a closing or after an opening punctuation mark."""
    tokens: list[str] = []
    for match in TOKEN.finditer(text):
        token = match.group()
        if tokens and (token[0] in NO_LINE_START or tokens[-1][-1] in NO_LINE_END):
            tokens[-1] += token
        else:
            tokens.append(token)
    lines, current = [], ""
    for token in tokens:
        if not current.strip() or pdf.get_string_width(current + token) <= width:
            current += token
        else:
            lines.append(current.rstrip())
            current = token.lstrip()
    if current.strip():
        lines.append(current.rstrip())
    return lines


def paragraph(pdf: FPDF, text: str, height: float, *, first: str = "", rest: str = "") -> None:
    """`text` wrapped to the page width, the first line starting with `first` (an indent or a "注："),
    the others indented by the width of `rest`."""
    indent = pdf.get_string_width(rest)
    lead = pdf.get_string_width(first)
    lines = wrap(pdf, text, pdf.epw - lead)
    if len(lines) > 1:
        tail = wrap(pdf, text[len(lines[0]) :].lstrip(), pdf.epw - indent)
        lines = [lines[0], *tail]
    for n, line in enumerate(lines):
        pdf.set_x(pdf.l_margin + (0 if n == 0 else indent))
        pdf.cell(0, height, (first + line) if n == 0 else line, new_x="LMARGIN", new_y="NEXT")


def _pdf_section(pdf: FPDF, table: Table, number: int, area: str) -> None:
    if pdf.will_page_break(40):
        pdf.add_page()
    word = SECTION_NUMBERS[number - 1] if number <= len(SECTION_NUMBERS) else str(number)
    pdf.set_font("cjk", "B", 13)
    pdf.cell(0, 9, f"{word}、{table.caption}", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("cjk", size=10.5)
    paragraph(pdf, summary(table, area), 6.5, first="　　")
    if table.compares:
        pdf.set_font("cjk", size=9)
        pdf.set_text_color(90, 90, 90)
        text = _("对比期间：%(text)s　计量单位：%(unit)s") % {
            "text": comparison_text(table),
            "unit": table.metric.unit,
        }
        pdf.cell(0, 6, text, new_x="LMARGIN", new_y="NEXT")
        pdf.set_text_color(0, 0, 0)
    pdf.ln(1)
    _pdf_table(pdf, table, number)
    pdf.ln(4)
    _pdf_chart(pdf, table, number)
    pdf.ln(4)


def _pdf_table(pdf: FPDF, table: Table, number: int) -> None:
    cols = columns(table)
    levels, cells = header_cells(table)
    texts = [[_cell_text(line, col, table.metric) for line in table.all_lines] for col in cols]
    for _r, c, _rowspan, colspan, text in cells:
        if colspan == 1 and cols[c].kind != "label":
            texts[c].append(text)
    size, widths = 8.5, []
    while size >= 6:
        pdf.set_font("cjk", "B", size=size)  # the 合计 row is bold, and bold is wider
        widths = [max(pdf.get_string_width(t) for t in column) + 2 * 1.2 + 0.8 for column in texts]
        # The figures' columns all as wide as the widest: an even grid reads better than a tight one.
        figures = [n for n, col in enumerate(cols) if col.kind not in ("label", "rank")]
        widest = max(widths[n] for n in figures)
        for n in figures:
            widths[n] = widest
        others = sum(widths[1:])
        if others + min(widths[0], 28) <= pdf.epw:
            widths[0] = pdf.epw - others  # the label column takes the rest
            break
        size -= 0.5
    else:
        size = 6
        widths = [w * pdf.epw / sum(widths) for w in widths]
    pdf.set_font("cjk", size=size)
    # A table takes the current fill colour for its cells: the chart before it may have left a bar's.
    pdf.set_fill_color(255, 255, 255)
    pdf.set_draw_color(0, 0, 0)
    pdf.set_line_width(0.15)
    heading = FontFace(emphasis="BOLD", fill_color=(235, 235, 235), color=0)
    with pdf.table(
        col_widths=widths,
        width=pdf.epw,
        num_heading_rows=levels,
        headings_style=heading,
        line_height=5.6,
        text_align="CENTER",
        wrapmode=WrapMode.CHAR,
        padding=(0.8, 1.2),
    ) as grid:
        for level in range(levels):
            row = grid.row()
            for r, _c, rowspan, colspan, text in sorted(cells, key=lambda cell: cell[1]):
                if r == level:
                    row.cell(text, rowspan=rowspan, colspan=colspan, align="C")
        for line in table.all_lines:
            row = grid.row(style=FontFace(emphasis="BOLD") if line.total else None)
            for col in cols:
                row.cell(_cell_text(line, col, table.metric), align="L" if col.kind == "label" else "R")


def short_label(period: Period) -> str:
    """2025年第9周 rather than 2025年第9周（2月24日至3月2日）: for a title or a legend."""
    if period.kind == Kind.WEEK:
        year, week, _day = period.start.isocalendar()
        return _("%(y)d年第%(w)d周") % {"y": year, "w": week}
    return period.label


def _cell_text(line: Line, col: Column, metric: Metric) -> str:
    value = cell_value(line, col)
    if col.kind == "label":
        return str(value)
    if col.kind == "rank" and value is None:
        return ""
    return _number(value, metric, col.kind)


def chart_scale(maximum: float, *, whole: bool) -> tuple[float, float]:
    """The axis of a bar chart: (its end, the step between grid lines), the step 1, 2, 2.5 or 5 times
    a power of ten giving at most five steps, and at least 1 for counts (no 0.25 起)."""
    if maximum <= 0:
        return (4.0, 1.0) if whole else (1.0, 0.25)
    raw = maximum / 5
    if whole and raw <= 1:
        step = 1.0
    else:
        scale = 10 ** math.floor(math.log10(raw))
        step = next(
            float(m * scale)
            for m in (1, 2, 2.5, 5, 10)
            if m * scale >= raw and (not whole or float(m * scale).is_integer())
        )
    return step * max(2, math.ceil(maximum / step - 1e-9)), step


def _pdf_chart(pdf: FPDF, table: Table, number: int) -> None:
    """Horizontal bars, 本期 against the first comparison's baseline, the largest 15 groups."""
    metric = table.metric
    compare = table.compares[0] if table.compares else None
    lines = [line for line in table.lines if not line.total] if table.grouped else list(table.lines)

    def base_of(line: Line):
        row = line.rows.get(compare)
        return row.baseline if row is not None else None

    if metric.is_ratio:  # a rate of 0.00% is a figure; only a rate that cannot be computed is left out
        lines = [line for line in lines if line.value is not None or base_of(line) is not None]
    else:
        lines = [line for line in lines if (line.value or 0) or (base_of(line) or 0)]
    lines.sort(key=lambda line: (-(line.value or 0), -(base_of(line) or 0)))
    lines = lines[:CHART_ROWS]
    caption = _("图%(n)s　%(caption)s") % {"n": number, "caption": table.caption}
    if len(table.lines) > CHART_ROWS and lines:
        caption += _("（前%(n)s位）") % {"n": len(lines)}
    pitch = 7.0 if compare else 5.0
    height = 16 + len(lines) * pitch + 10
    if pdf.will_page_break(min(height, 60)):
        pdf.add_page()
    elif pdf.will_page_break(height):
        pdf.add_page()
    pdf.set_font("cjk", "B", 9.5)
    pdf.cell(0, 6, caption, align="C", new_x="LMARGIN", new_y="NEXT")
    if not lines:
        pdf.set_font("cjk", size=9)
        pdf.cell(0, 6, _("本期及对比期均无数据，不绘图。"), align="C", new_x="LMARGIN", new_y="NEXT")
        return
    x0 = pdf.l_margin
    label_w = 38.0
    bar_x = x0 + label_w + 2
    bar_w = pdf.epw - label_w - 2 - 16
    top = pdf.get_y() + 1

    # Legend.
    pdf.set_font("cjk", size=8)
    legend = [(BAR_NOW, _("本期（%(p)s）") % {"p": short_label(table.period)})]
    if compare:
        base = short_label(table.baselines[compare])
        legend.append((BAR_BASE, _("%(word)s（%(p)s）") % {"word": BASELINE_WORD[compare], "p": base}))
    x = bar_x
    for colour, text in legend:
        pdf.set_fill_color(*colour)
        pdf.rect(x, top + 1, 4, 3, style="F")
        pdf.text(x + 5, top + 3.8, text)
        x += 5 + pdf.get_string_width(text) + 6
    top += 7

    values = [v for line in lines for v in (line.value, base_of(line)) if v is not None]
    if metric.unit == "%":
        scale_max, step = 100.0, 25.0  # a rate against its whole range
    else:
        scale_max, step = chart_scale(max(values, default=0), whole=not metric.is_ratio)
    plot_h = len(lines) * pitch
    # Grid lines and the scale under the bars.
    pdf.set_draw_color(215, 215, 215)
    pdf.set_line_width(0.15)
    pdf.set_font("cjk", size=7)
    pdf.set_text_color(100, 100, 100)
    for k in range(round(scale_max / step) + 1):
        tick = step * k
        gx = bar_x + bar_w * tick / scale_max
        pdf.line(gx, top, gx, top + plot_h)
        text = f"{tick:,g}" if tick != int(tick) else f"{int(tick):,}"
        pdf.text(gx - pdf.get_string_width(text) / 2, top + plot_h + 3.5, text)
    pdf.set_text_color(0, 0, 0)
    pdf.set_draw_color(0, 0, 0)
    pdf.set_line_width(0.2)
    pdf.line(bar_x, top, bar_x, top + plot_h)

    bar_h = 2.6
    for n, line in enumerate(lines):
        y = top + n * pitch + (pitch - (2 * bar_h + 0.5 if compare else bar_h)) / 2
        pdf.set_font("cjk", size=8)
        label = line.label
        while pdf.get_string_width(label) > label_w and len(label) > 1:
            label = label[:-2] + "…"
        mid = y + (bar_h * (2 if compare else 1)) / 2
        pdf.text(bar_x - 2 - pdf.get_string_width(label), mid + 1.1, label)
        pdf.set_font("cjk", size=6.5)
        bars = [(line.value, BAR_NOW)] + ([(base_of(line), BAR_BASE)] if compare else [])
        for k, (value, colour) in enumerate(bars):
            by = y + k * (bar_h + 0.5)
            length = bar_w * (value or 0) / scale_max
            if length > 0:
                pdf.set_fill_color(*colour)
                pdf.rect(bar_x, by, length, bar_h, style="F")
            text = _number(value, metric) + ("%" if metric.unit == "%" and value is not None else "")
            pdf.text(bar_x + length + 1, by + bar_h - 0.4, text)
    pdf.set_y(top + plot_h + 5)
