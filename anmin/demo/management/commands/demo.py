"""`anmin demo`: migrate, build the demo city into an empty database, print the logins, serve."""

import importlib
import time
import unicodedata
from datetime import timedelta
from io import StringIO

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from anmin.core import keys
from anmin.demo.builder import build_archive, build_demo_city, demo_logins
from anmin.demo.cases import build_demo_cases, start_demo_clocks
from anmin.demo.portal import build_demo_portal
from anmin.incidents import suggest
from anmin.library.seed import seed_library
from anmin.org.models import Organization

DEMO_PARTS = [
    "anmin.demo.communities",
    "anmin.demo.disputes",
    "anmin.demo.posts",
    "anmin.demo.patrol",
    "anmin.demo.missing",
    "anmin.demo.missing_cases",
]

MAX_DAYS = 366


def _width(text: str) -> int:
    """Columns a string takes in a terminal: CJK characters are two columns wide."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _pad(text: str, width: int) -> str:
    return text + " " * (width - _width(text))


def format_table(headers: list[str], rows: list[list[str]]) -> list[str]:
    """Plain-text table lines, aligned for Chinese text."""
    widths = [max(_width(str(cell)) for cell in column) for column in zip(headers, *rows, strict=True)]
    lines = ["  ".join(_pad(h, w) for h, w in zip(headers, widths, strict=True)).rstrip()]
    lines.append("  ".join("-" * w for w in widths))
    lines += ["  ".join(_pad(str(c), w) for c, w in zip(row, widths, strict=True)).rstrip() for row in rows]
    return lines


class Command(BaseCommand):
    help = (
        "Run the demo: migrate, load the demo city (衡水) if the database is empty, print the demo "
        "logins and serve on http://HOST:PORT/."
    )

    def add_arguments(self, parser):
        parser.add_argument("--no-serve", action="store_true", help="prepare the database and exit")
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--days", type=int, default=30, help="days of incident history to generate")
        parser.add_argument(
            "--no-archive",
            action="store_true",
            help="skip the archive (closed incidents and cases from 1 January last year, for the statistics)",
        )

    def handle(self, *args, no_serve: bool, host: str, port: int, days: int, no_archive: bool = False, **options):
        if not 0 <= days <= MAX_DAYS:
            raise CommandError(f"--days must be between 0 and {MAX_DAYS}, got {days}")
        if not 0 < port < 65536:
            raise CommandError(f"--port must be between 1 and 65535, got {port}")
        # The demo keeps its own audit and data keys beside its database (VAR_DIR/keys), made on
        # first run; a real deployment names its keys in AUDIT_KEY(_FILE) and DATA_KEY(_FILE).
        if keys.configured():
            call_command("keys", "init", verbosity=0, stdout=StringIO())
        call_command("migrate", interactive=False, verbosity=0)

        if Organization.objects.exists():
            self.stdout.write(_("数据库中已有数据，跳过生成演示城市。"))
        else:
            self.stdout.write(_("正在生成演示城市（%(days)s 天历史警情）…") % {"days": days})
            started = time.monotonic()
            with transaction.atomic():
                build_demo_city(days=days, out=lambda line: self.stdout.write(f"  {line}"))
                if not no_archive:
                    history_start = timezone.now() - timedelta(days=days)
                    build_archive(until=history_start, out=lambda line: self.stdout.write(f"  {line}"))
                build_demo_cases(out=lambda line: self.stdout.write(f"  {line}"))
                clocks, result = start_demo_clocks(timezone.now())
                self.stdout.write(f"  办案时限：{clocks} 个时钟（临期 {result.due_soon}，超期 {result.overdue}）")
                self.stdout.write(f"  {build_demo_portal()}")
                # The 基层 parts, each its own module with build(now) -> a line for the log, in
                # this order: disputes, visits and groups need the communities.
                for part in DEMO_PARTS:
                    line = importlib.import_module(part).build(timezone.now())
                    if line:
                        self.stdout.write(f"  {line}")
                created, _skipped = seed_library()
                self.stdout.write(f"  典型案例：{created} 篇")
                # The intake's category suggestions learn from closed incidents, as a bureau's would
                # after `anmin categories train`: the demo trains once on its own history.
                model = suggest.train()
                self.stdout.write(f"  类别推荐模型：依据 {model.trained_on} 条已结警情训练")
            self.stdout.write(
                self.style.SUCCESS(_("演示城市已生成，用时 %(s).1f 秒。") % {"s": time.monotonic() - started})
            )
            # Pin the new trail outside the database (a real deployment anchors periodically).
            call_command("audit", "anchor", stdout=StringIO())

        # Re-derived from the officers every time: the password is the published demo password,
        # never stored anywhere but as each login's hash.
        logins = demo_logins()
        self.stdout.write("")
        if logins:
            self.stdout.write(_("演示账号："))
            rows = [
                [row["role_label"], row["username"], row["badge_number"] or "", row["password"], row["organization"]]
                for row in logins
            ]
            headers = [_("角色"), _("用户名"), _("警号"), _("密码"), _("单位")]
            for line in format_table(headers, rows):
                self.stdout.write(f"  {line}")
        else:
            self.stdout.write(_("此数据库不是演示城市生成的，没有演示账号。"))
        url = f"http://{host}:{port}/"
        self.stdout.write("")
        self.stdout.write(_("网址：%(url)s") % {"url": url})
        self.stdout.write(_("系统管理：%(url)sadmin/") % {"url": url})
        if not no_serve:
            call_command("serve", host=host, port=port)
