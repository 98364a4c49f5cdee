"""WGS-84 ⇄ GCJ-02 conversion and distances.

Anmin stores every coordinate in WGS-84 (what GPS gives). Chinese map providers draw in GCJ-02,
an obfuscated datum offset by a few hundred metres; the conversion below is the widely published
algorithm (Krasovsky 1940 ellipsoid). The inverse is iterative and accurate to well under a metre.
"""

import math

_A = 6378245.0  # Krasovsky 1940 semi-major axis
_EE = 0.00669342162296594323  # its eccentricity squared
EARTH_RADIUS_M = 6371008.8


#: GCJ-02 moves a point by at most some hundreds of metres (under 0.02°), so a point further than
#: this outside the rectangle cannot be the image of one inside it.
_MAX_SHIFT_DEG = 0.05
#: How exactly the inverse finds its point.
_CONVERGED_DEG = 1e-9


def out_of_china(lat: float, lon: float, margin: float = 0.0) -> bool:
    return not (73.66 - margin < lon < 135.05 + margin and 3.86 - margin < lat < 53.55 + margin)


def _transform_lat(x: float, y: float) -> float:
    ret = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * math.sqrt(abs(x))
    ret += (20.0 * math.sin(6.0 * x * math.pi) + 20.0 * math.sin(2.0 * x * math.pi)) * 2.0 / 3.0
    ret += (20.0 * math.sin(y * math.pi) + 40.0 * math.sin(y / 3.0 * math.pi)) * 2.0 / 3.0
    ret += (160.0 * math.sin(y / 12.0 * math.pi) + 320 * math.sin(y * math.pi / 30.0)) * 2.0 / 3.0
    return ret


def _transform_lon(x: float, y: float) -> float:
    ret = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * math.sqrt(abs(x))
    ret += (20.0 * math.sin(6.0 * x * math.pi) + 20.0 * math.sin(2.0 * x * math.pi)) * 2.0 / 3.0
    ret += (20.0 * math.sin(x * math.pi) + 40.0 * math.sin(x / 3.0 * math.pi)) * 2.0 / 3.0
    ret += (150.0 * math.sin(x / 12.0 * math.pi) + 300.0 * math.sin(x / 30.0 * math.pi)) * 2.0 / 3.0
    return ret


def wgs84_to_gcj02(lat: float, lon: float) -> tuple[float, float]:
    if out_of_china(lat, lon):
        return lat, lon
    return _shift(lat, lon)


def _shift(lat: float, lon: float) -> tuple[float, float]:
    dlat = _transform_lat(lon - 105.0, lat - 35.0)
    dlon = _transform_lon(lon - 105.0, lat - 35.0)
    radlat = lat / 180.0 * math.pi
    magic = math.sin(radlat)
    magic = 1 - _EE * magic * magic
    sqrtmagic = math.sqrt(magic)
    dlat = (dlat * 180.0) / ((_A * (1 - _EE)) / (magic * sqrtmagic) * math.pi)
    dlon = (dlon * 180.0) / (_A / sqrtmagic * math.cos(radlat) * math.pi)
    return lat + dlat, lon + dlon


def gcj02_to_wgs84(lat: float, lon: float) -> tuple[float, float]:
    """Invert by fixed-point iteration: converges to < 1e-9° in a few steps.

    The rectangle is tested on the answer, not on the GCJ-02 point: a point just inside its edge
    (抚远, 漠河) is shifted to just outside it, and answering that with itself put it some 300 m off.
    """
    if out_of_china(lat, lon, _MAX_SHIFT_DEG):
        return lat, lon
    wlat, wlon = lat, lon
    for _ in range(30):
        glat, glon = _shift(wlat, wlon)
        dlat, dlon = glat - lat, glon - lon
        wlat, wlon = wlat - dlat, wlon - dlon
        if abs(dlat) < 1e-10 and abs(dlon) < 1e-10:
            break
    # Not the image of a point inside: there GCJ-02 is WGS-84. (The answer is only as exact as the
    # iteration, so a point a hair inside the edge may come back a hair outside it.)
    if out_of_china(wlat, wlon, _CONVERGED_DEG):
        return lat, lon
    return wlat, wlon


def distance_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance in metres (haversine)."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp = p2 - p1
    dl = math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(a)))
