"""走失/被拐: missing-person cases and PFIF — the JSON API (the group broadcast has its own router).

Scoped like the pages: a station reads its own cases, a branch its stations', the bureau all; a case
outside the caller's scope is a 404. Names are masked in every answer (the audited reveal is
`POST /pii/reveal` with object `missing_case`, field `name`); a case's answer carries its
broadcast — the rings reached and every send with its result — and its clues.
"""

from datetime import datetime
from typing import Literal

from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from ninja import Field, Query, Router, Schema, Status

from anmin.core.pii import mask_name, scrub
from anmin.core.schema import Id, Offset, errors
from anmin.missing import broadcast, pfif
from anmin.missing.actions import AddClue, MarkFound, OpenMissingCase
from anmin.missing.models import Clue, MissingCase

# Choices as inline enums (Literal), not as schemas named after their classes: every app has a
# "Status", and the OpenAPI components keep one schema per name, so another app's would replace it.
MissingStatusCode = Literal[tuple(MissingCase.Status.values)]
MissingCategoryCode = Literal[tuple(MissingCase.Category.values)]

router = Router(tags=["missing"])


class MissingCaseIn(Schema):
    full_name: str = Field(..., max_length=200, description="走失人员姓名（加密存储，答复中脱敏）")
    category: Literal["elderly", "child", "other"] = Field(..., description="elderly 老人/失智，child 儿童，other 其他")
    description: str = Field(..., max_length=4000, description="体貌特征及衣着")
    last_seen_at: datetime = Field(..., description="最后出现时间（ISO 8601，不得晚于现在）")
    lat: float = Field(..., description="最后出现位置纬度（WGS-84，须在本市辖区内）")
    lon: float = Field(..., description="最后出现位置经度（WGS-84）")
    sex: Literal["M", "F", ""] = Field("", description="M 男，F 女，空为不详")
    age: int | None = Field(None, ge=0, le=120)
    last_seen_place: str = Field("", max_length=400, description="最后出现地点（文字）")
    may_publish: bool = Field(False, description="家属同意公开（仅此类案件进入 PFIF 导出）")


class MissingFoundIn(Schema):
    where: str = Field(..., max_length=400, description="找到地点")
    found_by: str = Field("", max_length=400, description="发现人")
    found_at: datetime | None = Field(None, description="找到时间，默认现在")
    note: str = Field("", max_length=4000, description="情况说明")


class MissingClueIn(Schema):
    text: str = Field(..., max_length=4000, description="线索内容")
    author_name: str = Field("", max_length=400, description="提供人")
    place: str = Field("", max_length=400, description="地点（文字）")
    seen_at: datetime | None = Field(None, description="目击时间")
    lat: float | None = None
    lon: float | None = None


class MissingCaseFilter(Schema):
    status: MissingStatusCode | None = None
    category: MissingCategoryCode | None = None
    limit: int = Field(50, ge=1, le=200)
    offset: Offset = 0


class MissingClueOut(Schema):
    at: datetime
    source: str
    source_label: str
    author_name: str = Field(..., description="提供人（脱敏）")
    text: str
    seen_at: datetime | None
    lat: float | None
    lon: float | None
    says_found: bool


class MissingRingOut(Schema):
    step: int
    label: str
    reach: str
    radius_km: float | None
    reached_at: datetime | None
    groups: list[str]


class MissingSendOut(Schema):
    group: str
    kind: str
    kind_label: str
    message: str = Field(..., description="alert 协查通知，thanks 已找到致谢")
    message_label: str
    status: str
    status_label: str
    attempts: int
    sent_at: datetime | None
    next_try_at: datetime | None
    result: str


class MissingBroadcastOut(Schema):
    rings: list[MissingRingOut]
    sends: list[MissingSendOut]


class MissingCaseOut(Schema):
    id: int
    number: str
    full_name: str = Field(..., description="姓名（脱敏）")
    category: str
    category_label: str
    sex: str
    age: int | None
    description: str
    last_seen_at: datetime
    last_seen_place: str
    lat: float
    lon: float
    station: str
    source: str
    source_label: str
    incident: str | None = Field(None, description="来源 110 警情单号")
    status: str
    status_label: str
    may_publish: bool
    has_photo: bool
    found_at: datetime | None
    created_at: datetime


class MissingCaseDetailOut(MissingCaseOut):
    clues: list[MissingClueOut]
    broadcast: MissingBroadcastOut


def case_out(case: MissingCase) -> dict:
    return {
        "id": case.pk,
        "number": case.number,
        "full_name": mask_name(case.full_name),
        "category": case.category,
        "category_label": case.get_category_display(),
        "sex": case.sex,
        "age": case.age,
        "description": scrub(case.description),
        "last_seen_at": case.last_seen_at,
        "last_seen_place": case.last_seen_place,
        "lat": case.lat,
        "lon": case.lon,
        "station": case.station.name,
        "source": case.source,
        "source_label": case.get_source_display(),
        "incident": case.incident.number if case.incident_id else None,
        "status": case.status,
        "status_label": case.get_status_display(),
        "may_publish": case.may_publish,
        "has_photo": bool(case.photo),
        "found_at": case.found_at,
        "created_at": case.created_at,
    }


def clue_out(clue: Clue) -> dict:
    return {
        "at": clue.at,
        "source": clue.source,
        "source_label": clue.get_source_display(),
        "author_name": mask_name(clue.author_name),
        "text": scrub(clue.text),
        "seen_at": clue.seen_at,
        "lat": clue.lat,
        "lon": clue.lon,
        "says_found": clue.says_found,
    }


def detail_out(case: MissingCase) -> dict:
    data = case_out(case)
    data["clues"] = [clue_out(c) for c in case.clues.all()]
    data["broadcast"] = broadcast.summary(case)
    return data


def _visible(request):
    return MissingCase.objects.visible_to(request.user).select_related("station", "incident")


def _case(request, case_id: int) -> MissingCase:
    return get_object_or_404(_visible(request), pk=case_id)


@router.post("/missing", response={201: MissingCaseOut}, summary="走失人员：登记（立即开始工作群协查）")
def open_case(request, payload: MissingCaseIn):
    """登记走失/被拐人员; the station is the jurisdiction of the last-seen point, and the first ring of
    work groups is alerted within a minute. A validation error names the field; nothing is written."""
    case = OpenMissingCase(by=request.user, data=payload.dict()).execute()
    return Status(201, case_out(MissingCase.objects.select_related("station", "incident").get(pk=case.pk)))


@router.get("/missing", response=list[MissingCaseOut], summary="走失人员：案件列表（本单位可见）")
def list_cases(request, filters: Query[MissingCaseFilter]):
    qs = _visible(request)
    if filters.status:
        qs = qs.filter(status=filters.status)
    if filters.category:
        qs = qs.filter(category=filters.category)
    return [case_out(c) for c in qs[filters.offset : filters.offset + filters.limit]]


@router.get(
    "/missing/pfif",
    response={200: None},
    summary="走失人员：PFIF 1.4 导出（仅家属同意公开的案件）",
    openapi_extra={
        "responses": {
            200: {
                "description": "PFIF 1.4 XML（命名空间 http://zesty.ca/pfif/1.4）：pfif:person 及其 pfif:note",
                "content": {"application/xml": {"schema": {"type": "string"}}},
            }
        }
    },
)
def export_pfif(request):
    """Persons with their notes in PFIF 1.4, of the cases the caller's scope covers whose family agreed
    to publish; no phones, ID numbers or officer-only fields."""
    body = pfif.export(MissingCase.objects.visible_to(request.user))
    response = HttpResponse(body, content_type="application/xml; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="anmin-pfif-1.4.xml"'
    response["Cache-Control"] = "no-store, private"
    return response


@router.get(
    "/missing/{case_id}", response=MissingCaseDetailOut, summary="走失人员：案件详情（含扩散圈、发送记录、线索）"
)
def get_case(request, case_id: Id):
    return detail_out(_case(request, case_id))


@router.post(
    "/missing/{case_id}/found",
    response={200: MissingCaseDetailOut, **errors(409)},
    summary="走失人员：已找到（停止协查并向已通知的群致谢）",
)
def mark_found(request, case_id: Id, payload: MissingFoundIn):
    case = _case(request, case_id)
    MarkFound(case=case, by=request.user, data=payload.dict()).execute()
    return detail_out(_case(request, case_id))


@router.post("/missing/{case_id}/clues", response={201: MissingClueOut}, summary="走失人员：录入线索")
def add_clue(request, case_id: Id, payload: MissingClueIn):
    case = _case(request, case_id)
    clue = AddClue(case=case, by=request.user, data=payload.dict()).execute()
    return Status(201, clue_out(clue))
