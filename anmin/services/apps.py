from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ServicesConfig(AppConfig):
    name = "anmin.services"
    verbose_name = _("政务服务")

    def ready(self):
        from anmin.citizens.portal import Tile, register

        register(
            Tile(
                title=_("办事服务"),
                subtitle=_("身份证、户口、无犯罪记录证明、驾驶证"),
                url_name="services:portal",
                order=10,
                icon="id-card",
            )
        )
        register(
            Tile(
                title=_("我的办件"),
                subtitle=_("进度、补正、留言"),
                url_name="services:portal-applications",
                order=11,
                icon="clipboard",
            )
        )
        register(
            Tile(
                title=_("进度查询"),
                subtitle=_("凭办件编号，无需登录"),
                url_name="services:progress",
                order=12,
                icon="search",
            )
        )
