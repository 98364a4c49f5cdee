"""Screens of the command centre: board, intake, incident (the officer's phone page is in phone.py)."""

import secrets
from datetime import timedelta

import h3
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Max, Min, Q
from django.http import JsonResponse
from django.http.request import QueryDict
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from anmin.core.errors import ActionError, Conflict
from anmin.core.forms import first_error
from anmin.dispatch import queue as desk_queue
from anmin.dispatch.actions import (
    CancelIncident,
    DispatchUnits,
    ReopenIncident,
)
from anmin.dispatch.forms import (
    BoardForm,
    DispatchForm,
    GridBoxForm,
    IntakeForm,
    IntakePageForm,
    MapForm,
    PlacesForm,
    ReasonForm,
    RevealForm,
)
from anmin.dispatch.models import Unit, UnitStatus
from anmin.dispatch.queue import QueueForm
from anmin.dispatch.recommend import recommend
from anmin.geo.models import GridCell, PatrolLine, Place, Post
from anmin.incidents.actions import IntakeKeyReused, ReceiveCall, RepeatCall, RevealCaller
from anmin.incidents.models import Category, Incident, IncidentClass
from anmin.org.models import Organization


def _require_console(user):
    if not (user.can_command or user.sees_everything):
        raise PermissionDenied


def _queue_context(request) -> tuple[dict, ActionError | None]:
    """The queue's part of the board and of its live refresh: the incidents with the filters of the
    address (a bad filter value is named and left out, the others still apply), status badges, the
    filter form and, for those who command, the alert state."""
    form = QueueForm(request.GET, user=request.user)
    error = None if form.is_valid() else first_error(form)
    built = desk_queue.build(request.user, form, alerts=request.user.can_command)
    return {"queue": built, "incidents": built.incidents, "filter_form": form, "queue_error": error}, error


@login_required
def board(request):
    """可视化调度: the incident queue, the map and the units, live."""
    _require_console(request.user)
    form = BoardForm(request.GET)
    error = None if form.is_valid() else first_error(form)
    context, queue_error = _queue_context(request)  # a bad filter is named inside the queue
    return render(
        request,
        "dispatch/board.html",
        context
        | {
            "nav": "board",
            "now": timezone.now(),
            "selected": form.cleaned_data.get("incident"),
            "bounds": _jurisdiction_bounds(request.user),
            "error": error,
        },
        status=400 if error or queue_error else 200,
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
    """The queue alone, for the board's live refresh and its filters (same parameters as the board)."""
    _require_console(request.user)
    context, error = _queue_context(request)
    context["now"] = timezone.now()
    return render(request, "dispatch/_queue.html", context, status=400 if error else 200)


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
        for i in desk_queue.ordered(desk_queue.scope(request.user), timezone.now())
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
    form = MapForm(request.GET)
    form.is_valid()  # a BooleanField takes any value; anything unrecognised is False
    if form.cleaned_data.get("static"):  # posts and patrol lines do not move: the board asks for them once
        orgs = Organization.objects.visible_to(request.user)
        data["posts"] = list(Post.objects.filter(organization__in=orgs).values("id", "name", "kind", "lat", "lon"))
        data["lines"] = list(PatrolLine.objects.filter(organization__in=orgs).values("id", "name", "points"))
    return JsonResponse(data)


def _json_error(error: ActionError) -> JsonResponse:
    return JsonResponse({"detail": [error.as_dict()]}, status=error.status)


@login_required
def grid_data(request):
    """Grid cells in the visible box with their jurisdiction and load (incidents in the last 7 days)."""
    _require_console(request.user)
    form = GridBoxForm(request.GET)
    if not form.is_valid():
        return _json_error(first_error(form))
    south, west, north, east = (form.cleaned_data[k] for k in ("south", "west", "north", "east"))
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
    form = PlacesForm(request.GET)
    if not form.is_valid():
        return _json_error(first_error(form))
    q = form.cleaned_data["q"]
    if not q:
        return JsonResponse({"places": []})
    found = Place.objects.filter(Q(name__icontains=q) | Q(address__icontains=q)).order_by("name")[:10]
    return JsonResponse({"places": [{"name": p.name, "address": p.address, "lat": p.lat, "lon": p.lon} for p in found]})


def _categories():
    groups = {}
    for c in Category.objects.filter(active=True, parent__isnull=False).order_by("code"):
        groups.setdefault(c.klass, []).append(c)
    return [(IncidentClass(k).label, items) for k, items in groups.items()]


def _new_token() -> str:
    """A one-time token for one intake form: resubmitting the form (a double click, the browser
    resending after a lost answer) finds the incident recorded the first time."""
    return secrets.token_urlsafe(16)


@login_required
@require_http_methods(["GET", "POST"])
def intake(request):
    """接警: the call-taker's form, keyboard first (Tab through; Ctrl+Enter submits)."""
    if not request.user.can_command:
        raise PermissionDenied
    error, repeats, status = None, [], 200
    if request.method == "POST":
        form = IntakeForm(request.POST)
        if not form.is_valid():
            error = first_error(form)
        else:
            error, repeats, done = _receive(request, form)
            if done is not None:
                return done
        status = 200 if repeats else error.status
        if error.code == IntakeKeyReused.code:
            # This page was used for a call already (the browser's Back, then a new call typed in):
            # a fresh token makes the next submission a new intake.
            form = IntakeForm(_with_token(request.POST, _new_token()))
    else:
        form = IntakeForm(initial={"token": _new_token()})
    page = IntakePageForm(request.GET)
    last = None
    if not page.is_valid():
        error, status = error or first_error(page), 400
    elif page.cleaned_data["last"]:
        last = Incident.objects.visible_to(request.user).filter(pk=page.cleaned_data["last"]).first()
    values = {name: form[name].value() or "" for name in form.fields}
    values["category_label"] = values["category"]
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
            # Errors of these are shown beside their field; any other (merge_into, the token, none) on top.
            "inline_fields": (
                "caller_phone",
                "caller_name",
                "address",
                "lat",
                "lon",
                "category",
                "priority",
                "description",
            ),
        },
        status=status,
    )


def _with_token(data: QueryDict, token: str) -> QueryDict:
    data = data.copy()
    data["token"] = token
    return data


def _receive(request, form: IntakeForm):
    """Record the call; (error, repeat candidates, redirect once done)."""
    merge_into = None
    if form.cleaned_data["merge_into"] is not None:
        merge_into = Incident.objects.visible_to(request.user).filter(pk=form.cleaned_data["merge_into"]).first()
        if merge_into is None:
            return ActionError(_("要合并的警情不存在"), field="merge_into", code="not_found"), [], None
    action = ReceiveCall(
        by=request.user,
        data=form.call_data(),
        merge_into=merge_into,
        force_new=form.cleaned_data["force_new"],
        key=form.cleaned_data["token"] or None,
    )
    try:
        incident, created = action.execute()
    except IntakeKeyReused as exc:
        message = _("此表单已提交过（警情 %(number)s）。如为新的来电，请核对后再次提交。") % {
            "number": exc.incident.number if exc.incident else "-"
        }
        return Conflict(message, field="token", code=exc.code), [], None
    except RepeatCall as exc:
        return exc, exc.candidates, None
    except ActionError as exc:
        return exc, [], None
    if action.replayed:
        messages.info(request, _("该来电已登记，未重复新建：%(number)s") % {"number": incident.number})
    elif created:
        messages.success(request, _("已接警：%(number)s") % {"number": incident.number})
    else:
        messages.info(request, _("已合并到警情 %(number)s") % {"number": incident.number})
    return None, [], redirect(reverse("dispatch:intake") + f"?last={incident.pk}")


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
        # Nobody can arrive within the target: the panel says so (the fastest is ticked).
        "none_in_time": bool(recs) and not any(r.meets_target for r in recs),
        "error": error,
        "now": timezone.now(),
    }


@login_required
def incident_page(request, pk):
    incident = _visible_incident(request, pk)
    return render(request, "dispatch/incident.html", _panel_context(request, incident))


@login_required
@require_GET
def incident_panel(request, pk):
    """The incident panel (board side pane and incident page); each operation on it has its own URL."""
    return _render_panel(request, _visible_incident(request, pk))


def _render_panel(request, incident, error: ActionError | None = None, *, reveal: bool = False):
    ctx = _panel_context(request, incident, error)
    ctx["reveal"] = reveal
    return render(request, "dispatch/_incident_panel.html", ctx, status=error.status if error else 200)


def _panel_action(request, pk, form_class, act):
    """Run `act(incident, cleaned_data)` from the panel's form and answer with the panel again:
    on a refusal, with the message beside the field and the error's status (400/403/409)."""
    incident = _visible_incident(request, pk)
    form = form_class(request.POST)
    error, reveal = None, False
    if not form.is_valid():
        error = first_error(form)
    else:
        try:
            reveal = bool(act(incident, form.cleaned_data))
        except ActionError as exc:
            error = exc
    incident.refresh_from_db()
    return _render_panel(request, incident, error, reveal=reveal)


@login_required
@require_POST
def dispatch_units(request, pk):
    """派警 from the panel."""

    def act(incident, data):
        DispatchUnits(incident=incident, unit_ids=data["unit_ids"], by=request.user).execute()

    return _panel_action(request, pk, DispatchForm, act)


@login_required
@require_POST
def cancel_incident(request, pk):
    """撤销警情."""

    def act(incident, data):
        CancelIncident(incident=incident, reason=data["reason"], by=request.user).execute()

    return _panel_action(request, pk, ReasonForm, act)


@login_required
@require_POST
def reopen_incident(request, pk):
    """重新打开."""

    def act(incident, data):
        ReopenIncident(incident=incident, reason=data["reason"], by=request.user).execute()

    return _panel_action(request, pk, ReasonForm, act)


@login_required
@require_POST
def reveal_caller(request, pk):
    """The caller's number in full, in this one answer (PIPL: the viewing is logged)."""

    def act(incident, data):
        RevealCaller(incident=incident, by=request.user).execute()
        return True

    return _panel_action(request, pk, RevealForm, act)
