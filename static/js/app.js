// ALEx: small progressive enhancements. Everything works without this file.
(function () {
  "use strict";

  // Announce a message to screen readers through the shared live region.
  function announce(message) {
    var region = document.getElementById("announcer");
    if (!region || !message) return;
    region.textContent = "";
    window.setTimeout(function () { region.textContent = message; }, 50);
  }
  window.alexAnnounce = announce;

  // Errors the server sends for an HTMX request are shown where the user is looking.
  document.addEventListener("htmx:responseError", function (event) {
    var region = document.getElementById("error-region");
    if (!region) return;
    var xhr = event.detail.xhr;
    var holder = document.createElement("div");
    holder.innerHTML = xhr.responseText || "";
    var panel = holder.querySelector(".error-panel");
    region.replaceChildren(panel || document.createTextNode(region.dataset.fallback || "Error " + xhr.status));
    region.classList.add("is-visible");
    window.setTimeout(function () { region.classList.remove("is-visible"); }, 8000);
  });
  document.addEventListener("htmx:sendError", function () {
    var region = document.getElementById("error-region");
    if (!region) return;
    var p = document.createElement("p");
    p.className = "error-panel";
    p.textContent = document.documentElement.lang === "en"
      ? "No connection. Your change was not sent; please try again."
      : "Keine Verbindung. Deine Änderung wurde nicht gesendet – bitte versuche es noch einmal.";
    region.replaceChildren(p);
    region.classList.add("is-visible");
  });
  // A link to a form's place (the card's "Note it" → #learning) puts the cursor in its field.
  document.addEventListener("DOMContentLoaded", function () {
    var place = location.hash && document.getElementById(decodeURIComponent(location.hash.slice(1)));
    var input = place && (place.matches("textarea, input, select") ? place : place.querySelector("textarea, input:not([type=hidden]), select"));
    if (!input) return;
    input.focus({ preventScroll: true });
    // Its label in view too, below the sticky header (html's scroll-padding-top).
    var label = input.id && document.querySelector("label[for='" + input.id + "']");
    (label || input).scrollIntoView({ block: "start" });
  });
  // Back online: the "no connection" message is no longer true.
  window.addEventListener("online", function () {
    var region = document.getElementById("error-region");
    if (region) region.classList.remove("is-visible");
  });

  // Server-sent announcements: HX-Trigger {"announce": "…"}.
  document.addEventListener("announce", function (event) {
    announce(event.detail && (event.detail.value || event.detail.message));
  });

  document.addEventListener("click", function (event) {
    var copy = event.target.closest("[data-copy]");
    if (copy) {
      var input = document.querySelector(copy.getAttribute("data-copy"));
      if (input) {
        input.select();
        var done = function () {
          announce(copy.getAttribute("data-copied-text"));
          copy.textContent = copy.getAttribute("data-copied-text");
        };
        if (navigator.clipboard) navigator.clipboard.writeText(input.value).then(done, done);
        else { document.execCommand("copy"); done(); }
      }
    }
  });

  document.addEventListener("focusin", function (event) {
    if (event.target.matches && event.target.matches("[data-select-on-focus]")) event.target.select();
  });

  // Plain (non-HTMX) forms that ask for confirmation first.
  document.addEventListener("submit", function (event) {
    var form = event.target;
    var question = form.getAttribute && form.getAttribute("data-confirm");
    if (question && !window.confirm(question)) event.preventDefault();
  });
})();
