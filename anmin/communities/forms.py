"""The community pages' input: every value a page sends comes through one of these forms."""

import json

from django import forms
from django.utils.translation import gettext_lazy as _

from anmin.communities.models import AccessPoint, Community, Lead
from anmin.core.forms import text
from anmin.org.models import Officer, Organization


class PeriodForm(forms.Form):
    """The period picker (the statistics' words: 2026, 2026-Q1, 2026-03, 2026-W09, a day or a range)
    and the list filters."""

    period = forms.CharField(label=_("统计期间"), required=False, max_length=40)
    zero = forms.ChoiceField(label=_("零发案"), required=False, choices=[("", ""), ("1", "1"), ("0", "0")])
    kind = forms.ChoiceField(label=_("类型"), required=False, choices=[("", ""), *Community.Kind.choices])
    case_kind = forms.CharField(label=_("案件类型"), required=False, max_length=20)
    status = forms.ChoiceField(label=_("核查结果"), required=False, choices=[("", ""), *Lead.Status.choices])
    solved = forms.ChoiceField(label=_("破案"), required=False, choices=[("", ""), ("1", "1")])
    page = forms.IntegerField(label=_("页码"), required=False, min_value=1, max_value=100_000)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # "class" as the statistics' links write it (a keyword, so not a class attribute here).
        self.fields["class"] = forms.CharField(label=_("警情类别"), required=False, max_length=20)


class CommunityForm(forms.Form):
    """建档/修改社区. The outline is GeoJSON polygon coordinates ([[[经度, 纬度], …]]), checked by the action."""

    name = forms.CharField(label=_("名称"), max_length=80)
    kind = forms.ChoiceField(label=_("类型"), choices=Community.Kind.choices)
    station = forms.ModelChoiceField(label=_("责任派出所"), queryset=Organization.objects.none())
    lat = forms.FloatField(label=_("纬度"), min_value=-90, max_value=90)
    lon = forms.FloatField(label=_("经度"), min_value=-180, max_value=180)
    boundary = forms.CharField(
        label=_("边界"), required=False, max_length=50_000, widget=forms.Textarea(attrs={"rows": 3})
    )
    radius_m = forms.IntegerField(label=_("范围半径（米）"), required=False, min_value=20, max_value=5000)
    officer = forms.ModelChoiceField(label=_("社区民警"), required=False, queryset=Officer.objects.none())
    households = forms.IntegerField(label=_("户数"), required=False, min_value=0, max_value=100_000)

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        stations = Organization.objects.visible_to(user).filter(kind=Organization.Kind.STATION)
        self.fields["station"].queryset = stations
        self.fields["officer"].queryset = Officer.objects.filter(organization__in=stations, is_active=True)

    def clean_boundary(self):
        raw = (self.cleaned_data.get("boundary") or "").strip()
        if not raw:
            return None
        try:
            value = json.loads(raw)
        except ValueError:
            raise forms.ValidationError(_("应为 GeoJSON 多边形坐标 [[[经度, 纬度], …]]")) from None
        # A whole GeoJSON Polygon geometry is accepted too: its coordinates are what is kept.
        if isinstance(value, dict) and value.get("type") == "Polygon":
            value = value.get("coordinates")
        return value


class GridWorkerForm(forms.Form):
    name = forms.CharField(label=_("网格员姓名"), max_length=30)
    phone = forms.CharField(label=_("联系电话"), max_length=20)
    duty = text(label=_("负责范围"), max_length=60)


class BuildingForm(forms.Form):
    name = forms.CharField(label=_("楼号/名称"), max_length=40)
    floors = forms.IntegerField(label=_("层数"), required=False, min_value=1, max_value=120)
    households = forms.IntegerField(label=_("户数"), required=False, min_value=0, max_value=5000)
    lat = forms.FloatField(label=_("纬度"), required=False, min_value=-90, max_value=90)
    lon = forms.FloatField(label=_("经度"), required=False, min_value=-180, max_value=180)


class AccessPointForm(forms.Form):
    kind = forms.ChoiceField(label=_("类型"), choices=AccessPoint.Kind.choices)
    name = forms.CharField(label=_("名称"), max_length=60)
    device_code = text(label=_("设备编码"), max_length=64)
    lat = forms.FloatField(label=_("纬度"), min_value=-90, max_value=90)
    lon = forms.FloatField(label=_("经度"), min_value=-180, max_value=180)


class LeadSourceForm(forms.Form):
    name = forms.CharField(label=_("系统名称"), max_length=60)


class MarkLeadForm(forms.Form):
    status = forms.ChoiceField(
        label=_("核查结果"), choices=[(k, v) for k, v in Lead.Status.choices if k != Lead.Status.NEW]
    )
    case_number = text(label=_("案件编号"), max_length=24)
    incident_number = text(label=_("接警单号"), max_length=24)
    note = text(label=_("核查说明"), max_length=500)
