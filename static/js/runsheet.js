// The run-sheet's folded parts (steps, tools) stay as the person left them across live updates:
// the poll replaces the whole region, so the open ones are remembered for this tab and reopened.
(function () {
  "use strict";

  var KEY = "alex-runsheet-open";

  function remembered() {
    try { return JSON.parse(sessionStorage.getItem(KEY) || "{}"); } catch (e) { return {}; }
  }

  function apply() {
    var open = remembered();
    document.querySelectorAll("details[data-keep-open][id]").forEach(function (el) {
      if (open[el.id] && !el.open) el.open = true;
    });
  }

  document.addEventListener("toggle", function (event) {
    var el = event.target;
    if (!el.matches || !el.matches("details[data-keep-open][id]")) return;
    var open = remembered();
    open[el.id] = el.open;
    try { sessionStorage.setItem(KEY, JSON.stringify(open)); } catch (e) { /* private mode: not kept */ }
  }, true);

  document.addEventListener("htmx:afterSwap", apply);
  document.addEventListener("DOMContentLoaded", apply);
})();
