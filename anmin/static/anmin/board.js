/* 可视化调度: the board's map (grid, incidents, units) and live refresh over the WebSocket. Its
   addresses, translated labels and the place the map opens on come from #board's data- attributes. */
(function () {
  const t = document.getElementById("board").dataset;
  const panelUrl = (id) => t.panelUrl.replace("/0/", `/${Number(id)}/`);  /* rendered for incident 0 */
  const centre = t.centre.split(",").map(Number);
  const tileUrl = JSON.parse(document.getElementById("tile-url").textContent);
  const coords = AnminCoords(JSON.parse(document.getElementById("tile-coords").textContent));
  let selected = JSON.parse(document.getElementById("selected-incident").textContent);
  const map = AnminBaseMap("map", { centre, zoom: Number(t.zoom), coords, tileUrl });
  const bounds = JSON.parse(document.getElementById("map-bounds").textContent);
  if (bounds) map.fitBounds(bounds.map((p) => coords.show(p[0], p[1])), { padding: [20, 20] });
  const gridLayer = L.layerGroup().addTo(map), postLayer = L.layerGroup().addTo(map), lineLayer = L.layerGroup().addTo(map);
  const incidentLayer = L.layerGroup().addTo(map), unitLayer = L.layerGroup().addTo(map);
  L.control.layers(null, { [t.tGrid]: gridLayer, [t.tPosts]: postLayer, [t.tLines]: lineLayer, [t.tIncidents]: incidentLayer, [t.tUnits]: unitLayer },
    { position: "bottomright" }).addTo(map);
  const postColour = { swat: "#6a1b9a", traffic: "#00838f", street: "#1f4e8c", checkpoint: "#c62828", station: "#37474f" };
  let staticDrawn = false;
  const shadeInputs = document.querySelectorAll('input[name="shade"]');
  const palette = ["#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f", "#edc948", "#b07aa1", "#ff9da7", "#9c755f", "#bab0ac"];
  const unitColour = { available: "#1b7f3b", dispatched: "#b26a00", on_scene: "#2f6bc1", handling: "#2f6bc1", offline: "#888" };
  const prioColour = { 1: "#c62828", 2: "#f0a020", 3: "#5b7390" };
  let cells = [], shownOnMap = null, lastZoom = map.getZoom();
  /* Names come from the database: never let them become markup. */
  const esc = (t) => String(t).replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]);

  function shade() { return document.querySelector('input[name="shade"]:checked').value; }
  function drawGrid() {
    gridLayer.clearLayers();
    const byLoad = shade() === "load";
    for (const c of cells) {
      const colour = byLoad ? (c.load === 0 ? "#ffffff" : c.load < 3 ? "#fde0c5" : c.load < 8 ? "#f8a86a" : "#e5582b")
                            : palette[c.station_id % palette.length];
      L.polygon(c.boundary.map((p) => coords.show(p[0], p[1])), {
        color: "#7d8a99", weight: 0.4, fillColor: colour, fillOpacity: byLoad ? 0.6 : 0.25,
      }).bindTooltip(`${esc(c.station)} · ${c.load}`, { sticky: true }).addTo(gridLayer);
    }
  }
  function loadGrid() {
    if (map.getZoom() < 11) { cells = []; drawGrid(); return; }
    const b = map.getBounds(), sw = coords.store(b.getSouth(), b.getWest()), ne = coords.store(b.getNorth(), b.getEast());
    fetch(`${t.gridUrl}?south=${sw[0]}&west=${sw[1]}&north=${ne[0]}&east=${ne[1]}`, { credentials: "same-origin" })
      .then((r) => r.json()).then((d) => { cells = d.cells; drawGrid(); });
  }
  function loadMarkers() {
    const url = staticDrawn ? t.mapUrl : `${t.mapUrl}?static=1`;
    staticDrawn = true;
    fetch(url, { credentials: "same-origin" }).then((r) => r.json()).then((d) => {
      incidentLayer.clearLayers(); unitLayer.clearLayers();
      if (d.posts) {  /* posts and patrol lines do not move: drawn once */
        for (const p of d.posts) L.circleMarker(coords.show(p.lat, p.lon), { radius: 4, color: postColour[p.kind] || "#555",
          weight: 2, fillColor: "#fff", fillOpacity: 1 }).bindTooltip(esc(p.name)).addTo(postLayer);
        for (const l of d.lines) L.polyline(l.points.map((q) => coords.show(q[0], q[1])), { color: "#6a1b9a", weight: 3,
          opacity: 0.6, dashArray: "6 4" }).bindTooltip(esc(l.name)).addTo(lineLayer);
      }
      /* Call signs only when zoomed in; further out they would cover the city. */
      const labels = map.getZoom() >= 14;
      for (const u of d.units) {
        const html = labels ? `<span class="unit-marker" style="background:${unitColour[u.status] || "#888"}">${esc(u.callsign)}</span>`
                            : `<span class="unit-dot" style="background:${unitColour[u.status] || "#888"}"></span>`;
        L.marker(coords.show(u.lat, u.lon), { icon: L.divIcon({ className: "", html, iconSize: labels ? null : [10, 10] }) })
          .bindTooltip(esc(u.callsign)).addTo(unitLayer);
      }
      for (const i of d.incidents) {
        const m = L.circleMarker(coords.show(i.lat, i.lon), {
          radius: i.id === selected ? 11 : 8, color: i.overdue ? "#000" : "#fff", weight: i.overdue ? 3 : 2,
          fillColor: prioColour[i.priority], fillOpacity: 0.95,
        }).bindTooltip(`${esc(i.category)} · ${esc(i.status)}${i.overdue ? ` · ${esc(t.tOverdue)}` : ""}`).addTo(incidentLayer);
        m.on("click", () => select(i.id, true));
      }
    });
  }
  function select(id, fromMap) {
    selected = id;
    htmx.ajax("GET", panelUrl(id), { target: "#panel", swap: "innerHTML" });
    document.querySelectorAll(".queue-item").forEach((el) => el.classList.toggle("selected", Number(el.dataset.incident) === id));
    if (!fromMap) loadMarkers();
  }
  document.getElementById("queue").addEventListener("click", (ev) => {
    const item = ev.target.closest(".queue-item");
    if (item) { ev.preventDefault(); select(Number(item.dataset.incident)); }
  });
  document.body.addEventListener("htmx:afterSwap", (ev) => {
    const panel = document.getElementById("incident-panel");
    if (ev.detail.target.id === "panel" && panel && Number(panel.dataset.incident) !== shownOnMap) {
      shownOnMap = Number(panel.dataset.incident);  /* bring a newly selected incident into view, once */
      map.setView(coords.show(parseFloat(panel.dataset.lat), parseFloat(panel.dataset.lon)), Math.max(map.getZoom(), 13));
    }
    if (ev.detail.target.id === "queue" && selected) {
      const el = document.getElementById("q-" + selected); if (el) el.classList.add("selected");
    }
  });
  shadeInputs.forEach((el) => el.addEventListener("change", drawGrid));
  map.on("moveend", loadGrid);
  map.on("zoomend", () => { if ((lastZoom >= 14) !== (map.getZoom() >= 14)) loadMarkers(); lastZoom = map.getZoom(); });
  document.addEventListener("keydown", (ev) => {
    if (ev.key === "n" && !/INPUT|TEXTAREA|SELECT/.test(document.activeElement.tagName)) location.href = t.intakeUrl;
  });

  const refreshLists = debounce(() => {
    htmx.trigger("#queue", "refresh"); htmx.trigger("#units", "refresh"); loadMarkers();
  }, 120);
  const refreshPanel = debounce(() => { if (selected) htmx.ajax("GET", panelUrl(selected), { target: "#panel", swap: "innerHTML" }); }, 120);
  AnminLive((n) => {
    refreshLists();
    if (n.kind === "incident" && n.id === selected) refreshPanel();
    if (n.kind === "unit" && selected && !document.querySelector("#dispatch-form input:checked")) refreshPanel();
  });
  /* Overdue is a matter of time passing, not only of events: re-check every 20 s. */
  setInterval(() => htmx.trigger("#queue", "refresh"), 20000);
  loadGrid(); loadMarkers();
  if (selected) select(Number(selected));
})();
