"""API for recommendations, dispatch, units (status, position, feedback), cancel and reopen."""

from dataclasses import asdict
from datetime import datetime

from django.shortcuts import get_object_or_404
from ninja import Field, Query, Router, Schema

from anmin.core.schema import Id
from anmin.dispatch.actions import (
    AdvanceAssignment,
    CancelIncident,
    DispatchUnits,
    ReopenIncident,
    ReportPosition,
    SetUnitStatus,
    SubmitFeedback,
)
from anmin.dispatch.models import FeedbackResult, Unit, UnitKind, UnitStatus
from anmin.dispatch.recommend import recommend
from anmin.incidents.api import IncidentDetailOut, incident_detail, visible_incident
from anmin.incidents.models import Incident

router = Router(tags=["dispatch"])


class RecommendationOut(Schema):
    unit_id: int
    callsign: str
    kind: str
    organization: str
    distance_m: int
    eta_s: int
    rule: str
    reason: str
    meets_target: bool | None = Field(None, description="预计到达时间是否在该警情的到场时限内；无时限时为空")
    preselected: bool = Field(False, description="调度台默认勾选：有警力能按时到达时，绝不默认勾选赶不到的")


class DispatchIn(Schema):
    unit_ids: list[Id] = Field(..., max_length=100, description="要派出的警力编号")
    note: str = Field("", max_length=500)


class ReasonIn(Schema):
    reason: str = Field(..., max_length=2000)


class UnitOut(Schema):
    id: int
    callsign: str
    kind: str
    kind_label: str
    organization: str
    status: str
    status_label: str
    lat: float
    lon: float
    position_at: datetime | None
    current_incident: int | None


class UnitStatusIn(Schema):
    status: str = Field(
        ...,
        description=(
            "available 空闲 / offline 离线 / en_route 出警 / on_scene 到场 / handling 处置中 / resolved 处置完毕"
        ),
    )


class PositionIn(Schema):
    lat: float
    lon: float


class FeedbackIn(Schema):
    result: FeedbackResult
    text: str = Field(..., max_length=20000)


class UnitFilter(Schema):
    status: UnitStatus | None = None
    kind: UnitKind | None = None


def unit_out(unit: Unit) -> dict:
    return {
        "id": unit.pk,
        "callsign": unit.callsign,
        "kind": unit.kind,
        "kind_label": unit.get_kind_display(),
        "organization": unit.organization.name,
        "status": unit.status,
        "status_label": unit.get_status_display(),
        "lat": unit.lat,
        "lon": unit.lon,
        "position_at": unit.position_at,
        "current_incident": unit.current_incident_id,
    }


def visible_unit(request, unit_id: int) -> Unit:
    """Units a user may see: their organization subtree, plus the unit they crew."""
    qs = Unit.objects.select_related("organization")
    unit = get_object_or_404(qs, pk=unit_id)
    if (
        Unit.objects.visible_to(request.user).filter(pk=unit.pk).exists()
        or unit.members.filter(pk=request.user.pk).exists()
    ):
        return unit
    return get_object_or_404(qs.none(), pk=unit_id)


@router.get("/incidents/{incident_id}/recommendations", response=list[RecommendationOut], summary="推荐警力")
def recommendations(request, incident_id: Id, limit: int = Query(10, ge=1, le=100)):
    incident = visible_incident(request, incident_id)
    return [asdict(r) for r in recommend(incident, request.user, limit=limit)]


@router.post("/incidents/{incident_id}/dispatch", response={200: IncidentDetailOut}, summary="派警")
def dispatch(request, incident_id: Id, payload: DispatchIn):
    incident = visible_incident(request, incident_id)
    DispatchUnits(incident=incident, unit_ids=payload.unit_ids, by=request.user, note=payload.note).execute()
    return incident_detail(Incident.objects.select_related("category", "station").get(pk=incident.pk))


@router.post("/incidents/{incident_id}/cancel", response=IncidentDetailOut, summary="撤销警情")
def cancel(request, incident_id: Id, payload: ReasonIn):
    incident = visible_incident(request, incident_id)
    CancelIncident(incident=incident, reason=payload.reason, by=request.user).execute()
    return incident_detail(Incident.objects.select_related("category", "station").get(pk=incident.pk))


@router.post("/incidents/{incident_id}/reopen", response=IncidentDetailOut, summary="重新打开警情")
def reopen(request, incident_id: Id, payload: ReasonIn):
    incident = visible_incident(request, incident_id)
    ReopenIncident(incident=incident, reason=payload.reason, by=request.user).execute()
    return incident_detail(Incident.objects.select_related("category", "station").get(pk=incident.pk))


@router.get("/units", response=list[UnitOut], summary="警力列表")
def list_units(request, filters: Query[UnitFilter]):
    qs = Unit.objects.visible_to(request.user).select_related("organization")
    if filters.status:
        qs = qs.filter(status=filters.status)
    if filters.kind:
        qs = qs.filter(kind=filters.kind)
    return [unit_out(u) for u in qs]


STEP_FOR_STATUS = {"en_route": "en_route", "on_scene": "arrive", "handling": "handle", "resolved": "resolve"}


@router.post("/units/{unit_id}/status", response=UnitOut, summary="更新警力状态")
def set_status(request, unit_id: Id, payload: UnitStatusIn):
    unit = visible_unit(request, unit_id)
    if payload.status in STEP_FOR_STATUS:
        AdvanceAssignment(unit=unit, step=STEP_FOR_STATUS[payload.status], by=request.user).execute()
    else:
        SetUnitStatus(unit=unit, status=payload.status, by=request.user).execute()
    unit.refresh_from_db()
    return unit_out(unit)


@router.post("/units/{unit_id}/position", response=UnitOut, summary="上报位置")
def set_position(request, unit_id: Id, payload: PositionIn):
    unit = visible_unit(request, unit_id)
    ReportPosition(unit=unit, lat=payload.lat, lon=payload.lon, by=request.user).execute()
    return unit_out(unit)


@router.post("/units/{unit_id}/feedback", response=UnitOut, summary="处警反馈")
def feedback(request, unit_id: Id, payload: FeedbackIn):
    unit = visible_unit(request, unit_id)
    SubmitFeedback(unit=unit, result=payload.result, text=payload.text, by=request.user).execute()
    unit.refresh_from_db()
    return unit_out(unit)
