// The field app's service worker: it caches this version's files and serves only them, so the app
// opens with no network and an update never mixes two versions. It never touches IndexedDB, where
// the outbox lives, and does not answer API calls: those go to the network as they are.
// The server fills in VERSION (a hash of the files) and SHELL (the files) when it serves this file.
const VERSION = '__VERSION__';
const SHELL = ["__SHELL__"];
const CACHE = `yibiao-app-${VERSION}`;

self.addEventListener('install', (event) => {
  event.waitUntil(caches.open(CACHE).then((cache) =>
    cache.addAll(SHELL.map((path) => new Request(path, { cache: 'reload' })))));
});

self.addEventListener('activate', (event) => {
  event.waitUntil(caches.keys()
    .then((keys) => Promise.all(keys.filter((k) => k.startsWith('yibiao-app-') && k !== CACHE).map((k) => caches.delete(k))))
    .then(() => self.clients.claim()));
});

self.addEventListener('message', (event) => {
  if (event.data === 'skip-waiting') self.skipWaiting();
  if (event.data === 'version' && event.ports[0]) event.ports[0].postMessage(VERSION);
});

self.addEventListener('fetch', (event) => {
  const url = new URL(event.request.url);
  const scope = new URL(self.registration.scope);
  if (event.request.method !== 'GET' || url.origin !== scope.origin || !url.pathname.startsWith(scope.pathname)) return;
  event.respondWith((async () => {
    const cache = await caches.open(CACHE);
    const page = url.pathname === scope.pathname || url.pathname === `${scope.pathname}index.html`;
    const hit = await cache.match(page ? scope.href : event.request, { ignoreSearch: true });
    return hit || fetch(event.request);
  })());
});
