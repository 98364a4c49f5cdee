/* Missing-person pages: the last-seen map of a case (its point and the clues placed on the map) and
   the point picker of the new-case form, which fills the hidden lat/lon inputs in WGS-84 whatever
   datum the tiles are drawn in (TILE_COORDS). Strings come from data- attributes. */
(function () {
  const urlEl = document.getElementById("tile-url");
  if (!urlEl) return;
  const tileUrl = JSON.parse(urlEl.textContent);
  const coords = AnminCoords(JSON.parse(document.getElementById("tile-coords").textContent));

  const caseMap = document.getElementById("case-map");
  if (caseMap) {
    const lat = parseFloat(caseMap.dataset.lat), lon = parseFloat(caseMap.dataset.lon);
    const map = AnminBaseMap(caseMap, { centre: [lat, lon], zoom: Number(caseMap.dataset.zoom), coords, tileUrl });
    L.marker(coords.show(lat, lon)).addTo(map).bindTooltip(caseMap.dataset.tSeen, { permanent: true, direction: "top", offset: [-15, -12] });
    document.querySelectorAll(".mc-clues li[data-lat]").forEach((li) => {
      L.circleMarker(coords.show(parseFloat(li.dataset.lat), parseFloat(li.dataset.lon)), { radius: 6, color: "#c0392b" })
        .addTo(map).bindTooltip(caseMap.dataset.tClue);
    });
  }

  const pick = document.querySelector(".mc-map[data-pick]");
  if (pick) {
    const form = pick.closest("form");
    const lat = form.querySelector('input[name="lat"]'), lon = form.querySelector('input[name="lon"]');
    const status = form.querySelector(".mc-status");
    const centre = lat.value && lon.value ? [parseFloat(lat.value), parseFloat(lon.value)] : pick.dataset.centre.split(",").map(Number);
    const map = AnminBaseMap(pick, { centre, zoom: lat.value ? 15 : Number(pick.dataset.zoom), coords, tileUrl });
    let marker = null;
    function set(la, lo) {
      lat.value = la.toFixed(6); lon.value = lo.toFixed(6);
      const shown = coords.show(la, lo);
      if (marker) marker.setLatLng(shown); else marker = L.marker(shown).addTo(map);
      status.textContent = `${la.toFixed(5)}, ${lo.toFixed(5)}`;
    }
    if (lat.value && lon.value) set(centre[0], centre[1]);
    map.on("click", (e) => { const w = coords.store(e.latlng.lat, e.latlng.lng); set(w[0], w[1]); });
  }

  const err = document.querySelector(".errors[data-field]");
  if (err && err.dataset.field) {
    const el = document.querySelector(`[name="${err.dataset.field}"]`);
    if (el) { el.setAttribute("aria-invalid", "true"); if (el.type !== "hidden") el.focus(); }
  }
})();
