"""`anmin supervise scan|start|backfill`: the clock scan by hand, the background scan, old cases.

* `scan [--now ISO]`  run one scan now (or as if at --now) and print what changed;
* `start`             enqueue the background scan (run by `anmin db_worker`), unless one waits;
* `backfill`          start the clocks that open cases call for but lack (imported or older cases).
"""

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone
from django.utils.dateparse import parse_datetime


class Command(BaseCommand):
    help = (
        "办案时限: `scan` runs one clock scan, `start` enqueues the background scan, `backfill` starts missing clocks."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="what", required=True)
        scan = sub.add_parser("scan", help="run one scan now and print what changed")
        scan.add_argument("--now", help="scan as if at this ISO 8601 time (with a zone, e.g. 2026-10-09T08:00+08:00)")
        sub.add_parser("start", help="enqueue the background scan for `anmin db_worker` (once)")
        sub.add_parser("backfill", help="start the clocks open cases lack (imported or older cases)")

    def handle(self, *args: Any, what: str, **options: Any) -> None:
        if what == "scan":
            from anmin.supervision.scan import scan

            now = None
            if options.get("now"):
                now = parse_datetime(options["now"])
                if now is None or timezone.is_naive(now):
                    raise CommandError("--now must be an ISO 8601 time with a zone, e.g. 2026-10-09T08:00+08:00")
            self.stdout.write(json.dumps(scan(now).as_dict(), ensure_ascii=False))
        elif what == "start":
            from anmin.supervision.tasks import ensure_scheduled

            if ensure_scheduled():
                self.stdout.write("clock scan enqueued; run `anmin db_worker` to keep it going")
            else:
                self.stdout.write("a clock scan is already waiting; nothing enqueued")
        elif what == "backfill":
            from anmin.core.actions import write_transaction
            from anmin.supervision.clocks import backfill

            with write_transaction():
                started = backfill()
            self.stdout.write(f"started {started} clocks")
