/* 满意度评价: the reasons to improve are asked only for a rating other than 满意. */
(function () {
  const form = document.getElementById("survey-form");
  if (!form) return;
  const box = document.getElementById("reasons-box");
  function sync() {
    const chosen = form.querySelector("input[name=rating]:checked");
    box.hidden = !chosen || chosen.value === "satisfied";
  }
  form.addEventListener("change", sync);
  sync();
})();
