/* 掌上处警: the crew's phone page. The staff menu opens from the header's 菜单 button (a <details>)
   and closes again on a tap outside it or on Escape. A notice about the crew's unit or about the incident it is on
   refreshes the panel; the position is reported every 30 s while the page is open. The unit and the
   position address come from #phone-panel's data- attributes; the incident from #task[data-incident],
   which each refresh of the panel brings anew. */
(function () {
  const menu = document.getElementById("phone-menu");
  if (menu) {
    document.addEventListener("click", (ev) => { if (menu.open && !menu.contains(ev.target)) menu.open = false; });
    document.addEventListener("keydown", (ev) => { if (ev.key === "Escape") menu.open = false; });
  }
  const panel = document.getElementById("phone-panel");
  if (!panel) return;  /* the officer is in no unit */
  const unitId = Number(panel.dataset.unit);
  const currentIncident = () => { const task = document.querySelector("#task[data-incident]"); return task ? task.dataset.incident : ""; };
  const refresh = debounce(() => htmx.trigger(panel, "refresh"), 100);
  AnminLive((n) => {
    if ((n.kind === "unit" && n.id === unitId && n.event !== "position") || (n.kind === "incident" && String(n.id) === currentIncident())) {
      if (n.kind === "unit" && n.event === "dispatched" && navigator.vibrate) navigator.vibrate([300, 100, 300]);
      refresh();
    }
  });
  /* Browsers give the position only over HTTPS or on localhost. */
  function report() {
    if (!navigator.geolocation) return;
    navigator.geolocation.getCurrentPosition((p) => {
      htmx.ajax("POST", panel.dataset.positionUrl, { target: "#phone-panel", swap: "innerHTML",
        values: { unit: unitId, lat: p.coords.latitude, lon: p.coords.longitude } });
    }, () => {}, { enableHighAccuracy: true, timeout: 10000 });
  }
  document.body.addEventListener("click", (ev) => { if (ev.target.id === "report-position") report(); });
  setInterval(report, 30000);
})();
