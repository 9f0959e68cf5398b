// Board: column tabs on phones, the shared "Move to…" sheet, drag and drop (SortableJS).
// Everything also works without this file: tabs are anchors, "Move to…" is a page, "→" a form.
(function () {
  "use strict";

  var board = function () { return document.getElementById("board"); };
  var pendingFocus = null;
  // A card's <li> is id="card-<id>"; its id is not repeated in a data attribute (bytes × cards).
  var cardId = function (card) { return card.id.slice("card-".length); };
  var sortableSrc = document.currentScript && document.currentScript.dataset.sortableSrc;
  var current = null; // the column the person chose; a swapped board arrives showing "sprint"
  var COLUMNS = ["ideas", "sprint", "doing", "learning", "done"];

  // Phones show one column at a time; the tab choice survives swaps of the board.
  function activate(column, focus) {
    var el = board();
    if (!el) return;
    el.dataset.active = current = column;
    try { sessionStorage.setItem("alex-board-column", column); } catch (e) { /* private mode */ }
    el.querySelectorAll(".board-tabs a").forEach(function (a) {
      if (a.dataset.column === column) a.setAttribute("aria-current", "true");
      else a.removeAttribute("aria-current");
    });
    if (focus) {
      var heading = document.getElementById("column-" + column + "-h");
      if (heading) { heading.setAttribute("tabindex", "-1"); heading.focus(); }
    }
  }

  function setUp() {
    var el = board();
    if (!el) return;
    el.classList.add("is-tabbed");
    var saved = null;
    try { saved = sessionStorage.getItem("alex-board-column"); } catch (e) { /* ignore */ }
    activate(current || saved || el.dataset.active || "sprint", false);
  }

  document.addEventListener("click", function (event) {
    var tab = event.target.closest(".board-tabs a[data-column]");
    if (tab) {
      event.preventDefault();
      activate(tab.dataset.column, true);
      return;
    }
    var next = event.target.closest(".card-next");
    if (next) {
      var card = next.closest(".card");
      var list = card.parentElement;
      var target = COLUMNS[COLUMNS.indexOf(list.dataset.column) + 1];
      if (window.htmx && target) {
        event.preventDefault();
        var moveLink = card.querySelector(".card-move");
        if (target === "learning" && window.HTMLDialogElement) {
          // Into "Lernen" the question comes first: the sheet, set to Lernen, asks it.
          openSheet(moveLink, target);
          return;
        }
        // The same request as the sheet and drag and drop (a card's move URL), so offline it
        // waits in the same queue; without JavaScript the button posts the shared advance form.
        pendingFocus = { mode: "advance", column: list.dataset.column, index: Array.prototype.indexOf.call(list.children, card), card: cardId(card), from: list.dataset.column, to: target };
        var form = document.getElementById("advance-form");
        window.htmx.ajax("POST", moveLink.getAttribute("href"), {
          source: card,
          values: { column: target, version: card.dataset.version, csrf_token: form.elements.csrf_token.value },
          target: "#board",
          swap: "outerHTML"
        });
      }
      return;
    }
    var moveLink = event.target.closest(".card-move");
    if (moveLink && window.HTMLDialogElement) {
      event.preventDefault();
      openSheet(moveLink);
      return;
    }
    if (event.target.closest("[data-close-sheet]")) {
      document.getElementById("move-sheet").close();
    }
  });

  function openSheet(link, preset) {
    var sheet = document.getElementById("move-sheet");
    var form = document.getElementById("move-sheet-form");
    var card = link.closest(".card");
    var column = preset || card.parentElement.dataset.column;
    form.action = link.getAttribute("href");
    form.dataset.card = cardId(card);
    form.dataset.from = card.parentElement.dataset.column;
    form.dataset.index = Array.prototype.indexOf.call(card.parentElement.children, card);
    form.elements.version.value = card.dataset.version;
    form.elements.place.value = "";
    form.elements.learning.value = "";
    document.getElementById("move-sheet-card").textContent = card.querySelector(".card-title").textContent;
    form.querySelectorAll("input[name=column]").forEach(function (radio) { radio.checked = radio.value === column; });
    toggleLearning(form);
    sheet.showModal();
    var checked = form.querySelector("input[name=column]:checked");
    if (preset === "learning") form.elements.learning.focus();
    else if (checked) checked.focus();
  }

  function toggleLearning(form) {
    var chosen = form.querySelector("input[name=column]:checked");
    var field = form.querySelector("[data-learning-field]");
    if (field) field.hidden = !(chosen && chosen.value === "learning");
  }

  document.addEventListener("change", function (event) {
    if (event.target.matches("#move-sheet-form input[name=column]")) toggleLearning(event.target.form);
  });

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (form.id !== "move-sheet-form" || !window.htmx) return;
    event.preventDefault();
    var values = {};
    new FormData(form).forEach(function (value, key) { values[key] = value; });
    pendingFocus = { mode: "sheet", card: form.dataset.card, column: values.column, from: form.dataset.from, index: Number(form.dataset.index) };
    document.getElementById("move-sheet").close();
    window.htmx.ajax("POST", form.action, { values: values, target: "#board", swap: "outerHTML" });
  });

  // Drag and drop, and long-press drag on touch screens.
  function makeSortable(root) {
    if (!window.Sortable || !root.querySelectorAll) return;
    var lists = root.matches && root.matches(".card-list") ? [root] : root.querySelectorAll(".card-list");
    lists.forEach(function (list) {
      if (list.closest(".board-readonly") || list.dataset.sortable) return;
      list.dataset.sortable = "1";
      window.Sortable.create(list, {
        group: "board",
        animation: window.matchMedia("(prefers-reduced-motion: reduce)").matches ? 0 : 150,
        delay: 300,
        delayOnTouchOnly: true,
        emptyInsertThreshold: 40,
        ghostClass: "card-ghost",
        onEnd: function (evt) {
          if (evt.from === evt.to && evt.oldIndex === evt.newIndex) return;
          var item = evt.item;
          pendingFocus = { mode: "sheet", card: cardId(item), column: evt.to.dataset.column, drag: true };
          window.htmx.ajax("POST", item.querySelector(".card-move").getAttribute("href"), {
            values: { column: evt.to.dataset.column, position: evt.newIndex, version: item.dataset.version },
            target: "#board",
            swap: "outerHTML"
          });
        }
      });
    });
  }

  // After a move by "→" or the sheet: say where the card went, with a way back (undo).
  function confirmMove(wanted) {
    var region = document.getElementById("board-undo");
    var card = document.getElementById("card-" + wanted.card);
    var to = wanted.to || wanted.column;
    if (!region || !card || !wanted.from || wanted.from === to) return;
    if (card.parentElement.dataset.column !== to) return;  // refused or outdated: the board says why
    var labels = JSON.parse(region.dataset.columns || "{}");
    var title = card.querySelector(".card-title").textContent;
    var text = document.createElement("p");
    var fill = function (template, column) {
      return template.replace("%(title)s", title).replace("%(column)s", labels[column] || column);
    };
    if (wanted.undone) {
      text.textContent = fill(region.dataset.back, to);
      region.replaceChildren(text);
      return;
    }
    text.textContent = fill(region.dataset.moved, to);
    var undo = document.createElement("button");
    undo.type = "button";
    undo.className = "button";
    undo.textContent = region.dataset.undo;
    undo.addEventListener("click", function () {
      var current = document.getElementById("card-" + wanted.card);
      if (!current) return;
      region.replaceChildren();
      pendingFocus = { mode: "sheet", card: wanted.card, column: wanted.from, from: to, undone: true };
      window.htmx.ajax("POST", current.querySelector(".card-move").getAttribute("href"), {
        source: current,
        values: { column: wanted.from, position: wanted.index, version: current.dataset.version,
                  csrf_token: document.getElementById("advance-form").elements.csrf_token.value },
        target: "#board",
        swap: "outerHTML"
      });
    });
    region.replaceChildren(text, undo);
  }

  function restoreFocus() {
    if (!pendingFocus) return;
    var wanted = pendingFocus;
    pendingFocus = null;
    confirmMove(wanted);
    if (wanted.mode === "sheet") {
      if (!wanted.drag) activate(wanted.column, false);
      var title = document.querySelector("#card-" + wanted.card + " .card-move");
      if (title) title.focus();
    } else if (wanted.mode === "advance") {
      var list = document.querySelector(".card-list[data-column=" + wanted.column + "]");
      var target = list && (list.children[wanted.index] || list.children[wanted.index - 1]);
      var button = target && target.querySelector(".card-next, .card-move");
      if (button) button.focus();
      else activate(wanted.column, true);
    }
  }

  // SortableJS is fetched when a pointer first enters the board (a mouse hovers before it drags;
  // a finger's first touch loads it for the long-press that follows). Keyboards need none of it.
  var sortableRequested = false;
  function loadSortable() {
    if (sortableRequested || !sortableSrc || !board()) return;
    sortableRequested = true;
    var script = document.createElement("script");
    script.src = sortableSrc;
    script.onload = function () { makeSortable(document); };
    document.head.appendChild(script);
  }
  document.addEventListener("pointerover", function (event) {
    if (event.target.closest && event.target.closest("#board")) loadSortable();
  }, { passive: true });
  document.addEventListener("touchstart", loadSortable, { passive: true });

  document.addEventListener("DOMContentLoaded", function () {
    setUp();
    if (window.htmx) {
      window.htmx.onLoad(function (el) { makeSortable(el); });
    } else {
      makeSortable(document);
    }
  });
  // Offline, a new card waits in the queue (the service worker answers 202): clear the field.
  document.addEventListener("alex-queued", function (event) {
    pendingFocus = null;  // the move waits for the network: the pending badge says so
    var form = event.target && event.target.closest && event.target.closest("#new-card");
    if (form) { form.elements.title.value = ""; form.elements.title.focus(); }
  });
  // After adding a card: show its column and keep typing the next one.
  var addedTo = null;
  document.addEventListener("htmx:beforeRequest", function (event) {
    var form = event.detail.elt;
    if (form && form.id === "new-card" && form.elements.column) addedTo = form.elements.column.value;
  });
  document.addEventListener("htmx:afterSettle", function (event) {
    if (addedTo && event.detail.target && event.detail.target.id === "new-card") {
      var input = document.querySelector("#new-card input[name=title]");
      if (!input.getAttribute("aria-invalid")) activate(addedTo, false);
      input.focus();
      addedTo = null;
    }
  });

  document.addEventListener("htmx:afterSettle", function (event) {
    if (event.detail.target && event.detail.target.id === "board") setUp();
    var el = board();
    if (el) activate(current || el.dataset.active || "sprint", false);
    restoreFocus();
  });
})();
