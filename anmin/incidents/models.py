"""110 警情: the category code table, incidents and their timeline."""

from datetime import timedelta

from django.apps import apps
from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from anmin.core.crypto import BlindIndexField, EncryptedCharField
from anmin.geo.models import AreaType, GridCell, lat_validators, lon_validators
from anmin.org.models import Organization, scope_path


class IncidentClass(models.TextChoices):
    """警情类别 (the first level of the code table)."""

    CRIMINAL = "criminal", _("刑事")
    PUBLIC_ORDER = "public_order", _("治安")
    TRAFFIC = "traffic", _("交通")
    FIRE = "fire", _("火灾")
    HELP = "help", _("求助")
    DISPUTE = "dispute", _("纠纷")
    REPORT = "report", _("举报")
    OTHER = "other", _("其他")


class Category(models.Model):
    """A row of the 警情类别代码表: a class (two-digit code) or a sub-category (four digits).

    `serious_violence` flags the 八类严重暴力犯罪 (杀人、放火、爆炸、投放危险物质、强奸、抢劫、绑架、
    故意伤害致人重伤或死亡), which bring SWAT and are reported separately.
    """

    code = models.CharField(_("代码"), max_length=8, unique=True)
    name = models.CharField(_("名称"), max_length=40)
    klass = models.CharField(_("类别"), max_length=14, choices=IncidentClass.choices)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("上级类别"),
        null=True,
        blank=True,
        related_name="children",
        on_delete=models.PROTECT,
    )
    serious_violence = models.BooleanField(_("八类严重暴力"), default=False)
    active = models.BooleanField(_("启用"), default=True)
    # Words a call about this category typically uses, besides its name: the suggestions start from
    # them before any model is trained, and the model counts them as one more description.
    keywords = models.CharField(
        _("关键词"), max_length=200, blank=True, help_text=_("以空格分隔，用于按简要警情推荐类别")
    )

    class Meta:
        verbose_name = _("警情类别")
        verbose_name_plural = _("警情类别")
        ordering = ["code"]

    def __str__(self):
        return f"{self.code} {self.name}"


class IncidentQuerySet(models.QuerySet):
    def visible_to(self, user):
        """A station sees incidents in its jurisdiction and those its units were sent to."""
        path = scope_path(user)
        if path is None:
            return self.none()
        if not path:
            return self
        assignment = apps.get_model("dispatch", "Assignment")
        sent_here = assignment.objects.filter(incident=OuterRef("pk"), unit__organization__path__startswith=path)
        return self.filter(Q(station__path__startswith=path) | Exists(sent_here))

    def commanded_by(self, user):
        """Incidents the user may command outright (cancel, reopen): those of their own
        jurisdiction subtree — not those they see only because one of their units was sent."""
        path = scope_path(user)
        if path is None:
            return self.none()
        return self.filter(station__path__startswith=path) if path else self

    def open(self):
        return self.exclude(status__in=Incident.CLOSED_STATUSES)


class Incident(models.Model):
    """A 110 call or report (警情), from 接警 to 反馈. `number` is the 接警单号."""

    class Status(models.TextChoices):
        RECEIVED = "received", _("待派警")
        DISPATCHED = "dispatched", _("已派警")
        EN_ROUTE = "en_route", _("出警中")
        ARRIVED = "arrived", _("已到场")
        RESOLVED = "resolved", _("处置完毕")
        REPORTED = "reported", _("已反馈")
        CANCELLED = "cancelled", _("已撤销")

    CLOSED_STATUSES = (Status.REPORTED, Status.CANCELLED)
    NOT_ARRIVED_STATUSES = (Status.RECEIVED, Status.DISPATCHED, Status.EN_ROUTE)

    class Priority(models.IntegerChoices):
        URGENT = 1, _("一级（紧急）")
        HIGH = 2, _("二级（较急）")
        NORMAL = 3, _("三级（一般）")

    number = models.CharField(_("接警单号"), max_length=24, unique=True)
    received_at = models.DateTimeField(_("接警时间"), default=timezone.now, db_index=True)
    category = models.ForeignKey(Category, verbose_name=_("警情类别"), on_delete=models.PROTECT)
    priority = models.PositiveSmallIntegerField(
        _("等级"),
        choices=Priority.choices,
        default=Priority.NORMAL,
        validators=[MinValueValidator(1), MaxValueValidator(3)],
    )
    # Encrypted at rest (个人信息保护法 art. 51); the index finds the calls from one number.
    caller_phone = EncryptedCharField(_("报警电话"), max_length=20, blank=True)
    caller_phone_index = BlindIndexField(source="caller_phone", kind="phone")
    caller_name = models.CharField(_("报警人"), max_length=30, blank=True)
    address = models.CharField(_("地址"), max_length=200)
    lat = models.FloatField(_("纬度"), validators=lat_validators)
    lon = models.FloatField(_("经度"), validators=lon_validators)
    description = models.TextField(_("简要警情"), max_length=2000, blank=True)
    grid_cell = models.ForeignKey(GridCell, verbose_name=_("网格"), on_delete=models.PROTECT)
    station = models.ForeignKey(
        Organization, verbose_name=_("责任派出所"), related_name="incidents", on_delete=models.PROTECT
    )
    area_type = models.CharField(_("区域类型"), max_length=10, choices=AreaType.choices)
    target_minutes = models.PositiveSmallIntegerField(_("到场时限（分钟）"))
    arrival_due_at = models.DateTimeField(_("应到场时间"))
    status = models.CharField(_("状态"), max_length=12, choices=Status.choices, default=Status.RECEIVED)
    dispatched_at = models.DateTimeField(_("派警时间"), null=True, blank=True)
    arrived_at = models.DateTimeField(_("到场时间"), null=True, blank=True)
    resolved_at = models.DateTimeField(_("处置完毕时间"), null=True, blank=True)
    closed_at = models.DateTimeField(_("结束时间"), null=True, blank=True)
    call_count = models.PositiveSmallIntegerField(_("报警次数"), default=1)
    # History loaded from the old system (anmin import, the demo's archive): counted by the
    # statistics, but handled back then, so not listed by the 受案立案审查巡查.
    imported = models.BooleanField(_("历史导入"), default=False, editable=False)
    received_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("接警员"), null=True, blank=True, on_delete=models.SET_NULL
    )
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    objects = IncidentQuerySet.as_manager()

    class Meta:
        verbose_name = _("警情")
        verbose_name_plural = _("警情")
        ordering = ["-received_at"]
        indexes = [
            models.Index(fields=["status", "received_at"]),
            models.Index(fields=["station", "received_at"]),
            models.Index(fields=["category", "received_at"]),
        ]

    def __str__(self):
        return self.number

    @property
    def is_open(self) -> bool:
        return self.status not in self.CLOSED_STATUSES

    def is_overdue(self, now=None) -> bool:
        """No unit on scene although the arrival target has passed (超时未到场)."""
        return self.status in self.NOT_ARRIVED_STATUSES and (now or timezone.now()) > self.arrival_due_at

    def arrival_seconds(self) -> int | None:
        if self.arrived_at is None:
            return None
        return int((self.arrived_at - self.received_at).total_seconds())

    def within_target(self) -> bool | None:
        if self.arrived_at is None:
            return None
        return self.arrived_at <= self.arrival_due_at


class IncidentEvent(models.Model):
    """One step of an incident's timeline, with its time and actor: 接警 → 派警 → 出警 → 到场 → 处置完毕 → 反馈."""

    class Kind(models.TextChoices):
        RECEIVED = "received", _("接警")
        REPEAT_CALL = "repeat_call", _("重复报警")
        DISPATCHED = "dispatched", _("派警")
        EN_ROUTE = "en_route", _("出警")
        ARRIVED = "arrived", _("到场")
        HANDLING = "handling", _("处置中")
        RESOLVED = "resolved", _("处置完毕")
        REPORTED = "reported", _("反馈")
        REOPENED = "reopened", _("重新打开")
        CANCELLED = "cancelled", _("撤销")

    incident = models.ForeignKey(Incident, verbose_name=_("警情"), related_name="events", on_delete=models.CASCADE)
    kind = models.CharField(_("环节"), max_length=12, choices=Kind.choices)
    at = models.DateTimeField(_("时间"), default=timezone.now)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("操作人"), null=True, blank=True, on_delete=models.SET_NULL
    )
    unit_label = models.CharField(_("警力"), max_length=40, blank=True)
    detail = models.CharField(_("说明"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("警情环节")
        verbose_name_plural = _("警情环节")
        ordering = ["at", "id"]
        indexes = [models.Index(fields=["incident", "at"])]

    def __str__(self):
        return f"{self.incident} {self.get_kind_display()}"


class DailySequence(models.Model):
    """The counter behind 接警单号: unique per bureau and day (131100-20261130-000123)."""

    bureau_code = models.CharField(max_length=6)
    day = models.DateField()
    last = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["bureau_code", "day"], name="uniq_daily_sequence")]


#: How long an intake key stays bound to its incident. A client retries within seconds or minutes
#: (a double click, a browser resend, a reconnect after a crash); after a day the key may be used
#: again, so a client whose keys are a counter that restarts does not collide with yesterday's.
INTAKE_KEY_TTL = timedelta(hours=24)


class IntakeKey(models.Model):
    """An intake already answered, by the officer's own key: the API's `Idempotency-Key` header or
    the one-time token of the intake form. A retry with the same key by the same officer gets the
    incident of the first request back, never a second incident for one call.

    The unique (creator, key) constraint is the backstop: two retries racing each other cannot both
    insert, and the loser answers with the winner's incident. A key older than INTAKE_KEY_TTL is
    forgotten and may be used again.
    """

    creator = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("接警员"), on_delete=models.CASCADE)
    key = models.CharField(_("幂等键"), max_length=100)
    # A digest of what was asked: the same key with a different call is a client bug, refused.
    fingerprint = models.CharField(_("请求摘要"), max_length=64)
    # Empty only inside the transaction that claims the key; filled before it commits.
    incident = models.ForeignKey(Incident, verbose_name=_("警情"), null=True, on_delete=models.CASCADE)
    created_incident = models.BooleanField(_("新建警情"), default=True)
    at = models.DateTimeField(_("时间"), default=timezone.now)

    class Meta:
        verbose_name = _("接警幂等键")
        verbose_name_plural = _("接警幂等键")
        constraints = [models.UniqueConstraint(fields=["creator", "key"], name="uniq_intake_key")]

    def __str__(self):
        return self.key


class CategoryModel(models.Model):
    """类别推荐模型: a multinomial naive Bayes model over the words of closed incidents' 简要警情,
    trained by `anmin categories train`. It only suggests a category from the description; the
    call-taker picks (see anmin.incidents.suggest).

    `weights` holds what a reader needs to check any suggestion by hand: per category the incidents
    counted (the prior) and the words counted, per word the counts by category, and the smoothing.
    The newest row is the one in use.
    """

    trained_at = models.DateTimeField(_("训练时间"), default=timezone.now, db_index=True)
    trained_on = models.PositiveIntegerField(_("训练用警情数"))
    vocabulary = models.PositiveIntegerField(_("词表大小"))
    weights = models.JSONField(_("模型参数"))
    evaluation = models.JSONField(_("评估结果"), default=dict, blank=True)

    class Meta:
        verbose_name = _("类别推荐模型")
        verbose_name_plural = _("类别推荐模型")
        ordering = ["-trained_at", "-id"]

    def __str__(self):
        return f"{self.trained_at:%Y-%m-%d %H:%M} ({self.trained_on})"
