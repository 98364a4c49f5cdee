"""`anmin calendar load FILE|status`: the State Council's holiday arrangement, loaded by the legal unit.

* `load FILE [--source TEXT]`  load a year's arrangement from CSV (date,kind,name) or JSON; a file
                               with any bad row loads nothing (see `anmin.supervision.holidays`);
* `status [--years N]`         which years from this one on have an arrangement loaded.
"""

import json
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from anmin.core.errors import ActionError


class Command(BaseCommand):
    help = "法定节假日安排: `load FILE` loads a year's State Council notice, `status` shows which years are loaded."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="what", required=True)
        load = sub.add_parser("load", help="load CSV (date,kind,name) or JSON; nothing is written if any row is bad")
        load.add_argument("file", type=Path)
        load.add_argument("--source", default="", help="the notice the file comes from, e.g. 国办发明电〔2026〕X号")
        status = sub.add_parser("status", help="which years are loaded")
        status.add_argument("--years", type=int, default=3, help="how many years from this one (default 3)")

    def handle(self, *args: Any, what: str, **options: Any) -> None:
        from anmin.supervision import calendar, holidays

        if what == "load":
            path: Path = options["file"]
            try:
                content = path.read_bytes()
            except OSError as exc:
                raise CommandError(f"cannot read {path}: {exc.strerror}") from None
            try:
                rows = holidays.parse(content, path.name)
                result = holidays.load(rows, source=options["source"] or path.name)
            except ActionError as exc:
                raise CommandError(exc.message) from None
            self.stdout.write(json.dumps(result, ensure_ascii=False))
        else:
            from django.utils import timezone

            this_year = timezone.localdate().year
            years = range(this_year, this_year + max(1, min(options["years"], 50)))
            self.stdout.write(json.dumps({str(y): calendar.year_is_loaded(y) for y in years}))
