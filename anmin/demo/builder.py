"""The demo city (演示城市): a Hengshui-like bureau with its units, grid and a month of 110 history.

`build_demo_city()` fills an empty database so that every screen has something true-looking to
show: the unit tree of 衡水市公安局, the deployment (特警驻点、巡警巡线、派出所和城区警务站控面、
交警岗点), the H3 patrol grid with a 派出所 for every cell, ~150 units with their crews, a local
gazetteer, and `days` days of incidents whose timelines obey the same rules as live ones.

Divisions and seats follow GB/T 2260 (codes 1311xx, approximate WGS-84 centres); 派出所 are named
after real 乡镇/街道 and calls come from real villages (anmin.demo.addressing); street names are
real-sounding and placements approximate: good enough for a demo, not for navigation.

Organization codes (机构代码, 12 digits) = the 6-digit division code of the area served, then one
digit for the kind of unit, two for the 派出所 serial and three for the 警务站 serial::

    DDDDDD 0 00 000   市局 (131100000000) or a 分局/县局 (131102000000, 131121000000, …)
    131100 1 00 000   市局指挥中心
    131100 2 00 000   特警支队
    131100 3 00 000   巡警支队
    131100 4 00 000   交警支队;   DDDDDD 4 00 000 the 交警大队 serving division DDDDDD
    DDDDDD 5 SS 000   派出所 number SS (01, 02, …) of the branch of division DDDDDD
    DDDDDD 5 SS PPP   城区警务站 number PPP (001, 002, …) under 派出所 SS

Logins all use `DEMO_PASSWORD`; only their usernames are remembered (`LOGINS`), so the table of
logins can be re-derived from the database at any time without storing a password anywhere.
"""

import json
import math
import random
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import TypeVar
from zoneinfo import ZoneInfo

import h3
from django.conf import settings
from django.db import transaction
from django.utils import timezone, translation
from shapely.geometry import MultiPoint, Point, Polygon, shape
from shapely.ops import unary_union, voronoi_diagram

from anmin.addresses.demo import load_demo_addresses
from anmin.demo.addressing import AddressMaker
from anmin.demo.data import (
    BATCH,
    BRANCHES,
    BUREAU_DIVISION,
    BUSY_INTERSECTIONS,
    CATEGORY_WEIGHTS,
    CHECKPOINTS,
    CITY_BUFFER_DEG,
    COUNTY_STREETS,
    DEMO_PASSWORD,
    EW_ROADS,
    GIVEN_CHARS,
    HANDLING_MINUTES,
    HIGH_PRIORITY,
    HOURLY_WEIGHTS,
    INCIDENTS_PER_DAY,
    KM_PER_DEG_LAT,
    KM_PER_DEG_LON,
    LATE_SHARE,
    LOCATION_SHARES,
    LOGINS,
    NS_ROADS,
    PATROL_CARS_ON_LINES,
    PATROL_LINES,
    PLACE_SHARE,
    PLACES,
    RANKS,
    RESULTS,
    STREET_POST_NAMES,
    STREET_POST_RINGS,
    SURNAMES,
    SWAT_CATEGORIES,
    SWAT_POSTS,
    SWAT_RESULT,
    TAOCHENG_CENTRE,
    TAOCHENG_DIVISION,
    URBAN_STREETS,
    BranchSpec,
    StationSpec,
)
from anmin.demo.narratives import narrative
from anmin.dispatch.models import UNIT_SPEED_KMH, Assignment, FeedbackResult, Unit, UnitKind, UnitStatus
from anmin.geo.models import AreaType, ArrivalTarget, GridCell, PatrolLine, Place, Post
from anmin.incidents.models import Category, DailySequence, Incident, IncidentClass, IncidentEvent
from anmin.org.models import Officer, Organization, Role
from anmin.stats import rollups

#: 衡水's county outlines (WGS-84), shipped with anmin.geo: the demo is 衡水, whatever COUNTY_BOUNDARIES says.
SHIPPED_COUNTIES = Path(__file__).resolve().parent.parent / "geo" / "data" / "hengshui_counties.geojson"

__all__ = ["DEMO_PASSWORD", "LOGINS", "DemoCityExists", "build_demo_city", "demo_logins"]


class DemoCityExists(RuntimeError):
    """The database already holds a unit tree; the demo city is only ever built into an empty one."""


_T = TypeVar("_T")


def _km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Equirectangular distance in km (see KM_PER_DEG_*)."""
    return math.hypot((lat1 - lat2) * KM_PER_DEG_LAT, (lon1 - lon2) * KM_PER_DEG_LON)


def _offset(lat: float, lon: float, bearing: float, km: float) -> tuple[float, float]:
    """The point `km` away from (lat, lon) towards `bearing` degrees (clockwise from north)."""
    rad = math.radians(bearing)
    return lat + km * math.cos(rad) / KM_PER_DEG_LAT, lon + km * math.sin(rad) / KM_PER_DEG_LON


def _nearest(items: Iterable[_T], lat: float, lon: float) -> _T:
    """The item (anything with .lat and .lon) closest to (lat, lon)."""
    return min(items, key=lambda item: _km(lat, lon, item.lat, item.lon))


def _along(points: Sequence[tuple[float, float]], fraction: float) -> tuple[float, float]:
    """The point at `fraction` (0–1) of the length of a polyline."""
    legs = [_km(*a, *b) for a, b in zip(points, points[1:], strict=False)]
    target = fraction * sum(legs)
    for (a, b), length in zip(zip(points, points[1:], strict=False), legs, strict=True):
        if target <= length and length > 0:
            f = target / length
            return a[0] + (b[0] - a[0]) * f, a[1] + (b[1] - a[1]) * f
        target -= length
    return points[-1]


# --- The builder ------------------------------------------------------------------------------


@dataclass(slots=True)
class _Station:
    org: Organization
    branch: BranchSpec
    spec: StationSpec
    lat: float
    lon: float


@dataclass(slots=True)
class _UnitState:
    """What the history planner needs to know about a unit while it walks through time."""

    unit: Unit
    home: tuple[float, float]
    station_id: int | None  # the 派出所 a station car or foot team belongs to
    actor_id: int | None = None  # the crew member who presses 出警/到场/反馈 on the phone
    busy_until: datetime | None = None

    @property
    def speed_mps(self) -> float:
        return UNIT_SPEED_KMH[self.unit.kind] / 3.6


@dataclass(slots=True)
class _Leg:
    """One unit's planned part in an incident (becomes an Assignment and its events)."""

    unit: _UnitState
    dispatched: datetime
    en_route: datetime
    arrived: datetime
    resolved: datetime
    reported: datetime
    meters: int
    eta_s: int
    reason: str
    result: str
    result_text: str


@dataclass(slots=True)
class _Plan:
    incident: Incident
    legs: list[_Leg] = field(default_factory=list)


class _Builder:
    """Builds the city step by step; each step keeps what the next ones need on `self`."""

    def __init__(self, *, days: int, seed: int, out: Callable[[str], None]):
        self.days = days
        self.rng = random.Random(seed)
        self.out = out
        self.now = timezone.now()
        self.tz = ZoneInfo(settings.TIME_ZONE)
        self.orgs: dict[str, Organization] = {}
        self.stations: list[_Station] = []
        self.units: list[_UnitState] = []
        self.officers: dict[str, Officer] = {}  # login username → officer
        self.badges = iter(self.rng.sample(range(100000, 1000000), 1000))
        self.used_names: set[str] = set()

    # -- people -------------------------------------------------------------------------------

    def _person_name(self) -> str:
        """A common-looking Chinese name, unique within the demo so search results are unambiguous."""
        while True:
            given = "".join(self.rng.choice(GIVEN_CHARS) for _ in range(self.rng.choice((1, 2, 2))))
            name = self.rng.choice(SURNAMES) + given
            if name not in self.used_names:
                self.used_names.add(name)
                return name

    def _phone(self) -> str:
        return self.rng.choice(("13", "15", "18", "17", "19")) + "".join(self.rng.choices("0123456789", k=9))

    def _officer(self, org: Organization | None, role: str, *, username: str = "", rank: str = "") -> Officer:
        badge = f"{next(self.badges):06d}"
        return Officer(
            username=username or badge,
            badge_number=badge,
            full_name=self._person_name(),
            rank=rank or self.rng.choices([r for r, _w in RANKS], weights=[w for _r, w in RANKS])[0],
            phone=self._phone(),
            organization=org,
            role=role,
        )

    # -- steps --------------------------------------------------------------------------------

    def run(self) -> None:
        self.geometry()
        self.organizations()
        self.deployment()
        self.grid()
        self.places()
        self.crews()
        self.history()
        # The history was bulk-inserted (no signals): build its statistics rollups once.
        rollups.rebuild(
            (self.now - timedelta(days=self.days)).astimezone(self.tz).date(), self.now.astimezone(self.tz).date()
        )

    def geometry(self) -> None:
        """Outline the city and split it among the branches: each branch covers its real county.

        The outlines are 衡水's own county lines (shipped with anmin.geo, WGS-84), so a station's
        jurisdiction never crosses a county line on the map. A branch whose county is missing from the
        file (a bureau that replaced COUNTY_BOUNDARIES with another city's) falls back to its share of a
        Voronoi diagram of the seats, as the demo did before it had real outlines.
        """
        outlines = {}
        for feature in json.loads(SHIPPED_COUNTIES.read_text(encoding="utf-8"))["features"]:
            outlines[str(feature["properties"]["code"])] = shape(feature["geometry"]).buffer(0)
        seats = [Point(b.lon, b.lat) for b in BRANCHES]
        hull = MultiPoint(seats).convex_hull.buffer(CITY_BUFFER_DEG)
        self.city: Polygon = unary_union([outlines.get(b.division, hull) for b in BRANCHES])
        cells = voronoi_diagram(MultiPoint(seats), envelope=self.city.buffer(1.0))
        self.pieces: dict[str, Polygon] = {}
        for region in cells.geoms:
            branch = next(b for b, seat in zip(BRANCHES, seats, strict=True) if region.contains(seat))
            self.pieces[branch.division] = outlines.get(branch.division) or region.intersection(hull)

    def _station_point(self, branch: BranchSpec, spec: StationSpec) -> tuple[float, float]:
        """Where a 派出所 sits; pulled towards the seat if the rough bearing put it in another branch's area."""
        km = spec.km
        while True:
            lat, lon = _offset(branch.lat, branch.lon, spec.bearing, km)
            if km < 0.5 or self.pieces[branch.division].buffer(-0.01).contains(Point(lon, lat)):
                return lat, lon
            km *= 0.8

    def _org(self, key: str, code: str, name: str, kind: str, parent: Organization | None, **extra) -> Organization:
        org = Organization(code=code, name=name, kind=kind, parent=parent, division_code=code[:6], **extra)
        org.save()  # save() maintains `path`; ~110 nodes, so bulk insert would gain nothing
        self.orgs[key] = org
        return org

    def organizations(self) -> None:
        """The unit tree: 市局 › 指挥中心/特警/巡警/交警 and 分局/县局 › 派出所 › 城区警务站."""
        Kind = Organization.Kind
        bureau = self._org("bureau", "131100000000", "衡水市公安局", Kind.BUREAU, None, short_name="市局")
        self._org(
            "command",
            "131100100000",
            "衡水市公安局指挥中心",
            Kind.COMMAND,
            bureau,
            short_name="市局指挥中心",
            commands_all=True,
            phone="110",
        )
        self._org("swat", "131100200000", "衡水市公安局特警支队", Kind.SWAT, bureau, short_name="特警支队")
        self._org("patrol", "131100300000", "衡水市公安局巡警支队", Kind.PATROL, bureau, short_name="巡警支队")
        traffic = self._org(
            "traffic", "131100400000", "衡水市公安局交通警察支队", Kind.TRAFFIC, bureau, short_name="交警支队"
        )
        for branch in BRANCHES:
            if branch.traffic_brigade:
                self._org(
                    f"traffic:{branch.division}",
                    f"{branch.division}400000",
                    f"{branch.region}交警大队",
                    Kind.TRAFFIC,
                    traffic,
                    short_name=f"{branch.region[:2]}交警大队",
                )
        for branch in BRANCHES:
            parent = self._org(
                f"branch:{branch.division}",
                f"{branch.division}000000",
                branch.name,
                Kind.BRANCH,
                bureau,
                short_name=branch.short_name,
            )
            for serial, spec in enumerate(branch.stations, start=1):
                lat, lon = self._station_point(branch, spec)
                org = self._org(
                    f"station:{spec.name}",
                    f"{branch.division}5{serial:02d}000",
                    f"{spec.name}派出所",
                    Kind.STATION,
                    parent,
                    short_name=f"{spec.name}所",
                )
                self.stations.append(_Station(org, branch, spec, lat, lon))
        # 城区警务站: four rings of eight around 桃城, each under the nearest urban 派出所.
        urban = [s for s in self.stations if s.spec.urban]
        serials: dict[int, int] = {}
        self.street_posts: list[tuple[Organization, float, float]] = []
        for i, name in enumerate(STREET_POST_NAMES):
            ring, slot = divmod(i, 8)
            # Alternate rings are turned by half a step so posts do not line up on the same rays.
            lat, lon = _offset(*TAOCHENG_CENTRE, slot * 45 + (22.5 if ring % 2 else 0), STREET_POST_RINGS[ring])
            station = _nearest(urban, lat, lon)
            serials[station.org.pk] = serials.get(station.org.pk, 0) + 1
            org = self._org(
                f"post:{name}",
                f"{station.org.code[:9]}{serials[station.org.pk]:03d}",
                f"{name}警务站",
                Kind.POST,
                station.org,
                short_name=f"{name}站",
            )
            self.street_posts.append((org, lat, lon))
        self.out(
            f"组织机构：{len(self.orgs)} 个单位（{len(self.stations)} 个派出所、{len(self.street_posts)} 个城区警务站）"
        )

    def deployment(self) -> None:
        """Fixed points and patrol lines: 特警驻点、交警岗点、警务站、检查站、派出所驻地、巡线."""
        posts: list[Post] = []
        self.swat_posts = [
            (Post(name=name, kind=Post.Kind.SWAT, organization=self.orgs["swat"], lat=lat, lon=lon), teams)
            for name, lat, lon, teams in SWAT_POSTS
        ]
        posts += [post for post, _teams in self.swat_posts]
        self.traffic_posts = []
        for ew, lat in EW_ROADS:
            for ns, lon in NS_ROADS:
                post = Post(
                    name=f"{ew}与{ns}路口",
                    kind=Post.Kind.TRAFFIC,
                    organization=self.orgs[f"traffic:{TAOCHENG_DIVISION}"],
                    lat=lat,
                    lon=lon,
                )
                self.traffic_posts.append((post, 2 if (ew, ns) in BUSY_INTERSECTIONS else 1))
        posts += [post for post, _riders in self.traffic_posts]
        self.street_post_points = [
            Post(name=org.name, kind=Post.Kind.STREET, organization=org, lat=lat, lon=lon)
            for org, lat, lon in self.street_posts
        ]
        posts += self.street_post_points
        self.checkpoints = []
        for name, bearing, km in CHECKPOINTS:
            lat, lon = _offset(*TAOCHENG_CENTRE, bearing, km)
            self.checkpoints.append(
                Post(name=name, kind=Post.Kind.CHECKPOINT, organization=self.orgs["patrol"], lat=lat, lon=lon)
            )
        posts += self.checkpoints
        self.station_posts = {
            s.org.pk: Post(name=s.org.name, kind=Post.Kind.STATION, organization=s.org, lat=s.lat, lon=s.lon)
            for s in self.stations
        }
        posts += self.station_posts.values()
        Post.objects.bulk_create(posts)  # ids come back (RETURNING) for the units' home_post
        PatrolLine.objects.bulk_create(
            PatrolLine(name=name, organization=self.orgs["patrol"], points=[list(p) for p in points])
            for name, points in PATROL_LINES
        )
        self.out(f"部署点位：{len(posts)} 个点位，{len(PATROL_LINES)} 条巡线")

    def grid(self) -> None:
        """H3 cells over the whole city, each given to the nearest 派出所 of the branch it lies in."""
        res = settings.GRID_RESOLUTION
        seats = [(b.lat, b.lon) for b in BRANCHES if b.division != TAOCHENG_DIVISION]
        by_branch: dict[str, list[_Station]] = {}
        for station in self.stations:
            by_branch.setdefault(station.branch.division, []).append(station)
        cells: list[GridCell] = []
        seen: set[str] = set()
        for division, piece in self.pieces.items():
            candidates = by_branch[division]
            # Sorted so the build is the same on every run (h3 returns a set).
            for h in sorted(h3.geo_to_cells(piece.__geo_interface__, res)):
                if h in seen:  # a cell whose centre lies exactly on a shared county line
                    continue
                seen.add(h)
                lat, lon = h3.cell_to_latlng(h)
                station = _nearest(candidates, lat, lon)
                to_centre = _km(lat, lon, *TAOCHENG_CENTRE)
                to_seat = min(_km(lat, lon, *seat) for seat in seats)
                if to_centre <= 4 or to_seat <= 1.5:
                    area = AreaType.URBAN
                elif to_centre <= 8 or to_seat <= 3:
                    area = AreaType.SUBURBAN
                else:
                    area = AreaType.RURAL
                # bulk_create skips GridCell.save(), which is where lat/lon are normally derived.
                cells.append(GridCell(h3=h, jurisdiction=station.org, area_type=area, lat=lat, lon=lon))
        GridCell.objects.bulk_create(cells, batch_size=BATCH)
        self.cells = cells
        self.cell_by_h3 = {c.h3: c for c in cells}
        counts = {a: sum(1 for c in cells if c.area_type == a) for a in AreaType.values}
        self.out(
            f"网格：{len(cells)} 个 H3 网格（城区 {counts['urban']}、城郊 {counts['suburban']}、"
            f"农村 {counts['rural']}）"
        )

    def places(self) -> None:
        """The local gazetteer (地名地址库) the address box searches."""
        Place.objects.bulk_create(Place(name=n, address=a, lat=lat, lon=lon) for n, a, lat, lon in PLACES)
        self.out(f"地名：{len(PLACES)} 个")
        load_demo_addresses(
            landmarks=PLACES,
            urban_streets=URBAN_STREETS,
            county_streets=COUNTY_STREETS,
            ew_roads=EW_ROADS,
            ns_roads=NS_ROADS,
            counties=[b.division for b in BRANCHES],
            out=self.out,
        )

    def crews(self) -> None:
        """Units at their posts with one or two officers each, and the demo logins."""
        rng = self.rng
        units: list[_UnitState] = []

        def add(
            callsign: str,
            kind: str,
            org: Organization,
            post: Post,
            station_id: int | None = None,
            at: tuple[float, float] | None = None,
        ) -> None:
            """A unit homed at `post`, standing a few dozen metres from it (or at `at`)."""
            lat, lon = at or (post.lat + rng.uniform(-0.0008, 0.0008), post.lon + rng.uniform(-0.0008, 0.0008))
            unit = Unit(
                callsign=callsign,
                kind=kind,
                organization=org,
                home_post=post,
                status=UnitStatus.AVAILABLE,
                lat=lat,
                lon=lon,
                position_at=self.now,
            )
            units.append(_UnitState(unit=unit, home=(lat, lon), station_id=station_id))

        n = 0
        for post, teams in self.swat_posts:
            for _ in range(teams):
                n += 1
                add(f"特警{n:02d}", UnitKind.SWAT, self.orgs["swat"], post)
        # Patrol cars: spread along the lines, homed at the nearest street post; one per checkpoint.
        per_line = [PATROL_CARS_ON_LINES // len(PATROL_LINES)] * len(PATROL_LINES)
        for i in range(PATROL_CARS_ON_LINES - sum(per_line)):
            per_line[i] += 1
        n = 0
        for (_name, points), cars in zip(PATROL_LINES, per_line, strict=True):
            for k in range(cars):
                lat, lon = _along(points, (k + 0.5) / cars)
                home = _nearest(self.street_post_points, lat, lon)
                n += 1
                add(f"巡逻{n:02d}", UnitKind.PATROL_CAR, self.orgs["patrol"], home, at=(lat, lon))
        for post in self.checkpoints:
            n += 1
            add(f"巡逻{n:02d}", UnitKind.PATROL_CAR, self.orgs["patrol"], post)
        n = 0
        for post, riders in self.traffic_posts:
            for _ in range(riders):
                n += 1
                add(f"交警{n:02d}", UnitKind.TRAFFIC, post.organization, post)
        for station in self.stations:
            for k in range(station.spec.cars):
                add(
                    f"{station.spec.name}{k + 1:02d}",
                    UnitKind.STATION_CAR,
                    station.org,
                    self.station_posts[station.org.pk],
                    station.org.pk,
                )
        for n, post in enumerate(self.street_post_points, start=1):
            add(f"站{n:02d}", UnitKind.FOOT, post.organization, post, post.organization.parent_id)

        # Officers: the logins first (they get the only real password hashes), then the crews.
        officers: list[Officer] = []
        for spec in LOGINS:
            org = self.orgs[spec.org] if spec.org else None
            officer = self._officer(org, spec.role, username=spec.username, rank=spec.rank)
            officer.is_staff = spec.staff
            officer.set_password(DEMO_PASSWORD)
            self.officers[spec.username] = officer
            officers.append(officer)
        crew_of: list[list[Officer]] = []
        logins_in_crews = {"patrol": UnitKind.PATROL_CAR, "traffic": UnitKind.TRAFFIC}
        for state in units:
            unit = state.unit
            role = {
                UnitKind.TRAFFIC: Role.TRAFFIC,
                UnitKind.STATION_CAR: Role.STATION,
            }.get(unit.kind, Role.PATROL)
            size = 1 if unit.kind == UnitKind.TRAFFIC else 2
            crew = []
            for username, kind in list(logins_in_crews.items()):
                if unit.kind == kind:  # the first unit of the kind carries the demo login
                    crew.append(self.officers[username])
                    del logins_in_crews[username]
            while len(crew) < size:
                officer = self._officer(unit.organization, role)
                officer.set_unusable_password()  # no login: and no Argon2 hash to compute
                officers.append(officer)
                crew.append(officer)
            crew_of.append(crew)
        Officer.objects.bulk_create(officers, batch_size=BATCH)
        Unit.objects.bulk_create([s.unit for s in units], batch_size=BATCH)
        Unit.members.through.objects.bulk_create(
            [
                Unit.members.through(unit_id=state.unit.pk, officer_id=officer.pk)
                for state, crew in zip(units, crew_of, strict=True)
                for officer in crew
            ],
            batch_size=BATCH,
        )
        for state, crew in zip(units, crew_of, strict=True):
            state.actor_id = crew[0].pk
        self.units = units
        self.out(f"警力：{len(units)} 个警力，{len(officers)} 名民警")

    # -- history ------------------------------------------------------------------------------

    def _times(self, start: datetime, count: int) -> list[datetime]:
        """`count` call times between `start` and now, following the daily rhythm (rejection sampling)."""
        span = (self.now - start).total_seconds()
        top = max(HOURLY_WEIGHTS)
        times = []
        while len(times) < count:
            t = start + timedelta(seconds=self.rng.uniform(0, span))
            if self.rng.random() * top <= HOURLY_WEIGHTS[t.astimezone(self.tz).hour]:
                times.append(t)
        times.sort()
        return times

    def _location(
        self,
        groups: dict[tuple[str, str], list[GridCell]],
        choices: list[tuple[str, str]],
        weights: list[float],
    ) -> tuple[GridCell, float, float, str]:
        """Where a call comes from: (cell, lat, lon, address); `choices` are keys of `groups`."""
        rng = self.rng
        if rng.random() < PLACE_SHARE and self.place_cells:
            (name, _addr, lat, lon), cell = rng.choice(self.place_cells)
            lat += rng.uniform(-0.0007, 0.0007)
            lon += rng.uniform(-0.0007, 0.0007)
            cell = self.cell_by_h3.get(h3.latlng_to_cell(lat, lon, settings.GRID_RESOLUTION), cell)
            return cell, lat, lon, name + rng.choice(("门口", "北门", "东侧", "停车场", "附近", "广场"))
        cell = rng.choice(groups[rng.choices(choices, weights)[0]])
        lat, lon = cell.lat, cell.lon
        for _ in range(3):  # jitter within the cell so calls do not stack on its centre
            jlat = cell.lat + rng.uniform(-0.003, 0.003)
            jlon = cell.lon + rng.uniform(-0.0035, 0.0035)
            if h3.latlng_to_cell(jlat, jlon, settings.GRID_RESOLUTION) == cell.h3:
                lat, lon = jlat, jlon
                break
        station = self.station_by_id[cell.jurisdiction_id]
        return cell, lat, lon, self.addresses.address(station.branch, station.spec, cell.area_type)

    def _pools(self) -> dict[int, list[_UnitState]]:
        """Units that may answer a call in each 派出所's area: its own cars and foot teams first,
        the branch's other cars as backup, and in 桃城 the city-level patrol cars."""
        city_patrol = [u for u in self.units if u.unit.kind == UnitKind.PATROL_CAR]
        by_branch: dict[str, list[_UnitState]] = {}
        division_of = {s.org.pk: s.branch.division for s in self.stations}
        for u in self.units:
            if u.station_id is not None:
                by_branch.setdefault(division_of[u.station_id], []).append(u)
        pools = {}
        for s in self.stations:
            pool = list(by_branch[s.branch.division])
            if s.branch.division == TAOCHENG_DIVISION:
                pool += city_patrol
            pools[s.org.pk] = pool
        return pools

    def _choose(
        self,
        pool: Iterable[_UnitState],
        lat: float,
        lon: float,
        ready: datetime,
        station_id: int | None,
        *,
        traffic: bool = False,
        minor: bool = False,
    ) -> tuple[_UnitState, float]:
        """The unit that can be on scene first: waiting for a busy unit counts like driving time.

        The weights mirror how the desk works: the responsible station's own units first (责任区),
        交警 for traffic, and for minor calls the 警务站 team whose blocks it is (控面).
        """
        best, best_score, best_km = None, math.inf, 0.0
        for u in pool:
            km = _km(lat, lon, *u.home)
            if u.unit.kind == UnitKind.FOOT and km > 0.8:
                continue  # a foot team covers the blocks around its post
            score = km * 1000 * settings.ROAD_FACTOR / u.speed_mps
            if u.busy_until is not None and u.busy_until > ready:
                score += (u.busy_until - ready).total_seconds() + 30
            if u.station_id != station_id:
                score += 90
            if traffic and u.unit.kind == UnitKind.TRAFFIC:
                score -= 180
            if minor and u.unit.kind == UnitKind.FOOT:
                score -= 420
            if score < best_score:
                best, best_score, best_km = u, score, km
        if best is None:  # every pool holds at least the station's own car
            raise RuntimeError("no unit can answer the call")
        return best, best_km

    def _leg(
        self,
        unit: _UnitState,
        km: float,
        *,
        ready: datetime,
        received: datetime,
        target_s: float,
        klass: str,
        reason: str,
        primary: bool = True,
    ) -> _Leg:
        """Plan a unit's timeline: 派警 → 出警 → 到场 → 处置完毕 → 反馈.

        `reason` is a template with %(km) for the distance the unit was from the scene.
        """
        rng = self.rng
        queued = unit.busy_until is not None and unit.busy_until + timedelta(seconds=30) > ready
        dispatched = unit.busy_until + timedelta(seconds=30) if queued else ready
        en_route = dispatched + timedelta(seconds=rng.uniform(15, 75))
        meters = km * 1000
        if primary and not queued:
            # The arrival is drawn against the target rather than from the distance to the home
            # post, which would make most rural calls late: a unit on duty is out on patrol, not
            # parked at its post. Some still miss the target (~10 % in all).
            share = rng.uniform(1.05, 1.8) if rng.random() < LATE_SHARE else rng.uniform(0.35, 0.95)
            arrived = max(received + timedelta(seconds=target_s * share), en_route + timedelta(seconds=45))
            # Where the unit was when sent: no farther than it could have driven in the time it took.
            reachable = (arrived - en_route).total_seconds() * unit.speed_mps / settings.ROAD_FACTOR
            meters = min(meters, reachable * rng.uniform(0.75, 0.95))
        else:
            travel = max(60.0, meters * settings.ROAD_FACTOR / unit.speed_mps * rng.uniform(0.9, 1.3))
            arrived = en_route + timedelta(seconds=travel)
        resolved = arrived + timedelta(minutes=rng.uniform(*HANDLING_MINUTES[klass]))
        reported = resolved + timedelta(minutes=rng.uniform(2, 12))
        result, text = rng.choice(RESULTS[klass]) if primary else SWAT_RESULT
        unit.busy_until = reported
        return _Leg(
            unit=unit,
            dispatched=dispatched,
            en_route=en_route,
            arrived=arrived,
            resolved=resolved,
            reported=reported,
            meters=round(meters),
            eta_s=round(meters * settings.ROAD_FACTOR / unit.speed_mps),
            reason=reason % {"km": meters / 1000},
            result=result,
            result_text=text,
        )

    def history(self) -> None:
        """`days` days of incidents ending now; all closed except some in the last two hours."""
        self._prepare_history()
        plans: list[_Plan] = []
        day_seq: dict[date, int] = {}
        # In time order, so each unit's busy time is known when the next call wants it.
        for received in self._times(self.now - timedelta(days=self.days), round(INCIDENTS_PER_DAY * self.days)):
            day = received.astimezone(self.tz).date()
            day_seq[day] = day_seq.get(day, 0) + 1
            incident = self._incident(received, f"{BUREAU_DIVISION}-{day:%Y%m%d}-{day_seq[day]:06d}")
            plans.append(self._respond(incident))
        self._write_history(plans, day_seq)

    def _prepare_history(self) -> None:
        """Lookups the history loop uses thousands of times."""
        self.station_by_id = {s.org.pk: s for s in self.stations}
        self.addresses = AddressMaker(self.rng)
        self.place_cells = []
        for place in PLACES:
            cell = self.cell_by_h3.get(h3.latlng_to_cell(place[2], place[3], settings.GRID_RESOLUTION))
            if cell is not None:
                self.place_cells.append((place, cell))
        groups: dict[tuple[str, str], list[GridCell]] = {}
        for cell in self.cells:
            if cell.area_type == AreaType.RURAL:
                group = "any"
            elif self.station_by_id[cell.jurisdiction_id].branch.division == TAOCHENG_DIVISION:
                group = "taocheng"
            else:
                group = "county"
            groups.setdefault((group, cell.area_type), []).append(cell)
        self.cell_groups = groups
        shares = [(g, a, w) for g, a, w in LOCATION_SHARES if groups.get((g, a))]
        self.group_choices = [(g, a) for g, a, _w in shares]
        self.group_weights = [w for _g, _a, w in shares]
        self.categories = list(Category.objects.filter(parent__isnull=False, active=True))
        if self.days and not self.categories:
            raise RuntimeError("警情类别代码表为空：请先运行 migrate（incidents 0003 载入代码表）")
        self.category_weights = [CATEGORY_WEIGHTS.get(c.code, 10) for c in self.categories]
        self.targets = {a: ArrivalTarget.minutes_for(a) for a in AreaType.values}
        self.pools = self._pools()
        self.traffic_units = [u for u in self.units if u.unit.kind == UnitKind.TRAFFIC]
        self.swat_units = [u for u in self.units if u.unit.kind == UnitKind.SWAT]
        self.dispatcher = self.officers["dispatcher"]

    def _incident(self, received: datetime, number: str) -> Incident:
        """接警: a call as the desk records it, in the grid cell and jurisdiction where it happened."""
        rng = self.rng
        category = rng.choices(self.categories, self.category_weights)[0]
        cell, lat, lon, address = self._location(self.cell_groups, self.group_choices, self.group_weights)
        minutes = self.targets[cell.area_type]
        if category.serious_violence:
            priority = Incident.Priority.URGENT
        elif category.code in HIGH_PRIORITY:
            priority = Incident.Priority.HIGH
        else:
            priority = Incident.Priority.NORMAL
        return Incident(
            number=number,
            received_at=received,
            category=category,
            priority=priority,
            caller_phone=self._phone(),
            caller_name=(rng.choice(SURNAMES) + rng.choice(("先生", "女士"))) if rng.random() < 0.6 else "",
            address=address,
            lat=round(lat, 6),
            lon=round(lon, 6),
            description=narrative(category.code, number),
            grid_cell=cell,
            station_id=cell.jurisdiction_id,
            area_type=cell.area_type,
            target_minutes=minutes,
            arrival_due_at=received + timedelta(minutes=minutes),
            received_by=self.dispatcher,
        )

    def _respond(self, incident: Incident) -> _Plan:
        """派警 and everything after it, planned to the end even if that lies after now."""
        rng = self.rng
        category = incident.category
        station_id = incident.station_id
        plan = _Plan(incident)
        traffic = category.klass == IncidentClass.TRAFFIC
        pool = self.pools[station_id]
        if traffic and self.station_by_id[station_id].branch.division == TAOCHENG_DIVISION:
            pool = pool + self.traffic_units
        ready = incident.received_at + timedelta(seconds=rng.uniform(40, 150))  # 接警 → 派警 at the desk
        minor = incident.priority == Incident.Priority.NORMAL
        unit, km = self._choose(pool, incident.lat, incident.lon, ready, station_id, traffic=traffic, minor=minor)
        if unit.unit.kind == UnitKind.FOOT:
            reason = "警务站就近步巡，距离 %(km).1f 公里"
        elif unit.unit.kind == UnitKind.TRAFFIC:
            reason = "交通警情，交警优先，距离 %(km).1f 公里"
        elif unit.station_id == station_id:
            reason = "责任区警力，距离 %(km).1f 公里"
        else:
            reason = "就近空闲警力，距离 %(km).1f 公里"
        target_s = incident.target_minutes * 60
        first = self._leg(
            unit,
            km,
            ready=ready,
            received=incident.received_at,
            target_s=target_s,
            klass=category.klass,
            reason=reason,
        )
        plan.legs.append(first)
        if category.code in SWAT_CATEGORIES:
            # 八类严重暴力 and group fights bring the nearest SWAT team as well.
            swat, km = self._choose(self.swat_units, incident.lat, incident.lon, first.dispatched, None)
            leg = self._leg(
                swat,
                km,
                ready=first.dispatched + timedelta(seconds=rng.uniform(20, 90)),
                received=incident.received_at,
                target_s=target_s,
                klass=category.klass,
                reason="特警增援，距离 %(km).1f 公里",
                primary=False,
            )
            # SWAT stands by until the scene is handled, then reports after the first unit.
            leg.resolved = max(leg.resolved, first.resolved)
            leg.reported = max(leg.reported, leg.resolved + timedelta(minutes=2))
            swat.busy_until = leg.reported
            plan.legs.append(leg)
        return plan

    def _write_history(self, plans: list[_Plan], day_seq: dict[date, int]) -> None:
        """Cut every plan at `now` and write what has happened by then, with matching unit states."""
        now = self.now
        dispatcher = self.dispatcher
        with translation.override("zh-hans"):  # stored feedback text is Chinese whatever the locale
            result_labels = {r: str(FeedbackResult(r).label) for r in FeedbackResult.values}
        open_legs: list[tuple[_Leg, Incident]] = []
        for plan in plans:
            inc = plan.incident
            legs = plan.legs = [leg for leg in plan.legs if leg.dispatched <= now]
            if not legs:
                continue  # still 待派警
            inc.dispatched_at = min(leg.dispatched for leg in legs)
            arrivals = [leg.arrived for leg in legs if leg.arrived <= now]
            inc.arrived_at = min(arrivals) if arrivals else None
            active = [leg for leg in legs if leg.reported > now]
            # The same derivation as dispatch.actions.refresh_incident_status.
            if not active:
                inc.status = Incident.Status.REPORTED
                inc.resolved_at = max(leg.resolved for leg in legs)
                inc.closed_at = max(leg.reported for leg in legs)
            elif all(leg.resolved <= now for leg in active):
                inc.status = Incident.Status.RESOLVED
                inc.resolved_at = max(leg.resolved for leg in legs if leg.resolved <= now)
            elif any(leg.arrived <= now for leg in active):
                inc.status = Incident.Status.ARRIVED
            elif any(leg.en_route <= now for leg in active):
                inc.status = Incident.Status.EN_ROUTE
            else:
                inc.status = Incident.Status.DISPATCHED
            open_legs += [(leg, inc) for leg in active]
        Incident.objects.bulk_create([p.incident for p in plans], batch_size=BATCH)

        assignments: list[Assignment] = []
        events: list[IncidentEvent] = []
        for plan in plans:
            inc = plan.incident
            events.append(
                IncidentEvent(
                    incident=inc,
                    kind=IncidentEvent.Kind.RECEIVED,
                    at=inc.received_at,
                    actor=dispatcher,
                    detail=f"{inc.category.name} {inc.address}",
                )
            )
            for leg in plan.legs:
                callsign = leg.unit.unit.callsign
                closed = leg.reported <= now
                assignments.append(
                    Assignment(
                        incident=inc,
                        unit=leg.unit.unit,
                        dispatched_at=leg.dispatched,
                        dispatched_by=dispatcher,
                        reason=leg.reason,
                        distance_m=leg.meters,
                        eta_s=leg.eta_s,
                        en_route_at=leg.en_route if leg.en_route <= now else None,
                        arrived_at=leg.arrived if leg.arrived <= now else None,
                        # No separate 处置中 step was pressed: as in AdvanceAssignment, 处置完毕 implies it.
                        handling_at=leg.resolved if leg.resolved <= now else None,
                        resolved_at=leg.resolved if leg.resolved <= now else None,
                        closed_at=leg.reported if closed else None,
                        result=leg.result if closed else "",
                        result_text=leg.result_text if closed else "",
                    )
                )
                steps = (
                    (IncidentEvent.Kind.DISPATCHED, leg.dispatched, dispatcher.pk, leg.reason),
                    (IncidentEvent.Kind.EN_ROUTE, leg.en_route, leg.unit.actor_id, ""),
                    (IncidentEvent.Kind.ARRIVED, leg.arrived, leg.unit.actor_id, ""),
                    (IncidentEvent.Kind.RESOLVED, leg.resolved, leg.unit.actor_id, ""),
                    (
                        IncidentEvent.Kind.REPORTED,
                        leg.reported,
                        leg.unit.actor_id,
                        f"{result_labels[leg.result]}：{leg.result_text}",
                    ),
                )
                events += [
                    IncidentEvent(incident=inc, kind=kind, at=at, actor_id=actor, unit_label=callsign, detail=detail)
                    for kind, at, actor, detail in steps
                    if at <= now
                ]
        Assignment.objects.bulk_create(assignments, batch_size=BATCH)
        IncidentEvent.objects.bulk_create(events, batch_size=BATCH)
        # The live intake continues each day's numbering after the imported history.
        DailySequence.objects.bulk_create(
            DailySequence(bureau_code=BUREAU_DIVISION, day=day, last=last) for day, last in day_seq.items()
        )
        self._settle_units(open_legs)
        still_open = sum(1 for p in plans if p.incident.status not in Incident.CLOSED_STATUSES)
        self.out(
            f"历史警情：{len(plans)} 起（{still_open} 起未结），{len(events)} 个环节，{len(assignments)} 条派警记录"
        )

    def _settle_units(self, open_legs: list[tuple[_Leg, Incident]]) -> None:
        """Units on an open task show its stage and position; the rest are 空闲 near their post."""
        now = self.now
        rng = self.rng
        on_task = {}
        for leg, inc in open_legs:
            on_task[leg.unit.unit.pk] = (leg, inc)
        for state in self.units:
            unit = state.unit
            unit.position_at = now - timedelta(seconds=rng.randint(5, 90))
            task = on_task.get(unit.pk)
            if task is None:
                unit.status = UnitStatus.AVAILABLE
                unit.lat = state.home[0] + rng.uniform(-0.0015, 0.0015)
                unit.lon = state.home[1] + rng.uniform(-0.0015, 0.0015)
                continue
            leg, inc = task
            unit.current_incident = inc
            if leg.arrived > now:
                unit.status = UnitStatus.DISPATCHED
                # Somewhere on the way: the share of the trip already driven.
                f = max(0.0, min(1.0, (now - leg.en_route) / (leg.arrived - leg.en_route)))
                unit.lat = state.home[0] + (inc.lat - state.home[0]) * f
                unit.lon = state.home[1] + (inc.lon - state.home[1]) * f
            else:
                unit.status = UnitStatus.ON_SCENE if leg.resolved > now else UnitStatus.HANDLING
                unit.lat = inc.lat + rng.uniform(-0.0002, 0.0002)
                unit.lon = inc.lon + rng.uniform(-0.0002, 0.0002)
        Unit.objects.bulk_update(
            [s.unit for s in self.units], ["status", "current_incident", "lat", "lon", "position_at"], batch_size=BATCH
        )


def demo_logins() -> list[dict]:
    """The demo logins as {role_label, username, badge_number, password, organization}, from the database.

    Only officers that exist are listed (an empty list for a database the demo did not build).
    """
    officers = {
        o.username: o
        for o in Officer.objects.filter(username__in=[s.username for s in LOGINS]).select_related("organization")
    }
    logins = []
    for spec in LOGINS:
        officer = officers.get(spec.username)
        if officer is None:
            continue
        label = str(Role(officer.role).label)
        logins.append(
            {
                "role_label": f"{label}（{spec.note}）" if spec.note else label,
                "username": officer.username,
                "badge_number": officer.badge_number,
                "password": DEMO_PASSWORD,
                "organization": officer.organization.name if officer.organization else "",
            }
        )
    return logins


def build_demo_city(*, days: int = 30, seed: int = 20261130, out: Callable[[str], None] | None = None) -> list[dict]:
    """Fill an empty database with the demo city and `days` days of history; return the demo logins.

    Everything happens in one transaction: a failure leaves the database empty, not half-built.
    The same `seed` gives the same city, units, officers and incident mix (times follow the clock).
    Raises DemoCityExists if any Organization already exists.
    """
    if days < 0:
        raise ValueError("days must not be negative")
    out = out or (lambda _line: None)
    with transaction.atomic():
        if Organization.objects.exists():
            raise DemoCityExists("数据库中已有组织机构：演示城市只能在空数据库中生成（请换一个空数据库）")
        _Builder(days=days, seed=seed, out=out).run()
    return demo_logins()


def build_archive(
    *,
    until: datetime | None = None,
    since: date | None = None,
    seed: int = 20261130,
    out: Callable[[str], None] | None = None,
) -> int:
    """The demo city's older history for the statistics: incidents from 1 January of last year up
    to `until` (where the detailed history begins), as if imported from the old system.

    Same mix of categories, hours and places as the detailed history; volume a little higher last
    year than this (so 同比 shows the fall a bureau hopes for), with a summer peak and a dip at the
    Spring Festival; arrivals drawn around each cell's target. About 30 % of criminal incidents
    became cases, filed within days and about 40 % of them solved. Returns the incidents written.
    """
    from anmin.demo.archive import write_archive

    return write_archive(until=until, since=since, seed=seed, out=out or (lambda _line: None))
