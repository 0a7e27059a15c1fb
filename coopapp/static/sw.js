// 合作社经济台账's service worker (served at /sw.js, scope "/"): keeps the app shell and the
// accountant's ledger list, entry form and the form's choices, so the form opens with no signal.
// Pages: the network first (the cached copy when it fails or is slow); the shell: the cached copy,
// refreshed behind. The pages' copies belong to one user: offline.js deletes the "coop-pages"
// cache on logout and when another user logs in. Nothing is queued or synced here (offline.js
// does that from the page: Background Sync is missing on iOS and in WeChat).
"use strict";

var SHELL = "coop-shell-v2";
var PAGES = "coop-pages";
var OFFLINE_PAGES = ["/entries", "/entries/new", "/offline/choices.json"];
var SHELL_FILES = [
  "/static/app.css", "/static/offline.js", "/static/spending.js", "/static/icon-192.png", "/manifest.webmanifest"
];
var PATIENCE_MS = 6000; // a weak signal: after this, the cached page rather than a blank screen

self.addEventListener("install", function (event) {
  event.waitUntil(
    caches.open(SHELL).then(function (cache) {
      return cache.addAll(SHELL_FILES);
    }).then(function () {
      return self.skipWaiting();
    })
  );
});

self.addEventListener("activate", function (event) {
  event.waitUntil(
    caches.keys().then(function (names) {
      return Promise.all(names.filter(function (name) {
        return name.indexOf("coop-shell-") === 0 && name !== SHELL;
      }).map(function (name) {
        return caches.delete(name);
      }));
    }).then(function () {
      return self.clients.claim();
    })
  );
});

self.addEventListener("fetch", function (event) {
  var request = event.request;
  var url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  if (request.method === "POST" && url.pathname === "/entries/new" && request.mode === "navigate") {
    event.respondWith(keptIfUnsent(request));
    return;
  }
  if (request.method !== "GET") return; // other writes go to the network as they are
  if (OFFLINE_PAGES.indexOf(url.pathname) >= 0) {
    event.respondWith(networkFirst(request, url));
  } else if (url.pathname.indexOf("/static/") === 0 || url.pathname === "/manifest.webmanifest") {
    event.respondWith(cachedThenRefreshed(request));
  }
});

function patiently(promise) {
  return new Promise(function (resolve, reject) {
    var timer = setTimeout(function () { reject(new Error("slow")); }, PATIENCE_MS);
    promise.then(function (value) { clearTimeout(timer); resolve(value); }, function (error) {
      clearTimeout(timer);
      reject(error);
    });
  });
}

function networkFirst(request, url) {
  return patiently(fetch(request)).then(function (response) {
    // Only a page the user really got (not a redirect to the login page, not an error) is kept.
    if (response.ok && !response.redirected && response.type === "basic" && url.search === "") {
      var copy = response.clone();
      caches.open(PAGES).then(function (cache) { return cache.put(url.pathname, copy); });
    }
    return response;
  }).catch(function () {
    return caches.open(PAGES).then(function (cache) {
      return cache.match(url.pathname);
    }).then(function (hit) {
      return hit || Response.error(); // the browser's own "no connection" page
    });
  });
}

// The new-entry form posted with no answer from the server: its body (fields, and the photos of a
// multipart post) is kept in the pages' cache with its Content-Type and the form reopened, where
// offline.js moves it to the queue (nothing typed or photographed is lost).
function keptIfUnsent(request) {
  var type = request.headers.get("Content-Type") || "application/x-www-form-urlencoded";
  return request.clone().blob().then(function (body) {
    return fetch(request).catch(function () {
      return caches.open(PAGES).then(function (cache) {
        return cache.put("/offline/unsent", new Response(body, { headers: { "Content-Type": type } }));
      }).then(function () {
        return Response.redirect("/entries/new#offline-unsent", 303);
      });
    });
  });
}

function cachedThenRefreshed(request) {
  return caches.open(SHELL).then(function (cache) {
    return cache.match(request).then(function (hit) {
      var fresh = fetch(request).then(function (response) {
        if (response.ok) cache.put(request, response.clone());
        return response;
      });
      if (!hit) return fresh;
      fresh.catch(function () {});
      return hit;
    });
  });
}
