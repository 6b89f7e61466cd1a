// Keeps the live part of a dashboard page fresh: every few seconds it
// fetches the same address with the fragment header and swaps the
// element #live when the answer changed. No inline script is used, so the
// page's Content-Security-Policy can forbid it.
(function () {
  "use strict";
  var live = document.getElementById("live");
  var state = document.getElementById("live-state");
  if (!live) {
    return;
  }
  var every = parseInt(document.body.getAttribute("data-refresh-ms"), 10) || 3000;
  var last = null;
  var stopped = false;

  function show(text, cls) {
    if (state) {
      state.textContent = text;
      state.className = "live-state " + cls;
    }
  }

  // The user is using a control inside the live part: do not pull it
  // away from under them.
  function busy() {
    var a = document.activeElement;
    return a && a !== document.body && live.contains(a);
  }

  function refresh() {
    if (document.hidden || busy()) {
      return schedule();
    }
    fetch(location.pathname + location.search, {
      headers: { "X-Dashboard-Fragment": "1" },
      credentials: "same-origin",
      cache: "no-cache",
      redirect: "error"
    }).then(function (res) {
      if (res.status === 401 || res.status === 403) {
        stopped = true;
        throw new Error("not authorized: reload the page");
      }
      if (!res.ok) {
        throw new Error("HTTP " + res.status);
      }
      return res.text();
    }).then(function (html) {
      if (html !== last && !busy()) {
        live.innerHTML = html;
        last = html;
      }
      show("live · " + new Date().toLocaleTimeString(), "ok");
    }).catch(function (err) {
      show("stale · " + err.message, "stale");
    }).then(schedule);
  }

  function schedule() {
    if (!stopped) {
      window.setTimeout(refresh, every);
    }
  }

  schedule();
})();
