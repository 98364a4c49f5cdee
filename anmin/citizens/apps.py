from django.apps import AppConfig
from django.conf import settings
from django.core import checks
from django.utils.module_loading import import_string
from django.utils.translation import gettext_lazy as _


def _names(setting: str, dotted: str) -> bool:
    """Whether the class the setting names is `dotted` or a subclass of it."""
    value = getattr(settings, setting, "")
    if not value:
        return False
    try:
        cls = import_string(value)
    except ImportError:
        return value == dotted
    return isinstance(cls, type) and issubclass(cls, import_string(dotted))


def development_stand_ins(app_configs=None, **kwargs) -> list[checks.CheckMessage]:
    """The development SMS gateway and real-name verifier must never serve a production server:
    one writes sign-in codes and survey links to the log, the other verifies anyone who types a
    demo identity. Run before every management command, `anmin serve` included, so the server
    does not start with them unless DEBUG is on."""
    from anmin.citizens.realname import DEMO_VERIFIER_IN_PRODUCTION
    from anmin.citizens.sms import LOG_BACKEND_IN_PRODUCTION

    if settings.DEBUG:
        return []
    errors = []
    if _names("SMS_BACKEND", "anmin.citizens.sms.LogBackend"):
        errors.append(checks.Error(LOG_BACKEND_IN_PRODUCTION, id="anmin.E031"))
    if _names("REALNAME_VERIFIER", "anmin.citizens.realname.DemoVerifier"):
        errors.append(checks.Error(DEMO_VERIFIER_IN_PRODUCTION, id="anmin.E032"))
    return errors


def production_gateways(app_configs=None, **kwargs) -> list[checks.CheckMessage]:
    """`check --deploy`: the portal cannot send a code or verify anyone without these."""
    warnings = []
    if not settings.SMS_BACKEND:
        warnings.append(
            checks.Warning(
                "SMS_BACKEND is not set: citizens cannot sign in on the portal (no code can be sent)",
                id="anmin.W031",
            )
        )
    if _names("REALNAME_VERIFIER", "anmin.citizens.realname.PopulationServiceVerifier") and not (
        settings.REALNAME_SERVICE_URL
    ):
        warnings.append(
            checks.Warning(
                "REALNAME_SERVICE_URL is not set: real-name verification answers 'service unavailable'",
                id="anmin.W032",
            )
        )
    return warnings


class CitizensConfig(AppConfig):
    name = "anmin.citizens"
    verbose_name = _("群众账号")

    def ready(self):
        checks.register(development_stand_ins, checks.Tags.security)
        checks.register(production_gateways, checks.Tags.security, deploy=True)
