// ALEx Web Push settings: subscribes this browser only when the person presses the button (the
// browser asks for permission then), never on page load; marks this device in the list; turning
// push off for this device also drops the browser's subscription.
(function () {
  "use strict";
  if (window.alexPushLoaded) return;
  window.alexPushLoaded = true;

  function supported() {
    return "serviceWorker" in navigator && "PushManager" in window && "Notification" in window;
  }

  function keyBytes(base64url) {
    var base64 = base64url.replace(/-/g, "+").replace(/_/g, "/");
    base64 += "===".slice((base64.length + 3) % 4);
    var raw = window.atob(base64);
    var bytes = new Uint8Array(raw.length);
    for (var i = 0; i < raw.length; i += 1) bytes[i] = raw.charCodeAt(i);
    return bytes;
  }

  function show(section, selector, visible) {
    var element = section.querySelector(selector);
    if (element) element.hidden = !visible;
  }

  function currentSubscription() {
    return navigator.serviceWorker.ready.then(function (registration) {
      return registration.pushManager.getSubscription();
    });
  }

  // Reading the existing subscription asks nothing of the person.
  function refresh() {
    var section = document.getElementById("push-settings");
    if (!section || !section.querySelector("[data-push-form]") || !supported()) return;
    show(section, "[data-push-subscribe]", true);
    show(section, "[data-push-unsupported]", false);
    currentSubscription().then(function (subscription) {
      if (!subscription) return;
      var listed = false;
      section.querySelectorAll("[data-push-endpoint]").forEach(function (item) {
        var mine = item.getAttribute("data-push-endpoint") === subscription.endpoint;
        var badge = item.querySelector("[data-push-this-device]");
        if (badge) badge.hidden = !mine;
        listed = listed || mine;
      });
      // This browser is on already: the offer to turn it on would only confuse.
      show(section, "[data-push-on]", listed);
      show(section, "[data-push-offer]", !listed);
      show(section, "[data-push-subscribe]", !listed);
    }).catch(function () { return null; });
  }

  function subscribe(button) {
    var section = document.getElementById("push-settings");
    var form = button.closest("form");
    show(section, "[data-push-denied]", false);
    show(section, "[data-push-failed]", false);
    button.disabled = true;
    Notification.requestPermission().then(function (permission) {
      if (permission !== "granted") {
        show(section, "[data-push-denied]", true);
        return null;
      }
      return navigator.serviceWorker.ready.then(function (registration) {
        return registration.pushManager.getSubscription().then(function (existing) {
          return existing || registration.pushManager.subscribe({
            userVisibleOnly: true,
            applicationServerKey: keyBytes(section.getAttribute("data-push-key")),
          });
        });
      }).then(function (subscription) {
        var json = subscription.toJSON();
        form.elements.endpoint.value = json.endpoint;
        form.elements.p256dh.value = json.keys.p256dh;
        form.elements.auth.value = json.keys.auth;
        form.requestSubmit();
      });
    }).catch(function () {
      show(section, "[data-push-failed]", true);
    }).finally(function () {
      button.disabled = false;
    });
  }

  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-push-subscribe]");
    if (button && supported()) subscribe(button);
  });

  document.addEventListener("submit", function (event) {
    var form = event.target.closest("[data-push-off]");
    if (!form || !supported()) return;
    var endpoint = form.getAttribute("data-push-off");
    currentSubscription().then(function (subscription) {
      if (subscription && subscription.endpoint === endpoint) return subscription.unsubscribe();
      return null;
    }).catch(function () { return null; });
  });

  document.addEventListener("htmx:afterSettle", refresh);
  refresh();
})();
