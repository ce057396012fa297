// The composer: a text box that grows (Enter sends, Shift+Enter starts a
// new line), light markup with shortcuts, replies and edits, drafts per
// chat, files (picked, pasted or dropped) and voice notes.
import { useEffect, useRef, useState } from 'preact/hooks';
import { api } from '../api.js';
import { S, emit, chatKey, toast, chatTitle } from '../state.js';
import { parseMarkup, toMarkup } from '../format.js';
import { preview } from '../preview.js';
import { queue } from '../outbox.js';
import { canRecord, record } from '../recorder.js';
import { fileSize, duration, blobURL, senderName } from '../util.js';
import { Icon } from './icons.jsx';
import { Modal, openDialog, closeDialog, Toggle } from './common.jsx';
import { EmojiPanel } from './emoji.jsx';

const DRAFTS = 'haven.drafts';

// Drafts outlive the page: kept in localStorage by chat.
(() => {
  try {
    const d = JSON.parse(localStorage.getItem(DRAFTS) || '{}');
    for (const k of Object.keys(d)) S.drafts.set(k, d[k]);
  } catch {
    // none kept
  }
})();

let draftTimer = 0;
function saveDrafts() {
  clearTimeout(draftTimer);
  draftTimer = setTimeout(() => {
    const o = {};
    for (const [k, v] of S.drafts) if (v && v.trim()) o[k] = v;
    localStorage.setItem(DRAFTS, JSON.stringify(o));
  }, 300);
}

export function startReply(chat, m) {
  S.ui.reply = { key: String(chat.id), m };
  S.ui.edit = null;
  emit();
  focusComposer();
}

export function startEdit(chat, m) {
  S.ui.edit = { key: String(chat.id), m, before: S.drafts.get(String(chat.id)) || '' };
  S.ui.reply = null;
  S.drafts.set(String(chat.id), toMarkup(m.text || '', m.entities));
  emit();
  focusComposer();
}

function focusComposer() {
  setTimeout(() => {
    const t = document.getElementById('composer-input');
    if (t) {
      t.focus();
      t.setSelectionRange(t.value.length, t.value.length);
    }
  }, 0);
}

const touch = () => matchMedia('(pointer: coarse)').matches;

// wrap puts markup around the selection of a text box.
function wrap(t, before, after = before) {
  const { selectionStart: a, selectionEnd: b, value } = t;
  const sel = value.slice(a, b);
  t.setRangeText(before + sel + after, a, b, 'end');
  if (!sel) t.setSelectionRange(a + before.length, a + before.length);
  t.dispatchEvent(new Event('input', { bubbles: true }));
}

export function Composer({ c, chat }) {
  const key = chatKey(c);
  const ta = useRef(null);
  const file = useRef(null);
  const [text, setText] = useState(S.drafts.get(key) || '');
  const [rec, setRec] = useState(null);
  const [recTime, setRecTime] = useState(0);
  const [drag, setDrag] = useState(false);
  const [emoji, setEmoji] = useState(false);
  const lastTyping = useRef(0);
  const reply = S.ui.reply && S.ui.reply.key === key ? S.ui.reply.m : null;
  const edit = S.ui.edit && S.ui.edit.key === key ? S.ui.edit.m : null;

  // Another chat, or an edit started from the menu: take its text.
  useEffect(() => {
    setText(S.drafts.get(key) || '');
  }, [key, edit]);

  useEffect(() => {
    const t = ta.current;
    if (!t) return;
    t.style.height = 'auto';
    t.style.height = Math.min(t.scrollHeight, 200) + 'px';
  }, [text]);

  useEffect(() => {
    if (!touch() && ta.current) ta.current.focus();
  }, [key]);

  // Files dropped anywhere on the chat, or pasted, go to the attach
  // dialog.
  useEffect(() => {
    const main = document.querySelector('main.chat');
    if (!main) return undefined;
    const over = (e) => {
      if (e.dataTransfer && [...e.dataTransfer.types].includes('Files')) {
        e.preventDefault();
        setDrag(true);
      }
    };
    const leave = (e) => {
      if (!main.contains(e.relatedTarget)) setDrag(false);
    };
    const drop = (e) => {
      setDrag(false);
      if (!e.dataTransfer || !e.dataTransfer.files.length) return;
      e.preventDefault();
      attach([...e.dataTransfer.files]);
    };
    main.addEventListener('dragover', over);
    main.addEventListener('dragleave', leave);
    main.addEventListener('drop', drop);
    return () => {
      main.removeEventListener('dragover', over);
      main.removeEventListener('dragleave', leave);
      main.removeEventListener('drop', drop);
    };
  }, [key]);

  const setDraft = (v) => {
    setText(v);
    if (!edit) {
      S.drafts.set(key, v);
      saveDrafts();
    }
    if (chat && v.trim() && Date.now() - lastTyping.current > 5000 && !(S.me && chat.peer_id === S.me.id && chat.kind === 'private')) {
      lastTyping.current = Date.now();
      api.call('messages.setTyping', { chat_id: chat.id }).catch(() => {});
    }
  };

  const stopTyping = () => {
    if (chat && lastTyping.current) {
      lastTyping.current = 0;
      api.call('messages.setTyping', { chat_id: chat.id, cancel: true }).catch(() => {});
    }
  };

  const cancel = () => {
    if (edit) {
      setText(S.ui.edit.before);
      S.drafts.set(key, S.ui.edit.before);
    }
    S.ui.edit = null;
    S.ui.reply = null;
    emit();
  };

  const send = async () => {
    const raw = text;
    if (!raw.trim()) return;
    const { text: body, entities } = parseMarkup(raw.replace(/\s+$/, ''));
    if (!body.trim()) return;
    if (edit) {
      const m = edit;
      try {
        const res = await api.call('messages.edit', { chat_id: chat.id, id: m.id, text: body, entities });
        const mm = S.msgs.get(chat.id);
        if (mm) mm.list = mm.list.map((x) => (x.id === res.id ? { ...res, reactions: x.reactions } : x));
        const before = S.ui.edit ? S.ui.edit.before : '';
        S.ui.edit = null;
        setText(before);
        S.drafts.set(key, before);
        emit();
      } catch (e) {
        toast(e.code === 'MESSAGE_NOT_MODIFIED' ? 'Nothing changed.' : e.code === 'MESSAGE_EDIT_TIME_EXPIRED' ? 'Messages can be edited for 48 hours.' : 'Could not edit the message.', 'error');
        if (e.code === 'MESSAGE_NOT_MODIFIED') cancel();
      }
      return;
    }
    if (body.length > 4096) {
      toast('A message has at most 4,096 characters.', 'error');
      return;
    }
    setText('');
    S.drafts.delete(key);
    saveDrafts();
    const r = reply;
    S.ui.reply = null;
    stopTyping();
    await queue(c, { kind: 'text', text: body, entities, reply_to_id: r ? r.id : 0 });
  };

  const onKey = (e) => {
    const t = e.currentTarget;
    if (e.key === 'Enter' && !e.shiftKey && !e.isComposing && !touch()) {
      e.preventDefault();
      send();
      return;
    }
    if (e.key === 'Escape' && (edit || reply)) {
      e.preventDefault();
      e.stopPropagation();
      cancel();
      return;
    }
    if (e.key === 'ArrowUp' && !t.value && chat) {
      const mm = S.msgs.get(chat.id);
      const mine = mm && [...mm.list].reverse().find((x) => S.me && x.sender_id === S.me.id && !x.service && !x.forward);
      if (mine) {
        e.preventDefault();
        startEdit(chat, mine);
      }
      return;
    }
    if (!(e.ctrlKey || e.metaKey)) return;
    const k = e.key.toLowerCase();
    const marks = { b: ['**'], i: ['__'] };
    if (!e.shiftKey && marks[k]) {
      e.preventDefault();
      wrap(t, marks[k][0]);
    } else if (e.shiftKey && k === 'x') {
      e.preventDefault();
      wrap(t, '~~');
    } else if (e.shiftKey && k === 'm') {
      e.preventDefault();
      wrap(t, '`');
    } else if (e.shiftKey && k === 'p') {
      e.preventDefault();
      wrap(t, '||');
    } else if (k === 'k') {
      e.preventDefault();
      const url = prompt('Link address', 'https://');
      if (url && /^(https?:\/\/|mailto:)\S+$/.test(url)) wrap(t, '[', '](' + url + ')');
    }
  };

  const onPaste = (e) => {
    const files = [...(e.clipboardData ? e.clipboardData.files : [])];
    if (files.length) {
      e.preventDefault();
      attach(files);
    }
  };

  const attach = (files) => {
    if (!files.length) return;
    openDialog(() => <AttachDialog files={files} caption={text} onSend={(items, caption, asAlbum) => {
      closeDialog();
      const { text: cap, entities } = parseMarkup(caption || '');
      const r = reply;
      S.ui.reply = null;
      setText('');
      S.drafts.delete(key);
      saveDrafts();
      if (asAlbum && items.length >= 2) {
        for (let i = 0; i < items.length; i += 10) {
          const part = items.slice(i, i + 10);
          if (part.length === 1) queue(c, { kind: 'media', items: part, text: i === 0 ? cap : '', entities: i === 0 ? entities : [], reply_to_id: r ? r.id : 0 });
          else queue(c, { kind: 'album', items: part, text: i === 0 ? cap : '', entities: i === 0 ? entities : [] });
        }
      } else {
        items.forEach((it, i) => queue(c, { kind: 'media', items: [it], text: i === items.length - 1 ? cap : '', entities: i === items.length - 1 ? entities : [], reply_to_id: i === 0 && r ? r.id : 0 }));
      }
    }} />);
  };

  const startRec = async () => {
    try {
      const r = await record();
      setRec(r);
      setRecTime(0);
      const tick = setInterval(() => setRecTime((Date.now() - r.started) / 1000), 250);
      r.tick = tick;
    } catch (e) {
      toast(e && e.name === 'NotAllowedError' ? 'Allow the microphone to record voice messages.' : 'Could not start recording.', 'error');
    }
  };

  const stopRec = async (sendIt) => {
    const r = rec;
    if (!r) return;
    clearInterval(r.tick);
    setRec(null);
    if (!sendIt) {
      await r.cancel();
      return;
    }
    const it = await r.stop();
    if (it.duration < 0.5) {
      toast('Hold on a little longer to record.');
      return;
    }
    const rp = reply;
    S.ui.reply = null;
    queue(c, { kind: 'media', items: [it], text: '', entities: [], reply_to_id: rp ? rp.id : 0 });
  };

  // insert puts text at the caret (over the selection) of the text box.
  // insert puts an emoji at the caret of the text box at once, the
  // caret after it: a caret put back by a timer could come after the
  // next key (input runs before timers in a busy browser) and the next
  // emoji would go to the end.
  const insert = (x) => {
    const t = ta.current;
    if (!t) {
      setDraft(text + x);
      return;
    }
    t.setRangeText(x, t.selectionStart, t.selectionEnd, 'end');
    setDraft(t.value);
  };

  const bar = edit || reply;
  return (
    <div class={'composer-bar' + (drag ? ' dragging' : '')}>
      {drag && <div class="drop-hint">Drop files to send them</div>}
      {emoji && !rec && (
        <EmojiPanel onPick={insert} onClose={(back) => {
          setEmoji(false);
          if (back && ta.current) ta.current.focus();
        }} />
      )}
      {bar && (
        <div class="compose-context">
          <Icon name={edit ? 'edit' : 'reply'} class="accent" />
          <div class="context-text">
            <span class="context-title">{edit ? 'Editing' : 'Reply to ' + (bar.sender_id ? senderName(bar.sender_id) : chatTitle(chat))}</span>
            <span class="context-preview">{preview(bar, chat)}</span>
          </div>
          <button class="icon-btn" aria-label={edit ? 'Cancel editing' : 'Cancel reply'} onClick={cancel}><Icon name="close" /></button>
        </div>
      )}
      {rec ? (
        <div class="composer recording">
          <button class="icon-btn danger" aria-label="Cancel recording" onClick={() => stopRec(false)}><Icon name="trash" /></button>
          <span class="rec-dot" aria-hidden="true" />
          <span class="rec-time" aria-live="off">{duration(recTime)}</span>
          <span class="rec-hint">Recording…</span>
          <button class="send-btn" aria-label="Send voice message" id="voice-send" onClick={() => stopRec(true)}><Icon name="send" /></button>
        </div>
      ) : (
        <div class="composer">
          {!edit && (
            <>
              <button class="icon-btn" aria-label="Attach files" onClick={() => file.current.click()}><Icon name="attach" /></button>
              <input ref={file} type="file" multiple hidden id="attach-input" onChange={(e) => {
                const files = [...e.currentTarget.files];
                e.currentTarget.value = '';
                attach(files);
              }} />
            </>
          )}
          <button class="icon-btn" id="emoji-btn" aria-label="Emoji" aria-expanded={emoji} onClick={() => setEmoji(!emoji)}><Icon name="smile" /></button>
          <textarea ref={ta} id="composer-input" class="composer-input" rows={1} placeholder={chat && chat.kind === 'channel' ? 'Broadcast a post' : 'Message'}
            aria-label="Message" value={text} onInput={(e) => setDraft(e.currentTarget.value)} onKeyDown={onKey} onPaste={onPaste} onBlur={stopTyping} />
          {text.trim() || edit || !canRecord() ? (
            <button class="send-btn" aria-label={edit ? 'Save' : 'Send'} id="send-btn" onMouseDown={(e) => e.preventDefault()} onClick={send}>
              <Icon name={edit ? 'check' : 'send'} />
            </button>
          ) : (
            <button class="send-btn mic" aria-label="Record a voice message" id="mic-btn" onClick={startRec}><Icon name="mic" /></button>
          )}
        </div>
      )}
    </div>
  );
}

// videoThumb draws the frame a video shows into a JPEG of at most 320
// pixels a side (null when the browser cannot).
function videoThumb(v) {
  const w = v.videoWidth;
  const h = v.videoHeight;
  if (!w || !h) return Promise.resolve(null);
  const k = Math.min(1, 320 / Math.max(w, h));
  const c = document.createElement('canvas');
  c.width = Math.max(1, Math.round(w * k));
  c.height = Math.max(1, Math.round(h * k));
  try {
    c.getContext('2d').drawImage(v, 0, 0, c.width, c.height);
  } catch {
    return Promise.resolve(null);
  }
  return new Promise((resolve) => c.toBlob((b) => resolve(b), 'image/jpeg', 0.8));
}

// readItem describes a picked file for sending: its kind, and what the
// browser can tell of an image's or a video's size and length.
async function readItem(f, asFile) {
  const it = { blob: f, name: f.name || 'file', mime: f.type, kind: 'document' };
  if (!asFile && /^image\/(jpeg|png|gif)$/.test(f.type) && f.size <= 20 << 20) {
    it.kind = 'photo';
    try {
      const b = await createImageBitmap(f);
      it.width = b.width;
      it.height = b.height;
      b.close();
    } catch {
      it.kind = 'document';
    }
  } else if (!asFile && /^video\//.test(f.type)) {
    await new Promise((resolve) => {
      const v = document.createElement('video');
      v.preload = 'auto';
      v.muted = true;
      v.onloadedmetadata = () => {
        it.kind = 'video';
        it.width = Math.min(10000, v.videoWidth);
        it.height = Math.min(10000, v.videoHeight);
        // A recording may not know its length (Infinity): then none.
        it.duration = Number.isFinite(v.duration) ? Math.min(604800, v.duration) : 0;
      };
      // The first frame is the thumbnail the others see before playing it.
      v.onloadeddata = () => {
        videoThumb(v).then((t) => {
          if (t) it.thumb = t;
          resolve();
        });
      };
      v.onerror = () => resolve();
      // Some videos never give a frame here: go on without a thumbnail.
      setTimeout(resolve, 5000);
      v.src = blobURL(f);
    });
  } else if (!asFile && /^audio\//.test(f.type)) {
    it.kind = 'audio';
  }
  return it;
}

function AttachDialog({ files, caption: initial, onSend }) {
  const [asFile, setAsFile] = useState(false);
  const [items, setItems] = useState(null);
  const [caption, setCaption] = useState(initial || '');
  useEffect(() => {
    Promise.all(files.map((f) => readItem(f, asFile))).then(setItems);
  }, [asFile]);
  const media = items ? items.filter((x) => x.kind === 'photo' || x.kind === 'video') : [];
  const album = items && media.length === items.length && items.length >= 2;
  const images = files.some((f) => f.type.startsWith('image/') || f.type.startsWith('video/'));
  const title = items ? (items.every((x) => x.kind === 'photo') ? (items.length > 1 ? `Send ${items.length} photos` : 'Send photo') : items.length > 1 ? `Send ${items.length} files` : 'Send file') : 'Send';
  return (
    <Modal title={title} onClose={closeDialog} wide>
      {!items ? <div class="list-empty">…</div> : (
        <div class={'attach-preview' + (album || media.length === 1 && items.length === 1 ? ' grid' : '')}>
          {items.map((it, i) => (it.kind === 'photo' || it.kind === 'video' ? (
            it.kind === 'photo' ? <img key={i} src={blobURL(it.blob)} alt={it.name} /> : <video key={i} src={blobURL(it.blob)} muted />
          ) : (
            <div class="file-row" key={i}><span class="file-icon"><Icon name="file" /></span><span class="file-info"><span class="file-name">{it.name}</span><span class="muted">{fileSize(it.blob.size)}</span></span></div>
          )))}
        </div>
      )}
      {images && <Toggle label="Send without compression, as files" checked={asFile} onChange={setAsFile} />}
      <textarea class="field" id="attach-caption" data-autofocus rows={2} placeholder="Add a caption…" aria-label="Caption" value={caption} onInput={(e) => setCaption(e.currentTarget.value)}
        onKeyDown={(e) => {
          if (e.key === 'Enter' && !e.shiftKey && items) {
            e.preventDefault();
            onSend(items, caption, album);
          }
        }} />
      <div class="modal-actions">
        <button class="btn flat" onClick={closeDialog}>Cancel</button>
        <button class="btn primary" id="attach-send" disabled={!items} onClick={() => onSend(items, caption, album)}>Send</button>
      </div>
    </Modal>
  );
}

