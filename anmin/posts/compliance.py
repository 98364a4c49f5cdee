"""The 达标 report of a post for a period: each criterion with its measured value, 见警率 and 管事率.

Definitions (shown on the report page as written here):

- **在岗时长** (manned hours): the union of the shifts' recorded 上岗–下岗 intervals within the period
  (a shift still on duty counts up to now; overlapping shifts are not counted twice). Never the
  roster's planned hours: a shift nobody took over counts zero.
- **见警率**: 在岗时长 ÷ (the standard's required manned hours per day × the days of the period),
  capped at 100% — the share of the hours the post should have been visibly manned that it was.
- **管事率**: of the 110 incidents received within the standard's radius of the post while it was
  manned, the share that one of the post's own units (`Unit.home_post`) was dispatched to. No such
  incident → no figure ("—"), not 100%.
- **每班核查数** (checkpoints): a shift that was manned meets it with at least the standard's minimum
  of check records; the criterion is met when every manned shift of the period does.
- **按时上岗**: a shift that has ended is *missing* if nobody took over, *late* if the take-over came
  more than the grace minutes after the planned start; the criterion is met when none is either.
"""

import math
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from django.db.models import Count, Exists, OuterRef
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from anmin.dispatch.models import Assignment
from anmin.geo.coords import distance_m
from anmin.geo.models import Post
from anmin.incidents.models import Incident
from anmin.posts.models import DutyShift, PostStandard


@dataclass
class ShiftRow:
    shift: DutyShift
    checks: int
    manned_hours: float
    status: str  # "ok", "late", "missing", "upcoming", "on_duty"
    meets_checks: bool | None


@dataclass
class Criterion:
    label: str
    required: str
    measured: str
    met: bool | None
    anchor: str


@dataclass
class Report:
    post: Post
    standard: PostStandard
    start: date
    end: date  # inclusive
    shifts: list[ShiftRow] = field(default_factory=list)
    manned_hours: float = 0.0
    required_hours: float = 0.0
    visibility_rate: float | None = None
    incidents: list[tuple[Incident, bool]] = field(default_factory=list)
    handling_rate: float | None = None
    criteria: list[Criterion] = field(default_factory=list)

    @property
    def compliant(self) -> bool:
        return all(c.met is not False for c in self.criteria)

    @property
    def missing_shifts(self) -> int:
        return sum(1 for row in self.shifts if row.status == "missing")

    @property
    def late_shifts(self) -> int:
        return sum(1 for row in self.shifts if row.status == "late")


def period_bounds(start: date, end: date) -> tuple[datetime, datetime]:
    tz = timezone.get_current_timezone()
    return (
        timezone.make_aware(datetime.combine(start, datetime.min.time()), tz),
        timezone.make_aware(datetime.combine(end + timedelta(days=1), datetime.min.time()), tz),
    )


def merged(intervals: list[tuple[datetime, datetime]]) -> list[tuple[datetime, datetime]]:
    out: list[list[datetime]] = []
    for begin, end in sorted(intervals):
        if out and begin <= out[-1][1]:
            out[-1][1] = max(out[-1][1], end)
        else:
            out.append([begin, end])
    return [(a, b) for a, b in out]


def _status(shift: DutyShift, grace: int, now: datetime) -> str:
    if shift.on_duty_at is None:
        return "missing" if shift.ends_at <= now else "upcoming"
    if shift.late_minutes() > grace:
        return "late"
    if shift.off_duty_at is None and shift.ends_at > now:
        return "on_duty"
    return "ok"


def _pct(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.1f}%"


def compliance(post: Post, start: date, end: date, *, now: datetime | None = None) -> Report:
    """The 达标 report of `post` from `start` to `end` (both days included)."""
    now = now or timezone.now()
    standard = PostStandard.for_post(post)
    begin, finish = period_bounds(start, end)
    report = Report(post=post, standard=standard, start=start, end=end)
    shifts = list(
        DutyShift.objects.filter(post=post, starts_at__gte=begin, starts_at__lt=finish)
        .select_related("leader")
        .annotate(check_count=Count("checks"))
        .order_by("starts_at")
    )
    grace = standard.late_grace_minutes
    minimum = standard.min_checks_per_shift
    intervals = []
    for shift in shifts:
        interval = shift.manned_interval(now)
        hours = 0.0
        if interval is not None:
            clipped = (max(interval[0], begin), min(interval[1], finish))
            if clipped[1] > clipped[0]:
                intervals.append(clipped)
                hours = (clipped[1] - clipped[0]).total_seconds() / 3600
        meets = None if not minimum or interval is None else shift.check_count >= minimum
        report.shifts.append(ShiftRow(shift, shift.check_count, hours, _status(shift, grace, now), meets))

    manned = merged(intervals)
    report.manned_hours = sum((b - a).total_seconds() for a, b in manned) / 3600
    days = (end - start).days + 1
    report.required_hours = float(standard.manned_hours_per_day) * days
    if report.required_hours > 0:
        report.visibility_rate = min(1.0, report.manned_hours / report.required_hours)

    report.incidents = _incidents(post, standard, manned)
    if report.incidents:
        report.handling_rate = sum(1 for _i, own in report.incidents if own) / len(report.incidents)

    per_day = report.manned_hours / days if days else 0.0
    report.criteria.append(
        Criterion(
            _("日均在岗时长"),
            _("≥ %(hours)s 小时") % {"hours": standard.manned_hours_per_day},
            _("%(hours)s 小时") % {"hours": f"{per_day:.1f}"},
            per_day + 1e-9 >= float(standard.manned_hours_per_day),
            "shifts",
        )
    )
    ended = [row for row in report.shifts if row.status not in ("upcoming", "on_duty")]
    report.criteria.append(
        Criterion(
            _("按时上岗"),
            _("迟到不超过 %(minutes)s 分钟，无缺岗") % {"minutes": grace},
            _("缺岗 %(missing)s 班，迟到 %(late)s 班，共 %(total)s 班")
            % {"missing": report.missing_shifts, "late": report.late_shifts, "total": len(ended)},
            None if not ended else report.missing_shifts == 0 and report.late_shifts == 0,
            "shifts",
        )
    )
    if minimum:
        judged = [row for row in report.shifts if row.meets_checks is not None]
        reached = sum(1 for row in judged if row.meets_checks)
        report.criteria.append(
            Criterion(
                _("每班核查数"),
                _("每班 ≥ %(n)s 次") % {"n": minimum},
                _("%(reached)s / %(total)s 班达到") % {"reached": reached, "total": len(judged)},
                None if not judged else reached == len(judged),
                "shifts",
            )
        )
    report.criteria.append(
        Criterion(_("见警率"), "", _pct(report.visibility_rate), None, "shifts"),
    )
    report.criteria.append(
        Criterion(_("管事率"), "", _pct(report.handling_rate), None, "incidents"),
    )
    return report


def _incidents(post: Post, standard: PostStandard, manned) -> list[tuple[Incident, bool]]:
    """The incidents within the radius received while the post was manned, each with whether one of
    the post's own units was dispatched to it."""
    if not manned:
        return []
    radius = standard.radius_m
    dlat = radius / 111_320
    dlon = radius / (111_320 * max(0.01, math.cos(math.radians(post.lat))))
    candidates = (
        Incident.objects.filter(
            received_at__gte=manned[0][0],
            received_at__lt=manned[-1][1],
            lat__range=(post.lat - dlat, post.lat + dlat),
            lon__range=(post.lon - dlon, post.lon + dlon),
        )
        .annotate(own=Exists(Assignment.objects.filter(incident=OuterRef("pk"), unit__home_post=post)))
        .select_related("category")
        .order_by("received_at")
    )
    found = []
    for incident in candidates:
        if distance_m(post.lat, post.lon, incident.lat, incident.lon) > radius:
            continue
        if any(a <= incident.received_at < b for a, b in manned):
            found.append((incident, incident.own))
    return found


def flags_for(posts: list[Post], day: date, *, now: datetime | None = None) -> dict[int, dict]:
    """For the posts list: per post, today's shifts (planned / on duty) and whether today so far has
    missing or late shifts — two queries for all the posts."""
    now = now or timezone.now()
    begin, finish = period_bounds(day, day)
    grace = {s.post_id or s.post_kind: s.late_grace_minutes for s in PostStandard.objects.all()}
    out: dict[int, dict] = {p.pk: {"shifts": [], "current": None, "missing": 0, "late": 0} for p in posts}
    kinds = {p.pk: p.kind for p in posts}
    shifts = (
        DutyShift.objects.filter(post__in=posts, starts_at__gte=begin, starts_at__lt=finish)
        .select_related("leader")
        .order_by("starts_at")
    )
    for shift in shifts:
        row = out[shift.post_id]
        g = grace.get(shift.post_id, grace.get(kinds[shift.post_id], 15))
        status = _status(shift, g, now)
        row["shifts"].append(shift)
        if shift.starts_at <= now < shift.ends_at:
            row["current"] = (shift, status)
        if status == "missing":
            row["missing"] += 1
        elif status == "late":
            row["late"] += 1
    return out
