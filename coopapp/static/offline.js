// Offline entry (issue 17): the accountant's entry form saves to this phone when the server does
// not answer; the queue (IndexedDB, keyed by the user who wrote it) is sent as drafts to
// POST /api/v1/entries, each with its own Idempotency-Key, on the `online` event and on every
// page load. Another user's session never sees or sends it. Without this script the pages work as
// before (nothing can be queued without it).
(function () {
  "use strict";
  var body = document.body;
  var user = body.getAttribute("data-user") || "";
  var formUrl = body.getAttribute("data-offline-form") || "";
  var listUrl = body.getAttribute("data-offline-list") || "/entries";
  var PAGES = "coop-pages";
  var CHOICES = "/offline/choices.json";
  var textNode = document.getElementById("offline-texts");
  var T = textNode ? textNode.dataset : {};
  var FIELDS = ["project_id", "period", "date", "kind", "amount", "quantity", "unit", "household_id", "note", "group"];

  function say(text, n) { return String(text || "").replace("%(n)s", n); }

  // ---- the queue: IndexedDB "coop-offline", store "queue" {key, user, body, state, message, fields}
  var dbPromise = null;
  function openDb() {
    if (!window.indexedDB) return Promise.reject(new Error("no IndexedDB"));
    if (!dbPromise) {
      dbPromise = new Promise(function (resolve, reject) {
        var req = indexedDB.open("coop-offline", 1);
        req.onupgradeneeded = function () {
          req.result.createObjectStore("queue", { keyPath: "key" }).createIndex("user", "user");
        };
        req.onsuccess = function () { resolve(req.result); };
        req.onerror = function () { reject(req.error); };
      });
    }
    return dbPromise;
  }
  function store(mode, work) {
    return openDb().then(function (db) {
      return new Promise(function (resolve, reject) {
        var tx = db.transaction("queue", mode);
        var result = work(tx.objectStore("queue"));
        tx.oncomplete = function () { resolve(result && "result" in result ? result.result : undefined); };
        tx.onerror = function () { reject(tx.error); };
      });
    });
  }
  function queued() {  // this user's items only, oldest first
    if (!user) return Promise.resolve([]);
    return store("readonly", function (s) { return s.index("user").getAll(user); }).then(function (items) {
      return (items || []).sort(function (a, b) { return a.saved_at - b.saved_at; });
    }, function () { return []; });
  }
  function keep(item) { return store("readwrite", function (s) { s.put(item); }); }
  function drop(key) { return store("readwrite", function (s) { s.delete(key); }); }
  function find(key) {
    return store("readonly", function (s) { return s.get(key); }).then(function (item) {
      return item && item.user === user ? item : null;
    });
  }

  // ---- the pages' copies belong to one user: forgotten on logout and when another user logs in
  function forgetPages() { return window.caches ? caches.delete(PAGES).catch(function () {}) : Promise.resolve(); }
  var ready = Promise.resolve();
  var last = null;
  try { last = localStorage.getItem("coop.user"); localStorage.setItem("coop.user", user); } catch (e) { /* private mode */ }
  if (last !== user) ready = forgetPages();

  function keepForOffline() {  // the form and the list are copied even if not visited yet
    if (!window.caches) return;
    caches.open(PAGES).then(function (cache) {
      [formUrl, listUrl, CHOICES].forEach(function (url) {
        cache.match(url).then(function (hit) {
          if (hit) return;
          return fetch(url, { credentials: "same-origin" }).then(function (response) {
            if (response.ok && !response.redirected) return cache.put(url, response);
          });
        }).catch(function () {});
      });
    });
  }
  if (user && formUrl && "serviceWorker" in navigator) {
    ready = ready.then(function () {
      return navigator.serviceWorker.register("/sw.js").then(keepForOffline);
    }).catch(function () {});
  }

  // ---- sending: one at a time, each with its key; a refusal stays as a draft to fix
  var csrfInput = document.querySelector("input[name=csrf_token]");
  var syncing = false;
  function send(item) {
    return fetch("/api/v1/entries", {
      method: "POST",
      credentials: "same-origin",
      headers: {
        "Content-Type": "application/json",
        "Idempotency-Key": item.key,
        "X-CSRFToken": csrfInput ? csrfInput.value : "",
        "X-Coop-User": user
      },
      body: JSON.stringify(item.body)
    }).then(function (response) {
      if (response.status === 201 || response.status === 200) return drop(item.key).then(function () { return "sent"; });
      if (response.status === 400 || response.status === 403 || response.status === 404 || response.status === 422) {
        return response.json().catch(function () { return {}; }).then(function (answer) {
          var error = answer.error || {};
          item.state = "refused";
          item.message = error.message || String(response.status);
          item.fields = error.fields || {};
          return keep(item).then(function () { return "refused"; });
        });
      }
      return "stop";  // 401 logged out, 409 another user or in flight, 5xx: try again later
    }, function () { return "stop"; });
  }
  function sync() {
    if (syncing || !user) return Promise.resolve();
    syncing = true;
    var sent = 0;
    return queued().then(function (items) {
      var pending = items.filter(function (item) { return item.state === "pending"; });
      var next = function (i) {
        if (i >= pending.length) return null;
        return send(pending[i]).then(function (outcome) {
          if (outcome === "sent") sent += 1;
          return outcome === "stop" ? null : next(i + 1);
        });
      };
      return next(0);
    }).then(function () {
      syncing = false;
      if (sent) notice(say(T.synced, sent), true);
      return render();
    }, function () { syncing = false; });
  }

  // ---- the queue on the ledger list (待同步 / 需修改)
  var notices = document.getElementById("offline-notice");
  function notice(text, reload) {
    if (!notices) return;
    notices.hidden = false;
    notices.textContent = text + " ";
    if (reload) {
      var link = document.createElement("a");
      link.href = listUrl;
      link.textContent = T.refresh;
      notices.appendChild(link);
    }
  }
  function cell(row, text, label) {
    var td = document.createElement("td");
    td.textContent = text == null ? "" : text;
    if (label) td.setAttribute("data-label", label);
    row.appendChild(td);
    return td;
  }
  function choices() {
    return fetch(CHOICES, { credentials: "same-origin" }).then(function (r) {
      return r.ok && !r.redirected ? r.json() : {};
    }).catch(function () { return {}; });
  }
  function render() {
    var section = document.getElementById("offline-queue");
    document.querySelectorAll("[data-offline-count]").forEach(function (node) { node.textContent = ""; });
    return queued().then(function (items) {
      unsent = items.length;
      document.querySelectorAll("[data-offline-count]").forEach(function (node) {
        node.textContent = items.length ? String(items.length) : "";
      });
      document.querySelectorAll("[data-offline-todo]").forEach(function (node) { node.hidden = !items.length; });
      if (!section) return;
      section.hidden = !items.length;
      if (!items.length) return;
      return choices().then(function (c) {
        var rows = section.querySelector("tbody");
        rows.textContent = "";
        items.forEach(function (item) {
          var b = item.body, row = document.createElement("tr");
          row.setAttribute("data-offline-key", item.key);
          var badge = document.createElement("span");
          badge.className = item.state === "refused" ? "badge badge-returned" : "badge badge-draft";
          badge.textContent = item.state === "refused" ? T.refused : T.pending;
          cell(row, "", T.status).appendChild(badge);
          cell(row, b.period, T.period);
          cell(row, ((c.kinds || {})[b.kind]) || b.kind, T.kind);
          cell(row, b.amount, T.amount).className = "num";
          cell(row, ((c.projects || {})[b.project_id]) || ("#" + b.project_id), T.project);
          cell(row, b.household_id ? ((c.households || {})[b.household_id] || ("#" + b.household_id)) : "", T.household);
          var what = cell(row, item.state === "refused" ? item.message + " " + Object.keys(item.fields || {}).map(function (k) {
            return item.fields[k];
          }).join(" ") : "", T.reason);
          if (item.state === "refused") {
            var fix = document.createElement("a");
            fix.href = formUrl + "#offline=" + encodeURIComponent(item.key);
            fix.textContent = T.fix;
            what.appendChild(document.createTextNode(" "));
            what.appendChild(fix);
          }
          var discard = document.createElement("button");
          discard.type = "button";
          discard.className = "link";
          discard.textContent = T.discard;
          discard.addEventListener("click", function () {
            if (window.confirm(T.discardConfirm)) drop(item.key).then(render);
          });
          what.appendChild(document.createTextNode(" "));
          what.appendChild(discard);
          rows.appendChild(row);
        });
      });
    });
  }

  // ---- the entry form: saved on the phone when the server does not answer
  function uuid() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    var b = crypto.getRandomValues(new Uint8Array(16));
    b[6] = (b[6] & 15) | 64; b[8] = (b[8] & 63) | 128;
    var h = Array.prototype.map.call(b, function (x) { return (x + 256).toString(16).slice(1); }).join("");
    return h.slice(0, 8) + "-" + h.slice(8, 12) + "-" + h.slice(12, 16) + "-" + h.slice(16, 20) + "-" + h.slice(20);
  }
  function bodyOf(get) {  // the API's body from the form's fields (get: name → typed value)
    var out = {};
    FIELDS.forEach(function (name) {
      var value = String(get(name) || "").trim();
      if (!value) return;
      out[name] = name === "project_id" || name === "household_id" ? parseInt(value, 10) : value;
    });
    return out;
  }
  function queueAndList(item) {
    return keep(item).then(function () { location.replace(listUrl + "#offline-saved"); });
  }
  function newItem(body) {
    return { key: uuid(), user: user, body: body, state: "pending", message: "", fields: {}, saved_at: Date.now() };
  }
  function fill(form, item) {
    FIELDS.forEach(function (name) {
      var field = form.elements[name];
      if (field) field.value = item.body[name] == null ? "" : item.body[name];
    });
    var box = document.getElementById("offline-notice");
    if (box && item.state === "refused") {
      box.hidden = false;
      box.textContent = T.fixThis + item.message;
    }
    Object.keys(item.fields || {}).forEach(function (name) {
      var field = form.elements[name];
      if (!field) return;
      var note = document.createElement("small");
      note.className = "error";
      note.textContent = item.fields[name];
      field.parentNode.appendChild(note);
    });
  }
  var form = document.querySelector("form[data-offline-entry]");
  if (form && user) {
    var editing = null;
    var match = /^#offline=(.+)$/.exec(location.hash);
    if (match) {
      find(decodeURIComponent(match[1])).then(function (item) {
        editing = item;
        if (item) fill(form, item);
      });
    }
    // Online, the form posts as it always did; with no network it goes to the queue. A post that
    // gets no answer comes back here from the service worker (#offline-unsent) and is queued.
    form.addEventListener("submit", function (event) {
      if (!editing && navigator.onLine !== false) return;
      event.preventDefault();
      var body = bodyOf(function (name) { return form.elements[name] ? form.elements[name].value : ""; });
      var item = editing || newItem(body);
      item.body = body;
      item.state = "pending";
      item.message = "";
      item.fields = {};
      queueAndList(item);
    });
    if (location.hash === "#offline-unsent" && window.caches) {
      caches.open(PAGES).then(function (cache) {
        return cache.match("/offline/unsent").then(function (hit) {
          if (!hit) return null;
          return hit.text().then(function (text) {
            var fields = new URLSearchParams(text);
            return cache.delete("/offline/unsent").then(function () {
              return queueAndList(newItem(bodyOf(function (name) { return fields.get(name); })));
            });
          });
        });
      });
    }
  }

  // ---- logout: warn about unsent drafts, then forget this user's copies of pages and choices
  var unsent = 0;  // counted by render() on every page load
  document.querySelectorAll("form[data-logout]").forEach(function (logout) {
    logout.addEventListener("submit", function (event) {
      if (unsent && !window.confirm(say(T.logout, unsent))) {
        event.preventDefault();
        return;
      }
      forgetPages();  // (the login page forgets them too: no user there)
    });
  });

  ready.then(function () {
    if (location.hash === "#offline-saved") notice(T.saved, false);
    return render();
  }).then(sync);
  window.addEventListener("online", sync);
}());
