"""Screens of supervision: the supervisor's board and its drill-down, the 受案立案审查巡查 list,
the officer's reminders, and the clock forms of the case page (extend, record completion)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from anmin.cases.models import Case
from anmin.cases.views import case_page_response
from anmin.core.errors import ActionError
from anmin.core.forms import clean, first_error
from anmin.incidents.models import Incident
from anmin.org.models import Organization
from anmin.supervision import calendar
from anmin.supervision.actions import CompleteClock, DismissInspection, ExtendClock, ReadNotices, can_supervise
from anmin.supervision.dashboard import drill_down, summary
from anmin.supervision.forms import ClockListForm, CompleteForm, DismissForm, ExtendForm, NoticeListForm, ReadForm
from anmin.supervision.inspection import idle_cases, incidents_without_case
from anmin.supervision.models import Clock, ClockNotice, ClockState

PAGE_SIZE = 100
#: The inspection page shows this many rows of each list (with the full count); dismissing moves on.
INSPECTION_ROWS = 200


def _require_supervisor(request) -> None:
    if not can_supervise(request.user):
        raise PermissionDenied


@login_required
def dashboard(request):
    """执法监督: red / yellow / green running clocks per unit in the user's scope."""
    _require_supervisor(request)
    rows = summary(request.user)
    if request.headers.get("HX-Request"):
        return render(request, "supervision/_board.html", {"rows": rows, "states": ClockState})
    # Deadlines in a year whose holiday arrangement is not loaded count Monday–Friday only: the
    # board tells the legal unit which years to load, and how many running clocks are provisional.
    unloaded = calendar.unloaded_coming_years(timezone.localdate())
    provisional = Clock.objects.visible_to(request.user).running().filter(provisional=True).count() if unloaded else 0
    context = {"nav": "supervision", "rows": rows, "states": ClockState, "unloaded_years": unloaded}
    context["provisional_clocks"] = provisional
    return render(request, "supervision/dashboard.html", context)


@login_required
def clock_list(request):
    """The clocks behind one number of the board: ?org=<unit id>&state=overdue|due_soon|normal."""
    _require_supervisor(request)
    form = ClockListForm(request.GET)
    if not form.is_valid():
        # A link edited by hand: the page says which value is wrong, and lists nothing.
        context = {"nav": "supervision", "form": form, "error": first_error(form), "now": timezone.now()}
        return render(request, "supervision/clocks.html", context, status=400)
    query = form.cleaned_data
    organization = get_object_or_404(Organization.objects.visible_to(request.user), pk=query["org"])
    page = Paginator(drill_down(request.user, organization, query["state"]), PAGE_SIZE).get_page(query["page"])
    return render(
        request,
        "supervision/clocks.html",
        {
            "nav": "supervision",
            "organization": organization,
            "state": ClockState(query["state"]),
            "page": page,
            "now": timezone.now(),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def inspection(request):
    """受案立案审查巡查: incidents with no case after the review limit, idle cases; POST dismisses one."""
    _require_supervisor(request)
    error, failed = None, {}
    if request.method == "POST":
        form = DismissForm(request.POST)
        try:
            if not form.is_valid():
                raise first_error(form)
            _dismiss(request, form.cleaned_data)
        except ActionError as exc:
            error, failed = exc, form.cleaned_data
        else:
            messages.success(request, _("已排除，理由已记录"))
            return redirect("supervision:inspection")
    now = timezone.now()
    incidents = incidents_without_case(request.user, now)
    cases = idle_cases(request.user, now)
    shown_incidents, shown_cases = list(incidents[:INSPECTION_ROWS]), list(cases[:INSPECTION_ROWS])
    # The message goes beside the row it is about; for a row not on the page, above the lists.
    failed_incident = failed.get("item") if failed.get("kind") == "incident" else None
    failed_case = failed.get("item") if failed.get("kind") == "case" else None
    on_page = any(i.pk == failed_incident for i in shown_incidents) or any(c.pk == failed_case for c in shown_cases)
    return render(
        request,
        "supervision/inspection.html",
        {
            "nav": "inspection",
            "incidents": shown_incidents,
            "incident_count": incidents.count(),
            "cases": shown_cases,
            "case_count": cases.count(),
            "now": now,
            "error": error,
            "failed_incident": failed_incident if on_page else None,
            "failed_case": failed_case if on_page else None,
            "error_on_top": error is not None and not on_page,
            "values": request.POST if error else {},
        },
        status=error.status if error else 200,
    )


def _dismiss(request, data: dict) -> None:
    if data["kind"] == "incident":
        incident = Incident.objects.filter(pk=data["item"]).first()
        if incident is None:
            raise ActionError(_("该警情不存在"), field="item", code="not_found")
        DismissInspection(incident=incident, reason=data["reason"], by=request.user).execute()
    else:
        case = Case.objects.filter(pk=data["item"]).first()
        if case is None:
            raise ActionError(_("该案件不存在"), field="item", code="not_found")
        DismissInspection(case=case, reason=data["reason"], by=request.user).execute()


def _visible_clock(request, pk: int) -> Clock:
    return get_object_or_404(Clock.objects.visible_to(request.user).select_related("case", "rule"), pk=pk)


def _clock_refused(request, clock: Clock, error: ActionError):
    """The case page again, the message above its clocks (the clocks panel is drawn by a template tag
    of this app; the page around it belongs to cases)."""
    case = Case.objects.select_related("organization", "lead_investigator", "incident").get(pk=clock.case_id)
    return case_page_response(request, case, failed="clock", error=error, values=request.POST)


@login_required
@require_POST
def clock_extend(request, pk: int):
    """申请延长办案期限 from the case page; the request waits in the leader's approval inbox."""
    clock = _visible_clock(request, pk)
    try:
        data = clean(ExtendForm, request.POST)
        ExtendClock(clock=clock, code=data["code"], reason=data["reason"], by=request.user).execute()
    except ActionError as exc:
        return _clock_refused(request, clock, exc)
    messages.info(request, _("已提交延长期限申请，等待领导审批"))
    return redirect("cases:detail", pk=clock.case_id)


@login_required
@require_POST
def clock_complete(request, pk: int):
    """记录完成 (送看守所、通知家属、讯问…) from the case page."""
    clock = _visible_clock(request, pk)
    try:
        data = clean(CompleteForm, request.POST)
        CompleteClock(clock=clock, at=data["at"], note=data["note"], by=request.user).execute()
    except ActionError as exc:
        return _clock_refused(request, clock, exc)
    messages.success(request, _("已记录：%(rule)s") % {"rule": clock.rule.name})
    return redirect("cases:detail", pk=clock.case_id)


@login_required
@require_http_methods(["GET", "POST"])
def notices(request):
    """提醒: the officer's own reminders, newest first; POST marks one (or all) read."""
    if request.method == "POST":
        try:
            data = clean(ReadForm, request.POST)
        except ActionError as exc:
            return _notices_page(request, page_number=None, error=exc)
        notice = None
        if data["notice"] is not None:
            notice = get_object_or_404(ClockNotice.objects.filter(recipient=request.user), pk=data["notice"])
        ReadNotices(notice=notice, by=request.user).execute()
        return redirect("supervision:notices")
    query = NoticeListForm(request.GET)
    if not query.is_valid():
        return _notices_page(request, page_number=None, error=first_error(query))
    return _notices_page(request, page_number=query.cleaned_data["page"], error=None)


def _notices_page(request, *, page_number: int | None, error: ActionError | None):
    qs = ClockNotice.objects.filter(recipient=request.user).select_related(
        "clock__rule", "clock__case__organization", "clock__measure__person"
    )
    page = Paginator(qs.order_by("-created_at", "-id"), 50).get_page(page_number)
    unread = ClockNotice.objects.filter(recipient=request.user, read_at__isnull=True).count()
    return render(
        request,
        "supervision/notices.html",
        {"nav": "notices", "page": page, "unread": unread, "error": error},
        status=error.status if error else 200,
    )


@login_required
def notice_badge(request):
    """The header's 提醒 link with the unread count, fetched by htmx so pages pay no query for it."""
    unread = ClockNotice.objects.filter(recipient=request.user, read_at__isnull=True).count()
    response = render(request, "supervision/_notice_badge.html", {"unread": unread})
    response["Cache-Control"] = "no-store"
    return response
