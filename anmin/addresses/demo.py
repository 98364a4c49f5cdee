"""The demo city's address library: the real divisions, plus the demo's own roads and places.

The demo builder passes its streets and landmarks (anmin.demo.data) rather than this module
importing them: the library sits below the demo. Roads become `road` entries under their county
(the urban streets under 桃城区, the county-town streets under every other county), landmarks
`poi` entries with a category and the names callers use, residential compounds `compound`
entries. Codes are generated from parent, level and name, so building the demo twice gives the
same codes.
"""

import hashlib
import random
from collections.abc import Callable, Iterable, Sequence

from anmin.addresses.divisions import LoadDivisions, write
from anmin.addresses.match import invalidate
from anmin.addresses.models import PREFIX, Address, Category, Level, generated_code
from anmin.addresses.points import SEATS, offset

TAOCHENG = "131102"
#: Landmark → category, by the word its name ends with or contains (first match wins).
CATEGORY_WORDS = (
    ("政府", Category.GOVERNMENT),
    ("管委会", Category.GOVERNMENT),
    ("医院", Category.HOSPITAL),
    ("学院", Category.SCHOOL),
    ("中学", Category.SCHOOL),
    ("小学", Category.SCHOOL),
    ("学校", Category.SCHOOL),
    ("站", Category.STATION),
    ("市场", Category.MARKET),
    ("商场", Category.MARKET),
    ("交易中心", Category.MARKET),
    ("购物中心", Category.MARKET),
    ("体育", Category.VENUE),
    ("博物馆", Category.VENUE),
    ("酒厂", Category.ENTERPRISE),
    ("湖", Category.SCENIC),
    ("公园", Category.SCENIC),
    ("塔", Category.SCENIC),
    ("遗址", Category.SCENIC),
    ("景观带", Category.SCENIC),
    ("植物园", Category.SCENIC),
    ("桃园", Category.SCENIC),
)
#: Landmarks whose names do not say what they are.
CATEGORIES = {"怡然城": Category.MARKET}
#: What callers call the demo's landmarks besides their names.
COMMON_NAMES = {
    "衡水湖": ("衡水湖景区", "湖区"),
    "衡水火车站": ("火车站", "衡水站"),
    "衡水北站": ("高铁站", "高铁北站"),
    "衡水汽车客运站": ("汽车站", "客运站", "客运总站"),
    "衡水市人民医院": ("市医院", "人民医院", "市人民医院"),
    "哈励逊国际和平医院": ("哈励逊", "和平医院", "哈院"),
    "衡水市中医医院": ("中医院", "市中医院"),
    "怡然城": ("怡然城购物中心",),
    "衡水学院": ("衡院",),
    "衡水中学": ("衡中",),
    "桃城区政府": ("区政府",),
    "衡水市政府": ("市政府",),
    "衡水市体育中心": ("体育中心", "体育场"),
    "衡水老白干酒厂": ("老白干", "老白干酒厂"),
    "高新区管委会": ("高新管委会",),
    "大营皮毛交易市场": ("皮毛市场", "大营皮毛市场"),
    "武强年画博物馆": ("年画博物馆",),
    "安平丝网国际交易中心": ("丝网交易中心", "丝网城"),
}
URBAN_SPREAD_KM = 3.0
COUNTY_SPREAD_KM = 1.5


def category_of(name: str) -> str:
    if name in CATEGORIES:
        return CATEGORIES[name]
    return next((category for word, category in CATEGORY_WORDS if word in name), Category.OTHER)


def _rng(code: str) -> random.Random:
    return random.Random(int(hashlib.sha1(code.encode(), usedforsecurity=False).hexdigest()[:12], 16))


def _near(code: str, seat: tuple[float, float], km: float) -> tuple[float, float]:
    rng = _rng(code)
    return offset(seat, rng.uniform(0, 360), km * rng.random() ** 0.5)


def roads(
    urban_streets: Iterable[str],
    county_streets: Iterable[str],
    ew_roads: Iterable[tuple[str, float]],
    ns_roads: Iterable[tuple[str, float]],
    counties: Iterable[str],
    full_names: dict[str, str],
) -> list[Address]:
    """The demo's streets as road entries; the main roads of 桃城 at the point where they cross the
    city's central axis, the others approximately placed near their county's seat."""
    seat = SEATS[TAOCHENG][:2]
    known = {name: (lat, seat[1]) for name, lat in ew_roads} | {name: (seat[0], lon) for name, lon in ns_roads}
    out = []
    by_county = [(TAOCHENG, list(dict.fromkeys([*urban_streets, *known])))]
    by_county += [(county, list(county_streets)) for county in counties if county != TAOCHENG]
    for county, names in by_county:
        county_seat = SEATS[county][:2]
        for name in names:
            code = generated_code(Level.ROAD, county, name)
            if county == TAOCHENG and name in known:
                (lat, lon), approximate = known[name], False
            else:
                spread = URBAN_SPREAD_KM if county == TAOCHENG else COUNTY_SPREAD_KM
                (lat, lon), approximate = _near(code, county_seat, spread), True
            out.append(
                Address(
                    code=code,
                    name=name,
                    full_name=full_names[county] + name,
                    level=Level.ROAD,
                    parent_id=county,
                    aliases=[],
                    lat=lat,
                    lon=lon,
                    approximate=approximate,
                )
            )
    return out


def places(
    landmarks: Iterable[tuple[str, str, float, float]],
    divisions: Sequence[tuple[str, str, str, str | None]],
    full_names: dict[str, str],
) -> list[Address]:
    """The demo's landmarks (name, address, lat, lon) as POIs and compounds under the division their
    address names: the 乡镇 if it names one of its county's, else the county."""
    counties = [(code, name) for code, name, level, _parent in divisions if level == Level.COUNTY]
    towns = [(code, name, parent) for code, name, level, parent in divisions if level == Level.TOWN]
    out = []
    for name, address, lat, lon in landmarks:
        county = next((code for code, county_name in counties if address.startswith(county_name)), None)
        town = next((code for code, town_name, parent in towns if parent == county and town_name in address), None)
        parent = town or county
        level = Level.COMPOUND if name.endswith(("小区", "花园")) else Level.POI
        aliases = list(COMMON_NAMES.get(name, ()))
        for prefix in ("衡水市", "衡水"):
            rest = name.removeprefix(prefix)
            if rest != name and len(rest) >= 3 and rest not in aliases:
                aliases.append(rest)
                break
        code = generated_code(level, parent, name)
        out.append(
            Address(
                code=code,
                name=name,
                full_name=full_names.get(parent, PREFIX) + name,
                level=level,
                parent_id=parent,
                aliases=aliases,
                category=category_of(name) if level == Level.POI else "",
                lat=lat,
                lon=lon,
                approximate=False,
            )
        )
    return out


def load_demo_addresses(
    *,
    landmarks: Iterable[tuple[str, str, float, float]],
    urban_streets: Iterable[str],
    county_streets: Iterable[str],
    ew_roads: Iterable[tuple[str, float]],
    ns_roads: Iterable[tuple[str, float]],
    counties: Iterable[str],
    out: Callable[[str], None] = lambda _line: None,
) -> None:
    """The divisions (LoadDivisions), then the demo's roads under `counties` and its landmarks."""
    result = LoadDivisions().execute()
    divisions = list(
        Address.objects.filter(level__in=(Level.COUNTY, Level.TOWN)).values_list(
            "code", "name", "level", "parent_id", "full_name"
        )
    )
    full_names = {row[0]: row[4] for row in divisions}
    road_entries = roads(urban_streets, county_streets, ew_roads, ns_roads, counties, full_names)
    place_entries = places(landmarks, [row[:4] for row in divisions], full_names)
    write(road_entries + place_entries)
    invalidate()
    out(
        f"标准地址：{result.count(Level.COUNTY)} 个区县、{result.count(Level.TOWN)} 个乡镇/街道、"
        f"{result.count(Level.VILLAGE)} 个村/社区、{len(road_entries)} 条道路、{len(place_entries)} 个地点"
    )
