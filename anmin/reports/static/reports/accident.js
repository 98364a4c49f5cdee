/* 事故快处: the agreed share of liability is asked only when the parties settle it themselves. */
(function () {
  const part = document.getElementById("agreement-part");
  if (!part) return;
  function sync() { const m = document.querySelector('input[name="mode"]:checked'); part.hidden = !m || m.value !== "agreement"; }
  document.querySelectorAll('input[name="mode"]').forEach((r) => r.addEventListener("change", sync));
  sync();
})();
