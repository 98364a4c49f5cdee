"""The typical-case library for front-line officers: search published cases and read one."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, render

from anmin.library.models import TypicalCase
from anmin.library.search import search


@login_required
def library(request):
    """典型案例: search (jieba words, e.g. 盗窃) or browse the newest published cases."""
    q = request.GET.get("q", "").strip()[:100]
    tag = request.GET.get("tag", "").strip()[:30]
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
def library_case(request, pk):
    case = get_object_or_404(TypicalCase.objects.visible_to(request.user).published().prefetch_related("tags"), pk=pk)
    return render(request, "library/case.html", {"nav": "library", "case": case})
