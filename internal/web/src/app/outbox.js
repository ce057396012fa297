// The outbox: every message the person sends waits here (in memory and
// in IndexedDB) until the server acknowledges it. It goes out when the
// app is online and caught up, in the order written, and a retry after
// a lost answer or a restart carries the same random_id, so the server
// posts it once. Files are uploaded in parts; an upload cut off resumes
// from the parts the server has (files.uploadStatus).
import { api, isNetwork } from './api.js';
import { S, emit, chatKey, toast } from './state.js';
import { outboxAll, outboxPut, outboxDel } from './db.js';
import { messageSent, openMessages } from './sync.js';
import { sha256 } from './sha256.js';

let order = 0;

// randomId picks a random_id: non-zero, within ±2^53 so JavaScript
// keeps it exact.
export function randomId() {
  const a = new Uint32Array(2);
  crypto.getRandomValues(a);
  return (a[0] & 0x1fffff) * 2 ** 32 + a[1] + 1;
}

// load puts the entries kept from an earlier session back on screen.
export async function loadOutbox() {
  const all = await outboxAll();
  all.sort((a, b) => a.order - b.order);
  for (const e of all) {
    order = Math.max(order, e.order);
    if (e.state === 'sending') e.state = 'pending';
    show(e);
  }
  emit();
}

function show(e) {
  const k = e.key;
  const list = S.pending.get(k) || [];
  if (!list.includes(e)) S.pending.set(k, [...list, e]);
}

function unshow(e) {
  const list = (S.pending.get(e.key) || []).filter((x) => x !== e);
  if (list.length) S.pending.set(e.key, list);
  else S.pending.delete(e.key);
}

// save keeps an entry, without what is only for the screen.
function save(e) {
  const { progress, ...rest } = e; // eslint-disable-line no-unused-vars
  return outboxPut(rest).catch((err) => console.warn('outbox', err));
}

// queue adds a message to the outbox of a chat ({id} or {userId}).
export async function queue(chat, fields) {
  const e = {
    random_id: randomId(),
    key: chatKey(chat),
    chat_id: chat.id || 0,
    user_id: chat.id ? 0 : chat.userId,
    date: Math.floor(Date.now() / 1000),
    order: ++order,
    state: 'pending',
    ...fields,
  };
  for (const it of e.items || []) it.random_id = randomId();
  // Kept first, shown after: what shows as waiting survives a restart.
  await save(e);
  show(e);
  emit();
  kick();
  return e;
}

export function retry(e) {
  e.state = 'pending';
  e.error = '';
  save(e);
  emit();
  kick();
}

export async function discard(e) {
  unshow(e);
  emit();
  await outboxDel(e.random_id);
}

let running = false;

// kick sends what waits, while the app is online.
export async function kick() {
  if (running) return;
  running = true;
  try {
    for (;;) {
      if (S.conn !== 'online') break;
      const e = next();
      if (!e) break;
      e.state = 'sending';
      try {
        await send(e);
      } catch (err) {
        if (isNetwork(err)) {
          e.state = 'pending';
          break;
        }
        if (err.code === 'FLOOD_WAIT' || err.code === 'SLOWMODE_WAIT') {
          e.state = 'pending';
          e.error = err.code === 'SLOWMODE_WAIT' ? `Slow mode: wait ${err.retryAfter} s` : '';
          emit();
          await new Promise((r) => setTimeout(r, Math.max(1, err.retryAfter) * 1000));
          continue;
        }
        e.state = 'failed';
        e.error = describeSendError(err);
        save(e);
        toast(e.error, 'error');
      }
      emit();
    }
  } finally {
    running = false;
  }
}

function next() {
  let best = null;
  for (const list of S.pending.values()) {
    for (const e of list) {
      if (e.state !== 'pending' && e.state !== 'sending') continue;
      if (!best || e.order < best.order) best = e;
    }
  }
  return best;
}

function describeSendError(err) {
  switch (err.code) {
    case 'CHAT_WRITE_FORBIDDEN': return 'You cannot post in this chat';
    case 'USER_BLOCKED': return 'This person does not accept your messages';
    case 'MESSAGE_TOO_LONG': return 'The message is too long';
    case 'CAPTION_TOO_LONG': return 'The caption is too long';
    case 'FILE_TOO_LARGE': return 'The file is too large for this server';
    case 'PHOTO_INVALID': return 'This image cannot be sent as a photo';
    case 'VOICE_INVALID': return 'This recording cannot be sent as a voice message';
    case 'NOT_MEMBER': return 'You are not a member of this chat';
    case 'USER_BANNED_IN_CHAT': return 'You are banned from this chat';
    case 'UNAVAILABLE': return 'The server cannot store files now';
    default: return err.message || 'Not sent';
  }
}

function target(e) {
  return e.chat_id ? { chat_id: e.chat_id } : { user_id: e.user_id };
}

async function send(e) {
  let result;
  if (e.kind === 'text') {
    result = [await api.call('messages.send', {
      ...target(e),
      text: e.text,
      entities: e.entities || [],
      reply_to_id: e.reply_to_id || 0,
      silent: !!e.silent,
      random_id: e.random_id,
    })];
  } else if (e.kind === 'forward') {
    result = await api.call('messages.forward', {
      ...target(e),
      from_chat_id: e.from_chat_id,
      ids: e.ids,
      random_ids: e.random_ids,
    });
  } else {
    const total = e.items.reduce((n, it) => n + it.blob.size, 0);
    let done = 0;
    for (const it of e.items) {
      if (!it.file_id) {
        it.file_id = await upload(it, (n) => {
          e.progress = (done + n) / total;
          emit();
        }, () => save(e));
        save(e);
      }
      // A video's thumbnail (its first frame), uploaded beside it.
      if (it.thumb && !it.thumb_file_id) {
        // A refused thumbnail is left out; a lost connection tries again.
        it.thumb_file_id = await upload({ blob: it.thumb, name: 'thumb.jpg', mime: 'image/jpeg' }, () => {}, () => save(e)).catch((err) => {
          if (isNetwork(err)) throw err;
          return 0;
        });
        save(e);
      }
      done += it.blob.size;
    }
    e.progress = 1;
    const item = (it, i) => {
      const p = { kind: it.kind, file_id: it.file_id, random_id: it.random_id };
      if (i === 0 && e.text) {
        p.caption = e.text;
        if (e.entities && e.entities.length) p.entities = e.entities;
      }
      if (it.duration) p.duration = Math.round(it.duration);
      if (it.thumb_file_id) p.thumb_file_id = it.thumb_file_id;
      if (it.kind === 'video' && it.width) {
        p.width = it.width;
        p.height = it.height;
      }
      return p;
    };
    if (e.items.length === 1) {
      const it = item(e.items[0], 0);
      result = [await api.call('messages.sendMedia', {
        ...target(e),
        ...it,
        reply_to_id: e.reply_to_id || 0,
        random_id: e.random_id,
      })];
    } else {
      result = await api.call('messages.sendAlbum', { ...target(e), items: e.items.map(item) });
    }
  }
  unshow(e);
  await outboxDel(e.random_id);
  for (const m of result) messageSent(m);
  if (!e.chat_id && result.length) adopt(e.user_id, result[0].chat_id);
}

// adopt moves the messages written to a person before their private
// chat existed to that chat, and the open view with them.
function adopt(userId, chatId) {
  const from = 'u' + userId;
  const list = S.pending.get(from) || [];
  S.pending.delete(from);
  for (const x of list) {
    x.key = String(chatId);
    x.chat_id = chatId;
    x.user_id = 0;
    show(x);
    save(x);
  }
  const draft = S.drafts.get(from);
  if (draft !== undefined) {
    S.drafts.delete(from);
    S.drafts.set(String(chatId), draft);
  }
  if (S.ui.chat && S.ui.chat.userId === userId) {
    S.ui.chat = { id: chatId };
    history.replaceState(null, '', '#/c/' + chatId);
    openMessages(chatId).catch(() => {});
  }
  emit();
}

const PART = 512 << 10;

// upload sends a file in parts, resuming an upload that was started
// before (a lost connection, a restart), and returns the file's id.
async function upload(it, onProgress, persist) {
  if (!it.sha256) {
    it.sha256 = await sha256(it.blob);
  }
  let received = [];
  if (it.upload) {
    try {
      const st = await api.call('files.uploadStatus', { upload_id: it.upload.upload_id });
      received = st.received || [];
    } catch (err) {
      if (isNetwork(err)) throw err;
      it.upload = null; // expired or unknown: start again
    }
  }
  if (!it.upload) {
    const up = await api.call('files.startUpload', { size: it.blob.size, part_size: PART, name: it.name || 'file' });
    it.upload = { upload_id: up.upload_id, part_size: up.part_size, parts: up.parts };
    persist();
  }
  const { upload_id: id, part_size: size, parts } = it.upload;
  const have = new Set(received);
  const sent = new Map();
  for (const p of have) sent.set(p, Math.min(size, it.blob.size - p * size));
  const report = () => onProgress([...sent.values()].reduce((a, b) => a + b, 0));
  const todo = [];
  for (let p = 0; p < parts; p++) if (!have.has(p)) todo.push(p);
  // Three parts at a time.
  const worker = async () => {
    while (todo.length) {
      const p = todo.shift();
      await api.putPart(id, p, it.blob.slice(p * size, (p + 1) * size), (n) => {
        sent.set(p, n);
        report();
      });
      sent.set(p, Math.min(size, it.blob.size - p * size));
      report();
    }
  };
  await Promise.all([worker(), worker(), worker()]);
  const f = await api.call('files.finishUpload', { upload_id: id, parts, sha256: it.sha256 });
  return f.id;
}

// uploadNow uploads a file at once, outside the outbox (a profile or
// chat photo), and returns its id.
export function uploadNow(blob, name, onProgress) {
  return upload({ blob, name }, onProgress || (() => {}), () => {});
}
