// Live meetings: poll only while the tab is visible, keep what people type across live updates,
// count down locally from the server's deadline.
(function () {
  "use strict";

  function live() {
    return document.getElementById("meeting-live") || document.getElementById("presenter-live");
  }
  function isRegion(el) { return el && (el.id === "meeting-live" || el.id === "presenter-live"); }

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

  // A command's own answer (e.g. a retro phase change) swaps only its parts, out of band: the
  // region keeps its older version, so the next poll brings the rest. No answer older than
  // the command's may come back over it meanwhile.
  var floor = 0;
  var STAGE_ATTRIBUTES = ["data-stage", "data-stage-key", "data-stage-label"];
  function commandAnswer(html) {
    if (html.indexOf("data-command-answer") === -1) return null;
    var template = document.createElement("template");
    template.innerHTML = html;
    return template.content.querySelector("[data-command-answer]");
  }

  var carried = null;
  document.addEventListener("htmx:beforeSwap", function (event) {
    var region = live();
    if (!region || !isRegion(event.detail.target)) return;
    var html = event.detail.serverResponse || "";
    var shown = Math.max(parseInt(region.getAttribute("data-version"), 10) || 0, floor);
    var command = commandAnswer(html);
    if (command) {
      var version = parseInt(command.getAttribute("data-version"), 10);
      if (version < shown) { event.detail.shouldSwap = false; return; }
      floor = version;
      STAGE_ATTRIBUTES.forEach(function (name) { region.setAttribute(name, command.getAttribute(name) || ""); });
    } else {
      // A poll and a click can cross: never show an older state than the one on screen, and
      // swap into the region that is on the page now, not the one the request started from.
      var incoming = /data-version="(\d+)"/.exec(html);
      if (incoming && parseInt(incoming[1], 10) < shown) { event.detail.shouldSwap = false; return; }
    }
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

  // The parts a command's answer swaps out of band keep what was typed in them too.
  document.addEventListener("htmx:oobAfterSwap", function () {
    if (carried) restore(carried.drafts);
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
          if (t._wasRunning) signalEnd();
        }
        if (left > 0) t._wasRunning = true;
      });
    }
    tick();
    ticking = window.setInterval(tick, 1000);
  }

  // The end of a countdown: an optional tone (made here with WebAudio, nothing loaded from
  // anywhere) and a vibration on phones. Off unless the person switches it on, per device.
  var SOUND_KEY = "alex-timer-sound";
  var audio = null;
  function soundOn() {
    try { return window.localStorage.getItem(SOUND_KEY) === "1"; } catch (e) { return false; }
  }
  function showSoundState() {
    document.querySelectorAll("[data-timer-sound]").forEach(function (b) {
      b.setAttribute("aria-pressed", soundOn() ? "true" : "false");
      b.hidden = false;  // a control that needs this script: shown only when it runs
    });
  }
  function signalEnd() {
    if (!soundOn()) return;
    if (navigator.vibrate) navigator.vibrate([300, 150, 300]);
    if (!audio) return;
    [0, 0.35, 0.7].forEach(function (at) {
      var osc = audio.createOscillator();
      var gain = audio.createGain();
      osc.frequency.value = 880;
      gain.gain.setValueAtTime(0.0001, audio.currentTime + at);
      gain.gain.exponentialRampToValueAtTime(0.3, audio.currentTime + at + 0.02);
      gain.gain.exponentialRampToValueAtTime(0.0001, audio.currentTime + at + 0.25);
      osc.connect(gain).connect(audio.destination);
      osc.start(audio.currentTime + at);
      osc.stop(audio.currentTime + at + 0.3);
    });
  }

  // A command button of the moderation ignores a second click that comes within a moment of
  // the first one's answer: a double-click never runs two commands. Only after a step, phase or
  // finish command: those put the next such button under the pointer; a click on "here" does not.
  var lastMove = 0;
  var commandInFlight = false;
  document.addEventListener("htmx:beforeRequest", function (event) {
    var elt = event.detail.elt;
    if (!elt || !elt.closest || !elt.closest(".runsheet") || !event.detail.xhr) return;
    commandInFlight = true;
    var path = (event.detail.requestConfig && event.detail.requestConfig.path) ||
      (event.detail.pathInfo && event.detail.pathInfo.requestPath) || "";
    var moves = /\/(step|phase|finish)$/.test(path);
    // The form is swapped away with the answer, so its own events no longer reach the document.
    event.detail.xhr.addEventListener("loadend", function () {
      commandInFlight = false;
      if (moves) lastMove = Date.now();
    });
  });

  document.addEventListener("click", function (event) {
    if (event.target.closest("[data-print]")) window.print();
    var sound = event.target.closest("[data-timer-sound]");
    if (sound) {
      var on = !soundOn();
      try { window.localStorage.setItem(SOUND_KEY, on ? "1" : "0"); } catch (e) { /* private mode */ }
      if (on && !audio && (window.AudioContext || window.webkitAudioContext)) {
        audio = new (window.AudioContext || window.webkitAudioContext)();
      }
      showSoundState();
    }
    var command = event.target.closest(".runsheet button[type=submit]");
    if (command && (commandInFlight || Date.now() - lastMove < 250)) {
      event.preventDefault();
      event.stopPropagation();
    }
  }, true);
  document.addEventListener("htmx:afterSettle", showSoundState);

  // Grouping by dragging a note onto a similar one; it sends the note's own "Group with" form,
  // which stays there for keyboards and for pages without JavaScript.
  var dragged = null;
  document.addEventListener("dragstart", function (event) {
    var note = event.target.closest && event.target.closest("[data-note][draggable=true]");
    if (!note) return;
    dragged = { id: note.getAttribute("data-note"), whole: note.getAttribute("data-whole") === "1" };
    event.dataTransfer.effectAllowed = "move";
    event.dataTransfer.setData("text/plain", dragged.id);
    event.stopPropagation();
  });
  function dropTarget(event) {
    var target = event.target.closest && event.target.closest("[data-note]");
    if (!dragged || !target) return null;
    var group = target.closest(".note-group");
    var id = target.getAttribute("data-note");
    if (id === dragged.id) return null;
    return { el: target, id: id, group: group };
  }
  document.addEventListener("dragover", function (event) {
    var target = dropTarget(event);
    if (!target) return;
    event.preventDefault();
    document.querySelectorAll(".is-drop-target").forEach(function (el) { el.classList.remove("is-drop-target"); });
    target.el.classList.add("is-drop-target");
  });
  document.addEventListener("dragend", function () {
    dragged = null;
    document.querySelectorAll(".is-drop-target").forEach(function (el) { el.classList.remove("is-drop-target"); });
  });
  document.addEventListener("drop", function (event) {
    var target = dropTarget(event);
    if (!target) return;
    event.preventDefault();
    var form = document.getElementById("group-form-" + dragged.id);
    if (!form) return;
    var select = form.querySelector("select[name=other_id]");
    var option = document.createElement("option");
    option.value = target.id;
    select.appendChild(option);
    select.value = target.id;
    form.querySelector("input[name=whole]").value = dragged.whole ? "1" : "0";
    dragged = null;
    if (form.requestSubmit) form.requestSubmit(); else form.submit();
  });

  document.addEventListener("DOMContentLoaded", function () {
    var region = live();
    if (region) lastStage = region.getAttribute("data-stage");
    startTimers();
    showSoundState();
  });
})();
