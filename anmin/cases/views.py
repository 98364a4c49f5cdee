"""Screens of the case system: case list, case page, opening a case, the approval inbox.

The case page is read with GET; each of its forms posts to a URL of its own (办理, 登记人员, 显示号码,
强制措施, 解除措施, 上传材料, 协办民警), read through the form of `anmin.cases.forms` for that
operation. A refused request shows the case page again, status 400 (403, 409 as the action says),
with the message inside the form that was sent and what was typed still in it.
"""

from collections.abc import Mapping
from urllib.parse import quote

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import FileResponse, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views import View
from django.views.decorators.http import require_http_methods, require_POST, require_safe

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
from anmin.cases.forms import (
    CaseFilterForm,
    DecisionForm,
    EndMeasureForm,
    HelpersForm,
    IncidentQueryForm,
    MeasureForm,
    OpenCaseForm,
    PersonForm,
    RevealForm,
    TransitionForm,
    UploadForm,
)
from anmin.cases.lifecycle import CaseKind, CaseStatus, available_transitions
from anmin.cases.models import ApprovalRequest, Case, CaseDocument, CasePerson, Measure
from anmin.core import approvals
from anmin.core.errors import ActionError
from anmin.core.forms import clean, first_error
from anmin.incidents.models import Category, Incident
from anmin.org.models import Officer, Role

PAGE_SIZE = 50


@login_required
@require_safe
def case_list(request):
    """案件列表: the cases in the user's scope, filtered by status, kind and number/title."""
    form = CaseFilterForm(request.GET)
    page, status = None, 400
    if form.is_valid():
        filters = form.cleaned_data
        qs = Case.objects.visible_to(request.user).select_related("organization", "lead_investigator")
        if filters["status"]:
            qs = qs.filter(status=filters["status"])
        if filters["kind"]:
            qs = qs.filter(kind=filters["kind"])
        if filters["q"]:
            qs = qs.filter(Q(number__icontains=filters["q"]) | Q(title__icontains=filters["q"]))
        page = Paginator(qs.order_by("-accepted_at", "-id"), PAGE_SIZE).get_page(filters["page"])
        status = 200
    return render(
        request,
        "cases/list.html",
        {"nav": "cases", "page": page, "form": form, "statuses": CaseStatus.choices, "kinds": CaseKind.choices},
        status=status,
    )


def _new_case_page(request, *, incident: Incident | None, values: Mapping, error: ActionError | None):
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
        status=error.status if error else 200,
    )


@login_required
@require_http_methods(["GET", "POST"])
def case_new(request):
    """受案: a blank case, or one opened from an incident (?incident=ID) keeping the link."""
    if request.method == "GET":
        form = IncidentQueryForm(request.GET)
        if not form.is_valid():
            return _new_case_page(request, incident=None, values={}, error=first_error(form))
        incident = _visible_incident(request, form.cleaned_data["incident"])
        values = {}
        if incident is not None:
            values = {
                "category": incident.category.code,
                "kind": CaseKind.CRIMINAL if incident.category.klass == "criminal" else CaseKind.ADMINISTRATIVE,
                "title": f"{incident.address} {incident.category.name}案"[:120],
                "summary": incident.description,
            }
        return _new_case_page(request, incident=incident, values=values, error=None)
    form = OpenCaseForm(request.POST)
    if not form.is_valid():
        incident = _visible_incident(request, form.cleaned_data.get("incident"))
        return _new_case_page(request, incident=incident, values=request.POST, error=first_error(form))
    data = form.cleaned_data
    incident = _visible_incident(request, data["incident"])
    try:
        case = OpenCase(
            by=request.user,
            kind=data["kind"],
            title=data["title"],
            cause=data["cause"],
            summary=data["summary"],
            incident=incident,
            category=category_by_code(data["category"]),
        ).execute()
    except ActionError as exc:
        return _new_case_page(request, incident=incident, values=data, error=exc)
    messages.success(request, _("已受案：%(number)s") % {"number": case.number})
    return redirect("cases:detail", pk=case.pk)


def _visible_incident(request, pk: int | None) -> Incident | None:
    if pk is None:
        return None
    return get_object_or_404(Incident.objects.visible_to(request.user).select_related("category"), pk=pk)


def _visible_case(request, pk) -> Case:
    qs = Case.objects.visible_to(request.user).select_related("organization", "lead_investigator", "incident")
    return get_object_or_404(qs, pk=pk)


@login_required
@require_safe
def case_page(request, pk):
    """案件页: status, the actions open from it, persons, measures, documents, timeline, approvals."""
    return case_page_response(request, _visible_case(request, pk))


def case_page_response(
    request,
    case: Case,
    *,
    failed: str = "",
    error: ActionError | None = None,
    values: Mapping | None = None,
    revealed: Mapping[int, str] | None = None,
) -> HttpResponse:
    """The case page; after a refused form, `failed` names that form (the page shows `error` inside
    it, refilled from `values`). Also used by the forms the apps above cases add to the page
    (评查, 集体议案, 办案时限)."""
    revealed = revealed or {}
    handles = can_handle(request.user, case)
    transitions = available_transitions(case.kind, case.status) if handles else []
    # Masked by the template ({% pii %}), except a number just revealed through the older form.
    persons = [(p, revealed.get(p.pk, "")) for p in case.persons.all()]
    rubric_items = _rubric_items() if _reviews(request.user) else []
    if error and failed not in _forms_on_page(case, handles, transitions, persons, rubric_items):
        failed = "page"  # e.g. a form sent by someone the page does not offer it to: the message goes on top
    return render(
        request,
        "cases/case.html",
        {
            "nav": "cases",
            "case": case,
            "events": case.events.select_related("actor"),
            "approvals": case.approvals.select_related("requested_by", "decided_by"),
            "transitions": transitions,
            "persons": persons,
            "measures": case.measures.select_related("person"),
            "documents": case.documents.select_related("uploaded_by"),
            "document_kinds": CaseDocument.Kind.choices,
            "person_roles": CasePerson.Role.choices,
            "measure_kinds": [
                (value, label)
                for value, label in Measure.Kind.choices
                if (value in Measure.ADMINISTRATIVE) == (case.kind == CaseKind.ADMINISTRATIVE)
            ],
            "can_handle": handles,
            # The review form is for legal supervisors and leaders; the rubric lives in the reviews app,
            # read here through the reverse relation only (cases does not import reviews).
            "rubric_items": rubric_items,
            "failed": failed if error else "",
            "error": error,
            "values": values or {},
        },
        status=error.status if error else 200,
    )


def _forms_on_page(case: Case, handles: bool, transitions, persons, rubric_items) -> set[str]:
    """The forms cases/case.html shows to this user (the same conditions as the template's)."""
    shown = {"reveal", "end_measure", "clock"}
    if transitions:
        shown.add("transition")
    if handles:
        shown |= {"upload", "deliberation"}
        if case.is_open:
            shown |= {"helpers", "add_person", "measure"} if persons else {"helpers", "add_person"}
    if rubric_items:
        shown.add("review")
    return shown


def _reviews(user) -> bool:
    """Legal supervisors and leaders review cases (the reviews app's ReviewCase checks it too)."""
    return user.is_superuser or user.role in (Role.LEGAL, Role.LEADER)


def _rubric_items():
    """The active rubric's items for the review form. The rubric lives in the reviews app, which
    sits above cases: it is looked up through the app registry, not imported."""
    from django.apps import apps

    rubric = apps.get_model("reviews", "Rubric").objects.filter(active=True).order_by("id").first()
    return list(rubric.items.all()) if rubric else []


class CaseOperation(LoginRequiredMixin, View):
    """One form of the case page: POST only, read through `form_class`, carried out by `perform`.

    `perform` returns {person id: full ID number} when it revealed one: that number is shown once,
    in this response, never through a redirect that could be replayed from the history.
    """

    http_method_names = ["post"]
    #: The name the page uses to put the error back inside the right form.
    name: str
    form_class: type[forms.Form]

    def post(self, request, pk: int) -> HttpResponse:
        case = _visible_case(request, pk)
        try:
            data = clean(self.form_class, request.POST, request.FILES)
            revealed = self.perform(case, data)
        except ActionError as exc:
            return case_page_response(request, case, failed=self.name, error=exc, values=request.POST)
        if revealed:
            return case_page_response(request, case, revealed=revealed)
        return redirect("cases:detail", pk=case.pk)

    def perform(self, case: Case, data: dict) -> dict[int, str] | None:
        raise NotImplementedError


class Transition(CaseOperation):
    """办理: a lifecycle step; one reserved to a leader becomes an approval request."""

    name, form_class = "transition", TransitionForm

    def perform(self, case, data):
        _case, approval = ChangeCaseStatus(
            case=case, action=data["action"], reason=data["reason"], by=self.request.user
        ).execute()
        if approval:
            messages.info(self.request, _("已提交%(label)s申请，等待领导审批") % {"label": approval.label})


class AddPersonView(CaseOperation):
    """登记涉案人员."""

    name, form_class = "add_person", PersonForm

    def perform(self, case, data):
        AddPerson(case=case, data=data, by=self.request.user).execute()


class Reveal(CaseOperation):
    """显示完整身份证号码 (audited)."""

    name, form_class = "reveal", RevealForm

    def perform(self, case, data):
        person = case.persons.filter(pk=data["person"]).first()
        if person is None:
            raise ActionError(_("该人员不属于本案"), field="person")
        return {person.pk: RevealIdNumber(person=person, by=self.request.user).execute()}


class TakeMeasureView(CaseOperation):
    """采取强制措施; 拘留 and 提请批准逮捕 become approval requests."""

    name, form_class = "measure", MeasureForm

    def perform(self, case, data):
        person = case.persons.filter(pk=data["person"]).first()
        if person is None:
            raise ActionError(_("请选择措施对象"), field="person")
        _m, approval = TakeMeasure(
            case=case, person=person, kind=data["kind"], reason=data["reason"], by=self.request.user
        ).execute()
        if approval:
            messages.info(self.request, _("已提交%(label)s申请，等待领导审批") % {"label": approval.label})


class EndMeasureView(CaseOperation):
    """解除强制措施."""

    name, form_class = "end_measure", EndMeasureForm

    def perform(self, case, data):
        measure = case.measures.filter(pk=data["measure"]).first()
        if measure is None:
            raise ActionError(_("该措施不属于本案"), field="measure")
        EndMeasure(measure=measure, note=data["note"], by=self.request.user).execute()


class Upload(CaseOperation):
    """上传案件材料."""

    name, form_class = "upload", UploadForm

    def perform(self, case, data):
        UploadDocument(
            case=case, upload=data["file"], title=data["title"], kind=data["kind"], by=self.request.user
        ).execute()


class Helpers(CaseOperation):
    """协办民警, by 警号 (officers the user can see, still serving)."""

    name, form_class = "helpers", HelpersForm

    def perform(self, case, data):
        badges = data["badges"]
        officers = list(Officer.objects.visible_to(self.request.user).filter(badge_number__in=badges, is_active=True))
        unknown = sorted(set(badges) - {o.badge_number for o in officers})
        if unknown:
            raise ActionError(_("警号不存在或不在本单位：%(b)s") % {"b": "、".join(unknown[:5])}, field="badges")
        SetHelpers(case=case, officers=officers, by=self.request.user).execute()


def _inbox_response(request, *, failed: int | None = None, error: ActionError | None = None) -> HttpResponse:
    pending = ApprovalRequest.objects.inbox_of(request.user).select_related("case__organization", "requested_by")
    context = {"nav": "approvals", **approvals.inbox_context(pending, failed=failed, error=error)}
    return render(request, "cases/approvals.html", context, status=error.status if error else 200)


@login_required
@require_safe
def approval_inbox(request):
    """审批待办: pending requests in the leader's scope, never their own."""
    if not request.user.can_approve:
        raise PermissionDenied
    return _inbox_response(request)


@login_required
@require_POST
def approval_decide(request, pk):
    """批准 or 不批准 one request; a refusal shows the inbox again with the message at that request."""
    approval = get_object_or_404(ApprovalRequest.objects.visible_to(request.user).select_related("case"), pk=pk)
    try:
        data = clean(DecisionForm, request.POST)
        DecideApproval(
            approval=approval, approve=data["decision"] == "approve", note=data["note"], by=request.user
        ).execute()
    except ActionError as exc:
        return _inbox_response(request, failed=approval.pk, error=exc)
    messages.success(
        request,
        (_("已批准：%(case)s %(label)s") if data["decision"] == "approve" else _("已退回：%(case)s %(label)s"))
        % {"case": approval.case.number, "label": approval.label},
    )
    return redirect("cases:approvals")


@login_required
@require_safe
def document_download(request, pk, doc):
    """A case file, only for those who can see the case; never a public URL."""
    document = get_object_or_404(CaseDocument, pk=doc, case=_visible_case(request, pk))
    types = {"pdf": "application/pdf", "jpeg": "image/jpeg", "png": "image/png"}
    response = FileResponse(document.file.open("rb"), content_type=types.get(document.content_type))
    response["Content-Disposition"] = f"inline; filename*=UTF-8''{quote(document.title)}"
    response["X-Content-Type-Options"] = "nosniff"
    return response
