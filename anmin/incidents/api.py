"""API for incidents and the category code table."""

from datetime import datetime
from typing import Literal

from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from ninja import Field, Header, Query, Router, Schema, Status
from pydantic import StrictInt

from anmin.core.errors import ActionError
from anmin.core.pii import mask_phone, scrub
from anmin.core.schema import Id, Offset
from anmin.core.validation import clean_text
from anmin.incidents import suggest
from anmin.incidents.actions import INTAKE_KEY_FIELD, MAX_INTAKE_KEY, ReceiveCall, RevealCaller
from anmin.incidents.models import Category, Incident

# Choices as inline enums (Literal), not as schemas named after their classes: every app has a
# "Status", and the OpenAPI components keep one schema per name, so another app's would replace it.
IncidentStatusCode = Literal[tuple(Incident.Status.values)]

router = Router(tags=["incidents"])


class StationOut(Schema):
    code: str
    name: str


class EventOut(Schema):
    kind: str
    label: str
    at: datetime
    actor: str | None
    unit: str
    detail: str


class IncidentIn(Schema):
    category: str = Field(
        ...,
        description="警情类别：代码（见 GET /categories）或名称，名称可只写一部分（殴打 → 0201 殴打他人）；"
        "对应多个类别时返回 400，candidates 列出可选的类别",
        max_length=20,
    )
    lat: float = Field(..., description="纬度 (WGS-84)")
    lon: float = Field(..., description="经度 (WGS-84)")
    address: str = Field(..., max_length=2000)
    caller_phone: str = Field("", max_length=200)
    caller_name: str = Field("", max_length=200)
    description: str = Field("", max_length=20000)
    priority: StrictInt | None = Field(None, ge=1, le=3, description="1 紧急、2 较急、3 一般；默认按类别")
    merge_into: Id | None = Field(None, description="合并到此警情（重复报警）")
    force_new: bool = Field(False, description="即使有重复报警也新建警情")


class IncidentOut(Schema):
    id: int
    number: str
    received_at: datetime
    category: str
    category_name: str
    klass: str
    serious_violence: bool
    priority: int
    address: str
    lat: float
    lon: float
    caller_phone: str
    description: str
    grid_cell: str
    area_type: str
    station: StationOut
    status: str
    status_label: str
    target_minutes: int
    arrival_due_at: datetime
    overdue: bool
    call_count: int


class AssignmentOut(Schema):
    unit_id: int
    callsign: str
    dispatched_at: datetime
    en_route_at: datetime | None
    arrived_at: datetime | None
    resolved_at: datetime | None
    closed_at: datetime | None
    result: str
    result_text: str


class IncidentDetailOut(IncidentOut):
    timeline: list[EventOut]
    assignments: list[AssignmentOut]


class CategoryOut(Schema):
    code: str
    name: str
    klass: str = Field(..., alias="class")
    class_label: str
    parent: str | None
    serious_violence: bool


def incident_out(incident: Incident, *, full_phone: bool = False) -> dict:
    return {
        "id": incident.pk,
        "number": incident.number,
        "received_at": incident.received_at,
        "category": incident.category.code,
        "category_name": incident.category.name,
        "klass": incident.category.klass,
        "serious_violence": incident.category.serious_violence,
        "priority": incident.priority,
        "address": incident.address,
        "lat": incident.lat,
        "lon": incident.lon,
        "caller_phone": incident.caller_phone if full_phone else mask_phone(incident.caller_phone),
        "description": incident.description,
        "grid_cell": incident.grid_cell_id,
        "area_type": incident.area_type,
        "station": {"code": incident.station.code, "name": incident.station.name},
        "status": incident.status,
        "status_label": incident.get_status_display(),
        "target_minutes": incident.target_minutes,
        "arrival_due_at": incident.arrival_due_at,
        "overdue": incident.is_overdue(),
        "call_count": incident.call_count,
    }


def incident_detail(incident: Incident, *, full_phone: bool = False, new: bool = False) -> dict:
    """The incident with its timeline and assignments (a new one has neither assignments nor a
    second event yet, so those queries are skipped on the hot intake path)."""
    data = incident_out(incident, full_phone=full_phone)
    data["timeline"] = [
        {
            "kind": e.kind,
            "label": e.get_kind_display(),
            "at": e.at,
            "actor": e.actor.audit_label if e.actor else None,
            "unit": e.unit_label,
            "detail": scrub(e.detail),
        }
        for e in (incident.new_timeline if new else incident.events.select_related("actor"))
    ]
    data["assignments"] = [
        {
            "unit_id": a.unit_id,
            "callsign": a.unit.callsign,
            "dispatched_at": a.dispatched_at,
            "en_route_at": a.en_route_at,
            "arrived_at": a.arrived_at,
            "resolved_at": a.resolved_at,
            "closed_at": a.closed_at,
            "result": a.result,
            "result_text": a.result_text,
        }
        for a in ([] if new else incident.assignments.select_related("unit"))
    ]
    return data


def visible_incident(request, incident_id: int) -> Incident:
    qs = Incident.objects.visible_to(request.user).select_related("category", "station")
    return get_object_or_404(qs, pk=incident_id)


@router.post(
    "/incidents",
    response={201: IncidentDetailOut, 200: IncidentDetailOut},
    summary="接警：新建警情",
    description=(
        "重试安全：带 Idempotency-Key 头（1–100 个可打印 ASCII 字符，每次来电一个新值）时，同一接警员以同一键"
        "重发同一内容，返回第一次的警情（200，响应头 Idempotent-Replayed: true），不会新建第二条；同一键配不同"
        "内容返回 409。键在 24 小时后失效，可再次使用。"
    ),
)
def create_incident(
    request,
    payload: IncidentIn,
    idempotency_key: str | None = Header(
        None,
        alias=INTAKE_KEY_FIELD,
        # Checked by ReceiveCall rather than here, so that a bad key is a 400 naming the header.
        description=f"客户端为每次来电生成的唯一键（1–{MAX_INTAKE_KEY} 个可打印 ASCII 字符），24 小时内有效",
    ),
    response: HttpResponse = None,
):
    data = payload.dict()
    merge_into = data.pop("merge_into")
    force_new = data.pop("force_new")
    target = None
    if merge_into is not None:
        target = Incident.objects.visible_to(request.user).filter(pk=merge_into).first()
        if target is None:
            raise ActionError("要合并的警情不存在或无权查看", field="merge_into", code="not_found")
    action = ReceiveCall(by=request.user, data=data, merge_into=target, force_new=force_new, key=idempotency_key)
    incident, created = action.execute()
    if action.replayed:
        # A retry of a request already answered: the same incident, never a second one.
        response["Idempotent-Replayed"] = "true"
        return Status(200, incident_detail(incident, full_phone=created))
    # The caller's number is echoed only to whoever just typed it; everyone else sees it masked.
    return Status(201 if created else 200, incident_detail(incident, full_phone=created, new=created))


class IncidentFilter(Schema):
    status: IncidentStatusCode | None = None
    since: datetime | None = Field(None, description="只列出此时间之后接警的")
    limit: int = Field(100, ge=1, le=500)
    offset: Offset = 0


@router.get("/incidents", response=list[IncidentOut], summary="警情列表")
def list_incidents(request, filters: Query[IncidentFilter]):
    qs = Incident.objects.visible_to(request.user).select_related("category", "station")
    if filters.status:
        qs = qs.filter(status=filters.status)
    if filters.since:
        qs = qs.filter(received_at__gte=filters.since)
    qs = qs.order_by("-received_at", "-id")[filters.offset : filters.offset + filters.limit]
    return [incident_out(i) for i in qs]


@router.get("/incidents/{incident_id}", response=IncidentDetailOut, summary="警情详情（含时间轴）")
def get_incident(request, incident_id: Id):
    return incident_detail(visible_incident(request, incident_id))


class CallerOut(Schema):
    caller_phone: str
    caller_name: str


@router.get("/incidents/{incident_id}/caller", response=CallerOut, summary="查看报警人完整信息（记入审计）")
def get_caller(request, incident_id: Id):
    """Personal data in full, on demand: each viewing is an audit entry (个人信息保护法)."""
    incident = RevealCaller(incident=visible_incident(request, incident_id), by=request.user).execute()
    return {"caller_phone": incident.caller_phone, "caller_name": incident.caller_name}


@router.get("/categories", response=list[CategoryOut], summary="警情类别代码表", by_alias=True)
def list_categories(request):
    return [
        {
            "code": c.code,
            "name": c.name,
            "class": c.klass,
            "class_label": c.get_klass_display(),
            "parent": c.parent.code if c.parent else None,
            "serious_violence": c.serious_violence,
        }
        for c in Category.objects.filter(active=True).select_related("parent")
    ]


class SuggestionOut(Schema):
    code: str
    name: str
    score: float = Field(..., description="该类别的概率（0–1）；未训练模型时为匹配词语所占比例")
    serious_violence: bool = Field(..., description="八类严重暴力")
    words: list[str] = Field(..., description="推动这一推荐的词语（对数似然贡献最大者）")


class SuggestionsOut(Schema):
    suggestions: list[SuggestionOut]
    trained_on: int = Field(..., description="模型训练所用的警情数；0 表示尚未训练，仅按类别名称和关键词匹配")
    source: str = Field(..., description="model：训练的模型；names：尚未训练，按名称和关键词匹配")


class SuggestQuery(Schema):
    text: str = Field(..., description="简要警情", max_length=suggest.MAX_TEXT)


@router.get(
    "/categories/suggest",
    response=SuggestionsOut,
    summary="按简要警情推荐警情类别（仅供参考，由接警员选定）",
)
def suggest_categories(request, query: Query[SuggestQuery]):
    text = clean_text(query.text, "text", _("简要警情"), suggest.MAX_TEXT, required=True)
    return suggest.suggest(text).as_dict()
