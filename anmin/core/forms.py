"""The one input layer of the HTML side: bounded fields and the step from a bound form to an action.

Every value a page receives (a POST field, a hidden id, a query-string filter) is read through a
Django `Form`, so no unchecked string reaches the ORM: an id of "abc" or of 2^70 used to become a
500 (a ValueError in int(), an OverflowError in the database driver). Database keys are signed
64-bit integers, hence MAX_ID.
"""

from collections.abc import Mapping
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from anmin.core.errors import ActionError

#: The largest value a BigAutoField (and a PostgreSQL bigint) holds.
MAX_ID = 2**63 - 1
#: Offsets and counts in queries: the same bound, so the driver never sees a number it cannot bind.
MAX_OFFSET = MAX_ID


def text(**kwargs) -> forms.CharField:
    """A free-text value, optional here: the action checks whether it is required and how long it
    may be, so a page and the API refuse the same value with the same message."""
    kwargs.setdefault("required", False)
    return forms.CharField(**kwargs)


class IdField(forms.IntegerField):
    """A database id: an integer in 1 … 2^63−1 ("abc", "1.5", "-1" and 2^64 are all refused)."""

    default_error_messages = {
        "invalid": _("应为正整数编号"),
        "min_value": _("应为正整数编号"),
        "max_value": _("编号超出范围"),
    }

    def __init__(self, **kwargs):
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("max_value", MAX_ID)
        kwargs.setdefault("widget", forms.HiddenInput)
        super().__init__(**kwargs)


class IdListField(forms.Field):
    """Several ids from repeated fields (`unit_ids=3&unit_ids=5`), each bounded as IdField, no repeats."""

    widget = forms.MultipleHiddenInput
    default_error_messages = {"invalid": _("应为正整数编号"), "range": _("编号超出范围")}

    def __init__(self, *, max_items: int = 100, **kwargs):
        self.max_items = max_items
        super().__init__(**kwargs)

    def to_python(self, value) -> list[int]:
        if value in self.empty_values:
            return []
        if isinstance(value, str | int):
            value = [value]
        if len(value) > self.max_items:
            raise ValidationError(_("最多 %(n)s 项") % {"n": self.max_items}, code="too_many")
        ids: list[int] = []
        for item in value:
            text = str(item).strip()
            if not text.isascii() or not text.isdigit():
                raise ValidationError(self.error_messages["invalid"], code="invalid")
            if len(text) > len(str(MAX_ID)):  # int() refuses more than 4,300 digits with a ValueError
                raise ValidationError(self.error_messages["range"], code="range")
            number = int(text)
            if not 1 <= number <= MAX_ID:
                raise ValidationError(self.error_messages["range"], code="range")
            if number not in ids:
                ids.append(number)
        return ids


class StringListField(forms.Field):
    """Repeated text fields (`missing=身份证&missing=照片`): each at most `max_length`, no NUL."""

    widget = forms.MultipleHiddenInput

    def __init__(self, *, max_items: int = 50, max_length: int = 100, **kwargs):
        self.max_items, self.max_length = max_items, max_length
        kwargs.setdefault("required", False)
        super().__init__(**kwargs)

    def to_python(self, value) -> list[str]:
        if value in self.empty_values:
            return []
        values = [value] if isinstance(value, str) else list(value)
        if len(values) > self.max_items:
            raise ValidationError(_("最多 %(n)s 项") % {"n": self.max_items}, code="too_many")
        for text in values:
            if "\x00" in text:
                raise ValidationError(_("不能包含空字符"), code="null_characters_not_allowed")
            if len(text) > self.max_length:
                raise ValidationError(_("每项最多 %(n)s 个字") % {"n": self.max_length}, code="max_length")
        return [text.strip() for text in values]


def first_error(form: forms.BaseForm) -> ActionError:
    """The form's first error as an ActionError naming its field (None for a non-field error)."""
    for name, errors in form.errors.items():
        field = None if name == forms.forms.NON_FIELD_ERRORS else name
        data = errors.as_data()[0]
        message = " ".join(str(m) for m in data.messages)
        label = form.fields[name].label if field and field in form.fields else None
        if label:
            message = gettext("%(label)s：%(message)s") % {"label": label, "message": message}
        return ActionError(message, field=field, code=data.code or "invalid")
    return ActionError(_("输入无效"))


def valid(form: forms.BaseForm) -> dict[str, Any]:
    """The bound form's cleaned data, or its first error as an ActionError naming the field.

    Unlike `clean` it takes the bound form, so a page shown again after the
    error can put back the values that were valid (`form.cleaned_data`).
    """
    if not form.is_valid():
        raise first_error(form)
    return form.cleaned_data


def clean(form_class: type[forms.BaseForm], data: Mapping[str, Any], files=None, **kwargs) -> dict[str, Any]:
    """`cleaned_data` of `form_class` bound to `data`, or ActionError (status 400) naming the field.

    For views whose page already shows an ActionError beside the form (`error.field`,
    `error.message`); a view that renders the form itself should use `form.is_valid()` directly.
    """
    return valid(form_class(data, files, **kwargs) if files is not None else form_class(data, **kwargs))
