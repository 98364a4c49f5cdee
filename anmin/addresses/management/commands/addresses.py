"""`anmin addresses load` / `anmin addresses match "TEXT"`: the standard address library.

`load` writes the city's divisions (区县、乡镇/街道、村/社区) from the packaged extract, and can be
run again at any time: it changes only what differs and never replaces a point a bureau imported.
`match` prints what the library makes of a spoken address, as the intake page gets it.
Exit codes: 0 done (for `match`, also when nothing matched), 2 the input could not be used.
"""

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from anmin.addresses.divisions import DATA, DivisionFileError, LoadDivisions
from anmin.addresses.match import MAX_QUERY, match, normalize
from anmin.addresses.models import Level


class Command(BaseCommand):
    help = (
        "Standard address library: `anmin addresses load` loads the city's divisions (idempotent); "
        '`anmin addresses match "衡水学院东门"` prints the best candidates with their scores.'
    )

    def add_arguments(self, parser):
        commands = parser.add_subparsers(dest="verb", required=True)
        load = commands.add_parser("load", help="load the 区县、乡镇/街道 and 村/社区 of the city")
        load.add_argument("--file", default=str(DATA), help="a divisions CSV (code,name,parent_code,level)")
        found = commands.add_parser("match", help="match a spoken address against the library")
        found.add_argument("text")
        found.add_argument("--limit", type=int, default=10, choices=range(1, 51), metavar="1-50")

    def handle(self, *args, verb: str, **options):
        if verb == "load":
            self.load(options["file"])
        else:
            self.match(options["text"], options["limit"])

    def load(self, path: str) -> None:
        from pathlib import Path

        try:
            result = LoadDivisions(path=Path(path)).execute()
        except (DivisionFileError, OSError) as exc:
            raise CommandError(str(exc), returncode=2) from None
        for level in (Level.COUNTY, Level.TOWN, Level.VILLAGE):
            self.stdout.write(
                _("%(level)s：新增 %(created)s，更新 %(updated)s，未变 %(unchanged)s")
                % {
                    "level": Level(level).label,
                    "created": result.created.get(level, 0),
                    "updated": result.updated.get(level, 0),
                    "unchanged": result.unchanged.get(level, 0),
                }
            )
        if not result.outlines:
            self.stdout.write(_("未找到区县边界，乡镇和村的近似位置按县城周边圆形范围推算"))

    def match(self, text: str, limit: int) -> None:
        if not normalize(text) or len(text) > MAX_QUERY:
            raise CommandError(_("地址须为 1 到 %(n)s 个字") % {"n": MAX_QUERY}, returncode=2)
        candidates = match(text, limit)
        if not candidates:
            self.stdout.write(_("没有匹配的地址"))
            return
        for c in candidates:
            point = f"{c.lat:.6f},{c.lon:.6f}" if c.lat is not None and c.lon is not None else "-"
            mark = _("（近似）") if c.approximate else ""
            self.stdout.write(f"{c.score:3d}  {c.code:<20}  {Level(c.level).label:<6}  {c.full_name}  {point}{mark}")
