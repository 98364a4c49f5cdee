/* A community's page: its outline (or the circle it reaches without one) and its access points on
   the base map. Points and the outline come from json_script blocks in WGS-84; the tiles' datum
   (TILE_COORDS) is applied by AnminCoords. */
(function () {
  const el = document.getElementById("community-map");
  const urlEl = document.getElementById("tile-url");
  if (!el || !urlEl) return;
  const tileUrl = JSON.parse(urlEl.textContent);
  const coords = AnminCoords(JSON.parse(document.getElementById("tile-coords").textContent));
  const lat = parseFloat(el.dataset.lat), lon = parseFloat(el.dataset.lon);
  const map = AnminBaseMap(el, { centre: [lat, lon], zoom: Number(el.dataset.zoom), coords, tileUrl });
  const boundary = JSON.parse(document.getElementById("community-boundary").textContent);
  let shape;
  if (boundary && boundary.length) {
    const rings = boundary.map((ring) => ring.map((p) => coords.show(p[1], p[0])));
    shape = L.polygon(rings, { color: "#1f6feb", weight: 2, fillOpacity: 0.12 }).addTo(map);
  } else {
    shape = L.circle(coords.show(lat, lon), { radius: Number(el.dataset.radius), color: "#1f6feb", weight: 2, dashArray: "4 4", fillOpacity: 0.08 }).addTo(map);
  }
  const points = JSON.parse(document.getElementById("community-points").textContent) || [];
  points.forEach((p) => {
    L.circleMarker(coords.show(p.lat, p.lon), { radius: 6, color: "#c0392b", fillOpacity: 0.8 })
      .addTo(map).bindTooltip(p.name + " · " + p.kind);
  });
  map.fitBounds(shape.getBounds(), { padding: [20, 20], maxZoom: 17 });
  /* The map draws on a canvas: say what was drawn, for tests and assistive tools alike. */
  el.dataset.drawn = String(points.length + 1);
})();
