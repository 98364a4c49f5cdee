"""Forms of the broadcast's pages: a work group, and a group member's clue. They bound and type the
input; the actions (`broadcast_actions`) decide what is allowed, so the page and the API refuse the
same value with the same message."""

from django import forms
from django.utils.translation import gettext_lazy as _

from anmin.communities.models import Community
from anmin.core.forms import text as text_field
from anmin.missing.broadcast_models import GroupKind
from anmin.org.models import Organization


class GroupForm(forms.Form):
    name = text_field(label=_("群名称"), max_length=80)
    kind = forms.ChoiceField(label=_("类型"), choices=GroupKind.choices)
    webhook_url = text_field(label=_("Webhook 地址"), max_length=500)
    # Never rendered back: an empty secret on an edit keeps the one stored.
    secret = text_field(label=_("签名密钥"), max_length=200, widget=forms.PasswordInput(render_value=False))
    phones = text_field(label=_("手机号码"), max_length=2000, widget=forms.Textarea(attrs={"rows": 3}))
    org = forms.ModelChoiceField(label=_("所属单位"), queryset=Organization.objects.none(), required=False)
    community = forms.ModelChoiceField(label=_("社区/村"), queryset=Community.objects.none(), required=False)
    township = text_field(label=_("乡镇/街道代码"), max_length=40)
    lat = forms.FloatField(label=_("纬度"), required=False, min_value=-90, max_value=90)
    lon = forms.FloatField(label=_("经度"), required=False, min_value=-180, max_value=180)
    radius_km = forms.FloatField(label=_("半径（公里）"), required=False, min_value=0.1, max_value=1000)
    active = forms.BooleanField(label=_("启用"), required=False, initial=True)

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        if user is not None:
            self.fields["org"].queryset = Organization.objects.visible_to(user).order_by("code")
            self.fields["community"].queryset = Community.objects.visible_to(user)

    def action_data(self, *, editing: bool) -> dict:
        """The cleaned values as the action takes them (ids and codes, None for 'not given')."""
        d = dict(self.cleaned_data)
        d["org"] = d["org"].code if d.get("org") else None
        d["community"] = d["community"].pk if d.get("community") else None
        d["township"] = d.get("township") or None
        if editing:
            # A blank field on the edit form clears the area and keeps the credentials.
            for key in ("community", "township", "lat", "lon", "radius_km"):
                d.setdefault(key, None)
            d["clear_area"] = True
        return d


class GroupClueForm(forms.Form):
    text = text_field(label=_("线索内容"), max_length=2000, widget=forms.Textarea(attrs={"rows": 4}))
    name = text_field(label=_("您的称呼（可不填）"), max_length=30)
    phone = text_field(label=_("联系电话（可不填）"), max_length=20)
