"""Admin of the broadcast: the ring rules (editable — they are the bureau's policy, kept as data),
and, read-only, the work groups, the rings reached and every send with its attempts. Groups are
set up on the groups page and API (through the action that validates them); the admin never shows
a webhook, secret or phone in full."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from anmin.core.masking import mask_phone
from anmin.missing.broadcast_api import masked_url
from anmin.missing.broadcast_models import Group, RingRule, RingStep, Send, SendAttempt


class ReadOnly(admin.ModelAdmin):
    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(RingRule)
class RingRuleAdmin(admin.ModelAdmin):
    list_display = ("category", "step", "after_minutes", "reach", "radius_km", "basis")
    list_filter = ("category",)
    ordering = ("category", "step")


@admin.register(Group)
class GroupAdmin(ReadOnly):
    list_display = ("name", "kind", "org", "area", "webhook", "phone_list", "active")
    list_filter = ("kind", "area", "active")
    search_fields = ("name",)
    exclude = ("webhook_url", "secret", "phones")
    readonly_fields = ("webhook", "phone_list")

    @admin.display(description=_("Webhook 地址"))
    def webhook(self, obj):
        return masked_url(obj.webhook_url) or "-"

    @admin.display(description=_("手机号码"))
    def phone_list(self, obj):
        return "、".join(mask_phone(p) for p in obj.phones.split()) or "-"


@admin.register(RingStep)
class RingStepAdmin(ReadOnly):
    list_display = ("case", "label", "reached_at")
    list_select_related = ("case",)


class AttemptInline(admin.TabularInline):
    model = SendAttempt
    extra = 0
    can_delete = False
    readonly_fields = ("at", "ok", "response")

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Send)
class SendAdmin(ReadOnly):
    list_display = ("case", "group", "kind", "status", "attempts", "sent_at", "next_try_at")
    list_filter = ("kind", "status")
    list_select_related = ("case", "group")
    inlines = [AttemptInline]
