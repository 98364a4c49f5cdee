from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReportsConfig(AppConfig):
    name = "anmin.reports"
    verbose_name = _("群众上报")

    def ready(self):
        from anmin.citizens.portal import Tile, register

        register(
            Tile(
                title=_("事故快处"),
                subtitle=_("轻微财损事故，在线协商或定责"),
                url_name="reports:portal-accident-new",
                order=30,
                icon="car",
            )
        )
        register(
            Tile(
                title=_("网上报警求助"),
                subtitle=_("非紧急情况在线报警"),
                url_name="reports:portal-online-new",
                order=31,
                icon="alert",
            )
        )
        register(
            Tile(
                title=_("举报线索"),
                subtitle=_("匿名举报，凭查询码看答复"),
                url_name="reports:portal-tip-new",
                order=32,
                icon="eye",
            )
        )
        register(
            Tile(
                title=_("走失人员"),
                subtitle=_("家人走失，立即报告"),
                url_name="reports:portal-missing-new",
                order=33,
                icon="person",
            )
        )
        register(
            Tile(
                title=_("我的事项"),
                subtitle=_("上报事项进度与警民互动"),
                url_name="reports:portal",
                order=34,
                icon="chat",
            )
        )
