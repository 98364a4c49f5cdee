"""Background task of the broadcast, run by `anmin db_worker`: advance one case, then enqueue the
next run for the moment the case next has work (a ring's time, a retry, a rate-limit window).

django-tasks has no periodic schedule, so a case's chain re-enqueues itself with `run_after`. Two
chains of one case (opened, then found) are harmless: rings are logged once per case and rule, a
send is claimed by a conditional UPDATE before it goes out, and each group has one send per kind.
"""

import logging

from django.utils import timezone
from django_tasks import task

log = logging.getLogger("anmin.missing.broadcast")


@task()
def advance_case(case_id: int) -> dict:
    """Advance the broadcast of one case (see `broadcast.advance`) and schedule its next run."""
    from anmin.missing.broadcast import advance
    from anmin.missing.models import MissingCase

    case = MissingCase.objects.filter(pk=case_id).first()
    if case is None:
        return {"case": case_id, "next": None}
    next_at = None
    try:
        next_at = advance(case)
    finally:
        if next_at is not None:
            schedule(case_id, at=next_at)
    return {"case": case_id, "next": next_at.isoformat() if next_at else None}


def schedule(case_id: int, at=None):
    """Enqueue an advance of the case at `at` (now when None or past), after the commit that opened it."""
    from anmin.core.actions import after_commit

    def enqueue():
        when = at if at is not None and at > timezone.now() else None
        try:
            (advance_case.using(run_after=when) if when else advance_case).enqueue(case_id)
        except Exception:
            log.exception("could not enqueue the broadcast of case %s", case_id)

    after_commit(enqueue)
