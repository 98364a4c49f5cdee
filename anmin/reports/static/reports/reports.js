/* Map pickers on the portal forms: a tap on the map (or "use my location") fills the hidden lat/lon
   inputs, stored in WGS-84 whatever datum the tiles are drawn in (TILE_COORDS). */
(function () {
  const urlEl = document.getElementById("tile-url");
  if (!urlEl) return;
  const tileUrl = JSON.parse(urlEl.textContent);
  const coords = AnminCoords(JSON.parse(document.getElementById("tile-coords").textContent));
  document.querySelectorAll(".r-map").forEach((el) => {
    const form = el.closest("form");
    const lat = form.querySelector('input[name="lat"]'), lon = form.querySelector('input[name="lon"]');
    const status = form.querySelector(".r-status");
    const start = lat.value && lon.value ? [parseFloat(lat.value), parseFloat(lon.value)] : [37.735, 115.675];
    const map = AnminBaseMap(el, { centre: start, zoom: 14, coords, tileUrl });
    let marker = null;
    function set(la, lo, pan) {
      lat.value = la.toFixed(6); lon.value = lo.toFixed(6);
      const shown = coords.show(la, lo);
      if (marker) marker.setLatLng(shown); else marker = L.marker(shown).addTo(map);
      if (pan) map.panTo(shown);
      if (status) { status.textContent = `${la.toFixed(5)}, ${lo.toFixed(5)}`; status.classList.add("r-picked"); }
    }
    if (lat.value && lon.value) set(start[0], start[1], false);
    map.on("click", (e) => { const w = coords.store(e.latlng.lat, e.latlng.lng); set(w[0], w[1], false); });
    const here = form.querySelector(".r-here");
    if (here && navigator.geolocation) {
      here.addEventListener("click", () => navigator.geolocation.getCurrentPosition(
        (p) => set(p.coords.latitude, p.coords.longitude, true),
        () => { if (status) status.textContent = here.dataset.failed; },
        { enableHighAccuracy: true, timeout: 10000 }));
    } else if (here) { here.hidden = true; }
  });
  /* Show how many photos were chosen, so a citizen sees at once that three are needed. */
  document.querySelectorAll('input[type="file"][data-count]').forEach((input) => {
    const out = document.getElementById(input.dataset.count);
    input.addEventListener("change", () => { out.textContent = String(input.files.length); });
  });
  const err = document.querySelector(".p-error[data-field]");
  if (err && err.dataset.field) {
    const el = document.querySelector(`[name="${err.dataset.field}"]`);
    if (el) { el.setAttribute("aria-invalid", "true"); if (el.type !== "hidden") el.focus(); }
  }
})();
