"""Screens of supervision: the supervisor's board and its drill-down, the 受案立案审查巡查 list,
the officer's reminders, and the clock forms of the case page (extend, record completion)."""

from datetime import datetime

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from anmin.cases.models import Case
from anmin.core.errors import ActionError
from anmin.incidents.models import Incident
from anmin.org.models import Organization
from anmin.supervision.actions import CompleteClock, DismissInspection, ExtendClock, ReadNotices, can_supervise
from anmin.supervision.dashboard import drill_down, summary
from anmin.supervision.inspection import idle_cases, incidents_without_case
from anmin.supervision.models import RUNNING_STATES, Clock, ClockNotice, ClockState

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
    template = "supervision/_board.html" if request.headers.get("HX-Request") else "supervision/dashboard.html"
    return render(request, template, {"nav": "supervision", "rows": rows, "states": ClockState})


@login_required
def clock_list(request):
    """The clocks behind one number of the board: ?org=<unit id>&state=overdue|due_soon|normal."""
    _require_supervisor(request)
    state = request.GET.get("state", "")
    if state not in RUNNING_STATES:
        raise Http404
    org_id = request.GET.get("org", "")
    organization = get_object_or_404(
        Organization.objects.visible_to(request.user), pk=org_id if org_id.isdigit() else 0
    )
    page = Paginator(drill_down(request.user, organization, state), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "supervision/clocks.html",
        {
            "nav": "supervision",
            "organization": organization,
            "state": ClockState(state),
            "page": page,
            "now": timezone.now(),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def inspection(request):
    """受案立案审查巡查: incidents with no case after the review limit, idle cases; POST dismisses one."""
    _require_supervisor(request)
    error = None
    if request.method == "POST":
        try:
            _dismiss(request)
        except ActionError as exc:
            error = exc
        else:
            messages.success(request, _("已排除，理由已记录"))
            return redirect("inspection")
    now = timezone.now()
    incidents = incidents_without_case(request.user, now)
    cases = idle_cases(request.user, now)
    return render(
        request,
        "supervision/inspection.html",
        {
            "nav": "inspection",
            "incidents": incidents[:INSPECTION_ROWS],
            "incident_count": incidents.count(),
            "cases": cases[:INSPECTION_ROWS],
            "case_count": cases.count(),
            "now": now,
            "error": error,
        },
        status=400 if error else 200,
    )


def _dismiss(request) -> None:
    kind, item = request.POST.get("kind"), request.POST.get("item", "")
    pk = int(item) if item.isdigit() else 0
    reason = request.POST.get("reason", "")
    if kind == "incident":
        incident = Incident.objects.filter(pk=pk).first()
        if incident is None:
            raise ActionError(_("该警情不存在"), field="item", code="not_found")
        DismissInspection(incident=incident, reason=reason, by=request.user).execute()
    elif kind == "case":
        case = Case.objects.filter(pk=pk).first()
        if case is None:
            raise ActionError(_("该案件不存在"), field="item", code="not_found")
        DismissInspection(case=case, reason=reason, by=request.user).execute()
    else:
        raise ActionError(_("未知的巡查项"), field="kind")


def _visible_clock(request, pk: int) -> Clock:
    return get_object_or_404(Clock.objects.visible_to(request.user).select_related("case", "rule"), pk=pk)


@login_required
@require_POST
def clock_extend(request, pk: int):
    """申请延长办案期限 from the case page; the request waits in the leader's approval inbox."""
    clock = _visible_clock(request, pk)
    try:
        ExtendClock(
            clock=clock, code=request.POST.get("code", ""), reason=request.POST.get("reason", ""), by=request.user
        ).execute()
    except ActionError as exc:
        messages.error(request, exc.message)
    else:
        messages.info(request, _("已提交延长期限申请，等待领导审批"))
    return redirect("case", pk=clock.case_id)


def _local_datetime(value: str) -> datetime | None:
    """An <input type=datetime-local> value in the server's time zone, or None when empty."""
    if not value:
        return None
    try:
        naive = datetime.fromisoformat(value)
    except ValueError:
        raise ActionError(_("完成时间格式无效"), field="at") from None
    return timezone.make_aware(naive) if timezone.is_naive(naive) else naive


@login_required
@require_POST
def clock_complete(request, pk: int):
    """记录完成 (送看守所、通知家属、讯问…) from the case page."""
    clock = _visible_clock(request, pk)
    try:
        at = _local_datetime(request.POST.get("at", ""))
        CompleteClock(clock=clock, at=at, note=request.POST.get("note", ""), by=request.user).execute()
    except ActionError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("已记录：%(rule)s") % {"rule": clock.rule.name})
    return redirect("case", pk=clock.case_id)


@login_required
@require_http_methods(["GET", "POST"])
def notices(request):
    """提醒: the officer's own reminders, newest first; POST marks one (or all) read."""
    if request.method == "POST":
        notice = None
        if request.POST.get("notice"):
            notice = get_object_or_404(ClockNotice.objects.filter(recipient=request.user), pk=request.POST["notice"])
        ReadNotices(notice=notice, by=request.user).execute()
        return redirect("notices")
    qs = ClockNotice.objects.filter(recipient=request.user).select_related(
        "clock__rule", "clock__case__organization", "clock__measure__person"
    )
    page = Paginator(qs.order_by("-created_at", "-id"), 50).get_page(request.GET.get("page"))
    unread = ClockNotice.objects.filter(recipient=request.user, read_at__isnull=True).count()
    return render(request, "supervision/notices.html", {"nav": "notices", "page": page, "unread": unread})


@login_required
def notice_badge(request):
    """The header's 提醒 link with the unread count, fetched by htmx so pages pay no query for it."""
    unread = ClockNotice.objects.filter(recipient=request.user, read_at__isnull=True).count()
    response = render(request, "supervision/_notice_badge.html", {"unread": unread})
    response["Cache-Control"] = "no-store"
    return response
