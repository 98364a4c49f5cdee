"""The library's search box and tag filter, read through a form like every other query string."""

from django import forms
from django.utils.translation import gettext_lazy as _


class LibraryQueryForm(forms.Form):
    """典型案例 search: words (`q`) and one tag."""

    q = forms.CharField(required=False, label=_("关键词"))
    tag = forms.CharField(required=False, label=_("标签"))

    # Longer text cannot match anything better (titles and tags are short), and the full-text engine
    # should not be handed an essay: cut, as the page always did, rather than refused.
    def clean_q(self) -> str:
        return self.cleaned_data["q"][:100]

    def clean_tag(self) -> str:
        return self.cleaned_data["tag"][:30]
