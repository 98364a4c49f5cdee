"""Screens of the command centre and the officer's phone: board, intake, incident, phone page."""

import math
from datetime import timedelta

import h3
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Max, Min, Q
from django.http import Http404, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from anmin.core.errors import ActionError
from anmin.core.masking import mask_phone
from anmin.dispatch.actions import (
    AdvanceAssignment,
    CancelIncident,
    DispatchUnits,
    ReopenIncident,
    ReportPosition,
    SetUnitStatus,
    SubmitFeedback,
)
from anmin.dispatch.models import Assignment, FeedbackResult, Unit, UnitStatus
from anmin.dispatch.recommend import recommend
from anmin.geo.models import GridCell, PatrolLine, Place, Post
from anmin.incidents.actions import ReceiveCall, RepeatCall, RevealCaller
from anmin.incidents.models import Category, Incident, IncidentClass
from anmin.org.models import Organization

QUEUE_LIMIT = 200


def _require_console(user):
    if not (user.can_command or user.sees_everything):
        raise PermissionDenied


def _queue_incidents(user) -> list[Incident]:
    """Open incidents in the user's scope, most urgent first; each marked `overdue` (超时未到场)."""
    now = timezone.now()
    incidents = list(
        Incident.objects.visible_to(user)
        .open()
        .select_related("category", "station")
        .prefetch_related("assignments__unit")
        .order_by("priority", "received_at")[:QUEUE_LIMIT]
    )
    for incident in incidents:
        incident.overdue = incident.is_overdue(now)
        incident.active_units = [a.unit.callsign for a in incident.assignments.all() if a.closed_at is None]
    # Overdue first within a priority: they are what the commander must act on now.
    incidents.sort(key=lambda i: (i.priority, not i.overdue, i.received_at))
    return incidents


@login_required
def board(request):
    """可视化调度: the incident queue, the map and the units, live."""
    _require_console(request.user)
    return render(
        request,
        "dispatch/board.html",
        {
            "nav": "board",
            "incidents": _queue_incidents(request.user),
            "now": timezone.now(),
            "selected": int(request.GET["incident"]) if request.GET.get("incident", "").isdigit() else None,
            "bounds": _jurisdiction_bounds(request.user),
        },
    )


def _jurisdiction_bounds(user) -> list[list[float]] | None:
    """The box of a station's or branch's grid, for the map to open on; None for the whole city
    (the map then opens on the urban centre, where most calls come from)."""
    if user.sees_everything:
        return None
    box = GridCell.objects.visible_to(user).aggregate(s=Min("lat"), w=Min("lon"), n=Max("lat"), e=Max("lon"))
    if box["s"] is None:
        return None
    return [[box["s"], box["w"]], [box["n"], box["e"]]]


@login_required
def queue(request):
    _require_console(request.user)
    return render(request, "dispatch/_queue.html", {"incidents": _queue_incidents(request.user), "now": timezone.now()})


@login_required
def units_panel(request):
    _require_console(request.user)
    units = Unit.objects.visible_to(request.user).select_related("organization", "current_incident")
    counts = dict(units.values_list("status").annotate(n=Count("id")).order_by())
    status_counts = [(s.label, counts.get(s.value, 0), s.value) for s in UnitStatus]
    return render(request, "dispatch/_units.html", {"units": units[:400], "status_counts": status_counts})


@login_required
def map_data(request):
    """Markers for the board's map: open incidents and all visible units (WGS-84)."""
    _require_console(request.user)
    incidents = [
        {
            "id": i.pk,
            "number": i.number,
            "lat": i.lat,
            "lon": i.lon,
            "priority": i.priority,
            "status": i.get_status_display(),
            "category": i.category.name,
            "overdue": i.overdue,
            "serious": i.category.serious_violence,
        }
        for i in _queue_incidents(request.user)
    ]
    units = [
        {
            "id": u["id"],
            "callsign": u["callsign"],
            "lat": u["lat"],
            "lon": u["lon"],
            "status": u["status"],
            "kind": u["kind"],
        }
        for u in Unit.objects.visible_to(request.user).values("id", "callsign", "lat", "lon", "status", "kind")
    ]
    data = {"incidents": incidents, "units": units}
    if request.GET.get("static"):  # posts and patrol lines do not move: the board asks for them once
        orgs = Organization.objects.visible_to(request.user)
        data["posts"] = list(Post.objects.filter(organization__in=orgs).values("id", "name", "kind", "lat", "lon"))
        data["lines"] = list(PatrolLine.objects.filter(organization__in=orgs).values("id", "name", "points"))
    return JsonResponse(data)


def _float_arg(request, name):
    try:
        value = float(request.GET[name])
    except (KeyError, ValueError):
        return None
    return value if math.isfinite(value) else None


@login_required
def grid_data(request):
    """Grid cells in the visible box with their jurisdiction and load (incidents in the last 7 days)."""
    _require_console(request.user)
    names = ("south", "west", "north", "east")
    box = [_float_arg(request, k) for k in names]
    if None in box:
        field = names[box.index(None)]
        message = _("缺少或无效的参数 %(field)s（应为数字）") % {"field": field}
        return JsonResponse({"detail": [{"field": field, "message": message, "code": "invalid"}]}, status=400)
    south, west, north, east = box
    cells = GridCell.objects.visible_to(request.user).filter(lat__range=(south, north), lon__range=(west, east))
    rows = list(cells.values_list("h3", "jurisdiction_id", "jurisdiction__name", "area_type")[:4000])
    since = timezone.now() - timedelta(days=7)
    load = dict(
        Incident.objects.filter(grid_cell__in=[r[0] for r in rows], received_at__gte=since)
        .values_list("grid_cell")
        .annotate(n=Count("id"))
        .order_by()
    )
    features = [
        {
            "h3": cell,
            "station_id": station_id,
            "station": station,
            "area": area,
            "load": load.get(cell, 0),
            "boundary": [[round(lat, 6), round(lon, 6)] for lat, lon in h3.cell_to_boundary(cell)],
        }
        for cell, station_id, station, area in rows
    ]
    return JsonResponse({"cells": features, "truncated": len(rows) >= 4000})


@login_required
def places(request):
    """Address look-up in the local gazetteer for the intake form."""
    q = request.GET.get("q", "").strip()[:40]
    if not q:
        return JsonResponse({"places": []})
    found = Place.objects.filter(Q(name__icontains=q) | Q(address__icontains=q)).order_by("name")[:10]
    return JsonResponse({"places": [{"name": p.name, "address": p.address, "lat": p.lat, "lon": p.lon} for p in found]})


def _categories():
    groups = {}
    for c in Category.objects.filter(active=True, parent__isnull=False).order_by("code"):
        groups.setdefault(c.klass, []).append(c)
    return [(IncidentClass(k).label, items) for k, items in groups.items()]


INTAKE_FIELDS = (
    "category",
    "lat",
    "lon",
    "address",
    "caller_phone",
    "caller_name",
    "description",
    "priority",
)


@login_required
@require_http_methods(["GET", "POST"])
def intake(request):
    """接警: the call-taker's form, keyboard first (Tab through; Ctrl+Enter submits)."""
    if not request.user.can_command:
        raise PermissionDenied
    values = dict.fromkeys((*INTAKE_FIELDS, "category_label"), "")
    error, repeats = None, []
    if request.method == "POST":
        values.update({k: request.POST.get(k, "") for k in INTAKE_FIELDS})
        # The category box shows "0601 家庭纠纷"; the code is the first word.
        values["category_label"] = values["category"]
        values["category"] = (values["category"].split() or [""])[0]
        merge_into = None
        if request.POST.get("merge_into"):
            merge_into = Incident.objects.visible_to(request.user).filter(pk=request.POST["merge_into"]).first()
            if merge_into is None:
                error = ActionError(_("要合并的警情不存在"), field="merge_into")
        if error is None:
            try:
                incident, created = ReceiveCall(
                    by=request.user,
                    data=values,
                    merge_into=merge_into,
                    force_new=bool(request.POST.get("force_new")),
                ).execute()
            except RepeatCall as exc:
                error, repeats = exc, exc.candidates
            except ActionError as exc:
                error = exc
            else:
                if created:
                    messages.success(request, _("已接警：%(number)s") % {"number": incident.number})
                else:
                    messages.info(request, _("已合并到警情 %(number)s") % {"number": incident.number})
                return redirect(reverse("intake") + f"?last={incident.pk}")
    last = None
    if request.GET.get("last", "").isdigit():
        last = Incident.objects.visible_to(request.user).filter(pk=request.GET["last"]).first()
    return render(
        request,
        "dispatch/intake.html",
        {
            "nav": "intake",
            "categories": _categories(),
            "values": values,
            "error": error,
            "repeats": repeats,
            "last": last,
            "priorities": Incident.Priority.choices,
        },
        status=400 if error and not repeats else 200,
    )


def _visible_incident(request, pk):
    return get_object_or_404(
        Incident.objects.visible_to(request.user).select_related("category", "station", "grid_cell"), pk=pk
    )


def _panel_context(request, incident, error=None):
    assignments = list(incident.assignments.select_related("unit", "dispatched_by"))
    recs = recommend(incident, request.user) if incident.is_open and request.user.can_command else []
    return {
        "version": "|".join(
            [str(incident.updated_at), *(str(a.pk) for a in assignments), *(str(r.unit_id) for r in recs)]
        ),
        "incident": incident,
        "events": incident.events.select_related("actor"),
        "assignments": assignments,
        "recommendations": recs,
        "error": error,
        "now": timezone.now(),
        "masked_phone": mask_phone(incident.caller_phone),
    }


@login_required
def incident_page(request, pk):
    incident = _visible_incident(request, pk)
    return render(request, "dispatch/incident.html", _panel_context(request, incident))


@login_required
@require_http_methods(["GET", "POST"])
def incident_panel(request, pk):
    """The incident panel (board side pane and incident page); POST runs dispatch/cancel/reopen/reveal."""
    incident = _visible_incident(request, pk)
    error = None
    reveal = False
    if request.method == "POST":
        op = request.POST.get("op")
        try:
            if op == "dispatch":
                ids = request.POST.getlist("unit_ids")
                if not all(i.isdigit() for i in ids):
                    raise ActionError(_("警力编号应为整数"), field="unit_ids")
                DispatchUnits(incident=incident, unit_ids=[int(i) for i in ids], by=request.user).execute()
            elif op == "cancel":
                CancelIncident(incident=incident, reason=request.POST.get("reason", ""), by=request.user).execute()
            elif op == "reopen":
                ReopenIncident(incident=incident, reason=request.POST.get("reason", ""), by=request.user).execute()
            elif op == "reveal":
                RevealCaller(incident=incident, by=request.user).execute()  # PIPL: the viewing is logged
                reveal = True
            else:
                raise ActionError(_("未知操作"), field="op")
        except ActionError as exc:
            error = exc
        incident.refresh_from_db()
    ctx = _panel_context(request, incident, error)
    ctx["reveal"] = reveal
    return render(request, "dispatch/_incident_panel.html", ctx, status=200)


# --- the officer's phone page -------------------------------------------------------------------


def _my_unit(request):
    units = list(Unit.objects.filter(members=request.user).select_related("organization"))
    if not units:
        return None
    wanted = request.GET.get("unit") or request.POST.get("unit")
    for unit in units:
        if str(unit.pk) == wanted:
            return unit
    return units[0]


def _phone_context(request, unit, error=None):
    assignment = None
    if unit is not None:
        assignment = (
            Assignment.objects.active()
            .filter(unit=unit)
            .select_related("incident__category", "incident__station")
            .first()
        )
    return {
        "unit": unit,
        "assignment": assignment,
        "incident": assignment.incident if assignment else None,
        "results": FeedbackResult.choices,
        "error": error,
        "version": _phone_version(unit, assignment),
    }


def _phone_version(unit, assignment) -> str:
    """What the phone panel shows, in one string: a live refresh that brings nothing new is not
    swapped in, so it cannot wipe a feedback form the officer is typing."""
    if unit is None:
        return ""
    parts = [unit.status, unit.position_at]
    if assignment is not None:
        parts += [assignment.pk, assignment.en_route_at, assignment.arrived_at, assignment.handling_at]
        parts += [assignment.resolved_at, assignment.incident.status, assignment.incident.updated_at]
    return "|".join(str(p) for p in parts)


@login_required
def phone(request):
    """掌上处警: the crew's page — current task, status buttons, position, 处警反馈."""
    unit = _my_unit(request)
    return render(request, "dispatch/phone.html", _phone_context(request, unit) | {"nav": "phone"})


@login_required
@require_http_methods(["GET", "POST"])
def phone_panel(request):
    unit = _my_unit(request)
    if unit is None:
        raise Http404
    error = None
    if request.method == "POST":
        op = request.POST.get("op", "")
        try:
            if op in AdvanceAssignment.STEPS:
                AdvanceAssignment(unit=unit, step=op, by=request.user).execute()
            elif op == "feedback":
                SubmitFeedback(
                    unit=unit,
                    result=request.POST.get("result", ""),
                    text=request.POST.get("text", ""),
                    by=request.user,
                ).execute()
            elif op in (UnitStatus.AVAILABLE, UnitStatus.OFFLINE):
                SetUnitStatus(unit=unit, status=op, by=request.user).execute()
            elif op == "position":
                try:
                    lat, lon = float(request.POST.get("lat", "")), float(request.POST.get("lon", ""))
                except ValueError:
                    raise ActionError(_("坐标无效"), field="lat") from None
                ReportPosition(unit=unit, lat=lat, lon=lon, by=request.user).execute()
            else:
                raise ActionError(_("未知操作"), field="op")
        except ActionError as exc:
            error = exc
        unit.refresh_from_db()
    return render(request, "dispatch/_phone_panel.html", _phone_context(request, unit, error))
