// The app's state: one mutable object that the sync engine, the outbox
// and the screens change, and a change signal that re-renders the
// screens (at most once a frame).
import { useEffect, useState } from 'preact/hooks';

export const S = {
  me: null, // the signed-in User
  conn: 'offline', // 'connecting' | 'syncing' | 'online' | 'offline'
  users: new Map(), // user id → User
  chats: new Map(), // chat id → Chat (its seq is the one applied here)
  dialogs: new Map(), // chat id → {chat_id, top_message, read_inbox_max_id, unread_count, unread_mentions, pinned, archived, muted_until}
  msgs: new Map(), // chat id → {list (ascending ids), older, newer, loading}
  pending: new Map(), // chat id (or "u" + user id) → outbox entries, oldest first
  typing: new Map(), // chat id → Map(user id → expiry in ms)
  drafts: new Map(), // chat key → text
  secretChats: [], // this device's secret chats, newest first: {user, last} (secret.js)
  toasts: [],
  ui: {
    chat: null, // the open chat: {id} or {userId} before a private chat exists
    panel: null, // the left column's panel over the list: 'settings', 'newchat', 'newgroup', 'newchannel', 'archived', …
    info: false, // the chat info column is open
    search: '',
    theme: localStorage.getItem('haven.theme') || 'system',
  },
};

let version = 0;
const subs = new Set();
let scheduled = false;

// emit marks the state changed; subscribers run once per frame.
export function emit() {
  version++;
  if (scheduled) return;
  scheduled = true;
  const run = () => {
    scheduled = false;
    for (const f of [...subs]) f(version);
  };
  if (typeof requestAnimationFrame === 'function' && document.visibilityState === 'visible') {
    requestAnimationFrame(run);
    // A hidden page gets no frames: make sure the change lands.
    setTimeout(() => scheduled && run(), 100);
  } else {
    setTimeout(run, 0);
  }
}

export function subscribe(f) {
  subs.add(f);
  return () => subs.delete(f);
}

// useVersion re-renders the calling component on every change.
export function useVersion() {
  const [, set] = useState(0);
  useEffect(() => subscribe(set), []);
  return version;
}

// toast shows a short message at the bottom of the screen.
export function toast(text, kind = 'info') {
  const t = { id: Math.random(), text, kind };
  S.toasts = [...S.toasts, t];
  emit();
  setTimeout(() => {
    S.toasts = S.toasts.filter((x) => x !== t);
    emit();
  }, kind === 'error' ? 6000 : 3500);
}

// chatKey names a chat for the outbox and drafts: its id, or the person
// of a private chat not made yet.
export const chatKey = (c) => (c.id ? String(c.id) : 'u' + c.userId);

export function saveUsers(list) {
  for (const u of list || []) {
    if (!u || !u.id) continue;
    const old = S.users.get(u.id);
    S.users.set(u.id, old ? { ...old, ...u } : u);
  }
}

export function userName(u) {
  if (!u) return 'Unknown';
  if (u.self && S.me && u.id === S.me.id) return [u.first_name, u.last_name].filter(Boolean).join(' ');
  return [u.first_name, u.last_name].filter(Boolean).join(' ') || 'Unknown';
}

// chatTitle is what the list and the header call a chat.
export function chatTitle(chat) {
  if (!chat) return '';
  if (chat.kind !== 'private') return chat.title || 'Chat';
  if (S.me && chat.peer_id === S.me.id) return 'Saved Messages';
  return userName(S.users.get(chat.peer_id));
}

export function peerOf(chat) {
  return chat && chat.kind === 'private' ? S.users.get(chat.peer_id) : null;
}

// sortedDialogs lists the dialogs as the list shows them: pinned first,
// then by the newest activity.
export function sortedDialogs(archived) {
  const out = [];
  for (const d of S.dialogs.values()) {
    if (!!d.archived !== !!archived) continue;
    if (!S.chats.has(d.chat_id)) continue;
    out.push(d);
  }
  const when = (d) => {
    let t = d.top_message ? d.top_message.date : 0;
    const p = S.pending.get(String(d.chat_id));
    if (p && p.length) t = Math.max(t, p[p.length - 1].date);
    return t || d.added || 0;
  };
  out.sort((a, b) => {
    if (!!a.pinned !== !!b.pinned) return a.pinned ? -1 : 1;
    return when(b) - when(a) || b.chat_id - a.chat_id;
  });
  return out;
}

export function isMuted(d) {
  return !!(d && d.muted_until && d.muted_until * 1000 > Date.now());
}

export function totalUnread() {
  let n = 0;
  for (const d of S.dialogs.values()) {
    if (!isMuted(d) && !d.archived) n += d.unread_count || 0;
  }
  return n;
}

// typingIn lists who is typing in a chat now (not the person).
export function typingIn(chatId) {
  const m = S.typing.get(chatId);
  if (!m) return [];
  const now = Date.now();
  const out = [];
  for (const [uid, exp] of m) {
    if (exp > now && (!S.me || uid !== S.me.id)) out.push(uid);
  }
  return out;
}
