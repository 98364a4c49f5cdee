"""智慧平安社区: communities, their figures and the leads from community systems — the JSON API.

Officers read communities and leads with their usual token or session (scoped as every list is).
Community systems post leads with a key of their own, issued per registered source
(`RegisterLeadSource`), not with an officer's token: a 门禁 platform is not an officer, an officer's
token would carry that officer's whole scope and make the system's leads look as if the officer had
entered them, and a key per source confines the system to its one community and can be switched off
without touching anyone's login.
"""

from datetime import date, datetime
from typing import Literal

from django.shortcuts import get_object_or_404
from django.utils import timezone
from ninja import Field, Query, Router, Schema, Status
from ninja.security import HttpBearer

from anmin.communities import places
from anmin.communities.actions import MarkLead, ReceiveLead
from anmin.communities.models import Community, Lead, LeadSource
from anmin.core.pii import mask, mask_name
from anmin.core.schema import Id, Offset, errors
from anmin.stats import periods

# Choices as inline enums (Literal), not as schemas named after their classes: every app has a
# "Status", and the OpenAPI components keep one schema per name, so another app's would replace it.
CommunityKindCode = Literal[tuple(Community.Kind.values)]
LeadKindCode = Literal[tuple(Lead.Kind.values)]
LeadStatusCode = Literal[tuple(Lead.Status.values)]

router = Router(tags=["communities"])


class LeadSourceKey(HttpBearer):
    """`Authorization: Bearer <key>` with the key issued to a registered community system."""

    def authenticate(self, request, token):
        return LeadSource.authenticate(token)


def default_period() -> str:
    """This calendar year so far: the bureau's 零发案小区率 is a yearly figure."""
    return str(timezone.localdate().year)


def period_of(code: str | None) -> periods.Period:
    return periods.parse(code or default_period(), "period")


def mask_plate(plate: str) -> str:
    """冀T12345 → 冀T1****: the province, office and first character show (enough to tell plates
    apart in a list); the rest shows only to the officer who opens the record in the case system."""
    if not plate:
        return ""
    return plate[:3] + "*" * max(len(plate) - 3, 0)


class PeriodIn(Schema):
    period: str = Field(
        "", max_length=40, description="统计期间：2021、2021-Q1、2021-03、2021-W09 或 2021-03-01..2021-03-15；默认本年"
    )


class CommunityOut(Schema):
    id: int
    name: str
    kind: str
    kind_label: str
    station: str
    officer: str | None
    lat: float
    lon: float
    has_boundary: bool
    incidents: int = Field(..., description="期间内警情数（各类别合计，不含已撤销）")
    counting_incidents: int = Field(..., description="期间内刑事、治安警情数：零发案按此判断")
    zero: bool = Field(..., description="零发案：期间内无刑事、治安警情")


class CountOut(Schema):
    code: str
    label: str
    count: int


class CommunityDetailOut(CommunityOut):
    period: str
    period_label: str
    boundary: list | None
    radius_m: int | None = Field(..., description="无边界时计入警情的半径（米）")
    households: int | None
    incidents_by_class: list[CountOut]
    cases_by_kind: list[CountOut]
    leads_by_status: list[CountOut]
    cases_solved_with_leads: int = Field(..., description="社区线索破案数：线索标记为破案且案件已破")
    caught_with_leads: int = Field(..., description="社区线索抓获数")
    buildings: int
    access_points: int
    grid_workers: list[str] = Field(..., description="网格员（姓名已脱敏）")


class CommunityListOut(Schema):
    period: str
    period_label: str
    zero_rate: float | None = Field(
        ..., description="零发案小区率（%）：本辖区小区中期间内无刑事、治安警情的比例；村不计入"
    )
    compounds: int
    zero_compounds: int
    communities: list[CommunityOut]


class CommunityFilter(PeriodIn):
    kind: CommunityKindCode | None = None
    limit: int = Field(200, ge=1, le=1000)
    offset: Offset = 0


class LeadIn(Schema):
    kind: LeadKindCode = Field(..., description="线索类型")
    occurred_at: datetime = Field(..., description="发生时间（ISO 8601，带时区）")
    description: str = Field(..., min_length=1, max_length=2000)
    community_id: Id | None = Field(None, description="社区；省略时为本系统登记的社区，填写其他社区将被拒绝")
    device_code: str = Field("", max_length=64, description="出入口设备编码（须为本社区已登记的设备）")
    plate: str = Field("", max_length=20, description="车牌号（GA 36），加密保存")
    person_name: str = Field("", max_length=30, description="人员姓名，加密保存")
    person_id_number: str = Field("", max_length=20, description="人员身份证号，加密保存")


class LeadOut(Schema):
    id: int
    community_id: int
    community: str
    source: str
    access_point: str | None
    kind: str
    kind_label: str
    occurred_at: datetime
    received_at: datetime
    description: str
    plate: str = Field(..., description="已脱敏")
    person_name: str = Field(..., description="已脱敏")
    person_id_number: str = Field(..., description="已脱敏")
    status: str
    status_label: str
    case_number: str | None
    incident_number: str | None
    note: str


class LeadFilter(Schema):
    community_id: Id | None = None
    status: LeadStatusCode | None = None
    limit: int = Field(100, ge=1, le=500)
    offset: Offset = 0


class LeadMarkIn(Schema):
    # A plain string checked by the action, so the lead is looked up (and an outsider answered 404)
    # before the value is judged.
    status: str = Field(
        ..., max_length=10, description="核查结果：checked 已核查、useless 无价值、arrest 抓获、solved 破案"
    )
    case_number: str = Field("", max_length=24, description="案件编号（破案必填；抓获时与接警单号二选一）")
    incident_number: str = Field("", max_length=24, description="接警单号（抓获时可填）")
    note: str = Field("", max_length=500)


def _officer_label(officer) -> str | None:
    return f"{officer.get_full_name() or officer.username}" if officer else None


def community_out(c: Community, f: places.Figures) -> dict:
    return {
        "id": c.pk,
        "name": c.name,
        "kind": c.kind,
        "kind_label": c.get_kind_display(),
        "station": c.station.label,
        "officer": _officer_label(c.officer),
        "lat": c.lat,
        "lon": c.lon,
        "has_boundary": bool(c.boundary),
        "incidents": f.incidents,
        "counting_incidents": f.counting,
        "zero": f.zero,
    }


def lead_out(lead: Lead) -> dict:
    return {
        "id": lead.pk,
        "community_id": lead.community_id,
        "community": lead.community.name,
        "source": lead.source.name,
        "access_point": lead.access_point.name if lead.access_point_id else None,
        "kind": lead.kind,
        "kind_label": lead.get_kind_display(),
        "occurred_at": lead.occurred_at,
        "received_at": lead.received_at,
        "description": lead.description,
        "plate": mask_plate(lead.plate),
        "person_name": mask_name(lead.person_name),
        "person_id_number": mask("id_number", lead.person_id_number),
        "status": lead.status,
        "status_label": lead.get_status_display(),
        "case_number": lead.case.number if lead.case_id else None,
        "incident_number": lead.incident.number if lead.incident_id else None,
        "note": lead.note,
    }


def _communities(request):
    return Community.objects.visible_to(request.user).select_related("station", "officer")


def _leads(request):
    return Lead.objects.visible_to(request.user).select_related(
        "community", "source", "access_point", "case", "incident"
    )


def _span(period: periods.Period) -> tuple[date, date]:
    return period.start, period.end


@router.get("/communities", response=CommunityListOut, summary="智慧平安社区：本辖区社区及零发案情况")
def list_communities(request, filters: Query[CommunityFilter]):
    period = period_of(filters.period)
    qs = _communities(request)
    if filters.kind:
        qs = qs.filter(kind=filters.kind)
    page = list(qs[filters.offset : filters.offset + filters.limit])
    figs = places.figures(page, *_span(period))
    rate = places.zero_rate(request.user, *_span(period))
    return {
        "period": period.code,
        "period_label": period.label,
        "zero_rate": rate.value,
        "compounds": len(rate.total),
        "zero_compounds": len(rate.zero),
        "communities": [community_out(c, figs[c.pk]) for c in page],
    }


@router.get("/communities/{community_id}", response=CommunityDetailOut, summary="智慧平安社区：一个社区的各项数字")
def get_community(request, community_id: Id, filters: Query[PeriodIn]):
    from anmin.cases.lifecycle import CaseKind
    from anmin.incidents.models import IncidentClass

    period = period_of(filters.period)
    c = get_object_or_404(_communities(request), pk=community_id)
    f = places.figures([c], *_span(period), details=True)[c.pk]
    data = community_out(c, f)
    data.update(
        period=period.code,
        period_label=period.label,
        boundary=c.boundary,
        radius_m=None if c.boundary else c.reach_m,
        households=c.households,
        incidents_by_class=[
            {"code": k, "label": str(label), "count": f.by_class.get(k, 0)} for k, label in IncidentClass.choices
        ],
        cases_by_kind=[{"code": k, "label": str(label), "count": f.cases.get(k, 0)} for k, label in CaseKind.choices],
        leads_by_status=[
            {"code": k, "label": str(label), "count": f.leads.get(k, 0)} for k, label in Lead.Status.choices
        ],
        cases_solved_with_leads=f.solved_by_leads,
        caught_with_leads=f.caught,
        buildings=c.buildings.count(),
        access_points=c.access_points.count(),
        grid_workers=[mask_name(w.name) for w in c.grid_workers.filter(active=True)],
    )
    return data


@router.post(
    "/community-leads",
    auth=LeadSourceKey(),
    response={201: LeadOut, **errors(401)},
    summary="社区线索：社区门禁、视频系统报送线索（使用线索来源系统的密钥：Authorization: Bearer <key>）",
)
def post_lead(request, payload: LeadIn):
    source: LeadSource = request.auth
    # Another community's id is refused by the action (403), whether or not it exists.
    lead = ReceiveLead(source=source, data=payload.dict()).execute()
    return Status(201, lead_out(Lead.objects.select_related("community", "source", "access_point").get(pk=lead.pk)))


@router.get("/community-leads", response=list[LeadOut], summary="社区线索：本辖区线索及核查结果")
def list_leads(request, filters: Query[LeadFilter]):
    qs = _leads(request)
    if filters.community_id:
        qs = qs.filter(community_id=filters.community_id)
    if filters.status:
        qs = qs.filter(status=filters.status)
    return [lead_out(lead) for lead in qs[filters.offset : filters.offset + filters.limit]]


@router.get("/community-leads/{lead_id}", response=LeadOut, summary="社区线索：详情")
def get_lead(request, lead_id: Id):
    return lead_out(get_object_or_404(_leads(request), pk=lead_id))


@router.post(
    "/community-leads/{lead_id}/mark", response=LeadOut, summary="社区线索：记录核查结果（已核查、无价值、抓获、破案）"
)
def mark_lead(request, lead_id: Id, payload: LeadMarkIn):
    lead = get_object_or_404(_leads(request), pk=lead_id)
    MarkLead(
        by=request.user,
        lead=lead,
        status=payload.status,
        case_number=payload.case_number,
        incident_number=payload.incident_number,
        note=payload.note,
    ).execute()
    return lead_out(get_object_or_404(_leads(request), pk=lead_id))
