"""Forms of the 群众上报 pages, one per operation. They bound what arrives (lengths, no NUL, one
value a field); what the values mean (coordinates in the city, plates, ID numbers, times) is checked
by the actions, which the API calls too, so a page and the API refuse a value in the same words.
Limits here are above the actions' own, so their messages are the ones people read."""

from django import forms
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from anmin.reports.actions import MAX_MESSAGE
from anmin.reports.models import QuickAccident

SHORT = 400
LONG = 4000


def _text(label=None, max_length: int = SHORT) -> forms.CharField:
    return forms.CharField(label=label, required=False, max_length=max_length)


class _Place(forms.Form):
    lat = _text(_("位置"), 40)
    lon = _text(_("位置"), 40)


class AccidentForm(_Place):
    """事故快处: the accident, both parties, how it is settled."""

    occurred_at = _text(_("事故时间"), 40)
    address = _text(_("事故地点"))
    description = _text(_("事故经过"), LONG)
    mode = _text(_("处理方式"), 40)
    liability = _text(_("责任划分"), 40)
    confirm = _text(max_length=40)
    a_name = _text(format_lazy("{}{}", _("甲方"), _("姓名")))
    a_phone = _text(format_lazy("{}{}", _("甲方"), _("手机号码")), 40)
    a_licence_number = _text(format_lazy("{}{}", _("甲方"), _("驾驶证号")), 40)
    a_plate = _text(format_lazy("{}{}", _("甲方"), _("号牌号码")), 40)
    a_insurer = _text(format_lazy("{}{}", _("甲方"), _("保险公司")))
    a_policy_number = _text(format_lazy("{}{}", _("甲方"), _("保单号")), 100)
    b_name = _text(format_lazy("{}{}", _("乙方"), _("姓名")))
    b_phone = _text(format_lazy("{}{}", _("乙方"), _("手机号码")), 40)
    b_licence_number = _text(format_lazy("{}{}", _("乙方"), _("驾驶证号")), 40)
    b_plate = _text(format_lazy("{}{}", _("乙方"), _("号牌号码")), 40)
    b_insurer = _text(format_lazy("{}{}", _("乙方"), _("保险公司")))
    b_policy_number = _text(format_lazy("{}{}", _("乙方"), _("保单号")), 100)


class OnlineReportForm(_Place):
    """网上报警/求助 (non-emergency)."""

    category = _text(_("类别"), 40)
    description = _text(_("情况描述"), LONG)
    address = _text(_("地点"))


class MissingPersonForm(_Place):
    """走失人员 (the photo comes as a file)."""

    name = _text(_("走失人员姓名"))
    sex = _text(_("性别"), 40)
    age = _text(_("年龄"), 40)
    description = _text(_("体貌特征及衣着"), LONG)
    last_seen_at = _text(_("最后出现时间"), 40)
    last_seen_address = _text(_("最后出现地点"))


class TipForm(_Place):
    """举报线索 (anonymous)."""

    kind = _text(_("线索类别"), 40)
    content = _text(_("线索内容"), 2 * LONG)
    place = _text(_("涉及地点"))


class TrackForm(forms.Form):
    """查询举报答复: the tracking code (posted, never in the URL)."""

    code = _text(_("查询码"), 100)


class TrackMessageForm(TrackForm):
    """The tipster's message on the tip found by its code."""

    text = _text(_("留言"), 2 * MAX_MESSAGE)


class MessageForm(forms.Form):
    """A message on a matter's thread (citizen or officer)."""

    text = _text(_("留言"), 2 * MAX_MESSAGE)


class ConfirmForm(forms.Form):
    """乙方确认: the code sent to party B's phone."""

    code = _text(_("乙方确认码"), 40)


class DecideForm(forms.Form):
    """民警在线定责."""

    liability = _text(_("责任划分"), 40)
    facts = _text(_("事故事实及认定理由"), LONG)


class MissingStatusForm(forms.Form):
    """已找到 / 已结束."""

    status = _text(_("状态"), 40)


class AccidentQueueForm(forms.Form):
    """The accident queue's filter (pending decisions by default; "all" or empty: all)."""

    status = forms.ChoiceField(
        label=_("状态"), required=False, choices=[("", ""), ("all", "all"), *QuickAccident.Status.choices]
    )
