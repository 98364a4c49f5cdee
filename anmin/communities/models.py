"""智慧平安社区: the residential communities (小区) and villages (村) the police look after.

Residents are not bulk-imported (PIPL): a community holds its place, its people in charge (社区民警,
网格员) and its buildings and access points; the only persons linked to it are those the police
already record for their own reasons (parties of incidents, cases and disputes).
"""

import hashlib
import math
import secrets

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from anmin.core.crypto import EncryptedCharField
from anmin.geo.models import lat_validators, lon_validators
from anmin.org.models import Organization, scope_path

#: How far from its point a community without an outline reaches, by kind. A 小区 in 衡水's city
#: is a compound of a few blocks, typically 200–300 m across, so 150 m around its gate point takes
#: in its buildings without reaching the next compound across the street; a 村 is a village of a
#: few hundred households whose houses lie within about half a kilometre of its centre, as does a
#: city 社区 (居委会) of a few thousand households.
DEFAULT_RADIUS_M = {"compound": 150, "village": 500, "neighbourhood": 500}
#: Metres per degree of latitude (and of longitude at the equator): for the bounding boxes only.
M_PER_DEG = 111_320


class CommunityQuerySet(models.QuerySet):
    def visible_to(self, user):
        """A station sees its own communities, a branch its stations', the bureau all of them."""
        path = scope_path(user)
        if path is None:
            return self.none()
        return self.filter(station__path__startswith=path) if path else self


class Community(models.Model):
    """A 小区 (residential compound) or 村 (village) as a place: its point, its outline where one is
    known (GeoJSON polygon, WGS-84), the station responsible for it and its 社区民警."""

    class Kind(models.TextChoices):
        COMPOUND = "compound", _("小区")
        VILLAGE = "village", _("村")
        # A 城市社区 (居委会's area): several 小区 and the streets between them. Kept for the 社区民警's
        # work and its own figures; the 零发案小区率 does not count it, as it is not a 小区.
        NEIGHBOURHOOD = "neighbourhood", _("社区")

    name = models.CharField(_("名称"), max_length=80)
    kind = models.CharField(_("类型"), max_length=14, choices=Kind.choices)
    station = models.ForeignKey(
        Organization, verbose_name=_("责任派出所"), related_name="communities", on_delete=models.PROTECT
    )
    # The standard address (a 村/社区 or a 小区 of the address library) where one matches; by code,
    # as the address library is keyed.
    address = models.ForeignKey(
        "addresses.Address",
        verbose_name=_("标准地址"),
        to_field="code",
        db_column="address_code",
        related_name="communities",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
    )
    lat = models.FloatField(_("纬度"), validators=lat_validators)
    lon = models.FloatField(_("经度"), validators=lon_validators)
    boundary = models.JSONField(
        _("边界"), null=True, blank=True, help_text=_("GeoJSON 多边形坐标 [[[经度, 纬度], …]]，WGS-84")
    )
    officer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("社区民警"),
        related_name="communities",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
    )
    households = models.PositiveIntegerField(_("户数"), null=True, blank=True)
    created_at = models.DateTimeField(_("建档时间"), default=timezone.now)
    radius_m = models.PositiveIntegerField(
        _("范围半径（米）"),
        null=True,
        blank=True,
        validators=[MinValueValidator(20), MaxValueValidator(5000)],
        help_text=_("没有边界时，以中心点为圆心计入警情的半径；留空按类型默认（小区150米、村500米）"),
    )
    # The rectangle around the outline (or the circle), kept so the records of one community are
    # found by an indexed range query before the exact shapely test; written by save().
    min_lat = models.FloatField(editable=False, default=0)
    max_lat = models.FloatField(editable=False, default=0)
    min_lon = models.FloatField(editable=False, default=0)
    max_lon = models.FloatField(editable=False, default=0)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    objects = CommunityQuerySet.as_manager()

    class Meta:
        verbose_name = _("社区")
        verbose_name_plural = _("社区")
        ordering = ["station__code", "name"]
        constraints = [models.UniqueConstraint(fields=["station", "name"], name="community_name_per_station")]

    def __str__(self):
        return self.name

    @property
    def reach_m(self) -> int:
        """The radius used when the community has no outline."""
        return self.radius_m or DEFAULT_RADIUS_M.get(self.kind, 150)

    def bounds(self) -> tuple[float, float, float, float]:
        """(min_lat, max_lat, min_lon, max_lon) of the outline, or of the circle around the point."""
        if self.boundary:
            ring = self.boundary[0]
            lons = [p[0] for p in ring]
            lats = [p[1] for p in ring]
            return min(lats), max(lats), min(lons), max(lons)
        dlat = self.reach_m / M_PER_DEG
        dlon = self.reach_m / (M_PER_DEG * max(math.cos(math.radians(self.lat)), 0.01))
        return self.lat - dlat, self.lat + dlat, self.lon - dlon, self.lon + dlon

    def save(self, *args, **kwargs):
        self.min_lat, self.max_lat, self.min_lon, self.max_lon = self.bounds()
        if kwargs.get("update_fields") is not None:
            kwargs["update_fields"] = {*kwargs["update_fields"], "min_lat", "max_lat", "min_lon", "max_lon"}
        super().save(*args, **kwargs)


class GridWorker(models.Model):
    """A 网格员: a civilian (居委会/村委会 staff or a volunteer) who looks after a community's grid and
    is the police's first contact there. Name and phone are personal data (个人信息保护法 art. 51):
    stored encrypted, shown masked, revealed through the audited 显示."""

    community = models.ForeignKey(
        Community, verbose_name=_("社区"), related_name="grid_workers", on_delete=models.CASCADE
    )
    name = EncryptedCharField(_("姓名"), max_length=30)
    phone = EncryptedCharField(_("联系电话"), max_length=20)
    duty = models.CharField(_("负责范围"), max_length=60, blank=True)
    active = models.BooleanField(_("在岗"), default=True)
    created_at = models.DateTimeField(_("登记时间"), default=timezone.now)

    class Meta:
        verbose_name = _("网格员")
        verbose_name_plural = _("网格员")
        ordering = ["community", "pk"]

    def __str__(self):
        from anmin.core.pii import mask_name

        return mask_name(self.name)


class Building(models.Model):
    """A 楼栋 of a community (a block of a 小区, a lane of a village): where the 社区民警 goes."""

    community = models.ForeignKey(Community, verbose_name=_("社区"), related_name="buildings", on_delete=models.CASCADE)
    name = models.CharField(_("楼号/名称"), max_length=40)
    floors = models.PositiveSmallIntegerField(
        _("层数"), null=True, blank=True, validators=[MinValueValidator(1), MaxValueValidator(120)]
    )
    households = models.PositiveIntegerField(_("户数"), null=True, blank=True, validators=[MaxValueValidator(5000)])
    lat = models.FloatField(_("纬度"), null=True, blank=True, validators=lat_validators)
    lon = models.FloatField(_("经度"), null=True, blank=True, validators=lon_validators)

    class Meta:
        verbose_name = _("楼栋")
        verbose_name_plural = _("楼栋")
        ordering = ["community", "name"]
        constraints = [models.UniqueConstraint(fields=["community", "name"], name="building_name_per_community")]

    def __str__(self):
        return self.name


class AccessPoint(models.Model):
    """An 出入口 device of a community's own systems (门禁、人脸门禁、车辆道闸、摄像头): where its leads
    come from. `device_code` is the code the external system gives the device."""

    class Kind(models.TextChoices):
        DOOR = "door", _("门禁")
        FACE = "face", _("人脸门禁")
        BARRIER = "barrier", _("车辆道闸")
        CAMERA = "camera", _("摄像头")

    community = models.ForeignKey(
        Community, verbose_name=_("社区"), related_name="access_points", on_delete=models.CASCADE
    )
    kind = models.CharField(_("类型"), max_length=10, choices=Kind.choices)
    name = models.CharField(_("名称"), max_length=60)
    device_code = models.CharField(_("设备编码"), max_length=64, blank=True)
    lat = models.FloatField(_("纬度"), validators=lat_validators)
    lon = models.FloatField(_("经度"), validators=lon_validators)

    class Meta:
        verbose_name = _("出入口设备")
        verbose_name_plural = _("出入口设备")
        ordering = ["community", "kind", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["community", "device_code"],
                condition=~models.Q(device_code=""),
                name="access_point_device_per_community",
            )
        ]

    def __str__(self):
        return self.name


class LeadSourceQuerySet(models.QuerySet):
    def visible_to(self, user):
        return self.filter(community__in=Community.objects.visible_to(user))


class LeadSource(models.Model):
    """A community system (a 小区's 门禁 platform, a camera platform) registered to post 线索 to the
    police. It authenticates with its own key, of which only a hash is kept and which is shown once
    when issued; a source posts only for its own community and can be switched off alone."""

    community = models.ForeignKey(
        Community, verbose_name=_("社区"), related_name="lead_sources", on_delete=models.CASCADE
    )
    name = models.CharField(_("系统名称"), max_length=60)
    key_hash = models.CharField(max_length=64, unique=True, editable=False)
    key_prefix = models.CharField(_("密钥前缀"), max_length=8, editable=False)
    active = models.BooleanField(_("启用"), default=True)
    created_at = models.DateTimeField(_("登记时间"), default=timezone.now)
    last_used_at = models.DateTimeField(_("最近上报"), null=True, blank=True)

    objects = LeadSourceQuerySet.as_manager()

    class Meta:
        verbose_name = _("线索来源系统")
        verbose_name_plural = _("线索来源系统")
        ordering = ["community", "name"]

    def __str__(self):
        return self.name

    @property
    def audit_label(self) -> str:
        """How the audit trail names the system when it posts a lead."""
        return f"lead-source:{self.key_prefix}"

    @staticmethod
    def hash_key(raw: str) -> str:
        return hashlib.sha256(raw.encode()).hexdigest()

    @staticmethod
    def new_key() -> str:
        return "cls_" + secrets.token_urlsafe(32)

    @classmethod
    def authenticate(cls, raw: str | None) -> "LeadSource | None":
        if not raw:
            return None
        return cls.objects.select_related("community").filter(key_hash=cls.hash_key(raw), active=True).first()


class LeadQuerySet(models.QuerySet):
    def visible_to(self, user):
        """A station sees the leads of its own communities, a branch its stations', the bureau all."""
        return self.filter(community__in=Community.objects.visible_to(user))


class Lead(models.Model):
    """A 线索 from a community system (a wanted person matched at a face gate, a stranger coming and
    going often, an odd vehicle), and what the officers made of it: checked, of no value, an arrest
    (抓获, with the incident or case it went into) or a solved case (破案). "Cases solved with
    community data" and "fugitives caught" are counted from these marks, never entered as figures."""

    class Kind(models.TextChoices):
        WATCHLIST = "watchlist", _("布控人员比中")
        STRANGER = "stranger", _("陌生人频繁出入")
        VEHICLE = "vehicle", _("车辆异常")
        OTHER = "other", _("其他")

    class Status(models.TextChoices):
        NEW = "new", _("待核查")
        CHECKED = "checked", _("已核查")
        USELESS = "useless", _("无价值")
        ARREST = "arrest", _("抓获")
        SOLVED = "solved", _("破案")

    community = models.ForeignKey(Community, verbose_name=_("社区"), related_name="leads", on_delete=models.CASCADE)
    source = models.ForeignKey(LeadSource, verbose_name=_("来源系统"), related_name="leads", on_delete=models.PROTECT)
    access_point = models.ForeignKey(
        AccessPoint,
        verbose_name=_("出入口设备"),
        related_name="leads",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
    )
    kind = models.CharField(_("线索类型"), max_length=10, choices=Kind.choices)
    occurred_at = models.DateTimeField(_("发生时间"), db_index=True)
    received_at = models.DateTimeField(_("接收时间"), default=timezone.now)
    description = models.TextField(_("线索内容"), max_length=2000)
    plate = EncryptedCharField(_("车牌号"), max_length=10)
    person_name = EncryptedCharField(_("人员姓名"), max_length=30)
    person_id_number = EncryptedCharField(_("人员身份证号"), max_length=18)
    status = models.CharField(_("核查结果"), max_length=10, choices=Status.choices, default=Status.NEW)
    case = models.ForeignKey(
        "cases.Case",
        verbose_name=_("关联案件"),
        related_name="community_leads",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
    )
    incident = models.ForeignKey(
        "incidents.Incident",
        verbose_name=_("关联警情"),
        related_name="community_leads",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
    )
    note = models.CharField(_("核查说明"), max_length=500, blank=True)
    marked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("核查民警"),
        related_name="+",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
    )
    marked_at = models.DateTimeField(_("核查时间"), null=True, blank=True)

    objects = LeadQuerySet.as_manager()

    class Meta:
        verbose_name = _("社区线索")
        verbose_name_plural = _("社区线索")
        ordering = ["-occurred_at", "-pk"]
        indexes = [models.Index(fields=["community", "status"])]

    def __str__(self):
        return f"{self.get_kind_display()} {self.occurred_at:%Y-%m-%d %H:%M}"
