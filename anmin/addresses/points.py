"""Where a division is, until a bureau imports its surveyed points.

The statistical codes come without coordinates. A call-taker still needs the map to open near
the right place, so each division gets a point:

- a county-level division its seat (WGS-84, from the county government's address; the two
  functional areas, 高新区 and 滨湖新区, the middle of their built-up area, marked approximate);
- a 乡镇/街道 a point inside its county: 街道 in a ring 1–2.5 km around the seat, the town the
  county government sits in (冀州镇 for 冀州区, 郑口镇 for 故城县) beside the seat, the others
  spread over the county at least 4 km from the seat and 3 km from each other;
- a 村/社区 a point within 3.5 km of its town's (1.2 km for a 街道's 社区), inside the county.

Every placement is drawn from a random generator seeded with the division's own code, so the
same library gets the same points on every machine and every load; every such point is
`approximate`. Inside the county means inside its outline (anmin/geo/data/hengshui_counties.geojson,
when present) or, without one, within a disc around the seat.
"""

import json
import math
import random
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from shapely.geometry import Point, shape
from shapely.geometry.base import BaseGeometry
from shapely.prepared import prep

KM_PER_DEG_LAT = 110.95
#: County outlines (GeoJSON, WGS-84, properties code and name), drawn by the geo app.
COUNTY_OUTLINES = Path(__file__).resolve().parent.parent / "geo" / "data" / "hengshui_counties.geojson"

#: code → (lat, lon, approximate): the seat of each county-level division.
SEATS: dict[str, tuple[float, float, bool]] = {
    "131102": (37.735, 115.675, False),  # 桃城区
    "131103": (37.551, 115.579, False),  # 冀州区
    "131121": (37.514, 115.724, False),  # 枣强县
    "131122": (37.802, 115.887, False),  # 武邑县
    "131123": (38.041, 115.982, False),  # 武强县
    "131124": (38.235, 115.726, False),  # 饶阳县
    "131125": (38.234, 115.519, False),  # 安平县
    "131126": (37.347, 115.966, False),  # 故城县
    "131127": (37.692, 116.270, False),  # 景县
    "131128": (37.863, 116.144, False),  # 阜城县
    "131182": (38.001, 115.560, False),  # 深州市
    "131171": (37.760, 115.630, True),  # 河北衡水高新技术产业开发区
    "131172": (37.680, 115.640, True),  # 衡水滨湖新区
}
#: Without an outline: how far from its seat a county's towns may be placed (km).
COUNTY_RADIUS_KM = 15.0
#: The functional areas have no outline of their own: their towns stay this close to their seat.
ZONE_RADIUS_KM = 7.0
URBAN_RING_KM = (1.0, 2.5)
SEAT_TOWN_KM = 0.6
TOWN_MIN_FROM_SEAT_KM = 4.0
TOWN_SPACING_KM = 3.0
VILLAGE_RADIUS_KM = 3.5
COMMUNITY_RADIUS_KM = 1.2
TRIES = 300


def _km_per_deg_lon(lat: float) -> float:
    return KM_PER_DEG_LAT * math.cos(math.radians(lat))


def distance_km(a: tuple[float, float], b: tuple[float, float]) -> float:
    return math.hypot((a[0] - b[0]) * KM_PER_DEG_LAT, (a[1] - b[1]) * _km_per_deg_lon(a[0]))


def offset(origin: tuple[float, float], bearing_deg: float, km: float) -> tuple[float, float]:
    rad = math.radians(bearing_deg)
    lat = origin[0] + km * math.cos(rad) / KM_PER_DEG_LAT
    lon = origin[1] + km * math.sin(rad) / _km_per_deg_lon(origin[0])
    return round(lat, 6), round(lon, 6)


def load_outlines(path: Path = COUNTY_OUTLINES) -> dict[str, BaseGeometry]:
    """County code → outline, or {} when the file is not there (the discs stand in)."""
    if not path.is_file():
        return {}
    features = json.loads(path.read_text(encoding="utf-8")).get("features", [])
    return {str(f["properties"]["code"]): shape(f["geometry"]) for f in features if f.get("geometry")}


@dataclass(frozen=True)
class Town:
    code: str
    name: str
    county: str


class Region:
    """Where a county's divisions may be placed: its outline, or a disc around its seat."""

    def __init__(self, seat: tuple[float, float], outline: BaseGeometry | None, radius_km: float):
        self.seat = seat
        self.outline = prep(outline) if outline is not None else None
        self.radius_km = radius_km

    def __contains__(self, point: tuple[float, float]) -> bool:
        if distance_km(self.seat, point) > self.radius_km:
            return False
        return self.outline is None or self.outline.contains(Point(point[1], point[0]))

    def draw(self, rng: random.Random, around: tuple[float, float], radius_km: float) -> tuple[float, float]:
        """A point uniformly within `radius_km` of `around`."""
        return offset(around, rng.uniform(0, 360), radius_km * math.sqrt(rng.random()))


class Placer:
    """Deterministic approximate points for the divisions of one city."""

    def __init__(self, outlines: dict[str, BaseGeometry] | None = None):
        self.outlines = load_outlines() if outlines is None else outlines
        self.regions: dict[str, Region] = {}
        for code, (lat, lon, _approximate) in SEATS.items():
            seat = (lat, lon)
            outline = self.outlines.get(code)
            if outline is not None:
                # Far enough to take in the whole outline; the outline decides.
                self.regions[code] = Region(seat, outline, 200.0)
                continue
            # A functional area lies inside a county's outline: inside that one, near its seat.
            around = next((o for o in self.outlines.values() if o.contains(Point(lon, lat))), None)
            radius = ZONE_RADIUS_KM if around is not None or code in ("131171", "131172") else COUNTY_RADIUS_KM
            self.regions[code] = Region(seat, around, radius)

    @property
    def uses_outlines(self) -> bool:
        return bool(self.outlines)

    def county(self, code: str) -> tuple[float, float, bool] | None:
        return SEATS.get(code)

    def towns(self, county: str, county_name: str, towns: Iterable[Town]) -> dict[str, tuple[float, float]]:
        """code → point for the 乡镇/街道 of one county (all of them at once: they keep apart)."""
        towns = sorted(towns, key=lambda t: t.code)
        region = self.regions.get(county)
        if region is None:
            return {}
        seat = region.seat
        placed: dict[str, tuple[float, float]] = {}
        urban = [t for t in towns if t.name.endswith("街道")]
        for i, town in enumerate(urban):
            rng = random.Random(int(town.code))
            bearing = 360 * i / len(urban) + rng.uniform(-20, 20)
            placed[town.code] = offset(seat, bearing, rng.uniform(*URBAN_RING_KM))
        seat_town = self._seat_town(county_name, [t for t in towns if t not in urban])
        if seat_town is not None:
            rng = random.Random(int(seat_town.code))
            placed[seat_town.code] = offset(seat, rng.uniform(0, 360), SEAT_TOWN_KM)
        for town in towns:
            if town.code in placed:
                continue
            rng = random.Random(int(town.code))
            spacing, point = TOWN_SPACING_KM, None
            for attempt in range(TRIES):
                if attempt and attempt % 100 == 0:
                    spacing /= 2  # a crowded county: let them come closer rather than give up
                candidate = region.draw(rng, seat, region.radius_km if region.outline is None else 60.0)
                if candidate not in region:
                    continue
                if distance_km(seat, candidate) < min(TOWN_MIN_FROM_SEAT_KM, region.radius_km / 2):
                    continue
                if all(distance_km(candidate, p) >= spacing for p in placed.values()):
                    point = candidate
                    break
            placed[town.code] = point or offset(seat, rng.uniform(0, 360), TOWN_MIN_FROM_SEAT_KM)
        return placed

    @staticmethod
    def _seat_town(county_name: str, towns: list[Town]) -> Town | None:
        """The town the county government sits in: the one named after the county (冀州镇), else
        the first 镇 by code (县城所在镇 come first: 郑口镇 131126100, 景州镇 131127100)."""
        short = county_name[:-1] if len(county_name) > 2 else county_name
        for town in towns:
            if town.name in (f"{short}镇", f"{county_name}镇"):
                return town
        first = [t for t in towns if t.code.endswith("100") and t.name.endswith("镇")]
        return first[0] if first else None

    def village(
        self, county: str, code: str, town: tuple[float, float], *, community: bool = False
    ) -> tuple[float, float]:
        """A point near its town's, inside the county; the town's own point if none fits."""
        region = self.regions.get(county)
        rng = random.Random(int(code))
        radius = COMMUNITY_RADIUS_KM if community else VILLAGE_RADIUS_KM
        for _ in range(30):
            candidate = offset(town, rng.uniform(0, 360), radius * math.sqrt(rng.random()))
            if region is None or candidate in region:
                return candidate
        return town
