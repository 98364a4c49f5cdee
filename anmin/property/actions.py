"""Actions on seized property: 登记 (register), photos, each custody step, approval requests and decisions.

Basis: 《公安机关涉案财物管理若干规定》(公通字〔2015〕21号); see custody.py for the chain.
"""

import hashlib
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation

from django.core.files import File
from django.core.files.uploadedfile import UploadedFile
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from anmin.cases.actions import can_handle
from anmin.cases.lifecycle import FINAL_STATUSES
from anmin.cases.models import Case
from anmin.core import approvals
from anmin.core.actions import Action
from anmin.core.errors import ActionError, Denied
from anmin.core.idnumber import clean_id_number
from anmin.core.sequences import increment
from anmin.core.uploads import check_upload
from anmin.core.validation import clean_text
from anmin.property.custody import DISPOSALS, STEPS, CustodyAction, CustodyStatus, Step, available_steps, step_for
from anmin.property.models import (
    MAX_PHOTOS_PER_ITEM,
    CustodyEvent,
    ItemKind,
    ItemPhoto,
    PhotoType,
    PropertyApproval,
    PropertySequence,
    SeizedItem,
)

MAX_DESCRIPTION = 500
MAX_PHOTO_MB = 5
MAX_CAPTION = 200
MAX_REASON = 2000
#: A clock a few minutes ahead on the officer's device must not make a real seizure "in the future".
CLOCK_SKEW = timedelta(minutes=5)


# --- validation helpers ---------------------------------------------------------------------------


def _decimal(value, field: str, label: str, *, places: int, max_digits: int, positive: bool) -> Decimal:
    """A money amount or quantity as typed: "12.5", 12, Decimal("12.5"). Floats go through str() so
    0.1 stays 0.1; booleans, NaN and infinities are refused."""
    if value is None or (isinstance(value, str) and not value.strip()):
        raise ActionError(_("请填写%(label)s") % {"label": label}, field=field, code="required")
    if isinstance(value, bool) or not isinstance(value, str | int | float | Decimal):
        raise ActionError(_("%(label)s应为数字") % {"label": label}, field=field, code="not_a_number")
    try:
        number = Decimal(str(value).strip().replace(",", ""))
    except InvalidOperation:
        raise ActionError(_("%(label)s应为数字") % {"label": label}, field=field, code="not_a_number") from None
    if not number.is_finite():
        raise ActionError(_("%(label)s应为有限数字") % {"label": label}, field=field, code="not_a_number")
    if positive and number <= 0:
        raise ActionError(_("%(label)s应大于 0") % {"label": label}, field=field, code="not_positive")
    if number < 0:
        raise ActionError(_("%(label)s不能为负数") % {"label": label}, field=field, code="negative")
    if number.as_tuple().exponent < -places:
        raise ActionError(
            _("%(label)s最多 %(places)s 位小数") % {"label": label, "places": places}, field=field, code="too_precise"
        )
    if number >= Decimal(10) ** (max_digits - places):
        raise ActionError(_("%(label)s过大") % {"label": label}, field=field, code="too_large")
    return number.quantize(Decimal(1).scaleb(-places))


def _id_number(value, field: str) -> str:
    value = clean_text(value, field, _("身份证号码"), 40, required=False)
    # Stored as clean_id_number returns it (18 characters, upper-case X), so one person is one string.
    return clean_id_number(value, field=field) if value else ""


@dataclass
class CheckedPhoto:
    """An upload that passed check_photo, with the random name and the type it will be stored under."""

    upload: UploadedFile
    name: str
    content_type: PhotoType
    sha256: str


def check_photo(upload, field: str = "photos") -> CheckedPhoto:
    """Check a photo by its content (JPEG or PNG, at most 5 MB: a renamed executable is refused)."""
    kind = check_upload(upload, field=field, kinds=("jpeg", "png"), max_mb=MAX_PHOTO_MB)
    content_type = PhotoType.JPEG if kind == "jpeg" else PhotoType.PNG
    digest = hashlib.sha256()
    for chunk in upload.chunks():
        digest.update(chunk)
    upload.seek(0)
    return CheckedPhoto(upload, f"{uuid.uuid4().hex}.{content_type.extension}", content_type, digest.hexdigest())


def check_photos(
    uploads: Sequence[UploadedFile], *, have: int, required: bool, field: str = "photos"
) -> list[CheckedPhoto]:
    """Check every photo of one upload before any is stored: one bad file refuses them all, and the
    message says which one, so the officer knows what to take again. `have` is how many photos the
    item already has."""
    if isinstance(uploads, File):
        uploads = [uploads]  # one file passed on its own: iterating it would yield its lines
    uploads = [u for u in uploads if u is not None]
    if required and not uploads:
        raise ActionError(_("请选择要上传的照片"), field=field, code="required")
    if have + len(uploads) > MAX_PHOTOS_PER_ITEM:
        raise ActionError(
            _("每件财物最多 %(max)s 张照片：已有 %(have)s 张，本次 %(adding)s 张")
            % {"max": MAX_PHOTOS_PER_ITEM, "have": have, "adding": len(uploads)},
            field=field,
            code="too_many",
        )
    checked = []
    for number, upload in enumerate(uploads, start=1):
        try:
            checked.append(check_photo(upload, field))
        except ActionError as exc:
            raise ActionError(
                _("第 %(number)s 张照片（%(name)s）：%(reason)s")
                % {"number": number, "name": str(getattr(upload, "name", ""))[:60], "reason": exc.message},
                field=field,
                code=exc.code,
            ) from None
    return checked


class StoresPhotos(Action):
    """For actions that write photo files: the database rolls back its rows on failure, but the files
    are ours to remove — also when the commit itself fails, which is why this wraps execute(). (Run
    inside a caller's own transaction that later rolls back, the files would stay: actions are not
    nested that way.)"""

    def execute(self):
        self.written: list[ItemPhoto] = []
        try:
            return super().execute()
        except BaseException:
            for photo in self.written:
                photo.file.delete(save=False)
            raise

    def store_photos(
        self, item: SeizedItem, photos: list[CheckedPhoto], *, caption: str, at: datetime
    ) -> list[ItemPhoto]:
        """Write each checked photo's file and row, with one audit entry per photo."""
        stored = []
        for checked in photos:
            photo = ItemPhoto(
                item=item,
                content_type=checked.content_type,
                size=checked.upload.size,
                sha256=checked.sha256,
                caption=caption,
                uploaded_by=self.by,
                uploaded_at=at,
            )
            photo.file.save(checked.name, File(checked.upload), save=False)
            self.written.append(photo)
            photo.save()
            data = {
                "label_code": item.label_code,
                "content_type": photo.content_type,
                "size": photo.size,
                "sha256": photo.sha256,
                "caption": caption,
            }
            self.audit(photo, data, action="property.photo")
            stored.append(photo)
        return stored


def _when(value, field: str, label: str, now: datetime) -> datetime:
    if not isinstance(value, datetime):
        raise ActionError(_("%(label)s应为时间") % {"label": label}, field=field, code="invalid")
    if timezone.is_naive(value):
        value = timezone.make_aware(value)
    if value > now + CLOCK_SKEW:
        raise ActionError(_("%(label)s不能晚于现在") % {"label": label}, field=field, code="future")
    # Within the skew it is "now": a step recorded a minute later must not come before it.
    return min(value, now)


# --- registration ------------------------------------------------------------------------------------


def next_label_code(case: Case) -> str:
    """The label code: "W", the 案件编号 and a 3-digit serial within the case (a 1000th item gets 4)."""
    prefix = f"W{case.number}"
    return f"{prefix}{increment(PropertySequence, prefix=prefix):03d}"


class RegisterItem(StoresPhotos):
    """登记涉案财物: record an item taken in a case, with its kind, description, quantity, estimated
    value, owner and photos (the regulation asks for valuable property to be photographed), and
    give it its label code. The item starts as 已扣押待移交: the 24-hour clock for handing it to the
    property keeper runs from `seized_at` (《公安机关涉案财物管理若干规定》, 2015: the investigator
    hands what was taken to the 涉案财物管理人员 within 24 hours; see custody.py on the article)."""

    audit_action = "property.register"

    def __init__(
        self,
        *,
        by,
        case: Case,
        kind: str,
        description: str,
        quantity,
        unit: str = "件",
        estimated_value=0,
        owner_name: str = "",
        owner_id_number: str = "",
        photos: Sequence[UploadedFile] = (),
        seized_at: datetime | None = None,
        at: datetime | None = None,
    ):
        self.by = by
        self.case = case
        self.kind = kind
        self.description = description
        self.quantity = quantity
        self.unit = unit
        self.estimated_value = estimated_value
        self.owner_name = owner_name
        self.owner_id_number = owner_id_number
        self.photos = photos
        self.seized_at = seized_at
        self.at = at

    def check(self) -> None:
        if not can_handle(self.by, self.case):
            raise Denied(_("只有本案办案民警或领导可以登记涉案财物"))
        # Read (and lock) the case as it is now: a case closed since the caller loaded it takes no items.
        self.case = Case.objects.select_for_update().get(pk=self.case.pk)
        if self.case.status in FINAL_STATUSES:
            raise ActionError(
                _("案件已%(status)s，不能再登记涉案财物") % {"status": self.case.get_status_display()},
                field="case",
                code="case_closed",
            )
        if self.kind not in ItemKind.values:
            choices = "、".join(f"{value}（{label}）" for value, label in ItemKind.choices)
            raise ActionError(
                _("财物类别应为：%(choices)s") % {"choices": choices},
                field="kind",
                code="invalid_choice",
            )
        self.now = self.at or timezone.now()
        self.description = clean_text(self.description, "description", _("名称及特征"), MAX_DESCRIPTION, required=True)
        self.quantity = _decimal(self.quantity, "quantity", _("数量"), places=3, max_digits=12, positive=True)
        self.unit = clean_text(self.unit, "unit", _("计量单位"), 10, required=True)
        self.estimated_value = _decimal(
            self.estimated_value, "estimated_value", _("估价"), places=2, max_digits=14, positive=False
        )
        self.owner_name = clean_text(self.owner_name, "owner_name", _("持有人姓名"), 60, required=False)
        self.owner_id_number = _id_number(self.owner_id_number, "owner_id_number")
        self.seized_at = _when(self.seized_at or self.now, "seized_at", _("扣押时间"), self.now)
        # Checked before anything is written, so a bad photo leaves neither a row nor a file.
        self.checked_photos = check_photos(self.photos, have=0, required=False)

    def run(self) -> SeizedItem:
        item = SeizedItem(
            case=self.case,
            label_code=next_label_code(self.case),
            kind=self.kind,
            description=self.description,
            quantity=self.quantity,
            unit=self.unit,
            estimated_value=self.estimated_value,
            owner_name=self.owner_name,
            owner_id_number=self.owner_id_number,
            status=CustodyStatus.SEIZED,
            status_since=self.seized_at,
            seized_at=self.seized_at,
            registered_by=self.by,
            registered_at=self.now,
        )
        item.save()
        CustodyEvent.objects.create(
            item=item,
            kind=CustodyAction.SEIZE,
            at=self.seized_at,
            actor=self.by,
            to_status=CustodyStatus.SEIZED,
        )
        self.audit(
            item,
            {
                "label_code": item.label_code,
                "case": self.case.number,
                "kind": item.kind,
                "quantity": str(item.quantity),
                "unit": item.unit,
                "estimated_value": str(item.estimated_value),
                "photos": len(self.checked_photos),
            },
        )
        self.store_photos(item, self.checked_photos, caption="", at=self.now)
        return item


class AddItemPhoto(StoresPhotos):
    """补充照片: add photos to an item already registered — a side not photographed at seizure, the
    state it came back in from 调用, the moment it went back to its owner or was destroyed. So it
    is open in every custody state, also after the case is closed. Photos are only ever added (they
    are part of the record of the item in police hands), at most MAX_PHOTOS_PER_ITEM per item; one
    bad file among several refuses them all, and nothing is stored."""

    audit_action = "property.photo"

    def __init__(
        self,
        *,
        item: SeizedItem,
        photos: Sequence[UploadedFile],
        by,
        caption: str = "",
        at: datetime | None = None,
    ):
        self.item = item
        self.photos = photos
        self.by = by
        self.caption = caption
        self.at = at

    def check(self) -> None:
        if not can_handle(self.by, self.item.case):
            raise Denied(_("只有本案办案民警或领导可以为涉案财物添加照片"))
        # Locked, so two uploads at the same time cannot take the item past the limit between them.
        self.item = SeizedItem.objects.select_for_update().select_related("case").get(pk=self.item.pk)
        self.caption = clean_text(self.caption, "caption", _("照片说明"), MAX_CAPTION, required=False)
        self.checked_photos = check_photos(self.photos, have=self.item.photos.count(), required=True)

    def run(self) -> list[ItemPhoto]:
        return self.store_photos(self.item, self.checked_photos, caption=self.caption, at=self.at or timezone.now())


# --- custody steps and approvals ---------------------------------------------------------------------


def _step_or_error(item: SeizedItem, action) -> Step:
    step = step_for(action) if isinstance(action, str) else None
    if step is None:
        choices = "、".join(f"{s.action}（{s.label}）" for s in STEPS)
        raise ActionError(
            _("没有“%(action)s”这一保管环节，可选：%(choices)s") % {"action": str(action)[:30], "choices": choices},
            field="action",
            code="unknown",
        )
    if item.status not in step.sources:
        following = available_steps(item.status)
        if following:
            hint = _("当前只能办理：%(next)s") % {"next": "、".join(s.label for s in following)}
        else:
            hint = _("已处置的财物不能再办理任何环节")
        raise ActionError(
            _("财物当前为“%(status)s”，不能%(label)s，保管环节不能跳过。%(hint)s")
            % {"status": item.get_status_display(), "label": step.label, "hint": hint},
            field="action",
            code="not_allowed",
        )
    return step


def _request_approval(asking: Action, item: SeizedItem, step: Step, reason, now: datetime) -> PropertyApproval:
    reason = clean_text(reason, "note", _("申请理由"), MAX_REASON, required=True)
    approvals.refuse_second_request(item.approvals.filter(action=step.action), step.label)
    approval = PropertyApproval.objects.create(
        item=item, action=step.action, reason=reason, requested_by=asking.by, requested_at=now
    )
    asking.audit(approval, {"item": item.label_code, "action": step.action}, action="property.approval.request")
    return approval


@dataclass
class CustodyResult:
    """What RecordCustody did: the step recorded (`event`), or the approval it asked for instead."""

    item: SeizedItem
    event: CustodyEvent | None = None
    approval: PropertyApproval | None = None


class RecordCustody(Action):
    """Record one step of the custody chain: 移交保管 (to the keeper, named as `counterpart`), 入库
    (at `location`), 调用出库 and 归还入库, 发还 / 没收 / 销毁. Steps cannot be skipped.

    A step that needs a leader's approval (调用: art. 11, 经办案部门负责人批准; the disposals) is
    recorded only against an approval granted for it, which it uses up; without one, the step is not
    taken and an approval request is filed instead, with `note` as its reason (调用事由)."""

    def audit_action(self) -> str:
        return f"property.{self.action}"

    def __init__(
        self,
        *,
        item: SeizedItem,
        action: str,
        by,
        location: str = "",
        counterpart: str = "",
        note: str = "",
        at: datetime | None = None,
    ):
        self.item = item
        self.action = action
        self.by = by
        self.location = location
        self.counterpart = counterpart
        self.note = note
        self.at = at

    def check(self) -> None:
        if not can_handle(self.by, self.item.case):
            raise Denied(_("只有本案办案民警或领导可以办理涉案财物"))

    def run(self) -> CustodyResult:
        item = SeizedItem.objects.select_for_update().select_related("case").get(pk=self.item.pk)
        step = _step_or_error(item, self.action)
        location = clean_text(self.location, "location", _("存放位置"), 100, required=step.needs_location)
        counterpart = clean_text(self.counterpart, "counterpart", _("交接对象"), 60, required=step.needs_counterpart)
        note = clean_text(self.note, "note", _("说明"), 500, required=False)
        now = self.at or timezone.now()
        if now < item.status_since:
            # The chain is in time order; a step before the one it follows is a wrong clock or a typo.
            raise ActionError(_("时间不能早于上一环节"), field="at", code="out_of_order")
        approval = None
        if step.needs_approval:
            approval = (
                item.approvals.select_for_update()
                .filter(action=step.action, status=PropertyApproval.Status.APPROVED, executed_at__isnull=True)
                .first()
            )
            if approval is None:
                return CustodyResult(item=item, approval=_request_approval(self, item, step, self.note, now))
        previous = item.status
        item.status = step.target
        item.status_since = now
        if step.action == CustodyAction.HAND_OVER:
            item.handed_over_at = now
        if step.needs_location:
            item.location = location
        if step.action in DISPOSALS:
            item.disposition = step.action
            item.location = ""
        item.save(update_fields=["status", "status_since", "handed_over_at", "location", "disposition"])
        event = CustodyEvent.objects.create(
            item=item,
            kind=step.action,
            at=now,
            actor=self.by,
            from_status=previous,
            to_status=item.status,
            location=location,
            counterpart=counterpart,
            note=note,
            approval=approval,
        )
        if approval is not None:
            approval.executed_at = now
            approval.save(update_fields=["executed_at"])
        self.audit(
            item,
            {
                "label_code": item.label_code,
                "from": previous,
                "to": item.status,
                "location": location,
                "counterpart": counterpart,
                "approval": approval.pk if approval else None,
            },
        )
        return CustodyResult(item=item, event=event)


class RequestPropertyApproval(Action):
    """Ask for a leader's approval of a custody step that needs one (调用出库, 发还, 没收, 销毁).
    RecordCustody files the same request by itself when a step is asked for without approval."""

    audit_action = "property.approval.request"

    def __init__(self, *, item: SeizedItem, action: str, by, reason: str, at: datetime | None = None):
        self.item = item
        self.action = action
        self.by = by
        self.reason = reason
        self.at = at

    def check(self) -> None:
        if not can_handle(self.by, self.item.case):
            raise Denied(_("只有本案办案民警或领导可以申请"))

    def run(self) -> PropertyApproval:
        item = SeizedItem.objects.select_for_update().select_related("case").get(pk=self.item.pk)
        step = _step_or_error(item, self.action)
        if not step.needs_approval:
            raise ActionError(
                _("“%(label)s”无需审批，可以直接办理") % {"label": step.label}, field="action", code="no_approval"
            )
        return _request_approval(self, item, step, self.reason, self.at or timezone.now())


class DecidePropertyApproval(approvals.DecideApproval):
    """审批 of a request for 调用出库 or a disposal (anmin.core.approvals.DecideApproval has the
    rules). Approval authorises the step once; the step itself is recorded when the item moves
    (RecordCustody)."""

    model = PropertyApproval
    audit_action = "property.approval.decide"
    not_in_scope = gettext_lazy("无权审批该涉案财物")

    def refuse_stale(self, approval: PropertyApproval, item: SeizedItem) -> None:
        step = step_for(approval.action)
        if step is None or item.status not in step.sources:
            raise ActionError(_("财物状态已经变化，该申请不能再批准"), field="approve", code="stale")

    def audit_data(self, approval: PropertyApproval, item: SeizedItem) -> dict:
        return {"item": item.label_code, "action": approval.action}
