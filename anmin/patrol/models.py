"""警情研判与巡控: units' position history, and the patrol plans (巡逻方案) made from the hotspots."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from anmin.dispatch.models import Unit
from anmin.org.models import Organization, scope_path


class PositionFix(models.Model):
    """One reported position of a unit (定位点): the history that shows where a patrol actually went.

    The unit row keeps only the last position; these are kept from the phone's reports (the
    dispatch app announces each one after it commits), so a shift's coverage of its plan can be
    measured afterwards."""

    unit = models.ForeignKey(Unit, verbose_name=_("警力"), related_name="position_fixes", on_delete=models.CASCADE)
    lat = models.FloatField(_("纬度"))
    lon = models.FloatField(_("经度"))
    at = models.DateTimeField(_("定位时间"))

    class Meta:
        verbose_name = _("定位点")
        verbose_name_plural = _("定位点")
        indexes = [models.Index(fields=["unit", "at"])]

    def __str__(self):
        return f"{self.unit} {self.at:%Y-%m-%d %H:%M:%S}"


class PatrolPlanQuerySet(models.QuerySet):
    def visible_to(self, user):
        """A station sees its own units' plans, a branch its stations', the bureau all."""
        path = scope_path(user)
        if path is None:
            return self.none()
        return self.filter(station__path__startswith=path) if path else self


class Shift(models.TextChoices):
    """The two patrol shifts of a day (白班 08–20, 夜班 20–08 the next morning)."""

    DAY = "day", _("白班（08:00–20:00）")
    NIGHT = "night", _("夜班（20:00–次日08:00）")


#: Start and end hour of each shift; a night shift ends the next morning.
SHIFT_HOURS = {Shift.DAY: (8, 20), Shift.NIGHT: (20, 8)}


class PatrolPlan(models.Model):
    """A suggested patrol (巡逻方案) for one unit and shift: the points to be present at (the hottest
    grid cells within the unit's reach) and a line (巡线) through them from the unit's base.

    `points` are [{"lat", "lon", "cell", "name", "score"}] in the order of the line; `line` is
    [[lat, lon], …] from the base through the points and back; `params` hold the reach, the number
    of points and the hotspot weights that made it, so a plan can be explained later."""

    unit = models.ForeignKey(Unit, verbose_name=_("警力"), related_name="patrol_plans", on_delete=models.CASCADE)
    station = models.ForeignKey(
        Organization, verbose_name=_("派出所"), related_name="patrol_plans", on_delete=models.PROTECT
    )
    shift = models.CharField(_("班次"), max_length=8, choices=Shift.choices)
    shift_start = models.DateTimeField(_("班次开始"))
    shift_end = models.DateTimeField(_("班次结束"))
    points = models.JSONField(_("巡逻点"), default=list)
    line = models.JSONField(_("巡线"), default=list)
    params = models.JSONField(_("生成参数"), default=dict)
    created_at = models.DateTimeField(_("生成时间"), auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("生成人"), null=True, blank=True, on_delete=models.SET_NULL
    )

    objects = PatrolPlanQuerySet.as_manager()

    class Meta:
        verbose_name = _("巡逻方案")
        verbose_name_plural = _("巡逻方案")
        ordering = ["shift_start", "unit__callsign"]
        constraints = [models.UniqueConstraint(fields=["unit", "shift_start"], name="patrol_plan_one_per_shift")]
        indexes = [models.Index(fields=["station", "shift_start"])]

    def __str__(self):
        return f"{self.unit} {self.get_shift_display()} {self.shift_start:%Y-%m-%d}"
