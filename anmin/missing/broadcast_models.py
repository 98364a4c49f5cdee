"""The broadcast's models: the bureau's work groups, the rules that widen the alert over time (rings),
each ring reached on a case, and every message sent to a group with its result.

Why rings are data: the 团圆 system widens a child's alert by distance and hour, a lost elderly
person is searched for first by the station's own village groups, then the township's, the county's
and the city's; a bureau tunes these steps without a release.
"""

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from anmin.core.crypto import EncryptedCharField
from anmin.geo.models import lat_validators, lon_validators
from anmin.org.models import Organization, scope_path

__all__ = ["Group", "RingRule", "RingStep", "Send", "SendAttempt"]


class GroupKind(models.TextChoices):
    WECOM = "wecom", _("企业微信群机器人")
    DINGTALK = "dingtalk", _("钉钉群机器人")
    FEISHU = "feishu", _("飞书群机器人")
    SMS = "sms", _("短信列表")


class AreaKind(models.TextChoices):
    COMMUNITY = "community", _("社区/村")
    TOWNSHIP = "township", _("乡镇/街道")
    POINT = "point", _("地点及半径")
    UNIT = "unit", _("本单位辖区")


class GroupQuerySet(models.QuerySet):
    def visible_to(self, user):
        """A station sees its own groups, a branch its stations', the bureau all of them."""
        path = scope_path(user)
        if path is None:
            return self.none()
        return self.filter(org__path__startswith=path) if path else self


class Group(models.Model):
    """A work group of the bureau that a missing-person alert can reach: a 企业微信/钉钉/飞书 group
    robot (webhook) or an SMS list, owned by a unit and covering an area (a community or village, a
    township, or a point and radius). Village work groups with the 村支书 in them found the lost
    elderly man of the seed within the hour; the webhook URL, its signing secret and the phones are
    credentials and personal data, so they are stored encrypted and only ever shown masked."""

    Kind = GroupKind
    Area = AreaKind

    name = models.CharField(_("群名称"), max_length=80)
    kind = models.CharField(_("类型"), max_length=10, choices=GroupKind.choices)
    webhook_url = EncryptedCharField(_("Webhook 地址"), max_length=500, blank=True)
    secret = EncryptedCharField(_("签名密钥"), max_length=200, blank=True)
    # One phone per line; an SMS list is a handful of 村支书/网格员, not a mass list.
    phones = EncryptedCharField(_("手机号码"), max_length=2000, blank=True)
    org = models.ForeignKey(Organization, verbose_name=_("所属单位"), related_name="+", on_delete=models.PROTECT)
    area = models.CharField(_("覆盖范围"), max_length=10, choices=AreaKind.choices, default=AreaKind.UNIT)
    community = models.ForeignKey(
        "communities.Community",
        verbose_name=_("社区/村"),
        null=True,
        blank=True,
        related_name="+",
        on_delete=models.SET_NULL,
    )
    township = models.ForeignKey(
        "addresses.Address",
        verbose_name=_("乡镇/街道"),
        to_field="code",
        db_column="township_code",
        null=True,
        blank=True,
        related_name="+",
        on_delete=models.SET_NULL,
    )
    lat = models.FloatField(_("纬度"), null=True, blank=True, validators=lat_validators)
    lon = models.FloatField(_("经度"), null=True, blank=True, validators=lon_validators)
    radius_km = models.FloatField(_("半径（公里）"), null=True, blank=True)
    active = models.BooleanField(_("启用"), default=True)
    created_at = models.DateTimeField(_("建立时间"), default=timezone.now)

    objects = GroupQuerySet.as_manager()

    class Meta:
        verbose_name = _("工作群")
        verbose_name_plural = _("工作群")
        ordering = ["org__code", "name", "id"]

    def __str__(self):
        return self.name

    def point(self) -> tuple[float, float] | None:
        """Where the group is placed in the rings: its own point, else its community's or township's."""
        if self.lat is not None and self.lon is not None:
            return (self.lat, self.lon)
        if self.community_id and self.community is not None:
            return (self.community.lat, self.community.lon)
        if self.township_id and self.township is not None and self.township.lat is not None:
            return (self.township.lat, self.township.lon)
        return None


class Reach(models.TextChoices):
    RADIUS = "radius", _("半径")
    STATION = "station", _("本所")
    TOWNSHIP = "township", _("乡镇/街道")
    COUNTY = "county", _("区县")
    CITY = "city", _("全市")


class RingRule(models.Model):
    """One step of the widening alert for a category of missing person: `after` minutes from the
    case's opening, the alert reaches every active group within `radius_km` of the last-seen point,
    or every group of the case's station / township / county / the whole city."""

    Reach = Reach

    category = models.CharField(
        _("类别"), max_length=10, choices=[("elderly", _("老人/失智")), ("child", _("儿童")), ("other", _("其他"))]
    )
    step = models.PositiveSmallIntegerField(_("步骤"))
    after_minutes = models.PositiveIntegerField(_("开始后（分钟）"))
    reach = models.CharField(_("范围"), max_length=10, choices=Reach.choices)
    radius_km = models.FloatField(_("半径（公里）"), null=True, blank=True)
    basis = models.CharField(_("依据"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("扩散规则")
        verbose_name_plural = _("扩散规则")
        ordering = ["category", "step"]
        constraints = [models.UniqueConstraint(fields=["category", "step"], name="ring_rule_step_per_category")]

    def __str__(self):
        return f"{self.get_category_display()} {self.step}: {self.label()}"

    def label(self) -> str:
        if self.reach == Reach.RADIUS and self.radius_km is not None:
            return _("%(km)s 公里") % {"km": f"{self.radius_km:g}"}
        return str(self.get_reach_display())


class RingStep(models.Model):
    """A ring reached on a case: the rule whose time came, when, and how many groups it newly reached
    (each group gets the alert once, in the first ring that reaches it). The log of the search's spread."""

    case = models.ForeignKey(
        "missing.MissingCase", verbose_name=_("案件"), related_name="ring_steps", on_delete=models.CASCADE
    )
    rule = models.ForeignKey(RingRule, verbose_name=_("规则"), related_name="+", on_delete=models.PROTECT)
    label = models.CharField(_("范围"), max_length=40)
    reached_at = models.DateTimeField(_("到达时间"))
    groups = models.ManyToManyField(Group, verbose_name=_("新到达的群"), related_name="+", blank=True)

    class Meta:
        verbose_name = _("扩散记录")
        verbose_name_plural = _("扩散记录")
        ordering = ["case", "rule__step"]
        constraints = [models.UniqueConstraint(fields=["case", "rule"], name="ring_step_once_per_case")]

    def __str__(self):
        return f"{self.case} {self.label}"


class MessageKind(models.TextChoices):
    ALERT = "alert", _("寻人通知")
    THANKS = "thanks", _("已找到致谢")


class SendStatus(models.TextChoices):
    PENDING = "pending", _("待发送")
    SENT = "sent", _("已送达")
    RETRYING = "retrying", _("重试中")
    FAILED = "failed", _("发送失败")
    CANCELLED = "cancelled", _("已取消")


class Send(models.Model):
    """One message to one group on a case — the alert, or the thanks once the person is found — with
    every attempt's outcome: a send is never dropped (a robot's rate limit makes it wait, a network
    or vendor error retries it with back-off) and its last answer is kept."""

    Kind = MessageKind
    Status = SendStatus

    case = models.ForeignKey(
        "missing.MissingCase", verbose_name=_("案件"), related_name="sends", on_delete=models.CASCADE
    )
    group = models.ForeignKey(Group, verbose_name=_("工作群"), related_name="sends", on_delete=models.PROTECT)
    kind = models.CharField(_("消息"), max_length=8, choices=MessageKind.choices)
    status = models.CharField(_("状态"), max_length=10, choices=SendStatus.choices, default=SendStatus.PENDING)
    attempts = models.PositiveSmallIntegerField(_("尝试次数"), default=0)
    next_try_at = models.DateTimeField(_("下次尝试"), null=True, blank=True, db_index=True)
    response = models.CharField(_("结果"), max_length=300, blank=True)
    sent_at = models.DateTimeField(_("送达时间"), null=True, blank=True)
    created_at = models.DateTimeField(_("生成时间"), default=timezone.now)

    class Meta:
        verbose_name = _("发送记录")
        verbose_name_plural = _("发送记录")
        ordering = ["case", "created_at", "id"]
        constraints = [models.UniqueConstraint(fields=["case", "group", "kind"], name="send_once_per_group")]

    def __str__(self):
        return f"{self.case} → {self.group}"


class SendAttempt(models.Model):
    """One try of a send: when, and what the vendor (or the network) answered."""

    send = models.ForeignKey(Send, verbose_name=_("发送"), related_name="tries", on_delete=models.CASCADE)
    at = models.DateTimeField(_("时间"))
    ok = models.BooleanField(_("成功"))
    response = models.CharField(_("结果"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("发送尝试")
        verbose_name_plural = _("发送尝试")
        ordering = ["send", "at", "id"]
