/* Countdowns of legal time limits: every element with [data-countdown][data-due] shows the time left
   ("剩余 2天3小时") or past ("超期 5小时12分"), updated every minute. The server's clock decides:
   the page records how far the browser's clock is from it ([data-now]) and corrects for that.
   The colour (state) is the server's, set by the scan, and changes on the next page load. */
(function () {
  const box = document.querySelector("[data-now]");
  const script = document.getElementById("clock-labels");
  if (!box || !script) return;
  const L = JSON.parse(script.textContent);
  const offset = Date.parse(box.dataset.now) - Date.now();
  function words(ms) {
    let s = Math.floor(Math.abs(ms) / 1000);
    const d = Math.floor(s / 86400); s -= d * 86400;
    const h = Math.floor(s / 3600); s -= h * 3600;
    const m = Math.floor(s / 60);
    const time = d ? L.dh.replace("%(d)s", d).replace("%(h)s", h)
      : h ? L.hm.replace("%(h)s", h).replace("%(m)s", m) : L.m.replace("%(m)s", m);
    return (ms >= 0 ? L.left : L.over).replace("%(time)s", time);
  }
  function tick() {
    const now = Date.now() + offset;
    document.querySelectorAll("[data-countdown][data-due]").forEach(function (el) {
      const left = Date.parse(el.dataset.due) - now;
      el.textContent = words(left);
      el.classList.toggle("past", left < 0);
    });
  }
  tick();
  setInterval(tick, 60000);
})();
