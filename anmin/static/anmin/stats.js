/* 统计分析: the builder's chart (redrawn after each htmx swap) and the leader's dashboard (charts, the
   heat map, refreshed live on the board's notices, every 60 s while the socket is down). ECharts and
   Leaflet are served locally like every other asset. */
(function () {
  "use strict";
  const esc = (t) => String(t).replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]);
  const BLUE = "#2f6bc1", GREY = "#9fb0c4", RED = "#c62828";
  let charts = [];

  function chartIn(el) {
    const existing = echarts.getInstanceByDom(el);
    if (existing && existing.getDom() === el) return existing;
    /* htmx's history restores a copy of the markup: the old instance points at a detached node. */
    if (existing) existing.dispose();
    el.removeAttribute("_echarts_instance_");
    el.textContent = "";  /* and a lifeless copy of the old canvas */
    const chart = echarts.init(el, null, { renderer: "canvas" });
    charts = charts.filter((c) => !c.isDisposed()).concat([chart]);
    return chart;
  }
  window.addEventListener("resize", () => charts.forEach((c) => { if (!c.isDisposed()) c.resize(); }));

  /* Bars of the current period against the baseline; a click opens the records behind a bar. */
  function barOption(labels, series, unit) {
    return {
      animation: false,
      tooltip: { trigger: "axis" },
      legend: { top: 0 },
      grid: { left: 8, right: 16, top: 40, bottom: 4, containLabel: true },
      xAxis: { type: "category", data: labels, axisLabel: { interval: 0, rotate: labels.length > 8 ? 40 : 0 } },
      yAxis: { type: "value", name: unit, minInterval: unit === "%" ? 0 : 1 },
      series: series.map((s) => ({ type: "bar", name: s.name, data: s.data, itemStyle: { color: s.color }, barMaxWidth: 36 })),
    };
  }
  function linkBars(chart, series) {
    chart.off("click");
    chart.on("click", (p) => {
      const links = series[p.seriesIndex] && series[p.seriesIndex].links;
      if (links && links[p.dataIndex]) location.href = links[p.dataIndex];
    });
  }

  // --- the builder --------------------------------------------------------------------------------
  function drawBuilder() {
    const el = document.getElementById("stats-chart"), data = document.getElementById("stats-chart-data");
    if (!el || !data) return;
    const d = JSON.parse(data.textContent);
    const series = [Object.assign({ color: BLUE }, d.current)];
    if (d.baseline) series.push(Object.assign({ color: GREY }, d.baseline));
    const chart = chartIn(el);
    chart.setOption(barOption(d.labels, series, d.unit), true);
    linkBars(chart, series);
  }
  document.addEventListener("click", (ev) => {
    const pick = ev.target.closest("[data-period]");
    const input = document.getElementById("period");
    if (pick && input && pick.closest("#stats-form")) { input.value = pick.dataset.period; input.focus(); }
  });
  if (window.htmx) {
    /* A rejected query (400) comes back as the form with its message: show it like a success. */
    document.body.addEventListener("htmx:beforeSwap", (ev) => {
      if (ev.detail.target.id === "builder" && ev.detail.xhr.status === 400) { ev.detail.shouldSwap = true; ev.detail.isError = false; }
    });
    document.body.addEventListener("htmx:afterSettle", (ev) => { if (ev.detail.target.id === "builder") drawBuilder(); });
    document.body.addEventListener("htmx:historyRestore", drawBuilder);
  }
  drawBuilder();

  // --- the dashboard ------------------------------------------------------------------------------
  const dash = document.getElementById("dashboard");
  if (!dash) return;
  const t = dash.dataset;
  let period = t.period;
  const trend = chartIn(document.getElementById("chart-trend"));
  const classes = chartIn(document.getElementById("chart-classes"));
  const coords = AnminCoords(JSON.parse(document.getElementById("tile-coords").textContent));
  const tileUrl = JSON.parse(document.getElementById("tile-url").textContent);
  /* one zoom level out from the board: the dashboard shows the whole city, not one station */
  const centre = t.centre.split(",").map(Number);
  const map = AnminBaseMap("dash-map", { centre, zoom: Number(t.zoom) - 1, coords, tileUrl });
  const heat = L.layerGroup().addTo(map);
  const SCALE = ["#fee5d9", "#fcbba1", "#fc9272", "#fb6a4a", "#de2d26", "#a50f15"];
  /* The cells' outlines come once (cached); each refresh only recolours them. */
  let polygons = null, stations = {}, recordsUrl = "";
  const loadCells = fetch(t.cells, { credentials: "same-origin" }).then((r) => r.json()).then((d) => {
    stations = d.stations;
    polygons = new Map();
    for (const [h3, station, flat, name] of d.cells) {
      const ring = [];
      for (let i = 0; i < flat.length; i += 2) ring.push(coords.show(flat[i], flat[i + 1]));
      const p = L.polygon(ring, { color: "#b8c2ce", weight: 0.3, fillColor: "#ffffff", fillOpacity: 0.35 }).addTo(heat);
      p.h3 = h3; p.n = 0;
      p.bindTooltip(() => `${esc(name || stations[station] || "")} · ${p.n}`, { sticky: true });  /* 河西所第17网格 · 3 */
      p.on("click", () => { if (p.n) location.href = recordsUrl + encodeURIComponent(h3); });  /* the incidents behind it */
      polygons.set(h3, p);
    }
    if (polygons.size) map.fitBounds(L.featureGroup([...polygons.values()]).getBounds(), { padding: [8, 8] });
  });

  /* Classes by quantile: a few busy cells (a station yard, a hospital) would otherwise push every
     other cell into the palest colour. Each class holds the counts up to its bound. */
  function classBounds(values) {
    const v = values.slice().sort((a, b) => a - b);
    if (!v.length) return [];
    const bounds = [0.3, 0.55, 0.75, 0.9, 0.97].map((q) => v[Math.min(v.length - 1, Math.floor(q * v.length))]);
    bounds.push(v[v.length - 1]);
    return [...new Set(bounds)];
  }
  function colourOf(i, bounds) {
    return bounds.length < 2 ? SCALE[3] : SCALE[Math.round((i * (SCALE.length - 1)) / (bounds.length - 1))];
  }
  function drawKpis(kpis) {
    document.getElementById("dash-kpis").innerHTML = kpis.map((k) => {
      return `<a class="kpi card" href="${esc(k.href)}"><span class="kpi-label">${esc(k.label)}</span>` +
        `<span class="kpi-value">${esc(k.value)}<small>${esc(k.unit)}</small></span><span class="kpi-change ${k.direction}">${esc(k.change)}</span></a>`;
    }).join("");
  }
  function drawTrend(d) {
    trend.setOption({
      animation: false,
      tooltip: { trigger: "axis" },
      legend: { top: 0 },
      grid: { left: 48, right: 16, top: 32, bottom: 28 },
      xAxis: { type: "category", data: d.months, boundaryGap: false },
      yAxis: { type: "value", minInterval: 1 },
      series: [
        { type: "line", name: d.last_year.name, data: d.last_year.data, itemStyle: { color: GREY }, lineStyle: { type: "dashed" } },
        { type: "line", name: d.this_year.name, data: d.this_year.data, itemStyle: { color: RED }, lineStyle: { width: 3 } },
        { type: "scatter", name: d.so_far.name, data: d.so_far.data, symbol: "diamond", symbolSize: 12,
          itemStyle: { color: "#fff", borderColor: RED, borderWidth: 2 } },
      ],
    }, true);
  }
  function drawClasses(d) {
    const series = [{ name: t.tThis, data: d.current, color: BLUE, links: d.links }, { name: t.tLast, data: d.baseline, color: GREY }];
    classes.setOption(barOption(d.labels, series, ""), true);
    linkBars(classes, series);
  }
  function drawRanking(rows) {
    document.querySelector("#dash-ranking tbody").innerHTML = rows.length ? rows.map((r) =>
      `<tr><td class="n">${r.rank}</td><td>${esc(r.label)}</td><td class="n"><a class="fig" href="${esc(r.href)}">${r.value}</a></td>` +
      `<td class="n">${r.baseline === null ? "—" : r.baseline}</td><td class="change-text ${r.direction}">${esc(r.change)}</td></tr>`
    ).join("") : `<tr><td colspan="5" class="muted">${esc(t.tNone)}</td></tr>`;
  }
  function drawMap(g) {
    if (!polygons) return;
    recordsUrl = g.records;
    const bounds = classBounds(Object.values(g.counts));
    for (const p of polygons.values()) {
      const n = g.counts[p.h3] || 0;
      const i = bounds.findIndex((b) => n <= b);
      /* An outline in the fill colour closes the hairline gaps the canvas leaves between cells. */
      p.setStyle(n ? { stroke: true, color: colourOf(i, bounds), weight: 0.8, opacity: 0.85, fillColor: colourOf(i, bounds), fillOpacity: 0.85 }
                   : { stroke: true, color: "#c9d2dc", weight: 0.3, fillColor: "#ffffff", fillOpacity: 0.4 });
      p.n = n;
    }
    document.getElementById("heat-legend").innerHTML = bounds.length
      ? `<span class="heat-scale">${bounds.map((b, i) => {
          const low = i ? bounds[i - 1] + 1 : 1;
          return `<span><i style="background:${colourOf(i, bounds)}"></i>${low === b ? b : `${low}–${b}`}</span>`;
        }).join("")}</span>`
      : esc(t.tEmpty);
    dash.dataset.heatCells = String(Object.keys(g.counts).length);
  }
  function load() {
    fetch(`${t.url}?period=${encodeURIComponent(period)}`, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then((r) => r.json().then((d) => ({ ok: r.ok, d })))
      .then(({ ok, d }) => {
        const error = document.getElementById("dash-error");
        if (!ok) { error.textContent = d.detail.map((e) => e.message).join("；"); error.hidden = false; return; }
        error.hidden = true;
        document.getElementById("dash-period").textContent = `${d.period.label}（${t.tLast}：${d.period.baseline}）`;
        document.getElementById("dash-updated").textContent = d.updated_at;
        drawKpis(d.kpis); drawTrend(d.trend); drawClasses(d.classes); drawRanking(d.ranking);
        return loadCells.then(() => drawMap(d.grid)).then(() => { dash.dataset.loads = String(Number(dash.dataset.loads || 0) + 1); });
      })
      .then(() => { delete dash.dataset.failed; })
      .catch(() => { const error = document.getElementById("dash-error"); error.textContent = t.tFailed; error.hidden = false; dash.dataset.failed = "1"; });
  }
  document.getElementById("dash-periods").addEventListener("click", (ev) => {
    const a = ev.target.closest("[data-period]");
    if (!a) return;
    ev.preventDefault();
    period = a.dataset.period;
    document.querySelectorAll("#dash-periods a").forEach((el) => el.classList.toggle("on", el === a));
    history.replaceState(null, "", `?period=${encodeURIComponent(period)}`);
    load();
  });
  load();
  /* Live: the board's notices (a call taken, a unit sent or arrived, an incident closed) bring the
     figures up to date within seconds. A burst (a dispatch sends one notice per unit) is one refresh,
     and a busy hour refreshes at most every few seconds: each refresh runs the period's reports.
     Positions change no figure. The 60 s poll stays as the fallback while the socket is down. */
  const QUIET_MS = 1500, MAX_WAIT_MS = 5000, POLL_MS = 60000;
  let pending = null, firstPending = 0, live = false;
  function refreshSoon() {
    const now = Date.now();
    if (!pending) firstPending = now;
    clearTimeout(pending);
    pending = setTimeout(() => { pending = null; load(); }, Math.max(0, Math.min(QUIET_MS, firstPending + MAX_WAIT_MS - now)));
  }
  const mode = document.getElementById("dash-mode");
  function showMode(on) {
    live = on;
    mode.textContent = on ? mode.dataset.tLive : mode.dataset.tPoll;
  }
  if (window.AnminLive) {
    AnminLive((n) => {
      if (n.kind === "incident" || (n.kind === "unit" && n.event !== "position")) refreshSoon();
    }, { onState: showMode, onReconnect: refreshSoon });
  }
  setInterval(() => { if (!live || dash.dataset.failed) load(); }, POLL_MS);  /* a failed load is retried too */
})();
