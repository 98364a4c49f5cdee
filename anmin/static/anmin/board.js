/* 可视化调度: the board's map (incidents, units, the grid as a layer that starts off), the queue's
   filters, the desk's alerts (chime, tab title, desktop notification) and the keyboard, with live
   refresh over the WebSocket. Addresses, translated labels and the map's opening place come from
   #board's data- attributes. */
(function () {
  const board = document.getElementById("board");
  const t = board.dataset;
  const panelUrl = (id) => t.panelUrl.replace("/0/", `/${Number(id)}/`);  /* rendered for incident 0 */
  const centre = t.centre.split(",").map(Number);
  const tileUrl = JSON.parse(document.getElementById("tile-url").textContent);
  const coords = AnminCoords(JSON.parse(document.getElementById("tile-coords").textContent));
  let selected = JSON.parse(document.getElementById("selected-incident").textContent);
  const filterForm = document.getElementById("queue-filter");
  /* Names come from the database: never let them become markup. */
  const esc = (s) => String(s).replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]);

  // --- the map --------------------------------------------------------------------------------------
  const map = AnminBaseMap("map", { centre, zoom: Number(t.zoom), coords, tileUrl });
  const bounds = JSON.parse(document.getElementById("map-bounds").textContent);
  if (bounds) map.fitBounds(bounds.map((p) => coords.show(p[0], p[1])), { padding: [20, 20] });
  /* The grid is a layer the dispatcher turns on (网格); it is fetched only while it is shown. */
  const gridLayer = L.layerGroup(), postLayer = L.layerGroup().addTo(map), lineLayer = L.layerGroup().addTo(map);
  const incidentLayer = L.layerGroup().addTo(map), unitLayer = L.layerGroup().addTo(map);
  const layers = L.control.layers(null, { [t.tGrid]: gridLayer, [t.tPosts]: postLayer, [t.tLines]: lineLayer,
    [t.tIncidents]: incidentLayer, [t.tUnits]: unitLayer }, { position: "bottomright" }).addTo(map);
  /* 警情热点 (anmin/patrol/static/patrol/hotspots.js): a layer that starts off, fetched when turned on. */
  if (window.AnminHotspots) window.AnminHotspots.attach(map, layers, coords);
  /* County and jurisdiction outlines, when the shared map factory provides them (map.anmin). */
  let boundariesListed = false;
  function listBoundaries() {
    const extra = map.anmin;
    if (boundariesListed || !extra) return;
    boundariesListed = true;
    if (extra.counties) layers.addOverlay(extra.counties, t.tCounties);
    if (extra.jurisdictions) layers.addOverlay(extra.jurisdictions, t.tJurisdictions);
  }
  listBoundaries();
  map.whenReady(listBoundaries);
  const mapTools = document.querySelector(".map-tools");
  const postColour = { swat: "#6a1b9a", traffic: "#00838f", street: "#1f4e8c", checkpoint: "#c62828", station: "#37474f" };
  let staticDrawn = false;
  const palette = ["#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f", "#edc948", "#b07aa1", "#ff9da7", "#9c755f", "#bab0ac"];
  const unitColour = { available: "#1b7f3b", dispatched: "#b26a00", on_scene: "#2f6bc1", handling: "#2f6bc1", offline: "#888" };
  const prioColour = { 1: "#c62828", 2: "#f0a020", 3: "#5b7390" };
  let cells = [], shownOnMap = null, lastZoom = map.getZoom();

  function shade() { return document.querySelector('input[name="shade"]:checked').value; }
  function drawGrid() {
    gridLayer.clearLayers();
    const byLoad = shade() === "load";
    for (const c of cells) {
      const colour = byLoad ? (c.load === 0 ? "#ffffff" : c.load < 3 ? "#fde0c5" : c.load < 8 ? "#f8a86a" : "#e5582b")
                            : palette[c.station_id % palette.length];
      /* The tooltip names the station and the load; a cell's H3 index is no business of the user's. */
      L.polygon(c.boundary.map((p) => coords.show(p[0], p[1])), {
        color: "#7d8a99", weight: 0.4, fillColor: colour, fillOpacity: byLoad ? 0.6 : 0.25,
      }).bindTooltip(`${esc(c.station)} · ${esc(t.tLoad)} ${Number(c.load)}`, { sticky: true }).addTo(gridLayer);
    }
  }
  function gridShown() { return map.hasLayer(gridLayer); }
  function loadGrid() {
    if (mapTools) mapTools.hidden = !gridShown();
    if (!gridShown() || map.getZoom() < 11) { cells = []; drawGrid(); return; }
    const b = map.getBounds(), sw = coords.store(b.getSouth(), b.getWest()), ne = coords.store(b.getNorth(), b.getEast());
    fetch(`${t.gridUrl}?south=${sw[0]}&west=${sw[1]}&north=${ne[0]}&east=${ne[1]}`, { credentials: "same-origin" })
      .then((r) => r.json()).then((d) => { if (gridShown()) { cells = d.cells; drawGrid(); } });
  }
  map.on("overlayadd overlayremove", (ev) => { if (ev.layer === gridLayer) loadGrid(); });
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
  document.querySelectorAll('input[name="shade"]').forEach((el) => el.addEventListener("change", drawGrid));
  map.on("moveend", loadGrid);
  map.on("zoomend", () => { if ((lastZoom >= 14) !== (map.getZoom() >= 14)) loadMarkers(); lastZoom = map.getZoom(); });

  // --- the queue: selection and filters -----------------------------------------------------------------
  let ticksChanged = false;  /* the dispatcher changed the ticks: a live refresh must not undo that */
  function markSelected() {
    document.querySelectorAll("#queue .queue-item").forEach((el) => el.classList.toggle("selected", Number(el.dataset.incident) === selected));
  }
  function select(id, fromMap) {
    selected = id;
    ticksChanged = false;
    htmx.ajax("GET", panelUrl(id), { target: "#panel", swap: "innerHTML" });
    markSelected();
    syncUrl();
    if (!fromMap) loadMarkers();
  }
  /* The address keeps the filters and the selected incident: a reload shows the same desk. A
     caller's number searched for stays out of it (and so out of the browser's history). */
  const PHONE = /^\+?[0-9][0-9 -]{6,19}$/;
  function syncUrl() {
    const params = new URLSearchParams();
    for (const [k, v] of new FormData(filterForm)) if (v && !(k === "q" && PHONE.test(v))) params.append(k, v);
    if (selected) params.set("incident", selected);
    const query = params.toString();
    history.replaceState(null, "", query ? `${t.boardUrl}?${query}` : t.boardUrl);
  }
  function applyStatus(value) {
    document.getElementById("queue-status").value = value;
    htmx.trigger(filterForm, "submit");
  }
  document.getElementById("queue").addEventListener("click", (ev) => {
    const badge = ev.target.closest(".badge[data-status]");
    if (badge) { ev.preventDefault(); applyStatus(badge.dataset.status); return; }
    const item = ev.target.closest(".queue-item");
    if (item) { ev.preventDefault(); select(Number(item.dataset.incident)); }
  });
  filterForm.addEventListener("htmx:afterRequest", syncUrl);
  /* A refused filter value (400) comes back as the queue with the message naming the field. */
  document.body.addEventListener("htmx:beforeSwap", (ev) => {
    if (ev.detail.target.id === "queue" && ev.detail.xhr.status === 400) { ev.detail.shouldSwap = true; ev.detail.isError = false; }
  });
  document.body.addEventListener("htmx:afterSwap", (ev) => {
    const panel = document.getElementById("incident-panel");
    if (ev.detail.target.id === "panel") {
      ticksChanged = false;
      if (panel && Number(panel.dataset.incident) !== shownOnMap) {
        shownOnMap = Number(panel.dataset.incident);  /* bring a newly selected incident into view, once */
        map.setView(coords.show(parseFloat(panel.dataset.lat), parseFloat(panel.dataset.lon)), Math.max(map.getZoom(), 13));
      }
    }
  });
  /* After the settle, not the swap: htmx settles an element kept by id back to the new markup's
     classes, which would drop a "selected" set in between. */
  document.body.addEventListener("htmx:afterSettle", (ev) => {
    if (ev.detail.target.id === "queue") { markSelected(); checkAlerts(); }
  });
  document.getElementById("panel").addEventListener("change", (ev) => {
    if (ev.target.name === "unit_ids") ticksChanged = true;
  });

  // --- alerts: a new call waiting for a unit, an incident past its arrival target ------------------------
  const alertsOn = t.alerts === "on";
  const baseTitle = document.title;
  const MUTE_KEY = "anmin.desk.muted";
  const muteButton = document.getElementById("alert-mute");
  const notifyButton = document.getElementById("alert-notify");
  const sound = document.getElementById("alert-sound");
  let known = null;  /* the alert state of the last refresh: {waiting: Set, overdue: Set} */
  function muted() { try { return localStorage.getItem(MUTE_KEY) === "1"; } catch (e) { return false; } }
  function showMute() {
    if (!muteButton) return;
    muteButton.textContent = muted() ? t.tMuted : t.tMute;
    muteButton.setAttribute("aria-pressed", muted() ? "true" : "false");
  }
  function showNotify() {
    if (!notifyButton) return;
    notifyButton.hidden = !("Notification" in window) || Notification.permission !== "default";
  }
  function readState() {
    const el = document.getElementById("queue-state");
    if (!el) return null;
    const ids = (s) => new Set(s ? s.split(",").map(Number) : []);
    return { waiting: ids(el.dataset.waiting), overdue: ids(el.dataset.overdue) };
  }
  function chime() {
    board.dataset.chimed = String(Number(board.dataset.chimed || 0) + 1);
    try {
      sound.currentTime = 0;
      const played = sound.play();
      /* A page nobody has clicked yet may not play sound (autoplay policy): the title and the
         notification still tell. */
      if (played) played.then(() => { board.dataset.chime = "played"; }, (e) => { board.dataset.chime = `blocked: ${e.name}`; });
    } catch (e) { board.dataset.chime = `failed: ${e.name}`; }
  }
  function raise(fresh, late) {
    board.dataset.alerted = String(Number(board.dataset.alerted || 0) + 1);
    if (!muted()) chime();
    if ("Notification" in window && Notification.permission === "granted") {
      const lines = [];
      if (fresh) lines.push(`${t.tNew} ${fresh}`);
      if (late) lines.push(`${t.tLate} ${late}`);
      try { new Notification(document.title, { body: lines.join("\n"), tag: "anmin-desk", renotify: true }); } catch (e) { /* not in this browser */ }
    }
  }
  function checkAlerts() {
    if (!alertsOn) return;
    const state = readState();
    if (!state) return;
    document.title = state.waiting.size ? `(${state.waiting.size}) ${t.tTitle}` : baseTitle;
    if (known) {
      const fresh = [...state.waiting].filter((id) => !known.waiting.has(id)).length;
      const late = [...state.overdue].filter((id) => !known.overdue.has(id)).length;
      if (fresh || late) raise(fresh, late);
    }
    known = state;
  }
  if (alertsOn) {
    showMute(); showNotify();
    muteButton.addEventListener("click", () => {
      try { localStorage.setItem(MUTE_KEY, muted() ? "0" : "1"); } catch (e) { /* private mode: not remembered */ }
      showMute();
    });
    /* Permission is asked only when the dispatcher asks for desktop alerts, never on load. */
    notifyButton.addEventListener("click", () => {
      Notification.requestPermission().then(showNotify, showNotify);
    });
    checkAlerts();
  }

  // --- the keyboard ------------------------------------------------------------------------------------
  function typing(el) {
    if (!el || el === document.body) return false;
    if (el.isContentEditable) return true;
    if (el.tagName === "TEXTAREA" || el.tagName === "SELECT") return true;
    return el.tagName === "INPUT" && !["checkbox", "radio", "button", "submit", "reset"].includes(el.type);
  }
  function move(step) {
    const items = [...document.querySelectorAll("#queue .queue-item")];
    if (!items.length) return;
    const at = items.findIndex((el) => Number(el.dataset.incident) === selected);
    const next = items[at < 0 ? 0 : Math.min(items.length - 1, Math.max(0, at + step))];
    select(Number(next.dataset.incident));
    next.scrollIntoView({ block: "nearest" });
  }
  function toggle(n) {
    const box = document.querySelectorAll('#dispatch-form input[name="unit_ids"]')[n - 1];
    if (!box) return;
    box.checked = !box.checked;
    box.dispatchEvent(new Event("change", { bubbles: true }));
  }
  document.addEventListener("keydown", (ev) => {
    if (ev.ctrlKey || ev.metaKey || ev.altKey || ev.isComposing) return;
    const el = document.activeElement;
    if (typing(el)) {
      if (ev.key === "Escape") {
        /* Esc leaves the search, emptied (a search box's own Esc empties it without telling the form). */
        if (el.id === "queue-q" && el.value) { ev.preventDefault(); el.value = ""; htmx.trigger(filterForm, "submit"); }
        el.blur();
      }
      return;
    }
    const key = ev.key.length === 1 ? ev.key.toLowerCase() : ev.key;
    if (key === "j" || key === "k") { ev.preventDefault(); move(key === "j" ? 1 : -1); }
    else if (/^[1-9]$/.test(key)) { ev.preventDefault(); toggle(Number(key)); }
    else if (key === "/") { ev.preventDefault(); document.getElementById("queue-q").focus(); }
    else if (key === "n") location.href = t.intakeUrl;
    else if (key === "Enter") {
      /* Enter on a button, a link outside the queue or a <summary> keeps its own meaning. */
      if (el && (el.tagName === "BUTTON" || el.tagName === "SUMMARY" || (el.tagName === "A" && !el.closest("#queue")))) return;
      const form = document.getElementById("dispatch-form");
      if (form) { ev.preventDefault(); form.requestSubmit(); }
    }
  });

  // --- live --------------------------------------------------------------------------------------------
  const refreshLists = debounce(() => {
    htmx.trigger("#queue", "refresh"); htmx.trigger("#units", "refresh"); loadMarkers();
  }, 120);
  const refreshMarkers = debounce(loadMarkers, 500);
  const refreshPanel = debounce(() => { if (selected) htmx.ajax("GET", panelUrl(selected), { target: "#panel", swap: "innerHTML" }); }, 300);
  AnminLive((n) => {
    /* Every crew reports its position every 30 s: that moves a marker, nothing else on the desk. */
    if (n.kind === "unit" && n.event === "position") { refreshMarkers(); return; }
    refreshLists();
    if (n.kind === "incident" && n.id === selected) refreshPanel();
    /* A unit taken or freed changes the recommendations, unless the dispatcher is ticking them. */
    if (n.kind === "unit" && selected && !ticksChanged) refreshPanel();
  }, { onReconnect: () => { refreshLists(); refreshPanel(); } });  /* notices missed while the socket was down */
  /* Overdue is a matter of time passing, not only of events: re-check every 20 s. */
  setInterval(() => htmx.trigger("#queue", "refresh"), 20000);
  loadGrid(); loadMarkers();
  if (selected) select(Number(selected));
})();
