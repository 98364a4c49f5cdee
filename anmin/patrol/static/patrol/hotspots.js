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
  /* The legend's look travels with the layer: the board and the dashboard load no stylesheet of ours. */
  const STYLE = `.hotspot-legend { background: rgba(255, 255, 255, 0.94); padding: 6px 8px; border-radius: 4px; font-size: 12px;
  line-height: 1.7; box-shadow: 0 1px 4px rgba(0, 0, 0, 0.3); color: #1f2328; }
.hotspot-legend i { display: inline-block; width: 16px; height: 10px; margin-right: 1px; vertical-align: middle; }
.hotspot-legend select { font-size: 12px; margin-left: 4px; min-width: 10em; }
.hotspot-legend .muted { color: #5f6b7a; }`;
  function addStyle() {
    if (document.getElementById("hotspot-style")) return;
    const el = document.createElement("style");
    el.id = "hotspot-style";
    el.textContent = STYLE;
    document.head.appendChild(el);
  }
  const esc = (t) => String(t).replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]);

  function create(map, coords, opts) {
    const o = opts || {};
    const group = L.layerGroup();
    /* Under the page's own lines and markers (overlayPane 400), above the boundaries (≤ 390). */
    if (!map.getPane("hotspots")) map.createPane("hotspots").style.zIndex = "395";
    const renderer = L.canvas({ pane: "hotspots" });
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
        L.polygon(ring, { pane: "hotspots", renderer, color: "#8a3b12", weight: 0.6, fillColor: COLOURS[c.level], fillOpacity: 0.2 + 0.13 * c.level })
          .bindTooltip(`${esc(c.name)} · ${esc(c.station)} · ${esc(d.tScore)} ${Number(c.score).toFixed(1)}`, { sticky: true })
          .addTo(group);
      }
      map.getContainer().dataset.hotspots = String(data.cells.length);
      if (o.fit && !fitted && bounds.length) { map.fitBounds(bounds, { padding: [10, 10], animate: false }); fitted = true; }
      showLegend(data);
    }
    function showLegend(data) {
      if (legend) legend.remove();
      addStyle();
      legend = L.control({ position: o.legendPosition || "topright" });
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
