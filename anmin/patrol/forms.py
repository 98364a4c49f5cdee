"""Input of the patrol pages: which day and shift to show or to plan."""

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from anmin.patrol.models import Shift


def current_shift() -> tuple:
    """The shift running now: the night shift after 20:00 and before 08:00 (of yesterday's date)."""
    now = timezone.localtime()
    if now.hour >= 20:
        return now.date(), Shift.NIGHT
    if now.hour < 8:
        return now.date() - timezone.timedelta(days=1), Shift.NIGHT
    return now.date(), Shift.DAY


class ShiftForm(forms.Form):
    """A day (the shift's starting day) and a shift."""

    date = forms.DateField(label=_("日期"), widget=forms.DateInput(attrs={"type": "date"}))
    shift = forms.ChoiceField(label=_("班次"), choices=Shift.choices)

    @classmethod
    def for_request(cls, data) -> "ShiftForm":
        """Bound to the query string, defaulting to the shift running now."""
        day, shift = current_shift()
        values = {"date": day.isoformat(), "shift": shift.value}
        values.update({k: v for k, v in data.items() if k in values and v})
        return cls(values)
