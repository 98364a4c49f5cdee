"""基层工作: one page that leads to the work outside the 110 queue — 智慧平安社区, 矛盾纠纷与走访,
警务站与检查站, 巡控, 走失寻人 — with what waits in each.

One menu entry instead of five: the top bar already holds fourteen entries and wraps on a laptop;
officers reach the 基层 screens from here, and each screen keeps the entry lit (its `nav`).
It lives beside menu.py rather than in a domain app, since it reads five of them and none of them
may import the others.
"""

from datetime import datetime, time, timedelta

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import render
from django.utils import timezone

from anmin.communities.models import Community, Lead
from anmin.disputes.models import Dispute, Risk, Status, Visit
from anmin.missing.models import MissingCase
from anmin.patrol.models import PatrolPlan
from anmin.posts.models import DutyShift

#: The `nav` of every screen the 基层 entry stands for.
SECTIONS = ("grassroots", "communities", "disputes", "posts", "patrol", "missing")

#: Disputes still being worked on: not yet agreed, transferred, followed up or closed.
OPEN_DISPUTES = (Status.FOUND, Status.ACCEPTED, Status.MEDIATING)


def shows_grassroots(user) -> bool:
    """基层 is in the menu of officers placed in a unit and of the bureau, never of the 三权分立
    administrators (who keep the system, not the cases)."""
    return not user.administers_security and (user.sees_everything or user.organization_id is not None)


@login_required
def grassroots(request):
    """The 基层 hub: each section with the figures that say what needs doing today."""
    user = request.user
    if not shows_grassroots(user):
        raise PermissionDenied
    now = timezone.now()
    today = timezone.localdate()
    month_start = timezone.make_aware(datetime.combine(today.replace(day=1), time.min))
    disputes = Dispute.objects.visible_to(user)
    figures = {
        "communities": Community.objects.visible_to(user).count(),
        "leads_new": Lead.objects.visible_to(user).filter(status=Lead.Status.NEW).count(),
        "disputes_open": disputes.filter(status__in=OPEN_DISPUTES).count(),
        "disputes_high": disputes.filter(status__in=OPEN_DISPUTES, risk__in=(Risk.HIGH, Risk.MAJOR)).count(),
        "visits_month": Visit.objects.visible_to(user).filter(visited_at__gte=month_start).count(),
        "shifts_now": DutyShift.objects.visible_to(user)
        .filter(starts_at__lte=now, ends_at__gt=now, on_duty_at__isnull=False, off_duty_at__isnull=True)
        .count(),
        "plans_today": PatrolPlan.objects.visible_to(user)
        .filter(shift_start__lt=now + timedelta(hours=12), shift_end__gt=now)
        .count(),
        "missing_searching": MissingCase.objects.visible_to(user).filter(status=MissingCase.Status.SEARCHING).count(),
    }
    return render(request, "grassroots/index.html", {"nav": "grassroots", "f": figures})
