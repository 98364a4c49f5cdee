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
/* A refused action (400 bad input, 403 not allowed, 409 changed underneath) answers with the panel
   again, its message beside the field: swap it in like a success instead of dropping it. */
document.body.addEventListener("htmx:beforeSwap", (ev) => {
  const status = ev.detail.xhr.status;
  if ((status === 400 || status === 403 || status === 409) && /id="panel-version"/.test(ev.detail.xhr.responseText)) {
    ev.detail.shouldSwap = true;
    ev.detail.isError = false;
  }
});
