"""API of supervision: a case's clocks, the board's counts, the officer's reminders (same conventions
as anmin.cases.api: scoped reads, actions for writes, errors that name the field)."""

from datetime import datetime

from django.db.models import F
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status

from anmin.cases.api import visible_case
from anmin.core.errors import Denied
from anmin.core.pii import mask_name
from anmin.core.schema import Id, Offset
from anmin.supervision.actions import CompleteClock, ExtendClock, ReadNotices, can_supervise
from anmin.supervision.dashboard import summary
from anmin.supervision.models import Clock, ClockNotice

router = Router(tags=["supervision"])


class ClockOut(Schema):
    id: int
    case_id: int
    rule: str
    rule_name: str
    citation: str
    measure_id: int | None
    measure: str | None = Field(None, description="强制措施及对象，如“拘留 张三”")
    started_at: datetime
    warn_at: datetime
    due_at: datetime
    state: str = Field(..., description="normal 正常 / due_soon 临期 / overdue 超期 / stopped 已停止")
    provisional: bool = Field(
        ..., description="期满时间暂按周一至周五计算：所跨年份的法定节假日安排尚未导入，导入后重新计算"
    )
    state_label: str
    remaining_seconds: int | None = Field(None, description="距期满的秒数，超期为负；已停止为 null")
    stopped_at: datetime | None
    stop_reason: str
    late: bool = Field(..., description="停止时已超过期满时间（超期完成）")
    extensions: list[str]


class SummaryRowOut(Schema):
    organization_id: int
    name: str
    kind: str
    parent_id: int | None
    depth: int
    overdue: int
    due_soon: int
    normal: int


class NoticeOut(Schema):
    id: int
    clock_id: int
    case_id: int
    case_number: str
    rule_name: str
    state: str
    state_label: str
    due_at: datetime
    created_at: datetime
    read_at: datetime | None


class ExtensionIn(Schema):
    code: str = Field(..., max_length=60, description="延长情形代码，如 roving_serial_gang")
    reason: str = Field("", max_length=20000)


class CompletionIn(Schema):
    at: datetime | None = Field(None, description="完成时间，默认为当前时间")
    note: str = Field("", max_length=2000)


class ExtensionOut(Schema):
    id: int
    clock_id: int
    code: str
    approval_id: int
    due_before: datetime
    due_after: datetime


def clock_out(clock: Clock, now: datetime) -> dict:
    measure = clock.measure
    return {
        "id": clock.pk,
        "case_id": clock.case_id,
        "rule": clock.rule.code,
        "rule_name": clock.rule.name,
        "citation": clock.rule.citation,
        "measure_id": clock.measure_id,
        "measure": f"{measure.get_kind_display()} {mask_name(measure.person.name)}" if measure else None,
        "started_at": clock.started_at,
        "warn_at": clock.warn_at,
        "due_at": clock.due_at,
        "state": clock.state,
        "provisional": clock.provisional,
        "state_label": clock.get_state_display(),
        "remaining_seconds": int((clock.due_at - now).total_seconds()) if clock.is_running else None,
        "stopped_at": clock.stopped_at,
        "stop_reason": clock.stop_reason,
        "late": clock.late,
        "extensions": list(clock.extensions),
    }


def notice_out(notice: ClockNotice) -> dict:
    return {
        "id": notice.pk,
        "clock_id": notice.clock_id,
        "case_id": notice.clock.case_id,
        "case_number": notice.clock.case.number,
        "rule_name": notice.clock.rule.name,
        "state": notice.state,
        "state_label": notice.get_state_display(),
        "due_at": notice.due_at,
        "created_at": notice.created_at,
        "read_at": notice.read_at,
    }


@router.get("/cases/{case_id}/clocks", response=list[ClockOut], summary="案件的办案时限（正常/临期/超期/已停止）")
def case_clocks(request, case_id: Id):
    case = visible_case(request, case_id)
    # Running clocks (no stop time) first on both databases, then by deadline.
    order = (F("stopped_at").asc(nulls_first=True), "due_at", "id")
    clocks = case.clocks.select_related("rule", "measure__person").order_by(*order)
    now = timezone.now()
    return [clock_out(c, now) for c in clocks]


def _visible_clock(request, clock_id: int) -> Clock:
    return get_object_or_404(Clock.objects.visible_to(request.user).select_related("case", "rule"), pk=clock_id)


@router.post(
    "/clocks/{clock_id}/extensions",
    response={202: ExtensionOut},
    summary="申请延长办案期限（进入领导审批待办，批准后期满时间才改变）",
)
def request_extension(request, clock_id: Id, payload: ExtensionIn):
    extension = ExtendClock(
        clock=_visible_clock(request, clock_id), code=payload.code, reason=payload.reason, by=request.user
    ).execute()
    return Status(
        202,
        {
            "id": extension.pk,
            "clock_id": extension.clock_id,
            "code": extension.code,
            "approval_id": extension.approval_id,
            "due_before": extension.due_before,
            "due_after": extension.due_after,
        },
    )


@router.post("/clocks/{clock_id}/complete", response=ClockOut, summary="记录完成（送看守所、通知家属、讯问等）")
def complete_clock(request, clock_id: Id, payload: CompletionIn):
    clock = CompleteClock(
        clock=_visible_clock(request, clock_id), at=payload.at, note=payload.note, by=request.user
    ).execute()
    return clock_out(Clock.objects.select_related("rule", "measure__person").get(pk=clock.pk), timezone.now())


@router.get("/supervision/summary", response=list[SummaryRowOut], summary="执法监督：各单位红/黄/绿时限数")
def supervision_summary(request):
    if not can_supervise(request.user):
        raise Denied(_("只有法制监督员或领导可以查看"))
    return [row.as_dict() for row in summary(request.user)]


class NoticeFilter(Schema):
    unread: bool = False
    limit: int = Field(100, ge=1, le=500)
    offset: Offset = 0


@router.get("/notices", response=list[NoticeOut], summary="我的时限提醒")
def list_notices(request, filters: Query[NoticeFilter]):
    qs = ClockNotice.objects.filter(recipient=request.user).select_related("clock__case", "clock__rule")
    if filters.unread:
        qs = qs.filter(read_at__isnull=True)
    qs = qs.order_by("-created_at", "-id")[filters.offset : filters.offset + filters.limit]
    return [notice_out(n) for n in qs]


@router.post("/notices/{notice_id}/read", response=NoticeOut, summary="标记提醒已读")
def read_notice(request, notice_id: Id):
    qs = ClockNotice.objects.filter(recipient=request.user).select_related("clock__case", "clock__rule")
    notice = get_object_or_404(qs, pk=notice_id)
    ReadNotices(notice=notice, by=request.user).execute()
    notice.refresh_from_db(fields=["read_at"])
    return notice_out(notice)
