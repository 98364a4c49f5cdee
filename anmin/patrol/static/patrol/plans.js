/* 巡逻方案: the shift's plans on the station's map (each unit's line and numbered points, in the
   colour of its swatch in the list), the fixed 巡线, and the hotspot layer behind them. URLs and
   strings come from #patrol's data- attributes. */
(function () {
  const root = document.getElementById("patrol");
  const t = root.dataset;
  const coords = AnminCoords(JSON.parse(document.getElementById("tile-coords").textContent));
  const tileUrl = JSON.parse(document.getElementById("tile-url").textContent);
  const fixed = JSON.parse(document.getElementById("fixed-lines").textContent);
  const centre = t.centre.split(",").map(Number);
  const esc = (s) => String(s).replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]);
  const palette = ["#1f4e8c", "#2e7d32", "#6a1b9a", "#00838f", "#ad1457", "#5d4037", "#283593", "#827717"];
  const show = (p) => coords.show(p[0], p[1]);

  const map = AnminBaseMap("patrol-map", { centre, zoom: Number(t.zoom), coords, tileUrl });
  const planLayer = L.layerGroup().addTo(map), fixedLayer = L.layerGroup().addTo(map);
  const hotspots = AnminHotspots.create(map, coords, { legendPosition: "bottomleft" }).addTo(map);
  L.control.layers(null, { [t.tPlan]: planLayer, [t.tFixed]: fixedLayer, [t.tHotspots]: hotspots }, { position: "topright" }).addTo(map);
  document.querySelectorAll(".patrol-swatch").forEach((el) => { el.style.background = palette[Number(el.dataset.index) % palette.length]; });

  for (const line of fixed) {
    L.polyline(line.points.map(show), { color: "#555", weight: 3, dashArray: "6 6", opacity: 0.8 })
      .bindTooltip(`${esc(t.tFixed)} · ${esc(line.name)}`, { sticky: true }).addTo(fixedLayer);
  }
  fetch(t.plansUrl, { credentials: "same-origin" }).then((r) => (r.ok ? r.json() : null)).then((data) => {
    if (!data) return;
    const bounds = [];
    data.plans.forEach((plan, i) => {
      const colour = palette[i % palette.length];
      if (plan.line.length) {
        const path = plan.line.map(show);
        bounds.push(...path);
        L.polyline(path, { color: colour, weight: 4, opacity: 0.85 }).bindTooltip(esc(plan.unit), { sticky: true }).addTo(planLayer);
        L.circleMarker(path[0], { radius: 6, color: colour, fillColor: "#fff", fillOpacity: 1, weight: 3 })
          .bindTooltip(`${esc(plan.unit)} · ${esc(t.tBase)}`).addTo(planLayer);
      }
      plan.points.forEach((p, n) => {
        L.marker(show([p.lat, p.lon]), {
          icon: L.divIcon({ className: "patrol-point", html: `<span style="background:${colour}">${n + 1}</span>`, iconSize: [22, 22] }),
        }).bindTooltip(`${esc(plan.unit)} ${n + 1} · ${esc(p.name)} · ${esc(t.tPresent)} ${Math.round(p.present_s / 60)}`).addTo(planLayer);
      });
    });
    if (bounds.length) map.fitBounds(bounds, { padding: [30, 30], animate: false });
    map.getContainer().dataset.plans = String(data.plans.length);
  });
})();
