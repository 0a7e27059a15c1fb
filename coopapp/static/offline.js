// Offline entry (issue 17): the accountant's entry form saves to this phone when the server does
// not answer; the queue (IndexedDB, keyed by the user who wrote it) is sent as drafts to
// POST /api/v1/entries, each with its own Idempotency-Key, on the `online` event and on every
// page load. Another user's session never sees or sends it. Without this script the pages work as
// before (nothing can be queued without it).
// Photos of the receipt (issue 18) wait with their entry, as bytes (a photo larger than PHOTO_SIDE
// px is first made a smaller JPEG); once the entry is a draft they go one by one to
// POST /api/v1/entries/ID/vouchers. One the server refuses (not an image, too large) stays shown
// with its reason, and is not sent again.
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
  var FIELDS = [
    "project_id", "period", "date", "kind", "amount", "quantity", "unit", "household_id", "note", "group",
    "category", "payment_method", "payee"
  ];
  var PHOTO_SIDE = 2000, SHRINK_ABOVE = 1500000;  // px; bytes (a photo smaller than both is kept as taken)

  function say(text, n) { return String(text || "").replace("%(n)s", n); }

  // ---- the queue: IndexedDB "coop-offline", store "queue" {key, user, body, state, message, fields,
  // photos: [{name, type, data (ArrayBuffer), state, message, tried}], entry_id}; state: "pending",
  // "refused" (the entry: to fix), "photos" (the entry is a draft, photos still to send)
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
      if (response.status === 201 || response.status === 200) {
        if (!(item.photos || []).length) return drop(item.key).then(function () { return "sent"; });
        return response.json().then(function (entry) {
          item.entry_id = entry.id;
          item.state = "photos";
          return keep(item).then(function () { return sendPhotos(item); }).then(function () { return "sent"; });
        });
      }
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
  function failed(response) {  // the API's error message, or the status
    return response.json().catch(function () { return {}; }).then(function (answer) {
      return (answer.error || {}).message || String(response.status);
    });
  }
  function sendPhoto(item, photo) {  // → "sent", "refused" (kept with the server's reason) or "stop"
    var url = "/api/v1/entries/" + item.entry_id + "/vouchers";
    var headers = { "X-CSRFToken": csrfInput ? csrfInput.value : "", "X-Coop-User": user };
    // An upload whose answer was lost may have arrived: the entry's list says (each photo's name is its own).
    var arrived = !photo.tried ? Promise.resolve(false) : fetch(url, { credentials: "same-origin", headers: headers })
      .then(function (r) { return r.ok ? r.json() : []; })
      .then(function (rows) { return rows.some(function (v) { return v.file_name === photo.name; }); });
    return arrived.then(function (done) {
      if (done) return 201;
      photo.tried = true;
      return keep(item).then(function () {
        var form = new FormData();
        form.append("file", new Blob([photo.data], { type: photo.type }), photo.name);
        return fetch(url, { method: "POST", credentials: "same-origin", headers: headers, body: form });
      });
    }).then(function (response) {
      var status = typeof response === "number" ? response : response.status;
      if (status === 201) {
        item.photos = item.photos.filter(function (p) { return p !== photo; });
        return keep(item).then(function () { return "sent"; });
      }
      if ([403, 404, 409, 413, 422].indexOf(status) >= 0) {
        return failed(response).then(function (message) {
          photo.state = "refused";
          photo.message = message;
          return keep(item).then(function () { return "refused"; });
        });
      }
      return "stop";  // 400 (no CSRF token on this page), 401, 5xx: another time
    }, function () { return "stop"; });
  }
  function sendPhotos(item) {  // the entry's photos one by one; the entry leaves the queue with the last
    var waiting = item.photos.filter(function (p) { return p.state !== "refused"; });
    var next = function (i) {
      if (i >= waiting.length) return item.photos.length ? "refused" : drop(item.key).then(function () { return "sent"; });
      return sendPhoto(item, waiting[i]).then(function (outcome) { return outcome === "stop" ? "stop" : next(i + 1); });
    };
    return next(0);
  }
  function waitingPhotos(item) {
    return (item.photos || []).filter(function (p) { return p.state !== "refused"; }).length;
  }
  function sync() {
    if (syncing || !user) return Promise.resolve();
    syncing = true;
    var sent = 0;
    return queued().then(function (items) {
      var pending = items.filter(function (item) {
        return item.state === "pending" || (item.state === "photos" && waitingPhotos(item));
      });
      var next = function (i) {
        if (i >= pending.length) return null;
        var item = pending[i], entry = item.state === "pending";
        return (entry ? send(item) : sendPhotos(item)).then(function (outcome) {
          if (outcome === "sent" && entry) sent += 1;
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
      var photos = items.reduce(function (n, item) { return n + (item.photos || []).length; }, 0);
      document.querySelectorAll("[data-offline-photos]").forEach(function (node) {
        node.textContent = photos ? say(T.photosWaiting, photos) : "";
      });
      if (!section) return;
      section.hidden = !items.length;
      if (!items.length) return;
      return choices().then(function (c) {
        var rows = section.querySelector("tbody");
        rows.textContent = "";
        items.forEach(function (item) {
          var b = item.body, row = document.createElement("tr");
          row.setAttribute("data-offline-key", item.key);
          var photos = item.photos || [], refused = photos.filter(function (p) { return p.state === "refused"; });
          var bad = item.state === "refused" || refused.length > 0;
          var badge = document.createElement("span");
          badge.className = bad ? "badge badge-returned" : "badge badge-draft";
          badge.textContent = item.state === "refused" ? T.refused : item.state === "photos" ? (bad ? T.photoRefused : T.photoPending) : T.pending;
          var status = cell(row, "", T.status);
          status.appendChild(badge);
          if (photos.length) status.appendChild(document.createTextNode(" " + say(T.photos, photos.length)));
          cell(row, b.period, T.period);
          cell(row, (((c.kinds || {})[b.kind]) || b.kind) + (b.category ? " · " + b.category : ""), T.kind);
          cell(row, b.amount, T.amount).className = "num";
          cell(row, ((c.projects || {})[b.project_id]) || ("#" + b.project_id), T.project);
          cell(row, b.household_id ? ((c.households || {})[b.household_id] || ("#" + b.household_id)) : "", T.household);
          var what = cell(row, item.state === "refused" ? item.message + " " + Object.keys(item.fields || {}).map(function (k) {
            return item.fields[k];
          }).join(" ") : "", T.reason);
          if (refused.length) {  // the entry is a draft: the photo is retaken on its page
            what.textContent = refused.map(function (p) { return p.message; }).join(" ");
            var open = document.createElement("a");
            open.href = "/entries/" + item.entry_id + "#vouchers";
            open.textContent = T.openEntry;
            what.appendChild(document.createTextNode(" "));
            what.appendChild(open);
          }
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
            if (window.confirm(item.state === "photos" ? T.discardPhotos : T.discardConfirm)) drop(item.key).then(render);
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
  function fromForm(form) {  // as the browser would post it: a disabled (hidden spending) field is not sent
    return bodyOf(function (name) {
      var field = form.elements[name];
      return field && !field.disabled ? field.value : "";
    });
  }

  // ---- photos: bytes in the queue, bounded (a large photo becomes a JPEG of PHOTO_SIDE px at most)
  function decoded(file) {
    if (!window.createImageBitmap) return Promise.reject(new Error("no createImageBitmap"));
    return createImageBitmap(file, { imageOrientation: "from-image" }).catch(function () { return createImageBitmap(file); });
  }
  function smaller(file) {  // → the photo itself, or a smaller JPEG of it; one the browser cannot read stays as it is
    if (!/^image\//.test(file.type) || file.size <= SHRINK_ABOVE) return Promise.resolve(file);
    return decoded(file).then(function (bitmap) {
      var scale = Math.min(1, PHOTO_SIDE / Math.max(bitmap.width, bitmap.height));
      var canvas = document.createElement("canvas");
      canvas.width = Math.round(bitmap.width * scale);
      canvas.height = Math.round(bitmap.height * scale);
      canvas.getContext("2d").drawImage(bitmap, 0, 0, canvas.width, canvas.height);
      return new Promise(function (resolve) {
        canvas.toBlob(function (blob) { resolve(blob && blob.size < file.size ? blob : file); }, "image/jpeg", 0.85);
      });
    }).catch(function () { return file; });
  }
  function photosOf(files, key, first) {  // → [{name, type, data, state}] or a rejection with the user's message
    var limit = parseInt((form && form.getAttribute("data-photo-max")) || "10485760", 10);
    return Promise.all(Array.prototype.filter.call(files || [], function (f) { return f && f.size; }).map(function (file, i) {
      return smaller(file).then(function (blob) {
        if (blob.size > limit) throw new Error(say(T.photoTooLarge, Math.floor(limit / 1048576)));
        return new Response(blob).arrayBuffer().then(function (data) {
          var type = blob.type || "image/jpeg", suffix = (type.split("/")[1] || "jpg").replace("jpeg", "jpg");
          var name = "offline-" + key.slice(0, 8) + "-" + (first + i + 1) + "." + suffix;  // its own: see sendPhoto
          return { name: name, type: type, data: data, state: "pending", message: "" };
        });
      });
    }));
  }
  function queueAndList(item) {
    return keep(item).then(function () { location.replace(listUrl + "#offline-saved"); });
  }
  function newItem(body) {
    return { key: uuid(), user: user, body: body, state: "pending", message: "", fields: {}, photos: [], saved_at: Date.now() };
  }
  function noteBeside(field, text) {
    if (!field) return;
    var note = document.createElement("small");
    note.className = "error";
    note.textContent = text;
    field.parentNode.appendChild(note);
  }
  function fill(form, item) {
    FIELDS.forEach(function (name) {
      var field = form.elements[name], value = item.body[name] == null ? "" : String(item.body[name]);
      if (!field) return;
      if (field.tagName === "SELECT" && value && !Array.prototype.some.call(field.options, function (o) { return o.value === value; })) {
        field.appendChild(new Option(value, value));  // a category the county's list no longer has: kept, the server says
      }
      field.value = value;
    });
    if (form.elements.kind) form.elements.kind.dispatchEvent(new Event("change"));  // the spending fields shown
    var box = document.getElementById("offline-notice");
    if (box && item.state === "refused") {
      box.hidden = false;
      box.textContent = T.fixThis + item.message;
    }
    Object.keys(item.fields || {}).forEach(function (name) { noteBeside(form.elements[name], item.fields[name]); });
    if ((item.photos || []).length) noteBeside(form.elements.photo, say(T.photosKept, item.photos.length));
  }
  var form = document.querySelector("form[data-offline-entry]");
  function queueFrom(item, body, files) {  // the item with this body and its photos added; kept, then the list
    item.body = body;
    item.state = "pending";
    item.message = "";
    item.fields = {};
    item.photos = item.photos || [];
    return photosOf(files, item.key, item.photos.length).then(function (photos) {
      item.photos = item.photos.concat(photos);
      return queueAndList(item);
    });
  }
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
      var photo = form.elements.photo;
      queueFrom(editing || newItem(null), fromForm(form), photo ? photo.files : []).catch(function (error) {
        noteBeside(photo, error.message);  // nothing kept: the accountant takes a smaller photo, or none
      });
    });
    if (location.hash === "#offline-unsent" && window.caches) {
      caches.open(PAGES).then(function (cache) {
        return cache.match("/offline/unsent").then(function (hit) {
          if (!hit) return null;
          return hit.clone().formData().catch(function () {
            return hit.text().then(function (text) { return new URLSearchParams(text); });
          }).then(function (fields) {
            return cache.delete("/offline/unsent").then(function () {
              var files = fields.getAll("photo").filter(function (f) { return typeof f !== "string"; });
              var item = newItem(null);
              return queueFrom(item, bodyOf(function (name) { return fields.get(name); }), files).catch(function (error) {
                window.alert(error.message);  // the photo could not be kept: the entry is, without it
                return queueFrom(item, item.body, []);
              });
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
