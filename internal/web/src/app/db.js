// What the app keeps in the browser (IndexedDB): the outbox of messages
// not yet acknowledged, and a snapshot of the chat list, the people and
// the recent messages with the sync state they match, so the app opens
// without a network and catches up from there.

import { forgetSecrets } from './secret.js';

const NAME = 'haven';
let dbp = null;

function open() {
  if (dbp) return dbp;
  dbp = new Promise((resolve, reject) => {
    const r = indexedDB.open(NAME, 1);
    r.onupgradeneeded = () => {
      const db = r.result;
      db.createObjectStore('kv');
      db.createObjectStore('outbox', { keyPath: 'random_id' });
    };
    r.onsuccess = () => resolve(r.result);
    r.onerror = () => reject(r.error);
  });
  return dbp;
}

function tx(store, mode, f) {
  return open().then((db) => new Promise((resolve, reject) => {
    const t = db.transaction(store, mode);
    const res = f(t.objectStore(store));
    t.oncomplete = () => resolve(res && 'result' in res ? res.result : undefined);
    t.onerror = () => reject(t.error);
    t.onabort = () => reject(t.error);
  }));
}

export const kvGet = (k) => tx('kv', 'readonly', (s) => s.get(k)).catch(() => undefined);
export const kvSet = (k, v) => tx('kv', 'readwrite', (s) => s.put(v, k));
export const kvDel = (k) => tx('kv', 'readwrite', (s) => s.delete(k));

export const outboxAll = () => tx('outbox', 'readonly', (s) => s.getAll()).catch(() => []);
export const outboxPut = (e) => tx('outbox', 'readwrite', (s) => s.put(e));
export const outboxDel = (id) => tx('outbox', 'readwrite', (s) => s.delete(id));

// wipe forgets everything kept: on sign-out, nothing of the account
// stays in the browser.
export async function wipe() {
  await tx('kv', 'readwrite', (s) => s.clear()).catch(() => {});
  await tx('outbox', 'readwrite', (s) => s.clear()).catch(() => {});
  await forgetSecrets();
}
