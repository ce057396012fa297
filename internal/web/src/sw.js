// Haven's service worker: it keeps the app shell so the app opens
// without a network, and shows the notifications of Web Push.
//
// SHELL (the paths of the app's files) and VERSION (a hash of their
// bytes) are filled in by the build (internal/web/gen).

/* global SHELL, VERSION */
const CACHE = 'haven-' + VERSION;

self.addEventListener('install', (e) => {
  e.waitUntil(
    caches.open(CACHE)
      .then((c) => c.addAll(SHELL.map((p) => new Request(p, { cache: 'reload' }))))
      .then(() => self.skipWaiting()),
  );
});

self.addEventListener('activate', (e) => {
  e.waitUntil(
    caches.keys()
      .then((keys) => Promise.all(keys.filter((k) => k.startsWith('haven-') && k !== CACHE).map((k) => caches.delete(k))))
      .then(() => self.clients.claim()),
  );
});

// isApp tells the paths the app shell answers: the page itself and the
// links that open it (an invite link).
const isApp = (path) => path === '/' || path === '/index.html' || path.startsWith('/join/');

self.addEventListener('fetch', (e) => {
  const req = e.request;
  if (req.method !== 'GET') return;
  const url = new URL(req.url);
  if (url.origin !== self.location.origin) return;
  if (req.mode === 'navigate' && isApp(url.pathname)) {
    // The page: from the network when there is one, so a new version
    // shows at once; the kept copy otherwise.
    e.respondWith(
      fetch(req).catch(() => caches.open(CACHE).then((c) => c.match('/')).then((r) => r || Response.error())),
    );
    return;
  }
  if (url.pathname.startsWith('/assets/') || url.pathname.startsWith('/icons/') || url.pathname === '/manifest.webmanifest') {
    // Named by their content, these never change: the kept copy first.
    e.respondWith(
      caches.open(CACHE).then((c) => c.match(req).then((r) => r || fetch(req))),
    );
  }
  // Everything else (the API, files) goes to the network untouched.
});

// A push is shown unless a window of the app is in view: there the app
// shows the message itself. Notifications of one chat replace each
// other (the tag), so a busy chat makes one notification, not fifty.
self.addEventListener('push', (e) => {
  let p = {};
  try {
    p = e.data ? e.data.json() : {};
  } catch {
    p = {};
  }
  e.waitUntil((async () => {
    const wins = await self.clients.matchAll({ type: 'window', includeUncontrolled: true });
    if (wins.some((w) => w.visibilityState === 'visible')) return;
    const chat = Number(p.chat_id) || 0;
    await self.registration.showNotification(p.title || 'Haven', {
      body: p.body || 'New message',
      tag: chat ? 'chat-' + chat : 'haven',
      renotify: true,
      icon: '/icons/icon-192.png',
      badge: '/icons/favicon-32.png',
      data: { chat_id: chat, message_id: Number(p.message_id) || 0 },
    });
  })());
});

// A click opens the app on the chat: an open window is focused and told
// which chat to show; without one, a new window opens on it.
self.addEventListener('notificationclick', (e) => {
  e.notification.close();
  const chat = (e.notification.data && e.notification.data.chat_id) || 0;
  const target = chat ? '/#/c/' + chat : '/';
  e.waitUntil((async () => {
    const wins = await self.clients.matchAll({ type: 'window', includeUncontrolled: true });
    for (const w of wins) {
      if (new URL(w.url).origin !== self.location.origin) continue;
      w.postMessage({ type: 'open', chat_id: chat });
      return w.focus();
    }
    return self.clients.openWindow(target);
  })());
});

// The app asks to clear a chat's notifications once it is read.
self.addEventListener('message', (e) => {
  const d = e.data || {};
  if (d.type === 'clear' && d.chat_id) {
    e.waitUntil(self.registration.getNotifications({ tag: 'chat-' + d.chat_id }).then((ns) => ns.forEach((n) => n.close())));
  }
});
