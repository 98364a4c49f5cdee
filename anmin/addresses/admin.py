import re

from django import forms
from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from anmin.addresses.importer import refresh_full_names
from anmin.addresses.models import PREFIX, Address, Level

ALIAS_SEPARATORS = re.compile(r"[、,，;；|/\n]+")
MAX_ALIASES = 20
MAX_ALIAS_LENGTH = 40


class AliasesField(forms.CharField):
    """The aliases as one line of text separated by 顿号 (桃城、桃城区政府所在地), stored as a list."""

    def prepare_value(self, value):
        if isinstance(value, list):
            return "、".join(value)
        return value

    def to_python(self, value):
        text = super().to_python(value)
        aliases = []
        for alias in ALIAS_SEPARATORS.split(text or ""):
            alias = alias.strip()
            if alias and alias not in aliases:
                aliases.append(alias)
        if len(aliases) > MAX_ALIASES:
            raise forms.ValidationError(_("别名最多 %(n)s 个") % {"n": MAX_ALIASES})
        if any(len(a) > MAX_ALIAS_LENGTH for a in aliases):
            raise forms.ValidationError(_("每个别名不能超过 %(n)s 个字") % {"n": MAX_ALIAS_LENGTH})
        return aliases


class AddressForm(forms.ModelForm):
    aliases = AliasesField(label=_("别名"), required=False, help_text=_("简称、俗称，多个用顿号分隔"))

    class Meta:
        model = Address
        fields = ("code", "name", "level", "parent", "aliases", "category", "lat", "lon", "approximate")

    def clean(self):
        data = super().clean()
        if (data.get("lat") is None) != (data.get("lon") is None):
            self.add_error("lon", _("经纬度须同时填写"))
        if data.get("category") and data.get("level") != Level.POI:
            self.add_error("category", _("只有兴趣点有类别"))
        return data


@admin.register(Address)
class AddressAdmin(admin.ModelAdmin):
    form = AddressForm
    list_display = ("code", "name", "level", "full_name", "category", "approximate")
    list_filter = ("level", "approximate", "category")
    search_fields = ("code", "name", "full_name")
    autocomplete_fields = ("parent",)
    list_select_related = ("parent",)
    readonly_fields = ("full_name", "updated")

    def save_model(self, request, obj, form, change):
        """The full address follows from the parent's; what lies below follows a renamed entry."""
        obj.full_name = (obj.parent.full_name if obj.parent else PREFIX) + obj.name
        super().save_model(request, obj, form, change)
        if change and {"name", "parent"} & set(form.changed_data):
            refresh_full_names({obj.code})
