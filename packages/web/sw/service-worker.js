/* global self, caches, fetch */
// Charla's service worker: the app starts offline, and the API is never cached.
// scripts/service-worker-plugin.ts fills in the precache list at build time (every file of the build).
const PRECACHE = self.__CHARLA_PRECACHE__;
const CACHE = `charla-shell-${PRECACHE.version}`;

// No skipWaiting(): a tab still running the previous version may lazy-load one of its chunks,
// which only the previous cache holds (the server has the new build). A new version takes over
// once every tab of the old one is closed.
self.addEventListener('install', (event) => {
  event.waitUntil(caches.open(CACHE).then((cache) => cache.addAll(PRECACHE.files)));
});

self.addEventListener('activate', (event) => {
  event.waitUntil(
    caches
      .keys()
      .then((keys) => Promise.all(keys.filter((k) => k.startsWith('charla-shell-') && k !== CACHE).map((k) => caches.delete(k))))
      .then(() => self.clients.claim()),
  );
});

self.addEventListener('fetch', (event) => {
  const request = event.request;
  const url = new URL(request.url);
  // The API, blobs and the WebSocket go straight to the network: ciphertext and tokens never sit in a cache.
  if (request.method !== 'GET' || url.origin !== self.location.origin || url.pathname.startsWith('/v1/')) return;
  if (request.mode === 'navigate') {
    // Network first, so a new version shows at once; the cached shell when offline (any path: /i/<user> too).
    event.respondWith(fetch(request).catch(() => caches.match('/', { cacheName: CACHE })));
    return;
  }
  // Hashed assets never change: cache first.
  event.respondWith(
    caches.match(request, { cacheName: CACHE }).then(
      (hit) =>
        hit ??
        fetch(request).then((response) => {
          if (response.ok && url.pathname.startsWith('/assets/')) {
            const copy = response.clone();
            event.waitUntil(caches.open(CACHE).then((cache) => cache.put(request, copy)));
          }
          return response;
        }),
    ),
  );
});
