"""The 枫桥 pages: the dispute register and a dispute's workflow, the agreement PDF, the monthly report,
visit plans and the phone page for logging a visit on the spot."""

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Count
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from anmin.communities.models import Community
from anmin.core.errors import ActionError
from anmin.core.forms import first_error
from anmin.disputes import report
from anmin.disputes.actions import (
    STEP_ACTIONS,
    CompleteVisitTask,
    CreateDispute,
    CreateVisitPlan,
    CreateVisitTask,
    LogVisit,
    PrintAgreementForSigning,
)
from anmin.disputes.documents import agreement_pdf
from anmin.disputes.forms import (
    STEP_FORMS,
    DisputeFilterForm,
    DisputeForm,
    PrefillForm,
    ReportForm,
    VisitForm,
    VisitPlanForm,
    VisitTaskForm,
)
from anmin.disputes.models import Dispute, Source, Step, Visit, VisitPlan, VisitTask
from anmin.org.models import Officer, Organization

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
#: The register lists this many rows a page (the newest first).
PAGE_ROWS = 100


def _staff(request):
    if request.user.administers_security:
        raise PermissionDenied
    return request.user


def _disputes(user):
    return Dispute.objects.visible_to(user)


def _this_month() -> tuple[int, int]:
    now = timezone.localtime()
    return now.year, now.month


@login_required
@require_safe
def dispute_list(request):
    """矛盾纠纷台账: filters by status, type, risk, station; the monthly report's figures drill down here."""
    user = _staff(request)
    form = DisputeFilterForm(request.GET)
    disputes = _disputes(user)
    error = None
    if form.is_valid():
        f = form.cleaned_data
        if f["month"] and f["figure"]:
            disputes = report.figure_queryset(disputes, f["figure"], *f["month"])
        elif f["month"]:
            disputes = report.figure_queryset(disputes, "found", *f["month"])
        for name in ("status", "kind", "risk"):
            if f[name]:
                disputes = disputes.filter(**{name: f[name]})
        if f["station"]:
            disputes = disputes.filter(station_id=f["station"])
        if f["flagged"]:
            disputes = disputes.filter(flagged=True)
    else:
        error = first_error(form)
        disputes = disputes.none()
    total = disputes.count()
    rows = list(disputes.select_related("station", "community").order_by("-found_at", "-pk")[:PAGE_ROWS])
    stations = Organization.objects.visible_to(user).filter(kind=Organization.Kind.STATION).order_by("code")
    context = {"nav": "disputes", "form": form, "disputes": rows, "total": total, "stations": stations, "error": error}
    return render(request, "disputes/list.html", context, status=400 if error else 200)


def _prefill(request, user) -> dict:
    """The register form's first values: from an incident (its place, time, the caller as a party)
    or from a visit (its place and what was raised)."""
    initial = {}
    asked = PrefillForm(request.GET)
    if not asked.is_valid():
        raise Http404
    incident_id, visit_id = asked.cleaned_data["incident"], asked.cleaned_data["visit"]
    if incident_id:
        from anmin.incidents.models import Incident

        incident = Incident.objects.visible_to(user).filter(pk=incident_id).first()
        if incident is None:
            raise Http404
        initial.update(
            source=Source.INCIDENT,
            incident=incident.pk,
            address=incident.address,
            description=incident.description,
        )
        initial["_incident"] = incident
    elif visit_id:
        visit = Visit.objects.visible_to(user).filter(pk=visit_id).first()
        if visit is None:
            raise Http404
        initial.update(
            source=Source.VISIT,
            visit=visit.pk,
            address=visit.address,
            description=visit.raised,
        )
        initial["_visit"] = visit
    return initial


@login_required
@require_http_methods(["GET", "POST"])
def dispute_create(request):
    """排查登记, prefilled from a 110 incident or a visit. The caller (or the person visited) is added
    as the first party on the server when the box is ticked: the page shows them masked and never
    carries their full name or number in a form field."""
    user = _staff(request)
    error = None
    if request.method == "POST":
        form = DisputeForm(request.POST)
        try:
            if not form.is_valid():
                raise first_error(form)
            data = dict(form.cleaned_data)
            data["incident"] = _pick_incident(user, data.get("incident"))
            data["visit"] = Visit.objects.visible_to(user).filter(pk=data["visit"]).first() if data["visit"] else None
            if form.cleaned_data.get("visit") and data["visit"] is None:
                raise ActionError(_("走访记录不存在或无权查看"), field="visit")
            data["community"] = _pick_community(user, data.get("community"))
            parties = form.parties()
            if data["source_person"]:
                parties = _source_person(data) + parties
            dispute = CreateDispute(by=user, data=data, parties=parties).execute()
        except ActionError as exc:
            error = exc
        else:
            return redirect("disputes:detail", pk=dispute.pk)
        source_obj = None
    else:
        initial = _prefill(request, user)
        source_obj = initial.pop("_incident", None) or initial.pop("_visit", None)
        form = DisputeForm(initial=initial)
    communities = Community.objects.visible_to(user).order_by("name")[:500]
    context = {"nav": "disputes", "form": form, "error": error, "source_obj": source_obj, "communities": communities}
    return render(request, "disputes/create.html", context, status=400 if error else 200)


def _source_person(data) -> list[dict]:
    """The caller of the source incident, or the person of the source visit, as a party."""
    if data["source"] == Source.INCIDENT and data["incident"] is not None and data["incident"].caller_name:
        incident = data["incident"]
        return [{"role": "applicant", "name": incident.caller_name, "phone": incident.caller_phone, "id_number": ""}]
    if data["source"] == Source.VISIT and data["visit"] is not None:
        visit = data["visit"]
        return [{"role": "applicant", "name": visit.person_name, "phone": visit.person_phone, "id_number": ""}]
    return []


def _pick_community(user, pk):
    if not pk:
        return None
    community = Community.objects.visible_to(user).filter(pk=pk).first()
    if community is None:
        raise ActionError(_("社区不存在或无权查看"), field="community")
    return community


def _pick_incident(user, pk):
    if not pk:
        return None
    from anmin.incidents.models import Incident

    incident = Incident.objects.visible_to(user).filter(pk=pk).first()
    if incident is None:
        raise ActionError(_("警情不存在或无权查看"), field="incident")
    return incident


def _detail_context(dispute, user, error=None, step=""):
    return {
        "nav": "disputes",
        "dispute": dispute,
        "parties": list(dispute.parties.all()),
        "sessions": list(dispute.sessions.all()),
        "step_forms": [(s, Step(s).label, STEP_FORMS[s]()) for s in dispute.next_steps],
        "error": error,
        "error_step": step,
    }


@login_required
@require_safe
def dispute_detail(request, pk):
    user = _staff(request)
    dispute = get_object_or_404(_disputes(user).select_related("station", "incident", "visit", "community"), pk=pk)
    return render(request, "disputes/detail.html", _detail_context(dispute, user))


@login_required
@require_POST
def dispute_step(request, pk, step):
    """One workflow step (受理、调解、达成协议、移交、回访、办结) through its form and its action."""
    user = _staff(request)
    dispute = get_object_or_404(_disputes(user), pk=pk)
    if step not in STEP_ACTIONS:
        raise Http404
    form = STEP_FORMS[step](request.POST)
    try:
        if not form.is_valid():
            raise first_error(form)
        STEP_ACTIONS[step](dispute=dispute, by=user, **form.cleaned_data).execute()
    except ActionError as exc:
        dispute.refresh_from_db()
        return render(request, "disputes/detail.html", _detail_context(dispute, user, exc, step), status=exc.status)
    return redirect("disputes:detail", pk=dispute.pk)


@login_required
@require_safe
def agreement(request, pk):
    """The 调解协议书 (parties masked) as a download."""
    user = _staff(request)
    dispute = get_object_or_404(_disputes(user).select_related("station"), pk=pk)
    if dispute.agreed_at is None:
        raise Http404
    response = HttpResponse(agreement_pdf(dispute), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{dispute.number}.pdf"'
    return response


@login_required
@require_POST
def agreement_full(request, pk):
    """The signing copy with full names: an audited action, POST only, never cached."""
    user = _staff(request)
    dispute = get_object_or_404(_disputes(user), pk=pk)
    try:
        content = PrintAgreementForSigning(dispute=dispute, by=user).execute()
    except ActionError as exc:
        return render(request, "disputes/detail.html", _detail_context(dispute, user, exc), status=exc.status)
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{dispute.number}-sign.pdf"'
    response["Cache-Control"] = "no-store, private"
    return response


@login_required
@require_safe
def monthly_report(request):
    """枫桥 monthly report: per station and for the scope; each figure links to its disputes."""
    user = _staff(request)
    form = ReportForm(request.GET)
    year, month = _this_month()
    error = None
    if form.is_valid():
        if form.cleaned_data["month"]:
            year, month = form.cleaned_data["month"]
    else:
        error = first_error(form)
    lines, total = report.monthly(_disputes(user), year, month)
    officers = report.officer_counts(Officer.objects.visible_to(user), year, month)
    label = f"{year:04d}-{month:02d}"
    if error is None and form.cleaned_data["format"] == "xlsx":
        issuer = user.organization.name if user.organization_id else ""
        body = report.monthly_xlsx(lines, total, officers, month=label, issuer=issuer)
        response = HttpResponse(body, content_type=XLSX)
        response["Content-Disposition"] = f'attachment; filename="fengqiao-{label}.xlsx"'
        return response
    context = {"nav": "disputes", "lines": lines, "total": total, "officers": officers, "month": label, "error": error}
    return render(request, "disputes/report.html", context, status=400 if error else 200)


# --- 访民 ----------------------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def visit_plans(request):
    """走访计划: the plans in scope with their progress; a form to add one."""
    user = _staff(request)
    error = None
    officers = Officer.objects.visible_to(user).filter(is_active=True).order_by("badge_number", "pk")
    communities = Community.objects.visible_to(user).order_by("name")
    if request.method == "POST":
        form = VisitPlanForm(request.POST)
        try:
            if not form.is_valid():
                raise first_error(form)
            f = form.cleaned_data
            officer = officers.filter(pk=f["officer"]).first()
            if officer is None:
                raise ActionError(_("民警不存在或无权查看"), field="officer")
            community = communities.filter(pk=f["community"]).first() if f["community"] else None
            if f["community"] and community is None:
                raise ActionError(_("社区不存在或无权查看"), field="community")
            CreateVisitPlan(
                by=user,
                officer=officer,
                community=community,
                targets=f["targets"],
                due_date=f["due_date"],
                planned_count=f["planned_count"],
            ).execute()
        except ActionError as exc:
            error = exc
        else:
            return redirect("disputes:plans")
    else:
        form = VisitPlanForm()
    plans = list(
        VisitPlan.objects.visible_to(user)
        .select_related("officer", "community", "station")
        .annotate(done=Count("visits"))
        .order_by("due_date", "pk")[:200]
    )
    context = {
        "nav": "disputes",
        "plans": plans,
        "form": form,
        "officers": officers[:500],
        "communities": communities[:500],
        "error": error,
        "today": timezone.localdate(),
    }
    return render(request, "disputes/plans.html", context, status=400 if error else 200)


def _phone_context(user, form, error=None, saved=None):
    today = timezone.localdate()
    return {
        "form": form,
        "error": error,
        "saved": saved,
        "plans": list(
            VisitPlan.objects.visible_to(user).filter(officer=user, due_date__gte=today).select_related("community")
        ),
        "recent": list(Visit.objects.filter(officer=user).order_by("-visited_at", "-pk")[:10]),
        "tasks": list(
            VisitTask.objects.filter(assigned_to=user, done_at__isnull=True)
            .select_related("visit")
            .order_by("due_date")
        ),
    }


@login_required
@require_http_methods(["GET", "POST"])
def visit_phone(request):
    """走访登记 on the phone (390 px): the officer's plans, a visit form, the last visits and tasks."""
    user = _staff(request)
    saved = None
    error = None
    if request.method == "POST":
        form = VisitForm(request.POST)
        try:
            if not form.is_valid():
                raise first_error(form)
            data = dict(form.cleaned_data)
            if data["plan"]:
                data["plan"] = VisitPlan.objects.visible_to(user).filter(pk=data["plan"]).first()
                if data["plan"] is None:
                    raise ActionError(_("走访计划不存在或无权查看"), field="plan")
            else:
                data["plan"] = None
            saved = LogVisit(by=user, data=data).execute()
        except ActionError as exc:
            error = exc
        else:
            form = VisitForm()
    else:
        form = VisitForm()
    context = _phone_context(user, form, error, saved)
    return render(request, "disputes/phone.html", context, status=400 if error else 200)


@login_required
@require_POST
def visit_task(request, pk):
    """An issue raised on a visit becomes a follow-up task for the visiting officer."""
    user = _staff(request)
    visit = get_object_or_404(Visit.objects.visible_to(user), pk=pk)
    form = VisitTaskForm(request.POST)
    try:
        if not form.is_valid():
            raise first_error(form)
        CreateVisitTask(
            by=user,
            visit=visit,
            description=form.cleaned_data["description"],
            assigned_to=visit.officer,
            due_date=form.cleaned_data["due_date"],
        ).execute()
    except ActionError as exc:
        return render(request, "disputes/phone.html", _phone_context(user, VisitForm(), exc), status=exc.status)
    return redirect(reverse("disputes:phone"))


@login_required
@require_POST
def task_done(request, pk):
    user = _staff(request)
    task = get_object_or_404(VisitTask.objects.filter(visit__in=Visit.objects.visible_to(user)), pk=pk)
    try:
        CompleteVisitTask(by=user, task=task).execute()
    except ActionError as exc:
        return render(request, "disputes/phone.html", _phone_context(user, VisitForm(), exc), status=exc.status)
    return redirect(reverse("disputes:phone"))
