// The secret chat with a person: end-to-end encrypted between every
// device of both (../secret.js). Its messages live only on the devices;
// this view shows them, sends text and files (encrypted in the page
// under a key only the message carries), and shows the safety number,
// as digits and as a QR code, to compare with the person's.

import { useEffect, useRef, useState } from 'preact/hooks';
import { S, emit, userName } from '../state.js';
import { clock, fileSize } from '../util.js';
import { secretChats, receiveSoon, onSecret, secretChanged, linkSecret, startSecretOver } from '../secret.js';
import { Icon } from './icons.jsx';
import { Spinner, openMenu, longPress, Modal, openDialog, closeDialog, confirm } from './common.jsx';

export function SecretView({ userId }) {
  const peer = S.users.get(userId);
  const [hs, setHs] = useState(null);
  const [err, setErr] = useState('');
  const [msgs, setMsgs] = useState([]);
  const [safety, setSafety] = useState('');
  const [text, setText] = useState('');
  const [ttl, setTtl] = useState(0);
  const [changed, setChanged] = useState(null); // 'identity' or a note on devices
  const [needLink, setNeedLink] = useState(false);
  const [showQR, setShowQR] = useState(null); // the safety number's QR code, when shown
  const [sending, setSending] = useState('');
  const fileInput = useRef(null);
  const first = userName(peer).split(' ')[0];
  const refresh = async (h) => {
    try {
      let l = await h.messages(userId);
      // Seen while the chat is open and the page in view: read, and
      // their timers start here and on every device.
      if (document.visibilityState === 'visible' && l.some((m) => !m.out && !m.read_at)) {
        await h.markRead(userId);
        l = await h.messages(userId);
      }
      setMsgs(l);
      for (const w of (await h.warnings()) || []) {
        if (w.user !== userId) continue;
        if (w.kind === 'identity_changed') setChanged('identity');
        else setChanged((c) => c === 'identity' ? c : `${first} ${w.added && w.added.length ? 'added' : 'removed'} a device.`);
      }
    } catch (e) {
      setErr(e.message);
    }
  };
  useEffect(() => {
    let live = true;
    let off = () => {};
    let h = null;
    const ready = (got) => {
      if (!live) return;
      h = got;
      setHs(h);
      setNeedLink(false);
      refresh(h);
      h.safetyNumber(userId).then(setSafety).catch((e) => setErr(e.message));
      off = onSecret(() => refresh(h));
      receiveSoon();
    };
    const failed = (e) => {
      if (!live) return;
      if (e.code === 'NEED_LINK') setNeedLink(() => (p) => p.then(ready, failed));
      else setErr(e.message);
    };
    secretChats().then(ready, failed);
    // Every second the timers that ran out take their messages away; a
    // push says when an envelope waits, and every 5 s a receive catches
    // one missed while the socket was down.
    let n = 0;
    const t = setInterval(() => {
      if (!h) return;
      if (++n % 5 === 0) receiveSoon();
      else refresh(h);
    }, 1000);
    return () => { live = false; off(); clearInterval(t); };
  }, [userId]);
  const send = async () => {
    const t = text.trim();
    if (!t || !hs) return;
    setText('');
    setErr('');
    try {
      await hs.send(userId, t, ttl);
      secretChanged();
      refresh(hs);
    } catch (e) {
      setText(t);
      if (e.code === 'IDENTITY_CHANGED') setChanged('identity');
      else setErr(e.code === 'NO_SECRET_DEVICES' ? `${first} has no device that can receive secret messages yet.` : e.message);
    }
  };
  const sendFile = async (f) => {
    if (!f || !hs) return;
    setErr('');
    if (f.size > FILE_MAX) {
      setErr(`${f.name} is larger than 64 MB, the most a secret chat sends.`);
      return;
    }
    setSending(f.name);
    try {
      await hs.sendFile(userId, f.name, new Uint8Array(await f.arrayBuffer()), '', ttl);
      secretChanged();
      refresh(hs);
    } catch (e) {
      if (e.code === 'IDENTITY_CHANGED') setChanged('identity');
      else setErr(e.message);
    } finally {
      setSending('');
    }
  };
  const accept = async () => {
    await hs.acceptIdentity(userId);
    setChanged(null);
    setSafety(await hs.safetyNumber(userId));
  };
  return (
    <main class="chat secret-chat" aria-label="Secret chat">
      <header class="chat-head">
        <button class="icon-btn back-btn" aria-label="Leave the secret chat" onClick={() => { S.ui.secret = null; emit(); }}><Icon name="back" /></button>
        <span class="chat-head-main">
          <span class="chat-head-text">
            <span class="chat-title" id="secret-title"><Icon name="lock" size={14} /> {userName(peer)}</span>
            <span class="chat-sub muted">Secret chat: end-to-end encrypted</span>
          </span>
        </span>
        {hs && <button class="icon-btn" aria-label="Link another device" id="secret-link-device" title="Link another device of yours" onClick={() => showAccountKey(hs)}><Icon name="devices" /></button>}
      </header>
      {needLink && <LinkDevice onDone={needLink} />}
      {safety && (
        <div class="secret-safety">
          <span class="muted">Safety number — compare it with {userName(peer).split(' ')[0]}’s:</span>
          <code id="secret-safety">{safety.match(/.{1,5}/g).join(' ')}</code>
          <button class="btn flat small" id="secret-safety-qr-toggle" onClick={() => showQR ? setShowQR(null) : hs.safetyQR(userId).then(setShowQR).catch((e) => setErr(e.message))}>
            {showQR ? 'Hide the QR code' : 'Show as QR code'}
          </button>
          {showQR && <QR code={showQR} id="secret-safety-qr" label={'Safety number with ' + userName(peer) + ' as a QR code'} />}
        </div>
      )}
      {changed === 'identity' && (
        <div class="secret-warning" role="alert" id="secret-identity">
          <p>{first}’s secret-chat key changed: they reinstalled, or someone is in the middle. Compare the safety number with {first} again (in person or on a call you trust) before you send anything.</p>
          <button class="btn primary" id="secret-accept" onClick={accept}>The numbers match: accept the new key</button>
        </div>
      )}
      {changed && changed !== 'identity' && (
        <div class="secret-warning" role="status" id="secret-devices">{changed} <button class="btn flat" onClick={() => setChanged(null)}>OK</button></div>
      )}
      {err && <div class="secret-error" role="alert" id="secret-error">{err}</div>}
      {sending && <div class="secret-sending muted" role="status">Encrypting and sending {sending}…</div>}
      <div class="messages-wrap">
        <div class="messages" role="log" aria-label="Secret messages" aria-live="polite" id="secret-messages">
          <div class="messages-inner">
            {!hs && !err && <Spinner />}
            {msgs.map((m) => (
              <div key={m.id} class={'msg secret-msg' + (m.out ? ' out' : ' in')} data-id={m.id} {...longPress((x, y) => openMenu(x, y, [
                { label: 'Copy text', icon: 'copy', onClick: () => navigator.clipboard && navigator.clipboard.writeText(m.text || '') },
                // No forwarding: a secret message stays in its chat.
                { label: 'Delete for both', icon: 'trash', danger: true, onClick: () => hs.delete(userId, [m.id]).then(() => { secretChanged(); refresh(hs); }).catch((er) => setErr(er.message)) },
              ]))}>
                <div class="bubble">
                  {m.file && <SecretFile hs={hs} userId={userId} m={m} />}
                  {m.text && <div class="text" dir="auto">{m.text}</div>}
                  <span class="meta after-text">
                    {m.ttl > 0 && <span class="secret-ttl" title={'Self-destructs ' + ttlLabel(m.ttl) + ' after it is read'}><Icon name="timer" size={12} /> {m.expires_at ? left(m.expires_at) : ttlLabel(m.ttl)} </span>}
                    {clock(m.date)}
                  </span>
                </div>
              </div>
            ))}
          </div>
        </div>
      </div>
      <div class="composer-bar">
        <div class="composer">
          <select id="secret-ttl" class="secret-ttl-pick" aria-label="Self-destruct timer" value={ttl} onChange={(e) => setTtl(+e.currentTarget.value)}>
            {TTLS.map((v) => <option value={v}>{v ? ttlLabel(v) : 'No timer'}</option>)}
          </select>
          <button class="icon-btn" aria-label="Send a file secretly" id="secret-attach" disabled={!hs || !!sending} onClick={() => fileInput.current.click()}><Icon name="attach" /></button>
          <input type="file" ref={fileInput} id="secret-file" hidden onChange={(e) => { const f = e.currentTarget.files[0]; e.currentTarget.value = ''; sendFile(f); }} />
          <textarea id="secret-input" class="composer-input" rows={1} placeholder="Secret message" aria-label="Secret message" value={text}
            disabled={!hs} onInput={(e) => setText(e.currentTarget.value)}
            onKeyDown={(e) => { if (e.key === 'Enter' && !e.shiftKey) { e.preventDefault(); send(); } }} />
          <button class="send-btn" aria-label="Send secret message" id="secret-send" disabled={!hs} onClick={send}><Icon name="send" /></button>
        </div>
      </div>
    </main>
  );
}

// The self-destruct timers offered: a message disappears on every device
// this long after the other person read it.
const TTLS = [0, 5, 60, 3600, 86400, 604800];

function ttlLabel(s) {
  if (s < 60) return s + ' s';
  if (s < 3600) return Math.round(s / 60) + ' min';
  if (s < 86400) return Math.round(s / 3600) + ' h';
  return Math.round(s / 86400) + ' d';
}

function left(at) {
  return ttlLabel(Math.max(0, Math.ceil(at - Date.now() / 1000)));
}

// FILE_MAX is the largest file sent from the page: it is encrypted in
// memory (the same bound as the program's).
const FILE_MAX = 64 << 20;

// PREVIEW_MAX is the largest photo fetched and decrypted as soon as it
// is shown; a larger one waits for a click.
const PREVIEW_MAX = 10 << 20;

const IMAGE_TYPES = { jpg: 'image/jpeg', jpeg: 'image/jpeg', png: 'image/png', gif: 'image/gif', webp: 'image/webp', avif: 'image/avif' };

function imageType(name) {
  const ext = (name || '').toLowerCase().split('.').pop();
  return IMAGE_TYPES[ext] || '';
}

// SecretFile is a message's file: its ciphertext is fetched from the
// server and decrypted here, with the key and digest the message
// carries. A photo shows itself; another file is saved on a click.
function SecretFile({ hs, userId, m }) {
  const f = m.file;
  const type = imageType(f.name);
  const [url, setUrl] = useState('');
  const [state, setState] = useState(''); // '', 'opening', an error
  const open = async () => {
    setState('opening');
    try {
      const bytes = await hs.openFile(userId, m.id);
      const u = URL.createObjectURL(new Blob([bytes], { type: type || 'application/octet-stream' }));
      setUrl(u);
      setState('');
      return u;
    } catch (e) {
      setState('Could not open the file: ' + e.message);
      return '';
    }
  };
  useEffect(() => {
    if (type && f.size <= PREVIEW_MAX) open();
  }, [m.id]);
  useEffect(() => () => url && URL.revokeObjectURL(url), [url]);
  const save = async () => {
    const u = url || (await open());
    if (!u) return;
    const a = document.createElement('a');
    a.href = u;
    a.download = f.name || 'file';
    a.click();
  };
  if (type && url) {
    return <img class="secret-photo" src={url} alt={f.name} data-file={m.id} onClick={save} title={'Save ' + f.name} />;
  }
  return (
    <button class="secret-file" data-file={m.id} onClick={save} disabled={state === 'opening'}>
      <Icon name={state === 'opening' ? 'clock' : 'download'} />
      <span class="secret-file-name">{f.name}</span>
      <span class="muted">{state && state !== 'opening' ? state : fileSize(f.size)}</span>
    </button>
  );
}

// QR draws a QR code ({size, rows} from the program) as an SVG, dark on
// light with the quiet zone of four modules that scanners need.
export function QR({ code, id, label }) {
  const n = code.size + 8;
  let d = '';
  code.rows.forEach((r, y) => {
    for (let x = 0; x < r.length; x++) if (r[x] === '1') d += `M${x + 4} ${y + 4}h1v1h-1z`;
  });
  return (
    <svg id={id} class="qr" viewBox={`0 0 ${n} ${n}`} width="224" height="224" role="img" aria-label={label}>
      <rect width={n} height={n} fill="#fff" />
      <path d={d} fill="#000" shape-rendering="crispEdges" />
    </svg>
  );
}

// showAccountKey shows the account key that links another device of
// the person's to their secret chats: as a QR code and as text to type.
async function showAccountKey(hs) {
  const k = await hs.accountKey();
  openDialog(() => (
    <Modal title="Link another device" onClose={closeDialog}>
      <p>On your other device, open a secret chat and give it this account key: scan the code or type it. Anyone who has it can read your future secret chats: show it to no one else.</p>
      <QR code={k.qr} id="secret-account-qr" label="Account key as a QR code" />
      <code id="secret-account-key" class="secret-account-key">{k.text}</code>
      <div class="modal-actions"><button class="btn primary" onClick={closeDialog}>Done</button></div>
    </Modal>
  ));
}

// LinkDevice asks for the account key of another device of the
// person's (this session has none, and the account has some), or starts
// over, which cuts the others off.
function LinkDevice({ onDone }) {
  const [key, setKey] = useState('');
  const [err, setErr] = useState('');
  const [busy, setBusy] = useState(false);
  const run = (p) => {
    setBusy(true);
    setErr('');
    // A failure stays here, to try again: the view waits on.
    onDone(p.catch((e) => {
      setBusy(false);
      setErr(e.message);
      return new Promise(() => {});
    }));
  };
  return (
    <div class="secret-link" id="secret-link">
      <p>You have secret chats on another device. To read and send them here too, open a secret chat there, choose <b>Link another device</b>, and type the account key it shows.</p>
      <input id="secret-link-key" class="input" aria-label="Account key" placeholder="Account key (64 letters and digits)" value={key}
        onInput={(e) => setKey(e.currentTarget.value)} onKeyDown={(e) => { if (e.key === 'Enter' && key.trim()) run(linkSecret(key)); }} />
      {err && <div class="secret-error" role="alert">{err}</div>}
      <div class="modal-actions">
        <button class="btn flat danger" id="secret-start-over" disabled={busy} onClick={async () => {
          if (await confirm('Start over? Your other devices will no longer receive secret messages, and your contacts will see that your key changed.', { ok: 'Start over', danger: true })) run(startSecretOver());
        }}>Start over</button>
        <button class="btn primary" id="secret-link-go" disabled={busy || !key.trim()} onClick={() => run(linkSecret(key))}>Link this device</button>
      </div>
    </div>
  );
}
