"""战果统计: rollup tables kept current as incidents and cases change, and rebuildable from them.

Each figure a report prints is a sum over these tables; `anmin stats verify` recomputes every row from
the raw records and reports any difference (零差错). Two grains: a day table answers any range, a
month table answers whole months in a few rows (a year is 12 rows per key, not 365). Dimension
columns are plain integers (no foreign keys): a rollup row outlives nothing and is never joined on
write, and an upsert on its key is one statement on SQLite and PostgreSQL alike.

Days are local days (settings.TIME_ZONE, Asia/Shanghai): an incident received at 23:59:59 on
31 December local time belongs to that year, whatever UTC says.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _


class IncidentFigures(models.Model):
    """Valid incidents (有效警情: not cancelled) per station and category, with their arrivals."""

    station_id = models.IntegerField(_("派出所"))
    category_id = models.IntegerField(_("警情类别"))
    n = models.IntegerField(_("警情数"), default=0)
    arrived = models.IntegerField(_("已到场"), default=0)
    on_time = models.IntegerField(_("按时到场"), default=0)
    # Microseconds, summed exactly: a sum of whole seconds would drift from the raw recomputation.
    arrival_micros = models.BigIntegerField(_("到场用时合计（微秒）"), default=0)

    class Meta:
        abstract = True


class IncidentDay(IncidentFigures):
    day = models.DateField(_("日期"))

    class Meta:
        verbose_name = _("警情日汇总")
        verbose_name_plural = _("警情日汇总")
        constraints = [models.UniqueConstraint(fields=["day", "station_id", "category_id"], name="stats_incday_key")]


class IncidentMonth(IncidentFigures):
    month = models.DateField(_("月份"), help_text=_("当月 1 日"))

    class Meta:
        verbose_name = _("警情月汇总")
        verbose_name_plural = _("警情月汇总")
        constraints = [
            models.UniqueConstraint(fields=["month", "station_id", "category_id"], name="stats_incmonth_key")
        ]


class CellFigures(models.Model):
    """Valid incidents per grid cell and class: the heat map and the 零发案 share."""

    cell = models.CharField(_("网格"), max_length=16)
    klass = models.CharField(_("类别"), max_length=14)
    n = models.IntegerField(_("警情数"), default=0)

    class Meta:
        abstract = True


class CellDay(CellFigures):
    day = models.DateField(_("日期"))

    class Meta:
        verbose_name = _("网格日汇总")
        verbose_name_plural = _("网格日汇总")
        constraints = [models.UniqueConstraint(fields=["day", "cell", "klass"], name="stats_cellday_key")]


class CellMonth(CellFigures):
    month = models.DateField(_("月份"))

    class Meta:
        verbose_name = _("网格月汇总")
        verbose_name_plural = _("网格月汇总")
        constraints = [models.UniqueConstraint(fields=["month", "cell", "klass"], name="stats_cellmonth_key")]


class CaseFigures(models.Model):
    """Cases per handling organization, category (0: none recorded) and kind: 受案 counted on the day
    of acceptance, 立案 on the day of filing, 破案 on the day of solving."""

    organization_id = models.IntegerField(_("办案单位"))
    category_id = models.IntegerField(_("案件类别"), default=0)
    kind = models.CharField(_("案件类型"), max_length=16)
    accepted = models.IntegerField(_("受案数"), default=0)
    filed = models.IntegerField(_("立案数"), default=0)
    solved = models.IntegerField(_("破案数"), default=0)

    class Meta:
        abstract = True


class CaseDay(CaseFigures):
    day = models.DateField(_("日期"))

    class Meta:
        verbose_name = _("案件日汇总")
        verbose_name_plural = _("案件日汇总")
        constraints = [
            models.UniqueConstraint(fields=["day", "organization_id", "category_id", "kind"], name="stats_caseday_key")
        ]


class CaseMonth(CaseFigures):
    month = models.DateField(_("月份"))

    class Meta:
        verbose_name = _("案件月汇总")
        verbose_name_plural = _("案件月汇总")
        constraints = [
            models.UniqueConstraint(
                fields=["month", "organization_id", "category_id", "kind"], name="stats_casemonth_key"
            )
        ]


class SurveyFigures(models.Model):
    """群众满意度回访 answers per responsible organization, officer (0: none), service item (0: none)
    and kind (incident / application), counted on the local day of the answer."""

    organization_id = models.IntegerField(_("责任单位"))
    officer_id = models.IntegerField(_("责任民警"), default=0)
    service_item_id = models.IntegerField(_("服务事项"), default=0)
    kind = models.CharField(_("事项类型"), max_length=12)
    satisfied = models.IntegerField(_("满意"), default=0)
    basic = models.IntegerField(_("基本满意"), default=0)
    dissatisfied = models.IntegerField(_("不满意"), default=0)
    answered = models.IntegerField(_("答复数"), default=0)

    class Meta:
        abstract = True


class SurveyDay(SurveyFigures):
    day = models.DateField(_("日期"))

    class Meta:
        verbose_name = _("满意度日汇总")
        verbose_name_plural = _("满意度日汇总")
        constraints = [
            models.UniqueConstraint(
                fields=["day", "organization_id", "officer_id", "service_item_id", "kind"], name="stats_surveyday_key"
            )
        ]


class SurveyMonth(SurveyFigures):
    month = models.DateField(_("月份"))

    class Meta:
        verbose_name = _("满意度月汇总")
        verbose_name_plural = _("满意度月汇总")
        constraints = [
            models.UniqueConstraint(
                fields=["month", "organization_id", "officer_id", "service_item_id", "kind"],
                name="stats_surveymonth_key",
            )
        ]
