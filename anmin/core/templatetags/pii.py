"""Personal data in templates: `{% pii obj "incident.caller_phone" %}` shows the masked value with
a "显示" button that swaps in the full one (one audited reveal per field, anmin.core.pii);
`{{ value|masked:"phone" }}` only masks, for lists and places where no reveal is offered."""

import json

from django import template
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext

from anmin.core.pii import field_for, mask, scrub

register = template.Library()


@register.filter
def masked(value, kind: str) -> str:
    """The masked form of `value` of `kind` ("phone", "id_number", "name")."""
    return mask(kind, value)


@register.filter
def scrubbed(text: str) -> str:
    """Free text with any phone or ID number in it masked (anmin.core.pii.scrub)."""
    return scrub(text)


@register.simple_tag
def pii(obj, key: str, empty: str = "") -> str:
    """The masked value of field `key` of `obj`, and a "显示" button posting to the reveal view."""
    field = field_for(key)
    if obj is None:
        return empty
    value = field.value_of(obj)
    if not value:
        return empty
    vals = json.dumps({"object": field.object_name, "id": str(obj.pk), "field": field.field_name})
    return format_html(
        '<span class="pii" data-pii="{key}">{masked} <button type="button" class="btn secondary small pii-reveal" '
        'hx-post="{url}" hx-vals="{vals}" hx-target="closest .pii" hx-swap="outerHTML" title="{title}">{label}</button>'
        "</span>",
        key=key,
        masked=mask(field.kind, value),
        url=reverse("core:pii-reveal"),
        vals=vals,
        title=gettext("查看完整信息将记入审计日志"),
        label=gettext("显示"),
    )
