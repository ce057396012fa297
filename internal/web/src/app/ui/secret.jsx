// The secret chat with a person: end-to-end encrypted between every
// device of both (../secret.js). Its messages live only on the devices;
// this view shows them, sends text, and shows the safety number to
// compare with the person's.

import { useEffect, useState } from 'preact/hooks';
import { S, emit, userName } from '../state.js';
import { clock } from '../util.js';
import { secretChats, receiveSoon, onSecret } from '../secret.js';
import { Icon } from './icons.jsx';
import { Spinner, openMenu, longPress } from './common.jsx';

export function SecretView({ userId }) {
  const peer = S.users.get(userId);
  const [hs, setHs] = useState(null);
  const [err, setErr] = useState('');
  const [msgs, setMsgs] = useState([]);
  const [safety, setSafety] = useState('');
  const [text, setText] = useState('');
  const [ttl, setTtl] = useState(0);
  const [changed, setChanged] = useState(null); // 'identity' or a note on devices
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
      for (const w of await h.warnings()) {
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
    secretChats().then((got) => {
      if (!live) return;
      h = got;
      setHs(h);
      refresh(h);
      h.safetyNumber(userId).then(setSafety).catch((e) => setErr(e.message));
      off = onSecret(() => refresh(h));
      receiveSoon();
    }).catch((e) => live && setErr(e.message));
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
      refresh(hs);
    } catch (e) {
      setText(t);
      if (e.code === 'IDENTITY_CHANGED') setChanged('identity');
      else setErr(e.code === 'NO_SECRET_DEVICES' ? `${first} has no device that can receive secret messages yet.` : e.message);
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
      </header>
      {safety && (
        <div class="secret-safety">
          <span class="muted">Safety number — compare it with {userName(peer).split(' ')[0]}’s:</span>
          <code id="secret-safety">{safety.match(/.{1,5}/g).join(' ')}</code>
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
      <div class="messages-wrap">
        <div class="messages" role="log" aria-label="Secret messages" aria-live="polite" id="secret-messages">
          <div class="messages-inner">
            {!hs && !err && <Spinner />}
            {msgs.map((m) => (
              <div key={m.id} class={'msg secret-msg' + (m.out ? ' out' : ' in')} data-id={m.id} {...longPress((x, y) => openMenu(x, y, [
                { label: 'Copy text', icon: 'copy', onClick: () => navigator.clipboard && navigator.clipboard.writeText(m.text || '') },
                // No forwarding: a secret message stays in its chat.
                { label: 'Delete for both', icon: 'trash', danger: true, onClick: () => hs.delete(userId, [m.id]).then(() => refresh(hs)).catch((er) => setErr(er.message)) },
              ]))}>
                <div class="bubble">
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
