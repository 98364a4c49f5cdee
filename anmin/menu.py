"""The staff menu's context (`menu` in every template): where 工作台 leads, whether the officer is in a
crew, and how many matters wait behind 审批, 回访 and 政务服务.

Each figure is one COUNT query, made only when a template first reads it, so only for the entries
the officer's menu shows, and never on pages without the menu (API answers, downloads, the portal).
Separate counts rather than one query of scalar subqueries: on SQLite the ORM took longer to
compile the combined query (1.8–2.8 ms) than the three counts took together (about 1 ms).

It lives beside urls.py and api.py rather than in anmin.core, since it reads the cases, feedback
and services apps, and core depends on no domain app.
"""

from datetime import timedelta
from functools import cached_property

from django.utils import timezone

from anmin.cases.models import ApprovalRequest
from anmin.dispatch.models import Unit
from anmin.feedback.actions import CALLBACK_AFTER_DAYS
from anmin.feedback.models import Survey
from anmin.grassroots import SECTIONS, shows_grassroots
from anmin.org.views import landing
from anmin.services.models import OPEN_STATUSES, Application


def shows_approvals(user) -> bool:
    """审批 is in the menu of those who approve (the leaders), never of the 三权分立 administrators."""
    return user.can_approve and not user.administers_security


def shows_unit_work(user) -> bool:
    """回访 and 政务服务 (like 统计, 群众上报, 预约约考) are in the menu of officers placed in a unit,
    and of the bureau."""
    return user.sees_everything or user.organization_id is not None


class Menu:
    """What the menu of one request shows. Each figure is one COUNT, made the first time the
    template reads it; the template reads only those of the entries it shows."""

    def __init__(self, user):
        self.user = user

    @cached_property
    def has_units(self) -> bool:
        return Unit.objects.filter(members=self.user).exists()

    @cached_property
    def approvals(self) -> int:
        """审批待办: the requests in the leader's scope asked by someone else (the approval inbox)."""
        if not shows_approvals(self.user):
            return 0
        return ApprovalRequest.objects.inbox_of(self.user).count()

    @cached_property
    def callbacks(self) -> int:
        """The callback queue as it opens: surveys still unanswered CALLBACK_AFTER_DAYS after they went out."""
        if not shows_unit_work(self.user):
            return 0
        due = timezone.now() - timedelta(days=CALLBACK_AFTER_DAYS)
        return Survey.objects.visible_to(self.user).unanswered().filter(opened_at__lte=due).count()

    @cached_property
    def services(self) -> int:
        """The 办件 queue as it opens: applications not yet final (submitted, accepted, reviewing)."""
        if not shows_unit_work(self.user):
            return 0
        return Application.objects.visible_to(self.user).filter(status__in=OPEN_STATUSES).count()

    @cached_property
    def grassroots(self) -> bool:
        """Whether 基层 (communities, disputes, posts, patrol, missing persons) is in the menu."""
        return shows_grassroots(self.user)

    #: The screens 基层 stands for: the entry is lit on each of them.
    grassroots_sections = SECTIONS

    @cached_property
    def home(self) -> str:
        """Where the brand and 工作台 lead: the role's screen (anmin.org.views.landing)."""
        return landing(self.user, has_units=lambda: self.has_units)


def menu(request) -> dict:
    """Context processor: `menu` for a signed-in officer, nothing for anyone else (citizens, strangers)."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {"menu": Menu(user)}
