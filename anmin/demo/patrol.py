"""The demo city's patrol plans: today's shifts for the patrolling units of the three stations with
the most preventable incidents, and the last finished shift with its units' tracks, so the coverage
page shows real figures — most points visited, a point or two driven past or skipped, one phone
that dropped out for a while."""

import math
import random
from datetime import datetime, timedelta

from django.utils import timezone

from anmin.org.models import Officer, Organization, Role
from anmin.patrol.actions import GeneratePatrolPlans, RecordTrack
from anmin.patrol.hotspots import PREVENTABLE
from anmin.patrol.models import Shift

SEED = 20261208
STATIONS = 3
FIX_EVERY_S = 60
SPEED_MS = {"foot": 1.3}
DEFAULT_SPEED_MS = 8.0  # a car patrolling slowly through streets, ≈ 30 km/h


def _shifts(now: datetime) -> tuple[list[tuple], tuple]:
    """Today's shifts (day, shift) and the last finished one."""
    local = timezone.localtime(now)
    today = local.date()
    if local.hour >= 20:
        return [(today, Shift.DAY), (today, Shift.NIGHT)], (today, Shift.DAY)
    if local.hour >= 8:
        return [(today, Shift.DAY), (today, Shift.NIGHT)], (today - timedelta(days=1), Shift.NIGHT)
    return [(today - timedelta(days=1), Shift.NIGHT), (today, Shift.DAY)], (today - timedelta(days=1), Shift.DAY)


def _track(plan, rng: random.Random) -> list[tuple[float, float, datetime]]:
    """A unit's fixes along its plan: out from its base, a stop at most points, one skipped."""
    speed = SPEED_MS.get(plan.unit.kind, DEFAULT_SPEED_MS)
    base = tuple(plan.params["base"])
    stops = [(p["lat"], p["lon"]) for p in plan.points]
    skipped = {rng.randrange(len(stops))} if len(stops) > 2 else set()
    route = [base, *[s for i, s in enumerate(stops) if i not in skipped], base]
    t = plan.shift_start + timedelta(minutes=rng.randint(20, 60))
    fixes = [(base[0], base[1], t)]
    dropout = rng.random() < 0.3
    for leg, (a, b) in enumerate(zip(route, route[1:], strict=False)):
        metres = math.hypot((b[0] - a[0]) * 111_000, (b[1] - a[1]) * 88_000)
        steps = max(1, round(metres / speed / FIX_EVERY_S))
        for i in range(1, steps + 1):
            t += timedelta(seconds=FIX_EVERY_S)
            f = i / steps
            fixes.append((a[0] + (b[0] - a[0]) * f, a[1] + (b[1] - a[1]) * f, t))
        if leg < len(route) - 2:  # a stop at the point reached (not at the base at the end)
            for _ in range(rng.randint(6, 14)):
                t += timedelta(seconds=FIX_EVERY_S)
                fixes.append((b[0] + rng.uniform(-0.0004, 0.0004), b[1] + rng.uniform(-0.0004, 0.0004), t))
            if dropout and leg == 1:  # the phone out of signal for twenty minutes
                t += timedelta(minutes=20)
                dropout = False
    return [(round(lat, 6), round(lon, 6), at) for lat, lon, at in fixes if at <= plan.shift_end]


def build(now: datetime) -> str:
    """Builds this part of the demo into the new demo city; returns one line for the log ("" for none)."""
    from django.db.models import Count

    from anmin.dispatch.models import Unit
    from anmin.incidents.models import Incident
    from anmin.patrol.planning import PATROL_KINDS

    rng = random.Random(SEED)
    patrolled = set(Unit.objects.filter(kind__in=PATROL_KINDS).values_list("organization_id", flat=True))
    busiest = (
        Incident.objects.filter(received_at__gte=now - timedelta(days=60), category__klass__in=PREVENTABLE)
        .values("station_id")
        .annotate(n=Count("id"))
        .order_by("-n", "station_id")
    )
    ids = [row["station_id"] for row in busiest if row["station_id"] in patrolled][:STATIONS]
    stations = sorted(Organization.objects.filter(pk__in=ids), key=lambda s: ids.index(s.pk))
    if not stations:
        return ""
    today_shifts, past = _shifts(now)
    plans = fixes = 0
    for station in stations:
        by = (
            Officer.objects.filter(organization=station, role=Role.STATION, is_active=True).order_by("pk").first()
            or Officer.objects.filter(role=Role.LEADER, organization__parent__isnull=True).order_by("pk").first()
        )
        if by is None:
            continue
        for day, shift in today_shifts:
            plans += len(GeneratePatrolPlans(station=station, day=day, shift=shift, by=by).execute())
        for plan in GeneratePatrolPlans(station=station, day=past[0], shift=past[1], by=by).execute():
            plans += 1
            if plan.points:
                track = _track(plan, rng)
                fixes += RecordTrack(unit=plan.unit, fixes=track).execute()
    names = "、".join(s.name for s in stations)
    return f"巡控：{names} 的 {plans} 个巡逻方案（今日班次及上一班次），上一班次 {fixes} 个定位点"
