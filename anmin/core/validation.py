"""Field checks shared by every entry point (form, API, import): each failure names its field."""

from django.utils.translation import gettext as _

from anmin.core.errors import ActionError
from anmin.core.text import forbidden_character, normalise


def clean_text(value, field: str, label: str, limit: int, *, required: bool) -> str:
    """The one check for free text before it is stored: a string with invisible bidi and zero-width
    characters removed, NFC, stripped, at most `limit` characters (code points, as the database
    counts them: 𠮷 is one), or ActionError naming `field` (not text, control character, required,
    too long). See `anmin.core.text` for why controls are refused while invisible characters are
    removed."""
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise ActionError(_("%(label)s应为文本") % {"label": label}, field=field)
    if forbidden_character(value) is not None:
        raise ActionError(_("%(label)s含有非法字符") % {"label": label}, field=field, code="forbidden_character")
    value = normalise(value)
    if required and not value:
        raise ActionError(_("请填写%(label)s") % {"label": label}, field=field, code="required")
    if len(value) > limit:
        raise ActionError(
            _("%(label)s不能超过 %(limit)s 个字") % {"label": label, "limit": limit}, field=field, code="too_long"
        )
    return value
