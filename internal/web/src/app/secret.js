// Secret chats (docs/e2ee.md): the Go SDK's secret layer compiled to
// WebAssembly (../../secretwasm), fetched only when a secret chat is
// first opened, so it costs nothing to people who never open one. Its
// state, the device's private keys included, is kept in IndexedDB and
// never sent anywhere; the server sees only sealed envelopes.

import { api } from './api.js';
import { sha256Bytes } from './sha256.js';

let loading = null;
let conn = null; // the open IndexedDB of the state

// secretChats resolves with the opened havenSecret API (secretwasm's
// doc) for this session's device, creating the device the first time.
export function secretChats() {
  if (!loading) loading = load().catch((e) => { loading = null; throw e; });
  return loading;
}

async function load() {
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
  const hs = globalThis.havenSecret;
  // The program's calls go through the page's connection (it links no
  // HTTP client of its own), as JSON text both ways.
  const page = { call: (method, params) => api.call(method, JSON.parse(params)).then((r) => JSON.stringify(r ?? null)) };
  await hs.open(page, store(api.token));
  api.on('push', (f) => {
    if (f.push === 'secret.envelope') receiveSoon();
  });
  return hs;
}

// store keeps the state of the session's device in IndexedDB, one
// record per session (a device is a session's), under a hash of its
// token rather than the token.
function store(token) {
  const key = sha256Bytes(new TextEncoder().encode(token));
  const db = new Promise((resolve, reject) => {
    const r = indexedDB.open('haven-secret', 1);
    r.onupgradeneeded = () => r.result.createObjectStore('state');
    r.onsuccess = () => resolve(conn = r.result);
    r.onerror = () => reject(r.error);
  });
  const run = (mode, f) => db.then((d) => new Promise((resolve, reject) => {
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
export function forgetSecrets() {
  loading = null;
  if (conn) conn.close();
  conn = null;
  return new Promise((resolve) => {
    const r = indexedDB.deleteDatabase('haven-secret');
    r.onsuccess = r.onerror = r.onblocked = () => resolve();
  });
}

const listeners = new Set();

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
        if (evs.length) for (const f of listeners) f(evs);
      } while (again);
    } catch (e) {
      console.warn('secret', e);
    } finally {
      receiving = null;
    }
  })();
  return receiving;
}
