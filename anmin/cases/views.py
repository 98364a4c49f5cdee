"""Screens of the case system: case list, case page, opening a case, the approval inbox."""

from urllib.parse import quote

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import FileResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from anmin.cases.actions import (
    AddPerson,
    ChangeCaseStatus,
    DecideApproval,
    EndMeasure,
    OpenCase,
    RevealIdNumber,
    SetHelpers,
    TakeMeasure,
    UploadDocument,
    can_handle,
    category_by_code,
)
from anmin.cases.lifecycle import CaseKind, CaseStatus, available_transitions
from anmin.cases.models import ApprovalRequest, Case, CaseDocument, CasePerson, Measure
from anmin.core.errors import ActionError
from anmin.core.masking import mask_id_number
from anmin.incidents.models import Category, Incident
from anmin.org.models import Officer, Role

PAGE_SIZE = 50


@login_required
def case_list(request):
    """案件列表: the cases in the user's scope, filtered by status, kind and number/title."""
    qs = Case.objects.visible_to(request.user).select_related("organization", "lead_investigator")
    status, kind, q = request.GET.get("status", ""), request.GET.get("kind", ""), request.GET.get("q", "").strip()[:40]
    if status in CaseStatus.values:
        qs = qs.filter(status=status)
    if kind in CaseKind.values:
        qs = qs.filter(kind=kind)
    if q:
        qs = qs.filter(Q(number__icontains=q) | Q(title__icontains=q))
    page = Paginator(qs.order_by("-accepted_at", "-id"), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "cases/list.html",
        {
            "nav": "cases",
            "page": page,
            "statuses": CaseStatus.choices,
            "kinds": CaseKind.choices,
            "filters": {"status": status, "kind": kind, "q": q},
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def case_new(request):
    """受案: a blank case, or one opened from an incident (?incident=ID) keeping the link."""
    incident = None
    incident_id = request.GET.get("incident") or request.POST.get("incident")
    if incident_id:
        incident = get_object_or_404(Incident.objects.visible_to(request.user), pk=incident_id)
    values = {"kind": "", "title": "", "cause": "", "summary": "", "category": ""}
    if incident is not None:
        values["category"] = incident.category.code
        values["kind"] = CaseKind.CRIMINAL if incident.category.klass == "criminal" else CaseKind.ADMINISTRATIVE
        values["title"] = f"{incident.address} {incident.category.name}案"[:120]
        values["summary"] = incident.description
    error = None
    if request.method == "POST":
        values = {k: request.POST.get(k, "") for k in values}
        try:
            case = OpenCase(
                by=request.user,
                kind=values["kind"],
                title=values["title"],
                cause=values["cause"],
                summary=values["summary"],
                incident=incident,
                category=category_by_code(values["category"]),
            ).execute()
        except ActionError as exc:
            error = exc
        else:
            messages.success(request, _("已受案：%(number)s") % {"number": case.number})
            return redirect("case", pk=case.pk)
    return render(
        request,
        "cases/new.html",
        {
            "nav": "cases",
            "incident": incident,
            "values": values,
            "error": error,
            "kinds": CaseKind.choices,
            "categories": Category.objects.filter(parent__isnull=False, active=True),
        },
        status=400 if error else 200,
    )


def _visible_case(request, pk) -> Case:
    qs = Case.objects.visible_to(request.user).select_related("organization", "lead_investigator", "incident")
    return get_object_or_404(qs, pk=pk)


@login_required
@require_http_methods(["GET", "POST"])
def case_page(request, pk):
    """案件页: status, the actions open from it, timeline and approvals. POST runs a transition."""
    case = _visible_case(request, pk)
    error, revealed = None, {}
    if request.method == "POST":
        try:
            revealed = _case_post(request, case)
        except ActionError as exc:
            error = exc
        else:
            if not revealed:
                return redirect("case", pk=case.pk)
    return render(
        request,
        "cases/case.html",
        {
            "nav": "cases",
            "case": case,
            "events": case.events.select_related("actor"),
            "approvals": case.approvals.select_related("requested_by", "decided_by"),
            "transitions": available_transitions(case.kind, case.status) if can_handle(request.user, case) else [],
            "persons": [(p, revealed.get(p.pk) or mask_id_number(p.id_number)) for p in case.persons.all()],
            "measures": case.measures.select_related("person"),
            "documents": case.documents.select_related("uploaded_by"),
            "document_kinds": CaseDocument.Kind.choices,
            "person_roles": CasePerson.Role.choices,
            "measure_kinds": [
                (value, label)
                for value, label in Measure.Kind.choices
                if (value in Measure.ADMINISTRATIVE) == (case.kind == CaseKind.ADMINISTRATIVE)
            ],
            "can_handle": can_handle(request.user, case),
            # The review form is for legal supervisors and leaders; the rubric lives in the reviews app,
            # read here through the reverse relation only (cases does not import reviews).
            "rubric_items": _rubric_items() if _reviews(request.user) else [],
            "error": error,
        },
        status=400 if error else 200,
    )


def _reviews(user) -> bool:
    """Legal supervisors and leaders review cases (the reviews app's ReviewCase checks it too)."""
    return user.is_superuser or user.role in (Role.LEGAL, Role.LEADER)


def _rubric_items():
    """The active rubric's items for the review form. The rubric lives in the reviews app, which
    sits above cases: it is looked up through the app registry, not imported."""
    from django.apps import apps

    rubric = apps.get_model("reviews", "Rubric").objects.filter(active=True).order_by("id").first()
    return list(rubric.items.all()) if rubric else []


def _case_post(request, case: Case) -> dict:
    """Run the action a case-page form asks for; return {person id: full ID number} when one was
    revealed (shown once, in this response only)."""
    op = request.POST.get("op", "transition")
    if op == "transition":
        _case, approval = ChangeCaseStatus(
            case=case, action=request.POST.get("action", ""), reason=request.POST.get("reason", ""), by=request.user
        ).execute()
        if approval:
            messages.info(request, _("已提交%(label)s申请，等待领导审批") % {"label": approval.label})
    elif op == "add_person":
        fields = ("role", "name", "id_number", "phone", "address")
        AddPerson(case=case, data={k: request.POST.get(k, "") for k in fields}, by=request.user).execute()
    elif op == "reveal":
        person = case.persons.filter(pk=request.POST.get("person") or 0).first()
        if person is None:
            raise ActionError(_("该人员不属于本案"), field="person")
        return {person.pk: RevealIdNumber(person=person, by=request.user).execute()}
    elif op == "measure":
        person = case.persons.filter(pk=request.POST.get("person") or 0).first()
        if person is None:
            raise ActionError(_("请选择措施对象"), field="person")
        _m, approval = TakeMeasure(
            case=case,
            person=person,
            kind=request.POST.get("kind", ""),
            reason=request.POST.get("reason", ""),
            by=request.user,
        ).execute()
        if approval:
            messages.info(request, _("已提交%(label)s申请，等待领导审批") % {"label": approval.label})
    elif op == "upload":
        UploadDocument(
            case=case,
            upload=request.FILES.get("file"),
            title=request.POST.get("title", ""),
            kind=request.POST.get("kind", "document"),
            by=request.user,
        ).execute()
    elif op == "helpers":
        badges = [b for b in request.POST.get("badges", "").replace("，", ",").replace(" ", ",").split(",") if b]
        officers = list(Officer.objects.visible_to(request.user).filter(badge_number__in=badges, is_active=True))
        unknown = sorted(set(badges) - {o.badge_number for o in officers})
        if unknown:
            raise ActionError(_("警号不存在或不在本单位：%(b)s") % {"b": "、".join(unknown[:5])}, field="badges")
        SetHelpers(case=case, officers=officers, by=request.user).execute()
    elif op == "end_measure":
        measure = case.measures.filter(pk=request.POST.get("measure") or 0).first()
        if measure is None:
            raise ActionError(_("该措施不属于本案"), field="measure")
        EndMeasure(measure=measure, note=request.POST.get("note", ""), by=request.user).execute()
    else:
        raise ActionError(_("未知操作"), field="op")
    return {}


@login_required
def approval_inbox(request):
    """审批待办: pending requests in the leader's scope, never their own."""
    if not request.user.can_approve:
        raise PermissionDenied
    pending = (
        ApprovalRequest.objects.inbox_of(request.user)
        .select_related("case__organization", "requested_by")
        .order_by("requested_at")
    )
    return render(request, "cases/approvals.html", {"nav": "approvals", "pending": pending})


@login_required
@require_POST
def approval_decide(request, pk):
    qs = ApprovalRequest.objects.filter(case__in=Case.objects.visible_to(request.user))
    approval = get_object_or_404(qs, pk=pk)
    decision = request.POST.get("decision")
    try:
        DecideApproval(
            approval=approval,
            approve={"approve": True, "reject": False}.get(decision, decision),
            note=request.POST.get("note", ""),
            by=request.user,
        ).execute()
    except ActionError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request,
            (_("已批准：%(case)s %(label)s") if decision == "approve" else _("已退回：%(case)s %(label)s"))
            % {"case": approval.case.number, "label": approval.label},
        )
    return redirect("approvals")


@login_required
def document_download(request, pk, doc):
    """A case file, only for those who can see the case; never a public URL."""
    document = get_object_or_404(CaseDocument, pk=doc, case=_visible_case(request, pk))
    types = {"pdf": "application/pdf", "jpeg": "image/jpeg", "png": "image/png"}
    response = FileResponse(document.file.open("rb"), content_type=types.get(document.content_type))
    response["Content-Disposition"] = f"inline; filename*=UTF-8''{quote(document.title)}"
    response["X-Content-Type-Options"] = "nosniff"
    return response
