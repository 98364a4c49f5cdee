"""API for cases and approvals (same conventions as the incidents API)."""

from datetime import datetime

from django.shortcuts import get_object_or_404
from ninja import Field, Query, Router, Schema, Status

from anmin.cases.actions import (
    AddPerson,
    ChangeCaseStatus,
    DecideApproval,
    EndMeasure,
    OpenCase,
    RevealIdNumber,
    SetHelpers,
    TakeMeasure,
    category_by_code,
)
from anmin.cases.lifecycle import CaseKind, CaseStatus, available_transitions
from anmin.cases.models import ApprovalRequest, Case, CasePerson, Measure
from anmin.core import approvals
from anmin.core.approvals import ApprovalFieldsOut, DecisionIn, approval_fields
from anmin.core.errors import ActionError
from anmin.core.pii import mask_id_number, mask_name, mask_phone
from anmin.core.schema import Id, Offset
from anmin.incidents.models import Incident
from anmin.org.models import Officer

router = Router(tags=["cases"])


class CaseIn(Schema):
    kind: CaseKind
    title: str = Field(..., max_length=2000)
    cause: str = Field("", max_length=2000)
    summary: str = Field("", max_length=20000)
    incident_id: Id | None = Field(None, description="来源警情")
    lead_investigator_id: Id | None = Field(None, description="主办侦查员；默认为登记人")
    category: str | None = Field(
        None, max_length=8, description="案件类别代码（警情类别代码表，如 0110）；默认沿用来源警情的类别"
    )


class TransitionIn(Schema):
    action: str = Field(..., max_length=40, description="如 file（立案）、investigate、solve、withdraw …")
    reason: str = Field("", max_length=20000)


class CaseEventOut(Schema):
    action: str
    label: str
    from_status: str
    to_status: str
    at: datetime
    actor: str | None
    note: str


class ApprovalOut(ApprovalFieldsOut):
    case_id: int
    case_number: str
    transition: str
    label: str


class CaseOut(Schema):
    id: int
    number: str
    kind: str
    title: str
    cause: str
    status: str
    status_label: str
    organization: str
    lead_investigator: str
    incident_id: int | None
    accepted_at: datetime
    status_since: datetime


class PersonIn(Schema):
    role: str = Field(..., max_length=20, description="suspect 嫌疑人 / victim 被害人 / witness 证人 / reporter 报案人")
    name: str = Field(..., max_length=200)
    id_number: str = Field("", max_length=100, description="居民身份证号码（18 位；15 位自动升位）")
    phone: str = Field("", max_length=100)
    address: str = Field("", max_length=1000)


class PersonOut(Schema):
    id: int
    role: str
    role_label: str
    name: str
    id_number: str = Field(..., description="脱敏显示；完整号码见 …/id-number（记入审计）")
    sex: str
    birth_date: str | None
    phone: str
    address: str


class MeasureIn(Schema):
    person_id: Id
    kind: str = Field(..., max_length=30)
    reason: str = Field("", max_length=20000)


class MeasureOut(Schema):
    id: int
    person_id: int
    person: str
    kind: str
    kind_label: str
    status: str
    started_at: datetime | None
    ended_at: datetime | None


class NoteIn(Schema):
    note: str = Field("", max_length=2000)


class CaseDetailOut(CaseOut):
    summary: str
    timeline: list[CaseEventOut]
    approvals: list[ApprovalOut]
    actions: list[dict]
    persons: list[PersonOut]
    measures: list[MeasureOut]


def person_out(p: CasePerson) -> dict:
    return {
        "id": p.pk,
        "role": p.role,
        "role_label": p.get_role_display(),
        "name": mask_name(p.name),
        "id_number": mask_id_number(p.id_number),
        "sex": p.sex,
        "birth_date": p.birth_date.isoformat() if p.birth_date else None,
        "phone": mask_phone(p.phone),
        "address": p.address,
    }


def measure_out(m: Measure) -> dict:
    return {
        "id": m.pk,
        "person_id": m.person_id,
        "person": mask_name(m.person.name),
        "kind": m.kind,
        "kind_label": m.get_kind_display(),
        "status": m.status,
        "started_at": m.started_at,
        "ended_at": m.ended_at,
    }


def case_out(case: Case) -> dict:
    return {
        "id": case.pk,
        "number": case.number,
        "kind": case.kind,
        "title": case.title,
        "cause": case.cause,
        "status": case.status,
        "status_label": case.get_status_display(),
        "organization": case.organization.name,
        "lead_investigator": str(case.lead_investigator),
        "incident_id": case.incident_id,
        "accepted_at": case.accepted_at,
        "status_since": case.status_since,
    }


def approval_out(a: ApprovalRequest) -> dict:
    return {
        **approval_fields(a),
        "case_id": a.case_id,
        "case_number": a.case.number,
        "transition": a.transition,
        "label": a.label,
    }


def case_detail(case: Case) -> dict:
    data = case_out(case)
    data["summary"] = case.summary
    data["timeline"] = [
        {
            "action": e.action,
            "label": e.label,
            "from_status": e.from_status,
            "to_status": e.to_status,
            "at": e.at,
            "actor": e.actor.audit_label if e.actor else None,
            "note": e.note,
        }
        for e in case.events.select_related("actor")
    ]
    data["approvals"] = [approval_out(a) for a in case.approvals.select_related("case", "requested_by", "decided_by")]
    data["actions"] = [
        {"action": t.code, "label": str(t.label), "needs_approval": t.needs_approval}
        for t in available_transitions(case.kind, case.status)
    ]
    data["persons"] = [person_out(p) for p in case.persons.all()]
    data["measures"] = [measure_out(m) for m in case.measures.select_related("person")]
    return data


def visible_case(request, case_id: int) -> Case:
    qs = Case.objects.visible_to(request.user).select_related("organization", "lead_investigator")
    return get_object_or_404(qs, pk=case_id)


@router.post("/cases", response={201: CaseDetailOut}, summary="受案：新建案件")
def create_case(request, payload: CaseIn):
    incident = lead = None
    if payload.incident_id is not None:
        incident = Incident.objects.visible_to(request.user).select_related("station").filter(pk=payload.incident_id)
        incident = incident.first()
        if incident is None:
            raise ActionError("来源警情不存在或无权查看", field="incident_id", code="not_found")
    if payload.lead_investigator_id is not None:
        lead = Officer.objects.visible_to(request.user).filter(pk=payload.lead_investigator_id).first()
        if lead is None:
            raise ActionError("主办侦查员不存在或不在本单位", field="lead_investigator_id", code="not_found")
    case = OpenCase(
        by=request.user,
        kind=payload.kind,
        title=payload.title,
        cause=payload.cause,
        summary=payload.summary,
        incident=incident,
        lead_investigator=lead,
        category=category_by_code(payload.category or ""),
    ).execute()
    return Status(201, case_detail(visible_case(request, case.pk)))


class CaseFilter(Schema):
    status: CaseStatus | None = None
    kind: CaseKind | None = None
    limit: int = Field(100, ge=1, le=500)
    offset: Offset = 0


@router.get("/cases", response=list[CaseOut], summary="案件列表")
def list_cases(request, filters: Query[CaseFilter]):
    qs = Case.objects.visible_to(request.user).select_related("organization", "lead_investigator")
    if filters.status:
        qs = qs.filter(status=filters.status)
    if filters.kind:
        qs = qs.filter(kind=filters.kind)
    return [case_out(c) for c in qs.order_by("-accepted_at", "-id")[filters.offset : filters.offset + filters.limit]]


@router.get("/cases/{case_id}", response=CaseDetailOut, summary="案件详情（时间轴、审批、可办操作）")
def get_case(request, case_id: Id):
    return case_detail(visible_case(request, case_id))


@router.post(
    "/cases/{case_id}/transitions",
    response={200: CaseDetailOut, 202: CaseDetailOut},
    summary="办理案件流程；须审批的事项返回 202 并生成审批申请",
)
def change_status(request, case_id: Id, payload: TransitionIn):
    case = visible_case(request, case_id)
    _case, approval = ChangeCaseStatus(
        case=case, action=payload.action, reason=payload.reason, by=request.user
    ).execute()
    return Status(202 if approval else 200, case_detail(visible_case(request, case_id)))


@router.get("/approvals", response=list[ApprovalOut], summary="审批待办")
def approval_inbox(request):
    return [approval_out(a) for a in approvals.inbox(ApprovalRequest, request.user)]


@router.post("/approvals/{approval_id}/decision", response=ApprovalOut, summary="审批：批准或不批准")
def decide(request, approval_id: Id, payload: DecisionIn):
    return approval_out(approvals.decide(DecideApproval, request, approval_id, payload))


@router.post("/cases/{case_id}/persons", response={201: PersonOut}, summary="登记涉案人员")
def add_person(request, case_id: Id, payload: PersonIn):
    person = AddPerson(case=visible_case(request, case_id), data=payload.dict(), by=request.user).execute()
    return Status(201, person_out(person))


@router.get("/cases/{case_id}/persons", response=list[PersonOut], summary="涉案人员（身份证号码脱敏）")
def list_persons(request, case_id: Id):
    return [person_out(p) for p in visible_case(request, case_id).persons.all()]


class IdNumberOut(Schema):
    id_number: str


@router.get(
    "/cases/{case_id}/persons/{person_id}/id-number", response=IdNumberOut, summary="完整身份证号码（记入审计）"
)
def reveal_id_number(request, case_id: Id, person_id: Id):
    person = get_object_or_404(visible_case(request, case_id).persons, pk=person_id)
    return {"id_number": RevealIdNumber(person=person, by=request.user).execute()}


@router.post(
    "/cases/{case_id}/measures",
    response={201: MeasureOut, 202: MeasureOut},
    summary="强制措施；拘留、提请批准逮捕须审批",
)
def take_measure(request, case_id: Id, payload: MeasureIn):
    case = visible_case(request, case_id)
    person = case.persons.filter(pk=payload.person_id).first()
    if person is None:
        raise ActionError("该人员不属于本案", field="person_id", code="not_found")
    measure, approval = TakeMeasure(
        case=case, person=person, kind=payload.kind, reason=payload.reason, by=request.user
    ).execute()
    return Status(202 if approval else 201, measure_out(measure))


@router.post("/measures/{measure_id}/end", response=MeasureOut, summary="解除强制措施")
def end_measure(request, measure_id: Id, payload: NoteIn):
    qs = Measure.objects.filter(case__in=Case.objects.visible_to(request.user)).select_related("case", "person")
    measure = EndMeasure(measure=get_object_or_404(qs, pk=measure_id), note=payload.note, by=request.user).execute()
    return measure_out(measure)


class HelpersIn(Schema):
    officer_ids: list[Id] = Field(
        ..., max_length=100, description="协办民警（警号对应的民警编号）；空列表表示取消全部协办"
    )


@router.put("/cases/{case_id}/helpers", response=CaseDetailOut, summary="指定协办民警")
def set_helpers(request, case_id: Id, payload: HelpersIn):
    case = visible_case(request, case_id)
    officers = list(Officer.objects.visible_to(request.user).filter(pk__in=payload.officer_ids, is_active=True))
    missing = sorted(set(payload.officer_ids) - {o.pk for o in officers})
    if missing:
        raise ActionError(f"民警不存在或不在本单位：{missing[:5]}", field="officer_ids", code="unknown")
    SetHelpers(case=case, officers=officers, by=request.user).execute()
    return case_detail(visible_case(request, case_id))
