// Notifications. While a tab of the app is open its socket is too, and
// the server pushes nothing (it pushes only to sessions without one), so
// the page itself tells of new messages while it is hidden. With no tab
// open, Web Push brings them: the service worker shows them (sw.js).
// This file subscribes the browser to Web Push (push.getConfig,
// push.subscribe, push.unsubscribe) and keeps the person's choices.
import { api } from './api.js';
import { S, chatTitle, isMuted, userName } from './state.js';
import { plainPreview } from './format.js';
import { mediaLabel } from './preview.js';

const PREFS = 'haven.notify';

export function prefs() {
  try {
    return { enabled: false, private: true, pushError: '', ...JSON.parse(localStorage.getItem(PREFS) || '{}') };
  } catch {
    return { enabled: false, private: true, pushError: '' };
  }
}

function savePrefs(p) {
  localStorage.setItem(PREFS, JSON.stringify(p));
}

export const supported = () => 'Notification' in window && 'serviceWorker' in navigator;
export const pushSupported = () => supported() && 'PushManager' in window;

// pushAvailable asks the server whether it sends Web Push: a server
// without it answers METHOD_NOT_FOUND, and the switch is not shown.
export async function pushConfig() {
  if (!pushSupported() || !api.has('push.getConfig')) return null;
  try {
    return await api.call('push.getConfig', {});
  } catch {
    return null;
  }
}

const b64url = (buf) => btoa(String.fromCharCode(...new Uint8Array(buf))).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');

function fromB64url(s) {
  const b = atob(s.replace(/-/g, '+').replace(/_/g, '/') + '==='.slice((s.length + 3) % 4));
  return Uint8Array.from(b, (c) => c.charCodeAt(0));
}

// enable asks for the permission to notify, then subscribes this browser
// to Web Push with the server's key (when the server has Web Push) and
// gives the server the subscription for this session. Notifications
// are on even when the browser cannot subscribe (no push service, or a
// private window): they show while a tab is open, and the answer's
// pushError says why none will come while it is closed.
export async function enable(priv) {
  if (!supported()) throw new Error('This browser cannot show notifications.');
  const perm = await Notification.requestPermission();
  if (perm !== 'granted') throw new Error('Notifications are blocked for this site in the browser settings.');
  const cfg = await pushConfig();
  let pushError = '';
  if (cfg) {
    try {
      const sub = await subscribe(cfg.vapid_public_key);
      await api.call('push.subscribe', {
        endpoint: sub.endpoint,
        p256dh: b64url(sub.getKey('p256dh')),
        auth: b64url(sub.getKey('auth')),
        private: !!priv,
      });
    } catch (e) {
      pushError = e.message || String(e);
    }
  }
  savePrefs({ enabled: true, private: !!priv, pushError });
  return { pushError };
}

// subscribe gets this browser's push subscription for the server's key,
// giving up after 20 seconds (a browser that cannot reach its push
// service may never answer).
async function subscribe(key) {
  const reg = await navigator.serviceWorker.ready;
  let sub = await reg.pushManager.getSubscription();
  if (sub) {
    const had = sub.options && sub.options.applicationServerKey;
    if (had && b64url(had) !== key) {
      await sub.unsubscribe();
      sub = null;
    }
  }
  if (sub) return sub;
  let timer;
  const late = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error('the browser’s push service did not answer')), 20000);
  });
  try {
    return await Promise.race([reg.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey: fromB64url(key) }), late]);
  } finally {
    clearTimeout(timer);
  }
}

// disable stops notifications on this browser, and Web Push for this
// session.
export async function disable() {
  savePrefs({ ...prefs(), enabled: false, pushError: '' });
  if (!pushSupported()) return;
  const reg = await navigator.serviceWorker.getRegistration();
  const sub = reg && (await reg.pushManager.getSubscription());
  if (!sub) return;
  if (api.has('push.unsubscribe')) await api.call('push.unsubscribe', { endpoint: sub.endpoint }).catch(() => {});
  await sub.unsubscribe().catch(() => {});
}

// notifyMessage shows a new message while the page is hidden.
export async function notifyMessage(m) {
  const p = prefs();
  if (!p.enabled || document.visibilityState === 'visible' || !supported() || Notification.permission !== 'granted') return;
  if (m.silent || m.service || (S.me && m.sender_id === S.me.id)) return;
  const d = S.dialogs.get(m.chat_id);
  if (!d || isMuted(d)) return;
  const chat = S.chats.get(m.chat_id);
  let title = 'Haven';
  let body = 'New message';
  if (!p.private) {
    title = chatTitle(chat);
    body = plainPreview(m.text, m.entities) || mediaLabel(m);
    if (chat && chat.kind === 'group' && m.sender_id) body = userName(S.users.get(m.sender_id)).split(' ')[0] + ': ' + body;
  }
  const reg = await navigator.serviceWorker.getRegistration();
  if (!reg) return;
  reg.showNotification(title, { body, tag: 'chat-' + m.chat_id, renotify: true, icon: '/icons/icon-192.png', data: { chat_id: m.chat_id, message_id: m.id } });
}

// clearChat closes the notifications of a chat once it is read.
export function clearChat(id) {
  if (!('serviceWorker' in navigator) || !navigator.serviceWorker.controller) return;
  navigator.serviceWorker.controller.postMessage({ type: 'clear', chat_id: id });
}
