"""Case-page forms for a review (评查) and a collective deliberation (集体议案)."""

from datetime import datetime

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, redirect
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from anmin.cases.models import Case
from anmin.core.errors import ActionError
from anmin.org.models import Officer
from anmin.reviews.actions import RecordDeliberation, ReviewCase
from anmin.reviews.models import Rubric


def _case(request, pk) -> Case:
    return get_object_or_404(Case.objects.visible_to(request.user), pk=pk)


@login_required
@require_POST
def review(request, pk):
    """评查: one deduction and note per rubric item (blank = no finding)."""
    case = _case(request, pk)
    rubric = Rubric.objects.filter(active=True).order_by("id").first()
    try:
        if rubric is None:
            raise ActionError(_("没有启用的评查标准"), field="rubric")
        findings = []
        for item in rubric.items.all():
            raw = request.POST.get(f"deduct-{item.code}", "").strip()
            if not raw:
                continue
            if not raw.isdigit():
                raise ActionError(_("“%(item)s”的扣分应为整数") % {"item": item.text}, field=f"deduct-{item.code}")
            findings.append(
                {"item": item.code, "deduction": int(raw), "note": request.POST.get(f"note-{item.code}", "")}
            )
        result = ReviewCase(
            case=case, rubric=rubric, findings=findings, summary=request.POST.get("summary", ""), by=request.user
        )
        done = result.execute()
    except ActionError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("已评查，得分 %(score)s") % {"score": done.score})
    return redirect("case", pk=case.pk)


@login_required
@require_POST
def deliberation(request, pk):
    """集体议案: attendees by 警号, the chair first."""
    case = _case(request, pk)
    try:
        badges = [b for b in request.POST.get("badges", "").replace("，", ",").replace(" ", ",").split(",") if b]
        officers = {o.badge_number: o for o in Officer.objects.visible_to(request.user).filter(badge_number__in=badges)}
        unknown = [b for b in badges if b not in officers]
        if unknown:
            raise ActionError(_("警号不存在或不在本单位：%(b)s") % {"b": "、".join(unknown[:5])}, field="badges")
        try:
            held_at = timezone.make_aware(datetime.fromisoformat(request.POST.get("held_at", "")))
        except ValueError:
            raise ActionError(_("请填写议案时间"), field="held_at") from None
        attendees = [officers[b] for b in badges]
        RecordDeliberation(
            case=case,
            held_at=held_at,
            chair=attendees[0] if attendees else request.user,
            attendees=attendees,
            question=request.POST.get("question", ""),
            decision=request.POST.get("decision", ""),
            dissent=request.POST.get("dissent", ""),
            location=request.POST.get("location", ""),
            by=request.user,
        ).execute()
    except ActionError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("已记录集体议案"))
    return redirect("case", pk=case.pk)
