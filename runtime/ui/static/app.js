// Live figures: every few seconds, while the tab is visible, fetch the
// journey's figures from the server and swap them in. Bounded: it stops
// after an hour, or at the first failure, and says so.
(function () {
  "use strict";
  var box = document.getElementById("figures");
  var status = document.getElementById("live-status");
  if (!box || !box.dataset.live || !window.fetch) { return; }
  var every = 5000, left = 720, busy = false;
  function say(s) { if (status) { status.textContent = s; } }
  function poll() {
    if (busy || document.hidden) { return; }
    if (left-- <= 0) { clearInterval(timer); say("Live updates paused: reload the page to resume."); return; }
    busy = true;
    fetch(box.dataset.live, { credentials: "same-origin", headers: { "Accept": "text/html" } })
      .then(function (r) { if (!r.ok) { throw new Error(String(r.status)); } return r.text(); })
      .then(function (html) { box.innerHTML = html; say("Updated " + new Date().toLocaleTimeString()); })
      .catch(function (e) { clearInterval(timer); say("Live updates stopped (" + e.message + "): reload the page."); })
      .then(function () { busy = false; });
  }
  var timer = setInterval(poll, every);
  say("Live: figures refresh every " + every / 1000 + " seconds.");
}());
