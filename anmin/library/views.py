"""The typical-case library for front-line officers: search published cases and read one."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_safe

from anmin.core.forms import first_error
from anmin.library.forms import LibraryQueryForm
from anmin.library.models import TypicalCase
from anmin.library.search import search


@login_required
@require_safe
def library(request):
    """典型案例: search (jieba words, e.g. 盗窃) or browse the newest published cases."""
    form = LibraryQueryForm(request.GET)
    if not form.is_valid():
        # Only a null character or the like gets here: the page says so and lists nothing.
        context = {"nav": "library", "cases": [], "q": "", "tag": "", "error": first_error(form)}
        return render(request, "library/list.html", context, status=400)
    q, tag = form.cleaned_data["q"], form.cleaned_data["tag"]
    if q:
        cases = search(q, request.user)
    else:
        cases = TypicalCase.objects.visible_to(request.user).published().order_by("-published_at", "-id")
    if tag:
        cases = cases.filter(tags__name=tag)
    cases = list(cases.select_related("category").prefetch_related("tags")[:50])
    return render(
        request,
        "library/list.html",
        {"nav": "library", "cases": cases, "q": q, "tag": tag},
    )


@login_required
@require_safe
def library_case(request, pk):
    case = get_object_or_404(TypicalCase.objects.visible_to(request.user).published().prefetch_related("tags"), pk=pk)
    return render(request, "library/case.html", {"nav": "library", "case": case})
