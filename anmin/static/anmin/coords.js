/* WGS-84 ⇄ GCJ-02 (same algorithm as anmin/geo/coords.py): used only when TILE_COORDS=gcj02. */
(function (global) {
  const A = 6378245.0, EE = 0.00669342162296594323, PI = Math.PI;
  /* The GCJ-02 shift stays under 0.02°: further than MAX_SHIFT outside, no point inside maps there. */
  const MAX_SHIFT = 0.05, CONVERGED = 1e-9;
  function outOfChina(lat, lon, margin = 0) {
    return !(lon > 73.66 - margin && lon < 135.05 + margin && lat > 3.86 - margin && lat < 53.55 + margin);
  }
  function tLat(x, y) {
    let r = -100 + 2 * x + 3 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * Math.sqrt(Math.abs(x));
    r += (20 * Math.sin(6 * x * PI) + 20 * Math.sin(2 * x * PI)) * 2 / 3;
    r += (20 * Math.sin(y * PI) + 40 * Math.sin(y / 3 * PI)) * 2 / 3;
    r += (160 * Math.sin(y / 12 * PI) + 320 * Math.sin(y * PI / 30)) * 2 / 3;
    return r;
  }
  function tLon(x, y) {
    let r = 300 + x + 2 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * Math.sqrt(Math.abs(x));
    r += (20 * Math.sin(6 * x * PI) + 20 * Math.sin(2 * x * PI)) * 2 / 3;
    r += (20 * Math.sin(x * PI) + 40 * Math.sin(x / 3 * PI)) * 2 / 3;
    r += (150 * Math.sin(x / 12 * PI) + 300 * Math.sin(x / 30 * PI)) * 2 / 3;
    return r;
  }
  function toGcj(lat, lon) { return outOfChina(lat, lon) ? [lat, lon] : shift(lat, lon); }
  function shift(lat, lon) {
    let dLat = tLat(lon - 105, lat - 35), dLon = tLon(lon - 105, lat - 35);
    const rad = lat / 180 * PI; let m = Math.sin(rad); m = 1 - EE * m * m; const sm = Math.sqrt(m);
    dLat = (dLat * 180) / ((A * (1 - EE)) / (m * sm) * PI);
    dLon = (dLon * 180) / (A / sm * Math.cos(rad) * PI);
    return [lat + dLat, lon + dLon];
  }
  /* As in coords.py, the rectangle is tested on the answer: a point just inside its edge is
     shifted to just outside it. */
  function toWgs(lat, lon) {
    if (outOfChina(lat, lon, MAX_SHIFT)) return [lat, lon];
    let w = [lat, lon];
    for (let i = 0; i < 30; i++) {
      const g = shift(w[0], w[1]); const d0 = g[0] - lat, d1 = g[1] - lon;
      w = [w[0] - d0, w[1] - d1];
      if (Math.abs(d0) < 1e-10 && Math.abs(d1) < 1e-10) break;
    }
    return outOfChina(w[0], w[1], CONVERGED) ? [lat, lon] : w;
  }
  /* The map datum: stored points are WGS-84; `show` converts for drawing, `store` converts clicks back. */
  global.AnminCoords = function (datum) {
    const gcj = datum === "gcj02";
    return { show: (lat, lon) => gcj ? toGcj(lat, lon) : [lat, lon], store: (lat, lon) => gcj ? toWgs(lat, lon) : [lat, lon] };
  };
})(window);
