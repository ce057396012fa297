// The secret chat with a person: end-to-end encrypted between every
// device of both (../secret.js). Its messages live only on the devices;
// this view shows them, sends text, and shows the safety number to
// compare with the person's.

import { useEffect, useState } from 'preact/hooks';
import { S, emit, userName } from '../state.js';
import { clock } from '../util.js';
import { secretChats, receiveSoon, onSecret } from '../secret.js';
import { Icon } from './icons.jsx';
import { Spinner } from './common.jsx';

export function SecretView({ userId }) {
  const peer = S.users.get(userId);
  const [hs, setHs] = useState(null);
  const [err, setErr] = useState('');
  const [msgs, setMsgs] = useState([]);
  const [safety, setSafety] = useState('');
  const [text, setText] = useState('');
  const refresh = (h) => h.messages(userId).then(setMsgs).catch((e) => setErr(e.message));
  useEffect(() => {
    let live = true;
    let off = () => {};
    secretChats().then((h) => {
      if (!live) return;
      setHs(h);
      refresh(h);
      h.safetyNumber(userId).then(setSafety).catch((e) => setErr(e.message));
      off = onSecret(() => refresh(h));
      receiveSoon();
    }).catch((e) => live && setErr(e.message));
    // A push says when an envelope waits; this catches one missed while
    // the socket was down.
    const t = setInterval(() => receiveSoon(), 5000);
    return () => { live = false; off(); clearInterval(t); };
  }, [userId]);
  const send = async () => {
    const t = text.trim();
    if (!t || !hs) return;
    setText('');
    try {
      await hs.send(userId, t);
      refresh(hs);
    } catch (e) {
      setText(t);
      setErr(e.message);
    }
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
      {err && <div class="secret-error" role="alert" id="secret-error">{err}</div>}
      <div class="messages-wrap">
        <div class="messages" role="log" aria-label="Secret messages" aria-live="polite" id="secret-messages">
          <div class="messages-inner">
            {!hs && !err && <Spinner />}
            {msgs.map((m) => (
              <div key={m.id} class={'msg secret-msg' + (m.out ? ' out' : ' in')} data-id={m.id}>
                <div class="bubble">
                  {m.text && <div class="text" dir="auto">{m.text}</div>}
                  <span class="meta after-text">{clock(m.date)}</span>
                </div>
              </div>
            ))}
          </div>
        </div>
      </div>
      <div class="composer-bar">
        <div class="composer">
          <textarea id="secret-input" class="composer-input" rows={1} placeholder="Secret message" aria-label="Secret message" value={text}
            disabled={!hs} onInput={(e) => setText(e.currentTarget.value)}
            onKeyDown={(e) => { if (e.key === 'Enter' && !e.shiftKey) { e.preventDefault(); send(); } }} />
          <button class="send-btn" aria-label="Send secret message" id="secret-send" disabled={!hs} onClick={send}><Icon name="send" /></button>
        </div>
      </div>
    </main>
  );
}
