"""Template tags of supervision: `{% case_clocks case %}` (the clocks panel of the case page),
`user|can_supervise` (whether to show the board), `remaining_time` (a countdown in words)."""

from datetime import datetime, timedelta

from django import template
from django.utils import timezone
from django.utils.translation import gettext as _

from anmin.cases.models import ApprovalRequest, Case
from anmin.core.errors import ActionError
from anmin.supervision import actions
from anmin.supervision.clocks import MANUAL_END_EVENTS
from anmin.supervision.deadlines import deadline, rule_spec
from anmin.supervision.models import Clock, ClockExtension

register = template.Library()


@register.filter
def can_supervise(user) -> bool:
    return actions.can_supervise(user)


def duration_words(delta: timedelta) -> str:
    """ "2天3小时", "5小时12分", "8分": two units at most, the way a duty officer reads a deadline."""
    seconds = int(abs(delta.total_seconds()))
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes = rest // 60
    if days:
        return _("%(d)s天%(h)s小时") % {"d": days, "h": hours}
    if hours:
        return _("%(h)s小时%(m)s分") % {"h": hours, "m": minutes}
    return _("%(m)s分") % {"m": minutes}


@register.simple_tag
def remaining_time(due: datetime, now: datetime) -> str:
    """ "剩余 2天3小时" before the deadline, "超期 5小时12分" after it."""
    delta = due - now
    template_ = _("剩余 %(time)s") if delta >= timedelta(0) else _("超期 %(time)s")
    return template_ % {"time": duration_words(delta)}


def countdown_labels() -> dict[str, str]:
    """The same words for the page's script, which updates the countdowns every minute."""
    return {
        "left": _("剩余 %(time)s"),
        "over": _("超期 %(time)s"),
        "dh": _("%(d)s天%(h)s小时"),
        "hm": _("%(h)s小时%(m)s分"),
        "m": _("%(m)s分"),
    }


def _options(clock: Clock) -> list:
    """The extensions that could still be asked for: not yet approved, prerequisites met, and not
    excluded by one already approved (deadline() says which combinations the law allows)."""
    spec = rule_spec(clock.rule.code)
    if spec is None:
        return []
    options = []
    for ext in spec.extensions.values():
        if ext.code in clock.extensions:
            continue
        try:
            deadline(spec.code, clock.started_at, extensions=[*clock.extensions, ext.code])
        except ActionError:
            continue
        options.append(ext)
    return options


@register.inclusion_tag("supervision/case_clocks.html", takes_context=True)
def case_clocks(context, case: Case) -> dict:
    """The case page's clocks panel: running clocks by deadline, then stopped ones. Three queries."""
    from anmin.cases.actions import can_handle

    request = context.get("request")
    user = getattr(request, "user", None)
    handle = context.get("can_handle")
    if handle is None:
        handle = can_handle(user, case)
    now = timezone.now()
    clocks = list(case.clocks.select_related("rule", "measure__person"))
    pending = set(
        ClockExtension.objects.filter(clock__case=case, approval__status=ApprovalRequest.Status.PENDING).values_list(
            "clock_id", flat=True
        )
    )
    running = sorted((c for c in clocks if c.is_running), key=lambda c: (c.due_at, c.pk))
    stopped = sorted((c for c in clocks if not c.is_running), key=lambda c: (c.stopped_at, c.pk), reverse=True)
    items = [
        {
            "clock": clock,
            "remaining": remaining_time(clock.due_at, now),
            "options": _options(clock) if handle and clock.pk not in pending else [],
            "pending": clock.pk in pending,
            "manual": handle and clock.rule.end_event in MANUAL_END_EVENTS,
        }
        for clock in running
    ]
    return {
        "case": case,
        "items": items,
        "stopped": stopped,
        "now": now,
        "labels": countdown_labels(),
        "csrf_token": context.get("csrf_token"),
    }
