from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReviewsConfig(AppConfig):
    name = "anmin.reviews"
    verbose_name = _("案件评查与集体议案")
