"""Background task: the clock scan, every SCAN_INTERVAL seconds, run by `anmin db_worker`.

django-tasks has no periodic schedule, so each scan enqueues the next one with `run_after`. The
next scan is enqueued even when this one fails (a bad row must not silence every clock), but only
when no other scan is already waiting: `anmin supervise start` twice, or two workers, must not
double the chain — and a doubled chain heals itself at its next link.
"""

import logging
from datetime import timedelta

from django.conf import settings
from django.db.models import Q
from django.utils import timezone
from django_tasks import TaskContext, task
from django_tasks.base import TaskResultStatus

log = logging.getLogger(__name__)


@task(takes_context=True)
def scan_clocks(context: TaskContext) -> dict:
    """One clock scan (see `scan.scan`); then the next one SCAN_INTERVAL seconds later."""
    from anmin.supervision.scan import scan

    try:
        return scan().as_dict()
    finally:
        if not waiting_scans(besides=context.task_result.id):
            schedule_next()


def schedule_next(delay_seconds: int | None = None):
    """Enqueue a scan to run `delay_seconds` (default SCAN_INTERVAL) from now."""
    delay = settings.SCAN_INTERVAL if delay_seconds is None else delay_seconds
    return scan_clocks.using(run_after=timezone.now() + timedelta(seconds=delay)).enqueue()


def waiting_scans(besides: str | None = None) -> int | None:
    """How many scans other than `besides` wait in the database queue: ready, or started in the last
    ten minutes by a worker that will enqueue the next. None when the backend cannot say (it is not
    django-tasks-db)."""
    if scan_clocks.get_backend().__class__.__name__ != "DatabaseBackend":
        return None
    from django_tasks_db.models import DBTaskResult

    recent = timezone.now() - timedelta(minutes=10)
    ready = Q(status=TaskResultStatus.READY)
    running = Q(status=TaskResultStatus.RUNNING, started_at__gte=recent)
    waiting = DBTaskResult.objects.filter(ready | running, task_path=scan_clocks.module_path)
    return waiting.exclude(id=besides).count() if besides else waiting.count()


def ensure_scheduled() -> bool:
    """Enqueue a scan to run now unless one is already waiting; True if one was enqueued."""
    if waiting_scans():
        return False
    scan_clocks.enqueue()
    return True
