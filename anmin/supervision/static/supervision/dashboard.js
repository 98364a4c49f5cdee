/* 执法监督: a scan that changed colours, or a case action that stopped a clock, refreshes the numbers
   (the board's address comes from #board's data-url). */
(function () {
  const board = document.getElementById("board");
  const refresh = debounce(function () { htmx.ajax("GET", board.dataset.url, { target: "#board", swap: "innerHTML" }); }, 800);
  AnminLive(function (notice) { if (notice.kind === "clocks") refresh(); });
})();
