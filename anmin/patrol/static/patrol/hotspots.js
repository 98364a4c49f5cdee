/* 警情热点: a map layer of the grid cells coloured by their hotspot score for a time band, with a
   legend that chooses the band. The API's URL and the translated strings come from this script
   tag's data- attributes; the cells are named by their grid names (never their H3 index).

     const layer = AnminHotspots.create(map, coords);      // an L.layerGroup, fetched when added
     AnminHotspots.attach(map, layersControl, coords);     // the same, listed in a layer control
   An element with class "hotspot-map" (and data-centre, data-zoom) becomes a map of its own showing
   the layer (the leader's dashboard). */
(function (global) {
  const script = document.currentScript;
  const d = script ? Object.assign({}, script.dataset) : {};
  /* Level 0 (coolest) to 4 (hottest), a sequential yellow-to-red scale readable on grey tiles. */
  const COLOURS = ["#ffffb2", "#fecc5c", "#fd8d3c", "#f03b20", "#bd0026"];
  const esc = (t) => String(t).replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]);

  function create(map, coords, opts) {
    const o = opts || {};
    const group = L.layerGroup();
    const show = (p) => (coords ? coords.show(p[0], p[1]) : p);
    let band = "", legend = null, fitted = false;

    function url() {
      const u = new URL(d.url, window.location.href);
      if (band) u.searchParams.set("band", band);
      return u.toString();
    }
    function draw(data) {
      group.clearLayers();
      const bounds = [];
      for (const c of data.cells) {
        const ring = c.boundary.map(show);
        bounds.push(...ring);
        L.polygon(ring, { color: "#8a3b12", weight: 0.6, fillColor: COLOURS[c.level], fillOpacity: 0.2 + 0.13 * c.level })
          .bindTooltip(`${esc(c.name)} · ${esc(c.station)} · ${esc(d.tScore)} ${Number(c.score).toFixed(1)}`, { sticky: true })
          .addTo(group);
      }
      map.getContainer().dataset.hotspots = String(data.cells.length);
      if (o.fit && !fitted && bounds.length) { map.fitBounds(bounds, { padding: [10, 10] }); fitted = true; }
      showLegend(data);
    }
    function showLegend(data) {
      if (legend) legend.remove();
      legend = L.control({ position: o.legendPosition || "bottomleft" });
      legend.onAdd = () => {
        const div = L.DomUtil.create("div", "hotspot-legend");
        const options = [`<option value="all"${data.band === "all" ? " selected" : ""}>—</option>`]
          .concat(data.bands.map((b) => `<option value="${esc(b.key)}"${b.key === data.band ? " selected" : ""}>${esc(b.label)}</option>`));
        div.innerHTML = `<div><b>${esc(d.tTitle)}</b> <label>${esc(d.tBand)}<select class="hotspot-band">${options.join("")}</select></label></div>`
          + `<div>${esc(d.tLow)} ${COLOURS.map((c) => `<i style="background:${c}"></i>`).join("")} ${esc(d.tHigh)}</div>`
          + `<div class="muted">${esc(data.cells.length ? d.tNote : d.tNone)}</div>`;
        L.DomEvent.disableClickPropagation(div);
        L.DomEvent.disableScrollPropagation(div);
        div.querySelector("select").addEventListener("change", (ev) => { band = ev.target.value; load(); });
        return div;
      };
      legend.addTo(map);
    }
    function load() {
      return fetch(url(), { credentials: "same-origin" })
        .then((r) => (r.ok ? r.json() : null))
        .then((data) => { if (data && map.hasLayer(group)) draw(data); })
        .catch(() => null);
    }
    group.on("add", load);
    group.on("remove", () => { if (legend) { legend.remove(); legend = null; } });
    return group;
  }

  function attach(map, layersControl, coords) {
    const group = create(map, coords);
    layersControl.addOverlay(group, d.tTitle);
    return group;
  }

  function standalone() {
    document.querySelectorAll(".hotspot-map").forEach((el) => {
      const tiles = document.getElementById("tile-url"), coordsEl = document.getElementById("tile-coords");
      const coords = global.AnminCoords && coordsEl ? AnminCoords(JSON.parse(coordsEl.textContent)) : null;
      const centre = (el.dataset.centre || "").split(",").map(Number);
      const map = AnminBaseMap(el, { centre, zoom: Number(el.dataset.zoom || 11), coords,
        tileUrl: tiles ? JSON.parse(tiles.textContent) : null });
      create(map, coords, { fit: true }).addTo(map);
    });
  }

  global.AnminHotspots = { create, attach };
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", standalone);
  else standalone();
})(window);
