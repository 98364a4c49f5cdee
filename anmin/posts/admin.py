"""The 达标 standards and the rings are configuration the bureau revises: kept in the admin, like the
arrival targets. Rosters, checks and the wanted lists are police work done through the pages."""

from django.contrib import admin

from anmin.posts.models import PostRing, PostStandard


@admin.register(PostStandard)
class PostStandardAdmin(admin.ModelAdmin):
    list_display = (
        "__str__",
        "post_kind",
        "manned_hours_per_day",
        "min_checks_per_shift",
        "late_grace_minutes",
        "radius_m",
        "shift_pattern",
    )
    list_filter = ("post_kind",)
    raw_id_fields = ("post",)


@admin.register(PostRing)
class PostRingAdmin(admin.ModelAdmin):
    list_display = ("post", "ring")
    list_filter = ("ring",)
    raw_id_fields = ("post",)
