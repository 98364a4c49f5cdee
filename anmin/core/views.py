"""The one "显示" of personal data: a page posts (htmx) the record and the field, and gets back the
full value of that one field in place of its masked form, after an audit entry is written."""

from django import forms
from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.utils.cache import add_never_cache_headers
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from anmin.core.errors import ActionError
from anmin.core.forms import IdField, first_error
from anmin.core.pii import FIELDS, Kind, RevealPersonalData


class RevealForm(forms.Form):
    """Which record (`object` and `id`) and which of its fields: "incident", 12, "caller_phone"."""

    object = forms.SlugField(label=_("对象"), max_length=40)
    id = IdField(label=_("编号"))
    field = forms.SlugField(label=_("字段"), max_length=40)


def no_store(response):
    """Personal data in full must not stay in a browser's or a proxy's cache (等保三级 剩余信息保护)."""
    add_never_cache_headers(response)
    response["Cache-Control"] = "no-store, no-cache, must-revalidate, private, max-age=0"
    return response


@login_required
@require_POST
def reveal(request):
    form = RevealForm(request.POST)
    try:
        if not form.is_valid():
            raise first_error(form)
        data = form.cleaned_data
        key = f"{data['object']}.{data['field']}"
        value = RevealPersonalData(key=key, pk=data["id"], by=request.user).execute()
    except ActionError as exc:
        response = render(request, "core/_pii_error.html", {"error": exc}, status=exc.status)
        return no_store(response)
    context = {"key": key, "value": value, "is_phone": FIELDS[key].kind == Kind.PHONE}
    return no_store(render(request, "core/_pii_value.html", context))
