"""警务站 and 检查站: rosters, checks, 达标 — the JSON API.

Rosters are read per post and period; check records are read and added per shift (the phone client
of a checkpoint). ID numbers are answered masked only; a wanted-list hit is answered as what it is,
a prompt for the officer, with the handling the officer recorded.
"""

from datetime import date, datetime, timedelta

from django.db.models import Count
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status

from anmin.core.errors import ActionError
from anmin.core.schema import Id
from anmin.posts.actions import RecordCheck
from anmin.posts.compliance import period_bounds
from anmin.posts.models import CheckRecord, DutyShift, visible_posts

router = Router(tags=["posts"])

MAX_ROSTER_DAYS = 62


class ShiftOut(Schema):
    id: int
    post: str
    starts_at: datetime
    ends_at: datetime
    leader: str | None = Field(None, description="带班民警姓名")
    officers: list[str] = Field(..., description="值班民警姓名")
    auxiliaries: list[str] = Field(..., description="辅警姓名")
    on_duty_at: datetime | None = Field(None, description="实际上岗（民警登记）")
    off_duty_at: datetime | None = Field(None, description="实际下岗（民警登记）")
    checks: int = Field(..., description="本班核查记录数")


class HitOut(Schema):
    kind: str
    kind_label: str
    subject: str = Field(..., description="号牌，或脱敏的身份证号码")
    reason: str
    issuing_unit: str
    handling: str = Field("", description="处置方式；空表示尚待民警处置")
    handling_label: str = ""
    note: str = ""


class CheckOut(Schema):
    id: int
    checked_at: datetime
    officer: str
    id_number: str = Field(..., description="身份证号码（脱敏）")
    plate: str
    vehicle_type: str
    result: str
    result_label: str
    note: str
    hit: HitOut | None = Field(None, description="比中布控名单时的提示与处置；比中不是自动决定")


class CheckIn(Schema):
    id_number: str = Field("", max_length=30, description="身份证号码（GB 11643）")
    plate: str = Field("", max_length=20, description="号牌号码（GA 36），如 冀T12345")
    vehicle_type: CheckRecord.VehicleType | None = Field(None, description="有号牌时必填")
    result: CheckRecord.Result = CheckRecord.Result.CLEARED
    note: str = Field("", max_length=400)
    checked_at: datetime | None = Field(None, description="核查时间，默认当前时间")


class RosterFilter(Schema):
    start: date | None = Field(None, description="开始日期，默认今天")
    end: date | None = Field(None, description="结束日期（含），默认开始后6天；最长62天")


def _name(officer) -> str | None:
    return None if officer is None else (officer.full_name or officer.username)


def shift_out(shift: DutyShift) -> dict:
    return {
        "id": shift.pk,
        "post": shift.post.name,
        "starts_at": shift.starts_at,
        "ends_at": shift.ends_at,
        "leader": _name(shift.leader),
        "officers": [_name(o) for o in shift.officers.all()],
        "auxiliaries": shift.auxiliary_names(),
        "on_duty_at": shift.on_duty_at,
        "off_duty_at": shift.off_duty_at,
        "checks": shift.check_count,
    }


def check_out(record: CheckRecord) -> dict:
    hit = None
    if record.wanted_id:
        entry = record.wanted
        hit = {
            "kind": entry.kind,
            "kind_label": entry.get_kind_display(),
            "subject": entry.subject,
            "reason": entry.reason,
            "issuing_unit": entry.issuing_unit.name,
            "handling": record.hit_handling,
            "handling_label": record.get_hit_handling_display() if record.hit_handling else "",
            "note": record.hit_note,
        }
    return {
        "id": record.pk,
        "checked_at": record.checked_at,
        "officer": _name(record.officer),
        "id_number": record.masked_id_number,
        "plate": record.plate,
        "vehicle_type": record.vehicle_type,
        "result": record.result,
        "result_label": record.get_result_display(),
        "note": record.note,
        "hit": hit,
    }


def _aware(value: datetime | None) -> datetime | None:
    """A time sent without an offset is read as local (Asia/Shanghai) time."""
    if value is not None and timezone.is_naive(value):
        return timezone.make_aware(value)
    return value


def _checks(shift: DutyShift):
    return (
        CheckRecord.objects.filter(shift=shift)
        .select_related("officer", "wanted__issuing_unit")
        .order_by("-checked_at", "-id")
    )


@router.get(
    "/posts/{post_id}/rosters",
    response=list[ShiftOut],
    summary="警务站/检查站：排班（班次、值班人员、实际上岗下岗）",
)
def list_rosters(request, post_id: Id, filters: Query[RosterFilter]):
    post = get_object_or_404(visible_posts(request.user), pk=post_id)
    start = filters.start or timezone.localdate()
    end = filters.end or start + timedelta(days=6)
    if end < start or (end - start).days >= MAX_ROSTER_DAYS:
        raise ActionError(
            _("结束日期应不早于开始日期，且统计期不超过 %(days)s 天") % {"days": MAX_ROSTER_DAYS}, field="end"
        )
    begin, finish = period_bounds(start, end)
    shifts = (
        DutyShift.objects.filter(post=post, starts_at__gte=begin, starts_at__lt=finish)
        .select_related("post", "leader")
        .prefetch_related("officers")
        .annotate(check_count=Count("checks"))
        .order_by("starts_at")
    )
    return [shift_out(s) for s in shifts]


@router.get(
    "/posts/shifts/{shift_id}/checks",
    response=list[CheckOut],
    summary="检查站：一个班次的核查记录（身份证号码脱敏）",
)
def list_checks(request, shift_id: Id):
    shift = get_object_or_404(DutyShift.objects.visible_to(request.user), pk=shift_id)
    return [check_out(c) for c in _checks(shift)]


@router.post(
    "/posts/shifts/{shift_id}/checks",
    response={201: CheckOut},
    summary="检查站：登记核查（人员身份证号码和/或车辆号牌；比中布控名单时返回提示）",
)
def add_check(request, shift_id: Id, payload: CheckIn):
    shift = get_object_or_404(DutyShift.objects.visible_to(request.user).select_related("post"), pk=shift_id)
    record = RecordCheck(
        shift=shift,
        by=request.user,
        id_number=payload.id_number,
        plate=payload.plate,
        vehicle_type=payload.vehicle_type or "",
        result=payload.result,
        note=payload.note,
        at=_aware(payload.checked_at),
    ).execute()
    return Status(201, check_out(_checks(shift).get(pk=record.pk)))
