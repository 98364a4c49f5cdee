from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AuditConfig(AppConfig):
    """The audit viewer (审计查看): the audit administrator reads, filters and exports the trail."""

    default_auto_field = "django.db.models.BigAutoField"
    name = "anmin.audit"
    label = "audit"
    verbose_name = _("安全审计")
