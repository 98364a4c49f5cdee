"""Pages of missing-person cases (走失/被拐), for the station that owns the search, the dispatchers who
open cases from 110 calls and the leaders above them; every read is scoped (`visible_to`), an
out-of-scope case is a 404. Each operation has its own URL and form and calls its action."""

from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from anmin.core.errors import ActionError
from anmin.core.forms import valid
from anmin.incidents.models import Incident
from anmin.missing.actions import AddClue, CloseCase, MarkFound, OpenMissingCase
from anmin.missing.forms import CaseForm, CloseForm, ClueForm, FoundForm, ListFilter
from anmin.missing.models import MissingCase

PAGE = 100
PHOTO_TYPES = {"png": "image/png", "jpg": "image/jpeg", "jpeg": "image/jpeg"}


def _local_input(value) -> str:
    """A time as a datetime-local input shows it (local, to the minute)."""
    return timezone.localtime(value).strftime("%Y-%m-%dT%H:%M") if value else ""


@login_required
def case_list(request):
    """走失/被拐案件: the cases the user's scope covers, newest first, filtered by status and category."""
    form = ListFilter(request.GET)
    filters = form.cleaned_data if form.is_valid() else {}
    qs = MissingCase.objects.visible_to(request.user).select_related("station")
    if filters.get("status"):
        qs = qs.filter(status=filters["status"])
    if filters.get("category"):
        qs = qs.filter(category=filters["category"])
    return render(
        request,
        "missing/list.html",
        {"nav": "missing", "rows": qs[:PAGE], "filter": form, "filters": filters},
    )


def _form_page(request, *, values: dict, error: ActionError | None = None, incident: Incident | None = None):
    return render(
        request,
        "missing/new.html",
        {
            "nav": "missing",
            "values": values,
            "error": error,
            "incident": incident,
            "categories": MissingCase.Category.choices,
            "sexes": MissingCase._meta.get_field("sex").choices,
        },
        status=error.status if error else 200,
    )


def _open(request, incident: Incident | None):
    form = CaseForm(request.POST)
    try:
        case = OpenMissingCase(
            by=request.user, data=valid(form), photo=request.FILES.get("photo"), incident=incident
        ).execute()
    except ActionError as exc:
        return _form_page(request, values=request.POST, error=exc, incident=incident)
    if MissingCase.objects.visible_to(request.user).filter(pk=case.pk).exists():
        return redirect("missing:detail", case.pk)
    # Opened for another station (the person was last seen in its jurisdiction): it owns the case.
    return render(request, "missing/handed_over.html", {"nav": "missing", "case": case})


@login_required
@require_http_methods(["GET", "POST"])
def case_new(request):
    """登记走失人员 by an officer (a family at the counter, a call to the station)."""
    if request.method == "POST":
        return _open(request, None)
    return _form_page(request, values={"last_seen_at": _local_input(timezone.now())})


@login_required
@require_http_methods(["GET", "POST"])
def case_from_incident(request, pk):
    """登记走失人员 from a 110 call: the form starts with the call's place and time, and the case
    stays linked to the incident."""
    incident = get_object_or_404(Incident.objects.visible_to(request.user).select_related("station"), pk=pk)
    if request.method == "POST":
        return _open(request, incident)
    values = {
        "last_seen_at": _local_input(incident.received_at),
        "last_seen_place": incident.address,
        "lat": f"{incident.lat:.6f}",
        "lon": f"{incident.lon:.6f}",
        "description": incident.description,
    }
    return _form_page(request, values=values, incident=incident)


def _visible_case(request, pk) -> MissingCase:
    return get_object_or_404(
        MissingCase.objects.visible_to(request.user).select_related("station", "incident", "report", "created_by"),
        pk=pk,
    )


def _detail(request, case: MissingCase, error: ActionError | None = None, values=None):
    return render(
        request,
        "missing/detail.html",
        {
            "nav": "missing",
            "case": case,
            "clues": case.clues.select_related("officer"),
            "error": error,
            "values": values or {},
            "now_input": _local_input(timezone.now()),
        },
        status=error.status if error else 200,
    )


@login_required
def case_detail(request, pk):
    """The case: who (masked, revealed by the audited 显示), photo, last seen on the map, clues, the
    broadcast's rings and sends, and what can be done next."""
    return _detail(request, _visible_case(request, pk))


@login_required
def case_photo(request, pk):
    """The photo, streamed only to an officer whose scope covers the case (no public URL)."""
    case = _visible_case(request, pk)
    if not case.photo:
        raise Http404
    kind = case.photo.name.rsplit(".", 1)[-1].lower()
    return FileResponse(case.photo.open("rb"), content_type=PHOTO_TYPES.get(kind, "application/octet-stream"))


def _step(request, pk, form_class, action_class):
    case = _visible_case(request, pk)
    try:
        action_class(case=case, by=request.user, data=valid(form_class(request.POST))).execute()
    except ActionError as exc:
        return _detail(request, case, exc, request.POST)
    return redirect("missing:detail", pk)


@login_required
@require_POST
def case_clue(request, pk):
    """录入线索."""
    return _step(request, pk, ClueForm, AddClue)


@login_required
@require_POST
def case_found(request, pk):
    """已找到: stops the broadcast and thanks the groups."""
    return _step(request, pk, FoundForm, MarkFound)


@login_required
@require_POST
def case_close(request, pk):
    """结束查找 without finding the person."""
    return _step(request, pk, CloseForm, CloseCase)
