import logging

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

log = logging.getLogger(__name__)


def keep_position(sender, *, unit, lat, lon, at, **kwargs):
    """The dispatch app announces each reported position after it commits; its history is kept
    here. A failure is logged, not raised: the report itself has already been accepted."""
    from anmin.patrol.actions import RecordPositionFix

    try:
        RecordPositionFix(unit=unit, lat=lat, lon=lon, at=at).execute()
    except Exception:
        log.exception("could not keep the position of unit %s", unit.pk)


class PatrolConfig(AppConfig):
    name = "anmin.patrol"
    verbose_name = _("警情研判与巡控")

    def ready(self):
        from anmin.dispatch.signals import position_reported

        position_reported.connect(keep_position, dispatch_uid="patrol.keep_position")
