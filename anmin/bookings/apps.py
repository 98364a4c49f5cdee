from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class BookingsConfig(AppConfig):
    name = "anmin.bookings"
    verbose_name = _("预约与约考")

    def ready(self):
        from anmin.citizens.portal import Tile, register

        register(
            Tile(
                title=_("窗口预约"),
                subtitle=_("户政、车管业务预约办理"),
                url_name="bookings:offices",
                order=30,
                icon="calendar",
            )
        )
        register(
            Tile(
                title=_("驾驶人约考"),
                subtitle=_("科目一至科目四预约考试"),
                url_name="bookings:exams",
                order=31,
                icon="steering",
            )
        )
