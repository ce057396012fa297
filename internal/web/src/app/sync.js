// The sync engine: it keeps S (state.js) equal to the server's logs, by
// the rules of docs/api.md, "Staying in sync". Pushes are applied in
// order, one at a time; a chat event beyond the chat's seq + 1 (a gap)
// is filled with sync.getChatDifference, a user event beyond pts + 1
// with sync.getDifference, and every (re)connection catches up with
// sync.getDifference while the pushes that arrive meanwhile are held.
import { api } from './api.js';
import { S, emit, saveUsers } from './state.js';
import { kvGet, kvSet } from './db.js';
import { notifyMessage } from './notify.js';

let pts = 0;
let gid = 0;
let held = null; // pushes held while catching up
let queue = Promise.resolve(); // pushes are applied one after another
let onOnline = () => {};

// onSynced sets what runs once the app is caught up after a connection
// (the outbox sends what waits).
export function onSynced(f) {
  onOnline = f;
}

api.on('state', (s) => {
  if (s === 'connecting' || s === 'offline') {
    // Losing the connection is when a restart may follow: keep the
    // state now.
    if (S.conn === 'online') persist();
    S.conn = 'connecting';
    emit();
  }
});

api.on('open', (me) => {
  held = [];
  S.conn = 'syncing';
  emit();
  serial(async () => {
    if (S.me && S.me.id !== me.id) resetAll();
    S.me = me;
    saveUsers([me]);
    try {
      await catchUp();
    } catch (e) {
      console.warn('catching up failed', e);
      held = null;
      api.drop();
      return;
    }
    const h = held;
    held = null;
    for (const f of h) await handlePush(f);
    S.conn = 'online';
    emit();
    persistSoon();
    onOnline();
  });
});

api.on('push', (f) => {
  if (held) held.push(f);
  else serial(() => handlePush(f));
});

function serial(f) {
  queue = queue.then(f).catch((e) => console.warn('sync', e));
  return queue;
}

function resetAll() {
  pts = 0;
  gid = 0;
  S.chats.clear();
  S.dialogs.clear();
  S.msgs.clear();
  S.users.clear();
}

// restore loads the snapshot kept by the last session of this browser,
// so the chat list shows before (or without) a connection.
export async function restore() {
  const s = await kvGet('snapshot');
  if (!s || s.v !== 1) return false;
  pts = s.pts;
  gid = s.gid;
  S.me = s.me;
  saveUsers(s.users);
  for (const c of s.chats) S.chats.set(c.id, c);
  for (const d of s.dialogs) S.dialogs.set(d.chat_id, d);
  for (const [id, m] of s.msgs) S.msgs.set(id, { ...m, loading: false });
  emit();
  return true;
}

let persistTimer = 0;
// A page being closed or hidden writes its snapshot at once.
addEventListener('pagehide', () => persist());
document.addEventListener('visibilitychange', () => document.visibilityState === 'hidden' && persist());

export function persistSoon() {
  clearTimeout(persistTimer);
  persistTimer = setTimeout(persist, 300);
}

// persist writes the snapshot: the state and everything it covers, in
// one record, so a restart resumes from a consistent point.
function persist() {
  if (!S.me || !pts) return;
  const msgs = [];
  for (const [id, m] of S.msgs) {
    if (m.newer || !m.list.length) continue;
    const list = m.list.slice(-60);
    msgs.push([id, { list, older: m.older || list.length < m.list.length, newer: false }]);
  }
  const snap = {
    v: 1,
    me: S.me,
    pts,
    gid,
    chats: [...S.chats.values()],
    dialogs: [...S.dialogs.values()],
    users: [...S.users.values()],
    msgs,
  };
  kvSet('snapshot', snap).catch(() => {});
}

// catchUp is the catch-up after a (re)connection: sync.getDifference
// from the stored state, and each kept chat that moved caught up too.
async function catchUp() {
  if (!pts && !gid) return firstStart();
  for (;;) {
    let d;
    try {
      d = await api.call('sync.getDifference', { pts, gid });
    } catch (e) {
      if (e.code === 'PARAM_INVALID') {
        // A state the server never had (restored from a backup):
        // start over.
        resetAll();
        return firstStart();
      }
      throw e;
    }
    for (const u of d.user_events) await applyUserEvent(u);
    pts = Math.max(pts, d.state.pts);
    await mergeDialogs(d.dialogs);
    gid = d.state.gid;
    pts = d.state.pts;
    if (!d.more) break;
  }
}

async function firstStart() {
  const st = await api.call('sync.getState', {});
  const list = await api.call('dialogs.list', {});
  pts = st.pts;
  gid = st.gid;
  const ids = new Set(list.map((d) => d.chat.id));
  for (const id of [...S.dialogs.keys()]) if (!ids.has(id)) dropChat(id);
  await mergeDialogs(list);
  S.loaded = true;
}

// mergeDialogs takes dialogs fresh from the server; a chat whose
// messages are kept and whose log moved is caught up event by event.
async function mergeDialogs(list) {
  for (const d of list) {
    const c = d.chat;
    if (d.peer) saveUsers([d.peer]);
    const old = S.chats.get(c.id);
    const kept = S.msgs.get(c.id);
    if (old && c.seq < old.seq) {
      // The list is older than events applied here (a chat seen before
      // its dialog, say, whose events had no dialog to count in): take
      // it, and replay the chat from its seq. Applying an event twice
      // does no harm; missing one would miscount.
      S.chats.set(c.id, c);
      setDialog(d);
      await catchUpChat(c.id);
    } else if (old && kept && c.seq > old.seq) {
      S.chats.set(c.id, { ...c, seq: old.seq });
      setDialog(d);
      await catchUpChat(c.id);
    } else {
      S.chats.set(c.id, c);
      setDialog(d);
    }
  }
  S.loaded = true;
  emit();
}

function setDialog(d) {
  const top = d.top_message || null;
  S.dialogs.set(d.chat.id, {
    chat_id: d.chat.id,
    top_message: top,
    counted: Math.max(top ? top.id : 0, d.chat.top_message_id || 0),
    read_inbox_max_id: d.read_inbox_max_id || 0,
    unread_count: d.unread_count || 0,
    unread_mentions: d.unread_mentions || 0,
    pinned: !!d.pinned,
    archived: !!d.archived,
    muted_until: d.muted_until || 0,
  });
  if (top && top.sender_id) ensureUsers([top.sender_id]);
}

const catching = new Map();

// catchUpChat applies a chat's events after its stored seq.
export function catchUpChat(id) {
  if (catching.has(id)) return catching.get(id);
  const p = (async () => {
    try {
      for (;;) {
        const chat = S.chats.get(id);
        if (!chat) return;
        const d = await api.call('sync.getChatDifference', { chat_id: id, seq: chat.seq });
        if (d.too_long) {
          S.chats.set(id, { ...chat, seq: d.seq });
          if (S.msgs.has(id)) {
            S.msgs.delete(id);
            await openMessages(id);
          }
          break;
        }
        for (const e of d.events) applyChatEvent(e, true);
        const c = S.chats.get(id);
        if (c) S.chats.set(id, { ...c, seq: Math.max(c.seq, d.seq) });
        if (!d.more) break;
      }
    } finally {
      catching.delete(id);
      emit();
    }
  })();
  catching.set(id, p);
  return p;
}

async function handlePush(f) {
  switch (f.push) {
    case 'chat.event':
      return onChatEvent(f.data);
    case 'user.event':
      return onUserEvent(f.data);
    case 'chat.typing': {
      const t = f.data;
      if (!S.typing.has(t.chat_id)) S.typing.set(t.chat_id, new Map());
      const m = S.typing.get(t.chat_id);
      if (t.expires_in > 0) {
        m.set(t.user_id, Date.now() + t.expires_in * 1000);
        ensureUsers([t.user_id]);
        setTimeout(emit, t.expires_in * 1000 + 50);
      } else {
        m.delete(t.user_id);
      }
      emit();
      return;
    }
    case 'user.status': {
      const u = S.users.get(f.data.user_id);
      if (u) S.users.set(u.id, { ...u, status: f.data.status });
      emit();
      return;
    }
    default:
      // Pushes of kinds this version does not know are ignored.
  }
}

async function onChatEvent(e) {
  let chat = S.chats.get(e.chat_id);
  if (!chat) {
    // A chat not seen yet: its seq from chats.get covers this event.
    await fetchChat(e.chat_id);
    return;
  }
  if (catching.has(e.chat_id)) await catching.get(e.chat_id);
  chat = S.chats.get(e.chat_id);
  if (!chat || e.seq <= chat.seq) return;
  if (e.seq > chat.seq + 1) {
    await catchUpChat(e.chat_id);
    return;
  }
  applyChatEvent(e, false);
  if (e.kind === 'message.new' && e.message) notifyMessage(e.message);
  emit();
  persistSoon();
}

async function onUserEvent(u) {
  if (u.pts <= pts) return;
  if (u.pts > pts + 1) {
    await catchUp();
    emit();
    return;
  }
  await applyUserEvent(u);
  pts = u.pts;
  emit();
  persistSoon();
}

const fetching = new Map();
export function fetchChat(id) {
  if (fetching.has(id)) return fetching.get(id);
  const p = api.call('chats.get', { chat_id: id }).then((c) => {
    const old = S.chats.get(id);
    S.chats.set(id, old ? { ...c, seq: Math.max(old.seq, c.seq) } : c);
    if (c.peer_id) ensureUsers([c.peer_id]);
    emit();
    return c;
  }).catch(() => null).finally(() => fetching.delete(id));
  fetching.set(id, p);
  return p;
}

// refreshChat gets a chat's settings again after chat.update and
// member.update, keeping the seq applied here.
const refreshing = new Set();
function refreshChat(id) {
  if (refreshing.has(id)) return;
  refreshing.add(id);
  setTimeout(() => {
    refreshing.delete(id);
    api.call('chats.get', { chat_id: id }).then((c) => {
      const old = S.chats.get(id);
      if (!old) return;
      S.chats.set(id, { ...c, seq: old.seq, read_outbox_max_id: Math.max(c.read_outbox_max_id || 0, old.read_outbox_max_id || 0) });
      emit();
    }).catch(() => {});
  }, 150);
}

function mentionsMe(m) {
  if (!S.me) return false;
  for (const e of m.entities || []) {
    if (e.type === 'text_mention' && e.user_id === S.me.id) return true;
    if (e.type === 'mention' && S.me.username && m.text.substr(e.offset + 1, e.length - 1).toLowerCase() === S.me.username.toLowerCase()) return true;
  }
  if (m.reply_to_id) {
    const r = findMessage(m.chat_id, m.reply_to_id);
    if (r && r.sender_id === S.me.id) return true;
  }
  return false;
}

// nextUnreadMention finds the oldest unread message of a group that
// mentions the person, newer than after: it pages through the unread
// part of the history (the server does not list mentions), at most ten
// pages of 100, and gets the messages replied to that are not loaded (a
// reply to one of the person's messages mentions them). It answers the
// message's id, or 0 when there is none.
export async function nextUnreadMention(id, after) {
  const d = S.dialogs.get(id);
  let from = Math.max(after || 0, d ? d.read_inbox_max_id : 0);
  const me = S.me ? S.me.id : 0;
  for (let i = 0; i < 10; i++) {
    // From the start (nothing read yet): the page from message 1 on, as
    // an after_id of 0 would be the newest page.
    const first = from === 0;
    const params = first ? { chat_id: id, around_id: 1, limit: 100 } : { chat_id: id, after_id: from, limit: 100 };
    const page = (await api.call('messages.history', params)).reverse();
    const replied = new Map();
    const need = [...new Set(page.filter((m) => m.reply_to_id && !findMessage(id, m.reply_to_id)).map((m) => m.reply_to_id))];
    for (let j = 0; j < need.length; j += 100) {
      for (const r of await api.call('messages.get', { chat_id: id, ids: need.slice(j, j + 100) }).catch(() => [])) replied.set(r.id, r);
    }
    const hit = page.find((m) => m.id > from && !m.service && m.sender_id !== me &&
      (mentionsMe(m) || (m.reply_to_id && (replied.get(m.reply_to_id) || {}).sender_id === me)));
    if (hit) return hit.id;
    if (!page.length || (!first && page.length < 100)) return 0;
    from = page[page.length - 1].id;
  }
  return 0;
}

// applyChatEvent applies one event of a chat's log, in seq order. From
// a difference (diff), the message is as it is now, reactions included.
function applyChatEvent(e, diff) {
  const id = e.chat_id;
  const chat = S.chats.get(id);
  if (!chat) return;
  const c = { ...chat, seq: Math.max(chat.seq, e.seq) };
  S.chats.set(id, c);
  applyToMessages(e, diff);
  const d = S.dialogs.get(id);
  switch (e.kind) {
    case 'message.new': {
      const m = e.message;
      if (!m) break;
      c.top_message_id = Math.max(c.top_message_id || 0, m.id);
      if (m.sender_id) {
        ensureUsers([m.sender_id]);
        const t = S.typing.get(id);
        if (t) t.delete(m.sender_id);
      }
      if (d && m.id > d.counted) {
        d.counted = m.id;
        d.top_message = m;
        const mine = S.me && m.sender_id === S.me.id;
        if (!mine && m.id > d.read_inbox_max_id) {
          d.unread_count = (d.unread_count || 0) + 1;
          if (chat.kind === 'group' && mentionsMe(m)) d.unread_mentions = (d.unread_mentions || 0) + 1;
        }
      }
      if (m.service) refreshChat(id);
      break;
    }
    case 'message.edit':
      if (d && e.message && d.top_message && d.top_message.id === e.message.id) d.top_message = e.message;
      break;
    case 'message.delete': {
      const ids = (e.data && e.data.ids) || [];
      if (d && d.top_message && ids.includes(d.top_message.id)) {
        const m = S.msgs.get(id);
        const rest = m && !m.newer ? m.list.filter((x) => !ids.includes(x.id)) : [];
        d.top_message = rest.length ? rest[rest.length - 1] : null;
        if (!rest.length) refreshDialogs();
      }
      if (ids.includes(c.pinned_message_id)) c.pinned_message_id = 0;
      break;
    }
    case 'message.pin': {
      const pinned = e.data && e.data.pinned;
      if (pinned) c.pinned_message_id = e.message_id;
      else if (c.pinned_message_id === e.message_id) c.pinned_message_id = 0;
      break;
    }
    case 'chat.read': {
      const max = (e.data && e.data.max_id) || 0;
      if (e.user_id && S.me && e.user_id !== S.me.id) c.read_outbox_max_id = Math.max(c.read_outbox_max_id || 0, max);
      else if (!e.user_id) c.read_outbox_max_id = Math.max(c.read_outbox_max_id || 0, max);
      // The person's own read, maybe on another device: its dialog.read
      // user event says the same, but a dialog list older than this
      // event (taken while the read was committing) would otherwise
      // bring back the unread count from before it.
      else if (S.me && e.user_id === S.me.id) readUpTo(id, max, true);
      break;
    }
    case 'member.update':
    case 'chat.update':
      refreshChat(id);
      if (e.data && e.data.user_ids) ensureUsers(e.data.user_ids);
      S.membersVersion = (S.membersVersion || 0) + 1;
      break;
    default:
  }
}

// applyToMessages applies an event to the kept messages of its chat.
function applyToMessages(e, diff) {
  const m = S.msgs.get(e.chat_id);
  if (!m) return;
  switch (e.kind) {
    case 'message.new':
      if (e.message && !m.newer) {
        putMessage(m, e.message, false);
        // Well past the window (a busy chat left open): the oldest go.
        if (m.list.length > WINDOW + PAGE) {
          m.list = m.list.slice(-WINDOW);
          m.older = true;
        }
      }
      break;
    case 'message.edit':
    case 'message.pin':
      if (e.message) putMessage(m, e.message, !diff);
      break;
    case 'message.reaction':
      if (e.message && diff) putMessage(m, e.message, false);
      else if (e.message_id) refreshReactions(e.chat_id, e.message_id);
      break;
    case 'message.delete': {
      const ids = (e.data && e.data.ids) || [];
      m.list = m.list.filter((x) => !ids.includes(x.id));
      break;
    }
    default:
  }
}

// putMessage puts a message in a kept list by id; a pushed message has
// no reactions, so it keeps those of the copy it replaces (keep).
function putMessage(m, msg, keep) {
  const list = [...m.list];
  if (msg.sender_id) ensureUsers([msg.sender_id]);
  if (msg.forward && msg.forward.from_user_id) ensureUsers([msg.forward.from_user_id]);
  if (msg.service && msg.service.user_ids) ensureUsers(msg.service.user_ids);
  let lo = 0;
  let hi = list.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (list[mid].id < msg.id) lo = mid + 1;
    else hi = mid;
  }
  // A message beyond a window with newer ones not loaded is no part of it.
  if (lo === list.length && m.newer) return;
  if (list[lo] && list[lo].id === msg.id) {
    const old = list[lo];
    list[lo] = keep && old.reactions && !msg.reactions ? { ...msg, reactions: old.reactions } : msg;
  } else if (lo > 0 || !m.older || list.length === 0) {
    list.splice(lo, 0, msg);
  }
  m.list = list;
}

export function findMessage(chatId, id) {
  const m = S.msgs.get(chatId);
  if (!m) return null;
  return m.list.find((x) => x.id === id) || null;
}

async function applyUserEvent(u) {
  const id = u.chat_id;
  const d = S.dialogs.get(id);
  // An event about a chat whose dialog is not here yet (its dialog.added
  // is still being fetched) is not lost: the list is fetched after it.
  if (!d && id && u.kind !== 'dialog.added' && u.kind !== 'dialog.removed') refreshDialogs();
  switch (u.kind) {
    case 'dialog.added':
      refreshDialogs();
      break;
    case 'dialog.removed':
      dropChat(id);
      if (S.ui.chat && S.ui.chat.id === id) {
        S.ui.chat = null;
        S.ui.info = false;
      }
      break;
    case 'dialog.update':
      if (d && u.data) {
        if ('pinned' in u.data) d.pinned = !!u.data.pinned;
        if ('archived' in u.data) d.archived = !!u.data.archived;
        if ('muted_until' in u.data) d.muted_until = u.data.muted_until || 0;
      }
      break;
    case 'dialog.read':
      if (d && u.data) readUpTo(id, u.data.max_id, true);
      break;
    case 'profile':
      // The person changed their profile, maybe on another device.
      api.call('users.getMe', {}).then((me) => {
        if (!S.me || me.id !== S.me.id) return;
        S.me = me;
        S.users.set(me.id, me);
        emit();
      }).catch(() => {});
      break;
    case 'messages.hidden': {
      const ids = (u.data && u.data.ids) || [];
      const m = S.msgs.get(id);
      if (m) m.list = m.list.filter((x) => !ids.includes(x.id));
      if (d && d.top_message && ids.includes(d.top_message.id)) refreshDialogs();
      break;
    }
    default:
  }
}

function dropChat(id) {
  S.dialogs.delete(id);
  S.msgs.delete(id);
  S.chats.delete(id);
}

// readUpTo moves the person's read position in a chat and recounts its
// unread messages from what is loaded, or asks the server when it
// cannot tell.
export function readUpTo(id, max, fromServer) {
  const d = S.dialogs.get(id);
  if (!d || max <= d.read_inbox_max_id) return false;
  d.read_inbox_max_id = max;
  const top = Math.max(d.counted || 0, d.top_message ? d.top_message.id : 0);
  if (max >= top) {
    d.unread_count = 0;
    d.unread_mentions = 0;
  } else {
    const m = S.msgs.get(id);
    if (m && !m.newer && m.list.length && m.list[0].id <= max + 1) {
      d.unread_count = m.list.filter((x) => x.id > max && !(S.me && x.sender_id === S.me.id)).length;
      if (!d.unread_count) d.unread_mentions = 0;
    } else if (fromServer) {
      refreshDialogs();
    }
  }
  emit();
  persistSoon();
  return true;
}

let dialogsTimer = 0;
// refreshDialogs gets the whole list again (a chat added, or counts that
// cannot be worked out here), soon and once for several reasons.
export function refreshDialogs() {
  clearTimeout(dialogsTimer);
  dialogsTimer = setTimeout(() => {
    serial(async () => {
      const list = await api.call('dialogs.list', {});
      await mergeDialogs(list);
      persistSoon();
    });
  }, 100);
}

// Users are fetched in batches the first time their id is seen.
const wanted = new Set();
let usersTimer = 0;
export function ensureUsers(ids) {
  for (const id of ids) if (id && !S.users.has(id)) wanted.add(id);
  if (!wanted.size || usersTimer) return;
  usersTimer = setTimeout(async () => {
    usersTimer = 0;
    const ids = [...wanted].slice(0, 200);
    ids.forEach((i) => wanted.delete(i));
    try {
      saveUsers(await api.call('users.get', { ids }));
      emit();
    } catch {
      // They are asked for again when next seen.
    }
    if (wanted.size) ensureUsers([]);
  }, 30);
}

// Reactions are not in pushes: the messages are fetched again, a few
// at a time.
const reactWanted = new Map();
let reactTimer = 0;
function refreshReactions(chatId, id) {
  if (!reactWanted.has(chatId)) reactWanted.set(chatId, new Set());
  reactWanted.get(chatId).add(id);
  if (reactTimer) return;
  reactTimer = setTimeout(() => {
    reactTimer = 0;
    for (const [cid, ids] of reactWanted) {
      reactWanted.delete(cid);
      api.call('messages.get', { chat_id: cid, ids: [...ids].slice(0, 100) }).then((list) => {
        const m = S.msgs.get(cid);
        if (!m) return;
        for (const msg of list) putMessage(m, msg, false);
        emit();
      }).catch(() => {});
    }
  }, 200);
}

export function applyReacted(msg) {
  const m = S.msgs.get(msg.chat_id);
  if (m) putMessage(m, msg, false);
  emit();
}

// messageSent puts the answer of a send in its chat, as the push would.
export function messageSent(msg) {
  const m = S.msgs.get(msg.chat_id);
  if (m && !m.newer) putMessage(m, msg, true);
  const d = S.dialogs.get(msg.chat_id);
  if (d && msg.id > d.counted) {
    d.counted = msg.id;
    d.top_message = msg;
  }
  // Writing in a chat reads it, as in other messengers.
  if (d && d.unread_count > 0 && S.ui.chat && S.ui.chat.id === msg.chat_id) {
    readUpTo(msg.chat_id, msg.id);
    api.call('messages.read', { chat_id: msg.chat_id, max_id: msg.id }).catch(() => {});
  }
  if (!S.chats.has(msg.chat_id)) {
    fetchChat(msg.chat_id);
    refreshDialogs();
  }
  emit();
  persistSoon();
}

const PAGE = 50;

// WINDOW is the most messages of a chat kept and drawn at once: paging
// back drops the newest beyond it, paging forward the oldest (they come
// again as the person scrolls back to them), so a history of thousands
// stays as light to draw as one of a few hundred.
export const WINDOW = 300;

// openMessages loads the newest page of a chat (if not kept), or the
// page around a message. The chat's seq is taken before the page and
// the events after it replayed on the page, so nothing that happens
// meanwhile is missed.
export async function openMessages(id, around) {
  let m = S.msgs.get(id);
  if (m && !around) return m;
  if (!m) {
    m = { list: [], older: true, newer: false, loading: true };
    S.msgs.set(id, m);
  }
  m.loading = true;
  emit();
  if (!S.chats.has(id)) await fetchChat(id);
  const seq0 = S.chats.get(id) ? S.chats.get(id).seq : 0;
  try {
    const params = { chat_id: id, limit: PAGE };
    if (around) params.around_id = around;
    const page = await api.call('messages.history', params);
    page.reverse();
    m.list = page;
    m.older = page.length > 0 && (around ? true : page.length === PAGE);
    const chat = S.chats.get(id);
    const newest = chat ? chat.top_message_id : 0;
    m.newer = !!around && !(page.length && page[page.length - 1].id >= newest);
    ensureUsers(page.map((x) => x.sender_id));
    const d = await api.call('sync.getChatDifference', { chat_id: id, seq: seq0, limit: 1000 }).catch(() => null);
    if (d && !d.too_long) for (const e of d.events) applyToMessages(e, true);
  } finally {
    m.loading = false;
    emit();
    persistSoon();
  }
  return m;
}

// loadOlder and loadNewer page through a chat's history.
export async function loadOlder(id) {
  const m = S.msgs.get(id);
  if (!m || m.loading || !m.older || !m.list.length) return;
  m.loading = true;
  try {
    const page = await api.call('messages.history', { chat_id: id, before_id: m.list[0].id, limit: PAGE });
    page.reverse();
    ensureUsers(page.map((x) => x.sender_id));
    m.list = [...page.filter((x) => x.id < m.list[0].id), ...m.list];
    m.older = page.length === PAGE;
    if (m.list.length > WINDOW) {
      m.list = m.list.slice(0, WINDOW);
      m.newer = true;
    }
  } finally {
    m.loading = false;
    emit();
  }
}

export async function loadNewer(id) {
  const m = S.msgs.get(id);
  if (!m || m.loading || !m.newer || !m.list.length) return;
  m.loading = true;
  try {
    const last = m.list[m.list.length - 1].id;
    const page = await api.call('messages.history', { chat_id: id, after_id: last, limit: PAGE });
    page.reverse();
    ensureUsers(page.map((x) => x.sender_id));
    m.list = [...m.list, ...page.filter((x) => x.id > last)];
    m.newer = page.length === PAGE;
    if (m.list.length > WINDOW) {
      m.list = m.list.slice(-WINDOW);
      m.older = true;
    }
  } finally {
    m.loading = false;
    emit();
  }
}

// latest shows a chat's newest messages again after a jump back.
export async function latest(id) {
  const m = S.msgs.get(id);
  if (m && !m.newer) return;
  S.msgs.delete(id);
  await openMessages(id);
}

// State for the tests and the outbox: whether the engine is caught up.
export const synced = () => S.conn === 'online';
