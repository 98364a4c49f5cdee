"""枫桥: 矛盾纠纷 and 访民 — the JSON API (same conventions as the incidents and cases APIs).

Parties are answered masked; POST /pii/reveal {object: dispute_party, field: name|phone|id_number}
shows one field in full, audited."""

from datetime import datetime
from typing import Literal

from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from ninja import Field, Path, Query, Router, Schema
from ninja import Status as Answer

from anmin.core.errors import ActionError
from anmin.core.pii import mask_id_number, mask_name, mask_phone
from anmin.core.schema import Id, Offset
from anmin.disputes.actions import STEP_ACTIONS, CreateDispute
from anmin.disputes.models import Dispute, DisputeKind, DisputeParty, Risk, Source, Status, TransferBody, Visit

router = Router(tags=["disputes"])
# The choices as inline enums (Literal), not as schemas named after their classes: "Status",
# "Source" and "Role" are names other apps' enums also publish in the OpenAPI components.
KindCode = Literal[tuple(DisputeKind.values)]
RiskCode = Literal[tuple(Risk.values)]
SourceCode = Literal[tuple(Source.values)]
StatusCode = Literal[tuple(Status.values)]
RoleCode = Literal[tuple(DisputeParty.Role.values)]
TransferCode = Literal[tuple(TransferBody.values)]
STEP_HELP = "accept 受理、mediate 调解、agree 达成协议、transfer 移交、follow_up 回访、close 办结"


class DisputePartyIn(Schema):
    role: RoleCode = "applicant"
    name: str = Field(..., max_length=30)
    phone: str = Field("", max_length=20)
    id_number: str = Field("", max_length=18, description="居民身份证号码（GB 11643）")


class DisputeIn(Schema):
    kind: KindCode
    risk: RiskCode = "low"
    source: SourceCode
    incident_id: Id | None = Field(None, description="来源为 incident 时必填：110 警情")
    visit_id: Id | None = Field(None, description="来源为 visit 时必填：走访记录")
    referral_number: str = Field("", max_length=30, description="来源为 referral 时必填：12345 工单号")
    address: str = Field("", max_length=200, description="纠纷地点；来自警情或走访时可省略")
    lat: float | None = Field(None, ge=-90, le=90)
    lon: float | None = Field(None, ge=-180, le=180)
    community_id: Id | None = Field(None, description="所在社区（小区/村），如有")
    description: str = Field(..., max_length=4000)
    parties: list[DisputePartyIn] = Field(default_factory=list, max_length=10)


class DisputePartyOut(Schema):
    id: int
    role: str
    role_label: str
    name: str = Field(..., description="已脱敏")
    phone: str = Field(..., description="已脱敏")
    id_number: str = Field(..., description="已脱敏")


class MediationSessionOut(Schema):
    held_at: datetime
    mediator: str
    result: str


class DisputeItemOut(Schema):
    id: int
    number: str
    community: str | None
    kind: str
    kind_label: str
    risk: str
    risk_label: str
    status: str
    status_label: str
    source: str
    station: str
    address: str
    found_at: datetime
    flagged: bool
    flag_reason: str


class DisputeOut(DisputeItemOut):
    incident_number: str | None
    referral_number: str
    description: str
    lat: float | None
    lon: float | None
    parties: list[DisputePartyOut]
    sessions: list[MediationSessionOut]
    agreement: str
    transfer_body: str
    transfer_to: str
    follow_up_holds: bool | None
    next_steps: list[str] = Field(..., description="当前可进行的办理环节")


class DisputeStepIn(Schema):
    held_at: datetime | None = Field(None, description="调解：调解时间")
    mediator: str = Field("", max_length=60, description="调解：调解人")
    result: str = Field("", max_length=2000, description="调解、回访：情况")
    agreement: str = Field("", max_length=4000, description="达成协议：协议内容")
    transfer_body: TransferCode | None = Field(None, description="移交：机构类别")
    transfer_to: str = Field("", max_length=80, description="移交：接收单位")
    holds: bool | None = Field(None, description="回访：协议履行、纠纷稳定")


class DisputeFilter(Schema):
    status: StatusCode | None = None
    kind: KindCode | None = None
    risk: RiskCode | None = None
    flagged: bool | None = None
    limit: int = Field(50, ge=1, le=200)
    offset: Offset = 0


def item_out(d: Dispute) -> dict:
    return {
        "id": d.pk,
        "number": d.number,
        "kind": d.kind,
        "kind_label": d.get_kind_display(),
        "risk": d.risk,
        "risk_label": d.get_risk_display(),
        "status": d.status,
        "status_label": d.get_status_display(),
        "source": d.source,
        "station": d.station.name,
        "community": d.community.name if d.community_id else None,
        "address": d.address,
        "found_at": d.found_at,
        "flagged": d.flagged,
        "flag_reason": d.flag_reason,
    }


def detail_out(d: Dispute) -> dict:
    return {
        **item_out(d),
        "incident_number": d.incident.number if d.incident_id else None,
        "referral_number": d.referral_number,
        "description": d.description,
        "lat": d.lat,
        "lon": d.lon,
        "parties": [
            {
                "id": p.pk,
                "role": p.role,
                "role_label": p.get_role_display(),
                "name": mask_name(p.name),
                "phone": mask_phone(p.phone) if p.phone else "",
                "id_number": mask_id_number(p.id_number) if p.id_number else "",
            }
            for p in d.parties.all()
        ],
        "sessions": [{"held_at": s.held_at, "mediator": s.mediator, "result": s.result} for s in d.sessions.all()],
        "agreement": d.agreement,
        "transfer_body": d.transfer_body,
        "transfer_to": d.transfer_to,
        "follow_up_holds": d.follow_up_holds,
        "next_steps": d.next_steps,
    }


def _visible(request):
    return Dispute.objects.visible_to(request.user).select_related("station", "incident", "community")


@router.get("/disputes", response=list[DisputeItemOut], summary="矛盾纠纷：台账（本单位及下级）")
def list_disputes(request, filters: Query[DisputeFilter]):
    qs = _visible(request)
    for name in ("status", "kind", "risk", "flagged"):
        value = getattr(filters, name)
        if value is not None:
            qs = qs.filter(**{name: value})
    rows = qs.order_by("-found_at", "-pk")[filters.offset : filters.offset + filters.limit]
    return [item_out(d) for d in rows]


@router.get("/disputes/{dispute_id}", response=DisputeOut, summary="矛盾纠纷：详情（当事人已脱敏）")
def get_dispute(request, dispute_id: Id):
    dispute = get_object_or_404(_visible(request).prefetch_related("parties", "sessions"), pk=dispute_id)
    return detail_out(dispute)


@router.post("/disputes", response={201: DisputeOut}, summary="矛盾纠纷：排查登记")
def create_dispute(request, payload: DisputeIn):
    data = payload.dict(exclude={"parties", "incident_id", "visit_id", "community_id"})
    data["incident"] = None
    data["visit"] = None
    data["community"] = None
    if payload.community_id is not None:
        from anmin.communities.models import Community

        data["community"] = Community.objects.visible_to(request.user).filter(pk=payload.community_id).first()
        if data["community"] is None:
            raise ActionError(_("社区不存在或无权查看"), field="community_id", code="not_found")
    if payload.incident_id is not None:
        from anmin.incidents.models import Incident

        data["incident"] = Incident.objects.visible_to(request.user).filter(pk=payload.incident_id).first()
        if data["incident"] is None:
            raise ActionError(_("警情不存在或无权查看"), field="incident_id", code="not_found")
    if payload.visit_id is not None:
        data["visit"] = Visit.objects.visible_to(request.user).filter(pk=payload.visit_id).first()
        if data["visit"] is None:
            raise ActionError(_("走访记录不存在或无权查看"), field="visit_id", code="not_found")
    parties = [p.dict() for p in payload.parties]
    dispute = CreateDispute(by=request.user, data=data, parties=parties).execute()
    return Answer(201, detail_out(_visible(request).get(pk=dispute.pk)))


@router.post(
    "/disputes/{dispute_id}/steps/{step}",
    response=DisputeOut,
    summary="矛盾纠纷：办理环节（受理、调解、达成协议、移交、回访、办结）",
)
def dispute_step(
    request,
    dispute_id: Id,
    payload: DisputeStepIn,
    step: str = Path(
        ...,
        max_length=20,
        description="accept 受理、mediate 调解、agree 达成协议、transfer 移交、follow_up 回访、close 办结",
    ),
):
    # The step is a plain string in the path: an enum here would be published as a schema named
    # "Step", which other apps' step enums share in the OpenAPI components.
    if step not in STEP_ACTIONS:
        raise Http404
    dispute = get_object_or_404(_visible(request), pk=dispute_id)
    fields = {k: v for k, v in payload.dict().items() if v not in (None, "")}
    STEP_ACTIONS[step](dispute=dispute, by=request.user, **fields).execute()
    return detail_out(_visible(request).get(pk=dispute.pk))
