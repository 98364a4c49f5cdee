"""Case-page forms for a review (评查) and a collective deliberation (集体议案). A refused form shows
the case page again, status 400 (403 as the action says), with the message inside that form."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from anmin.cases.models import Case
from anmin.cases.views import case_page_response
from anmin.core.errors import ActionError
from anmin.core.forms import clean, first_error
from anmin.org.models import Officer
from anmin.reviews.actions import RecordDeliberation, ReviewCase
from anmin.reviews.forms import DeliberationForm, ReviewForm
from anmin.reviews.models import Rubric


def _case(request, pk) -> Case:
    qs = Case.objects.visible_to(request.user).select_related("organization", "lead_investigator", "incident")
    return get_object_or_404(qs, pk=pk)


@login_required
@require_POST
def review(request, pk):
    """评查: one deduction and note per rubric item (blank = no finding)."""
    case = _case(request, pk)
    rubric = Rubric.objects.filter(active=True).order_by("id").first()
    try:
        if rubric is None:
            raise ActionError(_("没有启用的评查标准"), field="rubric")
        form = ReviewForm(request.POST, rubric=rubric)
        if not form.is_valid():
            raise first_error(form)
        done = ReviewCase(
            case=case, rubric=rubric, findings=form.findings(), summary=form.cleaned_data["summary"], by=request.user
        ).execute()
    except ActionError as exc:
        return case_page_response(request, case, failed="review", error=exc, values=request.POST)
    messages.success(request, _("已评查，得分 %(score)s") % {"score": done.score})
    return redirect("cases:detail", pk=case.pk)


@login_required
@require_POST
def deliberation(request, pk):
    """集体议案: attendees by 警号, the chair first."""
    case = _case(request, pk)
    try:
        data = clean(DeliberationForm, request.POST)
        badges = data["badges"]
        officers = {o.badge_number: o for o in Officer.objects.visible_to(request.user).filter(badge_number__in=badges)}
        unknown = [b for b in badges if b not in officers]
        if unknown:
            raise ActionError(_("警号不存在或不在本单位：%(b)s") % {"b": "、".join(unknown[:5])}, field="badges")
        attendees = [officers[b] for b in badges]
        RecordDeliberation(
            case=case,
            held_at=data["held_at"],
            chair=attendees[0] if attendees else request.user,
            attendees=attendees,
            question=data["question"],
            decision=data["decision"],
            dissent=data["dissent"],
            location=data["location"],
            by=request.user,
        ).execute()
    except ActionError as exc:
        return case_page_response(request, case, failed="deliberation", error=exc, values=request.POST)
    messages.success(request, _("已记录集体议案"))
    return redirect("cases:detail", pk=case.pk)
