/* 接警, by keyboard alone. The address box asks the standard address library (↑/↓ + Enter takes a
   candidate and its point); the category box is a combobox over the code table (code, name or part
   of a name, as the server reads it: anmin.incidents.categories); under the description three
   suggested categories, Alt+Shift+1/2/3 takes one. A map click or typed coordinates set the point
   too. URLs, the map's centre and every text come from #intake's data- attributes. */
(function () {
  const t = document.getElementById("intake").dataset;
  const centre = t.centre.split(",").map(Number);
  const form = document.getElementById("intake-form");
  const lat = document.getElementById("lat"), lon = document.getElementById("lon");
  const tileUrl = JSON.parse(document.getElementById("tile-url").textContent);
  const coords = AnminCoords(JSON.parse(document.getElementById("tile-coords").textContent));
  const map = AnminBaseMap("map", { centre, zoom: Number(t.zoom), coords, tileUrl });
  let marker = null;

  // --- the point ------------------------------------------------------------------------------------
  function place(la, lo, pan) {
    const shown = coords.show(la, lo);
    if (marker) marker.setLatLng(shown); else marker = L.marker(shown, { keyboard: false }).addTo(map);
    if (pan) map.setView(shown, Math.max(map.getZoom(), 15));
  }
  function setLocation(la, lo, pan) { lat.value = la.toFixed(6); lon.value = lo.toFixed(6); place(la, lo, pan); }
  map.on("click", (e) => { const w = coords.store(e.latlng.lat, e.latlng.lng); setLocation(w[0], w[1], false); });
  [lat, lon].forEach((el) => el.addEventListener("change", () => {
    const la = parseFloat(lat.value), lo = parseFloat(lon.value);
    if (isFinite(la) && isFinite(lo)) place(la, lo, true);
  }));
  if (lat.value && lon.value) place(parseFloat(lat.value), parseFloat(lon.value), true);

  /* The grid (网格), off until the call-taker turns it on; fetched only while it is shown. */
  const grid = L.layerGroup();
  const overlays = { [t.tGrid]: grid };
  if (map.anmin) { overlays[t.tCounties] = map.anmin.counties; overlays[t.tJurisdictions] = map.anmin.jurisdictions; }
  L.control.layers(null, overlays, { position: "bottomright" }).addTo(map);
  function loadGrid() {
    if (!map.hasLayer(grid)) return;
    if (map.getZoom() < 12) { grid.clearLayers(); return; }
    const b = map.getBounds(), sw = coords.store(b.getSouth(), b.getWest()), ne = coords.store(b.getNorth(), b.getEast());
    fetch(`${t.gridUrl}?south=${sw[0]}&west=${sw[1]}&north=${ne[0]}&east=${ne[1]}`, { credentials: "same-origin" })
      .then((r) => (r.ok ? r.json() : { cells: [] })).then((d) => {
        grid.clearLayers();
        for (const c of d.cells) L.polygon(c.boundary.map((p) => coords.show(p[0], p[1])), { color: "#7d8a99", weight: 0.4, fillOpacity: 0.05 })
          .bindTooltip(String(c.station).replace(/</g, "&lt;"), { sticky: true }).addTo(grid);
      }).catch(() => grid.clearLayers());
  }
  map.on("moveend", loadGrid);
  map.on("overlayadd", (e) => { if (e.layer === grid) loadGrid(); });

  // --- a combobox: a text box, a listbox under it, ↑/↓ to move, Enter to take, Escape to close --------
  function Combobox(input, list, take) {
    let active = -1;
    const items = () => Array.from(list.querySelectorAll("li:not([hidden])"));
    function mark() {
      const shown = items();
      shown.forEach((li, i) => { li.classList.toggle("on", i === active); li.setAttribute("aria-selected", i === active ? "true" : "false"); });
      const on = shown[active];
      if (on) { input.setAttribute("aria-activedescendant", on.id); on.scrollIntoView({ block: "nearest" }); }
      else input.removeAttribute("aria-activedescendant");
    }
    const api = {
      open() { const n = items().length; list.hidden = n === 0; input.setAttribute("aria-expanded", n ? "true" : "false"); active = n ? 0 : -1; mark(); },
      close() { list.hidden = true; input.setAttribute("aria-expanded", "false"); active = -1; mark(); },
      get isOpen() { return !list.hidden; },
    };
    input.addEventListener("keydown", (ev) => {
      if (ev.altKey || ev.ctrlKey || ev.metaKey) return;
      const shown = items();
      if (ev.key === "ArrowDown" || ev.key === "ArrowUp") {
        ev.preventDefault();
        if (!api.isOpen) { input.dispatchEvent(new Event("combo:open")); return; }
        active = ev.key === "ArrowDown" ? Math.min(shown.length - 1, active + 1) : Math.max(0, active - 1);
        mark();
      } else if (ev.key === "Enter") {
        /* Enter in these boxes takes a candidate and never submits the form (Ctrl+Enter does). */
        ev.preventDefault();
        if (api.isOpen && shown[active]) { take(shown[active]); api.close(); }
      } else if (ev.key === "Escape" && api.isOpen) {
        ev.preventDefault();
        api.close();
      }
    });
    list.addEventListener("mousedown", (ev) => {
      const li = ev.target.closest("li");
      if (li) { ev.preventDefault(); take(li); api.close(); }
    });
    input.addEventListener("blur", () => setTimeout(api.close, 120));
    return api;
  }
  function note(el, text) { el.textContent = text || ""; el.hidden = !text; }
  const esc = (s) => String(s).replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]);

  // --- the address: candidates from the standard address library ----------------------------------------
  const address = document.getElementById("address"), addressList = document.getElementById("address-list");
  const addressNote = document.getElementById("address-note");
  let candidates = [], asked = 0, addressTimer = null;
  const addressBox = Combobox(address, addressList, (li) => {
    const c = candidates[Number(li.dataset.index)];
    address.value = c.full_name;
    if (c.lat != null && c.lon != null) { setLocation(c.lat, c.lon, true); note(addressNote, ""); }
    else note(addressNote, t.tNoPoint);
  });
  function showAddresses(found) {
    candidates = found;
    addressList.innerHTML = found.map((c, i) =>
      `<li role="option" id="address-${i}" data-index="${i}"><span>${esc(c.full_name)}</span>` +
      `<span class="meta">${esc(c.level_label || c.level)} · ${esc(t.tScore)} ${esc(c.score)}` +
      `${c.approximate ? ` · <span class="approx">${esc(t.tApproximate)}</span>` : ""}</span></li>`).join("");
    note(addressNote, found.length ? "" : t.tNoAddress);
    if (document.activeElement === address) addressBox.open();
  }
  function askAddress() {
    const q = address.value.trim().slice(0, 100);
    if (q.length < 2) { candidates = []; addressList.innerHTML = ""; addressBox.close(); note(addressNote, ""); return; }
    const mine = ++asked;
    fetch(`${t.matchUrl}?q=${encodeURIComponent(q)}`, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then((r) => (r.ok ? r.json() : { candidates: [] }))
      .catch(() => ({ candidates: [] }))
      .then((d) => { if (mine === asked) showAddresses(Array.isArray(d.candidates) ? d.candidates : []); });
  }
  address.addEventListener("input", () => { clearTimeout(addressTimer); addressTimer = setTimeout(askAddress, 200); });
  address.addEventListener("combo:open", () => { if (candidates.length) addressBox.open(); else askAddress(); });

  // --- the category: the code table, filtered as the server reads what is typed ------------------------
  const category = document.getElementById("category"), categoryList = document.getElementById("category-list");
  const categoryNote = document.getElementById("category-note");
  const options = Array.from(categoryList.querySelectorAll("li"));
  const plain = (name) => name.replace(/[（(][^）)]*[）)]/g, "").trim();
  const pairs = (s) => { const out = new Set(); for (let i = 0; i + 1 < s.length; i++) out.add(s.slice(i, i + 2)); return out; };
  let priorityTouched = false;
  form.querySelectorAll('input[name="priority"]').forEach((r) => r.addEventListener("change", () => { priorityTouched = true; }));

  function takeCategory(li) {
    category.value = `${li.dataset.code} ${li.dataset.name}`;
    note(categoryNote, "");
    /* 八类严重暴力 are urgent unless the call-taker has set the priority themselves. */
    if (li.dataset.serious && !priorityTouched) form.querySelector('input[name="priority"][value="1"]').checked = true;
  }
  const categoryBox = Combobox(category, categoryList, takeCategory);
  /* The options a typed value stands for, best first (see anmin.incidents.categories). */
  function matching(typed) {
    const text = typed.normalize("NFKC").trim();
    if (!text) return options;
    const first = text.split(/\s+/)[0];
    if (/^\d+$/.test(first)) return options.filter((o) => o.dataset.code.startsWith(first));
    const name = text.replace(/\s+/g, "");
    const ranked = [];
    const add = (list) => list.forEach((o) => { if (!ranked.includes(o)) ranked.push(o); });
    add(options.filter((o) => o.dataset.name === name));
    add(options.filter((o) => o.dataset.group === name));
    add(options.filter((o) => o.dataset.name.includes(name)));
    add(options.filter((o) => plain(o.dataset.name) && name.includes(plain(o.dataset.name))));
    if (!ranked.length) {
      const typedPairs = pairs(name);
      const near = options.map((o) => [[...pairs(plain(o.dataset.name))].filter((p) => typedPairs.has(p)).length, o]).filter((x) => x[0] > 0);
      near.sort((a, b) => b[0] - a[0]);
      add(near.map((x) => x[1]));
    }
    return ranked;
  }
  function filterCategories() {
    const found = matching(category.value);
    options.forEach((o) => { o.hidden = !found.includes(o); });
    found.forEach((o) => categoryList.appendChild(o));  /* best first */
    note(categoryNote, found.length ? "" : t.tNoCategory);
    categoryBox.open();
  }
  category.addEventListener("input", filterCategories);
  category.addEventListener("combo:open", filterCategories);

  // --- suggested categories from the description --------------------------------------------------------
  const description = document.getElementById("description");
  const suggestBox = document.getElementById("category-suggest"), suggestList = document.getElementById("suggest-list");
  const suggestNote = document.getElementById("suggest-note");
  let suggestions = [], suggestAsked = 0, suggestTimer = null;
  function showSuggestions(d) {
    suggestions = d.suggestions || [];
    suggestNote.textContent = d.error ? t.tSuggestFailed : d.source === "names" ? t.tNamesOnly : t.tTrained.replace("__N__", d.trained_on);
    suggestList.innerHTML = suggestions.length ? suggestions.map((s, i) =>
      `<li data-index="${i}" class="${s.serious_violence ? "serious" : ""}"><span class="keys"><kbd>Alt</kbd>+<kbd>Shift</kbd>+<kbd>${i + 1}</kbd></span>` +
      `<b>${esc(s.code)} ${esc(s.name)}</b>${s.serious_violence ? `<span class="flag">${esc(t.tSerious)}</span>` : ""}` +
      `<span class="score">${Math.round(s.score * 100)}%</span><span class="words">${s.words.map(esc).join(" · ")}</span></li>`).join("")
      : (d.error ? "" : `<li class="muted">${esc(t.tNoSuggestion)}</li>`);
    suggestBox.hidden = false;
  }
  function askSuggestions() {
    const text = description.value.trim();
    if (!text) { suggestions = []; suggestBox.hidden = true; return; }
    const mine = ++suggestAsked;
    fetch(`${t.suggestUrl}?text=${encodeURIComponent(text.slice(0, 2000))}`, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then((r) => (r.ok ? r.json() : { error: true })).catch(() => ({ error: true }))
      .then((d) => { if (mine === suggestAsked) showSuggestions(d); });
  }
  function takeSuggestion(n) {
    const s = suggestions[n];
    if (!s) return false;
    const li = options.find((o) => o.dataset.code === s.code);
    if (li) takeCategory(li); else category.value = `${s.code} ${s.name}`;
    suggestList.querySelectorAll("li").forEach((el, i) => el.classList.toggle("taken", i === n));
    categoryBox.close();
    note(categoryNote, `${t.tTaken}：${s.code} ${s.name}`);
    return true;
  }
  description.addEventListener("input", () => { clearTimeout(suggestTimer); suggestTimer = setTimeout(askSuggestions, 300); });
  suggestList.addEventListener("mousedown", (ev) => { const li = ev.target.closest("li[data-index]"); if (li) { ev.preventDefault(); takeSuggestion(Number(li.dataset.index)); } });
  if (description.value.trim()) askSuggestions();

  // --- the page's shortcuts -----------------------------------------------------------------------------
  document.addEventListener("keydown", (ev) => {
    if (ev.key === "Enter" && (ev.ctrlKey || ev.metaKey)) { ev.preventDefault(); form.requestSubmit(); return; }
    const digit = /^Digit([1-3])$/.exec(ev.code || "");
    if (!ev.altKey || ev.ctrlKey || ev.metaKey || !digit) return;
    if (ev.shiftKey) {
      if (takeSuggestion(Number(digit[1]) - 1)) ev.preventDefault();  /* Alt+Shift+N: suggestion N */
    } else {
      const r = form.querySelector(`input[name="priority"][value="${digit[1]}"]`);  /* Alt+N: priority N */
      if (r) { r.checked = true; priorityTouched = true; ev.preventDefault(); }
    }
  });

  /* After a refused submission: the field named goes first; an ambiguous category lists its candidates. */
  const errorBox = document.getElementById("form-error");
  if (errorBox && errorBox.dataset.field) {
    const el = document.getElementById(errorBox.dataset.field);
    if (el) { el.focus(); if (el === category) filterCategories(); }
  }
})();
