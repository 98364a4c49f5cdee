"""Loading a year's State Council holiday arrangement (国务院办公厅 部分节假日安排) from a file.

The legal unit (法制) loads each notice when it is published, with `anmin calendar load FILE` or
the admin's 导入 page. The file lists the days that depart from the Monday–Friday week, one a row:

    date,kind,name
    2027-01-01,holiday,元旦
    2027-02-07,workday,春节

as CSV with that header, or as JSON: `[{"date": "2027-01-01", "kind": "holiday", "name": "元旦"}, …]`.
`kind` is `holiday` (放假) or `workday` (调休上班). Every row is checked before anything is written,
and a file with any bad row loads nothing: half a notice would make deadlines silently wrong. Each
year in the file replaces that year's rows as a whole, so loading a corrected notice again removes
days it no longer lists. Running clocks counted provisionally are then counted again.
"""

import csv
import io
import json
from dataclasses import dataclass
from datetime import date

from django.db import transaction
from django.utils.translation import gettext as _

from anmin.core.actions import Action
from anmin.core.errors import ActionError
from anmin.core.validation import clean_text
from anmin.supervision.calendar import calendar_cache
from anmin.supervision.deadlines import deadline, is_provisional
from anmin.supervision.models import RUNNING_STATES, CalendarDay, Clock, DayKind

#: A notice lists a few dozen days; a file far longer is not one.
MAX_ROWS = 1000
MAX_BYTES = 256 * 1024
#: Years a deadline can plausibly fall in; anything else is a typo (2207 for 2027).
FIRST_YEAR, LAST_YEAR = 2000, 2100
FIELDS = ("date", "kind", "name")


@dataclass(frozen=True)
class DayRow:
    date: date
    kind: str
    name: str


def parse(content: bytes, filename: str = "") -> list[DayRow]:
    """The rows of a calendar file, or ActionError (field `file`) listing the first bad rows by number."""
    if len(content) > MAX_BYTES:
        raise ActionError(_("文件过大，不像是一份节假日安排"), field="file", code="too_large")
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ActionError(_("文件应为 UTF-8 编码的 CSV 或 JSON"), field="file", code="encoding") from None
    records = _json_records(text) if filename.lower().endswith(".json") or text.lstrip()[:1] in "[{" else None
    if records is None:
        records = _csv_records(text)
    if not records:
        raise ActionError(_("文件中没有任何日期"), field="file", code="empty")
    if len(records) > MAX_ROWS:
        raise ActionError(_("文件行数超过 %(max)s 行") % {"max": MAX_ROWS}, field="file", code="too_many")
    rows: list[DayRow] = []
    errors: list[str] = []
    seen: set[date] = set()
    for number, record in records:
        try:
            row = _row(record)
            if row.date in seen:
                raise ActionError(_("日期重复"), field="date")
            seen.add(row.date)
            rows.append(row)
        except ActionError as error:
            errors.append(_("第 %(n)s 行：%(message)s") % {"n": number, "message": error.message})
    if errors:
        shown = "；".join(errors[:5]) + ("……" if len(errors) > 5 else "")
        raise ActionError(
            _("有 %(count)s 行有误，未导入任何日期。%(errors)s") % {"count": len(errors), "errors": shown},
            field="file",
            code="invalid_rows",
        )
    return rows


def _json_records(text: str) -> list[tuple[int, object]]:
    try:
        data = json.loads(text)
    except ValueError:
        raise ActionError(_("JSON 格式有误"), field="file", code="json") from None
    if not isinstance(data, list):
        raise ActionError(_("JSON 应为日期对象的数组"), field="file", code="json")
    return [(n, record) for n, record in enumerate(data, start=1)]


def _csv_records(text: str) -> list[tuple[int, object]]:
    reader = csv.DictReader(io.StringIO(text))
    header = [name.strip().lower() for name in reader.fieldnames or []]
    if header[: len(FIELDS)] != list(FIELDS):
        raise ActionError(_("CSV 第一行应为：date,kind,name"), field="file", code="header")
    reader.fieldnames = header
    # Row numbers as a spreadsheet shows them: the header is row 1.
    return [(reader.line_num, record) for record in reader if any((v or "").strip() for v in record.values())]


def _row(record: object) -> DayRow:
    if not isinstance(record, dict):
        raise ActionError(_("应为含 date、kind、name 的对象"))
    raw_date = record.get("date")
    try:
        day = date.fromisoformat(raw_date.strip()) if isinstance(raw_date, str) else None
    except ValueError:
        day = None
    if day is None or not FIRST_YEAR <= day.year <= LAST_YEAR:
        raise ActionError(_("日期应为 YYYY-MM-DD（%(first)s–%(last)s 年）") % {"first": FIRST_YEAR, "last": LAST_YEAR})
    kind = record.get("kind")
    kind = kind.strip().lower() if isinstance(kind, str) else kind
    if kind not in DayKind.values:
        raise ActionError(_("类型应为 holiday（放假）或 workday（调休上班）"))
    if kind == DayKind.WORKDAY and day.weekday() < 5:
        raise ActionError(_("%(date)s 是工作日，不必列为调休上班") % {"date": day.isoformat()})
    name = clean_text(record.get("name"), "name", _("节日"), 20, required=False)
    return DayRow(date=day, kind=kind, name=name)


def load(rows: list[DayRow], *, source: str = "", by=None) -> dict:
    """Replace the arrangement of every year in `rows` with `rows`; count the provisional running
    clocks again. Returns {"years": [...], "days": n, "clocks": n recounted}."""
    return LoadCalendar(rows=rows, source=source, by=by).execute()


class LoadCalendar(Action):
    """导入节假日安排: the legal unit loads the State Council's notice for one or more years. The
    admin page checks who may (add and delete calendar days); `anmin calendar load` is the server's
    operator, recorded as the system."""

    audit_action = "supervision.calendar_load"

    def __init__(self, *, rows: list[DayRow], source: str = "", by=None):
        self.rows = rows
        self.source = source
        self.by = by

    def run(self) -> dict:
        years = sorted({row.date.year for row in self.rows})
        for year in years:
            CalendarDay.objects.filter(date__year=year).delete()
        CalendarDay.objects.bulk_create(
            CalendarDay(date=row.date, kind=row.kind, name=row.name, source=self.source[:200]) for row in self.rows
        )
        # bulk_create sends no post_save, which is what clears the calendar cache elsewhere: clear it
        # here, so the recount below reads the new rows, and again on commit, so no request that read
        # the old rows meanwhile keeps them.
        calendar_cache.clear()
        transaction.on_commit(calendar_cache.clear)
        recounted = 0
        running = Clock.objects.filter(provisional=True, state__in=RUNNING_STATES, rule__active=True)
        for clock in running.select_for_update(of=("self",)).select_related("rule"):
            due = deadline(clock.rule.code, clock.started_at, extensions=clock.extensions)
            provisional = is_provisional(clock.rule.code, clock.started_at, due, extensions=clock.extensions)
            clock.warn_at = due - (clock.due_at - clock.warn_at)
            clock.due_at, clock.provisional = due, provisional
            clock.save(update_fields=["due_at", "warn_at", "provisional"])
            recounted += 1
        result = {"years": years, "days": len(self.rows), "clocks": recounted}
        first = CalendarDay.objects.filter(date=self.rows[0].date).first()
        self.audit(first, result)
        return result
