"""Running legal time limits (办案时限) of cases, the requests to extend them, and the reminders they send.

A `Clock` is one rule applied to one case (or to one coercive measure of it): started by the case
system's events, stopped by the event that meets the limit, coloured by the scan (`scan.py`).
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from anmin.cases.models import ApprovalRequest, Case, Measure
from anmin.supervision.models.rules import TimeLimitRule


class ClockState(models.TextChoices):
    """The colour of a clock on the supervisor's board: green, yellow, red — or no longer running."""

    NORMAL = "normal", _("正常")
    DUE_SOON = "due_soon", _("临期")
    OVERDUE = "overdue", _("超期")
    STOPPED = "stopped", _("已停止")


#: States of a clock that still runs (the scan and the board look only at these).
RUNNING_STATES = (ClockState.NORMAL, ClockState.DUE_SOON, ClockState.OVERDUE)
#: Severity, for "never make a clock look better than it is" comparisons.
SEVERITY = {ClockState.NORMAL: 0, ClockState.DUE_SOON: 1, ClockState.OVERDUE: 2, ClockState.STOPPED: -1}


class StopReason(models.TextChoices):
    DONE = "done", _("已完成")
    MEASURE_ENDED = "measure_ended", _("措施已解除")
    CASE_ENDED = "case_ended", _("案件已终结")


class ClockQuerySet(models.QuerySet):
    def visible_to(self, user):
        """Clocks of the cases the user may see (Case.objects.visible_to)."""
        return self.filter(case__in=Case.objects.visible_to(user))

    def running(self):
        return self.exclude(state=ClockState.STOPPED)


class Clock(models.Model):
    """A legal time limit running for a case: e.g. 拘留后提请批准逮捕, three days from the detention of
    one suspect (刑事诉讼法 第九十一条).

    `due_at` is the deadline as `deadlines.deadline()` counts it (holidays included) with the
    extensions approved so far; `warn_at` is when it turns yellow. `state` is what the last scan
    saw and told people about — a clock changes colour only in the scan, so each change is
    notified exactly once.
    """

    case = models.ForeignKey(Case, verbose_name=_("案件"), related_name="clocks", on_delete=models.CASCADE)
    rule = models.ForeignKey(TimeLimitRule, verbose_name=_("时限规则"), related_name="clocks", on_delete=models.PROTECT)
    measure = models.ForeignKey(
        Measure, verbose_name=_("强制措施"), null=True, blank=True, related_name="clocks", on_delete=models.CASCADE
    )
    started_at = models.DateTimeField(_("起算时间"))
    due_at = models.DateTimeField(_("期满时间"))
    #: The deadline was counted over a year whose holiday arrangement is not loaded: true until the
    #: legal unit loads it and the clock is counted again (see `anmin.supervision.holidays`).
    provisional = models.BooleanField(_("暂按周一至周五计算"), default=False)
    warn_at = models.DateTimeField(_("临期提醒时间"))
    state = models.CharField(_("状态"), max_length=10, choices=ClockState.choices, default=ClockState.NORMAL)
    state_changed_at = models.DateTimeField(_("状态变化时间"), null=True, blank=True)
    stopped_at = models.DateTimeField(_("停止时间"), null=True, blank=True)
    stop_reason = models.CharField(_("停止原因"), max_length=16, choices=StopReason.choices, blank=True)
    stopped_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("操作人"),
        null=True,
        blank=True,
        related_name="+",
        on_delete=models.SET_NULL,
    )
    extensions = models.JSONField(_("已批准的延长情形"), default=list, blank=True)

    objects = ClockQuerySet.as_manager()

    class Meta:
        verbose_name = _("办案时限")
        verbose_name_plural = _("办案时限")
        ordering = ["due_at", "id"]
        indexes = [
            # The scan is two UPDATEs; each walks one of these partial indexes, which hold only the
            # clocks that can still change colour (a few percent of all clocks once cases age).
            models.Index(
                fields=["due_at"],
                condition=Q(state__in=["normal", "due_soon"]),
                name="supervision_clock_due_scan",
            ),
            models.Index(fields=["warn_at"], condition=Q(state="normal"), name="supervision_clock_warn_scan"),
            # The board counts running clocks per unit. Partial too: a plain index on `state` would be
            # SQLite's pick for the scan's "state IN (…)" and make it walk every running clock.
            models.Index(fields=["case"], condition=~Q(state="stopped"), name="supervision_clock_running"),
        ]
        constraints = [
            # A rule runs once at a time for a case, and once for each measure: a repeated signal or
            # a backfill must not start a second clock.
            models.UniqueConstraint(
                fields=["case", "rule"],
                condition=Q(measure__isnull=True) & ~Q(state="stopped"),
                name="supervision_one_running_case_clock",
            ),
            models.UniqueConstraint(
                fields=["measure", "rule"],
                condition=Q(measure__isnull=False) & ~Q(state="stopped"),
                name="supervision_one_running_measure_clock",
            ),
            models.CheckConstraint(condition=Q(warn_at__lte=models.F("due_at")), name="supervision_clock_warn_first"),
        ]

    def __str__(self):
        return f"{self.case.number} {self.rule.name}"

    @property
    def is_running(self) -> bool:
        return self.state != ClockState.STOPPED

    @property
    def late(self) -> bool:
        """Stopped after its deadline (超期完成)."""
        return self.stopped_at is not None and self.stopped_at > self.due_at


class ClockExtension(models.Model):
    """延长办案期限: a request to apply one of the rule's extensions (e.g. 刑事诉讼法 第九十一条第二款,
    延长至三十日) to a running clock. It waits in the approval inbox as an ApprovalRequest whose
    `transition` is "extend:<id of this row>"; a leader other than the requester decides it, and the
    approval moves `due_at` (from `due_before` to `due_after`)."""

    clock = models.ForeignKey(
        Clock, verbose_name=_("办案时限"), related_name="extension_requests", on_delete=models.CASCADE
    )
    code = models.SlugField(_("延长情形"), max_length=50)
    approval = models.OneToOneField(
        ApprovalRequest,
        verbose_name=_("审批"),
        null=True,
        blank=True,
        related_name="clock_extension",
        on_delete=models.CASCADE,
    )
    due_before = models.DateTimeField(_("原期满时间"))
    due_after = models.DateTimeField(_("延长后期满时间"))

    class Meta:
        verbose_name = _("延长办案期限")
        verbose_name_plural = _("延长办案期限")
        ordering = ["clock", "id"]

    def __str__(self):
        return f"{self.clock} +{self.code}"


class ClockNotice(models.Model):
    """提醒: a clock turned yellow or red, told to one officer (the 主办侦查员, or a 法制监督员 whose
    scope covers the case). Written by the scan only for clocks whose state it changed, so an
    officer hears of each change once — never once per scan."""

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("接收人"), related_name="clock_notices", on_delete=models.CASCADE
    )
    clock = models.ForeignKey(Clock, verbose_name=_("办案时限"), related_name="notices", on_delete=models.CASCADE)
    state = models.CharField(_("状态"), max_length=10, choices=ClockState.choices)
    due_at = models.DateTimeField(_("期满时间"))
    created_at = models.DateTimeField(_("提醒时间"))
    read_at = models.DateTimeField(_("已读时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("时限提醒")
        verbose_name_plural = _("时限提醒")
        ordering = ["-created_at", "-id"]
        constraints = [
            # The same change (state, for the same deadline) is told once per officer even if two
            # scans raced; an extension moves the deadline, so a later change is a new notice.
            # Its index leads with the recipient, which is all the officer's list and unread count
            # need: a second index would only slow the scan's inserts.
            models.UniqueConstraint(fields=["recipient", "clock", "state", "due_at"], name="supervision_notice_once"),
        ]

    def __str__(self):
        return f"{self.recipient} {self.clock} {self.get_state_display()}"
