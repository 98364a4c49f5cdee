"""掌上处警: the officer's phone page — the unit's current task, the steps, status, position, 处警反馈."""

from urllib.parse import quote

from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from anmin.core.errors import ActionError
from anmin.core.forms import first_error
from anmin.dispatch.actions import AdvanceAssignment, ReportPosition, SetUnitStatus, SubmitFeedback
from anmin.dispatch.forms import FeedbackForm, PositionForm, StatusForm, StepForm, UnitForm
from anmin.dispatch.models import Assignment, FeedbackResult, Unit


def _my_unit(user, wanted: int | None):
    """The officer's unit asked for, or their first: asking for someone else's unit gets one's own."""
    units = list(Unit.objects.filter(members=user).select_related("organization"))
    if not units:
        return None
    for unit in units:
        if unit.pk == wanted:
            return unit
    return units[0]


#: How many of today's finished tasks the phone lists under the current one.
TODAY_LIMIT = 20


def geo_uri(incident) -> str:
    """The incident's place as a geo: URI (RFC 5870, WGS-84 as stored), which the phone hands to its
    map app for navigation; the address rides along as the label of the point."""
    lat, lon = f"{incident.lat:.6f}", f"{incident.lon:.6f}"
    return f"geo:{lat},{lon}?q={lat},{lon}({quote(incident.address, safe='')})"


def _finished_today(unit) -> list[Assignment]:
    """The unit's tasks closed since local midnight, latest first."""
    midnight = timezone.localtime().replace(hour=0, minute=0, second=0, microsecond=0)
    return list(
        Assignment.objects.filter(unit=unit, closed_at__gte=midnight)
        .select_related("incident__category")
        .order_by("-closed_at", "-id")[:TODAY_LIMIT]
    )


def _phone_context(request, unit, error=None):
    assignment = None
    done = []
    if unit is not None:
        assignment = (
            Assignment.objects.active()
            .filter(unit=unit)
            .select_related("incident__category", "incident__station")
            .first()
        )
        done = _finished_today(unit)
    incident = assignment.incident if assignment else None
    return {
        "unit": unit,
        "assignment": assignment,
        "incident": incident,
        "nav_uri": geo_uri(incident) if incident else "",
        "done_today": done,
        "results": FeedbackResult.choices,
        "error": error,
        "version": _phone_version(unit, assignment, done),
    }


def _phone_version(unit, assignment, done) -> str:
    """What the phone panel shows, in one string: a live refresh that brings nothing new is not
    swapped in, so it cannot wipe a feedback form the officer is typing."""
    if unit is None:
        return ""
    parts = [unit.status, unit.position_at]
    if assignment is not None:
        parts += [assignment.pk, assignment.en_route_at, assignment.arrived_at, assignment.handling_at]
        parts += [assignment.resolved_at, assignment.incident.status, assignment.incident.updated_at]
    parts += [len(done), done[0].closed_at if done else None]
    return "|".join(str(p) for p in parts)


def _unit_from_query(request):
    """(unit, error) for `?unit=…`: an id that is not a number is refused, not guessed at."""
    form = UnitForm(request.GET)
    error = None if form.is_valid() else first_error(form)
    return _my_unit(request.user, form.cleaned_data.get("unit")), error


@login_required
def phone(request):
    """掌上处警: the crew's page — current task, status buttons, position, 处警反馈."""
    unit, error = _unit_from_query(request)
    context = _phone_context(request, unit, error) | {"nav": "phone"}
    return render(request, "dispatch/phone.html", context, status=400 if error else 200)


@login_required
@require_GET
def phone_panel(request):
    unit, error = _unit_from_query(request)
    if unit is None:
        raise Http404
    return render(
        request, "dispatch/_phone_panel.html", _phone_context(request, unit, error), status=400 if error else 200
    )


def _phone_action(request, form_class, act):
    """Run `act(unit, cleaned_data)` for the officer's unit and answer with the phone panel again:
    on a refusal, with the message beside the field and the error's status (400/403/409)."""
    form = form_class(request.POST)
    valid = form.is_valid()
    unit = _my_unit(request.user, form.cleaned_data.get("unit"))
    if unit is None:
        raise Http404
    error = None
    if not valid:
        error = first_error(form)
    else:
        try:
            act(unit, form.cleaned_data)
        except ActionError as exc:
            error = exc
    unit.refresh_from_db()
    status = error.status if error else 200
    return render(request, "dispatch/_phone_panel.html", _phone_context(request, unit, error), status=status)


@login_required
@require_POST
def phone_step(request, step):
    """出警 / 到场 / 开始处置 / 处置完毕 (the URL admits only these steps)."""
    return _phone_action(
        request, StepForm, lambda unit, data: AdvanceAssignment(unit=unit, step=step, by=request.user).execute()
    )


@login_required
@require_POST
def phone_feedback(request):
    """处警反馈."""

    def act(unit, data):
        SubmitFeedback(unit=unit, result=data["result"], text=data["text"], by=request.user).execute()

    return _phone_action(request, FeedbackForm, act)


@login_required
@require_POST
def phone_status(request):
    """上线（空闲）/ 下线."""

    def act(unit, data):
        SetUnitStatus(unit=unit, status=data["status"], by=request.user).execute()

    return _phone_action(request, StatusForm, act)


@login_required
@require_POST
def phone_position(request):
    """The position the phone reports every 30 s."""

    def act(unit, data):
        ReportPosition(unit=unit, lat=data["lat"], lon=data["lon"], by=request.user).execute()

    return _phone_action(request, PositionForm, act)
