"""历史数据导入: incidents (警情) and cases (案件) from a CSV or XLSX file, for the statistics.

A bureau moving onto Anmin brings years of records from its old system; the statistics (同比、环比)
are only as good as that history. Every row is validated before anything is written, a bad row is
reported (row number, column, reason) and leaves no trace, and a row whose number is already in the
database is skipped: re-running a file, or resuming one interrupted halfway, changes nothing.

Speed matters (a city's year is about a million incidents): the file is streamed, lookups are
loaded once, and rows are written in batches, one transaction per batch together with its rollup
contribution (bulk writes bypass the signals that keep the rollups current). Incidents are inserted
with one prepared statement per batch (RawInsert), cases with bulk_create.
"""

import csv
import os
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import h3
from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from anmin.addresses.importer import import_addresses
from anmin.cases.lifecycle import FINAL_STATUSES, CaseKind, CaseStatus
from anmin.cases.models import Case
from anmin.core.actions import Action
from anmin.geo.models import GridCell
from anmin.incidents.models import Incident
from anmin.missing.pfif import import_pfif
from anmin.org.models import Officer, Organization
from anmin.stats import rollups
from anmin.stats.rows import Categories, Row
from anmin.stats.tabular import TableError, open_table

BATCH = 5000

#: The file as a whole cannot be imported (unreadable, undecodable, a required column missing):
#: nothing is written.
ImportFileError = TableError

#: progress(rows read so far, fraction of the file done or None)
Progress = Callable[[int, float | None], None]


@dataclass(frozen=True)
class Rejection:
    row: int  # as in the file, the header being row 1
    field: str
    reason: str


@dataclass
class ImportResult:
    kind: str
    read: int = 0
    imported: int = 0
    existing: int = 0
    rejected: list[Rejection] = field(default_factory=list)  # one entry per error: a row may have several
    seconds: float = 0.0
    report_path: Path | None = None

    @property
    def rejected_rows(self) -> int:
        return len({r.row for r in self.rejected})

    @property
    def rate(self) -> float:
        return self.read / self.seconds if self.seconds else 0.0

    def summary(self) -> str:
        return _("读取 %(read)s 行，导入 %(imported)s，已存在 %(existing)s，拒绝 %(rejected)s") % {
            "read": self.read,
            "imported": self.imported,
            "existing": self.existing,
            "rejected": self.rejected_rows,
        }


class Importer:
    """One kind of record: its columns, how a row becomes a record, how records are written and
    what they add to the rollups."""

    kind = ""
    model = None
    #: column → its name in messages (translated once per import, not once per row)
    LABELS: dict = {}
    required: tuple[str, ...] = ()
    optional: tuple[str, ...] = ()

    def __init__(self):
        self.now = timezone.now()
        self.labels = {column: str(label) for column, label in self.LABELS.items()}
        self.zone = ZoneInfo(settings.TIME_ZONE)
        self.categories = Categories()

    def build(self, row: Row, number: str):
        """The record of a valid row, or None with the row's errors recorded."""
        raise NotImplementedError

    def number_of(self, record) -> str:
        raise NotImplementedError

    def insert(self, records: list) -> None:
        raise NotImplementedError

    def contribution(self, records: list) -> rollups.Contribution:
        raise NotImplementedError

    def after_write(self, records: list) -> None:
        """Anything else the written records call for, inside the batch's transaction."""


class RawInsert:
    """One prepared INSERT for many rows of a model, through the DB-API's executemany.

    `bulk_create` passes every value of every object through the field machinery (about 250 µs a
    row for an incident on SQLite); a million historical incidents cannot afford that. The values
    given here are plain (text, numbers, datetimes adapted by the backend); every other column gets
    its model default, computed once — a column whose default must differ per row (a UUID) has to
    be given.
    """

    def __init__(self, model, given: tuple[str, ...], now: datetime):
        meta = model._meta
        fields = [f for f in meta.concrete_fields if not f.primary_key]
        named = [meta.get_field(name) for name in given]
        rest = [f for f in fields if f not in named]
        self.constants = tuple(
            f.get_db_prep_save(now if getattr(f, "auto_now", False) else f.get_default(), connection) for f in rest
        )
        quote = connection.ops.quote_name
        columns = ", ".join(quote(f.column) for f in named + rest)
        placeholders = ", ".join(["%s"] * (len(named) + len(rest)))
        # Names come from the model; every value is a parameter.
        self.sql = f"INSERT INTO {quote(meta.db_table)} ({columns}) VALUES ({placeholders})"  # noqa: S608
        self.adapt_datetime = connection.ops.adapt_datetimefield_value

    def execute(self, rows: list[tuple]) -> None:
        constants = self.constants
        with connection.cursor() as cursor:
            cursor.executemany(self.sql, [row + constants for row in rows])


class IncidentImporter(Importer):
    """警情 from the old 110 system. Each row becomes an incident closed at the time of the call
    (已反馈, no arrival recorded), in the grid cell, jurisdiction and arrival target that a live call
    at that point gets (GridCell.locate, GridCell.arrival_minutes), marked as imported history."""

    kind = "incidents"
    model = Incident
    LABELS = {
        "number": gettext_lazy("接警单号"),
        "received_at": gettext_lazy("接警时间"),
        "category": gettext_lazy("警情类别"),
        "lat": gettext_lazy("纬度"),
        "lon": gettext_lazy("经度"),
        "address": gettext_lazy("地址"),
        "description": gettext_lazy("简要警情"),
        "priority": gettext_lazy("等级"),
    }
    required = ("number", "received_at", "category", "lat", "lon", "address")
    optional = ("description", "priority")
    #: A record, as the columns of the INSERT (the rest get their defaults).
    COLUMNS = (
        "number",
        "received_at",
        "category",
        "priority",
        "address",
        "lat",
        "lon",
        "description",
        "grid_cell",
        "station",
        "area_type",
        "target_minutes",
        "arrival_due_at",
        "status",
        "closed_at",
        "imported",
    )

    def __init__(self):
        super().__init__()
        self.resolution = settings.GRID_RESOLUTION
        # H3 cell → (station, area type, arrival target): what GridCell.locate() and
        # GridCell.arrival_minutes() give a live call, for every cell of the city in one query.
        self.grid = {
            cell.h3: (cell.jurisdiction_id, cell.area_type, cell.arrival_minutes())
            for cell in GridCell.objects.only("h3", "jurisdiction_id", "area_type", "target_minutes")
        }
        self.writer = RawInsert(Incident, self.COLUMNS, self.now)

    def build(self, row: Row, number: str) -> tuple | None:
        received_at = row.moment("received_at", required=True)
        category = self.categories.resolve(row, "category", required=True)
        lat = row.coordinate("lat", 90)
        lon = row.coordinate("lon", 180)
        address = row.text("address", 200, required=True)
        description = row.text("description", 2000)
        priority = row.values.get("priority", "").strip() or "3"
        if priority not in ("1", "2", "3"):
            row.reject("priority", _("等级应为 1、2 或 3"))
        cell = h3_index = None
        if lat is not None and lon is not None:
            h3_index = h3.latlng_to_cell(lat, lon, self.resolution)
            cell = self.grid.get(h3_index)
            if cell is None:
                row.reject("lat", _("坐标（%(lat)s, %(lon)s）不在本市网格范围内") % {"lat": lat, "lon": lon})
        if row.errors:
            return None
        station_id, area_type, minutes = cell
        # Historical incidents are closed records: 已反馈 at the time of the call, no arrival known.
        return (
            number,
            received_at,
            category.pk,
            int(priority),
            address,
            lat,
            lon,
            description,
            h3_index,
            station_id,
            area_type,
            minutes,
            received_at + timedelta(minutes=minutes),
            Incident.Status.REPORTED.value,
            received_at,
            True,
        )

    def number_of(self, record: tuple) -> str:
        return record[0]

    def insert(self, records: list[tuple]) -> None:
        adapt = self.writer.adapt_datetime
        rows = []
        for r in records:
            received_at = adapt(r[1])  # also closed_at
            rows.append((r[0], received_at, *r[2:12], adapt(r[12]), r[13], received_at, r[15]))
        self.writer.execute(rows)

    def contribution(self, records: list[tuple]) -> rollups.Contribution:
        return rollups.combine(
            rollups.incident_contribution(
                {
                    "status": r[13],
                    "received_at": r[1],
                    "station_id": r[9],
                    "category_id": r[2],
                    "grid_cell_id": r[8],
                    "arrived_at": None,
                    "arrival_due_at": r[12],
                }
            )
            for r in records
        )


CASE_KINDS = {
    "criminal": CaseKind.CRIMINAL,
    "刑事": CaseKind.CRIMINAL,
    "刑事案件": CaseKind.CRIMINAL,
    "administrative": CaseKind.ADMINISTRATIVE,
    "行政": CaseKind.ADMINISTRATIVE,
    "行政案件": CaseKind.ADMINISTRATIVE,
}


class CaseImporter(Importer):
    """案件 from the old case system, with the state their latest step gives them. 立案 and 破案 belong
    to criminal cases only (《公安机关办理刑事案件程序规定》); an administrative case is accepted and
    closed. Without a named 主办侦查员, the first active officer of the handling unit is recorded."""

    kind = "cases"
    model = Case
    LABELS = {
        "number": gettext_lazy("案件编号"),
        "kind": gettext_lazy("案件类型"),
        "title": gettext_lazy("案件名称"),
        "cause": gettext_lazy("案由"),
        "category": gettext_lazy("案件类别"),
        "organization": gettext_lazy("办案单位代码"),
        "accepted_at": gettext_lazy("受案时间"),
        "filed_at": gettext_lazy("立案时间"),
        "solved_at": gettext_lazy("破案时间"),
        "closed_at": gettext_lazy("结案时间"),
        "lead_investigator": gettext_lazy("主办侦查员"),
    }
    required = ("number", "kind", "title", "organization", "accepted_at")
    optional = ("category", "cause", "filed_at", "solved_at", "closed_at", "lead_investigator")

    def __init__(self):
        super().__init__()
        self.organizations = dict(Organization.objects.values_list("code", "pk"))
        self.officers: dict[str, int | None] = {}
        self.first_officer: dict[int, int | None] = {}

    def officer(self, value: str) -> int | None:
        if value not in self.officers:
            found = Officer.objects.filter(badge_number=value).values_list("pk", flat=True).first()
            if found is None:
                found = Officer.objects.filter(username=value).values_list("pk", flat=True).first()
            self.officers[value] = found
        return self.officers[value]

    def default_officer(self, organization_id: int) -> int | None:
        if organization_id not in self.first_officer:
            self.first_officer[organization_id] = (
                Officer.objects.filter(organization_id=organization_id, is_active=True)
                .order_by(F("badge_number").asc(nulls_last=True), "username")
                .values_list("pk", flat=True)
                .first()
            )
        return self.first_officer[organization_id]

    def build(self, row: Row, number: str) -> Case | None:
        raw_kind = row.text("kind", 20, required=True)
        kind = CASE_KINDS.get(raw_kind.lower())
        if raw_kind and kind is None:
            row.reject("kind", _("案件类型应为 criminal、administrative、刑事或行政"))
        title = row.text("title", 120, required=True)
        cause = row.text("cause", 60)
        category = self.categories.resolve(row, "category", required=False)
        org_code = row.text("organization", 12, required=True)
        organization_id = self.organizations.get(org_code)
        if org_code and organization_id is None:
            row.reject("organization", _("未知的单位代码：%(code)s") % {"code": org_code})
        accepted_at = row.moment("accepted_at", required=True)
        filed_at = row.moment("filed_at")
        solved_at = row.moment("solved_at")
        closed_at = row.moment("closed_at")
        accepted = ("accepted_at", accepted_at)
        filed = ("filed_at", filed_at)
        solved = ("solved_at", solved_at)
        closed = ("closed_at", closed_at)
        row.check_order(accepted, filed)
        row.check_order(filed, solved)
        row.check_order(accepted, solved)
        for earlier in (accepted, filed, solved):
            row.check_order(earlier, closed)
        if kind == CaseKind.ADMINISTRATIVE:
            for column, value in (filed, solved):
                if value is not None:
                    label = self.labels[column]
                    row.reject(column, _("行政案件没有%(label)s（立案、破案只用于刑事案件）") % {"label": label})
        elif solved_at is not None and filed_at is None:
            row.reject("solved_at", _("有破案时间的案件须有立案时间"))
        investigator = row.text("lead_investigator", 150)
        lead_id = None
        if investigator:
            lead_id = self.officer(investigator)
            if lead_id is None:
                row.reject("lead_investigator", _("未找到警号或用户名为 %(value)s 的民警") % {"value": investigator})
        elif organization_id is not None:
            lead_id = self.default_officer(organization_id)
            if lead_id is None:
                row.reject("lead_investigator", _("办案单位没有在职民警，请填写主办侦查员"))
        if row.errors:
            return None
        # The latest step decides the state: a closed case is closed whatever came before.
        status, since = next(
            (status, at)
            for status, at in (
                (CaseStatus.CLOSED, closed_at),
                (CaseStatus.SOLVED, solved_at),
                (CaseStatus.FILED, filed_at),
                (CaseStatus.ACCEPTED, accepted_at),
            )
            if at is not None
        )
        return Case(
            number=number,
            kind=kind,
            title=title,
            cause=cause,
            category=category,
            organization_id=organization_id,
            lead_investigator_id=lead_id,
            accepted_at=accepted_at,
            filed_at=filed_at,
            solved_at=solved_at,
            closed_at=closed_at,
            status=status,
            status_since=since,
        )

    def number_of(self, record: Case) -> str:
        return record.number

    def insert(self, records: list[Case]) -> None:
        # Cases are few (thousands a year, not a million): bulk_create, which gives back their ids.
        Case.objects.bulk_create(records, batch_size=BATCH)

    def contribution(self, records: list[Case]) -> rollups.Contribution:
        return rollups.combine(
            rollups.case_contribution({name: getattr(case, name) for name in rollups.CASE_FIELDS}) for case in records
        )

    def after_write(self, records: list[Case]) -> None:
        from anmin.supervision.clocks import backfill

        # An imported case still open starts the 办案时限 clocks its state calls for, as one registered live.
        open_ids = [case.pk for case in records if case.status not in FINAL_STATUSES]
        if open_ids:
            backfill(Case.objects.filter(pk__in=open_ids))


# --- writing -------------------------------------------------------------------------------------


def _existing(model, numbers: list[str]) -> set[str]:
    # One query per batch where the backend allows it; SQLite before 3.32 takes 999 parameters.
    size = connection.features.max_query_params or len(numbers) or 1
    found: set[str] = set()
    for start in range(0, len(numbers), size):
        chunk = numbers[start : start + size]
        found.update(model.objects.filter(number__in=chunk).values_list("number", flat=True))
    return found


def _write(importer: Importer, batch: list, result: ImportResult) -> None:
    if not batch:
        return
    for attempt in range(2):
        existing = _existing(importer.model, [importer.number_of(record) for record in batch])
        fresh = [record for record in batch if importer.number_of(record) not in existing]
        try:
            with transaction.atomic():
                if fresh:
                    importer.insert(fresh)
                    rollups.apply(importer.contribution(fresh))
                    importer.after_write(fresh)
        except IntegrityError:
            # A number written by someone else between our check and our insert: check again, once.
            if attempt:
                raise
            for record in fresh:
                if isinstance(record, Case):
                    record.pk = None
            continue
        result.imported += len(fresh)
        result.existing += len(batch) - len(fresh)
        return


@contextmanager
def _large_page_cache() -> Iterator[None]:
    """SQLite keeps 2 MB of pages by default: an import adding to the nine indexes of a table of
    millions would read most pages back from the OS for every batch. This connection gets 256 MB
    for the import."""
    if connection.vendor != "sqlite":
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA cache_size")
        (before,) = cursor.fetchone()
        cursor.execute("PRAGMA cache_size = -262144")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f"PRAGMA cache_size = {int(before)}")


def write_report(path: Path, rejected: list[Rejection]) -> None:
    """The rejected rows as a CSV Excel opens directly (UTF-8 with BOM)."""
    with path.open("w", encoding="utf-8-sig", newline="") as out:
        writer = csv.writer(out)
        writer.writerow([_("行号"), _("字段"), _("原因")])
        writer.writerows((r.row, r.field, r.reason) for r in rejected)


class RecordImport(Action):
    """The trail's entry for an import of history: the file and its counts. The rows were written
    batch by batch, each in its own transaction, as the file was read; `anmin import` is the
    server's operator, so the entry names the system."""

    def __init__(self, *, kind: str, path: Path, result: ImportResult):
        self.kind, self.path, self.result, self.by = kind, path, result, None

    def audit_action(self) -> str:
        return f"import.{self.kind}"

    def run(self) -> None:
        result = self.result
        data = {
            "file": str(self.path),
            "read": result.read,
            "imported": result.imported,
            "existing": result.existing,
            "rejected": result.rejected_rows,
        }
        self.audit(self.path.name[-64:], data)


def run(kind: type[Importer], path, *, report_path=None, progress: Progress | None = None) -> ImportResult:
    started = time.monotonic()
    path = Path(path)
    report = Path(report_path) if report_path else path.with_name(path.name + ".rejected.csv")
    result = ImportResult(kind=kind.kind)
    with open_table(path) as table, _large_page_cache():
        header = [str(name).strip().lower() for name in table.header]
        missing = [name for name in kind.required if name not in header]
        if missing:
            raise ImportFileError(_("缺少必填列：%(columns)s") % {"columns": "、".join(missing)})
        if not report.parent.is_dir() or not os.access(report.parent, os.W_OK):
            raise ImportFileError(_("无法在 %(path)s 写入拒绝行报告") % {"path": report.parent})
        importer = kind()  # the lookups are loaded once the file is known to be readable
        # A column named twice: the first one counts (as a reader of the sheet would assume).
        columns = [(name, header.index(name)) for name in importer.required + importer.optional if name in header]
        number_label = importer.labels["number"]
        seen: dict[str, int] = {}
        batch: list = []
        for number, cells, unparsable in table.rows:
            if unparsable:
                result.read += 1
                result.rejected.append(Rejection(number, "", unparsable))
                continue
            if not any(cells):
                continue  # blank lines between blocks of data are not rows
            result.read += 1
            width = len(cells)
            row = Row(
                {name: cells[i] if i < width else "" for name, i in columns},
                importer.labels,
                importer.now,
                importer.zone,
            )
            key = row.text("number", 24, required=True)
            if key and not row.errors:
                first = seen.setdefault(key, number)
                if first != number:
                    row.reject("number", _("%(label)s重复（第 %(row)s 行）") % {"label": number_label, "row": first})
            record = importer.build(row, key)
            if row.errors:
                result.rejected.extend(Rejection(number, column, reason) for column, reason in row.errors)
                continue
            batch.append(record)
            if len(batch) >= BATCH:
                _write(importer, batch, result)
                batch = []
                if progress:
                    progress(result.read, table.fraction())
        _write(importer, batch, result)
        if progress:
            progress(result.read, 1.0)
    return conclude(importer, result, report=report, path=path, started=started)


def conclude(importer, result: ImportResult, *, report, path, started: float) -> ImportResult:
    """Every import's last steps: the rejected rows into the report file, one audited record of the
    import when anything was imported, and the time it took."""
    if result.rejected:
        try:
            write_report(report, result.rejected)
        except OSError as exc:
            raise ImportFileError(
                _("无法写入拒绝行报告 %(path)s：%(error)s") % {"path": report, "error": exc.strerror}
            ) from None
        result.report_path = report
    if result.imported:
        RecordImport(kind=importer.kind, path=path, result=result).execute()
    result.seconds = time.monotonic() - started
    return result


def import_incidents(path, *, report_path=None, progress: Progress | None = None) -> ImportResult:
    """Import historical incidents (`number, received_at, category, lat, lon, address, description,
    priority`); each gets the grid cell, station and arrival target a live call at that point would."""
    return run(IncidentImporter, path, report_path=report_path, progress=progress)


def import_cases(path, *, report_path=None, progress: Progress | None = None) -> ImportResult:
    """Import historical cases (`number, kind, title, category, organization, accepted_at, filed_at,
    solved_at, closed_at, lead_investigator`); the status follows from the latest step."""
    return run(CaseImporter, path, report_path=report_path, progress=progress)


IMPORTERS = {
    "incidents": import_incidents,
    "cases": import_cases,
    "addresses": import_addresses,
    "pfif": import_pfif,
}
