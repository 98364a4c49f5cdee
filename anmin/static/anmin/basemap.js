/* The one way a map is made: Chinese zoom controls, our own attribution (no flag), the tile server
   when one is configured (TILE_URL), and the boundaries layer on top (geo helper fills it in).
   AnminBaseMap(element, { centre: [lat, lon], zoom, coords, tileUrl }) → the Leaflet map. */
(function (global) {
  const zh = !/^en/.test(document.documentElement.lang || "zh");
  const T = zh ? { zoomIn: "放大", zoomOut: "缩小", attribution: "安民" } : { zoomIn: "Zoom in", zoomOut: "Zoom out", attribution: "Anmin" };
  function AnminBaseMap(el, opts) {
    const o = opts || {};
    const map = L.map(el, { preferCanvas: true, zoomControl: false, attributionControl: false });
    L.control.zoom({ zoomInTitle: T.zoomIn, zoomOutTitle: T.zoomOut }).addTo(map);
    L.control.attribution({ prefix: T.attribution }).addTo(map);
    if (o.centre) map.setView(o.coords ? o.coords.show(o.centre[0], o.centre[1]) : o.centre, o.zoom || 12);
    if (o.tileUrl) L.tileLayer(o.tileUrl, { maxZoom: 19 }).addTo(map);  /* no tile server: a plain background */
    return map;
  }
  global.AnminBaseMap = AnminBaseMap;
})(window);
