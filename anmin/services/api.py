"""API for 政务服务: the catalogue, the staff queue and steps (token auth), and the public progress
query (no auth: 办件编号 + 手机号码后四位, status and steps only).

Citizens apply on the portal pages, not here: the API's tokens belong to officers.
"""

from datetime import datetime

from django.db.models import F
from django.shortcuts import get_object_or_404
from django.utils import timezone
from ninja import Field, Query, Router, Schema, Status

from anmin.citizens.views import client_ip
from anmin.core.errors import ActionError
from anmin.core.pii import mask_name, scrub
from anmin.core.schema import Id, Offset
from anmin.services.actions import PostMessage, ProcessApplication, Step, available_steps, can_process
from anmin.services.models import OPEN_STATUSES, Application, ApplicationStatus, ServiceItem, describe_time_left
from anmin.services.progress import lookup

router = Router(tags=["services"])


class MaterialOut(Schema):
    name: str
    required: bool
    kinds: list[str]


class ServiceItemOut(Schema):
    code: str
    name: str
    department: str | None
    time_limit_days: int
    province_wide: bool
    description: str
    form_fields: list[dict]
    materials: list[MaterialOut]


class StepOut(Schema):
    step: str
    label: str
    at: datetime


class PublicStatusOut(Schema):
    number: str
    item: str
    status: str
    status_label: str
    due_at: datetime | None
    steps: list[StepOut]


class QueueRow(Schema):
    id: int
    number: str
    item: str
    department: str
    applicant_name: str
    status: str
    status_label: str
    submitted_at: datetime
    due_at: datetime | None
    overdue: bool
    time_left: str


class ApplicationEventOut(Schema):
    kind: str
    label: str
    at: datetime
    officer: str | None
    note: str


class FileOut(Schema):
    id: int
    material: str
    name: str
    content_type: str
    size: int
    sha256: str
    round: int


class ApplicationMessageOut(Schema):
    from_citizen: bool
    text: str
    at: datetime


class ApplicationOut(QueueRow):
    form_data: dict
    missing: list[str]
    reason: str
    accepted_at: datetime | None
    completed_at: datetime | None
    available_steps: list[str]
    events: list[ApplicationEventOut]
    files: list[FileOut]
    messages: list[ApplicationMessageOut]


class QueueFilter(Schema):
    status: str | None = Field(
        None, max_length=20, description="submitted, accepted, reviewing, completed, returned, rejected, open"
    )
    limit: int = Field(100, ge=1, le=500)
    offset: Offset = 0


class StatusQuery(Schema):
    number: str = Field(..., max_length=30, description="办件编号，如 BJ20260930000001")
    phone_last4: str = Field(..., max_length=10, description="申请人手机号码后四位")


class StepIn(Schema):
    step: Step
    missing: list[str] = Field(default_factory=list, max_length=50, description="退回补正时需补正的材料")
    reason: str = Field("", max_length=5000, description="不予受理的理由；退回补正的说明")


class ApplicationMessageIn(Schema):
    text: str = Field(..., max_length=5000)


def _row(app: Application, now) -> dict:
    left = app.time_left(now)
    return {
        "id": app.pk,
        "number": app.number,
        "item": app.item.name,
        "department": app.department.name,
        "applicant_name": mask_name(app.applicant_name),
        "status": app.status,
        "status_label": app.get_status_display(),
        "submitted_at": app.submitted_at,
        "due_at": app.due_at,
        "overdue": left is not None and left.total_seconds() < 0,
        "time_left": describe_time_left(app, now),
    }


def _detail(app: Application, user) -> dict:
    return {
        **_row(app, timezone.now()),
        # What the citizen filled in, with any phone or ID number in it masked.
        "form_data": {k: scrub(v) if isinstance(v, str) else v for k, v in app.form_data.items()},
        "missing": app.missing,
        "reason": app.reason,
        "accepted_at": app.accepted_at,
        "completed_at": app.completed_at,
        "available_steps": [s.value for s in available_steps(app)] if can_process(user) else [],
        "events": [
            {
                "kind": e.kind,
                "label": e.get_kind_display(),
                "at": e.at,
                "officer": str(e.officer) if e.officer_id else None,
                "note": e.note,
            }
            for e in app.events.select_related("officer")
        ],
        "files": [
            {
                "id": f.pk,
                "material": f.material_name,
                "name": f.original_name,
                "content_type": f.content_type,
                "size": f.size,
                "sha256": f.sha256,
                "round": f.round,
            }
            for f in app.files.all()
        ],
        "messages": [{"from_citizen": m.from_citizen, "text": m.text, "at": m.at} for m in app.messages.all()],
    }


def _visible(request, pk: int) -> Application:
    return get_object_or_404(Application.objects.visible_to(request.user).select_related("item", "department"), pk=pk)


@router.get("/services/status", response=PublicStatusOut, auth=None)
def public_status(request, query: Query[StatusQuery]):
    """办件进度查询 without auth: status and steps, nothing personal. A wrong pair is 404, the same as
    an unknown number."""
    result = lookup(query.number, query.phone_last4, ip=client_ip(request))
    return {
        "number": result.number,
        "item": result.item,
        "status": result.status,
        "status_label": result.status_label,
        "due_at": result.due_at,
        "steps": [{"step": kind, "label": label, "at": at} for kind, label, at in result.steps],
    }


@router.get("/services/items", response=list[ServiceItemOut])
def catalogue(request):
    """The active catalogue with materials and form fields."""
    items = ServiceItem.objects.filter(active=True).select_related("department").prefetch_related("materials")
    return [
        {
            "code": i.code,
            "name": i.name,
            "department": i.department.name if i.department_id else None,
            "time_limit_days": i.time_limit_days,
            "province_wide": i.province_wide,
            "description": i.description,
            "form_fields": i.form_fields,
            "materials": [
                {"name": m.name, "required": m.required, "kinds": list(m.kind_list)} for m in i.materials.all()
            ],
        }
        for i in items
    ]


@router.get("/services/applications", response=list[QueueRow])
def queue(request, filters: Query[QueueFilter]):
    """The queue of the caller's departments, most urgent first (overdue, then least time left)."""
    qs = Application.objects.visible_to(request.user).select_related("item", "department")
    if filters.status == "open":
        qs = qs.filter(status__in=OPEN_STATUSES)
    elif filters.status:
        if filters.status not in ApplicationStatus.values:
            raise ActionError("status 应为 " + "、".join([*ApplicationStatus.values, "open"]), field="status")
        qs = qs.filter(status=filters.status)
    qs = qs.order_by(F("due_at").asc(nulls_last=True), "submitted_at", "id")
    now = timezone.now()
    return [_row(a, now) for a in qs[filters.offset : filters.offset + filters.limit]]


@router.get("/services/applications/{pk}", response=ApplicationOut)
def application(request, pk: Id):
    return _detail(_visible(request, pk), request.user)


@router.post("/services/applications/{pk}/steps", response=ApplicationOut)
def step(request, pk: Id, payload: StepIn):
    """受理 / 审核 / 办结 / 退回补正 (missing) / 不予受理 (reason). A step the status does not allow is 409."""
    app = ProcessApplication(
        by=request.user,
        application=_visible(request, pk),
        step=payload.step,
        missing=payload.missing,
        reason=payload.reason,
    ).execute()
    return _detail(_visible(request, app.pk), request.user)


@router.post("/services/applications/{pk}/messages", response={201: ApplicationMessageOut})
def message(request, pk: Id, payload: ApplicationMessageIn):
    """Reply on the application's thread (the citizen is notified)."""
    row = PostMessage(application=_visible(request, pk), officer=request.user, text=payload.text).execute()
    return Status(201, {"from_citizen": row.from_citizen, "text": row.text, "at": row.at})
