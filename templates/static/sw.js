// Pallay's service worker: keeps the last copy of each collection sheet and attendance register
// opened (and the style sheet and script), so the page still opens when the signal drops; a form
// of those pages sent without a signal gets a short page that says so. Every other request goes
// straight to the network, untouched (no worker start-up on a cheap phone). Signing out forgets
// the kept pages (what was typed stays in the page's own storage until it is sent).
var CACHE = 'pallay-1';
var KEPT = [/^\/funds\/\d+\/collection$/, /^\/trainings\/\d+\/attendance$/];
var ASSETS = ['/static/style.css', '/static/meeting.css', '/static/pallay.js', '/offline'];

self.addEventListener('install', function (e) {
  e.waitUntil(caches.open(CACHE).then(function (c) { return c.addAll(ASSETS); }).then(function () { return self.skipWaiting(); }));
});

self.addEventListener('activate', function (e) {
  e.waitUntil(caches.keys().then(function (names) {
    return Promise.all(names.filter(function (n) { return n !== CACHE; }).map(function (n) { return caches.delete(n); }));
  }).then(function () { return self.clients.claim(); }));
});

function networkFirst(req) {
  return fetch(req).then(function (res) {
    if (res.ok) { var copy = res.clone(); caches.open(CACHE).then(function (c) { return c.put(req, copy); }); }
    return res;
  }, function () {
    return caches.match(req).then(function (kept) { return kept || caches.match('/offline'); });
  });
}

self.addEventListener('fetch', function (e) {
  var req = e.request;
  var url = new URL(req.url);
  if (url.origin !== self.location.origin) return;
  if (req.method === 'GET' && (KEPT.some(function (r) { return r.test(url.pathname); }) || ASSETS.indexOf(url.pathname) >= 0)) {
    e.respondWith(networkFirst(req));
    return;
  }
  if (req.method === 'POST' && url.pathname === '/logout') {
    e.waitUntil(caches.open(CACHE).then(function (c) {
      return c.keys().then(function (keys) {
        return Promise.all(keys.filter(function (k) {
          return KEPT.some(function (r) { return r.test(new URL(k.url).pathname); });
        }).map(function (k) { return c.delete(k); }));
      });
    }));
  }
  if (req.method === 'POST' && req.mode === 'navigate' && KEPT.some(function (r) { return r.test(url.pathname); })) {
    e.respondWith(fetch(req).catch(function () { return caches.match('/offline'); }));
  }
});
