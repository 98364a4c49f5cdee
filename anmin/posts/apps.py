from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PostsConfig(AppConfig):
    name = "anmin.posts"
    verbose_name = _("警务站与检查站")
