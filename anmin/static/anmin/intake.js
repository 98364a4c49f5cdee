/* 接警: keyboard-first intake. The map click, a typed coordinate or a gazetteer place sets the location.
   Addresses and the place the map opens on come from #intake's data- attributes. */
(function () {
  const t = document.getElementById("intake").dataset;
  const centre = t.centre.split(",").map(Number);
  const form = document.getElementById("intake-form");
  const lat = document.getElementById("lat"), lon = document.getElementById("lon");
  const address = document.getElementById("address"), suggest = document.getElementById("address-suggest");
  const tileUrl = JSON.parse(document.getElementById("tile-url").textContent);
  const coords = AnminCoords(JSON.parse(document.getElementById("tile-coords").textContent));
  const map = AnminBaseMap("map", { centre, zoom: Number(t.zoom), coords, tileUrl });
  const grid = L.layerGroup().addTo(map);
  let marker = null;

  function place(la, lo, pan) {
    const shown = coords.show(la, lo);
    if (marker) marker.setLatLng(shown); else marker = L.marker(shown).addTo(map);
    if (pan) map.panTo(shown);
  }
  function setLocation(la, lo, pan) { lat.value = la.toFixed(6); lon.value = lo.toFixed(6); place(la, lo, pan); }
  map.on("click", (e) => { const w = coords.store(e.latlng.lat, e.latlng.lng); setLocation(w[0], w[1], false); });
  [lat, lon].forEach((el) => el.addEventListener("change", () => {
    const la = parseFloat(lat.value), lo = parseFloat(lon.value);
    if (isFinite(la) && isFinite(lo)) place(la, lo, true);
  }));
  if (lat.value && lon.value) place(parseFloat(lat.value), parseFloat(lon.value), true);

  /* The grid, so the call-taker sees whose area a point is in. */
  function loadGrid() {
    if (map.getZoom() < 12) { grid.clearLayers(); return; }
    const b = map.getBounds(), sw = coords.store(b.getSouth(), b.getWest()), ne = coords.store(b.getNorth(), b.getEast());
    fetch(`${t.gridUrl}?south=${sw[0]}&west=${sw[1]}&north=${ne[0]}&east=${ne[1]}`, { credentials: "same-origin" })
      .then((r) => r.ok ? r.json() : { cells: [] }).then((d) => {
        grid.clearLayers();
        for (const c of d.cells) L.polygon(c.boundary.map((p) => coords.show(p[0], p[1])), { color: "#7d8a99", weight: 0.4, fillOpacity: 0.05 })
          .bindTooltip(String(c.station).replace(/</g, "&lt;"), { sticky: true }).addTo(grid);
      });
  }
  map.on("moveend", loadGrid); loadGrid();

  /* Gazetteer suggestions: ↑/↓ to move, Enter to take. */
  let items = [], active = -1, timer = null;
  function render() {
    suggest.innerHTML = ""; suggest.hidden = items.length === 0;
    items.forEach((p, i) => {
      const div = document.createElement("div"); div.textContent = `${p.name}  ${p.address}`; if (i === active) div.className = "on";
      div.addEventListener("mousedown", (ev) => { ev.preventDefault(); take(i); }); suggest.appendChild(div);
    });
  }
  function take(i) { const p = items[i]; address.value = p.address ? `${p.name}（${p.address}）` : p.name; setLocation(p.lat, p.lon, true); items = []; render(); }
  address.addEventListener("input", () => {
    clearTimeout(timer);
    timer = setTimeout(() => fetch(`${t.placesUrl}?q=${encodeURIComponent(address.value)}`, { credentials: "same-origin" })
      .then((r) => r.json()).then((d) => { items = d.places; active = items.length ? 0 : -1; render(); }), 150);
  });
  address.addEventListener("keydown", (ev) => {
    if (suggest.hidden) return;
    if (ev.key === "ArrowDown") { active = Math.min(items.length - 1, active + 1); render(); ev.preventDefault(); }
    else if (ev.key === "ArrowUp") { active = Math.max(0, active - 1); render(); ev.preventDefault(); }
    else if (ev.key === "Enter" && active >= 0) { take(active); ev.preventDefault(); }
    else if (ev.key === "Escape") { items = []; render(); }
  });
  address.addEventListener("blur", () => setTimeout(() => { items = []; render(); }, 150));

  document.addEventListener("keydown", (ev) => {
    if (ev.key === "Enter" && (ev.ctrlKey || ev.metaKey)) { ev.preventDefault(); form.requestSubmit(); }
    if (ev.altKey && ["1", "2", "3"].includes(ev.key)) {
      const r = form.querySelector(`input[name="priority"][value="${ev.key}"]`); if (r) { r.checked = true; ev.preventDefault(); }
    }
  });
  const errorBox = document.getElementById("form-error");
  if (errorBox && errorBox.dataset.field) { const el = document.getElementById(errorBox.dataset.field); if (el) el.focus(); }
})();
