"""Loading the city's divisions (区县、乡镇/街道、村/社区) into the library: `anmin addresses load`.

The packaged extract (data/hengshui_divisions.csv, see data/SOURCES.md) names each division as the
statistics publish it ("王庄村村民委员会"); an address names it as people say it ("王庄村"), and
callers shorten it further ("王庄"). So each division is written with its address name, its full
address, the published name and the short forms as aliases, and a point (anmin.addresses.points).

Loading again changes nothing that is already right: rows are compared with what is stored and
only differences are written. A point a bureau imported (approximate=False) is never replaced by
a computed one, and aliases it added are kept.
"""

import csv
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from anmin.addresses.models import CITY_CODE, PREFIX, Address, Level
from anmin.addresses.points import Placer, Town
from anmin.core.actions import Action

DATA = Path(__file__).resolve().parent / "data" / "hengshui_divisions.csv"
COLUMNS = ("code", "name", "parent_code", "level")
LEVELS = (Level.COUNTY, Level.TOWN, Level.VILLAGE)
BATCH = 1000

#: Suffixes a caller leaves out, longest first: 桃城 for 桃城区, 河西 for 河西街道.
SUFFIXES = (
    "社区居民委员会",
    "社区居委会",
    "村民委员会",
    "居民委员会",
    "村委会",
    "居委会",
    "办事处",
    "街道",
    "社区",
    "区",
    "县",
    "市",
    "镇",
    "乡",
    "村",
)
#: Names the statistics use that nobody says: what callers call them instead.
COMMON_NAMES = {
    "131171": ("高新区", "衡水高新区", "高新开发区"),
    "131172": ("滨湖新区", "滨湖", "衡水湖"),
    "131103401": ("冀州高新区",),
    "131125400": ("安平高新区",),
    "131171400": ("衡水高新区",),
}
_ZONE = re.compile(r"^(?:河北)?(?P<place>.*?)高新技术产业开发区$")


def address_name(name: str, level: str) -> str:
    """How an address names a division: 王庄村村民委员会 → 王庄村, 刘家庄村民委员会 → 刘家庄村,
    游园社区居民委员会 → 游园社区, 南街居民委员会 → 南街居委会; without the province and city an
    address already begins with (河北衡水高新技术产业开发区 → 高新技术产业开发区, 衡水滨湖新区 →
    滨湖新区, 河北冀州高新技术产业开发区 → 冀州高新技术产业开发区)."""
    if level != Level.VILLAGE:
        stripped = name.removeprefix("河北")
        if level == Level.COUNTY:
            stripped = stripped.removeprefix("衡水")
        return stripped if len(stripped) >= 2 else name
    if name.endswith("村民委员会") and len(name) > 5:
        stem = name[: -len("村民委员会")]
        return stem if stem.endswith("村") else f"{stem}村"
    if name.endswith("社区居民委员会"):
        return name[: -len("居民委员会")]
    if name.endswith("居民委员会") and len(name) > 5:
        return name[: -len("居民委员会")] + "居委会"
    return name


def short_forms(name: str) -> list[str]:
    """The name without the suffix of its kind (桃城区 → 桃城, 河西街道 → 河西), when two
    characters or more remain; 高新技术产业开发区 as 高新区."""
    zone = _ZONE.match(name)
    if zone:
        return [f"{zone.group('place')}高新区"]
    for suffix in SUFFIXES:
        if name.endswith(suffix) and len(name) - len(suffix) >= 2:
            return [name[: -len(suffix)]]
    return []


def aliases_for(code: str, published: str, name: str) -> list[str]:
    out: list[str] = []
    for alias in (published, *short_forms(name), *COMMON_NAMES.get(code, ())):
        if alias and alias != name and alias not in out:
            out.append(alias)
    return out


@dataclass
class LoadResult:
    created: dict[str, int] = field(default_factory=dict)
    updated: dict[str, int] = field(default_factory=dict)
    unchanged: dict[str, int] = field(default_factory=dict)
    outlines: bool = False

    def count(self, level: str) -> int:
        return self.created.get(level, 0) + self.updated.get(level, 0) + self.unchanged.get(level, 0)


class DivisionFileError(Exception):
    """The divisions file is not what the loader expects (a bad extract): nothing was written."""


def read_divisions(path: Path = DATA) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as source:
        reader = csv.DictReader(source)
        if tuple(reader.fieldnames or ()) != COLUMNS:
            raise DivisionFileError(f"{path}: the columns must be {', '.join(COLUMNS)}")
        rows = list(reader)
    codes = {r["code"] for r in rows} | {CITY_CODE}
    for number, row in enumerate(rows, start=2):
        if row["level"] not in LEVELS or not row["code"].isdigit() or not row["name"]:
            raise DivisionFileError(f"{path}, row {number}: not a division: {row}")
        if row["parent_code"] not in codes:
            raise DivisionFileError(f"{path}, row {number}: parent {row['parent_code']} is not in the file")
    return rows


def write(objects: list[Address]) -> None:
    """Insert or update by code, in batches (one statement each, parents' codes need no lookup)."""
    Address.objects.bulk_create(
        objects,
        batch_size=BATCH,
        update_conflicts=True,
        unique_fields=["code"],
        update_fields=["name", "full_name", "level", "parent", "aliases", "category", "lat", "lon", "approximate"],
    )


def merge_aliases(stored: Iterable[str], generated: Iterable[str]) -> list[str]:
    out = list(generated)
    out.extend(a for a in stored if a not in out)
    return out


class LoadDivisions(Action):
    """Load the city's 区县、乡镇/街道 and 村/社区 into the standard address library (idempotent)."""

    audit_action = "addresses.load"

    def __init__(self, *, path: Path = DATA, by=None, placer: Placer | None = None):
        self.path, self.by, self.placer = path, by, placer

    def run(self) -> LoadResult:
        from anmin.addresses.match import invalidate

        rows = read_divisions(self.path)
        placer = self.placer or Placer()
        result = LoadResult(outlines=placer.uses_outlines)
        stored = {a.code: a for a in Address.objects.filter(code__in=[r["code"] for r in rows])}
        by_code = {r["code"]: r for r in rows}
        names = {r["code"]: address_name(r["name"], r["level"]) for r in rows}
        full = {CITY_CODE: PREFIX}
        points: dict[str, tuple[float, float, bool]] = {}
        towns_of: dict[str, list[Town]] = {}
        for r in rows:
            if r["level"] == Level.TOWN:
                towns_of.setdefault(r["parent_code"], []).append(Town(r["code"], r["name"], r["parent_code"]))
        changed: list[Address] = []
        for level in LEVELS:
            for r in (r for r in rows if r["level"] == level):
                code, parent = r["code"], r["parent_code"]
                full[code] = full[parent] + names[code]
                if level == Level.COUNTY:
                    seat = placer.county(code)
                    if seat:
                        points[code] = seat
                    placed = placer.towns(code, r["name"], towns_of.get(code, ()))
                    for town_code, point in placed.items():
                        points[town_code] = (*point, True)
                elif level == Level.VILLAGE and parent in points:
                    county = by_code[parent]["parent_code"]
                    community = by_code[parent]["name"].endswith("街道")
                    point = placer.village(county, code, points[parent][:2], community=community)
                    points[code] = (*point, True)
                changed += self._differences(r, names[code], full[code], points.get(code), stored.get(code), result)
        if changed:
            write(changed)
            invalidate()
        self.audit(
            self.path.name,
            {"created": result.created, "updated": result.updated, "unchanged": result.unchanged},
        )
        return result

    @staticmethod
    def _differences(row, name, full_name, point, stored: Address | None, result: LoadResult) -> list[Address]:
        code, level = row["code"], row["level"]
        aliases = aliases_for(code, row["name"], name)
        lat, lon, approximate = point if point else (None, None, True)
        parent = None if row["parent_code"] == CITY_CODE else row["parent_code"]
        if stored is not None:
            aliases = merge_aliases(stored.aliases, aliases)
            if set(aliases) == set(stored.aliases):
                aliases = stored.aliases  # the same names in the order they were written
            if not stored.approximate and stored.lat is not None:
                lat, lon, approximate = stored.lat, stored.lon, False  # a bureau's surveyed point
            same = (
                stored.name == name
                and stored.full_name == full_name
                and stored.level == level
                and stored.parent_id == parent
                and stored.aliases == aliases
                and (stored.lat, stored.lon, stored.approximate) == (lat, lon, approximate)
            )
            if same:
                result.unchanged[level] = result.unchanged.get(level, 0) + 1
                return []
            result.updated[level] = result.updated.get(level, 0) + 1
        else:
            result.created[level] = result.created.get(level, 0) + 1
        obj = Address(
            code=code,
            name=name,
            full_name=full_name,
            level=level,
            parent_id=parent,
            aliases=aliases,
            category="",
            lat=lat,
            lon=lon,
            approximate=approximate,
        )
        return [obj]
