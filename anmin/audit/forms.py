from django import forms
from django.core.validators import RegexValidator
from django.utils.translation import gettext_lazy as _

from anmin.audit.labels import ACTION_LABELS, OBJECT_TYPES
from anmin.core.models import Result


def _choices(table: dict) -> list[tuple[str, str]]:
    return [("", _("全部"))] + [(code, f"{label}") for code, label in sorted(table.items(), key=lambda kv: str(kv[1]))]


class TrailFilterForm(forms.Form):
    """The viewer's filters (query string): person, action, object type, result, time range, page."""

    person = forms.CharField(
        label=_("操作人"),
        required=False,
        max_length=50,
        help_text=_("姓名、警号或用户名"),
        validators=[RegexValidator(r"^[^\x00]*$", _("含有非法字符"))],
    )
    action = forms.CharField(
        label=_("操作"),
        required=False,
        max_length=60,
        validators=[RegexValidator(r"^[a-z0-9_.]*$", _("操作代码只含小写字母、数字、下划线和点"))],
        widget=forms.Select(choices=()),
    )
    object_type = forms.ChoiceField(label=_("对象"), required=False, choices=())
    result = forms.ChoiceField(label=_("结果"), required=False, choices=[("", _("全部")), *Result.choices])
    since = forms.DateField(label=_("起始日期"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    until = forms.DateField(label=_("截止日期"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    page = forms.IntegerField(required=False, min_value=1, max_value=10**9, widget=forms.HiddenInput)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["action"].widget.choices = _choices(ACTION_LABELS)
        self.fields["object_type"].choices = _choices({code: label for code, (label, _f) in OBJECT_TYPES.items()})

    def clean(self):
        data = super().clean()
        since, until = data.get("since"), data.get("until")
        if since and until and since > until:
            self.add_error("until", _("截止日期不能早于起始日期"))
        return data

    def filters(self) -> dict:
        """The filters in force, for the export's audit entry (only those given)."""
        return {
            name: str(value) for name, value in self.cleaned_data.items() if name != "page" and value not in (None, "")
        }
