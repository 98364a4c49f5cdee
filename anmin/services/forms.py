"""Forms of the 办件 pages, one per operation. They bound what arrives (lengths, no NUL, the
choices a field has); what the values mean (required fields of an item, dates, the list of missing
materials) is checked by the actions, which the API calls too."""

from django import forms
from django.utils.translation import gettext_lazy as _

from anmin.core.forms import StringListField
from anmin.services.actions import MAX_MESSAGE, MAX_REASON, MAX_TEXT, Step
from anmin.services.models import ApplicationStatus, ServiceItem


def item_form_class(item: ServiceItem) -> type[forms.Form]:
    """The item's own form fields (defined by the department in the admin) as a Form."""
    fields = {
        spec["name"]: forms.CharField(label=spec.get("label", spec["name"]), required=False, max_length=MAX_TEXT)
        for spec in item.form_fields
    }
    return type("ItemForm", (forms.Form,), fields)


def supplement_form_class(item: ServiceItem) -> type[forms.Form]:
    """补正: the item's form fields again, and a note."""
    note = forms.CharField(label=_("补正说明"), required=False, max_length=MAX_MESSAGE)
    return type("SupplementForm", (item_form_class(item),), {"note": note})


class MessageForm(forms.Form):
    """A message on an application's thread (either way)."""

    text = forms.CharField(label=_("留言内容"), required=False, max_length=MAX_MESSAGE)


class ProcessForm(forms.Form):
    """A staff step: 受理, 审核, 办结, 退回补正 (with what is missing), 不予受理 (with the reason)."""

    step = forms.ChoiceField(label=_("办理"), choices=Step.choices)
    missing = StringListField(label=_("需补正的材料"), max_items=50, max_length=100)
    missing_other = forms.CharField(required=False, max_length=2000)
    reason = forms.CharField(label=_("理由"), required=False, max_length=MAX_REASON)


class ProgressForm(forms.Form):
    """办件进度查询 (public): 办件编号 + 手机号码后四位, as typed; `lookup` says what is wrong with them."""

    number = forms.CharField(label=_("办件编号"), required=False, max_length=30)
    phone_last4 = forms.CharField(label=_("手机号码后四位"), required=False, max_length=10)


class QueueForm(forms.Form):
    """The staff queue's filter: open ones (the default), one status, or all (empty)."""

    status = forms.ChoiceField(
        label=_("状态"), required=False, choices=[("open", "open"), ("", ""), *ApplicationStatus.choices]
    )
    page = forms.IntegerField(required=False, min_value=1, max_value=10**9)
