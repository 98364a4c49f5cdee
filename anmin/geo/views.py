"""Map layers every map draws under its own markers (county boundaries, station jurisdictions) and the
tiles of TILE_FILE.

Both routes are public, by decision: the citizen portal's report maps draw them too, and a citizen
is not a Django user (the portal keeps its own session key, anmin.citizens.auth, which `geo` sits
below and does not import); and what they serve is public — county lines, which 派出所 serves an
area, a base map — with no person in it. Both are cacheable (core.security.CACHEABLE_VIEWS).
"""

from django.conf import settings
from django.http import HttpResponse, HttpResponseNotFound
from django.utils.cache import get_conditional_response
from django.views.decorators.http import require_safe

from anmin.geo import tiles
from anmin.geo.layers import layers as build_layers

#: How long a browser keeps the layers before asking again (then a 304 while nothing changed).
LAYERS_MAX_AGE = 300
#: How long a browser keeps a tile: tile sets change seldom, and a map page loads dozens.
TILE_MAX_AGE = 86400


@require_safe
def layers(request):
    found = build_layers()
    response = get_conditional_response(request, etag=found.etag)
    if response is None:
        response = HttpResponse(found.body, content_type="application/json")
    response["ETag"] = found.etag
    response["Cache-Control"] = f"max-age={LAYERS_MAX_AGE}"
    return response


@require_safe
def tile(request, z: int, x: int, y: int, ext: str):
    path = settings.TILE_FILE
    if not path:
        return HttpResponseNotFound()
    fmt = tiles.tile_format(path)
    if {"jpeg": "jpg"}.get(ext, ext) != fmt:
        return HttpResponseNotFound()
    data = tiles.read_tile(path, z, x, y)
    if data is None:  # outside the tile set: Leaflet leaves the square empty
        return HttpResponseNotFound()
    response = HttpResponse(data, content_type=tiles.CONTENT_TYPES[fmt])
    if fmt == "pbf" and data[:2] == b"\x1f\x8b":  # vector tiles are usually stored gzipped
        response["Content-Encoding"] = "gzip"
    response["Cache-Control"] = f"public, max-age={TILE_MAX_AGE}"
    return response
