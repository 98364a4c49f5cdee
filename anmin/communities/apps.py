from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CommunitiesConfig(AppConfig):
    name = "anmin.communities"
    verbose_name = _("智慧平安社区")
