"""Grid cells' names (网格名称): 河西所第17网格.

An H3 index ("88319dc555fffff") is an internal id; officers and citizens read a cell by its station
and a number. The numbers count outwards from the station: a station's cells are numbered 1, 2, …
by distance from its 派出所驻地 (the post of kind "station"; without one, from the centre of its
cells), ties broken by the H3 index, so the same grid always gets the same names. A cell added
later, or handed to another station, takes that station's next number; nothing is renumbered, so a
name once printed in a report keeps meaning the same cell.

The functions here work on plain rows (anything with h3, lat, lon, jurisdiction_id and name) and
take the managers they read, so the migration that named the existing cells (historical models)
and the model's save and bulk_create share them.
"""

import re
from collections import defaultdict
from collections.abc import Iterable, Mapping

import h3

from anmin.geo.coords import distance_m

#: How a name is written; stored as data (not translated): it is what the police call the cell.
NAME_FORMAT = "{station}第{n}网格"
NUMBER = re.compile(r"第(\d+)网格$")


def cell_name(station_label: str, n: int) -> str:
    return NAME_FORMAT.format(station=station_label, n=n)


def number_of(name: str) -> int:
    """The number in a cell's name (0 when it has none)."""
    found = NUMBER.search(name or "")
    return int(found.group(1)) if found else 0


def _point(cell) -> tuple[float, float]:
    if cell.lat is None or cell.lon is None:
        return h3.cell_to_latlng(cell.h3)
    return cell.lat, cell.lon


def assign(
    cells: Iterable,
    *,
    labels: Mapping[int, str],
    origins: Mapping[int, tuple[float, float]],
    last: Mapping[int, int] | None = None,
) -> None:
    """Name `cells` per station: the next numbers after `last[station]` (0: from 1), nearest to the
    station's origin first, then by H3 index. A station without an origin counts from the centre
    of the cells being named."""
    last = last or {}
    by_station: dict[int, list] = defaultdict(list)
    for cell in cells:
        by_station[cell.jurisdiction_id].append(cell)
    for station, group in by_station.items():
        points = {cell.h3: _point(cell) for cell in group}
        origin = origins.get(station)
        if origin is None:
            origin = (
                sum(p[0] for p in points.values()) / len(points),
                sum(p[1] for p in points.values()) / len(points),
            )
        group.sort(key=lambda c: (distance_m(*origin, *points[c.h3]), c.h3))
        start = last.get(station, 0)
        for offset, cell in enumerate(group, start=1):
            cell.name = cell_name(labels[station], start + offset)


def station_origins(posts, station_ids: Iterable[int]) -> dict[int, tuple[float, float]]:
    """Each station's 派出所驻地 (its first post of kind "station"), for the stations that have one."""
    out: dict[int, tuple[float, float]] = {}
    rows = posts.filter(kind="station", organization_id__in=list(station_ids)).order_by("pk")
    for org_id, lat, lon in rows.values_list("organization_id", "lat", "lon"):
        out.setdefault(org_id, (lat, lon))
    return out


def station_labels(organizations, station_ids: Iterable[int]) -> dict[int, str]:
    """Each station's short name (its full name when it has none), as Organization.label."""
    rows = organizations.filter(pk__in=list(station_ids)).values_list("pk", "short_name", "name")
    return {pk: short or name for pk, short, name in rows}


def last_numbers(cells, station_ids: Iterable[int]) -> dict[int, int]:
    """The highest number each station's cells already carry."""
    out: dict[int, int] = defaultdict(int)
    rows = cells.filter(jurisdiction_id__in=list(station_ids)).exclude(name="")
    for station, name in rows.values_list("jurisdiction_id", "name").iterator(chunk_size=5000):
        out[station] = max(out[station], number_of(name))
    return out
