"""Units (警力), their status and position, and assignments of units to incidents (派警)."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from anmin.geo.models import Post, lat_validators, lon_validators
from anmin.incidents.models import Incident
from anmin.org.models import Organization


class UnitKind(models.TextChoices):
    PATROL_CAR = "patrol_car", _("巡逻车")
    STATION_CAR = "station_car", _("派出所警车")
    FOOT = "foot", _("步巡组")
    SWAT = "swat", _("特警组")
    TRAFFIC = "traffic", _("交警铁骑")


#: Average urban speed of each kind in km/h; ETA = distance × road factor ÷ speed.
UNIT_SPEED_KMH = {
    UnitKind.PATROL_CAR: 40.0,
    UnitKind.STATION_CAR: 35.0,
    UnitKind.FOOT: 5.0,
    UnitKind.SWAT: 45.0,
    UnitKind.TRAFFIC: 30.0,
}


class UnitStatus(models.TextChoices):
    AVAILABLE = "available", _("空闲")
    DISPATCHED = "dispatched", _("出警中")
    ON_SCENE = "on_scene", _("到场")
    HANDLING = "handling", _("处置中")
    OFFLINE = "offline", _("离线")


class UnitQuerySet(models.QuerySet):
    def visible_to(self, user):
        return self.filter(organization__in=Organization.objects.visible_to(user))


class Unit(models.Model):
    """Anything dispatchable (警力): a patrol car, a foot team at a street post, a SWAT team, a traffic rider."""

    callsign = models.CharField(_("呼号"), max_length=20, unique=True)
    kind = models.CharField(_("类型"), max_length=12, choices=UnitKind.choices)
    organization = models.ForeignKey(
        Organization, verbose_name=_("所属单位"), related_name="units", on_delete=models.PROTECT
    )
    home_post = models.ForeignKey(
        Post, verbose_name=_("驻点"), null=True, blank=True, related_name="units", on_delete=models.SET_NULL
    )
    members = models.ManyToManyField(settings.AUTH_USER_MODEL, verbose_name=_("组员"), related_name="units", blank=True)
    status = models.CharField(_("状态"), max_length=12, choices=UnitStatus.choices, default=UnitStatus.AVAILABLE)
    lat = models.FloatField(_("纬度"), validators=lat_validators)
    lon = models.FloatField(_("经度"), validators=lon_validators)
    position_at = models.DateTimeField(_("定位时间"), null=True, blank=True)
    current_incident = models.ForeignKey(
        Incident,
        verbose_name=_("当前警情"),
        null=True,
        blank=True,
        related_name="+",
        on_delete=models.SET_NULL,
    )
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    objects = UnitQuerySet.as_manager()

    class Meta:
        verbose_name = _("警力")
        verbose_name_plural = _("警力")
        ordering = ["callsign"]
        indexes = [models.Index(fields=["status"])]

    def __str__(self):
        return self.callsign

    @property
    def speed_kmh(self) -> float:
        return UNIT_SPEED_KMH.get(self.kind, 30.0)


class FeedbackResult(models.TextChoices):
    """处警反馈结果代码."""

    HANDLED = "handled", _("现场处置完毕")
    CASE_ACCEPTED = "case_accepted", _("已受案")
    MEDIATED = "mediated", _("调解完毕")
    REFERRED = "referred", _("移交其他部门")
    FALSE_ALARM = "false_alarm", _("虚假警情")
    NOT_FOUND = "not_found", _("到场未发现")
    OTHER = "other", _("其他")


class AssignmentQuerySet(models.QuerySet):
    def active(self):
        return self.filter(closed_at__isnull=True)


class Assignment(models.Model):
    """A unit sent to an incident (派警), and what it did there until its 处警反馈.

    A unit has at most one open assignment; the partial unique constraint is the database's
    guarantee behind the conditional status update in `DispatchUnits`.
    """

    incident = models.ForeignKey(Incident, verbose_name=_("警情"), related_name="assignments", on_delete=models.CASCADE)
    unit = models.ForeignKey(Unit, verbose_name=_("警力"), related_name="assignments", on_delete=models.PROTECT)
    dispatched_at = models.DateTimeField(_("派警时间"))
    dispatched_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("派警人"), null=True, blank=True, on_delete=models.SET_NULL
    )
    reason = models.CharField(_("推荐理由"), max_length=200, blank=True)
    distance_m = models.PositiveIntegerField(_("距离（米）"), null=True, blank=True)
    eta_s = models.PositiveIntegerField(_("预计到达（秒）"), null=True, blank=True)
    en_route_at = models.DateTimeField(_("出警时间"), null=True, blank=True)
    arrived_at = models.DateTimeField(_("到场时间"), null=True, blank=True)
    handling_at = models.DateTimeField(_("开始处置"), null=True, blank=True)
    resolved_at = models.DateTimeField(_("处置完毕"), null=True, blank=True)
    closed_at = models.DateTimeField(_("结束时间"), null=True, blank=True)
    result = models.CharField(_("处警结果"), max_length=14, choices=FeedbackResult.choices, blank=True)
    result_text = models.TextField(_("反馈内容"), max_length=2000, blank=True)

    objects = AssignmentQuerySet.as_manager()

    class Meta:
        verbose_name = _("派警记录")
        verbose_name_plural = _("派警记录")
        ordering = ["dispatched_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["unit"], condition=Q(closed_at__isnull=True), name="one_open_assignment_per_unit"
            )
        ]

    def __str__(self):
        return f"{self.unit} → {self.incident}"
