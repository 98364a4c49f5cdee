"""标准地址库: the bureau's standard addresses, from 区县 down to 门牌 and 楼栋, and the places people name.

A caller says "河西王庄" or "衡水学院东门"; the call-taker needs a point on the map and the address as
the bureau writes it. Divisions (区县、乡镇/街道、村/社区) carry their statistical codes (GB/T 2260 and
the 统计用区划代码); roads, houses, compounds, buildings and POIs carry codes the bureau assigns (or
`generated_code` makes). Where a point is only a placement inside the right division, not a survey,
`approximate` says so, and the map shows it as such.
"""

import hashlib

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models, transaction
from django.db.models import F
from django.utils.translation import gettext_lazy as _

#: What every full address begins with: the library is one city's.
PREFIX = "河北省衡水市"
#: The code of the city, parent of the county-level divisions' codes.
CITY_CODE = "131100"


class Level(models.TextChoices):
    COUNTY = "county", _("区县")
    TOWN = "town", _("乡镇/街道")
    VILLAGE = "village", _("村/社区")
    ROAD = "road", _("道路/街巷")
    HOUSE = "house", _("门牌")
    COMPOUND = "compound", _("小区")
    BUILDING = "building", _("楼栋")
    POI = "poi", _("兴趣点")


#: Which levels an entry of each level may hang under (None: the city itself).
PARENT_LEVELS: dict[str, tuple[str | None, ...]] = {
    Level.COUNTY: (None,),
    Level.TOWN: (Level.COUNTY,),
    Level.VILLAGE: (Level.TOWN,),
    Level.ROAD: (Level.COUNTY, Level.TOWN),
    Level.COMPOUND: (Level.COUNTY, Level.TOWN, Level.VILLAGE, Level.ROAD),
    Level.HOUSE: (Level.ROAD, Level.VILLAGE, Level.COMPOUND),
    Level.BUILDING: (Level.COMPOUND, Level.HOUSE, Level.POI),
    Level.POI: (None, Level.COUNTY, Level.TOWN, Level.VILLAGE, Level.ROAD, Level.COMPOUND, Level.HOUSE),
}


class Category(models.TextChoices):
    """What kind of place a 兴趣点 is: the call-taker's list shows it beside the name."""

    SCHOOL = "school", _("学校")
    HOSPITAL = "hospital", _("医院")
    STATION = "station", _("车站")
    MARKET = "market", _("市场")
    GOVERNMENT = "government", _("政府")
    SCENIC = "scenic", _("景区")
    VENUE = "venue", _("场馆")
    ENTERPRISE = "enterprise", _("企业")
    OTHER = "other", _("其他")


lat_validators = [MinValueValidator(-90), MaxValueValidator(90)]
lon_validators = [MinValueValidator(-180), MaxValueValidator(180)]


def generated_code(level: str, parent_code: str | None, name: str) -> str:
    """A stable code for an entry the statistical codes do not cover (a road, a POI): the same
    parent, level and name give the same code on every load, so reloading finds the row again."""
    digest = hashlib.sha1(f"{level}|{name}".encode(), usedforsecurity=False).hexdigest()[:8]
    return f"{parent_code or CITY_CODE}-{level[0].upper()}{digest}"


class Address(models.Model):
    """One standard address (标准地址): a division, a road, a house number, a compound, a building
    or a place of interest, with its point (WGS-84) and the other names people use for it."""

    code = models.CharField(_("地址编码"), max_length=40, unique=True)
    name = models.CharField(_("名称"), max_length=80)
    full_name = models.CharField(_("完整地址"), max_length=300)
    level = models.CharField(_("层级"), max_length=10, choices=Level.choices, db_index=True)
    # By code, not by row id: codes are what files and other systems name, and a whole level can be
    # written in one statement without first learning the ids of its parents.
    parent = models.ForeignKey(
        "self",
        verbose_name=_("上级地址"),
        to_field="code",
        db_column="parent_code",
        related_name="children",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
    )
    aliases = models.JSONField(_("别名"), default=list, blank=True, help_text=_("简称、俗称，多个用顿号分隔"))
    category = models.CharField(_("类别"), max_length=12, choices=Category.choices, blank=True)
    lat = models.FloatField(_("纬度"), null=True, blank=True, validators=lat_validators)
    lon = models.FloatField(_("经度"), null=True, blank=True, validators=lon_validators)
    approximate = models.BooleanField(
        _("近似位置"), default=False, help_text=_("位置是在所属区划内推算的，不是实测点位")
    )
    updated = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = _("标准地址")
        verbose_name_plural = _("标准地址")
        ordering = ["code"]

    def __str__(self):
        return self.full_name or self.name


class IndexVersion(models.Model):
    """How many times the library changed: every process's match index compares it with the number
    it was built from, and rebuilds when another process (an import, an edit in the admin) wrote."""

    number = models.PositiveBigIntegerField(default=0)

    class Meta:
        verbose_name = _("地址库版本")
        verbose_name_plural = _("地址库版本")

    @classmethod
    def current(cls) -> int:
        return cls.objects.filter(pk=1).values_list("number", flat=True).first() or 0

    @classmethod
    def bump(cls, *args, **kwargs) -> None:
        """Also a signal receiver. Counted up in the database, so concurrent writers never lose one."""

        def write() -> None:
            if not cls.objects.filter(pk=1).update(number=F("number") + 1):
                cls.objects.get_or_create(pk=1, defaults={"number": 1})

        # After the commit: a rolled-back import must not make every process rebuild for nothing,
        # and a process rebuilding during the transaction would not see its rows.
        transaction.on_commit(write)
