from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FeedbackConfig(AppConfig):
    name = "anmin.feedback"
    verbose_name = _("群众满意度")

    def ready(self):
        from anmin.feedback import receivers

        # Surveys open when dispatch and services announce a closed matter, not on saves of their models.
        receivers.connect()
