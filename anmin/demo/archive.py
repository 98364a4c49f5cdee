"""The demo city's archive: two years of closed incidents and cases for the statistics to work on.

Written straight into the tables (bulk inserts, marked `imported` like history loaded with
`anmin import`), then the rollups are rebuilt for the period once.
"""

import itertools
import math
import random
from collections import defaultdict
from collections.abc import Callable
from datetime import date, datetime, time, timedelta

from django.db import connection
from django.utils import timezone

from anmin.cases.lifecycle import CaseKind, CaseStatus
from anmin.cases.models import Case, CaseSequence
from anmin.demo.addressing import AddressMaker
from anmin.demo.data import (
    BRANCHES,
    BUREAU_DIVISION,
    CATEGORY_WEIGHTS,
    HOURLY_WEIGHTS,
    INCIDENTS_PER_DAY,
    LOCATION_SHARES,
    TAOCHENG_DIVISION,
)
from anmin.demo.narratives import narrative
from anmin.geo.models import AreaType, ArrivalTarget, GridCell
from anmin.incidents.models import Category, Incident, IncidentClass
from anmin.org.models import Officer, Organization
from anmin.stats import rollups

BATCH = 5000
#: Relative call volume by month (summer nights are busy; the Spring Festival is quiet).
MONTH_WEIGHTS = (0.86, 0.84, 0.95, 0.98, 1.03, 1.08, 1.14, 1.13, 1.04, 1.0, 0.97, 0.96)
#: Volume last year relative to this year.
LAST_YEAR = 1.07


def write_archive(*, until: datetime | None, since: date | None, seed: int, out: Callable[[str], None]) -> int:
    rng = random.Random(seed + 1)
    zone = timezone.get_current_timezone()
    until = until or timezone.now()
    local_until = until.astimezone(zone)
    since = since or date(local_until.year - 1, 1, 1)
    categories = list(Category.objects.filter(parent__isnull=False, active=True))
    cells = list(GridCell.objects.all())
    if not cells or not categories:
        return 0
    # Cumulative weights, computed once: random.choices would sum 12,000 weights on every call.
    # Places follow the detailed history's shares (data.LOCATION_SHARES): 桃城's urban core takes a
    # third of the calls, the countryside spread thin — so 同比 compares like with like.
    codes = dict(Organization.objects.values_list("pk", "code"))
    groups: dict[tuple[str, str], list[GridCell]] = defaultdict(list)
    for cell in cells:
        if cell.area_type == AreaType.RURAL:
            groups[("any", cell.area_type)].append(cell)
        elif codes[cell.jurisdiction_id].startswith(TAOCHENG_DIVISION):
            groups[("taocheng", cell.area_type)].append(cell)
        else:
            groups[("county", cell.area_type)].append(cell)
    shares = [(g, a, w) for g, a, w in LOCATION_SHARES if groups.get((g, a))]
    group_keys = [(g, a) for g, a, _w in shares]
    group_cumulative = list(itertools.accumulate(w for _g, _a, w in shares))
    category_cumulative = list(itertools.accumulate(CATEGORY_WEIGHTS.get(c.code, 10) for c in categories))
    targets = {a: ArrivalTarget.minutes_for(a) for a in AreaType.values}
    hour_weights = list(HOURLY_WEIGHTS)
    investigators: dict[int, list[int]] = defaultdict(list)
    for pk, org in Officer.objects.filter(organization__kind=Organization.Kind.STATION).values_list(
        "pk", "organization_id"
    ):
        investigators[org].append(pk)
    org_codes = dict(Organization.objects.values_list("pk", "code"))
    addresses = _CellAddresses(rng)
    written = 0
    incidents: list[dict] = []
    case_rows: list[dict] = []
    day = since
    while True:
        start = datetime.combine(day, time.min, tzinfo=zone)
        if start >= until:
            break
        share = MONTH_WEIGHTS[day.month - 1] * (LAST_YEAR if day.year < local_until.year else 1.0)
        if (day.month, day.day) in ((1, 28), (1, 29), (1, 30), (2, 9), (2, 10), (2, 11)):
            share *= 0.8
        count = max(0, round(rng.gauss(INCIDENTS_PER_DAY * share, math.sqrt(INCIDENTS_PER_DAY))))
        hours = rng.choices(range(24), hour_weights, k=count)
        moments = sorted(start + timedelta(hours=h, seconds=rng.uniform(0, 3600)) for h in hours)
        seq = 0
        for received in moments:
            if received >= until:
                break
            seq += 1
            category = rng.choices(categories, cum_weights=category_cumulative)[0]
            cell = rng.choice(groups[rng.choices(group_keys, cum_weights=group_cumulative)[0]])
            minutes = targets[cell.area_type]
            late = rng.random() < 0.1
            took = minutes * (rng.uniform(1.05, 2.2) if late else rng.uniform(0.35, 0.98))
            dispatched = received + timedelta(seconds=rng.uniform(40, 150))
            arrived = received + timedelta(minutes=took)
            closed = arrived + timedelta(minutes=rng.uniform(15, 120))
            incident = {
                "number": f"{BUREAU_DIVISION}-{day:%Y%m%d}-{800000 + seq:06d}",
                "received_at": received,
                "category_id": category.pk,
                "priority": Incident.Priority.URGENT if category.serious_violence else Incident.Priority.NORMAL,
                "address": addresses.of(cell),
                "lat": round(cell.lat + rng.uniform(-0.002, 0.002), 6),
                "lon": round(cell.lon + rng.uniform(-0.002, 0.002), 6),
                "description": narrative(category.code, f"{day:%Y%m%d}-{seq}", seed),
                "grid_cell_id": cell.h3,
                "station_id": cell.jurisdiction_id,
                "area_type": cell.area_type,
                "target_minutes": minutes,
                "arrival_due_at": received + timedelta(minutes=minutes),
                "status": Incident.Status.REPORTED,
                "dispatched_at": dispatched,
                "arrived_at": arrived,
                "resolved_at": closed,
                "closed_at": closed,
                "updated_at": closed,
                "imported": True,
            }
            incidents.append(incident)
            if category.klass == IncidentClass.CRIMINAL and rng.random() < 0.3:
                case_rows.append({"incident": incident, "category": category, "station": cell.jurisdiction_id})
        if len(incidents) >= BATCH:
            written += _flush(incidents)
            incidents = []
        day += timedelta(days=1)
    written += _flush(incidents)
    cases = _write_cases(case_rows, investigators, org_codes, until, rng)
    rollups.rebuild(since, local_until.date())
    out(f"历史档案：{written} 起警情、{cases} 起刑事案件（{since} 起，供统计分析）")
    return written


class _CellAddresses:
    """A call's address in a cell, as the detailed history writes it (a street, or a village of the
    station's 乡镇); the station is found by its name among the demo's 派出所."""

    def __init__(self, rng: random.Random):
        self.maker = AddressMaker(rng)
        specs = {f"{spec.name}派出所": (branch, spec) for branch in BRANCHES for spec in branch.stations}
        self.places = {pk: specs.get(name) for pk, name in Organization.objects.values_list("pk", "name")}
        self.names = dict(Organization.objects.values_list("pk", "name"))

    def of(self, cell: GridCell) -> str:
        place = self.places.get(cell.jurisdiction_id)
        if place is None:  # a unit the demo did not make: no street list to draw from
            return self.names[cell.jurisdiction_id]
        return self.maker.address(*place, cell.area_type)


def _flush(incidents: list[dict]) -> int:
    """INSERT the rows with executemany: model instances and bulk_create cost ten times as much."""
    if not incidents:
        return 0
    fields = [f for f in Incident._meta.concrete_fields if not f.primary_key]
    defaults = {f.attname: f.get_default() for f in fields}
    adapt = connection.ops.adapt_datetimefield_value
    dated = {f.attname for f in fields if f.get_internal_type() == "DateTimeField"}
    rows = []
    for incident in incidents:
        row = []
        for f in fields:
            value = incident.get(f.attname, defaults[f.attname])
            row.append(adapt(value) if f.attname in dated and value is not None else value)
        rows.append(row)
    table = connection.ops.quote_name(Incident._meta.db_table)
    columns = ", ".join(connection.ops.quote_name(f.column) for f in fields)
    placeholders = ", ".join(["%s"] * len(fields))
    with connection.cursor() as cursor:
        cursor.executemany(f"INSERT INTO {table} ({columns}) VALUES ({placeholders})", rows)  # noqa: S608
    return len(incidents)


def _write_cases(rows: list[dict], investigators, org_codes, until: datetime, rng: random.Random) -> int:
    sequences: dict[str, int] = defaultdict(int)
    for prefix, last in CaseSequence.objects.values_list("prefix", "last"):
        sequences[prefix] = last
    cases = []
    ids = {}
    numbers = [row["incident"]["number"] for row in rows]
    for start in range(0, len(numbers), 900):
        ids.update(Incident.objects.filter(number__in=numbers[start : start + 900]).values_list("number", "pk"))
    for row in rows:
        incident, station, category = row["incident"], row["station"], row["category"]
        leads = investigators.get(station)
        if not leads:
            continue
        accepted = incident["closed_at"] + timedelta(hours=rng.uniform(1, 20))
        filed = accepted + timedelta(days=rng.uniform(0.2, 3))
        solved = filed + timedelta(days=rng.expovariate(1 / 20)) if rng.random() < 0.42 else None
        if solved is not None and solved >= until:
            solved = None
        if filed >= until:
            continue
        local = timezone.localtime(accepted)
        prefix = f"A{org_codes[station]}{local:%Y%m}"
        sequences[prefix] += 1
        closed = solved + timedelta(days=rng.uniform(5, 40)) if solved else None
        if closed is not None and closed >= until:
            closed = None
        status = CaseStatus.CLOSED if closed else (CaseStatus.SOLVED if solved else CaseStatus.INVESTIGATING)
        cases.append(
            Case(
                number=f"{prefix}{sequences[prefix]:04d}",
                kind=CaseKind.CRIMINAL,
                title=f"{category.name}案",
                cause=category.name,
                summary=f"由警情 {incident['number']} 受案（历史数据）",
                organization_id=station,
                lead_investigator_id=rng.choice(leads),
                incident_id=ids[incident["number"]],
                category=category,
                accepted_at=accepted,
                filed_at=filed,
                solved_at=solved,
                closed_at=closed,
                status=status,
                # An archived case waits in the old system; the idle-case inspection starts from now.
                status_since=until,
            )
        )
    Case.objects.bulk_create(cases, batch_size=2000)
    existing = set(CaseSequence.objects.values_list("prefix", flat=True))
    CaseSequence.objects.bulk_create(
        [CaseSequence(prefix=p, last=n) for p, n in sequences.items() if p not in existing], batch_size=2000
    )
    for prefix in existing & set(sequences):
        CaseSequence.objects.filter(prefix=prefix).update(last=sequences[prefix])
    return len(cases)
