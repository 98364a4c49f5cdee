"""巡控 pages: a station's patrol plans for a shift (map, generate, print) and their coverage."""

from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST, require_safe

from anmin.core.errors import ActionError
from anmin.core.forms import valid
from anmin.geo.coords import distance_m
from anmin.geo.models import PatrolLine
from anmin.org.models import Organization
from anmin.patrol import queries
from anmin.patrol.actions import PLANNER_ROLES, GeneratePatrolPlans
from anmin.patrol.forms import ShiftForm, current_shift


def visible_station(request, station_id: int) -> Organization:
    return get_object_or_404(
        Organization.objects.visible_to(request.user).filter(kind=Organization.Kind.STATION), pk=station_id
    )


def _shift(request):
    form = ShiftForm.for_request(request.GET)
    try:
        values = valid(form)
    except ActionError as exc:
        day, shift = current_shift()
        return ShiftForm.for_request({}), day, shift, exc
    return form, values["date"], values["shift"], None


def _line_km(line: list) -> float:
    return sum(distance_m(*a, *b) for a, b in zip(line, line[1:], strict=False)) / 1000


@login_required
@require_safe
def index(request):
    """巡控: the user's own station, or the list of stations they may see."""
    org = request.user.organization
    if org is not None and org.kind == Organization.Kind.STATION:
        return redirect("patrol:station", station_id=org.pk)
    stations = Organization.objects.visible_to(request.user).filter(kind=Organization.Kind.STATION).order_by("code")
    return render(request, "patrol/index.html", {"nav": "patrol", "stations": stations})


def _context(request, station):
    form, day, shift, error = _shift(request)
    rows = queries.plans_coverage(queries.station_plans(station, day, shift))
    query = urlencode({"date": day.isoformat(), "shift": shift})
    return {
        "nav": "patrol",
        "station": station,
        "form": form,
        "day": day,
        "shift": shift,
        "error": error,
        "query": query,
        "rows": [(row, _line_km(row.plan.line)) for row in rows],
        "totals": queries.totals(rows),
        "can_plan": request.user.is_superuser or request.user.role in PLANNER_ROLES,
    }


@login_required
@require_safe
def station_page(request, station_id):
    """A station's plans for a shift on a map, with the fixed 巡线 and the shift's hotspots."""
    station = visible_station(request, station_id)
    ctx = _context(request, station)
    lines = PatrolLine.objects.filter(organization__path__startswith=station.path).order_by("name")
    ctx["fixed_lines"] = [{"name": line.name, "points": line.points} for line in lines]
    ctx["plans_url"] = reverse("api:list_plans") + f"?station={station.pk}&{ctx['query']}"
    ctx["hotspots_url"] = reverse("api:list_hotspots") + f"?station={station.pk}"
    return render(request, "patrol/station.html", ctx)


@login_required
@require_POST
def generate(request, station_id):
    """生成巡逻方案 for the shift in the form: the action replaces the shift's earlier plans."""
    station = visible_station(request, station_id)
    form = ShiftForm(request.POST)
    try:
        values = valid(form)
        plans = GeneratePatrolPlans(
            station=station, day=values["date"], shift=values["shift"], by=request.user
        ).execute()
    except ActionError as exc:
        messages.error(request, exc.message)
        return redirect("patrol:station", station_id=station.pk)
    messages.success(request, _("已生成 %(n)s 个巡逻方案") % {"n": len(plans)})
    query = urlencode({"date": values["date"].isoformat(), "shift": values["shift"]})
    return redirect(reverse("patrol:station", kwargs={"station_id": station.pk}) + "?" + query)


@login_required
@require_safe
def print_page(request, station_id):
    """The shift's plans as a list to print and carry: each unit's points in the order of its line."""
    station = visible_station(request, station_id)
    return render(request, "patrol/print.html", _context(request, station))


@login_required
@require_safe
def coverage_page(request, station_id):
    """巡逻覆盖: per unit, time present at each planned point, distance patrolled, points visited."""
    station = visible_station(request, station_id)
    return render(request, "patrol/coverage.html", _context(request, station))
