// ALEx service worker: precached static files, network-first pages kept per user, and a queue
// for card moves and Logbuch check-ins made without network. Rendered by alex/pwa/views.py.
"use strict";

const VERSION = {{ version|tojson }};
const STATIC_CACHE = "alex-static-" + VERSION;
const PAGE_CACHE_PREFIX = "alex-pages-";
const PRECACHE = {{ precache|tojson }};
const OFFLINE_URL = {{ offline_url|tojson }};
const QUEUEABLE = Object.entries({{ queueable|tojson }}).map(([kind, re]) => [kind, new RegExp(re)]);
const USER_HEADER = {{ user_header|tojson }};
// Offline copies older than this are not shown any more, and deleted.
const MAX_AGE_MS = {{ max_age_days|tojson }} * 24 * 3600 * 1000;
const SAVED_AT_HEADER = "X-Alex-Saved-At";
// On a weak network, a page seen before is shown after this long instead of a blank wait.
const NETWORK_TIMEOUT_MS = 6000;
const DB_NAME = "alex-offline";
const NOTIFICATION_ICON = {{ notification_icon|tojson }};
const PUSH_RENEW_URL = {{ push_renew_url|tojson }};

self.addEventListener("install", (event) => {
  event.waitUntil(
    // Static URLs are content-hashed: what the page just loaded is taken from the HTTP cache.
    caches.open(STATIC_CACHE)
      .then((cache) => cache.addAll(PRECACHE.map((url) =>
        new Request(url, { cache: url.includes("?v=") ? "force-cache" : "no-cache" }))))
      .then(() => self.skipWaiting())
  );
});

self.addEventListener("activate", (event) => {
  // A deploy changes VERSION: the old static cache goes, pages (unless too old) and queue stay.
  event.waitUntil(
    caches.keys()
      .then((keys) => Promise.all(keys
        .filter((key) => key.startsWith("alex-static-") && key !== STATIC_CACHE)
        .map((key) => caches.delete(key))))
      .then(dropExpiredPages)
      .then(() => self.clients.claim())
  );
});

self.addEventListener("fetch", (event) => {
  const request = event.request;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  if (request.method === "POST") {
    const kind = queueKind(url.pathname);
    if (kind) event.respondWith(sendOrQueue(request, kind));
    return;
  }
  if (request.method !== "GET") return;
  if (request.mode === "navigate") {
    event.respondWith(pageNetworkFirst(event));
  } else if (url.pathname.startsWith("/static/") && url.searchParams.has("v")) {
    event.respondWith(staticCacheFirst(request));
  }
});

self.addEventListener("sync", (event) => {
  if (event.tag === "alex-replay") event.waitUntil(replay());
});

self.addEventListener("message", (event) => {
  const data = event.data || {};
  const reply = (value) => event.ports[0] && event.ports[0].postMessage(value);
  let work;
  if (data.type === "replay") work = replay().then(() => reply({ ok: true }));
  else if (data.type === "list") work = listItems().then(reply);
  else if (data.type === "resolve") work = resolve(data).then(() => reply({ ok: true }));
  else if (data.type === "logout") work = forgetEverything().then(() => reply({ ok: true }));
  if (work) event.waitUntil(work);
});

// Web Push (alex/push): the payload is {title, body, url, tag, lang}, decrypted by the browser.
// What it says was chosen on the server: a neutral sentence unless the person chose to see more.
self.addEventListener("push", (event) => {
  let data = {};
  try {
    data = event.data ? event.data.json() : {};
  } catch (error) {
    data = {};
  }
  const options = {
    body: typeof data.body === "string" ? data.body : "",
    icon: NOTIFICATION_ICON,
    data: { url: localPath(data.url) },
  };
  if (data.tag) options.tag = String(data.tag);
  if (data.lang) options.lang = String(data.lang);
  const title = typeof data.title === "string" && data.title ? data.title : "ALEx";
  event.waitUntil(self.registration.showNotification(title, options));
});

// A click opens the message's page: an ALEx window already showing it is focused, else a window
// of ALEx is sent there, else a new one opens.
self.addEventListener("notificationclick", (event) => {
  event.notification.close();
  const target = new URL(localPath(event.notification.data && event.notification.data.url), self.location.origin);
  event.waitUntil((async () => {
    const windows = await self.clients.matchAll({ type: "window", includeUncontrolled: true });
    const same = windows.find((client) => client.url === target.href);
    if (same) return same.focus();
    const any = windows.find((client) => new URL(client.url).origin === target.origin && "navigate" in client);
    if (any) {
      try {
        const focused = await any.focus();
        const navigated = await (focused || any).navigate(target.href);
        if (navigated) return navigated;
      } catch (error) {
        // A window this worker does not control cannot be sent elsewhere: open a new one.
      }
    }
    return self.clients.openWindow(target.href);
  })());
});

// The browser replaced the push subscription (the push service changed its keys or address):
// subscribe again and tell the server, proving with the old subscription's secret which it was.
self.addEventListener("pushsubscriptionchange", (event) => {
  event.waitUntil(renewSubscription(event.oldSubscription, event.newSubscription).catch(() => null));
});

async function renewSubscription(old, renewed) {
  if (!PUSH_RENEW_URL || !old) return; // without the old one nothing proves which device it was
  const fresh = renewed || await self.registration.pushManager.subscribe(old.options);
  const before = old.toJSON();
  await fetch(PUSH_RENEW_URL, {
    method: "POST",
    credentials: "omit",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ old_endpoint: before.endpoint, old_auth: before.keys.auth, subscription: fresh.toJSON() }),
  });
}

// Only paths of this app are opened: a payload can never send the person elsewhere.
function localPath(url) {
  if (typeof url !== "string" || !url.startsWith("/") || url.startsWith("//") || url.includes("\\")) return "/";
  return url;
}

function queueKind(path) {
  const match = QUEUEABLE.find(([, re]) => re.test(path));
  return match ? match[0] : null;
}

// Static files carry a content hash in ?v=, so a cached copy is always right.
async function staticCacheFirst(request) {
  const cache = await caches.open(STATIC_CACHE);
  const cached = await cache.match(request);
  if (cached) return cached;
  const response = await fetch(request);
  if (response.ok) await cache.put(request, response.clone());
  return response;
}

// Pages: the network first; the last good copy of this user when the network fails or dawdles.
async function pageNetworkFirst(event) {
  const request = event.request;
  const network = fetch(request);
  let timer;
  const slow = new Promise((resolve) => { timer = setTimeout(resolve, NETWORK_TIMEOUT_MS); });
  try {
    const first = await Promise.race([network, slow]);
    if (first === undefined) {
      const cached = await cachedPage(request);
      if (cached) {
        event.waitUntil(network.then((r) => remember(request, r)).catch(() => null));
        return cached;
      }
    }
    const response = first || await network;
    event.waitUntil(remember(request, response.clone()));
    return response;
  } catch (error) {
    return (await cachedPage(request)) || (await caches.match(OFFLINE_URL)) || Response.error();
  } finally {
    clearTimeout(timer);
  }
}

// Keep a personal page under its user's key. A page for nobody means the session ended, here
// or elsewhere (logged out on all devices, expired, account deleted): nothing of it stays.
async function remember(request, response) {
  const type = response.headers.get("Content-Type") || "";
  if (!type.startsWith("text/html") || response.status !== 200) return;
  const user = response.headers.get(USER_HEADER);
  if (!user) {
    if (await getMeta("user")) await forgetEverything();
    return;
  }
  if ((await getMeta("user")) !== user) {
    await setMeta("user", user);
    await dropPagesExcept(user);
  }
  const cache = await caches.open(PAGE_CACHE_PREFIX + user);
  if (isNoStore(response)) {
    await cache.delete(request.url, { ignoreVary: true }); // e.g. an account page kept before it was marked no-store
    return;
  }
  if (!response.redirected) {
    const headers = new Headers(response.headers);
    headers.set(SAVED_AT_HEADER, String(Date.now()));
    await cache.put(request.url, new Response(await response.blob(), { status: 200, headers }));
  }
}

// Cache-Control: no-store (exports, account, two-factor set-up) is never kept, by anyone.
function isNoStore(response) {
  return /(^|,)\s*no-store\s*(,|$)/i.test(response.headers.get("Cache-Control") || "");
}

function savedAt(response) {
  return Number(response.headers.get(SAVED_AT_HEADER)) || Date.parse(response.headers.get("Date")) || 0;
}

async function dropExpiredPages() {
  const keys = await caches.keys();
  for (const key of keys.filter((name) => name.startsWith(PAGE_CACHE_PREFIX))) {
    const cache = await caches.open(key);
    for (const request of await cache.keys()) {
      const response = await cache.match(request);
      if (!response || Date.now() - savedAt(response) > MAX_AGE_MS) await cache.delete(request);
    }
  }
}

async function dropPagesExcept(user) {
  const keys = await caches.keys();
  await Promise.all(keys
    .filter((key) => key.startsWith(PAGE_CACHE_PREFIX) && key !== PAGE_CACHE_PREFIX + user)
    .map((key) => caches.delete(key)));
}

// The saved copy, marked so the page can say "offline – as of 14:32".
async function cachedPage(request) {
  const user = await getMeta("user");
  if (!user) return null;
  const cache = await caches.open(PAGE_CACHE_PREFIX + user);
  const cached = await cache.match(request.url, { ignoreVary: true });
  if (!cached) return null;
  const saved = savedAt(cached);
  if (Date.now() - saved > MAX_AGE_MS) {
    await cache.delete(request.url, { ignoreVary: true });
    return null;
  }
  const stamp = new Date(saved).toISOString();
  const html = (await cached.text()).replace("<html ", `<html data-offline-copy="${stamp}" `);
  return new Response(html, { status: 200, headers: cached.headers });
}

// A queueable write: sent at once when possible, otherwise kept in order for later.
async function sendOrQueue(request, kind) {
  const body = await request.clone().text();
  try {
    return await fetch(request);
  } catch (error) {
    const item = await enqueue({
      kind,
      url: new URL(request.url).pathname,
      body,
      csrf: request.headers.get("X-CSRFToken") || "",
      label: decodeURIComponent(request.headers.get("X-Alex-Label") || ""),
      page: request.referrer || "",
      user: await getMeta("user"),
      createdAt: Date.now(),
      state: "pending",
    });
    if (self.registration.sync) self.registration.sync.register("alex-replay").catch(() => null);
    await notify({ type: "queue-changed" });
    if (request.headers.get("HX-Request") === "true") {
      return new Response("", {
        status: 202,
        headers: {
          "HX-Reswap": "none",
          "HX-Trigger": JSON.stringify({ "alex-queued": { id: item.id, kind } }),
        },
      });
    }
    return Response.redirect(request.referrer || "/", 303);
  }
}

// Replays run one at a time, in the order they were made.
let replaying = null;
function replay() {
  if (!replaying) replaying = replayQueue().finally(() => { replaying = null; });
  return replaying;
}

async function replayQueue() {
  const user = await getMeta("user");
  const items = (await allItems()).filter((item) => item.state === "pending" && item.user === user);
  let sent = 0;
  for (const item of items) {
    let response;
    try {
      response = await fetch(item.url, {
        method: "POST",
        body: item.body,
        credentials: "same-origin",
        headers: {
          "Content-Type": "application/x-www-form-urlencoded",
          "X-CSRFToken": item.csrf,
          "HX-Request": "true",
        },
      });
    } catch (error) {
      break; // still no network: the rest waits, in order
    }
    if (response.status >= 500 || response.status === 429) break;
    const loggedOut = response.redirected && new URL(response.url).pathname === "/login";
    if (response.ok && !loggedOut) {
      await deleteItem(item.id);
      sent += 1;
      continue;
    }
    // A conflict or a refusal is kept and shown to the person: nothing is dropped silently.
    item.state = response.status === 409 ? "conflict" : "failed";
    item.status = loggedOut ? 401 : response.status;
    item.answer = (await response.text()).slice(0, 200000);
    // Only if still there: a page without a user may have emptied the queue meanwhile.
    await putIfPresent(item);
  }
  await notify({ type: "queue-changed", sent });
}

// The person's choice after a conflict: send theirs again against the fresh version, or drop it.
async function resolve({ id, choice, version, csrf }) {
  const item = await getItem(id);
  if (!item) return;
  if (choice === "discard") {
    await deleteItem(id);
  } else {
    const body = new URLSearchParams(item.body);
    if (version) body.set("version", version);
    if (csrf) {
      body.set("csrf_token", csrf);
      item.csrf = csrf;
    }
    Object.assign(item, { body: body.toString(), state: "pending", answer: "", status: 0 });
    await putItem(item);
    await replay();
  }
  await notify({ type: "queue-changed" });
}

async function listItems() {
  const user = await getMeta("user");
  return (await allItems()).filter((item) => item.user === user);
}

// Logout on a shared device: no page, no queued change of this person stays behind.
async function forgetEverything() {
  const keys = await caches.keys();
  await Promise.all(keys.filter((key) => key.startsWith(PAGE_CACHE_PREFIX)).map((key) => caches.delete(key)));
  await clearStore("queue");
  await setMeta("user", null);
}

async function notify(message) {
  const clients = await self.clients.matchAll({ includeUncontrolled: true, type: "window" });
  clients.forEach((client) => client.postMessage(message));
}

// IndexedDB, promise-wrapped: "queue" (auto-numbered, so in order) and "meta" (current user).
function openDb() {
  return new Promise((resolve, reject) => {
    const open = indexedDB.open(DB_NAME, 1);
    open.onupgradeneeded = () => {
      open.result.createObjectStore("queue", { keyPath: "id", autoIncrement: true });
      open.result.createObjectStore("meta");
    };
    open.onsuccess = () => resolve(open.result);
    open.onerror = () => reject(open.error);
  });
}

async function tx(store, mode, work) {
  const db = await openDb();
  return new Promise((resolve, reject) => {
    const transaction = db.transaction(store, mode);
    const request = work(transaction.objectStore(store));
    transaction.oncomplete = () => { db.close(); resolve(request && request.result); };
    transaction.onerror = () => { db.close(); reject(transaction.error); };
  });
}

const getMeta = (key) => tx("meta", "readonly", (s) => s.get(key)).then((v) => v || null);
const setMeta = (key, value) => tx("meta", "readwrite", (s) => s.put(value, key));
const allItems = () => tx("queue", "readonly", (s) => s.getAll());
const getItem = (id) => tx("queue", "readonly", (s) => s.get(id));
const putItem = (item) => tx("queue", "readwrite", (s) => s.put(item));
const putIfPresent = (item) => tx("queue", "readwrite", (s) => {
  const found = s.get(item.id);
  found.onsuccess = () => { if (found.result) s.put(item); };
  return null;
});
const deleteItem = (id) => tx("queue", "readwrite", (s) => s.delete(id));
const clearStore = (name) => tx(name, "readwrite", (s) => s.clear());

// A second offline move of the same card replaces the first (keeping the version it was made
// against), so replay does not trip over its own earlier move.
async function enqueue(item) {
  if (item.kind === "move") {
    const earlier = (await allItems()).find((other) =>
      other.kind === "move" && other.state === "pending" && other.url === item.url && other.user === item.user);
    if (earlier) {
      const body = new URLSearchParams(item.body);
      body.set("version", new URLSearchParams(earlier.body).get("version") || "");
      Object.assign(earlier, { body: body.toString(), createdAt: item.createdAt });
      await putItem(earlier);
      return earlier;
    }
  }
  const id = await putItem(item);
  return Object.assign(item, { id });
}
