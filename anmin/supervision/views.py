"""Screens of supervision: the supervisor's board and its drill-down, the 受案立案审查巡查 list,
the officer's reminders, and the clock forms of the case page (extend, record completion)."""

from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
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
from anmin.supervision.forms import (
    ClockListForm,
    CompleteForm,
    DismissForm,
    ExtendForm,
    InspectionQueryForm,
    NoticeListForm,
    ReadForm,
    unit_choices,
    unit_lookup,
)
from anmin.supervision.inspection import idle_cases, incidents_without_case
from anmin.supervision.models import RUNNING_STATES, Clock, ClockNotice, ClockState

PAGE_SIZE = 100
#: Rows of each inspection list on one page (each list has its own pager).
INSPECTION_PAGE_SIZE = 50


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
    """The clocks behind one number of the board: ?org=<机构代码>&state=overdue|due_soon|normal."""
    _require_supervisor(request)
    form = ClockListForm(request.GET)
    if not form.is_valid():
        # A link edited by hand: the page says which value is wrong, and lists nothing.
        context = {"nav": "supervision", "form": form, "error": first_error(form), "now": timezone.now()}
        return render(request, "supervision/clocks.html", context, status=400)
    query = form.cleaned_data
    organization = get_object_or_404(Organization.objects.visible_to(request.user), unit_lookup(query["org"]))
    page = Paginator(drill_down(request.user, organization, query["state"]), PAGE_SIZE).get_page(query["page"])
    units = unit_choices(request.user)
    if organization.code not in {code for code, _name in units}:  # a 警务站 or 交警 unit of the board
        units.append((organization.code, organization.name))
    return render(
        request,
        "supervision/clocks.html",
        {
            "nav": "supervision",
            "organization": organization,
            "state": ClockState(query["state"]),
            "states": RUNNING_STATES,
            "units": units,
            "page": page,
            "query": urlencode({"org": organization.code, "state": query["state"]}),
            "now": timezone.now(),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def inspection(request):
    """受案立案审查巡查: incidents with no case after the review limit, idle cases, one page of each,
    for the user's units or one of them; POST dismisses one row and comes back to the same page."""
    _require_supervisor(request)
    query = InspectionQueryForm(request.GET, user=request.user)
    if not query.is_valid():
        return _inspection_page(request, query, error=first_error(query))
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
            return redirect(_inspection_url(query.cleaned_data))
    return _inspection_page(request, query, error=error, failed=failed)


def _inspection_url(data: dict, **pages) -> str:
    """The inspection page with the same unit and pages, but for the `pages` given."""
    params = {
        "org": data["org"].code if data.get("org") else None,
        "incident_page": data.get("incident_page"),
        "case_page": data.get("case_page"),
        **pages,
    }
    query = urlencode({k: v for k, v in params.items() if v not in (None, "", 1)})
    return reverse("supervision:inspection") + (f"?{query}" if query else "")


def _inspection_page(request, query: InspectionQueryForm, *, error: ActionError | None, failed: dict | None = None):
    failed = failed or {}
    context = {"nav": "inspection", "units": unit_choices(request.user), "error": error, "listed": False}
    if query.errors:
        # A filter edited by hand: the page says which value is wrong, and lists nothing.
        context.update(error_on_top=True, selected_org=query.data.get("org", ""))
        return render(request, "supervision/inspection.html", context, status=error.status)
    data = query.cleaned_data
    unit = data["org"]
    now = timezone.now()
    incidents = Paginator(incidents_without_case(request.user, now, unit), INSPECTION_PAGE_SIZE)
    cases = Paginator(idle_cases(request.user, now, unit), INSPECTION_PAGE_SIZE)
    incident_page, case_page = incidents.get_page(data["incident_page"]), cases.get_page(data["case_page"])
    # The message goes beside the row it is about; for a row not on the page, above the lists.
    failed_incident = failed.get("item") if failed.get("kind") == "incident" else None
    failed_case = failed.get("item") if failed.get("kind") == "case" else None
    on_page = any(i.pk == failed_incident for i in incident_page) or any(c.pk == failed_case for c in case_page)
    here = {"org": unit, "incident_page": incident_page.number, "case_page": case_page.number}
    context.update(
        {
            "listed": True,
            "selected_org": unit.code if unit else "",
            "unit": unit,
            "incidents": incident_page,
            "cases": case_page,
            "action": _inspection_url(here),
            "incident_pages": _pager_links(incident_page, lambda n: _inspection_url(here, incident_page=n)),
            "case_pages": _pager_links(case_page, lambda n: _inspection_url(here, case_page=n)),
            "now": now,
            "failed_incident": failed_incident if on_page else None,
            "failed_case": failed_case if on_page else None,
            "error_on_top": error is not None and not on_page,
            "values": request.POST if error else {},
        }
    )
    return render(request, "supervision/inspection.html", context, status=error.status if error else 200)


def _pager_links(page, url) -> dict:
    """The previous and next page links of a list (None where there is none)."""
    return {
        "previous": url(page.previous_page_number()) if page.has_previous() else None,
        "next": url(page.next_page_number()) if page.has_next() else None,
    }


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
