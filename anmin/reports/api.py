"""Staff API for reports from the public (/api/v1/reports/…): the 事故快处 queue and online
decision, tips, lost-person reports and the message threads. Reads go through visible_to (another
unit gets 404); changes through the actions; refusals name the field."""

from datetime import date, datetime

from django.shortcuts import get_object_or_404
from ninja import Field, Router, Schema, Status

from anmin.core.pii import mask_id_number, mask_name, mask_phone
from anmin.core.schema import Id
from anmin.reports.actions import DecideLiability, PostMessage, SetMissingStatus
from anmin.reports.models import MissingPersonReport, OnlineReport, QuickAccident, Tip

router = Router(tags=["reports"])

MATTERS = {
    "accidents": QuickAccident,
    "online": OnlineReport,
    "tips": Tip,
    "missing": MissingPersonReport,
}


class PartyOut(Schema):
    """A party with name, phone and licence number masked: POST /pii/reveal
    {"object": "accident_party", "id": id, "field": "name" | "phone" | "licence"} shows one in full."""

    id: int
    role: str
    name: str = Field(..., description="已脱敏")
    phone: str = Field(..., description="已脱敏")
    licence_number: str = Field(..., description="已脱敏")
    plate: str
    insurer: str
    policy_number: str
    confirmed_at: datetime | None

    @staticmethod
    def resolve_name(party) -> str:
        return mask_name(party.name)

    @staticmethod
    def resolve_phone(party) -> str:
        return mask_phone(party.phone)

    @staticmethod
    def resolve_licence_number(party) -> str:
        return mask_id_number(party.licence_number)


class AccidentOut(Schema):
    id: int
    number: str
    status: str
    status_label: str = Field(..., alias="get_status_display")
    mode: str
    occurred_at: datetime
    address: str
    lat: float
    lon: float
    station: str = Field(..., alias="station.name")
    traffic_unit: str = Field(..., alias="traffic_unit.name")
    liability: str
    photo_count: int = 0
    has_document: bool = False


class AccidentDetailOut(AccidentOut):
    description: str
    decision_facts: str
    parties: list[PartyOut]


class LiabilityIn(Schema):
    liability: str = Field(..., max_length=20, description="a_full | b_full | equal")
    facts: str = Field(..., max_length=4000, description="事故事实及责任认定理由")


class TipOut(Schema):
    id: int
    kind: str
    kind_label: str = Field(..., alias="get_kind_display")
    content: str
    place: str
    organization: str = Field(..., alias="organization.name")
    status: str
    received_on: date


class MissingOut(Schema):
    id: int
    number: str
    name: str = Field(..., description="已脱敏；POST /pii/reveal {object: missing, field: name} 显示完整")
    sex: str
    age: int
    description: str
    last_seen_at: datetime
    last_seen_address: str
    lat: float
    lon: float
    station: str = Field(..., alias="station.name")
    status: str

    @staticmethod
    def resolve_name(report) -> str:
        return mask_name(report.name)


class StatusIn(Schema):
    status: str = Field(..., max_length=20, description="searching | found | closed")


class ReportMessageIn(Schema):
    text: str = Field(..., max_length=4000)


class ReportMessageOut(Schema):
    id: int
    author: str
    text: str
    at: datetime


def _accident_out(accident: QuickAccident) -> QuickAccident:
    accident.photo_count = accident.photos.count()
    accident.has_document = bool(accident.document)
    return accident


@router.get("/reports/accidents", response=list[AccidentOut], summary="事故快处列表（status=pending 为待定责）")
def accidents(request, status: str = ""):
    qs = QuickAccident.objects.visible_to(request.user).select_related("station", "traffic_unit")
    if status in QuickAccident.Status.values:
        qs = qs.filter(status=status)
    return [_accident_out(a) for a in qs[:200]]


@router.get("/reports/accidents/{accident_id}", response=AccidentDetailOut, summary="事故快处详情")
def accident(request, accident_id: Id):
    found = get_object_or_404(
        QuickAccident.objects.visible_to(request.user).select_related("station", "traffic_unit"), pk=accident_id
    )
    return _accident_out(found)


@router.post("/reports/accidents/{accident_id}/decision", response=AccidentOut, summary="在线定责，生成认定书")
def decide(request, accident_id: Id, payload: LiabilityIn):
    found = get_object_or_404(QuickAccident.objects.visible_to(request.user), pk=accident_id)
    done = DecideLiability(accident=found, by=request.user, liability=payload.liability, facts=payload.facts).execute()
    return _accident_out(done)


@router.get("/reports/tips", response=list[TipOut], summary="举报线索（不含任何举报人信息）")
def tips(request):
    return list(Tip.objects.visible_to(request.user).select_related("organization")[:200])


@router.get("/reports/missing", response=list[MissingOut], summary="走失人员报告")
def missing(request):
    return list(MissingPersonReport.objects.visible_to(request.user).select_related("station")[:200])


@router.post("/reports/missing/{report_id}/status", response=MissingOut, summary="更新走失人员查找状态")
def missing_status(request, report_id: Id, payload: StatusIn):
    found = get_object_or_404(MissingPersonReport.objects.visible_to(request.user), pk=report_id)
    return SetMissingStatus(report=found, by=request.user, status=payload.status).execute()


@router.get("/reports/{kind}/{matter_id}/messages", response=list[ReportMessageOut], summary="警民互动留言")
def thread(request, kind: str, matter_id: Id):
    matter = _matter(request, kind, matter_id)
    return list(matter.messages.all())


@router.post("/reports/{kind}/{matter_id}/messages", response={201: ReportMessageOut}, summary="回复留言")
def reply(request, kind: str, matter_id: Id, payload: ReportMessageIn):
    matter = _matter(request, kind, matter_id)
    return Status(201, PostMessage(matter=matter, text=payload.text, officer=request.user).execute())


def _matter(request, kind: str, matter_id: int):
    from django.http import Http404

    model = MATTERS.get(kind)
    if model is None:
        raise Http404
    return get_object_or_404(model.objects.visible_to(request.user), pk=matter_id)
