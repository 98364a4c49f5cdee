"""Legal time limits (执法办案时限) as data: the official holiday calendar and the rules with their citations.

The law changes (the revised 治安管理处罚法 took effect on 2026-01-01 and renumbered its articles), so
the limits live in tables an administrator can correct, each row carrying the article it rests on.
The arithmetic is in `calendar.py` and `deadlines.py`.
"""

from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class DayKind(models.TextChoices):
    HOLIDAY = "holiday", _("法定节假日休息日")
    WORKDAY = "workday", _("调休上班日")


class CalendarDay(models.Model):
    """A date on which the State Council's arrangement departs from the Monday–Friday week.

    国务院办公厅 publishes each year's 部分节假日安排: the days off (放假, which may include a
    weekday) and the weekend days worked instead (调休上班). Only those exceptions are stored; any
    other date is a working day when it is Monday–Friday. Periods whose last day falls on a
    节假日 move to the next working day (刑事诉讼法 第一百零五条), so this table decides deadlines.
    """

    date = models.DateField(_("日期"), unique=True)
    kind = models.CharField(_("类型"), max_length=8, choices=DayKind.choices)
    name = models.CharField(_("节日"), max_length=20, blank=True, help_text=_("如：春节、国庆节"))
    source = models.CharField(_("依据"), max_length=200, blank=True, help_text=_("发布放假安排的文件"))

    class Meta:
        verbose_name = _("法定节假日安排")
        verbose_name_plural = _("法定节假日安排")
        ordering = ["date"]

    def __str__(self):
        return f"{self.date:%Y-%m-%d} {self.name} {self.get_kind_display()}"


class TimeUnit(models.TextChoices):
    """How a period is counted (刑事诉讼法 第一百零五条: 期间以时、日、月计算)."""

    HOURS = "hours", _("小时")
    CALENDAR_DAYS = "calendar_days", _("日")
    WORKING_DAYS = "working_days", _("工作日")
    MONTHS = "months", _("个月")


class RuleCaseKind(models.TextChoices):
    """Which kind of matter a rule watches. Not the Case model's kind: property and the ID-card
    service are time limits too, and a rule of kind `any` applies whatever the case."""

    CRIMINAL = "criminal", _("刑事")
    ADMINISTRATIVE = "administrative", _("行政")
    PROPERTY = "property", _("涉案财物")
    SERVICE = "service", _("政务服务")
    ANY = "any", _("通用")


class Event(models.TextChoices):
    """The moments a clock starts or stops. The case system reports these with a datetime; the
    names are shared so that `start_event` of one rule can be matched to what happened."""

    REPORTED = "reported", _("接报案")
    ACCEPTED = "accepted", _("受案")
    FILED = "filed", _("作出立案或不予立案决定")
    SUMMONED = "summoned", _("传唤、拘传到案")
    QUESTIONING_ENDED = "questioning_ended", _("询问（讯问）结束")
    DETAINED = "detained", _("刑事拘留")
    JAILED = "jailed", _("送看守所羁押")
    FAMILY_NOTIFIED = "family_notified", _("通知家属")
    INTERROGATED = "interrogated", _("讯问")
    ARREST_REQUESTED = "arrest_requested", _("提请批准逮捕")
    ARRESTED = "arrested", _("逮捕")
    INVESTIGATION_CONCLUDED = "investigation_concluded", _("侦查终结")
    BAIL_STARTED = "bail_started", _("取保候审开始")
    BAIL_ENDED = "bail_ended", _("解除取保候审")
    SURVEILLANCE_STARTED = "surveillance_started", _("监视居住开始")
    SURVEILLANCE_ENDED = "surveillance_ended", _("解除监视居住")
    DECIDED = "decided", _("作出处理决定")
    SEIZED = "seized", _("提取、扣押涉案财物")
    SEALED = "sealed", _("查封、冻结等措施（财物不在公安机关保管）")
    HANDED_TO_KEEPER = "handed_to_keeper", _("移交涉案财物管理人员")
    PROPERTY_REGISTERED = "property_registered", _("报送涉案财物管理人员登记")
    FILED_WITH_INSPECTION = "filed_with_inspection", _("报警务督察部门备案")
    APPLIED = "applied", _("提交申领登记表")
    ISSUED = "issued", _("发放证件")


class TimeLimitRule(models.Model):
    """A legal time limit: from `start_event`, `end_event` must happen within `amount` `unit`.

    E.g. 拘留后提请批准逮捕: 3 日 (刑事诉讼法 第九十一条). `extends_past_holiday` says whether a
    last day falling on a 节假日 moves to the next working day — true for ordinary periods, false
    where the person is in custody (刑事诉讼法 第一百零五条第四款: 在押期间不得因节假日而延长).
    """

    code = models.SlugField(_("代码"), max_length=50, unique=True)
    name = models.CharField(_("名称"), max_length=60)
    case_kind = models.CharField(_("适用范围"), max_length=16, choices=RuleCaseKind.choices)
    start_event = models.CharField(_("起算事件"), max_length=32, choices=Event.choices)
    end_event = models.CharField(_("完成事件"), max_length=32, choices=Event.choices)
    amount = models.PositiveIntegerField(_("期限"), validators=[MinValueValidator(1)])
    unit = models.CharField(_("单位"), max_length=16, choices=TimeUnit.choices)
    extends_past_holiday = models.BooleanField(
        _("末日遇节假日顺延"),
        default=False,
        help_text=_("期间的最后一日为节假日的，以节假日后的第一日为期满日期；在押、限制人身自由的期间不顺延。"),
    )
    citation = models.CharField(_("法律依据"), max_length=300)
    note = models.TextField(_("说明"), blank=True)
    active = models.BooleanField(_("启用"), default=True)
    warn_before = models.DurationField(
        _("临期提醒提前量"),
        null=True,
        blank=True,
        help_text=_(
            "到期前多久转为黄色（临期），如 “6:00:00” 为 6 小时、“2 00:00:00” 为 2 天。留空则按期限的 "
            "CLOCK_WARN_FRACTION（默认 20%）计算，至少 CLOCK_WARN_MIN_HOURS 小时、至多 CLOCK_WARN_MAX_DAYS 天。"
        ),
    )

    class Meta:
        verbose_name = _("办案时限规则")
        verbose_name_plural = _("办案时限规则")
        ordering = ["case_kind", "code"]
        constraints = [
            # A limit without its legal basis is exactly what the table exists to prevent.
            models.CheckConstraint(condition=~Q(citation=""), name="supervision_rule_has_citation"),
            models.CheckConstraint(condition=Q(amount__gte=1), name="supervision_rule_amount_positive"),
        ]

    def __str__(self):
        return f"{self.name}（{self.amount}{self.get_unit_display()}）"


class ExtensionMode(models.TextChoices):
    ADD = "add", _("延长")
    REPLACE = "replace", _("延长至")


class TimeLimitExtension(models.Model):
    """An approved departure from a rule's base limit, e.g. 逮捕后侦查羁押 +1 个月 with the approval
    of the 上一级人民检察院 (刑事诉讼法 第一百五十六条).

    `mode` says whether `amount` is added to the period (延长一个月) or replaces the whole period
    (延长至三十日). `requires` names an extension that must already apply: 第一百五十九条 extends
    only "依照本法第一百五十八条规定延长期限届满" periods.
    """

    rule = models.ForeignKey(
        TimeLimitRule, verbose_name=_("时限规则"), related_name="extensions", on_delete=models.CASCADE
    )
    code = models.SlugField(_("代码"), max_length=50)
    name = models.CharField(_("情形"), max_length=80)
    mode = models.CharField(_("方式"), max_length=8, choices=ExtensionMode.choices)
    amount = models.PositiveIntegerField(_("期限"), validators=[MinValueValidator(1)])
    unit = models.CharField(_("单位"), max_length=16, choices=TimeUnit.choices)
    requires = models.ForeignKey(
        "self",
        verbose_name=_("须先适用"),
        null=True,
        blank=True,
        related_name="+",
        # Without its prerequisite an extension cannot apply (第一百五十九条 needs 第一百五十八条).
        on_delete=models.CASCADE,
    )
    approver = models.CharField(_("批准机关"), max_length=60, blank=True, help_text=_("如：县级以上公安机关负责人"))
    citation = models.CharField(_("法律依据"), max_length=300)
    note = models.TextField(_("说明"), blank=True)
    position = models.PositiveSmallIntegerField(_("排序"), default=0)

    class Meta:
        verbose_name = _("时限延长情形")
        verbose_name_plural = _("时限延长情形")
        ordering = ["rule", "position", "code"]
        constraints = [
            models.UniqueConstraint(fields=["rule", "code"], name="supervision_extension_code_per_rule"),
            models.CheckConstraint(condition=~Q(citation=""), name="supervision_extension_has_citation"),
            models.CheckConstraint(condition=Q(amount__gte=1), name="supervision_extension_amount_positive"),
        ]

    def __str__(self):
        return f"{self.name}：{self.get_mode_display()}{self.amount}{self.get_unit_display()}"

    def clean(self):
        if self.requires_id and self.rule_id and self.requires.rule_id != self.rule_id:
            raise ValidationError({"requires": _("只能依赖同一时限规则的延长情形")})
        if self.requires_id and self.pk and self.requires_id == self.pk:
            raise ValidationError({"requires": _("不能依赖自身")})
