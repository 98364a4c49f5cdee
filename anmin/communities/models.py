"""智慧平安社区: the residential communities (小区) and villages (村) the police look after.

Residents are not bulk-imported (PIPL): a community holds its place, its people in charge (社区民警,
网格员) and its buildings and access points; the only persons linked to it are those the police
already record for their own reasons (parties of incidents, cases and disputes).
"""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from anmin.geo.models import lat_validators, lon_validators
from anmin.org.models import Organization, scope_path


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

    name = models.CharField(_("名称"), max_length=80)
    kind = models.CharField(_("类型"), max_length=10, choices=Kind.choices)
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

    objects = CommunityQuerySet.as_manager()

    class Meta:
        verbose_name = _("社区")
        verbose_name_plural = _("社区")
        ordering = ["station__code", "name"]
        constraints = [models.UniqueConstraint(fields=["station", "name"], name="community_name_per_station")]

    def __str__(self):
        return self.name
