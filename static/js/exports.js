// Exports: the PDF download shows progress and a readable message when it fails.
// Without this file the link downloads the PDF directly (and a failure shows the error page).
(function () {
  "use strict";

  function setStatus(status, text, isError) {
    if (!status) return;
    status.textContent = text || "";
    status.classList.toggle("is-error", Boolean(isError));
  }

  function fileName(response, fallback) {
    var header = response.headers.get("Content-Disposition") || "";
    var utf = header.match(/filename\*=UTF-8''([^;]+)/i);
    if (utf) return decodeURIComponent(utf[1]);
    var plain = header.match(/filename="?([^";]+)"?/i);
    return plain ? plain[1] : fallback;
  }

  // Saving the choice swaps the form; keep the card list open if it was open, so focus stays put.
  var cardsWereOpen = false;
  document.addEventListener("htmx:beforeSwap", function (event) {
    var details = event.detail.target && event.detail.target.querySelector(".report-cards");
    cardsWereOpen = Boolean(details && details.open);
  });
  document.addEventListener("htmx:afterSettle", function () {
    var details = document.querySelector(".report-cards");
    if (details && cardsWereOpen) details.open = true;
    cardsWereOpen = false;
  });

  document.addEventListener("click", function (event) {
    var link = event.target.closest("[data-pdf-download]");
    if (!link || !window.fetch || !window.URL) return;
    event.preventDefault();
    if (link.getAttribute("aria-disabled") === "true") return;
    var indicator = document.querySelector(link.dataset.indicator);
    var status = document.querySelector(link.dataset.status);
    // The same class htmx sets on its indicators, so the spinner styles are shared.
    if (indicator) indicator.classList.add("htmx-request");
    link.setAttribute("aria-disabled", "true");
    link.setAttribute("aria-busy", "true");
    setStatus(status, link.dataset.workingText, false);
    fetch(link.href, { credentials: "same-origin" })
      .then(function (response) {
        var type = response.headers.get("Content-Type") || "";
        if (!response.ok || type.indexOf("application/pdf") !== 0) throw new Error("status " + response.status);
        return response.blob().then(function (blob) {
          var url = URL.createObjectURL(blob);
          var anchor = document.createElement("a");
          anchor.href = url;
          anchor.download = fileName(response, "Lernbericht.pdf");
          document.body.appendChild(anchor);
          anchor.click();
          anchor.remove();
          window.setTimeout(function () { URL.revokeObjectURL(url); }, 10000);
          setStatus(status, link.dataset.doneText, false);
        });
      })
      .catch(function () {
        setStatus(status, link.dataset.failedText, true);
      })
      .then(function () {
        if (indicator) indicator.classList.remove("htmx-request");
        link.removeAttribute("aria-disabled");
        link.removeAttribute("aria-busy");
      });
  });
})();
