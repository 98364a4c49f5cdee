/* The admin in Chinese: Django writes its yes/no/unknown icons with alt="True"/"False"/"None" from
   Python, untranslated; screen readers (and anyone with images off) get the words from the
   script tag's data- attributes instead. */
(function () {
  const names = document.currentScript.dataset;
  const name = (img) => {
    const kind = (img.getAttribute("src") || "").match(/icon-(yes|no|unknown)\.svg$/);
    if (kind && ["True", "False", "None"].includes(img.alt)) img.alt = names[kind[1]];
  };
  document.addEventListener("DOMContentLoaded", () => document.querySelectorAll("img[alt]").forEach(name));
})();
