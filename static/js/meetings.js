// Live meetings: poll only while the tab is visible, keep what people type across live updates,
// count down locally from the server's deadline.
(function () {
  "use strict";

  function live() { return document.getElementById("meeting-live"); }

  // Hidden tabs do not poll; on return, one poll at once catches up.
  document.addEventListener("htmx:beforeRequest", function (event) {
    if (event.detail.elt && event.detail.elt.id === "meeting-poll" && document.hidden) event.preventDefault();
  });
  document.addEventListener("visibilitychange", function () {
    var poll = document.getElementById("meeting-poll");
    if (!document.hidden && poll && window.htmx) window.htmx.trigger(poll, "meeting-poll");
  });

  // What someone has typed or chosen but not sent yet, per form id and field.
  function draftsOf(region, exceptForm) {
    var drafts = [];
    region.querySelectorAll("form[id]").forEach(function (form) {
      if (form === exceptForm) return;
      Array.prototype.forEach.call(form.elements, function (el) {
        if (!el.name || el.type === "hidden" || el.type === "submit") return;
        if (el.type === "radio" || el.type === "checkbox") {
          if (el.checked !== el.defaultChecked) drafts.push([form.id, el.name, el.value, el.checked]);
        } else if (el.tagName === "SELECT") {
          var chosen = el.options[el.selectedIndex];
          if (chosen && !chosen.defaultSelected) drafts.push([form.id, el.name, null, el.value]);
        } else if (el.value !== el.defaultValue) {
          drafts.push([form.id, el.name, null, el.value]);
        }
      });
    });
    return drafts;
  }

  function restore(drafts) {
    drafts.forEach(function (d) {
      var form = document.getElementById(d[0]);
      if (!form) return;  // the step moved on: that form is gone, and so is the draft
      Array.prototype.forEach.call(form.elements, function (el) {
        if (el.name !== d[1]) return;
        if (d[2] !== null) { if (el.value === d[2]) el.checked = d[3]; }
        else el.value = d[3];
      });
    });
  }

  var carried = null;
  document.addEventListener("htmx:beforeSwap", function (event) {
    var region = live();
    if (!region || !event.detail.target || event.detail.target.id !== "meeting-live") return;
    // A poll and a click can cross: never show an older state than the one on screen, and
    // swap into the region that is on the page now, not the one the request started from.
    var incoming = /data-version="(\d+)"/.exec(event.detail.serverResponse || "");
    var shown = parseInt(region.getAttribute("data-version"), 10);
    if (incoming && parseInt(incoming[1], 10) < shown) { event.detail.shouldSwap = false; return; }
    event.detail.target = region;
    // The form that was just sent successfully starts empty; every other draft is kept.
    var sender = event.detail.requestConfig && event.detail.requestConfig.elt;
    var sentForm = sender && sender.closest ? sender.closest("form") : null;
    var succeeded = event.detail.xhr && event.detail.xhr.status < 300;
    var active = document.activeElement;
    carried = {
      drafts: draftsOf(region, succeeded ? sentForm : null),
      focus: active && active.id && region.contains(active) && !(succeeded && sentForm && sentForm.contains(active))
        ? { id: active.id, start: active.selectionStart, end: active.selectionEnd } : null
    };
  });

  var lastStage = null;
  document.addEventListener("htmx:afterSwap", function () {
    if (!carried) return;
    restore(carried.drafts);
    var focus = carried.focus;
    carried = null;
    if (focus) {
      var el = document.getElementById(focus.id);
      if (el && document.activeElement !== el) {
        el.focus({ preventScroll: true });
        try { if (focus.start != null) el.setSelectionRange(focus.start, focus.end); } catch (e) { /* not a text field */ }
      }
    }
  });

  document.addEventListener("htmx:afterSettle", function () {
    var region = live();
    if (!region) return;
    // Everyone hears where the meeting went, not only the person who moved it.
    var stage = region.getAttribute("data-stage");
    if (lastStage !== null && stage !== lastStage && window.alexAnnounce) {
      window.alexAnnounce(region.getAttribute("data-stage-label"));
    }
    lastStage = stage;
    startTimers();
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
    var region = live();
    if (region) lastStage = region.getAttribute("data-stage");
    startTimers();
  });
})();
