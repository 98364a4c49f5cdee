from django.contrib import admin
from django.contrib.auth.admin import UserAdmin
from django.utils.translation import gettext_lazy as _

from anmin.org.models import ApiToken, Officer, Organization


@admin.register(Organization)
class OrganizationAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "kind", "parent", "division_code", "commands_all")
    list_filter = ("kind", "commands_all")
    search_fields = ("code", "name", "short_name")
    autocomplete_fields = ("parent",)


@admin.register(Officer)
class OfficerAdmin(UserAdmin):
    list_display = (
        "badge_number",
        "full_name",
        "username",
        "rank",
        "role",
        "organization",
        "is_active",
        "locked_until",
    )
    list_filter = ("role", "rank", "is_active", "organization__kind")
    search_fields = ("badge_number", "full_name", "username", "phone")
    autocomplete_fields = ("organization",)
    ordering = ("badge_number",)
    fieldsets = (
        (None, {"fields": ("username", "password")}),
        (_("警员信息"), {"fields": ("badge_number", "full_name", "rank", "phone", "organization", "role")}),
        (_("状态"), {"fields": ("is_active", "is_staff", "is_superuser", "locked_until", "last_login")}),
    )
    add_fieldsets = (
        (
            None,
            {
                "fields": (
                    "username",
                    "badge_number",
                    "full_name",
                    "organization",
                    "role",
                    "password1",
                    "password2",
                )
            },
        ),
    )
    readonly_fields = ("last_login",)


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ("prefix", "officer", "name", "created_at", "last_used_at", "revoked")
    list_filter = ("revoked",)
    readonly_fields = ("prefix", "created_at", "last_used_at")

    def has_add_permission(self, request):
        return False  # tokens are shown once, so they are issued by `anmin token create`
