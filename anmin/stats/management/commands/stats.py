from datetime import date

from django.core.management.base import BaseCommand, CommandError

from anmin.stats import rollups


def _day(value: str, name: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise CommandError(f"--{name}: 「{value}」不是日期（应为 YYYY-MM-DD）") from None


class Command(BaseCommand):
    help = (
        "Statistics rollups: `anmin stats verify` recomputes every figure from the raw records and reports "
        "any difference (exit 1); `anmin stats rebuild` rewrites the rollups from the records."
    )

    def add_arguments(self, parser):
        parser.add_argument("verb", choices=["verify", "rebuild"])
        parser.add_argument("--from", dest="start", help="first day (YYYY-MM-DD); whole months are processed")
        parser.add_argument("--to", dest="end", help="last day (YYYY-MM-DD)")

    def handle(self, *args, verb, start=None, end=None, **options):
        if bool(start) != bool(end):
            raise CommandError("--from 与 --to 须同时给出")
        first = _day(start, "from") if start else None
        last = _day(end, "to") if end else None
        if first and last and last < first:
            raise CommandError("--to 早于 --from")
        if verb == "rebuild":
            rows = rollups.rebuild(first, last)
            self.stdout.write(self.style.SUCCESS(f"汇总表已重建：{rows} 个日汇总行"))
            return
        differences = rollups.verify(first, last)
        if not differences:
            self.stdout.write(self.style.SUCCESS("统计汇总与原始记录一致（零差错）"))
            return
        for difference in differences[:50]:
            self.stderr.write(str(difference))
        if len(differences) > 50:
            self.stderr.write(f"…… 另有 {len(differences) - 50} 处")
        self.stderr.write(f"发现 {len(differences)} 处不一致；`anmin stats rebuild` 可按原始记录重建")
        raise SystemExit(1)
