"""The grid (网格): H3 cells assigned to a jurisdiction and an area type; posts and patrol lines."""

import h3
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models, transaction
from django.utils.translation import gettext_lazy as _
from shapely.geometry import LineString

from anmin.core.cache import TtlCache
from anmin.geo import naming
from anmin.org.models import Organization

#: Arrival targets per area type, per process; cleared when one is saved (GeoConfig.ready).
target_cache = TtlCache("arrival-targets", ttl=60)
#: H3 index → GridCell with its jurisdiction, per process.
cell_cache = TtlCache("grid-cells", ttl=60)

lat_validators = [MinValueValidator(-90), MaxValueValidator(90)]
lon_validators = [MinValueValidator(-180), MaxValueValidator(180)]


class AreaType(models.TextChoices):
    URBAN = "urban", _("城区")
    SUBURBAN = "suburban", _("城郊")
    RURAL = "rural", _("农村")


DEFAULT_TARGET_MINUTES = {AreaType.URBAN: 5, AreaType.SUBURBAN: 10, AreaType.RURAL: 20}


class ArrivalTarget(models.Model):
    """How fast police must arrive in an area type (到场时限): 城区 5 分钟、城郊 10 分钟, configurable."""

    area_type = models.CharField(_("区域类型"), max_length=10, choices=AreaType.choices, unique=True)
    minutes = models.PositiveSmallIntegerField(_("到场时限（分钟）"), validators=[MinValueValidator(1)])

    class Meta:
        verbose_name = _("到场时限")
        verbose_name_plural = _("到场时限")

    def __str__(self):
        return f"{self.get_area_type_display()} {self.minutes} 分钟"

    @classmethod
    def minutes_for(cls, area_type: str) -> int:
        found = target_cache.get(
            area_type, lambda: cls.objects.filter(area_type=area_type).values_list("minutes", flat=True).first()
        )
        return found or DEFAULT_TARGET_MINUTES.get(area_type, 20)


class GridCellQuerySet(models.QuerySet):
    def visible_to(self, user):
        return self.filter(jurisdiction__in=Organization.objects.visible_to(user))

    def bulk_create(self, objs, *args, **kwargs):
        """Cells built in bulk (the demo city, an import) are named here, as save() names one: the
        next numbers of their station, nearest to it first."""
        objs = list(objs)
        unnamed = [cell for cell in objs if not cell.name]
        if unnamed:
            stations = {cell.jurisdiction_id for cell in unnamed}
            naming.assign(
                unnamed,
                labels=naming.station_labels(Organization.objects, stations),
                origins=naming.station_origins(Post.objects, stations),
                last=naming.last_numbers(self.model.objects, stations),
            )
        return super().bulk_create(objs, *args, **kwargs)


class GridCell(models.Model):
    """One H3 cell of the patrol grid (网格) and the 派出所 responsible for it (责任区).

    Users read a cell by its `name` (河西所第17网格, see `anmin.geo.naming`); the H3 index is the
    key the code and the API's clients use, never text a user reads."""

    h3 = models.CharField(_("H3 编号"), max_length=16, primary_key=True)
    name = models.CharField(
        _("网格名称"),
        max_length=80,
        db_index=True,
        editable=False,
        help_text=_("按派出所自动编号：距派出所驻地由近及远，新增或改划的网格取该所下一个编号"),
    )
    jurisdiction = models.ForeignKey(
        Organization,
        verbose_name=_("责任单位"),
        related_name="grid_cells",
        on_delete=models.PROTECT,
        limit_choices_to={"kind": Organization.Kind.STATION},
    )
    area_type = models.CharField(_("区域类型"), max_length=10, choices=AreaType.choices, default=AreaType.URBAN)
    target_minutes = models.PositiveSmallIntegerField(
        _("到场时限（分钟）"), null=True, blank=True, help_text=_("留空则按区域类型的到场时限")
    )
    lat = models.FloatField(_("中心纬度"), editable=False)
    lon = models.FloatField(_("中心经度"), editable=False)

    objects = GridCellQuerySet.as_manager()

    class Meta:
        verbose_name = _("网格")
        verbose_name_plural = _("网格")
        indexes = [models.Index(fields=["lat", "lon"])]
        constraints = [models.UniqueConstraint(fields=["jurisdiction", "name"], name="geo_gridcell_name_per_station")]

    def __str__(self):
        return self.name or str(_("（未命名网格）"))

    @classmethod
    def from_db(cls, db, field_names, values):
        cell = super().from_db(db, field_names, values)
        # What the row held, so save() knows when the cell was handed to another station.
        if "jurisdiction_id" in cell.__dict__:
            cell._stored_jurisdiction_id = cell.jurisdiction_id
        return cell

    def clean(self):
        if not h3.is_valid_cell(self.h3):
            raise ValidationError({"h3": _("不是有效的 H3 网格编号")})

    def save(self, *args, **kwargs):
        self.lat, self.lon = h3.cell_to_latlng(self.h3)
        moved = getattr(self, "_stored_jurisdiction_id", self.jurisdiction_id) != self.jurisdiction_id
        if self.name and not moved:
            super().save(*args, **kwargs)
            return
        with transaction.atomic():
            # The station's row locked: two cells added at once cannot take the same number.
            Organization.objects.select_for_update().filter(pk=self.jurisdiction_id).first()
            naming.assign(
                [self],
                labels=naming.station_labels(Organization.objects, [self.jurisdiction_id]),
                origins={},
                last=naming.last_numbers(GridCell.objects.exclude(pk=self.pk), [self.jurisdiction_id]),
            )
            if kwargs.get("update_fields") is not None:
                kwargs["update_fields"] = {*kwargs["update_fields"], "name"}
            super().save(*args, **kwargs)
        self._stored_jurisdiction_id = self.jurisdiction_id

    def arrival_minutes(self) -> int:
        return self.target_minutes or ArrivalTarget.minutes_for(self.area_type)

    def boundary(self) -> list[list[float]]:
        return [[lat, lon] for lat, lon in h3.cell_to_boundary(self.h3)]

    @classmethod
    def locate(cls, lat: float, lon: float) -> "GridCell | None":
        """The grid cell containing a WGS-84 point, or None outside the city."""
        cell = h3.latlng_to_cell(lat, lon, settings.GRID_RESOLUTION)
        # Every intake (and every imported row) asks this: cells are cached per process, cleared
        # when a cell or an organization is saved (GeoConfig.ready).
        return cell_cache.get(cell, lambda: cls.objects.select_related("jurisdiction").filter(pk=cell).first())


class Post(models.Model):
    """A fixed point of the deployment: 特警驻点, 交警岗点, 警务站, 路面检查站."""

    class Kind(models.TextChoices):
        SWAT = "swat", _("特警驻点")
        TRAFFIC = "traffic", _("交警岗点")
        STREET = "street", _("警务站")
        CHECKPOINT = "checkpoint", _("路面检查站")
        STATION = "station", _("派出所驻地")

    name = models.CharField(_("名称"), max_length=60)
    kind = models.CharField(_("类型"), max_length=12, choices=Kind.choices)
    organization = models.ForeignKey(
        Organization, verbose_name=_("所属单位"), related_name="posts", on_delete=models.PROTECT
    )
    lat = models.FloatField(_("纬度"), validators=lat_validators)
    lon = models.FloatField(_("经度"), validators=lon_validators)

    class Meta:
        verbose_name = _("点位")
        verbose_name_plural = _("点位")
        ordering = ["kind", "name"]

    def __str__(self):
        return self.name


class PatrolLine(models.Model):
    """A patrol route (巡线) as a polyline of WGS-84 points [[lat, lon], …]."""

    name = models.CharField(_("名称"), max_length=60)
    organization = models.ForeignKey(
        Organization, verbose_name=_("所属单位"), related_name="patrol_lines", on_delete=models.PROTECT
    )
    points = models.JSONField(_("线路坐标"), help_text=_("[[纬度, 经度], …]，至少两个点"))

    class Meta:
        verbose_name = _("巡线")
        verbose_name_plural = _("巡线")

    def __str__(self):
        return self.name

    def clean(self):
        points = self.points
        if not isinstance(points, list) or not all(
            isinstance(p, list | tuple)
            and len(p) == 2
            and all(isinstance(v, int | float) and not isinstance(v, bool) for v in p)
            and -90 <= p[0] <= 90
            and -180 <= p[1] <= 180
            for p in points
        ):
            raise ValidationError({"points": _("线路坐标格式应为 [[纬度, 经度], …]")})
        if len({tuple(p) for p in points}) < 2 or not LineString([(lon, lat) for lat, lon in points]).is_valid:
            raise ValidationError({"points": _("巡线至少需要两个不同的点")})

    def length_m(self) -> float:
        from anmin.geo.coords import distance_m

        return sum(distance_m(*a, *b) for a, b in zip(self.points, self.points[1:], strict=False))


class Place(models.Model):
    """A named place call-takers type in (地名地址): a landmark, a residential community, a crossroads.

    Intranets have no online geocoder, so the address box searches this local gazetteer.
    """

    name = models.CharField(_("地名"), max_length=80, db_index=True)
    address = models.CharField(_("地址"), max_length=120, blank=True)
    lat = models.FloatField(_("纬度"), validators=lat_validators)
    lon = models.FloatField(_("经度"), validators=lon_validators)

    class Meta:
        verbose_name = _("地名")
        verbose_name_plural = _("地名")
        ordering = ["name"]

    def __str__(self):
        return self.name
