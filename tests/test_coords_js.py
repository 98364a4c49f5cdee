"""The map scripts convert WGS-84 ⇄ GCJ-02 in the browser (`static/anmin/coords.js`) and the server in
`geo/coords.py`; a point stored from a map click must be the point the server would compute. This
runs the script in node over a few hundred points (inside China, along the edges of the rectangle
the algorithm uses, and outside it) and holds it to the Python within 1e-9 degrees.
"""

import json
import random
import shutil
import subprocess
from pathlib import Path

import pytest

from anmin.geo.coords import gcj02_to_wgs84, wgs84_to_gcj02

SCRIPT = Path(__file__).resolve().parent.parent / "anmin" / "static" / "anmin" / "coords.js"
NODE = shutil.which("node") or ("/usr/bin/node" if Path("/usr/bin/node").exists() else None)
TOLERANCE = 1e-9

#: Loads coords.js as a page would (it attaches to `window`), then converts every point from stdin.
RUNNER = """
globalThis.window = globalThis;
require(process.argv[1]);
const gcj = window.AnminCoords("gcj02");
const points = JSON.parse(require("fs").readFileSync(0, "utf8"));
process.stdout.write(JSON.stringify(points.map(([lat, lon]) => [gcj.show(lat, lon), gcj.store(lat, lon)])));
"""


def sample_points(n: int = 400) -> list[tuple[float, float]]:
    rng = random.Random(11)
    points = [(37.7389, 115.67), (39.9042, 116.4074), (22.5431, 114.0579), (53.54, 122.35), (48.35, 135.04)]
    points += [(rng.uniform(3.86, 53.55), rng.uniform(73.66, 135.05)) for _ in range(n // 2)]
    # Along the edges, where a shifted point crosses the rectangle.
    for _ in range(n // 4):
        lat, lon = rng.uniform(3.86, 53.55), rng.uniform(73.66, 135.05)
        edge = rng.choice(["w", "e", "s", "n"])
        wiggle = rng.uniform(-0.06, 0.06)
        if edge in "we":
            lon = (73.66 if edge == "w" else 135.05) + wiggle
        else:
            lat = (3.86 if edge == "s" else 53.55) + wiggle
        points.append((lat, lon))
    points += [(rng.uniform(-89, 89), rng.uniform(-179, 179)) for _ in range(n // 4)]
    return points


def run_script(points: list[tuple[float, float]]) -> list:
    completed = subprocess.run(  # noqa: S603 (a fixed program and our own script; the points are data on stdin)
        [NODE, "-e", RUNNER, str(SCRIPT)],
        input=json.dumps(points),
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return json.loads(completed.stdout)


@pytest.mark.skipif(NODE is None, reason="node is not installed: coords.js cannot be run outside a browser")
def test_coords_js_converts_as_coords_py_does():
    points = sample_points()
    converted = run_script(points)
    assert len(converted) == len(points)
    for (lat, lon), (shown, stored) in zip(points, converted, strict=True):
        for js, py in ((shown, wgs84_to_gcj02(lat, lon)), (stored, gcj02_to_wgs84(lat, lon))):
            assert abs(js[0] - py[0]) <= TOLERANCE and abs(js[1] - py[1]) <= TOLERANCE, (lat, lon, js, py)


@pytest.mark.skipif(NODE is None, reason="node is not installed: coords.js cannot be run outside a browser")
def test_coords_js_round_trip_stays_within_a_metre_at_the_edges():
    from anmin.geo.coords import distance_m

    points = [(53.549, 122.35), (48.35, 135.049), (20.0, 73.661), (3.861, 110.0)]
    shown = [s for s, _stored in run_script(points)]
    back = [stored for _shown, stored in run_script([tuple(s) for s in shown])]
    for (lat, lon), (blat, blon) in zip(points, back, strict=True):
        assert distance_m(lat, lon, blat, blon) < 1.0
