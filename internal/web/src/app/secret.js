// Secret chats (docs/e2ee.md): the Go SDK's secret layer compiled to
// WebAssembly (../../secretwasm), fetched only when a secret chat is
// first opened, so it costs nothing to people who never open one. Its
// state, the device's private keys included, is kept in IndexedDB and
// never sent anywhere; the server sees only sealed envelopes.

import { api, ApiError } from './api.js';
import { uploadNow } from './outbox.js';
import { sha256Bytes } from './sha256.js';
import { S, emit } from './state.js';
import { openChat } from './ui/chat.jsx';

let wasm = null; // the loaded program's API
let loading = null; // the opened device's API
let conn = null; // the opening IndexedDB of the state (a Promise)

// SecretError is a refusal the page acts on; code NEED_LINK: this
// session has no secret-chat device while the account has some
// elsewhere: link to them (linkSecret) or start over (startSecretOver).
export class SecretError extends Error {
  constructor(code, message) {
    super(message);
    this.code = code;
  }
}

// loadWasm fetches and starts the program once.
function loadWasm() {
  if (!wasm) {
    wasm = (async () => {
      await new Promise((resolve, reject) => {
        const s = document.createElement('script');
        s.src = WASM_EXEC;
        s.onload = resolve;
        s.onerror = () => reject(new Error('could not load the secret chats'));
        document.head.appendChild(s);
      });
      const go = new globalThis.Go();
      const { instance } = await WebAssembly.instantiateStreaming(fetch(SECRET_WASM), go.importObject);
      go.run(instance);
      api.on('push', (f) => {
        if (f.push === 'secret.envelope' && loading) receiveSoon();
      });
      return Object.assign(globalThis.havenSecret, globalThis.havenSecretMore);
    })().catch((e) => { wasm = null; throw e; });
  }
  return wasm;
}

// page is the program's way to the server: it links no HTTP client of
// its own, so its calls go through the page's connection (as JSON text
// both ways), and a file's ciphertext goes up and down with the page's
// own uploads and fetch.
const page = {
  call: (method, params) => api.call(method, JSON.parse(params)).then((r) => JSON.stringify(r ?? null)),
  shareFile: async (bytes) => {
    const id = await uploadNow(new Blob([bytes], { type: 'application/octet-stream' }), 'file');
    return (await api.call('secret.shareFile', { file_id: id })).url;
  },
  fetchFile,
};

// fetchFile fetches a file shared by secret.shareFile (its URL is signed:
// no token goes with it), reading at most limit bytes.
async function fetchFile(url, limit) {
  let res;
  try {
    res = await fetch(url, { cache: 'no-store' });
  } catch {
    throw new ApiError('NETWORK', 'no connection');
  }
  if (!res.ok) {
    const body = await res.json().catch(() => null);
    if (body && body.error) throw new ApiError(body.error.code || 'INTERNAL', body.error.message);
    throw new ApiError(res.status >= 500 ? 'NETWORK' : 'INTERNAL', 'the server answered ' + res.status);
  }
  const parts = [];
  let n = 0;
  const reader = res.body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    n += value.length;
    if (n > limit) {
      reader.cancel();
      throw new ApiError('FILE_TOO_LARGE', 'the file is larger than its message says');
    }
    parts.push(value);
  }
  const out = new Uint8Array(n);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

// secretChats resolves with the opened havenSecret API (secretwasm's
// doc) for this session's device, creating the account's first device
// when it has none; it rejects with SecretError NEED_LINK when the
// account has devices elsewhere that this one must be linked to.
export function secretChats() {
  if (!loading) loading = opened((hs) => hs.setup(page, store(api.token))).catch((e) => { loading = null; throw e; });
  return loading;
}

// linkSecret makes this session a device of the account's secret chats
// with the account key shown by another of its devices.
export function linkSecret(key) {
  loading = opened((hs) => hs.link(page, store(api.token), key)).catch((e) => { loading = null; throw e; });
  return loading;
}

// startSecretOver gives the account a new account key with this device
// as its only one: its other devices are cut off, contacts warned.
export function startSecretOver() {
  loading = opened((hs) => hs.create(page, store(api.token))).catch((e) => { loading = null; throw e; });
  return loading;
}

async function opened(f) {
  const hs = await loadWasm();
  const r = await f(hs);
  if (r.need_link) throw new SecretError('NEED_LINK', 'link this device first');
  setTimeout(() => { receiveSoon(); refreshList(hs); }, 0);
  return hs;
}

// A session that has a device here opens its secret chats once
// connected, after the page is up (it does not weigh on the first
// load): the list shows them and their envelopes are fetched as they
// come.
api.on('open', async () => {
  if (loading || !api.token) return;
  const token = api.token;
  try {
    // No database, no device: none is made just to look.
    if (indexedDB.databases && !(await indexedDB.databases()).some((d) => d.name === 'haven-secret')) return;
    if ((await store(token).load()) && api.token === token && !loading) await secretChats();
  } catch (e) {
    console.warn('secret', e);
  }
});

// refreshList puts the secret chats, newest first, in S.secretChats for
// the chat list.
async function refreshList(hs) {
  try {
    S.secretChats = (await hs.chats()) || [];
    emit();
  } catch (e) {
    console.warn('secret', e);
  }
}

// searchSecret finds the messages of this device's secret chats that
// match query, on the device: the server cannot search them. Nothing
// when secret chats are not open here.
export async function searchSecret(query) {
  if (!loading || !query.trim()) return [];
  try {
    return await (await loading).search(query);
  } catch {
    return [];
  }
}

// openSecret opens the secret chat with a person, over the private chat
// with them.
export function openSecret(userId) {
  openChat({ userId });
  S.ui.secret = { userId };
  emit();
}

// openDB opens the database of the state, once.
function openDB() {
  if (!conn) {
    conn = new Promise((resolve, reject) => {
      const r = indexedDB.open('haven-secret', 1);
      r.onupgradeneeded = () => r.result.createObjectStore('state');
      r.onsuccess = () => resolve(r.result);
      r.onerror = () => reject(r.error);
    });
    conn.catch(() => { conn = null; });
  }
  return conn;
}

// store keeps the state of the session's device in IndexedDB, one
// record per session (a device is a session's), under a hash of its
// token rather than the token.
function store(token) {
  const key = sha256Bytes(new TextEncoder().encode(token));
  const run = (mode, f) => openDB().then((d) => new Promise((resolve, reject) => {
    const tx = d.transaction('state', mode);
    const req = f(tx.objectStore('state'));
    tx.oncomplete = () => resolve(req.result);
    tx.onerror = () => reject(tx.error);
    tx.onabort = () => reject(tx.error);
  }));
  return {
    load: () => run('readonly', (s) => s.get(key)).then((v) => v || null),
    save: (bytes) => run('readwrite', (s) => s.put(bytes, key)).then(() => true),
  };
}

// forgetSecrets deletes the device's state (its keys, sessions and
// messages) on sign-out: the session it belonged to is over, and nothing
// of the account stays in the browser. The next session makes a new
// device.
export async function forgetSecrets() {
  loading = null;
  S.secretChats = [];
  const c = conn;
  conn = null;
  if (c) await c.then((d) => d.close()).catch(() => {});
  return new Promise((resolve) => {
    const r = indexedDB.deleteDatabase('haven-secret');
    r.onsuccess = r.onerror = r.onblocked = () => resolve();
  });
}

const listeners = new Set();

// secretChanged tells the list that the device sent or deleted.
export function secretChanged() {
  if (loading) loading.then(refreshList).catch(() => {});
}

// onSecret calls f after every receive that found something.
export function onSecret(f) {
  listeners.add(f);
  return () => listeners.delete(f);
}

let receiving = null;
let again = false;

// receiveSoon fetches and opens what waits for the device, one receive
// at a time.
export function receiveSoon() {
  if (receiving) {
    again = true;
    return receiving;
  }
  receiving = (async () => {
    try {
      do {
        again = false;
        const hs = await secretChats();
        const evs = await hs.receive();
        if (evs.length) {
          for (const f of listeners) f(evs);
          await refreshList(hs);
        }
      } while (again);
    } catch (e) {
      console.warn('secret', e);
    } finally {
      receiving = null;
    }
  })();
  return receiving;
}
