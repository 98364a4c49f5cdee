/* The one way a map is made: Chinese zoom controls, our own attribution (no flag), the tile server
   when one is configured (TILE_URL), and the boundaries every map shares, under the page's own layers.

   const map = AnminBaseMap(element, { centre: [lat, lon], zoom, coords, tileUrl });
   map.anmin = {
     counties,       // L.layerGroup: county-level boundaries (dark lines), names at zoom ≤ 11
     jurisdictions,  // L.layerGroup: 派出所 jurisdictions (thin dashed lines), names at zoom ≥ 11
     ready,          // Promise, settled once both are drawn (or the layers could not be had)
   };
   Both groups are on the map from the start and filled when the layers arrive, so a page may put
   them into its own control at once:
     L.control.layers(null, { "县界": map.anmin.counties, "派出所辖区": map.anmin.jurisdictions, … });
   The layers (geo:layers, WGS-84 GeoJSON) are fetched once per page, from the URL in this script
   tag's data-layers, and drawn in panes below Leaflet's overlay pane (400): the page's own grid,
   lines and markers always lie on top, and the boundaries never take a click. A small legend says
   when a drawn outline is only approximate (the jurisdictions follow grid cells). */
(function (global) {
  const script = document.currentScript;  /* only while this file runs: read the URL now */
  const layersUrl = script ? script.dataset.layers : null;
  const zh = !/^en/.test(document.documentElement.lang || "zh");
  const T = zh
    ? { zoomIn: "放大", zoomOut: "缩小", attribution: "安民", county: "县（市、区）界", station: "派出所辖区", approximate: "派出所辖区为近似范围" }
    : { zoomIn: "Zoom in", zoomOut: "Zoom out", attribution: "Anmin", county: "County boundary", station: "Police station area", approximate: "Station areas are approximate" };
  /* Names appear at these zooms: a county name over a whole city, a station's once its area is large. */
  const COUNTY_MAX_ZOOM = 11, STATION_MIN_ZOOM = 11;
  /* Panes between the tiles (200) and the page's vectors (overlayPane 400) and markers (600). */
  const PANES = [["anminJurisdictions", 350], ["anminCounties", 360], ["anminLabels", 390]];
  const STYLE = `
.anmin-label span { position: absolute; transform: translate(-50%, -50%); white-space: nowrap; pointer-events: none;
  font: 12px/1.2 "Noto Sans CJK SC", "Noto Sans SC", "Source Han Sans SC", "Microsoft YaHei", sans-serif; color: #34495e;
  text-shadow: 0 0 2px #fff, 0 0 2px #fff, 0 0 3px #fff, 0 0 4px #fff; }
.anmin-label-county span { font-size: 15px; font-weight: 700; color: #1f2328; letter-spacing: 0.15em; }
.anmin-legend { background: rgba(255, 255, 255, 0.92); padding: 4px 8px; border-radius: 4px; font-size: 12px; line-height: 1.7;
  box-shadow: 0 1px 4px rgba(0, 0, 0, 0.3); color: #1f2328; }
.anmin-legend i { display: inline-block; width: 20px; height: 0; vertical-align: middle; margin-right: 6px; border-top: 2px solid #1f2328; }
.anmin-legend i.anmin-station { border-top: 1.5px dashed #4d6580; }
.anmin-legend .anmin-note { color: #7a5b00; }`;
  let layersPromise = null;

  function fetchLayers() {
    if (!layersPromise) {
      layersPromise = layersUrl
        ? fetch(layersUrl, { credentials: "same-origin" }).then((r) => (r.ok ? r.json() : null)).catch(() => null)
        : Promise.resolve(null);
    }
    return layersPromise;
  }
  function addStyle() {
    if (document.getElementById("anmin-basemap-style")) return;
    const el = document.createElement("style");
    el.id = "anmin-basemap-style";
    el.textContent = STYLE;
    document.head.appendChild(el);
  }
  /* Names come from the database: never let them become markup. */
  const esc = (t) => String(t).replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]);

  function AnminBaseMap(el, opts) {
    const o = opts || {};
    const map = L.map(el, { preferCanvas: true, zoomControl: false, attributionControl: false });
    L.control.zoom({ zoomInTitle: T.zoomIn, zoomOutTitle: T.zoomOut }).addTo(map);
    L.control.attribution({ prefix: T.attribution }).addTo(map);
    if (o.centre) map.setView(o.coords ? o.coords.show(o.centre[0], o.centre[1]) : o.centre, o.zoom || 12);
    if (o.tileUrl) L.tileLayer(o.tileUrl, { maxZoom: 19 }).addTo(map);  /* no tile server: a plain background */
    for (const [name, z] of PANES) {
      const pane = map.createPane(name);
      pane.style.zIndex = String(z);
      pane.style.pointerEvents = "none";
    }
    const counties = L.layerGroup().addTo(map), jurisdictions = L.layerGroup().addTo(map);
    const ready = fetchLayers().then((data) => { if (data) draw(map, o.coords, data, counties, jurisdictions); });
    map.anmin = { counties, jurisdictions, ready };
    return map;
  }

  function draw(map, coords, data, counties, jurisdictions) {
    addStyle();
    const toLatLng = (c) => { const p = coords ? coords.show(c[1], c[0]) : [c[1], c[0]]; return L.latLng(p[0], p[1]); };
    const labels = [];
    function outline(features, group, pane, style, kind, visible) {
      for (const f of features || []) {
        const shape = L.geoJSON(f, { pane, interactive: false, coordsToLatLng: toLatLng, style }).addTo(group);
        const b = shape.getBounds();
        const size = (b.getNorth() - b.getSouth()) * (b.getEast() - b.getWest());
        const lbl = f.properties.label;
        const marker = L.marker(toLatLng(lbl), {
          pane: "anminLabels", interactive: false, keyboard: false,
          icon: L.divIcon({ className: `anmin-label anmin-label-${kind}`, html: `<span>${esc(f.properties.name)}</span>`, iconSize: null }),
        }).addTo(group);
        labels.push({ marker, group, visible, size, kind, width: 0 });
      }
    }
    outline(data.counties, counties, "anminCounties", { color: "#1f2328", weight: 2.2, opacity: 0.75, fill: false },
      "county", (z) => z <= COUNTY_MAX_ZOOM);
    outline(data.jurisdictions, jurisdictions, "anminJurisdictions",
      (f) => ({ color: "#4d6580", weight: 1.2, opacity: 0.8, fill: false, dashArray: f.properties.approximate ? "5 4" : null }),
      "station", (z) => z >= STATION_MIN_ZOOM);
    /* Counties before stations, larger before smaller: a name that would cover one already placed waits. */
    labels.sort((a, b) => (a.kind === b.kind ? b.size - a.size : a.kind === "county" ? -1 : 1));
    /* Placed again after every move, and when a group comes back (a layer control, or the page's own addLayer). */
    let queued = false;
    const place = () => {
      if (queued) return;
      queued = true;
      requestAnimationFrame(() => { queued = false; placeLabels(map, labels); });
    };
    map.on("zoomend moveend resize", place);
    counties.on("add", place);
    jurisdictions.on("add", place);
    placeLabels(map, labels);
    legend(map, data);
  }

  function placeLabels(map, labels) {
    const z = map.getZoom(), size = map.getSize(), taken = [];
    for (const l of labels) {
      const el = l.marker.getElement();
      if (!el) continue;  /* its group is off the map */
      let show = map.hasLayer(l.group) && l.visible(z);
      if (show) {
        const span = el.firstChild;
        if (!l.width) { el.style.display = ""; l.width = span.offsetWidth; l.height = span.offsetHeight; }
        const p = map.latLngToContainerPoint(l.marker.getLatLng());
        const box = [p.x - l.width / 2 - 6, p.y - l.height / 2 - 3, p.x + l.width / 2 + 6, p.y + l.height / 2 + 3];
        const onScreen = box[2] > 0 && box[0] < size.x && box[3] > 0 && box[1] < size.y;
        if (onScreen && taken.some((t) => t[0] < box[2] && box[0] < t[2] && t[1] < box[3] && box[1] < t[3])) show = false;
        else if (onScreen) taken.push(box);
      }
      el.style.display = show ? "" : "none";
    }
  }

  function legend(map, data) {
    /* A phone's small map gets the caveat alone; the line keys would cover too much of it. */
    const full = map.getSize().x >= 480, rows = [];
    if (full && (data.counties || []).length) rows.push(`<div><i></i>${esc(T.county)}</div>`);
    if (full && (data.jurisdictions || []).length) rows.push(`<div><i class="anmin-station"></i>${esc(T.station)}</div>`);
    const approximate = [...(data.counties || []), ...(data.jurisdictions || [])].some((f) => f.properties.approximate);
    if (approximate) rows.push(`<div class="anmin-note">${esc(T.approximate)}</div>`);
    if (!rows.length) return;
    const control = L.control({ position: "topleft" });  /* under the zoom buttons: pages keep their own keys elsewhere */
    control.onAdd = () => {
      const div = L.DomUtil.create("div", "anmin-legend");
      div.innerHTML = rows.join("");
      return div;
    };
    control.addTo(map);
  }

  global.AnminBaseMap = AnminBaseMap;
})(window);
