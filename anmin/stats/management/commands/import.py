"""`anmin import incidents|cases FILE [--report PATH]`: load historical records (历史数据导入).

Exit code 0 when every row was imported or already present, 1 when some rows were rejected (they are
listed, and written to the report), 2 when the file as a whole could not be read.
"""

import time

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from anmin.stats.importer import IMPORTERS, ImportFileError

SHOWN_REJECTIONS = 20


def _plain(text: str) -> str:
    return text  # not the red of errors that Django gives stderr on a terminal


class ProgressBar:
    """A one-line `\\r` bar on a terminal: rows read, share of the file, rows per second."""

    width = 30

    def __init__(self, stream):
        self.stream = stream
        self.started = time.monotonic()
        self.drawn = False

    def __call__(self, rows: int, fraction: float | None) -> None:
        elapsed = max(time.monotonic() - self.started, 1e-6)
        if fraction is None:
            bar, share = "", ""
        else:
            filled = int(self.width * min(max(fraction, 0.0), 1.0))
            bar, share = f"[{'#' * filled}{'.' * (self.width - filled)}] ", f"{fraction:4.0%} "
        counts = _("%(rows)s 行  %(rate)s 行/秒") % {"rows": f"{rows:,}", "rate": f"{rows / elapsed:,.0f}"}
        self.stream.write(f"\r{bar}{share}{counts} ", style_func=_plain, ending="")
        self.stream.flush()
        self.drawn = True

    def finish(self) -> None:
        if self.drawn:
            self.stream.write("", style_func=_plain)


class Command(BaseCommand):
    help = (
        "Import historical incidents or cases from a CSV (UTF-8 or GBK) or XLSX file: "
        "`anmin import incidents FILE`, `anmin import cases FILE`. Rejected rows are written to "
        "FILE.rejected.csv (or --report PATH); rows already present are skipped."
    )

    def add_arguments(self, parser):
        parser.add_argument("what", choices=sorted(IMPORTERS), help="incidents or cases")
        parser.add_argument("file", help="CSV or XLSX file with a header row")
        parser.add_argument("--report", default=None, help="where to write the rejected rows (CSV)")

    def handle(self, *args, what: str, file: str, report: str | None, **options):
        progress = ProgressBar(self.stderr) if self.stderr.isatty() else None
        try:
            result = IMPORTERS[what](file, report_path=report, progress=progress)
        except ImportFileError as exc:
            raise CommandError(str(exc), returncode=2) from None
        finally:
            if progress:
                progress.finish()
        self.stdout.write(
            result.summary()
            + _("（用时 %(seconds).1f 秒，%(rate)s 行/秒）")
            % {
                "seconds": result.seconds,
                "rate": f"{result.rate:,.0f}",
            }
        )
        if not result.rejected:
            return
        for rejection in result.rejected[:SHOWN_REJECTIONS]:
            self.stderr.write(
                _("第 %(row)s 行 %(field)s：%(reason)s")
                % {"row": rejection.row, "field": rejection.field or "-", "reason": rejection.reason}
            )
        if len(result.rejected) > SHOWN_REJECTIONS:
            self.stderr.write(_("……另有 %(n)s 条") % {"n": len(result.rejected) - SHOWN_REJECTIONS})
        raise CommandError(
            _("%(n)s 行被拒绝，明细已写入 %(path)s") % {"n": result.rejected_rows, "path": result.report_path},
            returncode=1,
        )
