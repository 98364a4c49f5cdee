"""Forms of the missing-person case pages, one per operation. They bound what arrives (lengths, one
value a field); what the values mean (a point in the city, a time not in the future, a category) is
checked by the actions, which the API calls too, so a page and the API refuse a value in the same
words. Limits here are above the actions' own, so their messages are the ones officers read."""

from django import forms
from django.utils.translation import gettext_lazy as _

from anmin.missing.models import MissingCase

SHORT = 400
LONG = 4000


def _text(label=None, max_length: int = SHORT) -> forms.CharField:
    return forms.CharField(label=label, required=False, max_length=max_length)


class CaseForm(forms.Form):
    """登记走失人员 (the photo comes as a file)."""

    full_name = _text(_("姓名"))
    category = _text(_("类别"), 40)
    sex = _text(_("性别"), 40)
    age = _text(_("年龄"), 40)
    description = _text(_("体貌特征及衣着"), LONG)
    last_seen_at = _text(_("最后出现时间"), 40)
    last_seen_place = _text(_("最后出现地点"))
    lat = _text(_("位置"), 40)
    lon = _text(_("位置"), 40)
    may_publish = forms.BooleanField(label=_("同意公开"), required=False)


class ClueForm(forms.Form):
    """录入线索."""

    text = _text(_("线索内容"), LONG)
    author_name = _text(_("提供人"))
    place = _text(_("地点"))
    seen_at = _text(_("目击时间"), 40)
    lat = _text(_("位置"), 40)
    lon = _text(_("位置"), 40)


class FoundForm(forms.Form):
    """已找到."""

    where = _text(_("找到地点"))
    found_by = _text(_("发现人"))
    found_at = _text(_("找到时间"), 40)
    note = _text(_("情况说明"), LONG)


class CloseForm(forms.Form):
    """结束查找."""

    reason = _text(_("结束原因"), LONG)


class ListFilter(forms.Form):
    """The case list's filters (from the query string)."""

    status = forms.ChoiceField(label=_("状态"), required=False, choices=[("", _("全部")), *MissingCase.Status.choices])
    category = forms.ChoiceField(
        label=_("类别"), required=False, choices=[("", _("全部")), *MissingCase.Category.choices]
    )
