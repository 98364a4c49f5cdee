/* Live panels: a background refresh (GET) that brings the same state as shown is not swapped in,
   so it cannot wipe what the user is typing or has ticked. The server marks each panel's state in
   #panel-version[data-version]. Responses to the user's own actions (POST) always swap. */
document.body.addEventListener("htmx:beforeSwap", (ev) => {
  if (ev.detail.requestConfig.verb !== "get") return;
  const current = ev.detail.target.querySelector("#panel-version");
  if (!current) return;
  const incoming = /id="panel-version" data-version="([^"]*)"/.exec(ev.detail.xhr.responseText);
  if (incoming && incoming[1] === current.dataset.version) ev.detail.shouldSwap = false;
});
