"""Reads shared by the pages and the API: a user's hotspot cells, a station's plans and their coverage."""

from dataclasses import dataclass
from datetime import date

import h3

from anmin.geo.models import GridCell
from anmin.org.models import Organization
from anmin.patrol import coverage, hotspots
from anmin.patrol.actions import shift_bounds
from anmin.patrol.models import PatrolPlan, PositionFix

#: Intensity classes of the map's legend: a cell's score as a share of the hottest cell's.
LEVELS = (0.15, 0.35, 0.6, 0.85)


def level(score: float, top: float) -> int:
    """0 (cool) … 4 (hottest) for the map's colours."""
    if top <= 0 or score <= 0:
        return 0
    share = score / top
    return sum(1 for edge in LEVELS if share >= edge)


#: The most cells the map is sent: the hottest; beyond them a bureau-wide map only adds faint cells.
MAX_CELLS = 2000


def hotspot_cells(user, band: hotspots.Band | None, station: Organization | None = None) -> list[dict]:
    """The user's visible cells with a score > 0 for the band (within `station` when given), hottest
    first, at most MAX_CELLS. Read as plain rows: a bureau's grid is ~17,000 cells."""
    scores = hotspots.city_scores(band)
    cells = GridCell.objects.visible_to(user)
    if station is not None:
        cells = cells.filter(jurisdiction__path__startswith=station.path)
    rows = cells.values_list("h3", "name", "jurisdiction__name", "lat", "lon")
    # Filtered here, not with pk__in: a city-wide band names thousands of cells (SQLite's variable limit).
    hot = [r for r in rows if scores.get(r[0], 0) > 0]
    hot.sort(key=lambda r: (-scores[r[0]], r[1]))
    hot = hot[:MAX_CELLS]
    top = scores[hot[0][0]] if hot else 0.0
    return [
        {
            "h3": cell,
            "name": name,
            "station": station_name,
            "score": round(scores[cell], 3),
            "level": level(scores[cell], top),
            "lat": lat,
            "lon": lon,
            "boundary": [[round(a, 6), round(b, 6)] for a, b in h3.cell_to_boundary(cell)],
        }
        for cell, name, station_name, lat, lon in hot
    ]


def station_plans(station: Organization, day: date, shift: str):
    start, _end = shift_bounds(day, shift)
    return (
        PatrolPlan.objects.filter(station=station, shift_start=start).select_related("unit").order_by("unit__callsign")
    )


@dataclass
class PlanCoverage:
    plan: PatrolPlan
    result: coverage.Coverage

    @property
    def points(self) -> list[dict]:
        return [
            {**p, "present_s": round(s), "visited": s >= coverage.MIN_PRESENT_S}
            for p, s in zip(self.plan.points, self.result.present_s, strict=True)
        ]


def plans_coverage(plans) -> list[PlanCoverage]:
    """Coverage of each plan from its unit's fixes during the shift (one query for all the fixes)."""
    plans = list(plans)
    if not plans:
        return []
    fixes = PositionFix.objects.filter(
        unit__in={p.unit_id for p in plans},
        at__gte=min(p.shift_start for p in plans),
        at__lte=max(p.shift_end for p in plans),
    ).order_by("unit_id", "at")
    by_unit: dict[int, list] = {}
    for f in fixes.values_list("unit_id", "lat", "lon", "at"):
        by_unit.setdefault(f[0], []).append(f[1:])
    out = []
    for plan in plans:
        mine = [f for f in by_unit.get(plan.unit_id, []) if plan.shift_start <= f[2] <= plan.shift_end]
        points = [(p["lat"], p["lon"]) for p in plan.points]
        out.append(PlanCoverage(plan, coverage.measure(points, mine, plan.unit.kind)))
    return out


def totals(rows: list[PlanCoverage]) -> dict:
    """The station's figures for the shift: points planned and visited, share, distance, time present."""
    planned = sum(len(r.result.present_s) for r in rows)
    visited = sum(r.result.visited for r in rows)
    return {
        "plans": len(rows),
        "points": planned,
        "visited": visited,
        "share": (visited / planned) if planned else None,
        "distance_m": round(sum(r.result.distance_m for r in rows)),
        "distance_km": round(sum(r.result.distance_m for r in rows) / 1000, 1),
        "present_s": round(sum(sum(r.result.present_s) for r in rows)),
    }
