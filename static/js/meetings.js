// Live meetings: poll only while the tab is visible, keep what people type, count down locally.
(function () {
  "use strict";

  function poller() { return document.getElementById("meeting-poll"); }

  // Hidden tabs do not poll; on return, one poll at once catches up.
  document.addEventListener("htmx:beforeRequest", function (event) {
    if (event.detail.elt && event.detail.elt.id === "meeting-poll" && document.hidden) event.preventDefault();
  });
  document.addEventListener("visibilitychange", function () {
    var el = poller();
    if (!document.hidden && el && window.htmx) window.htmx.trigger(el, "meeting-poll");
  });

  // Keep focus and caret in the field someone is typing in when the live region is swapped.
  var typing = null;
  document.addEventListener("htmx:beforeSwap", function (event) {
    var active = document.activeElement;
    var live = document.getElementById("meeting-live");
    if (live && active && active.id && live.contains(active)) {
      typing = { id: active.id, start: active.selectionStart, end: active.selectionEnd };
    } else {
      typing = null;
    }
  });

  var lastStage = null;
  document.addEventListener("htmx:afterSettle", function () {
    var live = document.getElementById("meeting-live");
    if (!live) return;
    if (typing) {
      var el = document.getElementById(typing.id);
      if (el && document.activeElement !== el) {
        el.focus({ preventScroll: true });
        try { if (typing.start != null) el.setSelectionRange(typing.start, typing.end); } catch (e) { /* not a text field */ }
      }
      typing = null;
    }
    // Everyone hears where the meeting went, not only the person who moved it.
    var stage = live.getAttribute("data-stage");
    if (lastStage !== null && stage !== lastStage && window.alexAnnounce) {
      window.alexAnnounce(live.getAttribute("data-stage-label"));
    }
    lastStage = stage;
    startTimers();
  });

  // A form whose post succeeded starts empty again (it is kept across swaps with hx-preserve).
  document.addEventListener("htmx:afterRequest", function (event) {
    var form = event.detail.elt;
    if (form && form.matches && form.matches("form[data-reset-on-success]") && event.detail.successful) form.reset();
  });

  // Countdowns: the deadline comes from the server; every screen counts down on its own clock,
  // corrected by the offset between server and device time.
  var ticking = null;
  function startTimers() {
    if (ticking) window.clearInterval(ticking);
    var timers = document.querySelectorAll(".timer[data-deadline]");
    if (!timers.length) return;
    timers.forEach(function (t) {
      t._offset = Date.parse(t.getAttribute("data-now")) - Date.now();
      t._deadline = Date.parse(t.getAttribute("data-deadline"));
    });
    function tick() {
      timers.forEach(function (t) {
        var left = Math.max(0, Math.round((t._deadline - (Date.now() + t._offset)) / 1000));
        var value = t.querySelector(".timer-value");
        var text = String(Math.floor(left / 60)).padStart(2, "0") + ":" + String(left % 60).padStart(2, "0");
        if (value.textContent !== text) value.textContent = text;
        if (left === 0 && !t.classList.contains("is-over")) {
          t.classList.add("is-over");
          t.querySelector(".timer-over").hidden = false;
          if (window.alexAnnounce) window.alexAnnounce(t.getAttribute("data-over-text"));
        }
      });
    }
    tick();
    ticking = window.setInterval(tick, 1000);
  }

  document.addEventListener("click", function (event) {
    if (event.target.closest("[data-print]")) window.print();
  });

  document.addEventListener("DOMContentLoaded", function () {
    var live = document.getElementById("meeting-live");
    if (live) lastStage = live.getAttribute("data-stage");
    startTimers();
  });
})();
