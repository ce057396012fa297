// The connection to the server: API calls over the WebSocket when it is
// up (HTTP otherwise), pushes, and reconnection with backoff. The sync
// engine (sync.js) listens to 'open' and 'push' and does the catching up.

const TOKEN = 'haven.token';

// ApiError is a failed call: code is the API's error code, or NETWORK
// when the server could not be reached (the call may not have run).
export class ApiError extends Error {
  constructor(code, message, retryAfter) {
    super(message || code);
    this.code = code;
    this.retryAfter = retryAfter || 0;
  }
}

export const isNetwork = (e) => e && e.code === 'NETWORK';

class Api {
  constructor() {
    this.token = localStorage.getItem(TOKEN) || '';
    this.ws = null;
    this.ready = false; // the socket is open and authorized
    this.pending = new Map();
    this.nextId = 1;
    this.listeners = new Map();
    this.backoff = 0;
    this.timer = 0;
    this.lastFrame = 0;
    this.unsupported = new Set(); // methods the server answered METHOD_NOT_FOUND
    this.stopped = true;
    addEventListener('online', () => this.connectSoon(0));
    addEventListener('offline', () => this.drop());
    document.addEventListener('visibilitychange', () => {
      if (document.visibilityState === 'visible' && !this.ws) this.connectSoon(0);
    });
    setInterval(() => this.heartbeat(), 15000);
  }

  on(kind, f) {
    if (!this.listeners.has(kind)) this.listeners.set(kind, new Set());
    this.listeners.get(kind).add(f);
  }

  fire(kind, data) {
    for (const f of this.listeners.get(kind) || []) {
      try {
        f(data);
      } catch (e) {
        console.error(e);
      }
    }
  }

  setToken(t) {
    this.token = t || '';
    if (t) localStorage.setItem(TOKEN, t);
    else localStorage.removeItem(TOKEN);
  }

  // call runs an API method and resolves with its result, or rejects
  // with an ApiError.
  call(method, params) {
    if (this.ready && this.ws && this.ws.readyState === WebSocket.OPEN) return this.wsCall(method, params);
    return this.httpCall(method, params);
  }

  // has tells whether the server has a method, as far as known: a method
  // answered METHOD_NOT_FOUND once is taken as missing.
  has(method) {
    return !this.unsupported.has(method);
  }

  async httpCall(method, params) {
    let res;
    try {
      res = await fetch('/api/' + method, {
        method: 'POST',
        headers: {
          'Content-Type': 'application/json',
          ...(this.token ? { Authorization: 'Bearer ' + this.token } : {}),
        },
        body: JSON.stringify(params || {}),
        cache: 'no-store',
      });
    } catch {
      throw new ApiError('NETWORK', 'no connection');
    }
    let body;
    try {
      body = await res.json();
    } catch {
      throw new ApiError(res.status >= 500 ? 'NETWORK' : 'INTERNAL', 'the server answered ' + res.status);
    }
    return this.settle(method, body);
  }

  settle(method, body) {
    if (body.ok) return body.result;
    const e = body.error || {};
    if (e.code === 'METHOD_NOT_FOUND') this.unsupported.add(method);
    if (e.code === 'AUTH_TOKEN_INVALID' && this.token) this.fire('loggedOut');
    throw new ApiError(e.code || 'INTERNAL', e.message, e.retry_after);
  }

  wsCall(method, params) {
    const id = this.nextId++;
    const ws = this.ws;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new ApiError('NETWORK', 'no answer'));
        // A socket that answers nothing in 30 seconds is dead.
        if (this.ws === ws) this.drop();
      }, 30000);
      this.pending.set(id, { method, resolve, reject, timer });
      try {
        ws.send(JSON.stringify({ id, method, params: params || {} }));
      } catch {
        clearTimeout(timer);
        this.pending.delete(id);
        reject(new ApiError('NETWORK', 'no connection'));
      }
    });
  }

  // start keeps a socket open (reconnecting) until stop.
  start() {
    this.stopped = false;
    this.connectSoon(0);
  }

  stop() {
    this.stopped = true;
    clearTimeout(this.timer);
    this.drop();
  }

  connectSoon(ms) {
    if (this.stopped || !this.token) return;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.connect(), ms);
  }

  connect() {
    if (this.stopped || this.ws) return;
    const proto = location.protocol === 'https:' ? 'wss:' : 'ws:';
    let ws;
    try {
      ws = new WebSocket(proto + '//' + location.host + '/api/ws?batch=1');
    } catch {
      this.retry();
      return;
    }
    this.ws = ws;
    this.fire('state', 'connecting');
    ws.onopen = async () => {
      this.lastFrame = Date.now();
      try {
        const me = await this.wsCall('auth.useToken', { token: this.token });
        if (this.ws !== ws) return;
        this.ready = true;
        this.backoff = 0;
        this.fire('open', me);
      } catch (e) {
        if (e.code === 'AUTH_TOKEN_INVALID') {
          this.fire('loggedOut');
          return;
        }
        if (this.ws === ws) this.drop();
      }
    };
    ws.onmessage = (ev) => {
      this.lastFrame = Date.now();
      if (typeof ev.data !== 'string') return;
      for (const line of ev.data.split('\n')) {
        if (!line) continue;
        let f;
        try {
          f = JSON.parse(line);
        } catch {
          continue;
        }
        if (f.push) {
          if (f.push === 'session.ended') this.fire('loggedOut');
          else this.fire('push', f);
          continue;
        }
        const p = this.pending.get(f.id);
        if (!p) continue;
        this.pending.delete(f.id);
        clearTimeout(p.timer);
        try {
          p.resolve(this.settle(p.method, f));
        } catch (e) {
          p.reject(e);
        }
      }
    };
    ws.onclose = (ev) => {
      if (this.ws !== ws) return;
      this.closed();
      if (ev.code === 4001) {
        this.fire('loggedOut');
        return;
      }
      this.retry();
    };
    ws.onerror = () => {};
  }

  // closed forgets the socket and fails the calls waiting on it: their
  // callers retry (a send keeps its random_id, so it happens once).
  closed() {
    this.ws = null;
    this.ready = false;
    for (const [, p] of this.pending) {
      clearTimeout(p.timer);
      p.reject(new ApiError('NETWORK', 'connection lost'));
    }
    this.pending.clear();
    this.fire('state', 'offline');
  }

  drop() {
    const ws = this.ws;
    if (!ws) return;
    this.closed();
    try {
      ws.close();
    } catch {
      // already closed
    }
    this.retry();
  }

  retry() {
    if (this.stopped) return;
    // Exponential backoff with jitter, from half a second to 30 seconds.
    this.backoff = Math.min(this.backoff ? this.backoff * 2 : 500, 30000);
    const ms = navigator.onLine === false ? 30000 : this.backoff * (0.5 + Math.random() / 2);
    this.connectSoon(ms);
  }

  // heartbeat checks a quiet socket with a cheap call; a socket that
  // does not answer is dropped and reopened.
  heartbeat() {
    if (!this.ready || Date.now() - this.lastFrame < 25000) return;
    this.wsCall('sync.getState', {}).catch(() => {});
  }

  // upload sends one part of a file; onProgress gets the bytes sent.
  putPart(uploadId, part, blob, onProgress) {
    return new Promise((resolve, reject) => {
      const x = new XMLHttpRequest();
      x.open('PUT', `/api/files/${uploadId}/${part}`);
      x.setRequestHeader('Authorization', 'Bearer ' + this.token);
      x.setRequestHeader('Content-Type', 'application/octet-stream');
      x.upload.onprogress = (e) => onProgress && onProgress(e.loaded);
      x.onload = () => {
        let body = {};
        try {
          body = JSON.parse(x.responseText);
        } catch {
          body = { ok: false, error: { code: x.status >= 500 ? 'NETWORK' : 'INTERNAL' } };
        }
        try {
          resolve(this.settle('files.putPart', body));
        } catch (e) {
          reject(e);
        }
      };
      x.onerror = () => reject(new ApiError('NETWORK', 'no connection'));
      x.send(blob);
    });
  }
}

export const api = new Api();
