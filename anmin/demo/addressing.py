"""Addresses for the demo's calls, as a caller gives them and a call-taker writes them down: a street
and a house number in town (桃城区人民路88号, 景县景州镇建设路12号), a village and a house number in
the countryside (饶阳县王同岳镇崔池村15号). Never a grid id: an H3 index means nothing to anyone who
reads a case title.

The villages are the real 村/社区 of the 乡镇 each 派出所 serves, from the address library's data file
(anmin/addresses/data/hengshui_divisions.csv, the statistics bureau's division codes). The demo only
reads it; the address library is what loads it.
"""

import functools
import random
from dataclasses import dataclass
from pathlib import Path

from anmin.demo.data import COUNTY_STREETS, TAOCHENG_DIVISION, URBAN_STREETS, BranchSpec, StationSpec
from anmin.geo.models import AreaType

DIVISIONS_CSV = Path(__file__).resolve().parent.parent / "addresses" / "data" / "hengshui_divisions.csv"
#: The two functional areas as an address names them (the statistics call them 河北衡水高新技术产业开发区
#: and 衡水滨湖新区).
AREA_NAMES = {"131171": "衡水高新区", "131172": "衡水滨湖新区"}
#: Published endings of a 村/社区 committee's name, and what an address writes instead.
COMMITTEE_ENDINGS = (
    ("村村民委员会", "村"),
    ("村民委员会", "村"),
    ("社区居民委员会", "社区"),
    ("居民委员会", "社区"),
    ("居委会", "社区"),
)


def place_name(published: str) -> str | None:
    """A village as an address names it: 崔池村民委员会 → 崔池村, 游园社区居民委员会 → 游园社区; None for
    the virtual communities and 管理区 of the development zones, where nobody lives at a house number."""
    if published.endswith(("虚拟社区", "管理区")):
        return None
    for ending, written in COMMITTEE_ENDINGS:
        if published.endswith(ending):
            return published[: -len(ending)] + written
    return published


@dataclass(frozen=True)
class Divisions:
    #: code → published name, for the 区县 and 乡镇/街道.
    names: dict[str, str]
    #: 乡镇/街道 code → its villages as an address names them, 村 before 社区.
    villages: dict[str, tuple[str, ...]]


@functools.cache
def divisions() -> Divisions:
    """The divisions file, read once per process (5,000 lines)."""
    import csv

    names: dict[str, str] = {}
    villages: dict[str, list[str]] = {}
    with DIVISIONS_CSV.open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            if row["level"] == "village":
                name = place_name(row["name"])
                if name:
                    villages.setdefault(row["parent_code"], []).append(name)
            else:
                names[row["code"]] = row["name"]
    ordered = {town: tuple(sorted(found, key=lambda n: n.endswith("社区"))) for town, found in villages.items()}
    return Divisions(names=names, villages=ordered)


def town_name(station: StationSpec) -> str:
    """The published name of the 乡镇/街道 a 派出所 serves ("王同岳镇", "河西街道")."""
    return divisions().names[station.town]


def county_name(station: StationSpec) -> str:
    county = station.town[:6]
    return AREA_NAMES.get(county) or divisions().names[county]


class AddressMaker:
    """Draws addresses with the builder's random generator, so the same seed gives the same city."""

    def __init__(self, rng: random.Random):
        self.rng = rng
        data = divisions()
        self.villages: dict[str, tuple[str, ...]] = {}
        for town, names in data.villages.items():
            rural = tuple(n for n in names if n.endswith("村"))
            self.villages[town] = rural or names

    def village(self, station: StationSpec) -> str:
        """A real 村 (or, in a 街道 without villages, a 社区) of the station's 乡镇; any of the county's
        when the 乡镇 lists none."""
        names = self.villages.get(station.town)
        if not names:
            county = station.town[:6]
            names = tuple(n for town, found in self.villages.items() if town.startswith(county) for n in found)
        return self.rng.choice(names)

    def address(self, branch: BranchSpec, station: StationSpec, area_type: str) -> str:
        """Where a call in this station's area comes from, written as the call-taker would."""
        rng = self.rng
        number = rng.randint(1, 300)
        if area_type == AreaType.RURAL:
            return f"{county_name(station)}{town_name(station)}{self.village(station)}{number}号"
        if branch.division == TAOCHENG_DIVISION:
            return f"{branch.region}{rng.choice(URBAN_STREETS)}{number}号"
        return f"{branch.region}{town_name(station)}{rng.choice(COUNTY_STREETS)}{number}号"
