// The open chat: its header, the pinned message, the history and the
// composer.
import { useEffect, useLayoutEffect, useRef, useState } from 'preact/hooks';
import { api } from '../api.js';
import { S, emit, chatTitle, peerOf, typingIn, userName, toast, chatKey, isMuted } from '../state.js';
import { openMessages, loadOlder, loadNewer, latest, readUpTo, findMessage, applyReacted, fetchChat, ensureUsers, nextUnreadMention } from '../sync.js';
import { renderText } from '../format.js';
import { serviceText, preview } from '../preview.js';
import { clock, dayLabel, sameDay, statusText, plural, senderName, debounce } from '../util.js';
import { searchInChat } from '../people.js';
import { canPin, canEdit, canDeleteForAll, canDeleteForMe, canPost, isMember } from '../rights.js';
import { retry, discard, queue, randomId } from '../outbox.js';
import { clearChat } from '../notify.js';
import { setMuted, muteItems } from '../mute.js';
import { Icon } from './icons.jsx';
import { Avatar, Spinner, openMenu, longPress, openDialog, closeDialog, Modal } from './common.jsx';
import { Composer, startEdit, startReply } from './composer.jsx';
import { MediaView, PendingMedia } from './media.jsx';
import { dialogMenu } from './sidebar.jsx';
import { SecretView } from './secret.jsx';

// openChat shows a chat ({id}) or a person's private chat ({userId}),
// optionally at a message.
export function openChat(c, fromRoute, around) {
  if (c.userId) {
    for (const ch of S.chats.values()) {
      if (ch.kind === 'private' && ch.peer_id === c.userId && S.dialogs.has(ch.id)) {
        c = { id: ch.id };
        break;
      }
    }
    if (c.userId) ensureUsers([c.userId]);
  }
  const cur = S.ui.chat;
  const same = cur && cur.id === c.id && cur.userId === c.userId;
  S.ui.chat = c;
  S.ui.secret = null; // openSecret sets it again

  S.ui.jump = around || (same ? S.ui.jump : 0);
  if (!same) S.ui.select = null;
  if (!same) S.ui.info = S.ui.info && !matchMedia('(max-width: 1100px)').matches;
  // A list the chat was opened from (the archive, the contacts) stays
  // beside it where there is room; settings stay open everywhere.
  const list = (S.ui.panel === 'archived' || S.ui.panel === 'contacts') && !matchMedia('(max-width: 720px)').matches;
  if (S.ui.panel && !list && S.ui.panel !== 'settings' && !S.ui.panel.startsWith('settings')) S.ui.panel = null;
  const hash = c.id ? '#/c/' + c.id : '#/u/' + c.userId;
  if (!fromRoute && location.hash !== hash) history.pushState(null, '', hash);
  emit();
  if (c.id) {
    if (!S.chats.has(c.id)) fetchChat(c.id);
    // Many unread: open at the first of them rather than at the newest.
    const dd = S.dialogs.get(c.id);
    let at = around;
    // A person who has read nothing yet (added to a busy group) starts
    // at the beginning.
    if (!at && !S.msgs.has(c.id) && dd && dd.unread_count > 40) at = dd.read_inbox_max_id || 1;
    openMessages(c.id, at || undefined).catch((e) => {
      if (e.code === 'NOT_MEMBER' || e.code === 'CHAT_NOT_FOUND') {
        toast('This chat is not available.', 'error');
        closeChat();
      }
    });
  }
}

export function closeChat() {
  S.ui.chat = null;
  S.ui.info = false;
  if (location.hash) history.pushState(null, '', location.pathname);
  emit();
}

export function ChatView() {
  const c = S.ui.chat;
  if (!c) {
    return (
      <main class="chat empty-chat" aria-label="No chat open">
        <div class="empty-note">Select a chat to start messaging</div>
      </main>
    );
  }
  const chat = c.id ? S.chats.get(c.id) : null;
  const peerId = chat ? peerOf(chat) && peerOf(chat).id : c.userId;
  if (S.ui.secret && peerId === S.ui.secret.userId) return <SecretView key={peerId} userId={S.ui.secret.userId} />;
  const key = chatKey(c);
  return (
    <main class="chat" aria-label="Chat">
      {chat && S.ui.select && S.ui.select.chat === chat.id ? <SelectBar chat={chat} /> : <ChatHeader c={c} chat={chat} />}
      {chat && S.ui.chatSearch && S.ui.chatSearch.chat === chat.id && <ChatSearch key={chat.id} chat={chat} />}
      {chat && chat.pinned_message_id > 0 && <PinnedBar chat={chat} />}
      <MessageList key={key} c={c} chat={chat} />
      <Footer c={c} chat={chat} />
    </main>
  );
}

function Footer({ c, chat }) {
  if (chat && !isMember(chat) && chat.kind !== 'private') {
    return (
      <div class="composer-bar join-bar">
        <button class="btn primary wide" id="join-chat" onClick={async () => {
          try {
            await api.call('chats.join', { chat_id: chat.id });
            await fetchChat(chat.id);
          } catch (e) {
            toast(e.code === 'USER_BANNED_IN_CHAT' ? 'You are banned from this chat.' : 'Could not join.', 'error');
          }
        }}>{chat.kind === 'channel' ? 'Join channel' : 'Join group'}</button>
      </div>
    );
  }
  if (chat && chat.kind === 'channel' && !canPost(chat)) {
    const d = S.dialogs.get(chat.id);
    const muted = isMuted(d);
    return (
      <div class="composer-bar join-bar">
        <button class="btn flat wide" id="channel-mute" onClick={(e) => {
          if (muted) {
            setMuted(d, 0);
            return;
          }
          const r = e.currentTarget.getBoundingClientRect();
          openMenu(r.left + r.width / 2 - 90, r.top - 200, muteItems(d));
        }}>
          {muted ? 'Unmute' : 'Mute'}
        </button>
      </div>
    );
  }
  if (chat && !canPost(chat)) return <div class="composer-bar join-bar"><p class="muted">Only admins can post here.</p></div>;
  const peer = chat ? peerOf(chat) : S.users.get(c.userId);
  if (peer && peer.blocked) {
    return (
      <div class="composer-bar join-bar">
        <button class="btn flat wide" onClick={() => api.call('contacts.unblock', { user_id: peer.id }).then(() => { S.users.set(peer.id, { ...peer, blocked: false }); emit(); })}>Unblock</button>
      </div>
    );
  }
  return <Composer c={c} chat={chat} />;
}

function ChatHeader({ c, chat }) {
  const peer = chat ? peerOf(chat) : S.users.get(c.userId);
  const saved = peer && S.me && peer.id === S.me.id;
  const title = chat ? chatTitle(chat) : saved ? 'Saved Messages' : userName(peer);
  const typing = chat ? typingIn(chat.id) : [];
  let sub;
  let subClass = 'muted';
  if (typing.length) {
    subClass = 'accent';
    sub = chat.kind === 'private' ? 'typing…' : typing.length === 1 ? `${userName(S.users.get(typing[0])).split(' ')[0]} is typing…` : `${typing.length} people are typing…`;
  } else if (saved) {
    sub = '';
  } else if (peer) {
    sub = statusText(peer);
    if (peer.status && peer.status.kind === 'online') subClass = 'accent';
  } else if (chat) {
    sub = plural(chat.member_count || 0, chat.kind === 'channel' ? 'subscriber' : 'member');
  }
  const d = chat && S.dialogs.get(chat.id);
  return (
    <header class="chat-head">
      <button class="icon-btn back-btn" aria-label="Back to chats" onClick={closeChat}><Icon name="back" /></button>
      <button class="chat-head-main" id="chat-head" aria-label={'Chat info: ' + title} onClick={() => { S.ui.info = !S.ui.info; emit(); }}>
        <Avatar id={saved ? 0 : peer ? peer.id : chat ? chat.id : 0} name={title} photo={saved ? null : peer ? peer.photo : chat && chat.photo} size={40} saved={saved}
          online={peer && !saved && peer.status && peer.status.kind === 'online'} />
        <span class="chat-head-text">
          <span class="chat-title" id="chat-title">{title}</span>
          {sub && <span class={'chat-sub ' + subClass} id="chat-status" aria-live="polite">{sub}</span>}
        </span>
      </button>
      {chat && (
        <button class="icon-btn" id="chat-search-btn" aria-label="Search in this chat" aria-pressed={!!(S.ui.chatSearch && S.ui.chatSearch.chat === chat.id)}
          onClick={() => { S.ui.chatSearch = S.ui.chatSearch && S.ui.chatSearch.chat === chat.id ? null : { chat: chat.id }; emit(); }}><Icon name="search" /></button>
      )}
      <button class="icon-btn" aria-label="Chat info" onClick={() => { S.ui.info = !S.ui.info; emit(); }}><Icon name="info" /></button>
      {d && (
        <button class="icon-btn" aria-label="More" onClick={(e) => {
          const r = e.currentTarget.getBoundingClientRect();
          openMenu(r.right - 200, r.bottom + 4, dialogMenu(d, chat));
        }}><Icon name="more" /></button>
      )}
    </header>
  );
}

// ChatSearch is the search inside the open chat: the words, how many
// messages have them, and arrows (or Enter and Shift+Enter) that go to
// the older and newer ones, each shown at its place in the history.
function ChatSearch({ chat }) {
  const [q, setQ] = useState('');
  const [found, setFound] = useState(null); // messages, newest first
  const [at, setAt] = useState(0);
  const run = useRef(null);
  if (!run.current) {
    run.current = debounce((query) => {
      searchInChat(chat.id, query).then((l) => {
        if (run.query !== query) return;
        setFound(l);
        setAt(0);
        if (l.length) jumpTo(chat.id, l[0].id);
      }).catch(() => run.query === query && setFound([]));
    }, 300);
  }
  useEffect(() => {
    run.query = q.trim();
    setFound(null);
    if (run.query) run.current(run.query);
  }, [q]);
  const go = (i) => {
    if (!found || i < 0 || i >= found.length) return;
    setAt(i);
    jumpTo(chat.id, found[i].id);
  };
  const close = () => {
    S.ui.chatSearch = null;
    emit();
  };
  const n = found ? found.length : 0;
  return (
    <div class="chat-search" role="search">
      <div class="search-box">
        <Icon name="search" size={18} />
        <input id="chat-search-input" type="search" placeholder="Search in this chat" aria-label="Search messages in this chat" value={q} autoFocus
          onInput={(e) => setQ(e.currentTarget.value)}
          onKeyDown={(e) => {
            if (e.key === 'Enter') {
              e.preventDefault();
              go(e.shiftKey ? at - 1 : at + 1);
            } else if (e.key === 'Escape') {
              e.stopPropagation();
              close();
            }
          }} />
      </div>
      <span class="chat-search-count muted" id="chat-search-count" aria-live="polite">
        {!q.trim() ? '' : !found ? '…' : n ? `${at + 1} of ${n}${n >= 100 ? '+' : ''}` : 'No results'}
      </span>
      <button class="icon-btn small" id="chat-search-older" aria-label="Older result" disabled={!n || at >= n - 1} onClick={() => go(at + 1)}><Icon name="up" size={20} /></button>
      <button class="icon-btn small" id="chat-search-newer" aria-label="Newer result" disabled={!n || at <= 0} onClick={() => go(at - 1)}><Icon name="down" size={20} /></button>
      <button class="icon-btn small" aria-label="Close search" onClick={close}><Icon name="close" size={20} /></button>
    </div>
  );
}

function PinnedBar({ chat }) {
  const id = chat.pinned_message_id;
  const [m, setM] = useState(() => findMessage(chat.id, id));
  useEffect(() => {
    const known = findMessage(chat.id, id);
    if (known) {
      setM(known);
      return;
    }
    setM(null);
    api.call('messages.get', { chat_id: chat.id, ids: [id] }).then((l) => setM(l[0] || null)).catch(() => {});
  }, [chat.id, id]);
  return (
    <div class="pinned-bar">
      <button class="pinned-main" id="pinned-bar" onClick={() => jumpTo(chat.id, id)}>
        <span class="pinned-line" />
        <span class="pinned-text">
          <span class="pinned-label">Pinned message</span>
          <span class="pinned-preview">{m ? preview(m, chat) : '…'}</span>
        </span>
      </button>
      {canPin(chat) && (
        <button class="icon-btn" aria-label="Unpin" onClick={() => api.call('messages.unpin', { chat_id: chat.id, id }).catch(() => toast('Could not unpin.', 'error'))}>
          <Icon name="close" size={20} />
        </button>
      )}
    </div>
  );
}

// jumpTo shows a message of the open chat, loading the page around it
// when it is not loaded, and highlights it.
export function jumpTo(chatId, id) {
  S.ui.jump = id;
  S.ui.flash = id;
  setTimeout(() => {
    if (S.ui.flash === id) {
      S.ui.flash = 0;
      emit();
    }
  }, 1600);
  if (!findMessage(chatId, id)) openMessages(chatId, id);
  emit();
}

// items groups the history into what is drawn: day separators, the
// unread mark, and messages (an album as one).
function layout(list, pending, readMax, chat) {
  const out = [];
  let prev = null;
  let unreadPlaced = false;
  const me = S.me ? S.me.id : 0;
  for (let i = 0; i < list.length; i++) {
    const m = list[i];
    if (!prev || !sameDay(prev.date, m.date)) out.push({ kind: 'day', key: 'd' + m.date + '.' + m.id, date: m.date });
    if (!unreadPlaced && readMax !== null && m.id > readMax && m.sender_id !== me && chat && chat.kind !== 'channel') {
      out.push({ kind: 'unread', key: 'unread' });
      unreadPlaced = true;
    }
    if (m.media && m.media.album_id) {
      const group = [m];
      while (i + 1 < list.length && list[i + 1].media && list[i + 1].media.album_id === m.media.album_id) group.push(list[++i]);
      out.push({ kind: 'msg', key: 'm' + m.id, m, album: group.length > 1 ? group : null });
    } else {
      out.push({ kind: 'msg', key: 'm' + m.id, m });
    }
    prev = m;
  }
  for (const p of pending) {
    if (!prev || !sameDay(prev.date, p.date)) out.push({ kind: 'day', key: 'dp' + p.random_id, date: p.date });
    out.push({ kind: 'pending', key: 'p' + p.random_id, p });
    prev = p;
  }
  // Consecutive messages of one sender within five minutes are grouped:
  // one name at the top, one avatar and tail at the bottom.
  for (let i = 0; i < out.length; i++) {
    const it = out[i];
    if (it.kind !== 'msg' && it.kind !== 'pending') continue;
    const sender = it.kind === 'msg' ? it.m.sender_id || 0 : me;
    const date = it.kind === 'msg' ? it.m.date : it.p.date;
    const service = it.kind === 'msg' && !!it.m.service;
    const a = out[i - 1];
    const b = out[i + 1];
    const joins = (x) => x && (x.kind === 'msg' || x.kind === 'pending') && !(x.kind === 'msg' && x.m.service) && !service &&
      (x.kind === 'msg' ? x.m.sender_id || 0 : me) === sender && Math.abs((x.kind === 'msg' ? x.m.date : x.p.date) - date) < 300;
    it.first = !joins(a);
    it.last = !joins(b);
  }
  return out;
}

// anchorOf is the message at the top of the view and where it is: after
// messages are added or dropped above it (older pages, the window moving
// on), or images load, the view is put back so that it stays in place.
function anchorOf(el) {
  const top = el.getBoundingClientRect().top;
  const all = el.querySelectorAll('[data-id]');
  // The first whose bottom is below the top of the view: a binary search,
  // the messages being in order.
  let lo = 0;
  let hi = all.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (all[mid].getBoundingClientRect().bottom <= top) lo = mid + 1;
    else hi = mid;
  }
  const a = all[lo];
  return a ? { id: a.dataset.id, off: a.getBoundingClientRect().top - top } : null;
}

function keepAnchor(el, s) {
  if (!s.anchor) return;
  const a = el.querySelector(`[data-id="${s.anchor.id}"]`);
  if (!a) return;
  const off = a.getBoundingClientRect().top - el.getBoundingClientRect().top;
  if (Math.abs(off - s.anchor.off) > 0.5) el.scrollTop += off - s.anchor.off;
}

function MessageList({ c, chat }) {
  const box = useRef(null);
  const st = useRef({ first: null, height: 0, atBottom: true, complete: true, placed: false, seen: 0 });
  const [showDown, setShowDown] = useState(false);
  const id = c.id;
  const m = id ? S.msgs.get(id) : null;
  const list = m ? m.list : [];
  const pending = S.pending.get(chatKey(c)) || [];
  const d = id ? S.dialogs.get(id) : null;
  // The read position when the chat opened, or null when nothing was
  // unread (0 is a position: nothing read yet, in a chat one was added to).
  const readMax = useRef(d && d.unread_count > 0 ? d.read_inbox_max_id || 0 : null);
  const items = layout(list, pending, readMax.current, chat);
  const jump = S.ui.jump;

  useLayoutEffect(() => {
    const el = box.current;
    if (!el) return;
    const s = st.current;
    const first = list.length ? list[0].id : null;
    if (jump && list.some((x) => x.id === jump)) {
      const t = el.querySelector(`[data-id="${jump}"]`);
      if (t) {
        t.scrollIntoView({ block: 'center' });
        S.ui.jump = 0;
        s.placed = true;
      }
    } else if (!s.placed && list.length && !(m && m.loading && !list.length)) {
      const mark = el.querySelector('.unread-mark');
      if (mark) mark.scrollIntoView({ block: 'start' });
      else el.scrollTop = el.scrollHeight;
      s.placed = true;
    } else if (s.atBottom && s.complete) {
      el.scrollTop = el.scrollHeight;
    } else {
      keepAnchor(el, s);
    }
    // Where the view is now, at once: the scroll event comes a frame
    // later, and a render before it must not pull the view to the bottom.
    // The bottom of a window of the history with newer messages not
    // loaded (after a jump back) is no bottom to stay at: the newer pages
    // that come as one reads must not carry the view to the newest.
    s.atBottom = el.scrollHeight - el.scrollTop - el.clientHeight < 80;
    s.complete = !(m && m.newer);
    s.first = first;
    s.height = el.scrollHeight;
    s.anchor = anchorOf(el);
  });

  // Images and late layout change the height: stay at the bottom there.
  useEffect(() => {
    const el = box.current;
    const inner = el && el.firstElementChild;
    if (!inner || typeof ResizeObserver === 'undefined') return undefined;
    const ro = new ResizeObserver(() => {
      const s = st.current;
      if (s.atBottom && s.complete) el.scrollTop = el.scrollHeight;
      else keepAnchor(el, s);
      s.height = el.scrollHeight;
      s.anchor = anchorOf(el);
    });
    ro.observe(inner);
    return () => ro.disconnect();
  }, []);

  // Messages from others count as read once half of them is in view
  // while the page is visible.
  useEffect(() => {
    const el = box.current;
    if (!el || !id) return undefined;
    let timer = 0;
    const flush = () => {
      timer = 0;
      const s = st.current;
      if (document.visibilityState !== 'visible') return;
      const dd = S.dialogs.get(id);
      if (!dd || s.seen <= dd.read_inbox_max_id) return;
      const max = s.seen;
      readUpTo(id, max);
      clearChat(id);
      api.call('messages.read', { chat_id: id, max_id: max }).catch(() => {});
    };
    const io = new IntersectionObserver((entries) => {
      for (const e of entries) {
        if (!e.isIntersecting) continue;
        const mid = Number(e.target.dataset.id);
        if (mid > st.current.seen) st.current.seen = mid;
      }
      if (!timer) timer = setTimeout(flush, 300);
    }, { root: el, threshold: 0.5 });
    const watch = () => el.querySelectorAll('[data-id]').forEach((n) => io.observe(n));
    watch();
    const mo = new MutationObserver(watch);
    mo.observe(el, { childList: true, subtree: true });
    const vis = () => {
      if (document.visibilityState === 'visible' && !timer) timer = setTimeout(flush, 300);
    };
    document.addEventListener('visibilitychange', vis);
    return () => {
      io.disconnect();
      mo.disconnect();
      clearTimeout(timer);
      document.removeEventListener('visibilitychange', vis);
    };
  }, [id]);

  // Channel posts count their views.
  useEffect(() => {
    if (!chat || chat.kind !== 'channel' || !list.length) return;
    const ids = list.slice(-30).filter((x) => !x.service && !viewed.has(chat.id + '.' + x.id)).map((x) => x.id);
    if (!ids.length) return;
    ids.forEach((x) => viewed.add(chat.id + '.' + x));
    api.call('messages.view', { chat_id: chat.id, ids }).then((counts) => {
      const mm = S.msgs.get(chat.id);
      if (!mm) return;
      mm.list = mm.list.map((x) => (counts[x.id] ? { ...x, views: counts[x.id] } : x));
      emit();
    }).catch(() => {});
  }, [chat && chat.id, list.length]);

  const onScroll = () => {
    const el = box.current;
    const s = st.current;
    s.atBottom = el.scrollHeight - el.scrollTop - el.clientHeight < 80;
    s.anchor = anchorOf(el);
    setShowDown(!s.atBottom || (m && m.newer));
    if (el.scrollTop < 400 && id) loadOlder(id);
    if (el.scrollHeight - el.scrollTop - el.clientHeight < 400 && m && m.newer) loadNewer(id);
  };

  const unread = d ? d.unread_count : 0;
  return (
    <div class="messages-wrap">
      <div class="messages" ref={box} onScroll={onScroll} role="log" aria-label="Messages" aria-live="polite" tabIndex={0} id="messages">
        <div class="messages-inner">
          {m && m.loading && m.older && <div class="loading-row"><Spinner /></div>}
          {!list.length && !pending.length && !(m && m.loading) && (
            <div class="no-messages">{chat && chat.kind === 'channel' ? 'No posts yet.' : 'No messages here yet. Say hello!'}</div>
          )}
          {items.map((it) => {
            if (it.kind === 'day') return <div class="day-sep" key={it.key}><span>{dayLabel(it.date)}</span></div>;
            if (it.kind === 'unread') return <div class="unread-mark" key={it.key}><span>Unread messages</span></div>;
            if (it.kind === 'pending') return <PendingMessage key={it.key} p={it.p} first={it.first} last={it.last} chat={chat} />;
            return <Message key={it.key} m={it.m} album={it.album} chat={chat} first={it.first} last={it.last} />;
          })}
        </div>
      </div>
      {d && d.unread_mentions > 0 && (
        <button class={'down-btn mention-btn' + (showDown ? ' raised' : '')} id="mention-btn" aria-label={plural(d.unread_mentions, 'unread mention') + ': go to the next'} onClick={async () => {
          const s = st.current;
          const mid = await nextUnreadMention(id, s.mention || 0).catch(() => 0);
          if (!mid) {
            // None left to find: the count was behind.
            d.unread_mentions = 0;
            emit();
            return;
          }
          s.mention = mid;
          jumpTo(id, mid);
          // The count comes from pushes and may be off: the button stays
          // while another mention is to be found.
          const more = await nextUnreadMention(id, mid).catch(() => 0);
          d.unread_mentions = more ? Math.max(1, d.unread_mentions - 1) : 0;
          emit();
        }}>
          <span class="mention-at" aria-hidden="true">@</span>
          <span class="badge">{d.unread_mentions}</span>
        </button>
      )}
      {showDown && (
        <button class="down-btn" aria-label="Go to the newest messages" onClick={async () => {
          if (m && m.newer) await latest(id);
          st.current.atBottom = true;
          box.current.scrollTop = box.current.scrollHeight;
          setShowDown(false);
        }}>
          <Icon name="down" />
          {unread > 0 && <span class="badge">{unread}</span>}
        </button>
      )}
    </div>
  );
}

const viewed = new Set();

function Ticks({ m, chat }) {
  if (!S.me || m.sender_id !== S.me.id || !chat || chat.kind === 'channel' || (chat.kind === 'private' && chat.peer_id === S.me.id)) return null;
  const read = m.id <= (chat.read_outbox_max_id || 0);
  return <Icon name={read ? 'checks' : 'check'} size={16} class={'tick' + (read ? ' read' : '')} title={read ? 'Read' : 'Sent'} />;
}

function ReplyQuote({ chat, id }) {
  const [m, setM] = useState(() => findMessage(chat.id, id));
  useEffect(() => {
    if (m) return;
    api.call('messages.get', { chat_id: chat.id, ids: [id] }).then((l) => setM(l[0] || { deleted: true })).catch(() => {});
  }, [id]);
  const name = m && !m.deleted ? (m.sender_id ? senderName(m.sender_id) : chatTitle(chat)) : '';
  return (
    <button class="reply-quote" onClick={(e) => { e.stopPropagation(); jumpTo(chat.id, id); }} aria-label="Go to the replied message">
      <span class="quote-name">{m && m.deleted ? 'Deleted message' : name || '…'}</span>
      <span class="quote-text">{m && !m.deleted ? preview(m, chat) : ''}</span>
    </button>
  );
}

function forwardName(f) {
  if (f.from_chat_id) {
    const c = S.chats.get(f.from_chat_id);
    return c ? chatTitle(c) : 'a channel';
  }
  if (f.from_user_id) return userName(S.users.get(f.from_user_id));
  return f.from_name || 'someone';
}

function Message({ m, album, chat, first, last }) {
  if (!chat) return null;
  if (m.service) {
    return <div class="service" data-id={m.id}><span>{serviceText(m, chat)}</span></div>;
  }
  const me = S.me ? S.me.id : 0;
  const out = m.sender_id === me && chat.kind !== 'channel';
  const group = chat.kind === 'group';
  const sender = m.sender_id ? S.users.get(m.sender_id) : null;
  const msgs = album || [m];
  const caption = msgs.find((x) => x.text);
  const text = album ? caption && caption.text : m.text;
  const ents = album ? caption && caption.entities : m.entities;
  const media = m.media;
  const onlyMedia = media && !text && (media.kind === 'photo' || media.kind === 'video');
  const menu = (x, y) => openMenu(x, y, messageMenu(chat, m, album));
  // The time and marks are drawn at the bubble's corner; the text ends
  // with as much unseen room (a CSS ::after of data-meta, which is no
  // part of the text a reader or a copy gets), so it never runs under them.
  const nb = (n) => '\u00a0'.repeat(n);
  const metaRoom = [
    m.views > 0 ? nb(5) + (m.views >= 1000 ? (m.views / 1000).toFixed(1) + 'K' : m.views) : '',
    m.edit_date > 0 ? 'edited' : '',
    m.pinned ? nb(4) : '',
    clock(m.date),
    out ? nb(5) : '',
  ].filter(Boolean).join(' ');
  const meta = (
    <>
      {m.views > 0 && <span class="views"><Icon name="eye" size={14} /> {m.views >= 1000 ? (m.views / 1000).toFixed(1) + 'K' : m.views}</span>}
      {m.edit_date > 0 && <span class="edited">edited</span>}
      {m.pinned && <Icon name="pin" size={12} />}
      <time datetime={new Date(m.date * 1000).toISOString()} title={new Date(m.date * 1000).toLocaleString()}>{clock(m.date)}</time>
      {out && <Ticks m={m} chat={chat} />}
    </>
  );
  const selecting = S.ui.select && S.ui.select.chat === chat.id;
  const picked = selecting && msgs.some((x) => S.ui.select.ids.includes(x.id));
  const cls = ['msg', out ? 'out' : 'in', first ? 'first' : '', last ? 'last' : '', onlyMedia ? 'media-only' : '', S.ui.flash && msgs.some((x) => x.id === S.ui.flash) ? 'flash' : '',
    selecting ? 'selecting' : '', picked ? 'selected' : ''].join(' ');
  const on = {
    mention: (u) => api.call('users.resolveUsername', { username: u }).then((x) => openChat({ userId: x.id })).catch(() =>
      api.call('chats.resolve', { username: u }).then((x) => { S.chats.set(x.id, { ...x }); openChat({ id: x.id }); }).catch(() => toast('No one has the username @' + u, 'error'))),
    user: (uid) => openChat({ userId: uid }),
    hashtag: (t) => {
      S.ui.search = t;
      S.ui.panel = null;
      if (matchMedia('(max-width: 720px)').matches) closeChat();
      emit();
    },
  };
  return (
    <div class={cls} data-id={msgs[msgs.length - 1].id} {...(selecting ? {} : longPress(menu))} onDblClick={() => !selecting && canPost(chat) && startReply(chat, m)}
      onClickCapture={selecting ? (e) => { e.preventDefault(); e.stopPropagation(); toggleSelect(chat, msgs); } : undefined}
      aria-selected={selecting ? String(!!picked) : undefined}>
      {selecting && <span class={'select-mark' + (picked ? ' on' : '')} aria-hidden="true">{picked && <Icon name="check" size={14} />}</span>}
      {group && !out && (last ? <Avatar id={m.sender_id} name={userName(sender)} photo={sender && sender.photo} size={34} onClick={() => openChat({ userId: m.sender_id })} /> : <span class="avatar-gap" />)}
      <div class="bubble">
        {group && !out && first && <button class="msg-name" style={{ color: nameColor(m.sender_id) }} onClick={() => openChat({ userId: m.sender_id })}>{userName(sender)}</button>}
        {m.forward && <div class="fwd">Forwarded from <b>{forwardName(m.forward)}</b></div>}
        {m.reply_to_id > 0 && <ReplyQuote chat={chat} id={m.reply_to_id} />}
        {media && <MediaView m={m} album={album} chat={chat} />}
        {text && <div class="text" dir="auto" data-meta={metaRoom}>{renderText(text, ents, on)}</div>}
        <span class={'meta' + (onlyMedia ? ' over' : text ? ' after-text' : '')}>{meta}</span>
        {m.reactions && m.reactions.length > 0 && (
          <div class="reactions">
            {m.reactions.map((r) => (
              <button key={r.emoji} class={'reaction' + (r.mine ? ' mine' : '')} aria-pressed={String(!!r.mine)} aria-label={`${r.emoji} ${r.count}`}
                onClick={(e) => { e.stopPropagation(); react(chat, m, r.mine ? '' : r.emoji); }}>
                <span>{r.emoji}</span> {r.count}
              </button>
            ))}
          </div>
        )}
      </div>
    </div>
  );
}

// toggleSelect adds messages (an album as one) to the selection of
// their chat, or takes them out; the selection starts with the first.
export function toggleSelect(chat, msgs) {
  const sel = S.ui.select && S.ui.select.chat === chat.id ? S.ui.select : { chat: chat.id, ids: [] };
  const ids = msgs.map((x) => x.id);
  const on = ids.some((x) => sel.ids.includes(x));
  const next = on ? sel.ids.filter((x) => !ids.includes(x)) : [...sel.ids, ...ids].sort((a, b) => a - b);
  S.ui.select = next.length ? { chat: chat.id, ids: next } : null;
  emit();
}

// SelectBar takes the header's place while messages are selected: how
// many, forward them, delete them, or cancel (Escape too: main.jsx).
function SelectBar({ chat }) {
  const ids = S.ui.select.ids;
  const msgs = ids.map((x) => findMessage(chat.id, x)).filter(Boolean);
  const cancel = () => {
    S.ui.select = null;
    emit();
  };
  const mayDelete = isMember(chat) && (canDeleteForMe(chat) || msgs.every((x) => canDeleteForAll(chat, x)));
  return (
    <header class="chat-head select-bar" role="toolbar" aria-label="Selected messages">
      <button class="icon-btn" aria-label="Cancel selection" id="select-cancel" onClick={cancel}><Icon name="close" /></button>
      <span class="select-count" id="select-count" aria-live="polite">{plural(ids.length, 'message')} selected</span>
      <button class="btn flat" id="select-forward" disabled={!ids.length || ids.length > 100} onClick={() => { cancel(); forward(chat, ids); }}>
        <Icon name="forward" size={20} /> Forward
      </button>
      {mayDelete && (
        <button class="btn flat danger" id="select-delete" disabled={!msgs.length} onClick={() => { cancel(); askDelete(chat, msgs); }}>
          <Icon name="trash" size={20} /> Delete
        </button>
      )}
    </header>
  );
}

function nameColor(id) {
  const c = ['#d45246', '#c77c1e', '#3e9c35', '#2f86c8', '#5a6fd6', '#8a5ad6', '#c94c8b', '#1e9c8a'];
  return c[Math.abs(id || 0) % c.length];
}

function PendingMessage({ p, first, last, chat }) {
  const menu = (x, y) => openMenu(x, y, [
    p.state === 'failed' && { label: 'Try again', icon: 'send', onClick: () => retry(p) },
    { label: 'Delete', icon: 'trash', danger: true, onClick: () => discard(p) },
  ]);
  return (
    <div class={'msg out pending' + (first ? ' first' : '') + (last ? ' last' : '') + (p.state === 'failed' ? ' failed' : '')} data-pending={p.random_id} {...longPress(menu)}>
      <div class="bubble">
        {p.reply_to_id > 0 && chat && <ReplyQuote chat={chat} id={p.reply_to_id} />}
        {p.items && <PendingMedia p={p} />}
        {p.kind === 'forward' && <div class="fwd">Forwarding {plural(p.ids.length, 'message')}…</div>}
        {p.text && <div class="text" dir="auto" data-meta={clock(p.date) + ' \u00a0\u00a0\u00a0\u00a0'}>{renderText(p.text, p.entities)}</div>}
        <span class={'meta' + (p.text ? ' after-text' : '')}>
          <time>{clock(p.date)}</time>
          {p.state === 'failed' ? (
            <button class="failed-btn" aria-label={'Not sent: ' + (p.error || '') + '. Try again'} title={p.error} onClick={() => retry(p)}>!</button>
          ) : <Icon name="clock" size={14} class="tick" title="Sending" />}
        </span>
      </div>
    </div>
  );
}

export function react(chat, m, emoji) {
  api.call('messages.react', { chat_id: chat.id, id: m.id, emoji }).then(applyReacted).catch((e) =>
    toast(e.code === 'REACTION_INVALID' ? 'This reaction is not allowed here.' : 'Could not react.', 'error'));
}

function messageMenu(chat, m, album) {
  const mine = m.reactions && m.reactions.find((r) => r.mine);
  const post = canPost(chat);
  const text = album ? (album.find((x) => x.text) || {}).text : m.text;
  return [
    (chat.reactions || []).length > 0 && isMember(chat) && { reactions: chat.reactions, mine: mine && mine.emoji, onPick: (r) => react(chat, m, mine && mine.emoji === r ? '' : r) },
    post && { label: 'Reply', icon: 'reply', onClick: () => startReply(chat, m) },
    canEdit(chat, m) && { label: 'Edit', icon: 'edit', onClick: () => startEdit(chat, album ? album.find((x) => x.text) || m : m) },
    text && { label: 'Copy text', icon: 'copy', onClick: () => navigator.clipboard.writeText(text).then(() => toast('Copied')) },
    { label: 'Forward', icon: 'forward', onClick: () => forward(chat, (album || [m]).map((x) => x.id)) },
    { label: 'Select', icon: 'check', onClick: () => toggleSelect(chat, album || [m]) },
    canPin(chat) && isMember(chat) && { label: m.pinned ? 'Unpin' : 'Pin', icon: 'pin', onClick: () => api.call(m.pinned ? 'messages.unpin' : 'messages.pin', { chat_id: chat.id, id: m.id }).catch(() => toast('Could not pin.', 'error')) },
    (canDeleteForMe(chat) || canDeleteForAll(chat, m)) && isMember(chat) && { label: 'Delete', icon: 'trash', danger: true, onClick: () => askDelete(chat, album || [m]) },
  ];
}

async function askDelete(chat, msgs) {
  const ids = msgs.map((x) => x.id);
  const all = msgs.every((x) => canDeleteForAll(chat, x));
  const forMe = canDeleteForMe(chat);
  const peer = peerOf(chat);
  const saved = peer && S.me && peer.id === S.me.id;
  let everyone = !forMe || saved;
  const go = async () => {
    closeDialog();
    try {
      await api.call('messages.delete', { chat_id: chat.id, ids, for_everyone: everyone });
      if (!everyone) {
        const m = S.msgs.get(chat.id);
        if (m) m.list = m.list.filter((x) => !ids.includes(x.id));
        emit();
      }
    } catch (e) {
      toast(e.code === 'MESSAGE_DELETE_FORBIDDEN' ? 'You cannot delete this message for everyone.' : 'Could not delete.', 'error');
    }
  };
  openDialog(() => (
    <Modal title={ids.length > 1 ? 'Delete messages' : 'Delete message'} onClose={closeDialog}>
      <p class="modal-text">{everyone && !forMe ? 'This deletes the post for everyone.' : 'Do you want to delete this message?'}</p>
      {all && forMe && !saved && (
        <label class="check-row"><input type="checkbox" id="delete-everyone" onChange={(e) => { everyone = e.currentTarget.checked; }} />
          {chat.kind === 'private' ? `Also delete for ${userName(peer).split(' ')[0]}` : 'Delete for everyone'}</label>
      )}
      <div class="modal-actions">
        <button class="btn flat" onClick={closeDialog}>Cancel</button>
        <button class="btn flat danger" id="delete-confirm" onClick={go}>Delete</button>
      </div>
    </Modal>
  ));
}

// forward asks where to, then queues the copies in the outbox (one
// random id per message, so a retry posts them once).
function forward(chat, ids) {
  openDialog(() => <ForwardPicker onPick={(to) => {
    closeDialog();
    queue(to, { kind: 'forward', from_chat_id: chat.id, ids, random_ids: ids.map(() => randomId()) });
    openChat(to);
  }} />);
}

function ForwardPicker({ onPick }) {
  const [q, setQ] = useState('');
  const list = [...S.dialogs.values()]
    .map((d) => S.chats.get(d.chat_id))
    .filter((c) => c && canPost(c) && (!q || chatTitle(c).toLowerCase().includes(q.toLowerCase())));
  return (
    <Modal title="Forward to…" onClose={closeDialog}>
      <div class="search-box standalone"><Icon name="search" size={18} /><input type="search" placeholder="Search" aria-label="Search chats" value={q} onInput={(e) => setQ(e.currentTarget.value)} /></div>
      <div class="modal-list">
        {list.map((c) => {
          const peer = peerOf(c);
          const saved = peer && S.me && peer.id === S.me.id;
          return (
            <button class="list-item compact" key={c.id} onClick={() => onPick({ id: c.id })}>
              <Avatar id={peer ? peer.id : c.id} name={chatTitle(c)} photo={peer ? peer.photo : c.photo} size={40} saved={saved} />
              <div class="item-main"><span class="item-title">{chatTitle(c)}</span></div>
            </button>
          );
        })}
      </div>
    </Modal>
  );
}

