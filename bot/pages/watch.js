// golive watch page: counts down to the start and refreshes platform states in place.
(function () {
  "use strict";
  var root = document.getElementById("watch");
  if (!root) return;
  var stateUrl = root.getAttribute("data-state-url");
  var poll = Math.max(1000, parseInt(root.getAttribute("data-poll") || "10000", 10));
  var statusBox = document.getElementById("status");
  var clock = document.getElementById("clock");
  var list = document.getElementById("platforms");
  var last = root.getAttribute("data-version");

  function plural(n, word) { return n + " " + word + (n === 1 ? "" : "s"); }

  function countdownText(ms) {
    var s = Math.max(0, Math.floor(ms / 1000));
    var d = Math.floor(s / 86400), h = Math.floor(s % 86400 / 3600);
    var m = Math.floor(s % 3600 / 60), sec = s % 60;
    if (d > 0) return "Starts in " + plural(d, "day") + " " + h + " h " + m + " min";
    if (h > 0) return "Starts in " + h + " h " + m + " min " + sec + " s";
    if (m > 0) return "Starts in " + m + " min " + sec + " s";
    if (s > 0) return "Starts in " + sec + " s";
    return "Starting any moment";
  }

  function tick() {
    var el = document.getElementById("countdown");
    if (!el) return;
    var start = Date.parse(el.getAttribute("data-start"));
    if (!isNaN(start)) el.textContent = countdownText(start - Date.now());
  }

  function refresh() {
    fetch(stateUrl, { headers: { Accept: "application/json" }, cache: "no-store" })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (data) {
        if (!data || data.version === last) return;
        last = data.version;
        if (statusBox.innerHTML !== data.status_html) statusBox.innerHTML = data.status_html;
        clock.innerHTML = data.clock_html;
        list.innerHTML = data.platforms_html;
        root.setAttribute("data-phase", data.phase);
        tick();
      })
      .catch(function () { /* offline for a moment: the next poll tries again */ });
  }

  tick();
  setInterval(tick, 1000);
  setInterval(refresh, poll);
  document.addEventListener("visibilitychange", function () {
    if (!document.hidden) refresh();
  });
})();
