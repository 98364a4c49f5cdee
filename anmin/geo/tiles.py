"""Map tiles from one MBTiles file (TILE_FILE), for an intranet that has no tile server.

An MBTiles file (https://github.com/mapbox/mbtiles-spec, 1.3) is an SQLite database: a `tiles`
table (zoom_level, tile_column, tile_row, tile_data) with rows counted from the south (TMS), and a
`metadata` table naming the `format`. Anmin opens it read-only, one connection per thread, and
serves it at /geo/tiles/<z>/<x>/<y>.<format> in the XYZ order Leaflet asks in.

This module is read by the settings (TILE_FILE's format makes TILE_URL), so it imports nothing of
Django's but the exception.
"""

import functools
import sqlite3
import threading
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured

#: Tile formats MBTiles 1.3 names → the content type they are served with.
CONTENT_TYPES = {
    "png": "image/png",
    "jpg": "image/jpeg",
    "webp": "image/webp",
    "pbf": "application/x-protobuf",
}
#: Deeper than any tile set goes (zoom 30 is a tile of 4 cm).
MAX_ZOOM = 30

_local = threading.local()


def _connect(path: str) -> sqlite3.Connection:
    uri = Path(path).resolve().as_uri() + "?mode=ro"
    return sqlite3.connect(uri, uri=True, check_same_thread=False)


def _connection(path: str) -> sqlite3.Connection:
    connections = getattr(_local, "connections", None)
    if connections is None:
        connections = _local.connections = {}
    if path not in connections:
        connections[path] = _connect(path)
    return connections[path]


@functools.cache
def tile_format(path: str) -> str:
    """The file's tile format (png, jpg, webp or pbf); a file that is not a readable MBTiles tile set
    is a configuration error, said at start-up."""
    if not Path(path).is_file():
        raise ImproperlyConfigured(f"TILE_FILE {path!r} is not a file")
    try:
        with _connect(path) as db:
            db.execute("SELECT 1 FROM tiles LIMIT 1").fetchall()
            row = db.execute("SELECT value FROM metadata WHERE name = 'format'").fetchone()
    except sqlite3.Error as e:
        raise ImproperlyConfigured(f"TILE_FILE {path!r} is not an MBTiles file: {e}") from e
    found = (row[0] if row else "png").strip().lower()  # MBTiles 1.0 files have no format: PNG
    found = {"jpeg": "jpg"}.get(found, found)
    if found not in CONTENT_TYPES:
        raise ImproperlyConfigured(f"TILE_FILE {path!r} holds {found!r} tiles; Anmin serves {sorted(CONTENT_TYPES)}")
    return found


def read_tile(path: str, z: int, x: int, y: int) -> bytes | None:
    """The tile at zoom z, column x, row y counted from the north (XYZ), or None if the file has none."""
    if not (0 <= z <= MAX_ZOOM and 0 <= x < 2**z and 0 <= y < 2**z):
        return None
    row = (
        _connection(path)
        .execute(
            "SELECT tile_data FROM tiles WHERE zoom_level = ? AND tile_column = ? AND tile_row = ?",
            (z, x, 2**z - 1 - y),  # MBTiles counts rows from the south
        )
        .fetchone()
    )
    return bytes(row[0]) if row and row[0] is not None else None
