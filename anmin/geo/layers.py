"""The layers every map draws under its own markers: county-level boundaries and the outlines of the
派出所 jurisdictions, with a point to put each name on.

Counties come from a static file (COUNTY_BOUNDARIES, by default the 衡水 outlines shipped in
geo/data, see SOURCES.md there). A jurisdiction is the union of its station's grid cells: the demo's
(and, until surveyed outlines are imported, any city's) jurisdictions follow H3 cells, so they are
marked `approximate`. All coordinates are WGS-84, GeoJSON order (lon, lat).

Both are public: county lines and which 派出所 serves an area are what a 公安局 publishes for
everyone, and the answer names no person. The whole answer is built once per process and kept until
a grid cell or an organization is saved or deleted here (GeoConfig.ready), or LAYERS_TTL has passed
(another worker's change).
"""

import functools
import hashlib
import json
import threading
from dataclasses import dataclass
from pathlib import Path

import h3
import shapely
from django.conf import settings
from shapely.geometry import mapping, shape

from anmin.core.cache import TtlCache
from anmin.geo.models import GridCell
from anmin.org.models import Organization

#: Seconds another worker process may draw a jurisdiction as it was before an edit.
LAYERS_TTL = 600
layers_cache = TtlCache("map-layers", ttl=LAYERS_TTL)
_build_lock = threading.Lock()
#: Five decimals of a degree are about a metre.
DIGITS = 5


@dataclass(frozen=True)
class Layers:
    """The answer of geo:layers: its JSON bytes and their ETag."""

    body: bytes
    etag: str


def layers() -> Layers:
    # One build at a time: the first requests after a start or an edit would otherwise all build.
    with _build_lock:
        return layers_cache.get("layers", _build)


def _build() -> Layers:
    data = {"counties": counties(), "jurisdictions": jurisdictions()}
    body = json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode()
    return Layers(body=body, etag='"' + hashlib.sha256(body).hexdigest()[:32] + '"')


@functools.cache
def _county_file(path: str) -> tuple[dict, ...]:
    collection = json.loads(Path(path).read_text(encoding="utf-8"))
    features = []
    for feature in collection["features"]:
        geometry = shape(feature["geometry"])
        props = feature["properties"]
        features.append(
            _feature(
                geometry,
                {"code": str(props["code"]), "name": props["name"], "approximate": bool(props.get("approximate"))},
            )
        )
    return tuple(features)


def counties() -> list[dict]:
    """County-level divisions as GeoJSON features with code (GB/T 2260), name and a label point."""
    path = settings.COUNTY_BOUNDARIES
    return list(_county_file(path)) if path else []


def jurisdictions() -> list[dict]:
    """Each 派出所 with grid cells: the outline of its cells, its name, a label point, approximate."""
    cells: dict[int, list[str]] = {}
    for cell, station in GridCell.objects.order_by("h3").values_list("h3", "jurisdiction_id").iterator(10000):
        cells.setdefault(station, []).append(cell)
    if not cells:
        return []
    stations = Organization.objects.filter(pk__in=cells).order_by("code")
    names = {org.pk: org.label for org in stations}
    order = [org.pk for org in stations]
    outlines = [shape(h3.cells_to_h3shape(cells[pk]).__geo_interface__) for pk in order]
    # Smooth the cells' teeth, each line shared by two stations once for both: neighbours meet.
    resolution = h3.get_resolution(cells[order[0]][0])
    tolerance = h3.average_hexagon_edge_length(resolution, "km") / 111.0 * 0.5
    if shapely.coverage_is_valid(outlines):
        simplified = shapely.coverage_simplify(outlines, tolerance)
    else:  # cells of mixed resolutions overlap: each outline on its own, neighbours may then differ
        simplified = [outline.simplify(tolerance) for outline in outlines]
    return [
        _feature(geometry, {"name": names[pk], "approximate": True})
        for pk, geometry in zip(order, simplified, strict=True)
        if not geometry.is_empty
    ]


def _feature(geometry, properties: dict) -> dict:
    """A GeoJSON feature with `label`, a point inside its largest part ([lon, lat]), for the name."""
    largest = max(shapely.get_parts(geometry), key=lambda part: part.area)
    point = largest.representative_point()
    return {
        "type": "Feature",
        "properties": {**properties, "label": [round(point.x, DIGITS), round(point.y, DIGITS)]},
        "geometry": _rounded(mapping(geometry)),
    }


def _rounded(geometry: dict) -> dict:
    def walk(value):
        if isinstance(value, int | float):
            return round(value, DIGITS)
        return [walk(v) for v in value]

    return {"type": geometry["type"], "coordinates": walk(geometry["coordinates"])}
