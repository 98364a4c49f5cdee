"""Keeping the rollup tables equal to the records (and proving it).

An incident or a case *contributes* to a few rollup rows (its day and month, its station, its
category…). When one is saved or deleted, the difference between what it contributed before and
what it contributes now is added to those rows in one upsert per table, in the same transaction as
the change itself: a rolled-back change leaves the figures as they were.

Both the old and the new state are read from the database, not from the Python object: a save with
`update_fields` writes only some columns, and an object loaded a while ago may be stale. That is two
primary-key reads per save of a field the statistics use, and none for other saves.

Bulk writes (the importer, the demo) bypass signals; they call `apply()` with the contributions of
what they wrote, or `rebuild()` afterwards. `verify()` recomputes everything from the raw records.
"""

from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Count, DurationField, ExpressionWrapper, F, Q, Sum
from django.db.models.functions import TruncDate
from django.db.models.signals import post_delete, post_save, pre_delete, pre_save

from anmin.stats.models import (
    CaseDay,
    CaseMonth,
    CellDay,
    CellMonth,
    IncidentDay,
    IncidentMonth,
    SurveyDay,
    SurveyMonth,
)

# Table → (key columns, value columns). Day and month tables share their columns but the first.
INCIDENT_KEYS = ("station_id", "category_id")
INCIDENT_VALUES = ("n", "arrived", "on_time", "arrival_micros")
CELL_KEYS = ("cell", "klass")
CELL_VALUES = ("n",)
CASE_KEYS = ("organization_id", "category_id", "kind")
CASE_VALUES = ("accepted", "filed", "solved")
SURVEY_KEYS = ("organization_id", "officer_id", "service_item_id", "kind")
SURVEY_VALUES = ("satisfied", "basic", "dissatisfied", "answered")

FAMILIES = {
    "incident": (IncidentDay, IncidentMonth, INCIDENT_KEYS, INCIDENT_VALUES),
    "cell": (CellDay, CellMonth, CELL_KEYS, CELL_VALUES),
    "case": (CaseDay, CaseMonth, CASE_KEYS, CASE_VALUES),
    "survey": (SurveyDay, SurveyMonth, SURVEY_KEYS, SURVEY_VALUES),
}

INCIDENT_FIELDS = (
    "status",
    "received_at",
    "station_id",
    "category_id",
    "grid_cell_id",
    "arrived_at",
    "arrival_due_at",
)
CASE_FIELDS = ("kind", "organization_id", "category_id", "accepted_at", "filed_at", "solved_at")
SURVEY_FIELDS = ("kind", "organization_id", "officer_id", "service_item_id", "rating", "answered_at")
#: Rating → its position among SURVEY_VALUES (the fourth, answered, counts every answer).
SURVEY_RATINGS = {"satisfied": 0, "basic": 1, "dissatisfied": 2}

#: A contribution: (family, day, key tuple) → value tuple.
Contribution = dict[tuple, tuple]


def local_zone() -> ZoneInfo:
    return ZoneInfo(settings.TIME_ZONE)


def local_day(moment: datetime) -> date:
    return moment.astimezone(local_zone()).date()


def day_bounds(start: date, end: date) -> tuple[datetime, datetime]:
    """The instants [start 00:00, end+1 00:00) in local time, for filtering raw records by local day."""
    zone = local_zone()
    return (
        datetime.combine(start, time.min, tzinfo=zone),
        datetime.combine(end + timedelta(days=1), time.min, tzinfo=zone),
    )


def month_of(day: date) -> date:
    return day.replace(day=1)


_klass_cache: dict[int, str] = {}


def klass_of(category_id: int) -> str:
    """The class (刑事/治安/…) of a category; the code table is small and its classes never move."""
    klass = _klass_cache.get(category_id)
    if klass is None:
        from anmin.incidents.models import Category

        _klass_cache.update(Category.objects.values_list("pk", "klass"))
        klass = _klass_cache[category_id]
    return klass


# --- contributions -------------------------------------------------------------------------------


def incident_contribution(row: dict | None) -> Contribution:
    """What one incident (as a dict of INCIDENT_FIELDS) adds to the rollups: nothing if cancelled."""
    from anmin.incidents.models import Incident

    if row is None or row["status"] == Incident.Status.CANCELLED:
        return {}
    day = local_day(row["received_at"])
    arrived_at = row["arrived_at"]
    if arrived_at is not None:
        micros = (arrived_at - row["received_at"]) // timedelta(microseconds=1)
        values = (1, 1, int(arrived_at <= row["arrival_due_at"]), micros)
    else:
        values = (1, 0, 0, 0)
    return {
        ("incident", day, (row["station_id"], row["category_id"])): values,
        ("cell", day, (row["grid_cell_id"], klass_of(row["category_id"]))): (1,),
    }


def case_contribution(row: dict | None) -> Contribution:
    """受案 on its day, 立案 and 破案 on theirs (the same row when they fall on one day)."""
    if row is None:
        return {}
    key = (row["organization_id"], row["category_id"] or 0, row["kind"])
    out: dict[tuple, list[int]] = {}
    for position, field in enumerate(("accepted_at", "filed_at", "solved_at")):
        if row[field] is not None:
            values = out.setdefault(("case", local_day(row[field]), key), [0, 0, 0])
            values[position] += 1
    return {k: tuple(v) for k, v in out.items()}


def survey_contribution(row: dict | None) -> Contribution:
    """An answered survey counts once, on the local day of its answer, under its rating."""
    if row is None or row["answered_at"] is None or row["rating"] not in SURVEY_RATINGS:
        return {}
    values = [0, 0, 0, 1]
    values[SURVEY_RATINGS[row["rating"]]] = 1
    key = (row["organization_id"], row["officer_id"] or 0, row["service_item_id"] or 0, row["kind"])
    return {("survey", local_day(row["answered_at"]), key): tuple(values)}


def difference(old: Contribution, new: Contribution) -> Contribution:
    out = {}
    for key in old.keys() | new.keys():
        before = old.get(key)
        after = new.get(key)
        if before == after:
            continue
        width = len(before or after)
        delta = tuple((after[i] if after else 0) - (before[i] if before else 0) for i in range(width))
        if any(delta):
            out[key] = delta
    return out


def combine(contributions) -> Contribution:
    """Sum many contributions (the importer's batch) into one."""
    total: dict[tuple, list[int]] = {}
    for contribution in contributions:
        for key, values in contribution.items():
            current = total.get(key)
            if current is None:
                total[key] = list(values)
            else:
                for i, v in enumerate(values):
                    current[i] += v
    return {k: tuple(v) for k, v in total.items()}


# --- applying ------------------------------------------------------------------------------------


def _upsert(model, period_column: str, keys: tuple, values: tuple, rows: list[tuple]) -> None:
    """INSERT … ON CONFLICT DO UPDATE SET v = v + excluded.v — one statement on both databases."""
    if not rows:
        return
    table = connection.ops.quote_name(model._meta.db_table)
    columns = (period_column, *keys, *values)
    quoted = [connection.ops.quote_name(c) for c in columns]
    conflict = ", ".join(quoted[: 1 + len(keys)])
    updates = ", ".join(f"{q} = {table}.{q} + excluded.{q}" for q in quoted[1 + len(keys) :])
    placeholders = "(" + ", ".join(["%s"] * len(columns)) + ")"
    with connection.cursor() as cursor:
        for start in range(0, len(rows), 500):
            batch = rows[start : start + 500]
            # Table and column names come from the models; every value is a parameter.
            values_sql = ", ".join([placeholders] * len(batch))
            sql = f"INSERT INTO {table} ({', '.join(quoted)}) VALUES {values_sql} ON CONFLICT ({conflict}) DO UPDATE SET {updates}"  # noqa: S608, E501
            cursor.execute(sql, [value for row in batch for value in row])


def apply(delta: Contribution) -> None:
    """Add a contribution (or a difference) to the day and month tables."""
    if not delta:
        return
    by_family: dict[str, dict[str, Counter]] = defaultdict(lambda: {"day": {}, "month": {}})
    for (family, day, key), values in delta.items():
        for grain, period in (("day", day), ("month", month_of(day))):
            bucket = by_family[family][grain]
            current = bucket.get((period, key))
            bucket[(period, key)] = (
                values if current is None else tuple(a + b for a, b in zip(current, values, strict=True))
            )
    with transaction.atomic():
        for family, grains in by_family.items():
            day_model, month_model, keys, values = FAMILIES[family]
            for grain, model, column in (("day", day_model, "day"), ("month", month_model, "month")):
                rows = [(period, *key, *vals) for (period, key), vals in grains[grain].items() if any(vals)]
                _upsert(model, column, keys, values, rows)


# --- signals -------------------------------------------------------------------------------------


def _read(model, fields, pk):
    return model.objects.filter(pk=pk).values(*fields).first()


def _touches(update_fields, fields) -> bool:
    if update_fields is None:
        return True
    names = {f.removesuffix("_id") for f in fields}
    return any(f.removesuffix("_id") in names for f in update_fields)


def _make_handlers(model, fields, contribution):
    def before_save(sender, instance, update_fields=None, raw=False, **kwargs):
        if raw:
            return
        relevant = _touches(update_fields, fields)
        instance._stats_relevant = relevant
        instance._stats_old = _read(model, fields, instance.pk) if relevant and instance.pk else None

    def after_save(sender, instance, created, raw=False, **kwargs):
        if raw or not getattr(instance, "_stats_relevant", False):
            return
        old = contribution(instance.__dict__.pop("_stats_old", None))
        apply(difference(old, contribution(_read(model, fields, instance.pk))))

    def before_delete(sender, instance, **kwargs):
        instance._stats_old = _read(model, fields, instance.pk)

    def after_delete(sender, instance, **kwargs):
        apply(difference(contribution(instance.__dict__.pop("_stats_old", None)), {}))

    return before_save, after_save, before_delete, after_delete


_handlers: list = []


def connect() -> None:
    from anmin.cases.models import Case
    from anmin.feedback.models import Survey
    from anmin.incidents.models import Incident

    for model, fields, contribution in (
        (Incident, INCIDENT_FIELDS, incident_contribution),
        (Case, CASE_FIELDS, case_contribution),
        (Survey, SURVEY_FIELDS, survey_contribution),
    ):
        handlers = _make_handlers(model, fields, contribution)
        _handlers.append(handlers)  # signals hold weak references
        for signal, handler in zip((pre_save, post_save, pre_delete, post_delete), handlers, strict=True):
            signal.connect(handler, sender=model, dispatch_uid=f"stats-{model.__name__}-{signal!r}")


# --- recomputation from the raw records ----------------------------------------------------------


def _raw_incidents(start: date | None, end: date | None) -> Contribution:
    """The incident and cell contributions of every valid incident, aggregated in the database."""
    from anmin.incidents.models import Incident

    qs = Incident.objects.exclude(status=Incident.Status.CANCELLED)
    if start is not None:
        low, high = day_bounds(start, end)
        qs = qs.filter(received_at__gte=low, received_at__lt=high)
    zone = local_zone()
    qs = qs.annotate(day=TruncDate("received_at", tzinfo=zone))
    out: Contribution = {}
    duration = ExpressionWrapper(F("arrived_at") - F("received_at"), output_field=DurationField())
    for row in qs.values("day", "station_id", "category_id").annotate(
        n=Count("pk"),
        arrived=Count("arrived_at"),
        on_time=Count("pk", filter=Q(arrived_at__lte=F("arrival_due_at"))),
        spent=Sum(duration),
    ):
        spent = row["spent"] // timedelta(microseconds=1) if row["spent"] is not None else 0
        out[("incident", row["day"], (row["station_id"], row["category_id"]))] = (
            row["n"],
            row["arrived"],
            row["on_time"],
            spent,
        )
    for row in qs.values("day", "grid_cell_id", "category__klass").annotate(n=Count("pk")):
        out[("cell", row["day"], (row["grid_cell_id"], row["category__klass"]))] = (row["n"],)
    return out


def _raw_cases(start: date | None, end: date | None) -> Contribution:
    from anmin.cases.models import Case

    zone = local_zone()
    parts = []
    for position, field in enumerate(("accepted_at", "filed_at", "solved_at")):
        qs = Case.objects.filter(**{f"{field}__isnull": False})
        if start is not None:
            low, high = day_bounds(start, end)
            qs = qs.filter(**{f"{field}__gte": low, f"{field}__lt": high})
        rows = (
            qs.annotate(day=TruncDate(field, tzinfo=zone))
            .values("day", "organization_id", "category_id", "kind")
            .annotate(n=Count("pk"))
        )
        for row in rows:
            values = [0, 0, 0]
            values[position] = row["n"]
            key = (row["organization_id"], row["category_id"] or 0, row["kind"])
            parts.append({("case", row["day"], key): tuple(values)})
    return combine(parts)


def _raw_surveys(start: date | None, end: date | None) -> Contribution:
    """Answered surveys by local day of the answer, responsible organization, officer, item, kind."""
    from anmin.feedback.models import Survey

    qs = Survey.objects.filter(answered_at__isnull=False, rating__in=list(SURVEY_RATINGS))
    if start is not None:
        low, high = day_bounds(start, end)
        qs = qs.filter(answered_at__gte=low, answered_at__lt=high)
    rows = (
        qs.annotate(day=TruncDate("answered_at", tzinfo=local_zone()))
        .values("day", "organization_id", "officer_id", "service_item_id", "kind")
        .annotate(
            satisfied=Count("pk", filter=Q(rating="satisfied")),
            basic=Count("pk", filter=Q(rating="basic")),
            dissatisfied=Count("pk", filter=Q(rating="dissatisfied")),
            answered=Count("pk"),
        )
    )
    return combine(
        {
            (
                "survey",
                row["day"],
                (row["organization_id"], row["officer_id"] or 0, row["service_item_id"] or 0, row["kind"]),
            ): (row["satisfied"], row["basic"], row["dissatisfied"], row["answered"])
        }
        for row in rows
    )


def _stored(start: date | None, end: date | None, grain: str = "day") -> Contribution:
    out: Contribution = {}
    for family, (day_model, month_model, keys, values) in FAMILIES.items():
        model, column = (day_model, "day") if grain == "day" else (month_model, "month")
        qs = model.objects.all()
        if start is not None:
            low, high = (start, end) if grain == "day" else (month_of(start), month_of(end))
            qs = qs.filter(**{f"{column}__gte": low, f"{column}__lte": high})
        for row in qs.values_list(column, *keys, *values).iterator(chunk_size=5000):
            vals = tuple(row[1 + len(keys) :])
            if any(vals):
                out[(family, row[0], tuple(row[1 : 1 + len(keys)]))] = vals
    return out


def _by_month(contribution: Contribution) -> Contribution:
    return combine({(family, month_of(day), key): values} for (family, day, key), values in contribution.items())


def _whole_months(start: date | None, end: date | None) -> tuple[date | None, date | None]:
    if start is None:
        return None, None
    last = (month_of(end) + timedelta(days=32)).replace(day=1) - timedelta(days=1)
    return month_of(start), last


def rebuild(start: date | None = None, end: date | None = None) -> int:
    """Recompute the rollups from the records, for whole months around [start, end] (all if None).
    Returns the number of day rows written."""
    start, end = _whole_months(start, end)
    with transaction.atomic():
        for day_model, month_model, _keys, _values in FAMILIES.values():
            day_rows, month_rows = day_model.objects.all(), month_model.objects.all()
            if start is not None:
                day_rows = day_rows.filter(day__gte=start, day__lte=end)
                month_rows = month_rows.filter(month__gte=start, month__lte=end)
            day_rows.delete()
            month_rows.delete()
        raw = combine([_raw_incidents(start, end), _raw_cases(start, end), _raw_surveys(start, end)])
        _bulk_write(raw)
    return len(raw)


def _bulk_write(contribution: Contribution) -> None:
    """Write a contribution into empty tables (rebuild): plain INSERTs, the month rows summed here.
    executemany on tuples, not bulk_create: model instances cost ten times as much per row."""
    for grain, data in (("day", contribution), ("month", _by_month(contribution))):
        per_family: dict[str, list[tuple]] = defaultdict(list)
        for (family, period, key), values in data.items():
            per_family[family].append((period, *key, *values))
        for family, rows in per_family.items():
            day_model, month_model, keys, value_names = FAMILIES[family]
            model = day_model if grain == "day" else month_model
            table = connection.ops.quote_name(model._meta.db_table)
            columns = ", ".join(connection.ops.quote_name(c) for c in (grain, *keys, *value_names))
            placeholders = ", ".join(["%s"] * (1 + len(keys) + len(value_names)))
            with connection.cursor() as cursor:
                cursor.executemany(f"INSERT INTO {table} ({columns}) VALUES ({placeholders})", rows)  # noqa: S608


@dataclass(frozen=True)
class Difference:
    table: str
    period: date
    key: tuple
    stored: tuple | None
    raw: tuple | None

    def __str__(self):
        return f"{self.table} {self.period} {self.key}: 汇总表 {self.stored} ≠ 原始记录 {self.raw}"


def verify(start: date | None = None, end: date | None = None) -> list[Difference]:
    """Recompute every rollup row from the records and list each row that differs (none: 零差错)."""
    start, end = _whole_months(start, end)
    raw = combine([_raw_incidents(start, end), _raw_cases(start, end), _raw_surveys(start, end)])
    found = []
    for grain, expected in (("day", raw), ("month", _by_month(raw))):
        stored = _stored(start, end, grain)
        for key in sorted(expected.keys() | stored.keys(), key=repr):
            if expected.get(key) != stored.get(key):
                family, period, dims = key
                found.append(Difference(f"{family}_{grain}", period, dims, stored.get(key), expected.get(key)))
    return found


def fill_if_empty(sender=None, using="default", **kwargs) -> None:
    """After `migrate`: a database upgraded to a release with statistics gets its rollups built
    once from the records it already holds."""
    from anmin.cases.models import Case
    from anmin.incidents.models import Incident

    if using != "default" or IncidentDay.objects.exists() or CaseDay.objects.exists():
        return
    if Incident.objects.exists() or Case.objects.exists():
        rebuild()
