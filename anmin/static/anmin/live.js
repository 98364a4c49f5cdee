/* One WebSocket per page: calls `onEvent(notice)` for every change in the user's scope, reconnects
   with back-off, and shows the connection state in #live-state (whose data-t-on / data-t-off carry
   the translated titles) and in body[data-live] ("on" / "off"). Notices carry only kind and id.
   `options.onReconnect()` runs when the socket is back after a drop: notices sent meanwhile are
   lost, so a page refreshes what it shows. `options.onState(on)` hears every change of state (a
   page that polls as a fallback polls only while the socket is down). The socket's path is routed
   by the ASGI app, outside the URLconf, so it has no URL name to render. */
(function (global) {
  global.AnminLive = function (onEvent, options) {
    const o = options || {};
    let delay = 500, ws = null, opened = false;
    const dot = document.getElementById("live-state");
    function setState(on) {
      if (dot) { dot.classList.toggle("on", on); dot.title = on ? dot.dataset.tOn : dot.dataset.tOff; }
      document.body.dataset.live = on ? "on" : "off";
      if (o.onState) o.onState(on);
    }
    function connect() {
      const proto = location.protocol === "https:" ? "wss://" : "ws://";
      ws = new WebSocket(proto + location.host + "/ws/live/");
      ws.onopen = () => {
        delay = 500;
        if (dot) dot.classList.add("shown");
        setState(true);
        if (opened && o.onReconnect) o.onReconnect();
        opened = true;
      };
      ws.onmessage = (m) => { try { const d = JSON.parse(m.data); if (d.type === "event") onEvent(d); } catch (e) { console.error(e); } };
      ws.onclose = () => { setState(false); setTimeout(connect, delay); delay = Math.min(delay * 2, 10000); };
    }
    connect();
    setInterval(() => { if (ws && ws.readyState === 1) ws.send('{"type":"ping"}'); }, 25000);
  };
  /* Coalesce bursts of notices into one refresh. */
  global.debounce = function (fn, ms) { let t = null; return function () { clearTimeout(t); t = setTimeout(fn, ms); }; };
})(window);
