"""Field checks shared by every entry point (form, API, import): each failure names its field."""

from django.utils.translation import gettext as _

from anmin.core.errors import ActionError


def clean_text(value, field: str, label: str, limit: int, *, required: bool) -> str:
    """A stripped text field, or ActionError naming `field` (required, too long, not text, NUL)."""
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise ActionError(_("%(label)s应为文本") % {"label": label}, field=field)
    value = value.strip()
    if required and not value:
        raise ActionError(_("请填写%(label)s") % {"label": label}, field=field, code="required")
    if len(value) > limit:
        raise ActionError(
            _("%(label)s不能超过 %(limit)s 个字") % {"label": label, "limit": limit}, field=field, code="too_long"
        )
    if "\x00" in value:  # PostgreSQL refuses NUL in text: say so instead of failing with a 500
        raise ActionError(_("%(label)s含有非法字符") % {"label": label}, field=field)
    return value
