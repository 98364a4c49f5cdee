/* The error pages' 返回上一页: back in the browser's history when there is one; otherwise the link's
   own address (the referring page, or home) is followed as usual. */
(function () {
  document.addEventListener("click", (ev) => {
    const link = ev.target.closest("a[data-back]");
    if (!link || window.history.length <= 1) return;
    ev.preventDefault();
    window.history.back();
  });
})();
