"""Actions of 警情研判与巡控: keeping a unit's position history, generating the shift's patrol plans."""

from datetime import date, datetime, time, timedelta

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from anmin.core.actions import Action
from anmin.core.errors import ActionError, Denied
from anmin.dispatch.models import Unit
from anmin.geo.models import GridCell, Post
from anmin.org.models import Organization, Role
from anmin.patrol import hotspots, planning
from anmin.patrol.models import SHIFT_HOURS, PatrolPlan, PositionFix, Shift

#: Who may generate a station's plans: those who command its units, and the station's own officers.
PLANNER_ROLES = {Role.STATION, Role.LEADER, Role.DISPATCHER, Role.ADMIN}


def shift_bounds(day: date, shift: str) -> tuple[datetime, datetime]:
    """Start and end of a shift of a (local) day; the night shift ends the next morning."""
    start_h, end_h = SHIFT_HOURS[Shift(shift)]
    start = timezone.make_aware(datetime.combine(day, time(start_h)))
    end = timezone.make_aware(datetime.combine(day + timedelta(days=1 if end_h <= start_h else 0), time(end_h)))
    return start, end


def shift_band(day: date, shift: str) -> hotspots.Band:
    """The hotspot band of a shift: its hours, on the kind of day (weekday/weekend) it starts on."""
    start_h, end_h = SHIFT_HOURS[Shift(shift)]
    return hotspots.Band(start_h, end_h, day.weekday() >= 5)


def unit_base(unit: Unit, station: Organization) -> tuple[float, float]:
    """Where a unit starts its patrol: its 驻点, else its station's 驻地, else its last position."""
    if unit.home_post_id:
        return unit.home_post.lat, unit.home_post.lon
    seat = Post.objects.filter(organization=station, kind=Post.Kind.STATION).first()
    if seat:
        return seat.lat, seat.lon
    return unit.lat, unit.lon


class RecordPositionFix(Action):
    """Keeps one reported position of a unit in its history (定位点), as the phone reported it."""

    not_audited = "telemetry: a phone reports its position every few seconds; the report itself is the record"

    def __init__(self, *, unit: Unit, lat: float, lon: float, at: datetime, by=None):
        self.unit, self.lat, self.lon, self.at, self.by = unit, lat, lon, at, by

    def run(self) -> PositionFix:
        return PositionFix.objects.create(unit=self.unit, lat=self.lat, lon=self.lon, at=self.at)


class RecordTrack(Action):
    """Keeps a unit's positions reported together (a phone's buffer sent after it was out of
    signal, or a track loaded from a GPS log) in its history, in one write."""

    not_audited = "telemetry: positions as the phone reported them; the positions themselves are the record"

    def __init__(self, *, unit: Unit, fixes: list[tuple[float, float, datetime]], by=None):
        self.unit, self.fixes, self.by = unit, fixes, by

    def check(self) -> None:
        for lat, lon, _at in self.fixes:
            if not (-90 <= lat <= 90 and -180 <= lon <= 180):
                raise ActionError(_("坐标无效"), field="fixes")

    def run(self) -> int:
        rows = [PositionFix(unit=self.unit, lat=lat, lon=lon, at=at) for lat, lon, at in self.fixes]
        return len(PositionFix.objects.bulk_create(rows, batch_size=500))


class GeneratePatrolPlans(Action):
    """生成巡逻方案: for one station and shift, a plan for each of its patrolling units (the hottest
    cells within its reach, a line through them). A plan already made for the shift is replaced."""

    audit_action = "patrol.plan"

    def __init__(self, *, station: Organization, day: date, shift: str, by, now: datetime | None = None):
        self.station, self.day, self.shift, self.by = station, day, shift, by
        self.now = now

    def check(self) -> None:
        by = self.by
        if not (by and by.is_authenticated and (by.is_superuser or by.role in PLANNER_ROLES)):
            raise Denied(_("只有派出所民警、指挥员和领导可以生成巡逻方案"))
        if not Organization.objects.visible_to(by).filter(pk=self.station.pk).exists():
            raise Denied(_("无权为该单位生成巡逻方案"))
        if self.station.kind != Organization.Kind.STATION:
            raise ActionError(_("只能为派出所生成巡逻方案"), field="station")
        if self.shift not in Shift.values:
            raise ActionError(_("班次无效"), field="shift")

    def run(self) -> list[PatrolPlan]:
        start, end = shift_bounds(self.day, self.shift)
        band = shift_band(self.day, self.shift)
        params = hotspots.Params()
        # Yesterday's history for a shift of today: the plan is made before the shift starts.
        scores = hotspots.city_scores(band, self.day - timedelta(days=1), params)
        cells = GridCell.objects.filter(jurisdiction__path__startswith=self.station.path).values_list(
            "h3", "name", "lat", "lon"
        )
        candidates = [planning.Candidate(h, n, la, lo, round(scores.get(h, 0.0), 4)) for h, n, la, lo in cells]
        units = Unit.objects.filter(
            organization__path__startswith=self.station.path, kind__in=planning.PATROL_KINDS
        ).select_related("home_post")
        taken: set[str] = set()
        plans = []
        for unit in units:
            base = unit_base(unit, self.station)
            reach, count = planning.REACH_M[unit.kind], planning.POINTS_PER_SHIFT[unit.kind]
            ordered = planning.tour(
                base, planning.choose_points(base, candidates, reach_m=reach, count=count, taken=taken)
            )
            taken.update(c.cell for c in ordered)
            plan, _created = PatrolPlan.objects.update_or_create(
                unit=unit,
                shift_start=start,
                defaults={
                    "station": self.station,
                    "shift": self.shift,
                    "shift_end": end,
                    "points": [
                        {"lat": c.lat, "lon": c.lon, "cell": c.cell, "name": c.name, "score": c.score} for c in ordered
                    ],
                    "line": planning.line(base, ordered),
                    "params": {
                        "reach_m": reach,
                        "points": count,
                        "band": band.key,
                        "base": list(base),
                        "history_until": str(self.day - timedelta(days=1)),
                        **params.as_dict(),
                    },
                    "created_by": self.by,
                },
            )
            self.audit(plan, {"shift": self.shift, "day": str(self.day), "points": len(ordered)})
            plans.append(plan)
        return plans
