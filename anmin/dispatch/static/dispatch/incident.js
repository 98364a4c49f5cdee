/* The incident page: a notice about this incident (its id in #panel's data-incident) refreshes the panel. */
(function () {
  const panel = document.getElementById("panel");
  const id = Number(panel.dataset.incident);
  const refresh = debounce(() => htmx.trigger(panel, "refresh"), 150);
  AnminLive((n) => { if (n.kind === "incident" && n.id === id) refresh(); });
})();
