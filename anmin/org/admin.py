"""The admin of units, officers (accounts) and API tokens.

Accounts and tokens are the security administrator's (三权分立, see anmin.core.duties): the system
administrator manages the units here and cannot open an account, change a role or set a password.
Every change to an account or a token is a security event in the audit trail (account.*,
token.*), written in the admin's own transaction."""

from django import forms
from django.contrib import admin, messages
from django.contrib.auth.admin import GroupAdmin, UserAdmin
from django.contrib.auth.models import Group, Permission
from django.contrib.contenttypes.models import ContentType
from django.utils.translation import gettext_lazy as _

from anmin.core.actions import write_transaction
from anmin.core.audit import client_address
from anmin.core.duties import may
from anmin.core.models import append_audit
from anmin.org.models import ApiToken, Officer, Organization


def _audit(request, action: str, obj, data: dict | None = None) -> None:
    append_audit(actor=request.user, action=action, obj=obj, data=data, address=client_address(request))


class SecurityAdminOnly:
    """Changed by the security administrator only, whatever Django's permission tables or a
    superuser flag say (the policy is anmin.core.duties.may)."""

    def _may(self, request, action: str) -> bool:
        return may(request.user, action, self.model._meta.label_lower)

    def has_module_permission(self, request):
        return self._may(request, "view")

    def has_view_permission(self, request, obj=None):
        return self._may(request, "view")

    def has_add_permission(self, request, *args):
        return self._may(request, "add")

    def has_change_permission(self, request, obj=None):
        return self._may(request, "change")

    def has_delete_permission(self, request, obj=None):
        return self._may(request, "delete")


@admin.register(Organization)
class OrganizationAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "kind", "parent", "division_code", "commands_all")
    list_filter = ("kind", "commands_all")
    search_fields = ("code", "name", "short_name")
    autocomplete_fields = ("parent",)


#: What an account change records, field by field (the password never, only that it was set).
WATCHED = ("role", "is_active", "is_staff", "organization_id", "username", "badge_number")


@admin.register(Officer)
class OfficerAdmin(SecurityAdminOnly, UserAdmin):
    list_display = ("badge_number", "full_name", "username", "rank", "role", "organization", "is_active")
    list_filter = ("role", "rank", "is_active", "organization__kind")
    search_fields = ("badge_number", "full_name", "username")
    autocomplete_fields = ("organization",)
    ordering = ("badge_number",)
    # No superuser flag, groups or per-user permissions: what an account may do follows from its role.
    fieldsets = (
        (None, {"fields": ("username", "password")}),
        (_("警员信息"), {"fields": ("badge_number", "full_name", "rank", "phone", "organization", "role")}),
        (_("状态"), {"fields": ("is_active", "is_staff", "last_login")}),
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
    actions = ["deactivate"]

    def save_model(self, request, obj, form, change):
        before = Officer.objects.filter(pk=obj.pk).values(*WATCHED).first() if change else None
        super().save_model(request, obj, form, change)
        if not change:
            _audit(
                request,
                "account.created",
                obj,
                {"username": obj.username, "role": obj.role, "organization": obj.organization_id},
            )
            return
        after = {name: getattr(obj, name) for name in WATCHED}
        changed = {name: [before[name], after[name]] for name in WATCHED if before and before[name] != after[name]}
        if "role" in changed:
            _audit(request, "account.role_changed", obj, {"from": changed["role"][0], "to": changed["role"][1]})
        if "is_active" in changed:
            _audit(request, "account.enabled" if obj.is_active else "account.disabled", obj)
        rest = {name: value for name, value in changed.items() if name not in ("role", "is_active")}
        if rest:
            _audit(request, "account.changed", obj, {"changed": rest})

    def delete_model(self, request, obj):
        _audit(request, "account.deleted", obj, {"username": obj.username, "role": obj.role})
        super().delete_model(request, obj)

    def delete_queryset(self, request, queryset):
        for officer in queryset:
            _audit(request, "account.deleted", officer, {"username": officer.username, "role": officer.role})
        super().delete_queryset(request, queryset)

    def user_change_password(self, request, id, form_url=""):
        # The password form saves without save_model: compare the stored hash around it. The
        # change and its audit entry commit together.
        with write_transaction():
            before = Officer.objects.filter(pk=id).values_list("password", flat=True).first()
            response = super().user_change_password(request, id, form_url)
            officer = Officer.objects.filter(pk=id).first()
            if officer is not None and before is not None and officer.password != before:
                _audit(request, "account.password_set", officer, {"usable": officer.has_usable_password()})
        return response

    @admin.action(description=_("停用所选账号"))
    def deactivate(self, request, queryset):
        with write_transaction():
            officers = list(queryset.filter(is_active=True).exclude(pk=request.user.pk))
            for officer in officers:
                officer.is_active = False
                officer.save(update_fields=["is_active"])
                _audit(request, "account.disabled", officer)
        self.message_user(request, _("已停用 %(n)s 个账号") % {"n": len(officers)}, messages.SUCCESS)


@admin.register(ApiToken)
class ApiTokenAdmin(SecurityAdminOnly, admin.ModelAdmin):
    list_display = ("prefix", "officer", "name", "created_at", "last_used_at", "revoked")
    list_filter = ("revoked",)
    fields = ("officer", "name", "prefix", "created_at", "last_used_at", "revoked")
    readonly_fields = ("officer", "prefix", "created_at", "last_used_at")
    actions = ["revoke"]

    def has_add_permission(self, request):
        return False  # tokens are shown once, so they are issued by `anmin token create`

    def save_model(self, request, obj, form, change):
        was_revoked = ApiToken.objects.filter(pk=obj.pk).values_list("revoked", flat=True).first()
        super().save_model(request, obj, form, change)
        if obj.revoked and not was_revoked:
            _audit(request, "token.revoked", obj, {"prefix": obj.prefix, "officer": obj.officer_id})
        elif was_revoked and not obj.revoked:
            _audit(request, "token.restored", obj, {"prefix": obj.prefix, "officer": obj.officer_id})

    def delete_model(self, request, obj):
        _audit(request, "token.revoked", obj, {"prefix": obj.prefix, "officer": obj.officer_id, "deleted": True})
        super().delete_model(request, obj)

    def delete_queryset(self, request, queryset):
        for token in queryset:
            _audit(
                request, "token.revoked", token, {"prefix": token.prefix, "officer": token.officer_id, "deleted": True}
            )
        super().delete_queryset(request, queryset)

    @admin.action(description=_("吊销所选令牌"))
    def revoke(self, request, queryset):
        with write_transaction():
            tokens = list(queryset.filter(revoked=False))
            for token in tokens:
                token.revoked = True
                token.save(update_fields=["revoked"])
                _audit(request, "token.revoked", token, {"prefix": token.prefix, "officer": token.officer_id})
        self.message_user(request, _("已吊销 %(n)s 个令牌") % {"n": len(tokens)}, messages.SUCCESS)


#: The four permissions Django makes for every model, by codename prefix.
PERMISSION_VERBS = {"add": _("添加"), "change": _("修改"), "delete": _("删除"), "view": _("查看")}


class PermissionChoiceField(forms.ModelMultipleChoiceField):
    """A permission as "单位 | 添加" rather than Django's stored English ("Can add organization")."""

    def label_from_instance(self, permission):
        model = permission.content_type.model_class()
        verb, _sep, _rest = permission.codename.partition("_")
        action = PERMISSION_VERBS.get(verb, permission.name)
        if model is None:
            return str(action)
        return f"{model._meta.app_config.verbose_name} | {model._meta.verbose_name} | {action}"


admin.site.unregister(Group)


@admin.register(Group)
class PermissionGroupAdmin(GroupAdmin):
    """组: offered only the permissions of what the admin manages (the internal tables, sequences
    and sessions have no page to be allowed on), in Chinese."""

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        if db_field.name == "permissions":
            managed = ContentType.objects.get_for_models(*self.admin_site._registry).values()
            kwargs["queryset"] = Permission.objects.filter(content_type__in=list(managed))
            kwargs["form_class"] = PermissionChoiceField
        return super().formfield_for_manytomany(db_field, request, **kwargs)
