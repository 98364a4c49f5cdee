from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class StatsConfig(AppConfig):
    name = "anmin.stats"
    verbose_name = _("统计分析")

    def ready(self):
        from django.db.models.signals import post_migrate

        from anmin.stats import rollups

        rollups.connect()
        post_migrate.connect(rollups.fill_if_empty, sender=self)
