"""Actions of the supervision app: extending and completing clocks, dismissing inspection rows,
reading reminders. Each checks permission and runs in one transaction (anmin.core.actions)."""

from datetime import datetime

from django.utils import timezone
from django.utils.translation import gettext as _

from anmin.cases.actions import MAX_REASON, can_handle, record
from anmin.cases.models import ApprovalRequest, Case
from anmin.core.actions import Action
from anmin.core.errors import ActionError, Conflict, Denied
from anmin.core.validation import clean_text
from anmin.incidents.models import Incident
from anmin.org.models import Role
from anmin.supervision.clocks import MANUAL_END_EVENTS, publish_case_clocks, stop_clocks, warn_lead
from anmin.supervision.deadlines import clock_state, deadline, is_provisional, rule_spec
from anmin.supervision.models import (
    SEVERITY,
    Clock,
    ClockExtension,
    ClockNotice,
    Event,
    InspectionDismissal,
    InspectionKind,
    StopReason,
)

#: Who reads the supervisor's board and the inspection list: 法制监督员 and leaders.
SUPERVISOR_ROLES = frozenset({Role.LEGAL, Role.LEADER})
EXTEND_PREFIX = "extend:"


def can_supervise(user) -> bool:
    return bool(user and user.is_authenticated and (user.is_superuser or user.role in SUPERVISOR_ROLES))


class ExtendClock(Action):
    """申请延长办案期限: ask to apply one of the rule's extensions to a running clock — e.g. 拘留后
    提请批准逮捕 延长至三十日 for a roving, serial or gang suspect (刑事诉讼法 第九十一条第二款), or
    治安案件 +30 日 (公安机关办理行政案件程序规定 第一百六十五条).

    The request waits in the approval inbox (an ApprovalRequest "extend:<id>"); a leader other than
    the requester approves it there, and only then does `due_at` move (`decide_extension`). Where
    the law names another approver (上一级人民检察院 for 第一百五十六条), the leader's approval
    records that that decision was obtained."""

    audit_action = "clock.request_extension"

    def __init__(self, *, clock: Clock, code: str, reason: str, by):
        self.clock = clock
        self.code = code
        self.reason = reason
        self.by = by

    def check(self) -> None:
        if not can_handle(self.by, self.clock.case):
            raise Denied(_("无权办理该案件"))

    def run(self) -> ClockExtension:
        clock = Clock.objects.select_for_update().select_related("rule", "case").get(pk=self.clock.pk)
        if not clock.is_running:
            raise ActionError(_("该时限已停止，不能延长"), field="clock", code="stopped")
        spec = rule_spec(clock.rule.code)
        if spec is None or not isinstance(self.code, str) or self.code not in spec.extensions:
            raise ActionError(
                _("“%(rule)s”没有该延长情形") % {"rule": clock.rule.name}, field="code", code="unknown_extension"
            )
        if self.code in clock.extensions:
            raise ActionError(_("该延长情形已经批准"), field="code", code="duplicate_extension")
        try:
            due_after = deadline(spec.code, clock.started_at, extensions=[*clock.extensions, self.code])
        except ActionError as exc:
            raise ActionError(exc.message, field="code", code=exc.code) from exc
        reason = clean_text(self.reason, "reason", _("理由"), MAX_REASON, required=True)
        if ClockExtension.objects.filter(clock=clock, approval__status=ApprovalRequest.Status.PENDING).exists():
            raise Conflict(_("该时限已有待审批的延长申请"), field="code")
        extension = spec.extensions[self.code]
        request = ClockExtension.objects.create(
            clock=clock, code=self.code, due_before=clock.due_at, due_after=due_after
        )
        label = _("延长期限：%(rule)s") % {"rule": clock.rule.name}
        summary = _("%(extension)s（期满时间由 %(before)s 延至 %(after)s）：%(reason)s") % {
            "extension": extension.name,
            "before": f"{timezone.localtime(clock.due_at):%Y-%m-%d %H:%M}",
            "after": f"{timezone.localtime(due_after):%Y-%m-%d %H:%M}",
            "reason": reason,
        }
        request.approval = ApprovalRequest.objects.create(
            case=clock.case,
            transition=f"{EXTEND_PREFIX}{request.pk}",
            label=label[:40],
            reason=summary[:MAX_REASON],
            requested_by=self.by,
            requested_at=timezone.now(),
        )
        request.save(update_fields=["approval"])
        record(clock.case, "request_extend", _("申请延长期限"), self.by, note=f"{clock.rule.name}：{extension.name}")
        self.audit(request, {"case": clock.case.number, "rule": spec.code, "extension": self.code})
        return request


def decide_extension(request: ClockExtension, *, approved: bool, by, at: datetime) -> Clock:
    """Apply (or record the refusal of) an extension whose approval DecideApproval just decided.

    Runs inside DecideApproval's transaction (signal `approval_decided`): an ActionError here
    refuses the approval and writes nothing."""
    return DecideExtension(request=request, approved=approved, by=by, at=at).execute()


class DecideExtension(Action):
    """延长办案期限的审批结果: the deadline moves only here, once a leader approved the request.

    The new deadline is counted afresh from the start with every extension approved so far; the
    colour never gets worse here (the scan does that, and tells people), but an overdue clock whose
    new deadline is ahead turns back to green or yellow. Nothing to check: DecideApproval, which
    sends it, checked the approver."""

    audit_action = "clock.extend"

    def __init__(self, *, request: ClockExtension, approved: bool, by, at: datetime):
        self.request = request
        self.approved = approved
        self.by = by
        self.at = at

    def run(self) -> Clock:
        clock = Clock.objects.select_for_update().select_related("rule", "case").get(pk=self.request.clock_id)
        spec = rule_spec(clock.rule.code)
        name = (
            spec.extensions[self.request.code].name
            if spec and self.request.code in spec.extensions
            else self.request.code
        )
        note = f"{clock.rule.name}：{name}"
        if not self.approved:
            record(clock.case, "reject_extend", _("不批准延长期限"), self.by, note=note)
            return clock
        if not clock.is_running or self.request.code in clock.extensions or spec is None:
            raise ActionError(_("该时限已停止或已延长，延长申请不能再批准"), field="approve", code="stale")
        codes = [*clock.extensions, self.request.code]
        try:
            due = deadline(spec.code, clock.started_at, extensions=codes)
        except ActionError as exc:
            raise ActionError(exc.message, field="approve", code=exc.code) from exc
        lead = warn_lead(spec, clock.started_at, due)
        computed = clock_state(due, self.at, warn_before=lead)
        before = clock.due_at
        provisional = is_provisional(spec.code, clock.started_at, due, extensions=codes)
        changes = {"due_at": due, "warn_at": due - lead, "extensions": codes, "provisional": provisional}
        if SEVERITY[computed] < SEVERITY[clock.state]:
            changes.update(state=computed, state_changed_at=self.at)
        Clock.objects.filter(pk=clock.pk).update(**changes)
        self.request.due_before, self.request.due_after = before, due
        self.request.save(update_fields=["due_before", "due_after"])
        record(
            clock.case,
            "extend",
            _("批准延长期限"),
            self.by,
            note=_("%(what)s，期满时间改为 %(due)s")
            % {"what": note, "due": f"{timezone.localtime(due):%Y-%m-%d %H:%M}"},
        )
        data = {"case": clock.case.number, "extension": self.request.code, "before": before, "after": due}
        self.audit(clock, data)
        publish_case_clocks(clock.case)
        clock.refresh_from_db()
        return clock


class CompleteClock(Action):
    """记录完成: the officer records that the event meeting a limit happened — 送看守所羁押、通知家属
    (刑事诉讼法 第八十五条第二款), 拘留后讯问 (第八十六条), 传唤结束 (第一百一十九条), 侦查终结 — which
    the case system has no action for. Limits met by case actions (立案、开始调查、处罚决定) or by
    lifting a measure are not completed by hand: that would let a clock be stopped without the act."""

    audit_action = "clock.complete"

    def __init__(self, *, clock: Clock, by, at: datetime | None = None, note: str = ""):
        self.clock = clock
        self.by = by
        self.at = at
        self.note = note

    def check(self) -> None:
        if not can_handle(self.by, self.clock.case):
            raise Denied(_("无权办理该案件"))
        if self.clock.rule.end_event not in MANUAL_END_EVENTS:
            raise ActionError(_("该时限随办案操作自动停止，不能手工记录完成"), field="clock", code="not_manual")

    def run(self) -> Clock:
        clock = Clock.objects.select_for_update().select_related("rule", "case").get(pk=self.clock.pk)
        if not clock.is_running:
            raise ActionError(_("该时限已停止"), field="clock", code="stopped")
        now = timezone.now()
        at = self.at or now
        if not isinstance(at, datetime) or timezone.is_naive(at):
            raise ActionError(_("完成时间无效"), field="at")
        if at > now or at < clock.started_at:
            raise ActionError(_("完成时间应在起算时间之后、当前时间之前"), field="at", code="out_of_range")
        note = clean_text(self.note, "note", _("说明"), 500, required=False)
        stop_clocks(Clock.objects.filter(pk=clock.pk), at=at, reason=StopReason.DONE, by=self.by)
        label = Event(clock.rule.end_event).label
        record(clock.case, "complete_clock", str(label), self.by, note=note or clock.rule.name, at=at)
        self.audit(clock, {"case": clock.case.number, "rule": clock.rule.code, "at": at, "late": at > clock.due_at})
        publish_case_clocks(clock.case)
        clock.refresh_from_db()
        return clock


class DismissInspection(Action):
    """排除巡查项: the supervisor checked a row of the 受案立案审查巡查 list (an incident with no case,
    or an idle case) and sets it aside with a reason, e.g. "纠纷已当场调解，不属于治安案件". The
    reason is required: an unexplained dismissal is what the inspection exists to prevent."""

    audit_action = "inspection.dismiss"

    def __init__(self, *, by, reason: str, incident: Incident | None = None, case: Case | None = None):
        self.by = by
        self.reason = reason
        self.incident = incident
        self.case = case

    def check(self) -> None:
        from anmin.supervision.inspection import idle_cases, incidents_without_case

        if not can_supervise(self.by):
            raise Denied(_("只有法制监督员或领导可以处理巡查项"))
        if (self.incident is None) == (self.case is None):
            raise ActionError(_("请指定一条警情或一起案件"), field="item")
        now = timezone.now()
        if self.incident is not None:
            listed = incidents_without_case(self.by, now).filter(pk=self.incident.pk).exists()
        else:
            listed = idle_cases(self.by, now).filter(pk=self.case.pk).exists()
        if not listed:
            raise ActionError(_("该项不在巡查清单中（可能已受案、已流转或已处理）"), field="item", code="not_listed")

    def run(self) -> InspectionDismissal:
        reason = clean_text(self.reason, "reason", _("理由"), MAX_REASON, required=True)
        if self.incident is not None:
            dismissal = InspectionDismissal.objects.create(
                kind=InspectionKind.INCIDENT_WITHOUT_CASE, incident=self.incident, reason=reason, by=self.by
            )
            target = {"incident": self.incident.number}
        else:
            dismissal = InspectionDismissal.objects.create(
                kind=InspectionKind.IDLE_CASE,
                case=self.case,
                case_status_since=self.case.status_since,
                reason=reason,
                by=self.by,
            )
            target = {"case": self.case.number, "status": self.case.status}
        self.audit(dismissal, {**target, "reason": reason})
        return dismissal


class ReadNotices(Action):
    """标记提醒已读: one of the officer's own reminders, or all of them."""

    not_audited = (
        "reading a reminder changes nothing a case or a court would ask about, and the reminder keeps its time"
    )

    def __init__(self, *, by, notice: ClockNotice | None = None):
        self.by = by
        self.notice = notice

    def check(self) -> None:
        if not (self.by and self.by.is_authenticated):
            raise Denied(_("请先登录"))
        if self.notice is not None and self.notice.recipient_id != self.by.pk:
            raise Denied(_("只能处理自己的提醒"))

    def run(self) -> int:
        unread = ClockNotice.objects.filter(recipient=self.by, read_at__isnull=True)
        if self.notice is not None:
            unread = unread.filter(pk=self.notice.pk)
        return unread.update(read_at=timezone.now())
