"""API for seized property (涉案财物): register, photos, list, custody steps, approvals, 回头看, label sheets.

Same conventions as the cases API: every read goes through visible_to (another unit gets 404), every
change through an action, and every refusal names the field it is about.
"""

import logging
from datetime import datetime, timedelta

from django.db.models import Q
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Field, File, Form, Query, Router, Schema, Status
from ninja.files import UploadedFile

from anmin.cases.models import Case
from anmin.core import approvals
from anmin.core.approvals import ApprovalFieldsOut, DecisionIn, approval_fields
from anmin.core.audit import security_event
from anmin.core.errors import ActionError
from anmin.core.lanes import heavy
from anmin.core.pii import mask_id_number, mask_name
from anmin.core.schema import Id, Offset
from anmin.property.actions import AddItemPhoto, DecidePropertyApproval, RecordCustody, RegisterItem
from anmin.property.custody import HAND_OVER_HOURS, CustodyStatus, available_steps
from anmin.property.labels import LABELS_PER_PAGE, FontMissing, label_sheet
from anmin.property.models import ItemKind, ItemPhoto, PropertyApproval, SeizedItem
from anmin.property.reports import DEFAULT_LENT_DAYS, review

log = logging.getLogger(__name__)

router = Router(tags=["property"])


class Unavailable(ActionError):
    """The server lacks something it needs (a font): not the caller's fault."""

    status = 503


class RegisterIn(Schema):
    kind: str = Field(..., max_length=40, description="cash, vehicle, electronics, knife, drugs, document, …")
    description: str = Field(..., max_length=5000, description="名称及特征")
    # Numbers arrive as text (this is a form) and are parsed by the action, which names the field in Chinese.
    quantity: str = Field(..., max_length=40)
    unit: str = Field("件", max_length=40)
    estimated_value: str = Field("0", max_length=40, description="估价，元")
    owner_name: str = Field("", max_length=200)
    owner_id_number: str = Field("", max_length=60)
    seized_at: datetime | None = Field(None, description="扣押时间；默认为现在")


class PhotoIn(Schema):
    caption: str = Field("", max_length=2000, description="照片说明，用于本次上传的每一张")


class CustodyIn(Schema):
    action: str = Field(..., max_length=40, description="hand_over, store, lend, return, return_to_owner, …")
    location: str = Field("", max_length=2000, description="存放位置（入库、归还时必填）")
    counterpart: str = Field("", max_length=2000, description="交接对象：保管员、调用人、领取人")
    note: str = Field("", max_length=20000, description="说明；须审批的环节作为申请理由")


class ItemFilter(Schema):
    case_id: Id | None = None
    status: CustodyStatus | None = None
    kind: ItemKind | None = None
    q: str | None = Field(None, max_length=100, description="财物编号或名称中的文字")
    limit: int = Field(100, ge=1, le=500)
    offset: Offset = 0


class ReviewFilter(Schema):
    lent_days: int = Field(DEFAULT_LENT_DAYS, ge=1, le=3650, description="调用出库超过多少天算未归还")


class LabelFilter(Schema):
    skip: int = Field(0, ge=0, lt=LABELS_PER_PAGE, description="第一页跳过的标签位数（已用过的标签纸）")
    item: list[Id] | None = Field(None, max_length=500, description="只打印这些财物（默认本案全部）")


class SeizedItemOut(Schema):
    id: int
    label_code: str
    case_id: int
    case_number: str
    kind: str
    kind_label: str
    description: str
    quantity: str
    unit: str
    estimated_value: str
    owner_name: str = Field(description="脱敏显示（POST /pii/reveal 显示完整）")
    owner_id_number: str = Field(description="脱敏显示")
    has_photo: bool = Field(description="是否有照片（详情中的 photos 列出每一张）")
    status: str
    status_label: str
    status_since: datetime
    disposition: str
    location: str
    seized_at: datetime
    hand_over_due: datetime | None = Field(description="移交时限；已移交为 null")
    handed_over_at: datetime | None
    registered_by: str


class CustodyEventOut(Schema):
    kind: str
    label: str
    at: datetime
    actor: str | None
    from_status: str
    to_status: str
    location: str
    counterpart: str
    note: str
    approval_id: int | None


class PropertyApprovalOut(ApprovalFieldsOut):
    item_id: int
    label_code: str
    action: str
    label: str
    executed_at: datetime | None


class NextStepOut(Schema):
    action: str
    label: str
    needs_approval: bool
    approved: bool = Field(description="已有可用的批准，可直接办理")
    pending: bool = Field(description="已申请，待审批")


class PhotoOut(Schema):
    id: int
    url: str = Field(description="下载地址（同样按权限）")
    content_type: str
    size: int
    sha256: str
    caption: str
    uploaded_by: str
    uploaded_at: datetime


class ItemDetailOut(SeizedItemOut):
    photos: list[PhotoOut]
    chain: list[CustodyEventOut]
    approvals: list[PropertyApprovalOut]
    actions: list[NextStepOut]


class CustodyOut(ItemDetailOut):
    approval: PropertyApprovalOut | None = Field(None, description="本次生成的审批申请（202 时）")


class ReviewRowOut(SeizedItemOut):
    reason: str
    case_closed_at: datetime | None


class PropertyReviewOut(Schema):
    at: datetime
    lent_days: int
    overdue_handover: list[ReviewRowOut]
    late_handover: list[ReviewRowOut]
    lent_not_returned: list[ReviewRowOut]
    undisposed_after_close: list[ReviewRowOut]


# --- serialisation -------------------------------------------------------------------------------


def item_out(item: SeizedItem) -> dict:
    due = None
    if item.handed_over_at is None and item.status == CustodyStatus.SEIZED:
        due = item.seized_at + timedelta(hours=HAND_OVER_HOURS)
    return {
        "id": item.pk,
        "label_code": item.label_code,
        "case_id": item.case_id,
        "case_number": item.case.number,
        "kind": item.kind,
        "kind_label": item.get_kind_display(),
        "description": item.description,
        "quantity": format(item.quantity.normalize(), "f"),
        "unit": item.unit,
        "estimated_value": str(item.estimated_value),
        "owner_name": mask_name(item.owner_name),
        "owner_id_number": mask_id_number(item.owner_id_number),
        # Lists annotate has_photos (SeizedItemQuerySet.with_photo_flag) so a row costs no query.
        "has_photo": item.has_photos if hasattr(item, "has_photos") else item.photos.exists(),
        "status": item.status,
        "status_label": item.get_status_display(),
        "status_since": item.status_since,
        "disposition": item.disposition,
        "location": item.location,
        "seized_at": item.seized_at,
        "hand_over_due": due,
        "handed_over_at": item.handed_over_at,
        "registered_by": item.registered_by.audit_label,
    }


def approval_out(a: PropertyApproval) -> dict:
    return {
        **approval_fields(a),
        "item_id": a.item_id,
        "label_code": a.item.label_code,
        "action": a.action,
        "label": a.get_action_display(),
        "executed_at": a.executed_at,
    }


def photo_out(photo: ItemPhoto) -> dict:
    return {
        "id": photo.pk,
        "url": reverse("api:property_photo", kwargs={"item_id": photo.item_id, "photo_id": photo.pk}),
        "content_type": photo.content_type,
        "size": photo.size,
        "sha256": photo.sha256,
        "caption": photo.caption,
        "uploaded_by": photo.uploaded_by.audit_label,
        "uploaded_at": photo.uploaded_at,
    }


def item_detail(item: SeizedItem) -> dict:
    data = item_out(item)
    data["photos"] = [photo_out(p) for p in item.photos.select_related("uploaded_by")]
    data["has_photo"] = bool(data["photos"])
    data["chain"] = [
        {
            "kind": e.kind,
            "label": e.get_kind_display(),
            "at": e.at,
            "actor": e.actor.audit_label if e.actor else None,
            "from_status": e.from_status,
            "to_status": e.to_status,
            "location": e.location,
            "counterpart": e.counterpart,
            "note": e.note,
            "approval_id": e.approval_id,
        }
        for e in item.events.select_related("actor")
    ]
    approvals = list(item.approvals.select_related("item", "requested_by", "decided_by"))
    data["approvals"] = [approval_out(a) for a in approvals]
    data["actions"] = [
        {
            "action": step.action,
            "label": step.label,
            "needs_approval": step.needs_approval,
            "approved": any(a.action == step.action and a.is_usable for a in approvals),
            "pending": any(a.action == step.action and a.status == PropertyApproval.Status.PENDING for a in approvals),
        }
        for step in available_steps(item.status)
    ]
    return data


def visible_items(request):
    return SeizedItem.objects.visible_to(request.user).select_related("case", "registered_by").with_photo_flag()


def visible_item(request, item_id: int) -> SeizedItem:
    return get_object_or_404(visible_items(request), pk=item_id)


def visible_case(request, case_id: int) -> Case:
    return get_object_or_404(Case.objects.visible_to(request.user), pk=case_id)


# --- endpoints -----------------------------------------------------------------------------------


@router.post(
    "/cases/{case_id}/property",
    response={201: ItemDetailOut},
    summary="登记涉案财物（multipart/form-data，可附多张照片 photos：JPEG/PNG，每张不超过 5 MB，每件最多 20 张）",
)
def register_item(
    request,
    case_id: Id,
    payload: Form[RegisterIn],
    photos: File[list[UploadedFile]] = None,
    photo: File[UploadedFile] = None,
):
    """`photo` (one file) is the older form of `photos` and is still accepted."""
    case = visible_case(request, case_id)
    item = RegisterItem(
        by=request.user,
        case=case,
        kind=payload.kind,
        description=payload.description,
        quantity=payload.quantity,
        unit=payload.unit,
        estimated_value=payload.estimated_value,
        owner_name=payload.owner_name,
        owner_id_number=payload.owner_id_number,
        seized_at=payload.seized_at,
        photos=[photo, *(photos or [])],
    ).execute()
    return Status(201, item_detail(visible_item(request, item.pk)))


@router.get("/cases/{case_id}/property/labels.pdf", summary="打印涉案财物标签（A4，每页 3×8 个，含二维码）")
@heavy
def labels_pdf(request, case_id: Id, filters: Query[LabelFilter]):
    case = visible_case(request, case_id)
    items = visible_items(request).filter(case=case).order_by("label_code")
    if filters.item:
        items = items.filter(pk__in=filters.item)
    try:
        pdf = label_sheet(items, title=f"涉案财物标签 {case.number}", skip=filters.skip)
    except FontMissing as exc:
        log.error("%s", exc)
        raise Unavailable(str(exc), field=None, code="font_missing") from None
    security_event("export", request=request, obj=case, data={"report": "property-labels", "rows": len(items)})
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="labels-{case.number}.pdf"'
    return response


@router.get("/property", response=list[SeizedItemOut], summary="涉案财物列表")
def list_items(request, filters: Query[ItemFilter]):
    qs = visible_items(request)
    if filters.case_id is not None:
        qs = qs.filter(case_id=filters.case_id)
    if filters.status:
        qs = qs.filter(status=filters.status)
    if filters.kind:
        qs = qs.filter(kind=filters.kind)
    if filters.q:
        term = filters.q.strip()
        qs = qs.filter(Q(label_code__icontains=term) | Q(description__icontains=term))
    qs = qs.order_by("-seized_at", "-id")
    return [item_out(i) for i in qs[filters.offset : filters.offset + filters.limit]]


@router.get("/property/approvals", response=list[PropertyApprovalOut], summary="涉案财物审批待办")
def approval_inbox(request):
    return [approval_out(a) for a in approvals.inbox(PropertyApproval, request.user)]


@router.post("/property/approvals/{approval_id}/decision", response=PropertyApprovalOut, summary="审批：批准或不批准")
def decide(request, approval_id: Id, payload: DecisionIn):
    return approval_out(approvals.decide(DecidePropertyApproval, request, approval_id, payload))


def _review_row(item: SeizedItem, section: str, at: datetime, lent_days: int) -> dict:
    row = item_out(item)
    row["case_closed_at"] = item.case.closed_at
    limit = timedelta(hours=HAND_OVER_HOURS)
    if section == "overdue_handover":
        hours = (at - item.seized_at - limit).total_seconds() / 3600
        row["reason"] = _("扣押后超过 %(limit)s 小时仍未移交保管，已超时 %(hours).1f 小时") % {
            "limit": HAND_OVER_HOURS,
            "hours": hours,
        }
    elif section == "late_handover":
        hours = (item.handed_over_at - item.seized_at - limit).total_seconds() / 3600
        row["reason"] = _("超过移交时限 %(hours).1f 小时后才移交保管") % {"hours": hours}
    elif section == "lent_not_returned":
        row["reason"] = _("调用出库已 %(days)s 天未归还（超过 %(limit)s 天）") % {
            "days": (at - item.status_since).days,
            "limit": lent_days,
        }
    else:
        closed = timezone.localtime(item.case.closed_at).strftime("%Y-%m-%d") if item.case.closed_at else "—"
        row["reason"] = _("案件已%(status)s（%(date)s），财物尚未处置") % {
            "status": item.case.get_status_display(),
            "date": closed,
        }
    return row


@router.get(
    "/property/review", response=PropertyReviewOut, summary="涉案财物“回头看”：超时未移交、调用未归还、结案未处置"
)
def property_review(request, filters: Query[ReviewFilter]):
    report = review(request.user, lent_days=filters.lent_days)
    data = {"at": report.at, "lent_days": report.lent_days}
    for section, items in report.sections().items():
        data[section] = [_review_row(i, section, report.at, report.lent_days) for i in items.with_photo_flag()]
    return data


@router.get("/property/{item_id}", response=ItemDetailOut, summary="涉案财物详情（保管链、审批、可办环节）")
def get_item(request, item_id: Id):
    return item_detail(visible_item(request, item_id))


def photo_response(item: SeizedItem, photo: ItemPhoto | None) -> FileResponse:
    if photo is None:
        raise Http404
    try:
        stream = photo.file.open("rb")
    except FileNotFoundError:
        # The row says a photo was taken; its file is gone from the store. Someone must look.
        log.error("photo %s of %s is missing from the store: %s", photo.pk, item.label_code, photo.file.name)
        raise Http404 from None
    response = FileResponse(stream, content_type=photo.content_type)
    response["Content-Disposition"] = f'inline; filename="{item.label_code}-{photo.pk}.{photo.extension}"'
    # A photo is evidence: a browser keeps no copy of it in a shared cache.
    response["Cache-Control"] = "private, max-age=3600"
    return response


@router.post(
    "/property/{item_id}/photos",
    response={201: ItemDetailOut},
    summary="为涉案财物添加照片（multipart/form-data，photos 可多张：JPEG/PNG，每张不超过 5 MB，每件最多 20 张）",
)
def add_photos(request, item_id: Id, payload: Form[PhotoIn], photos: File[list[UploadedFile]] = None):
    item = visible_item(request, item_id)
    AddItemPhoto(item=item, photos=photos or [], caption=payload.caption, by=request.user).execute()
    return Status(201, item_detail(visible_item(request, item_id)))


@router.get("/property/{item_id}/photos/{photo_id}", url_name="property_photo", summary="下载涉案财物照片")
def get_photo(request, item_id: Id, photo_id: Id):
    item = visible_item(request, item_id)
    return photo_response(item, item.photos.filter(pk=photo_id).first())


@router.get("/property/{item_id}/photo", summary="涉案财物的第一张照片（旧接口，请用 photos）")
def get_first_photo(request, item_id: Id):
    item = visible_item(request, item_id)
    return photo_response(item, item.photos.first())


@router.post(
    "/property/{item_id}/custody",
    response={200: CustodyOut, 202: CustodyOut},
    summary="办理保管环节；须审批而尚未批准的环节返回 202 并生成审批申请",
)
def record_custody(request, item_id: Id, payload: CustodyIn):
    item = visible_item(request, item_id)
    result = RecordCustody(
        item=item,
        action=payload.action,
        location=payload.location,
        counterpart=payload.counterpart,
        note=payload.note,
        by=request.user,
    ).execute()
    data = item_detail(visible_item(request, item_id))
    if result.approval is not None:
        approval = PropertyApproval.objects.select_related("item", "requested_by", "decided_by").get(
            pk=result.approval.pk
        )
        data["approval"] = approval_out(approval)
        return Status(202, data)
    return Status(200, data)
