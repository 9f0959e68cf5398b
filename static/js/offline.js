// ALEx offline support: registers the service worker, says when a page is an offline copy, shows
// changes waiting for the network (on the card too), replays them, and asks on conflicts.
(function () {
  "use strict";
  if (!("serviceWorker" in navigator)) return;

  var textsNode = document.getElementById("offline-texts");
  var T = textsNode ? JSON.parse(textsNode.textContent) : {};
  var statusRegion = document.getElementById("offline-status");
  var dialog = document.getElementById("offline-conflict");
  var offlineCopy = document.documentElement.getAttribute("data-offline-copy");
  var items = [];
  var shownConflict = null;

  function fill(text, values) {
    return String(text || "").replace(/%\((\w+)\)s/g, function (_, key) { return values[key]; });
  }

  function icon(name) {
    var sprite = document.querySelector("use[href*='sprite.svg']");
    var svg = document.createElementNS("http://www.w3.org/2000/svg", "svg");
    svg.setAttribute("class", "icon");
    svg.setAttribute("aria-hidden", "true");
    var use = document.createElementNS("http://www.w3.org/2000/svg", "use");
    use.setAttribute("href", (sprite ? sprite.getAttribute("href").split("#")[0] : "") + "#" + name);
    svg.appendChild(use);
    return svg;
  }

  // "14:32" for a copy from today; with the day for an older one (copies live up to 14 days).
  function timeOf(value) {
    var saved = new Date(value);
    var lang = document.documentElement.lang;
    var time = saved.toLocaleTimeString(lang, { hour: "2-digit", minute: "2-digit" });
    if (saved.toDateString() === new Date().toDateString()) return time;
    return saved.toLocaleDateString(lang, { day: "numeric", month: "long" }) + ", " + time;
  }

  // Ask the service worker something and wait for its answer.
  function ask(message) {
    return navigator.serviceWorker.ready.then(function (registration) {
      return new Promise(function (resolve) {
        var channel = new MessageChannel();
        channel.port1.onmessage = function (event) { resolve(event.data); };
        (navigator.serviceWorker.controller || registration.active).postMessage(message, [channel.port2]);
      });
    });
  }

  function cardIdOf(item) {
    var match = /\/cards\/(\d+)\/move$/.exec(item.url);
    return match ? match[1] : null;
  }

  function fields(item) {
    return new URLSearchParams(item.body || "");
  }

  function cardTitle(root, id) {
    var card = root.getElementById ? root.getElementById("card-" + id) : root.querySelector("#card-" + id);
    if (!card) return null;
    var heading = card.querySelector("[data-card-title], .card-title, h2, h3, h4");
    return (heading || card).textContent.trim().replace(/\s+/g, " ").slice(0, 80);
  }

  function columnLabel(key) {
    return (T.columns && T.columns[key]) || key || "?";
  }

  function describe(item) {
    if (item.kind === "card") return fill(T.new_card, { title: fields(item).get("title") || T.card });
    if (item.kind === "move") {
      var title = item.label || cardTitle(document, cardIdOf(item)) || T.card;
      return fill(T.move_to, { title: title, column: columnLabel(fields(item).get("column")) });
    }
    var text = [];
    fields(item).forEach(function (value, key) {
      if (value && !/^(csrf_token|version|position|next)$/.test(key) && value !== "y") text.push(value);
    });
    return fill(T.checkin, { time: timeOf(item.createdAt) }) + (text.length ? ": " + text.join(" · ").slice(0, 200) : "");
  }

  // The banner: offline copy or offline now, and how many changes wait.
  var note = null; // the latest news ("back online", "2 changes saved"); stays until replaced
  function renderStatus(extra) {
    if (!statusRegion) return;
    if (extra) note = extra;
    extra = note;
    var lines = [];
    if (offlineCopy) lines.push(fill(T.offline_copy, { time: timeOf(offlineCopy) }));
    else if (!navigator.onLine) lines.push(T.offline_now);
    var pending = items.filter(function (item) { return item.state === "pending"; }).length;
    if (pending) lines.push(pending === 1 ? T.pending_one : fill(T.pending_many, { count: pending }));
    if (extra) lines.push(extra);
    if (!lines.length) {
      statusRegion.replaceChildren();
      return;
    }
    var box = document.createElement("div");
    box.className = "offline-banner";
    box.appendChild(icon(offlineCopy || !navigator.onLine ? "offline" : "info"));
    var body = document.createElement("div");
    lines.forEach(function (line) {
      var p = document.createElement("p");
      p.textContent = line;
      body.appendChild(p);
    });
    var waiting = items.filter(function (item) { return item.state === "pending"; });
    if (waiting.length) {
      var list = document.createElement("ul");
      list.className = "pending-list";
      waiting.forEach(function (item) {
        var li = document.createElement("li");
        li.textContent = describe(item);
        list.appendChild(li);
      });
      body.appendChild(list);
    }
    if (offlineCopy && navigator.onLine) {
      var again = document.createElement("a");
      again.href = location.href;
      again.className = "button";
      again.textContent = T.reload;
      body.appendChild(again);
    }
    box.appendChild(body);
    statusRegion.replaceChildren(box);
  }

  // The card shows that its move is still on its way.
  function markCards() {
    document.querySelectorAll("[data-offline-pending]").forEach(function (node) {
      node.removeAttribute("data-offline-pending");
      var badge = node.querySelector(".pending-badge");
      if (badge) badge.remove();
    });
    items.forEach(function (item) {
      var id = cardIdOf(item);
      var card = id && document.getElementById("card-" + id);
      if (!card || item.state !== "pending") return;
      card.setAttribute("data-offline-pending", "");
      var badge = document.createElement("span");
      badge.className = "pending-badge";
      badge.appendChild(icon("clock"));
      var label = document.createElement("span");
      label.textContent = T.pending_badge + " → " + columnLabel(fields(item).get("column"));
      badge.appendChild(label);
      card.appendChild(badge);
    });
  }

  function showConflict() {
    var item = items.find(function (i) { return i.state === "conflict" || i.state === "failed"; });
    if (!dialog || !item || dialog.open) return;
    shownConflict = item;
    var isMove = item.state === "conflict";
    var mine = describe(item);
    var theirs = T.unknown;
    if (isMove) {
      var fresh = new DOMParser().parseFromString(item.answer || "", "text/html");
      var id = cardIdOf(item);
      var card = fresh.getElementById("card-" + id);
      if (!card) theirs = T.gone;
      else {
        var column = card.closest("[data-column]");
        theirs = fill(T.now_in, {
          title: cardTitle(fresh, id) || T.card,
          column: columnLabel(column && column.getAttribute("data-column")),
        });
        var versionField = card.querySelector("[name=version]");
        item.freshVersion = card.getAttribute("data-version") || (versionField && versionField.value);
      }
    } else {
      theirs = item.status === 401 ? T.failed_login : (item.answer ? textOf(item.answer) : T.unknown);
    }
    dialog.querySelector("[data-conflict-title]").textContent = isMove ? T.conflict_title : T.failed_title;
    dialog.querySelector("[data-conflict-intro]").textContent = isMove ? T.conflict_intro : fill(T.failed_intro, { status: item.status });
    dialog.querySelector("[data-conflict-mine]").textContent = mine;
    dialog.querySelector("[data-conflict-theirs]").textContent = theirs;
    dialog.querySelector("[data-conflict-choice=resend]").textContent = isMove ? T.resend_move : T.resend;
    dialog.querySelector("[data-conflict-choice=discard]").textContent = isMove ? T.discard_move : T.discard;
    dialog.showModal();
  }

  function textOf(html) {
    var doc = new DOMParser().parseFromString(html, "text/html");
    var node = doc.querySelector(".error, .error-panel p, .form-summary, main p") || doc.body;
    return (node ? node.textContent : "").trim().replace(/\s+/g, " ").slice(0, 300);
  }

  function currentToken() {
    try { return JSON.parse(document.body.getAttribute("data-hx-headers") || document.body.getAttribute("hx-headers") || "{}")["X-CSRFToken"] || ""; }
    catch (e) { return ""; }
  }

  if (dialog) {
    dialog.addEventListener("click", function (event) {
      var button = event.target.closest("[data-conflict-choice]");
      if (!button || !shownConflict) return;
      var item = shownConflict;
      var choice = button.getAttribute("data-conflict-choice");
      shownConflict = null;
      dialog.close();
      ask({ type: "resolve", id: item.id, choice: choice, version: item.freshVersion, csrf: currentToken() })
        .then(function () { if (choice === "discard") location.reload(); });
    });
    // Closing with Escape decides nothing: the change stays and the question comes back.
    dialog.addEventListener("cancel", function () { shownConflict = null; });
  }

  var sentSoFar = 0;
  function refresh(message) {
    return ask({ type: "list" }).then(function (list) {
      items = list || [];
      var extra = null;
      if (message && message.sent) {
        sentSoFar += message.sent;
        extra = sentSoFar === 1 ? T.sent_one : fill(T.sent_many, { count: sentSoFar });
        if (window.alexAnnounce) window.alexAnnounce(extra);
      }
      renderStatus(extra);
      markCards();
      showConflict();
      var settled = !items.some(function (i) { return i.state === "pending"; });
      if (message && message.sent && !message.restored && settled) showLatest();
      scheduleRetry(settled);
    });
  }

  // After replays, show the server's state unless the person is in the middle of typing.
  function showLatest() {
    var active = document.activeElement;
    if (active && /^(INPUT|TEXTAREA|SELECT)$/.test(active.tagName)) return;
    // The "saved" message outlives the reload that brings the server's state.
    try { sessionStorage.setItem("alex-sent", String(sentSoFar)); } catch (e) { /* private mode */ }
    location.reload();
  }

  // "online" often fires before requests get through: try again, less and less often.
  var retryDelay = 2000;
  var retryTimer = null;
  function scheduleRetry(settled) {
    window.clearTimeout(retryTimer);
    if (settled || !navigator.onLine) {
      retryDelay = 2000;
      return;
    }
    retryTimer = window.setTimeout(replay, retryDelay);
    retryDelay = Math.min(retryDelay * 2, 60000);
  }

  function replay() {
    if (navigator.onLine) ask({ type: "replay" });
  }

  navigator.serviceWorker.addEventListener("message", function (event) {
    if (event.data && event.data.type === "queue-changed") refresh(event.data);
  });

  // Moves say which card they are about, so the waiting list and the dialog can name it.
  document.addEventListener("htmx:configRequest", function (event) {
    var match = /\/cards\/(\d+)\/move$/.exec(event.detail.path || "");
    if (!match) return;
    var title = cardTitle(document, match[1]);
    if (title) event.detail.headers["X-Alex-Label"] = encodeURIComponent(title);
  });
  document.addEventListener("htmx:afterSettle", markCards);

  window.addEventListener("online", function () {
    renderStatus(T.back_online);
    replay();
  });
  window.addEventListener("offline", function () {
    note = null;
    renderStatus();
  });

  // Logout on a shared device: empty this person's pages and queue first (the server also sends
  // Clear-Site-Data), after a warning when changes have not reached the server yet.
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.hasAttribute || !form.hasAttribute("data-logout") || form.dataset.cleared) return;
    event.preventDefault();
    var waiting = items.filter(function (i) { return i.state !== "sent"; }).length;
    var question = waiting === 1 ? T.unsent_logout_one : fill(T.unsent_logout, { count: waiting });
    if (waiting && !window.confirm(question)) return;
    var done = function () { form.dataset.cleared = "1"; form.submit(); };
    if (!navigator.serviceWorker.controller) return done();
    Promise.race([ask({ type: "logout" }), new Promise(function (r) { setTimeout(r, 1500); })]).then(done, done);
  }, true);

  document.addEventListener("click", function (event) {
    if (event.target.closest("[data-reload]")) location.reload();
  });

  var sentBefore = 0;
  try {
    sentBefore = Number(sessionStorage.getItem("alex-sent") || 0);
    sessionStorage.removeItem("alex-sent");
  } catch (e) { /* private mode */ }

  navigator.serviceWorker.register("/sw.js", { scope: "/" }).then(function () {
    return refresh(sentBefore ? { sent: sentBefore, restored: true } : null);
  }).then(replay).catch(function () { /* no service worker: the app works online as before */ });
  renderStatus();
})();
