"""The demo city's communities: the real 社区 of 桃城区's streets and the villages of its towns (from
the standard address library), 小区 compounds drawn as small outlines beside each 社区, their 社区民警
from the station's officers, and a few compounds with buildings, access points, a lead source and
leads in every state.

Nothing here writes a figure: the 零发案小区率 the pages show is counted from where these compounds
lie and where the demo's incidents fell, as it would be for a real bureau. Where they lie is a
modelling choice, said in `_set_back`: compounds sit off the main street.
"""

import math
import random
from datetime import datetime, timedelta

from anmin.addresses.models import Address, Level
from anmin.communities.actions import (
    AddAccessPoint,
    AddBuilding,
    AddGridWorker,
    MarkLead,
    ReceiveLead,
    RegisterLeadSource,
    SaveCommunity,
)
from anmin.communities.models import Community
from anmin.geo.models import GridCell
from anmin.org.models import Officer, Organization, Role

TAOCHENG = "131102"
#: How many villages of how many rural towns: enough to show the 村 beside the 小区.
RURAL_TOWNS, VILLAGES_PER_TOWN = 3, 8
#: 小区 per 社区 (a 社区居委会 of 桃城区 looks after two to four compounds).
COMPOUNDS_PER_NEIGHBOURHOOD = (2, 4)
#: Compounds are drawn this far from their 社区's point, as the compounds of a 社区 sit around it.
SPREAD_M = 700
#: How far a compound's centre lies from its grid cell's centre (see `_set_back`).
SET_BACK_M = 260
#: Side lengths of a compound in metres (a 衡水 compound of 6–20 blocks).
SIDE_M = (90, 190)

PREFIXES = (
    "阳光 金港 盛世 康宁 鸿福 育才 和平 桃园 锦绣 翰林 怡和 泰华 "
    "东方 滏阳 人民 永兴 紫荆 御景 文苑 丽景 华府 裕华 富康 怡园"
).split()
SUFFIXES = "花园 家园 小区 华庭 名苑 嘉园 新村 雅居 公寓 佳苑".split()
LEAD_TEXT = {
    "watchlist": "人脸门禁比中布控人员一次，已推送社区民警",
    "stranger": "同一陌生人员三日内夜间出入十余次",
    "vehicle": "外地车辆夜间多次进出，停留时间短",
    "other": "地下车库摄像头拍到有人撬车门",
}


def _square(rng: random.Random, lat: float, lon: float) -> list:
    """A compound's outline: a rectangle of SIDE_M sides, a little turned, around (lat, lon)."""
    w, h = rng.uniform(*SIDE_M), rng.uniform(*SIDE_M)
    turn = math.radians(rng.uniform(-20, 20))
    m_lon = 111_320 * math.cos(math.radians(lat))
    ring = []
    for dx, dy in ((-w / 2, -h / 2), (w / 2, -h / 2), (w / 2, h / 2), (-w / 2, h / 2)):
        x = dx * math.cos(turn) - dy * math.sin(turn)
        y = dx * math.sin(turn) + dy * math.cos(turn)
        ring.append([round(lon + x / m_lon, 6), round(lat + y / 111_320, 6)])
    return [ring + [ring[0]]]


def _offset(rng: random.Random, lat: float, lon: float, metres: float) -> tuple[float, float]:
    angle, r = rng.uniform(0, 2 * math.pi), metres * math.sqrt(rng.random())
    return lat + r * math.sin(angle) / 111_320, lon + r * math.cos(angle) / (111_320 * math.cos(math.radians(lat)))


def _set_back(rng: random.Random, lat: float, lon: float) -> tuple[float, float]:
    """A compound's centre near its 社区: set back from the main street. The demo's 110 history
    puts each call within about 220 m of its grid cell's centre, which stands for the cell's main
    street, shops and market — where street crime and quarrels happen; a gated compound lies in
    the block behind, so its centre is drawn at least SET_BACK_M from the cell's centre (its
    outline may still reach the street). Up to ten draws, then the last one stands."""
    for _try in range(10):
        y, x = _offset(rng, lat, lon, SPREAD_M)
        cell = GridCell.locate(y, x)
        if cell is None:
            continue
        dy = (y - cell.lat) * 111_320
        dx = (x - cell.lon) * 111_320 * math.cos(math.radians(y))
        if dx * dx + dy * dy >= SET_BACK_M**2:
            return y, x
    return y, x


class _Keepers:
    """Per station: the officer who keeps its records (a 派出所民警) and its 社区民警 to choose from."""

    def __init__(self):
        self.officers: dict[int, list[Officer]] = {}
        for officer in Officer.objects.filter(role=Role.STATION, is_active=True).order_by("pk"):
            self.officers.setdefault(officer.organization_id, []).append(officer)

    def of(self, station: Organization) -> list[Officer]:
        return self.officers.get(station.pk, [])


def _station_at(lat: float, lon: float) -> Organization | None:
    cell = GridCell.locate(lat, lon)
    if cell is None or cell.jurisdiction.kind != Organization.Kind.STATION:
        return None
    return cell.jurisdiction


def build(now: datetime) -> str:
    """Builds the communities into the new demo city; returns one line for the log."""
    rng = random.Random(14)
    keepers = _Keepers()
    made = {Community.Kind.COMPOUND: 0, Community.Kind.VILLAGE: 0, Community.Kind.NEIGHBOURHOOD: 0}
    used: set[tuple[int, str]] = set()
    compounds: list[Community] = []

    def save(name, kind, lat, lon, address=None, boundary=None) -> Community | None:
        station = _station_at(lat, lon)
        officers = keepers.of(station) if station else []
        if not officers or (station.pk, name) in used:
            return None
        used.add((station.pk, name))
        data = {"name": name, "kind": kind, "station": station, "lat": lat, "lon": lon, "boundary": boundary}
        data.update(address=address, officer=rng.choice(officers), households=rng.randrange(300, 2400, 10))
        made[kind] += 1
        return SaveCommunity(by=officers[0], data=data).execute()

    streets = Address.objects.filter(level=Level.TOWN, parent_id=TAOCHENG, name__endswith="街道")
    neighbourhoods = Address.objects.filter(level=Level.VILLAGE, parent__in=streets, lat__isnull=False)
    for address in neighbourhoods.order_by("code"):
        save(address.name, Community.Kind.NEIGHBOURHOOD, address.lat, address.lon, address=address)
        for _i in range(rng.randint(*COMPOUNDS_PER_NEIGHBOURHOOD)):
            lat, lon = _set_back(rng, address.lat, address.lon)
            name = rng.choice(PREFIXES) + rng.choice(SUFFIXES)
            c = save(name, Community.Kind.COMPOUND, lat, lon, boundary=_square(rng, lat, lon))
            if c is not None:
                compounds.append(c)
    towns = Address.objects.filter(level=Level.TOWN, parent_id=TAOCHENG).exclude(name__endswith="街道")
    for town in towns.order_by("code")[:RURAL_TOWNS]:
        villages = Address.objects.filter(level=Level.VILLAGE, parent=town, lat__isnull=False).order_by("code")
        for address in villages[:VILLAGES_PER_TOWN]:
            save(address.name, Community.Kind.VILLAGE, address.lat, address.lon, address=address)
    leads = _equip(rng, compounds[:6], now) if compounds else 0
    return (
        f"智慧平安社区：{made[Community.Kind.NEIGHBOURHOOD]} 个社区、{made[Community.Kind.COMPOUND]} 个小区、"
        f"{made[Community.Kind.VILLAGE]} 个村，{leads} 条社区线索"
    )


def _equip(rng: random.Random, compounds: list[Community], now: datetime) -> int:
    """Buildings, access points, a 网格员 and a lead source for a few compounds; leads in every state."""
    from anmin.cases.models import Case

    count = 0
    for c in compounds:
        keeper = c.officer
        for n in range(1, rng.randint(4, 8)):
            AddBuilding(
                by=keeper,
                community=c,
                data={"name": f"{n}号楼", "floors": rng.choice((6, 11, 18, 26)), "households": 0},
            ).execute()
        ring = c.boundary[0]
        gates = [
            ("face", "东门人脸门禁", ring[1]),
            ("barrier", "南门车辆道闸", ring[0]),
            ("camera", "地库入口摄像头", ring[2]),
        ]
        for i, (kind, name, (lon, lat)) in enumerate(gates, start=1):
            data = {"kind": kind, "name": name, "device_code": f"DEV-{c.pk:04d}-{i}", "lat": lat, "lon": lon}
            AddAccessPoint(by=keeper, community=c, data=data).execute()
        worker = rng.choice("王李张刘陈杨赵黄周吴") + rng.choice(("秀兰", "建国", "桂英", "志强", "玉梅", "红霞"))
        AddGridWorker(by=keeper, community=c, name=worker, phone=f"13{rng.randrange(10**9):09d}").execute()
        source, _key = RegisterLeadSource(by=keeper, community=c, name=f"{c.name}智慧门禁平台").execute()
        solved = Case.objects.filter(organization=c.station, solved_at__isnull=False).order_by("-solved_at")
        for j, kind in enumerate(("watchlist", "stranger", "vehicle", "other", "stranger")):
            lead = ReceiveLead(
                source=source,
                now=now,
                data={
                    "kind": kind,
                    "occurred_at": now - timedelta(days=rng.randint(3, 300), minutes=rng.randint(0, 1440)),
                    "description": LEAD_TEXT[kind],
                    "device_code": f"DEV-{c.pk:04d}-{j % 3 + 1}",
                },
            ).execute()
            count += 1
            case = solved[j] if j < len(solved) else None
            if j == 0 and case is not None:
                MarkLead(by=keeper, lead=lead, status="solved", case_number=case.number).execute()
            elif j == 1 and case is not None:
                MarkLead(by=keeper, lead=lead, status="arrest", case_number=case.number).execute()
            elif j == 2:
                MarkLead(by=keeper, lead=lead, status="checked").execute()
            elif j == 3:
                MarkLead(by=keeper, lead=lead, status="useless").execute()
    return count
