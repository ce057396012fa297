// The left column: the chat list with its search box and menu, and the
// panels that take its place (settings, new chat, new group, new
// channel, archived chats).
import { useEffect, useRef, useState } from 'preact/hooks';
import { api } from '../api.js';
import { S, emit, sortedDialogs, chatTitle, peerOf, isMuted, typingIn, userName, toast } from '../state.js';
import { listTime, debounce, statusText, senderName, plural } from '../util.js';
import { preview } from '../preview.js';
import { renderText } from '../format.js';
import { searchAll, searchPeople, knownPeople, loadContacts, contactList, matches } from '../people.js';
import { readUpTo } from '../sync.js';
import { setMuted, muteItems } from '../mute.js';
import { Icon } from './icons.jsx';
import { Avatar, PanelHead, Spinner, openMenu, longPress, confirm } from './common.jsx';
import { openChat } from './chat.jsx';
import { openSecret, searchSecret } from '../secret.js';
import { Settings } from './settings.jsx';

export function Sidebar() {
  const p = S.ui.panel;
  let body;
  if (p === 'settings' || (p && p.startsWith('settings.'))) body = <Settings />;
  else if (p === 'newchat') body = <NewChat />;
  else if (p === 'newgroup') body = <NewGroup />;
  else if (p === 'newchannel') body = <NewChannel />;
  else if (p === 'archived') body = <Archived />;
  else if (p === 'contacts') body = <Contacts />;
  else body = <Main />;
  return <aside class="sidebar" aria-label="Chats">{body}</aside>;
}

export function setPanel(p) {
  S.ui.panel = p;
  emit();
}

function ConnBar() {
  let text = '';
  if (S.conn === 'connecting') text = navigator.onLine === false ? 'Waiting for network…' : 'Connecting…';
  else if (S.conn === 'syncing') text = 'Updating…';
  if (!text) return null;
  return <div class="conn-bar" role="status" aria-live="polite" id="conn-state"><Spinner size={14} /> {text}</div>;
}

function Main() {
  // The query lives in S.ui.search, so that opening a result clears it.
  const q = S.ui.search || '';
  const setQ = (v) => {
    S.ui.search = v;
    emit();
  };
  const input = useRef(null);
  const mainMenu = (e) => {
    const r = e.currentTarget.getBoundingClientRect();
    openMenu(r.left, r.bottom + 4, [
      { label: 'New group', icon: 'group', onClick: () => setPanel('newgroup') },
      { label: 'New channel', icon: 'channel', onClick: () => setPanel('newchannel') },
      { label: 'Contacts', icon: 'person', onClick: () => setPanel('contacts') },
      { label: 'Saved Messages', icon: 'bookmark', onClick: () => openChat({ userId: S.me.id }) },
      { label: 'Archived chats', icon: 'archive', onClick: () => setPanel('archived') },
      { label: 'Settings', icon: 'settings', onClick: () => setPanel('settings') },
    ]);
  };
  useEffect(() => {
    const key = (e) => {
      if ((e.ctrlKey || e.metaKey) && e.key.toLowerCase() === 'k') {
        e.preventDefault();
        input.current && input.current.focus();
      }
    };
    addEventListener('keydown', key);
    return () => removeEventListener('keydown', key);
  }, []);
  return (
    <>
      <div class="side-head">
        <button class="icon-btn" aria-label="Menu" id="main-menu" onClick={mainMenu}><Icon name="menu" /></button>
        <div class="search-box">
          <Icon name="search" size={18} />
          <input ref={input} id="search" type="search" placeholder="Search" aria-label="Search people, chats and messages" value={q}
            onInput={(e) => setQ(e.currentTarget.value)}
            onKeyDown={(e) => {
              if (e.key === 'Escape') {
                setQ('');
              } else if (e.key === 'ArrowDown') {
                const first = document.querySelector('.sidebar .list-item');
                if (first) {
                  e.preventDefault();
                  first.focus();
                }
              }
            }} />
          {q && <button class="icon-btn small" aria-label="Clear search" onClick={() => setQ('')}><Icon name="close" size={18} /></button>}
        </div>
      </div>
      <ConnBar />
      {q.trim() ? <SearchResults q={q} /> : <DialogList archived={false} />}
      {!q.trim() && (
        <button class="fab" aria-label="New message" id="new-chat" onClick={() => setPanel('newchat')}><Icon name="edit" /></button>
      )}
    </>
  );
}

// arrows moves the focus through a list with the arrow keys.
function arrows(e) {
  if (e.key !== 'ArrowDown' && e.key !== 'ArrowUp') return;
  const items = [...e.currentTarget.querySelectorAll('.list-item')];
  const i = items.indexOf(document.activeElement);
  const n = e.key === 'ArrowDown' ? i + 1 : i - 1;
  if (n >= 0 && n < items.length) {
    e.preventDefault();
    items[n].focus();
  }
}

function DialogList({ archived }) {
  const list = sortedDialogs(archived);
  const arch = archived ? [] : sortedDialogs(true);
  if (!S.loaded && !list.length) {
    return <div class="list-empty"><Spinner /></div>;
  }
  return (
    <nav class="dialog-list" aria-label={archived ? 'Archived chats' : 'Chat list'} onKeyDown={arrows}>
      {arch.length > 0 && (
        <button class="list-item archived-row" onClick={() => setPanel('archived')}>
          <span class="avatar" style={{ width: '48px', height: '48px' }}><span class="avatar-fill" style={{ background: '#8e99a4' }}><Icon name="archive" /></span></span>
          <div class="item-main">
            <div class="item-top"><span class="item-title">Archived chats</span></div>
            <div class="item-bottom"><span class="item-text">{arch.map((d) => chatTitle(S.chats.get(d.chat_id))).join(', ')}</span>
              {arch.some((d) => d.unread_count) && <span class="badge muted">{arch.reduce((n, d) => n + (d.unread_count || 0), 0)}</span>}
            </div>
          </div>
        </button>
      )}
      {withSecrets(list, archived ? [] : S.secretChats).map((d) => d.secret ? <SecretItem key={'s' + d.secret.user} s={d.secret} /> : <DialogItem key={d.chat_id} d={d} />)}
      {!list.length && !(S.secretChats.length && !archived) && (
        <div class="list-empty">
          <p>{archived ? 'No archived chats.' : 'No chats yet.'}</p>
          {!archived && <button class="btn primary" onClick={() => setPanel('newchat')}>Start a chat</button>}
        </div>
      )}
    </nav>
  );
}

function DialogItem({ d }) {
  const chat = S.chats.get(d.chat_id);
  const peer = peerOf(chat);
  const saved = chat.kind === 'private' && S.me && chat.peer_id === S.me.id;
  const title = chatTitle(chat);
  const active = S.ui.chat && S.ui.chat.id === chat.id && !S.ui.secret;
  const typing = typingIn(chat.id);
  const pending = S.pending.get(String(chat.id)) || [];
  const last = pending.length ? pending[pending.length - 1] : null;
  const top = d.top_message;
  const draft = !active && S.drafts.get(String(chat.id));
  const muted = isMuted(d);
  let line;
  if (typing.length) {
    line = <span class="item-text accent">{chat.kind === 'private' ? 'typing…' : `${userName(S.users.get(typing[0])).split(' ')[0]} is typing…`}</span>;
  } else if (draft && draft.trim()) {
    line = <span class="item-text"><span class="draft">Draft:</span> {draft}</span>;
  } else if (last && (!top || last.date >= top.date)) {
    line = <span class="item-text"><span class="sender">You: </span>{last.text || (last.items ? 'Photo' : '')}</span>;
  } else if (top) {
    const mine = S.me && top.sender_id === S.me.id;
    const who = !top.service && chat.kind === 'group' && top.sender_id ? (mine ? 'You' : userName(S.users.get(top.sender_id)).split(' ')[0]) : mine && chat.kind === 'private' && !saved ? 'You' : '';
    line = <span class="item-text">{who && <span class="sender">{who}: </span>}{preview(top, chat)}</span>;
  } else {
    line = <span class="item-text" />;
  }
  let ticks = null;
  if (last) ticks = <Icon name="clock" size={16} class="tick" />;
  else if (top && !top.service && S.me && top.sender_id === S.me.id && chat.kind !== 'channel' && !saved) {
    ticks = <Icon name={top.id <= (chat.read_outbox_max_id || 0) ? 'checks' : 'check'} size={16} class="tick read-state" />;
  }
  const menu = (x, y) => openMenu(x, y, dialogMenu(d, chat));
  return (
    <button class={'list-item' + (active ? ' active' : '')} data-chat={chat.id} aria-current={active ? 'true' : undefined}
      onClick={() => openChat({ id: chat.id })} {...longPress(menu)}>
      <Avatar id={saved ? 0 : peer ? peer.id : chat.id} name={title} photo={saved ? null : peer ? peer.photo : chat.photo} saved={saved}
        online={peer && !saved && peer.status && peer.status.kind === 'online'} />
      <div class="item-main">
        <div class="item-top">
          {chat.kind === 'group' && <Icon name="group" size={16} class="kind" />}
          {chat.kind === 'channel' && <Icon name="channel" size={16} class="kind" />}
          <span class="item-title">{title}</span>
          {muted && <Icon name="mute" size={14} class="muted-icon" title="Muted" />}
          {ticks}
          <span class="item-time">{listTime(last && (!top || last.date >= top.date) ? last.date : top ? top.date : 0)}</span>
        </div>
        <div class="item-bottom">
          {line}
          {d.unread_mentions > 0 && <span class="badge mention" aria-label="mentioned">@</span>}
          {d.unread_count > 0 ? (
            <span class={'badge' + (muted ? ' muted' : '')} aria-label={plural(d.unread_count, 'unread message')}>{d.unread_count >= 1000 ? '999+' : d.unread_count}</span>
          ) : d.pinned ? <Icon name="pin" size={16} class="pinned-icon" title="Pinned" /> : null}
        </div>
      </div>
    </button>
  );
}

// withSecrets puts the secret chats among the dialogs by the date of
// their last message, after the pinned dialogs.
function withSecrets(list, secrets) {
  if (!secrets.length) return list;
  const date = (d) => (d.secret ? (d.secret.last ? d.secret.last.date : 0) : d.top_message ? d.top_message.date : 0);
  const pinned = list.filter((d) => d.pinned);
  const rest = [...list.filter((d) => !d.pinned), ...secrets.map((s) => ({ secret: s }))];
  // A stable sort keeps the dialogs' own order among equal dates.
  return [...pinned, ...rest.sort((a, b) => date(b) - date(a))];
}

// SecretItem is a secret chat in the chat list: the person's name in
// green with a lock, and the last message, which only this device has.
function SecretItem({ s }) {
  const peer = S.users.get(s.user);
  const name = userName(peer);
  const active = S.ui.secret && S.ui.secret.userId === s.user && S.ui.chat;
  const m = s.last;
  const text = !m ? 'Secret chat' : (m.out ? 'You: ' : '') + (m.file ? '📎 ' + (m.text || m.file.name) : m.text || '');
  return (
    <button class={'list-item secret-item' + (active ? ' active' : '')} data-secret={s.user} aria-current={active ? 'true' : undefined}
      aria-label={'Secret chat with ' + name} onClick={() => openSecret(s.user)}>
      <Avatar id={s.user} name={name} photo={peer && peer.photo} />
      <div class="item-main">
        <div class="item-top">
          <Icon name="lock" size={16} class="kind secret-lock" title="Secret chat" />
          <span class="item-title secret-title">{name}</span>
          <span class="item-time">{m ? listTime(m.date) : ''}</span>
        </div>
        <div class="item-bottom"><span class="item-text">{text}</span></div>
      </div>
    </button>
  );
}

export function dialogMenu(d, chat) {
  const muted = isMuted(d);
  const upd = (p) => api.call('dialogs.update', { chat_id: chat.id, ...p }).then(() => {
    Object.assign(d, p);
    emit();
  }).catch((e) => toast(e.code === 'PINNED_DIALOGS_TOO_MANY' ? 'You can pin up to 5 chats.' : 'Could not change the chat.', 'error'));
  return [
    { label: d.pinned ? 'Unpin' : 'Pin', icon: 'pin', onClick: () => upd({ pinned: !d.pinned }) },
    muted
      ? { label: 'Unmute', icon: 'bell', onClick: () => setMuted(d, 0) }
      : { label: 'Mute…', icon: 'mute', onClick: (m) => openMenu(m.x, m.y, muteItems(d)) },
    chat.kind === 'private' && peerOf(chat) && S.me && peerOf(chat).id !== S.me.id && {
      label: 'Start secret chat',
      icon: 'lock',
      onClick: () => openSecret(peerOf(chat).id),
    },
    { label: d.archived ? 'Unarchive' : 'Archive', icon: d.archived ? 'unarchive' : 'archive', onClick: () => upd({ archived: !d.archived }) },
    d.unread_count > 0 && {
      label: 'Mark as read',
      icon: 'checks',
      onClick: () => {
        const max = Math.max(d.counted || 0, d.top_message ? d.top_message.id : 0);
        readUpTo(chat.id, max);
        api.call('messages.read', { chat_id: chat.id }).catch(() => {});
      },
    },
    chat.kind !== 'private' && chat.role !== 'owner' && {
      label: chat.kind === 'channel' ? 'Leave channel' : 'Leave group',
      icon: 'logout',
      danger: true,
      onClick: async () => {
        if (!(await confirm(`Leave “${chatTitle(chat)}”?`, { ok: 'Leave', danger: true }))) return;
        api.call('chats.leave', { chat_id: chat.id }).catch(() => toast('Could not leave the chat.', 'error'));
      },
    },
  ];
}

function SearchResults({ q }) {
  const [res, setRes] = useState(null);
  const run = useRef(null);
  if (!run.current) {
    run.current = debounce((query, set) => {
      Promise.all([searchAll(query), searchSecret(query)]).then(([r, secret]) => {
        if (S.ui.search === query) set({ ...r, secret });
      });
    }, 250);
  }
  useEffect(() => {
    setRes(null);
    run.current(q, setRes);
  }, [q]);
  if (!res) return <div class="list-empty"><Spinner /></div>;
  const none = !res.secret.length && !res.chats.length && !res.people.length && !res.publicChats.length && !res.messages.length;
  const done = () => {
    S.ui.search = '';
    emit();
  };
  return (
    <nav class="dialog-list search-results" aria-label="Search results" onKeyDown={arrows}>
      {none && <div class="list-empty"><p>Nothing found for “{q}”.</p></div>}
      {res.chats.length > 0 && <h3 class="section">Chats</h3>}
      {res.chats.map((c) => {
        const peer = peerOf(c);
        const saved = peer && S.me && peer.id === S.me.id;
        return (
          <button class="list-item compact" key={'c' + c.id} onClick={() => { done(); openChat({ id: c.id }); }}>
            <Avatar id={peer ? peer.id : c.id} name={chatTitle(c)} photo={peer ? peer.photo : c.photo} size={40} saved={saved} />
            <div class="item-main"><span class="item-title">{chatTitle(c)}</span>
              <span class="item-text">{peer ? (peer.username ? '@' + peer.username : statusText(peer)) : plural(c.member_count || 0, c.kind === 'channel' ? 'subscriber' : 'member')}</span></div>
          </button>
        );
      })}
      {res.people.length > 0 && <h3 class="section">People</h3>}
      {res.people.map((u) => (
        <button class="list-item compact" key={'u' + u.id} data-user={u.id} onClick={() => { done(); openChat({ userId: u.id }); }}>
          <Avatar id={u.id} name={userName(u)} photo={u.photo} size={40} />
          <div class="item-main"><span class="item-title">{userName(u)}</span><span class="item-text">{u.username ? '@' + u.username : statusText(u)}</span></div>
        </button>
      ))}
      {res.publicChats.length > 0 && <h3 class="section">Public chats</h3>}
      {res.publicChats.map((c) => (
        <button class="list-item compact" key={'p' + c.id} onClick={() => { done(); openChat({ id: c.id }); }}>
          <Avatar id={c.id} name={c.title} photo={c.photo} size={40} />
          <div class="item-main"><span class="item-title">{c.title}</span><span class="item-text">@{c.username} · {plural(c.member_count || 0, c.kind === 'channel' ? 'subscriber' : 'member')}</span></div>
        </button>
      ))}
      {res.secret.length > 0 && <h3 class="section">Secret chats (searched on this device)</h3>}
      {res.secret.map((m) => {
        const peer = S.users.get(m.chat);
        return (
          <button class="list-item" key={'s' + m.chat + '.' + m.id} data-secret-found={m.id} onClick={() => { done(); openSecret(m.chat); }}>
            <Avatar id={m.chat} name={userName(peer)} photo={peer && peer.photo} size={48} />
            <div class="item-main">
              <div class="item-top"><Icon name="lock" size={16} class="kind secret-lock" /><span class="item-title secret-title">{userName(peer)}</span><span class="item-time">{listTime(m.date)}</span></div>
              <div class="item-bottom"><span class="item-text">{m.out ? 'You: ' : ''}{m.file ? '📎 ' + m.file.name + ' ' : ''}{(m.text || '').slice(0, 200)}</span></div>
            </div>
          </button>
        );
      })}
      {res.messages.length > 0 && <h3 class="section">Messages</h3>}
      {res.messages.map((m) => {
        const c = S.chats.get(m.chat_id) || res.msgChats.get(m.chat_id);
        const peer = peerOf(c);
        return (
          <button class="list-item" key={'m' + m.chat_id + '.' + m.id} data-found={m.chat_id + '.' + m.id} onClick={() => { done(); openChat({ id: m.chat_id }, false, m.id); }}>
            <Avatar id={peer ? peer.id : m.chat_id} name={c ? chatTitle(c) : 'Chat'} photo={peer ? peer.photo : c && c.photo} size={48} />
            <div class="item-main">
              <div class="item-top"><span class="item-title">{c ? chatTitle(c) : 'Chat'}</span><span class="item-time">{listTime(m.date)}</span></div>
              <div class="item-bottom"><span class="item-text">{m.sender_id && c && c.kind === 'group' ? senderName(m.sender_id) + ': ' : ''}{m.text ? renderText(m.text.slice(0, 200), (m.entities || []).filter((e) => e.offset + e.length <= 200 && e.type !== 'spoiler')) : preview(m, c)}</span></div>
            </div>
          </button>
        );
      })}
    </nav>
  );
}

function Archived() {
  // The last chat unarchived (the archive stays open beside a chat on a
  // desktop): back to the list, where it went.
  // An archive opened empty from the menu stays, to say so.
  const empty = S.loaded && !sortedDialogs(true).length;
  const had = useRef(false);
  if (!empty) had.current = true;
  useEffect(() => {
    if (empty && had.current) setPanel(null);
  }, [empty]);
  return (
    <>
      <PanelHead title="Archived chats" onBack={() => setPanel(null)} />
      <DialogList archived />
    </>
  );
}

// Contacts lists the person's contacts under the names they gave them,
// with a search box; a contact opens the chat with them.
function Contacts() {
  const [q, setQ] = useState('');
  const [loaded, setLoaded] = useState(false);
  useEffect(() => {
    loadContacts(true).then(() => setLoaded(true));
  }, []);
  const all = contactList();
  const list = q.trim() ? all.filter((c) => matches(c.name + ' ' + userName(c.user) + ' ' + (c.user.username || ''), q.trim().replace(/^@/, ''))) : all;
  return (
    <>
      <PanelHead title="Contacts" onBack={() => setPanel(null)} />
      <div class="search-box standalone"><Icon name="search" size={18} /><input id="contacts-search" type="search" placeholder="Search contacts" aria-label="Search contacts" value={q} onInput={(e) => setQ(e.currentTarget.value)} /></div>
      <nav class="dialog-list contact-list" aria-label="Contacts" onKeyDown={arrows}>
        {!loaded && !all.length && <div class="list-empty"><Spinner /></div>}
        {list.map(({ user, name }) => {
          const active = S.ui.chat && S.ui.chat.userId === user.id;
          return (
            <button class={'list-item' + (active ? ' active' : '')} key={user.id} data-user={user.id} onClick={() => openChat({ userId: user.id })}>
              <Avatar id={user.id} name={name || userName(user)} photo={user.photo} online={user.status && user.status.kind === 'online'} />
              <div class="item-main">
                <div class="item-top"><span class="item-title">{name || userName(user)}</span></div>
                <div class="item-bottom"><span class="item-text">{statusText(user)}</span></div>
              </div>
            </button>
          );
        })}
        {loaded && !list.length && <div class="list-empty"><p>{q.trim() ? 'No contacts found.' : 'No contacts yet. Add people from their profile.'}</p></div>}
      </nav>
    </>
  );
}

// PeoplePicker lists people to pick: those met before, then whoever a
// search finds.
function PeoplePicker({ onPick, picked, multi }) {
  const [q, setQ] = useState('');
  const [found, setFound] = useState(null);
  const [, force] = useState(0);
  const run = useRef(debounce((query, set) => searchPeople(query).then(set), 250));
  useEffect(() => {
    loadContacts().then(() => force((n) => n + 1));
  }, []);
  useEffect(() => {
    if (!q.trim()) setFound(null);
    else run.current(q, setFound);
  }, [q]);
  const list = q.trim() ? found : knownPeople();
  return (
    <>
      <div class="search-box standalone">
        <Icon name="search" size={18} />
        <input id="people-search" type="search" placeholder="Search people by name or username" aria-label="Search people" value={q} autoFocus
          onInput={(e) => setQ(e.currentTarget.value)} />
      </div>
      <nav class="dialog-list" aria-label="People" onKeyDown={arrows}>
        {!q.trim() && list.length > 0 && <h3 class="section">{multi ? 'Add people' : 'Recent'}</h3>}
        {list === null && <div class="list-empty"><Spinner /></div>}
        {list && list.map((u) => {
          const on = picked && picked.has(u.id);
          return (
            <button class={'list-item compact' + (on ? ' picked' : '')} key={u.id} data-user={u.id} aria-pressed={multi ? String(!!on) : undefined} onClick={() => onPick(u)}>
              <Avatar id={u.id} name={userName(u)} photo={u.photo} size={40} online={u.status && u.status.kind === 'online'} />
              <div class="item-main"><span class="item-title">{userName(u)}</span><span class="item-text">{u.username ? '@' + u.username : statusText(u)}</span></div>
              {multi && <span class={'check-circle' + (on ? ' on' : '')}>{on && <Icon name="check" size={16} />}</span>}
            </button>
          );
        })}
        {list && !list.length && <div class="list-empty"><p>{q.trim() ? 'No one found. Try their exact username.' : 'Search for people by their username.'}</p></div>}
      </nav>
    </>
  );
}

function NewChat() {
  return (
    <>
      <PanelHead title="New message" onBack={() => setPanel(null)} />
      <div class="new-actions">
        <button class="list-item compact" id="new-group" onClick={() => setPanel('newgroup')}><span class="round-icon"><Icon name="group" /></span><span class="item-title">New group</span></button>
        <button class="list-item compact" id="new-channel" onClick={() => setPanel('newchannel')}><span class="round-icon"><Icon name="channel" /></span><span class="item-title">New channel</span></button>
      </div>
      <PeoplePicker onPick={(u) => {
        setPanel(null);
        openChat({ userId: u.id });
      }} />
    </>
  );
}

function NewGroup() {
  const [picked, setPicked] = useState(new Map());
  const [step, setStep] = useState(1);
  const [title, setTitle] = useState('');
  const [busy, setBusy] = useState(false);
  if (step === 1) {
    return (
      <>
        <PanelHead title="New group" onBack={() => setPanel(null)} />
        {picked.size > 0 && (
          <div class="chips">
            {[...picked.values()].map((u) => (
              <button class="chip" key={u.id} aria-label={'Remove ' + userName(u)} onClick={() => { const m = new Map(picked); m.delete(u.id); setPicked(m); }}>
                <Avatar id={u.id} name={userName(u)} photo={u.photo} size={24} /> {userName(u).split(' ')[0]} <Icon name="close" size={14} />
              </button>
            ))}
          </div>
        )}
        <PeoplePicker multi picked={picked} onPick={(u) => {
          const m = new Map(picked);
          if (m.has(u.id)) m.delete(u.id);
          else m.set(u.id, u);
          setPicked(m);
        }} />
        <button class="fab" aria-label="Next" id="group-next" onClick={() => setStep(2)}><Icon name="send" /></button>
      </>
    );
  }
  const create = async (e) => {
    e.preventDefault();
    if (!title.trim() || busy) return;
    setBusy(true);
    try {
      const c = await api.call('chats.createGroup', { title: title.trim(), user_ids: [...picked.keys()] });
      S.chats.set(c.id, c);
      setPanel(null);
      openChat({ id: c.id });
    } catch (err) {
      toast(err.code === 'USER_PRIVACY_RESTRICTED' ? 'Their privacy settings do not let you add them to groups.' : err.code === 'CHAT_TITLE_INVALID' ? 'Enter a title of up to 128 characters.' : 'Could not create the group.', 'error');
    } finally {
      setBusy(false);
    }
  };
  return (
    <>
      <PanelHead title="New group" onBack={() => setStep(1)} />
      <form class="form" onSubmit={create}>
        <label class="label" for="group-title">Group name</label>
        <input id="group-title" class="field" value={title} maxLength={128} autoFocus onInput={(e) => setTitle(e.currentTarget.value)} />
        <p class="muted">{picked.size ? plural(picked.size, 'member') + ' besides you' : 'Just you for now: add people later, or share an invite link.'}</p>
        <button class="btn primary" type="submit" id="group-create" disabled={busy || !title.trim()}>Create group</button>
      </form>
    </>
  );
}

function NewChannel() {
  const [title, setTitle] = useState('');
  const [about, setAbout] = useState('');
  const [username, setUsername] = useState('');
  const [err, setErr] = useState('');
  const create = async (e) => {
    e.preventDefault();
    setErr('');
    try {
      const p = { title: title.trim() };
      if (about.trim()) p.about = about.trim();
      if (username.trim()) p.username = username.trim();
      const c = await api.call('chats.createChannel', p);
      S.chats.set(c.id, c);
      setPanel(null);
      openChat({ id: c.id });
    } catch (x) {
      setErr({
        USERNAME_OCCUPIED: 'That username is taken.',
        USERNAME_INVALID: 'A username has 5 to 32 letters, digits and underscores, and starts with a letter.',
        CHAT_TITLE_INVALID: 'Enter a title of up to 128 characters.',
        CHAT_ABOUT_TOO_LONG: 'The description is too long.',
      }[x.code] || 'Could not create the channel.');
    }
  };
  return (
    <>
      <PanelHead title="New channel" onBack={() => setPanel(null)} />
      <form class="form" onSubmit={create}>
        <label class="label" for="channel-title">Channel name</label>
        <input id="channel-title" class="field" value={title} maxLength={128} autoFocus onInput={(e) => setTitle(e.currentTarget.value)} />
        <label class="label" for="channel-about">Description (optional)</label>
        <textarea id="channel-about" class="field" rows={3} maxLength={255} value={about} onInput={(e) => setAbout(e.currentTarget.value)} />
        <label class="label" for="channel-username">Public link (optional)</label>
        <div class="prefixed"><span>@</span><input id="channel-username" class="field" value={username} onInput={(e) => setUsername(e.currentTarget.value)} placeholder="username" /></div>
        <p class="muted">With a public link anyone can find and read the channel. Leave it empty for a private channel that people join by invite link.</p>
        {err && <p class="form-error" role="alert">{err}</p>}
        <button class="btn primary" type="submit" id="channel-create" disabled={!title.trim()}>Create channel</button>
      </form>
    </>
  );
}

