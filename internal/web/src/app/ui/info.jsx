// The info column of a chat: the person or the group and channel, their
// settings, members with the admins' actions, and invite links.
import { useEffect, useRef, useState } from 'preact/hooks';
import { api } from '../api.js';
import { S, emit, peerOf, userName, toast, isMuted, useVersion } from '../state.js';
import { statusText, plural, listTime } from '../util.js';
import { ttlText } from '../preview.js';
import { fetchChat, ensureUsers } from '../sync.js';
import { uploadNow } from '../outbox.js';
import { canChangeInfo, canChangeSettings, canInvite, canBan, canAddAdmins, canSeeMembers, isMember } from '../rights.js';
import { searchPeople, loadContacts, contactName, contactNameParts, addContact, removeContact } from '../people.js';
import { setMuted, muteItems, mutedText } from '../mute.js';
import { Icon } from './icons.jsx';
import { Avatar, PanelHead, Toggle, Modal, openDialog, closeDialog, openMenu, confirm, Spinner } from './common.jsx';
import { openChat, closeChat } from './chat.jsx';
import { openSecret } from '../secret.js';

const close = () => {
  S.ui.info = false;
  emit();
};

export function InfoPanel() {
  const c = S.ui.chat;
  const chat = c.id ? S.chats.get(c.id) : null;
  const peer = chat ? peerOf(chat) : S.users.get(c.userId);
  return (
    <aside class="info" aria-label="Chat info">
      <PanelHead title={chat && chat.kind !== 'private' ? (chat.kind === 'channel' ? 'Channel info' : 'Group info') : 'User info'} onBack={close} icon="close" />
      <div class="info-body">
        {chat && chat.kind !== 'private' ? <ChatInfo chat={chat} /> : <UserInfo user={peer} chat={chat} />}
      </div>
    </aside>
  );
}

function Row({ icon, label, value, onClick, danger, id }) {
  const Tag = onClick ? 'button' : 'div';
  return (
    <Tag class={'info-row' + (danger ? ' danger' : '') + (onClick ? ' clickable' : '')} onClick={onClick} id={id}>
      <Icon name={icon} />
      <span class="info-row-text">
        <span class="info-value">{value}</span>
        {label && <span class="info-label">{label}</span>}
      </span>
    </Tag>
  );
}

function MuteRow({ chat }) {
  const d = chat && S.dialogs.get(chat.id);
  if (!d) return null;
  const muted = isMuted(d);
  return (
    <div class="info-toggle">
      <Toggle label="Notifications" checked={!muted} onChange={(on) => {
        if (on) {
          setMuted(d, 0);
          return;
        }
        // Off asks for how long; the switch shows the state until then.
        const sw = document.querySelector('#mute-switch');
        if (sw) sw.checked = true;
        const r = sw ? sw.getBoundingClientRect() : { left: innerWidth / 2, bottom: innerHeight / 2 };
        openMenu(r.left - 160, r.bottom + 4, muteItems(d));
      }} id="mute-switch" />
      {muted && <p class="muted small" id="muted-until">{mutedText(d)}</p>}
    </div>
  );
}

const TTLS = [0, 86400, 604800, 2678400];

function TimerRow({ chat, may }) {
  if (!chat) return null;
  return (
    <label class="info-row">
      <Icon name="timer" />
      <span class="info-row-text">
        <select class="inline-select" aria-label="Auto-delete messages" value={chat.ttl_seconds || 0} disabled={!may}
          onChange={(e) => api.call('chats.update', { chat_id: chat.id, ttl_seconds: Number(e.currentTarget.value) }).then((x) => {
            S.chats.set(chat.id, { ...x, seq: S.chats.get(chat.id).seq });
            emit();
          }).catch((err) => toast(err.code === 'USER_BLOCKED' ? 'This person blocks you.' : 'Could not set the timer.', 'error'))}>
          {TTLS.map((t) => <option value={t} key={t}>{t ? 'After ' + ttlText(t) : 'Off'}</option>)}
        </select>
        <span class="info-label">Auto-delete new messages</span>
      </span>
    </label>
  );
}

function UserInfo({ user, chat }) {
  useEffect(() => {
    if (user && user.contact) loadContacts();
  }, [user && user.id]);
  if (!user) return <Spinner />;
  const saved = S.me && user.id === S.me.id;
  const cname = user.contact ? contactName(user.id) : '';
  return (
    <>
      <div class="info-hero">
        <Avatar id={user.id} name={userName(user)} photo={user.photo} size={120} saved={saved} />
        <h3>{saved ? 'Saved Messages' : userName(user)}</h3>
        {!saved && <p class={user.status && user.status.kind === 'online' ? 'accent' : 'muted'}>{statusText(user)}</p>}
      </div>
      {(user.username || user.bio || user.phone || user.email || (cname && cname !== userName(user))) && <div class="info-section">
        {user.username && <Row icon="person" value={'@' + user.username} label="Username" onClick={() => navigator.clipboard.writeText('@' + user.username).then(() => toast('Username copied'))} />}
        {user.bio && <Row icon="info" value={user.bio} label="Bio" />}
        {user.phone && <Row icon="devices" value={user.phone} label="Phone" />}
        {user.email && <Row icon="link" value={user.email} label="Email" />}
        {cname && cname !== userName(user) && <Row icon="personAdd" value={cname} label="Name in your contacts" id="contact-name" />}
      </div>}
      {chat && (
        <div class="info-section">
          <MuteRow chat={chat} />
          <TimerRow chat={chat} may />
        </div>
      )}
      {!saved && !user.deleted && (
        <div class="info-section">
          {!chat && <Row icon="send" value="Send a message" onClick={() => {
            closeDialog();
            openChat({ userId: user.id });
          }} />}
          <Row icon="lock" value="Start secret chat" id="start-secret" onClick={() => {
            closeDialog();
            openSecret(user.id);
          }} />
          {user.contact ? (
            <>
              <Row icon="edit" value="Edit contact" id="edit-contact" onClick={() => editContact(user)} />
              <Row icon="trash" danger value="Remove from contacts" id="remove-contact" onClick={async () => {
                if (!(await confirm(`Remove ${cname || userName(user)} from your contacts?`, { ok: 'Remove', danger: true }))) return;
                removeContact(user.id).catch(() => toast('Could not remove the contact.', 'error'));
              }} />
            </>
          ) : (
            <Row icon="personAdd" value="Add to contacts" id="add-contact" onClick={() => editContact(user)} />
          )}
          <Row icon="block" danger={!user.blocked} value={user.blocked ? 'Unblock' : 'Block'} id="block-user" onClick={async () => {
            if (!user.blocked && !(await confirm(`Block ${userName(user)}? They will not be able to message you.`, { ok: 'Block', danger: true }))) return;
            api.call(user.blocked ? 'contacts.unblock' : 'contacts.block', { user_id: user.id }).then(() => {
              S.users.set(user.id, { ...user, blocked: !user.blocked });
              emit();
            }).catch(() => toast('Could not change the block.', 'error'));
          }} />
        </div>
      )}
    </>
  );
}

// editContact asks for the name to keep a person under, and adds them
// to the contacts or renames them.
function editContact(user) {
  const ContactForm = () => {
    const had = user.contact && contactNameParts(user.id);
    const [first, setFirst] = useState(had ? had.first_name : user.first_name || '');
    const [last, setLast] = useState(had ? had.last_name : user.last_name || '');
    const [err, setErr] = useState('');
    const [busy, setBusy] = useState(false);
    return (
      <Modal title={user.contact ? 'Edit contact' : 'Add to contacts'} onClose={closeDialog}>
        <form class="form" onSubmit={(e) => {
          e.preventDefault();
          setBusy(true);
          addContact(user.id, first.trim(), last.trim()).then(closeDialog).catch((x) => {
            setBusy(false);
            setErr({
              FIRST_NAME_INVALID: 'Enter a first name of 1 to 64 characters.',
              PARAM_MISSING: 'Enter a first name of 1 to 64 characters.',
              LAST_NAME_INVALID: 'The last name has at most 64 characters.',
              USER_NOT_FOUND: 'This person is not available.',
            }[x.code] || 'Could not save the contact.');
          });
        }}>
          <label class="label" for="contact-first">First name</label>
          <input id="contact-first" class="field" data-autofocus value={first} maxLength={64} onInput={(e) => setFirst(e.currentTarget.value)} />
          <label class="label" for="contact-last">Last name</label>
          <input id="contact-last" class="field" value={last} maxLength={64} onInput={(e) => setLast(e.currentTarget.value)} />
          {err && <p class="form-error" role="alert">{err}</p>}
          <div class="modal-actions">
            <button type="button" class="btn flat" onClick={closeDialog}>Cancel</button>
            <button type="submit" class="btn primary" id="contact-save" disabled={busy || !first.trim()}>Save</button>
          </div>
        </form>
      </Modal>
    );
  };
  openDialog(() => <ContactForm />);
}

// openProfile shows a person's profile (a group member's) in a dialog,
// kept up to date as the app learns of changes.
export function openProfile(id) {
  const Profile = () => {
    useVersion();
    return (
      <Modal title="Profile" onClose={closeDialog}>
        <div class="profile-dialog"><UserInfo user={S.users.get(id)} chat={null} /></div>
      </Modal>
    );
  };
  openDialog(() => <Profile />);
}

function ChatInfo({ chat }) {
  const [editing, setEditing] = useState(false);
  const photo = useRef(null);
  const link = chat.username ? '@' + chat.username : '';
  const setPhoto = async (f) => {
    try {
      toast('Uploading the photo…');
      const id = await uploadNow(f, f.name);
      const x = await api.call('chats.setPhoto', { chat_id: chat.id, file_id: id });
      S.chats.set(chat.id, { ...x, seq: S.chats.get(chat.id).seq });
      emit();
    } catch (e) {
      toast(e.code === 'PHOTO_INVALID' ? 'That image cannot be used.' : 'Could not set the photo.', 'error');
    }
  };
  return (
    <>
      <div class="info-hero">
        <button class="avatar-edit" disabled={!canChangeInfo(chat)} aria-label="Change photo" onClick={() => photo.current.click()}>
          <Avatar id={chat.id} name={chat.title} photo={chat.photo} size={120} />
          {canChangeInfo(chat) && <span class="avatar-edit-icon"><Icon name="camera" /></span>}
        </button>
        <input ref={photo} type="file" accept="image/jpeg,image/png,image/gif" hidden onChange={(e) => {
          const f = e.currentTarget.files[0];
          e.currentTarget.value = '';
          if (f) setPhoto(f);
        }} />
        <h3>{chat.title}</h3>
        <p class="muted">{plural(chat.member_count || 0, chat.kind === 'channel' ? 'subscriber' : 'member')}</p>
        {canChangeInfo(chat) && <button class="btn flat small" id="edit-chat" onClick={() => setEditing(!editing)}><Icon name="edit" size={18} /> Edit</button>}
      </div>
      {editing && <EditChat chat={chat} onDone={() => setEditing(false)} />}
      <div class="info-section">
        {chat.about && <Row icon="info" value={chat.about} label="Description" />}
        {chat.username && <Row icon="link" value={'@' + chat.username} label="Public username" onClick={() => navigator.clipboard.writeText(link).then(() => toast('Link copied'))} />}
        <MuteRow chat={chat} />
      </div>
      {canSeeMembers(chat) && isMember(chat) && <Members chat={chat} />}
      {canInvite(chat) && <Invites chat={chat} />}
      {canChangeSettings(chat) && <ChatSettings chat={chat} />}
      {isMember(chat) && chat.role !== 'owner' && (
        <div class="info-section">
          <Row icon="logout" danger value={chat.kind === 'channel' ? 'Leave channel' : 'Leave group'} id="leave-chat" onClick={async () => {
            if (!(await confirm(`Leave “${chat.title}”?`, { ok: 'Leave', danger: true }))) return;
            api.call('chats.leave', { chat_id: chat.id }).then(() => closeChat()).catch(() => toast('Could not leave.', 'error'));
          }} />
        </div>
      )}
    </>
  );
}

function saveChat(chat, p) {
  return api.call('chats.update', { chat_id: chat.id, ...p }).then((x) => {
    S.chats.set(chat.id, { ...x, seq: S.chats.get(chat.id).seq });
    emit();
  });
}

const chatErr = (e) => ({
  CHAT_TITLE_INVALID: 'Enter a title of 1 to 128 characters.',
  CHAT_ABOUT_TOO_LONG: 'The description has at most 255 characters.',
  USERNAME_INVALID: 'A username has 5 to 32 letters, digits and underscores, starting with a letter.',
  USERNAME_OCCUPIED: 'That username is taken.',
  RIGHT_FORBIDDEN: 'You may not change this.',
}[e.code] || 'Could not save.');

function EditChat({ chat, onDone }) {
  const [title, setTitle] = useState(chat.title || '');
  const [about, setAbout] = useState(chat.about || '');
  const [username, setUsername] = useState(chat.username || '');
  const [err, setErr] = useState('');
  return (
    <form class="form info-section" onSubmit={(e) => {
      e.preventDefault();
      const p = { title: title.trim(), about: about.trim() };
      if (canChangeSettings(chat) && username.trim() !== (chat.username || '')) p.username = username.trim();
      saveChat(chat, p).then(onDone).catch((x) => setErr(chatErr(x)));
    }}>
      <label class="label" for="edit-title">Title</label>
      <input id="edit-title" class="field" value={title} maxLength={128} onInput={(e) => setTitle(e.currentTarget.value)} />
      <label class="label" for="edit-about">Description</label>
      <textarea id="edit-about" class="field" rows={3} maxLength={255} value={about} onInput={(e) => setAbout(e.currentTarget.value)} />
      {canChangeSettings(chat) && (
        <>
          <label class="label" for="edit-username">Public username (empty: private)</label>
          <div class="prefixed"><span>@</span><input id="edit-username" class="field" value={username} onInput={(e) => setUsername(e.currentTarget.value)} /></div>
        </>
      )}
      {err && <p class="form-error" role="alert">{err}</p>}
      <div class="modal-actions">
        <button type="button" class="btn flat" onClick={onDone}>Cancel</button>
        <button type="submit" class="btn primary">Save</button>
      </div>
    </form>
  );
}

const SLOW = [0, 10, 30, 60, 300, 900, 3600];
const MEMBER_RIGHTS = [['send_messages', 'Send messages'], ['pin_messages', 'Pin messages'], ['change_info', 'Change group info'], ['invite_users', 'Add people and make links']];

function ChatSettings({ chat }) {
  const [open, setOpen] = useState(false);
  const fail = (e) => toast(chatErr(e), 'error');
  const rights = chat.member_rights || [];
  if (!open) {
    return (
      <div class="info-section">
        <Row icon="settings" value={chat.kind === 'channel' ? 'Channel settings' : 'Group settings'} label="Auto-delete, slow mode, permissions" id="chat-settings" onClick={() => setOpen(true)} />
      </div>
    );
  }
  return (
    <div class="info-section">
      <h4 class="section">Settings</h4>
      <TimerRow chat={chat} may />
      {chat.kind === 'group' && (
        <>
          <label class="info-row">
            <Icon name="clock" />
            <span class="info-row-text">
              <select class="inline-select" aria-label="Slow mode" value={chat.slow_mode_seconds || 0} onChange={(e) => saveChat(chat, { slow_mode_seconds: Number(e.currentTarget.value) }).catch(fail)}>
                {SLOW.map((s) => <option value={s} key={s}>{s === 0 ? 'Off' : s < 60 ? s + ' seconds' : s < 3600 ? s / 60 + ' minutes' : '1 hour'}</option>)}
              </select>
              <span class="info-label">Slow mode</span>
            </span>
          </label>
          <div class="info-toggle"><Toggle label="New members see earlier messages" checked={!chat.history_hidden} onChange={(v) => saveChat(chat, { history_hidden: !v }).catch(fail)} /></div>
          <h4 class="section">What members may do</h4>
          {MEMBER_RIGHTS.map(([r, label]) => (
            <div class="info-toggle" key={r}><Toggle label={label} checked={rights.includes(r)} onChange={(v) => saveChat(chat, { member_rights: v ? [...rights, r] : rights.filter((x) => x !== r) }).catch(fail)} /></div>
          ))}
        </>
      )}
      {chat.kind === 'channel' && (
        <div class="info-toggle"><Toggle label="Sign posts with the author's name" checked={!!chat.signatures} onChange={(v) => saveChat(chat, { signatures: v }).catch(fail)} /></div>
      )}
    </div>
  );
}

// inviteURL is an invite link as people share it: the server's full URL
// when it gives one, else this app's /join/ address for the hash.
export const inviteURL = (inv) => inv.url || `${location.origin}/join/${inv.hash}`;

function Invites({ chat }) {
  const [list, setList] = useState(null);
  const load = () => api.call('chats.invites', { chat_id: chat.id }).then(setList).catch(() => setList([]));
  useEffect(() => {
    load();
  }, [chat.id]);
  const now = Date.now() / 1000;
  const live = (list || []).filter((i) => !i.revoked && !(i.expires_at && i.expires_at < now) && !(i.usage_limit && i.usage >= i.usage_limit));
  return (
    <div class="info-section">
      <h4 class="section">Invite links</h4>
      {live.map((inv) => (
        <div class="invite" key={inv.hash}>
          <Icon name="link" />
          <span class="info-row-text">
            <span class="info-value invite-url">{inviteURL(inv)}</span>
            <span class="info-label">{plural(inv.usage || 0, 'person', 'people')} joined{inv.expires_at ? ' · expires ' + listTime(inv.expires_at) : ''}{inv.usage_limit ? ` · limit ${inv.usage_limit}` : ''}</span>
          </span>
          <button class="icon-btn" aria-label="Copy link" onClick={() => navigator.clipboard.writeText(inviteURL(inv)).then(() => toast('Link copied'))}><Icon name="copy" size={20} /></button>
          <button class="icon-btn" aria-label="Revoke link" onClick={async () => {
            if (!(await confirm('Revoke this link? It stops working at once.', { ok: 'Revoke', danger: true }))) return;
            api.call('chats.revokeInvite', { hash: inv.hash }).then(load).catch(() => toast('Could not revoke.', 'error'));
          }}><Icon name="trash" size={20} /></button>
        </div>
      ))}
      {list && !live.length && <p class="muted pad">No working links.</p>}
      <Row icon="plus" value="Create an invite link" id="create-invite" onClick={() => api.call('chats.createInvite', { chat_id: chat.id }).then((inv) => {
        load();
        navigator.clipboard && navigator.clipboard.writeText(inviteURL(inv)).then(() => toast('Link created and copied'), () => toast('Link created'));
      }).catch((e) => toast(e.code === 'INVITE_LINKS_TOO_MANY' ? 'You have too many links: revoke one first.' : 'Could not create a link.', 'error'))} />
    </div>
  );
}

const ADMIN_RIGHTS = [['change_info', 'Change info'], ['delete_messages', 'Delete messages'], ['ban_users', 'Ban people'], ['invite_users', 'Invite people'], ['pin_messages', 'Pin messages'], ['add_admins', 'Add admins']];
const CHANNEL_RIGHTS = [['post_messages', 'Post'], ['edit_messages', 'Edit others\' posts']];

function Members({ chat }) {
  const [list, setList] = useState(null);
  const load = async () => {
    const all = [];
    let after = 0;
    for (let i = 0; i < 5; i++) {
      const page = await api.call('chats.members', { chat_id: chat.id, after_user_id: after, limit: 200 });
      all.push(...page);
      if (page.length < 200) break;
      after = page[page.length - 1].user.id;
    }
    for (const m of all) S.users.set(m.user.id, { ...(S.users.get(m.user.id) || {}), ...m.user });
    setList(all);
  };
  useEffect(() => {
    load().catch(() => setList([]));
  }, [chat.id, S.membersVersion, chat.member_count]);
  const order = { owner: 0, admin: 1, member: 2 };
  const sorted = (list || []).slice().sort((a, b) => order[a.role] - order[b.role] || userName(a.user).localeCompare(userName(b.user)));
  const menu = (mem, x, y) => {
    const me = S.me && mem.user.id === S.me.id;
    if (me) return;
    const outranks = chat.role === 'owner' || (chat.role === 'admin' && mem.role === 'member');
    const items = [
      { label: 'View profile', icon: 'person', onClick: () => openProfile(mem.user.id) },
      { label: 'Message', icon: 'send', onClick: () => openChat({ userId: mem.user.id }) },
    ];
    if (canAddAdmins(chat) && outranks) {
      items.push({ label: mem.role === 'admin' ? 'Edit admin rights' : 'Make admin', icon: 'shield', onClick: () => editAdmin(chat, mem, load) });
      if (mem.role === 'admin') items.push({ label: 'Dismiss admin', icon: 'person', onClick: () => api.call('chats.setAdmin', { chat_id: chat.id, user_id: mem.user.id, rights: [] }).then(load).catch(() => toast('Could not change rights.', 'error')) });
    }
    if (canBan(chat) && outranks) {
      items.push({ label: 'Remove from ' + (chat.kind === 'channel' ? 'channel' : 'group'), icon: 'logout', danger: true, onClick: () => api.call('chats.removeMember', { chat_id: chat.id, user_id: mem.user.id }).then(load).catch(() => toast('Could not remove.', 'error')) });
      items.push({ label: 'Ban', icon: 'block', danger: true, onClick: () => api.call('chats.ban', { chat_id: chat.id, user_id: mem.user.id }).then(load).catch(() => toast('Could not ban.', 'error')) });
    }
    if (chat.role === 'owner') {
      items.push({ label: 'Transfer ownership', icon: 'star', onClick: () => transfer(chat, mem, load) });
    }
    openMenu(x, y, items);
  };
  return (
    <div class="info-section">
      <h4 class="section">{list ? plural(list.length, chat.kind === 'channel' ? 'admin' : 'member') : 'Members'}</h4>
      {canInvite(chat) && <Row icon="personAdd" value={chat.kind === 'channel' ? 'Add subscribers' : 'Add members'} id="add-members" onClick={() => openDialog(() => <AddMembers chat={chat} onDone={load} />)} />}
      {!list && <Spinner />}
      {sorted.map((mem) => (
        <button class="list-item compact member" key={mem.user.id} data-user={mem.user.id} onClick={(e) => (S.me && mem.user.id === S.me.id ? null : menu(mem, e.clientX, e.clientY))}
          onContextMenu={(e) => { e.preventDefault(); menu(mem, e.clientX, e.clientY); }}>
          <Avatar id={mem.user.id} name={userName(mem.user)} photo={mem.user.photo} size={40} online={mem.user.status && mem.user.status.kind === 'online'} />
          <div class="item-main">
            <span class="item-title">{userName(mem.user)}</span>
            <span class="item-text">{statusText(mem.user)}</span>
          </div>
          {mem.role !== 'member' && <span class="role">{mem.role}</span>}
        </button>
      ))}
    </div>
  );
}

function editAdmin(chat, mem, reload) {
  const all = chat.kind === 'channel' ? [...CHANNEL_RIGHTS, ...ADMIN_RIGHTS] : ADMIN_RIGHTS;
  const mine = chat.role === 'owner' ? all.map((r) => r[0]) : chat.rights || [];
  const start = mem.role === 'admin' ? new Set(mem.rights || []) : new Set(all.map((r) => r[0]).filter((r) => mine.includes(r) && r !== 'add_admins'));
  const Edit = () => {
    const [set, setSet] = useState(start);
    return (
      <Modal title={'Admin rights of ' + userName(mem.user).split(' ')[0]} onClose={closeDialog}>
        {all.map(([r, label]) => (
          <Toggle key={r} label={label} checked={set.has(r)} disabled={!mine.includes(r)} onChange={(v) => {
            const s = new Set(set);
            if (v) s.add(r);
            else s.delete(r);
            setSet(s);
          }} />
        ))}
        <div class="modal-actions">
          <button class="btn flat" onClick={closeDialog}>Cancel</button>
          <button class="btn primary" id="admin-save" onClick={() => api.call('chats.setAdmin', { chat_id: chat.id, user_id: mem.user.id, rights: [...set] }).then(() => {
            closeDialog();
            reload();
          }).catch(() => toast('Could not change rights.', 'error'))}>Save</button>
        </div>
      </Modal>
    );
  };
  openDialog(() => <Edit />);
}

function transfer(chat, mem, reload) {
  const Ask = () => {
    const [pw, setPw] = useState('');
    const [need, setNeed] = useState(false);
    const [err, setErr] = useState('');
    return (
      <Modal title="Transfer ownership" onClose={closeDialog}>
        <p class="modal-text">Make {userName(mem.user)} the owner of “{chat.title}”? You will stay an admin with every right.</p>
        {need && <input class="field" type="password" placeholder="Your password" aria-label="Your password" value={pw} onInput={(e) => setPw(e.currentTarget.value)} />}
        {err && <p class="form-error" role="alert">{err}</p>}
        <div class="modal-actions">
          <button class="btn flat" onClick={closeDialog}>Cancel</button>
          <button class="btn flat danger" onClick={() => api.call('chats.transferOwnership', { chat_id: chat.id, user_id: mem.user.id, ...(pw ? { password: pw } : {}) }).then(() => {
            closeDialog();
            fetchChat(chat.id);
            reload();
          }).catch((e) => {
            if (e.code === 'PASSWORD_REQUIRED') setNeed(true);
            setErr(e.code === 'PASSWORD_INVALID' ? 'Wrong password.' : e.code === 'PASSWORD_REQUIRED' ? 'Enter your password to confirm.' : 'Could not transfer.');
          })}>Transfer</button>
        </div>
      </Modal>
    );
  };
  openDialog(() => <Ask />);
}

function AddMembers({ chat, onDone }) {
  const [q, setQ] = useState('');
  const [found, setFound] = useState([]);
  const [picked, setPicked] = useState(new Map());
  useEffect(() => {
    let live = true;
    searchPeople(q).then((r) => live && setFound(r));
    return () => {
      live = false;
    };
  }, [q]);
  return (
    <Modal title="Add people" onClose={closeDialog}>
      <div class="search-box standalone"><Icon name="search" size={18} /><input id="add-search" type="search" placeholder="Search people by name or username" aria-label="Search people" value={q} onInput={(e) => setQ(e.currentTarget.value)} /></div>
      <div class="modal-list">
        {found.map((u) => {
          const on = picked.has(u.id);
          return (
            <button class={'list-item compact' + (on ? ' picked' : '')} key={u.id} data-user={u.id} aria-pressed={String(on)} onClick={() => {
              const m = new Map(picked);
              if (on) m.delete(u.id);
              else m.set(u.id, u);
              setPicked(m);
            }}>
              <Avatar id={u.id} name={userName(u)} photo={u.photo} size={40} />
              <div class="item-main"><span class="item-title">{userName(u)}</span><span class="item-text">{u.username ? '@' + u.username : ''}</span></div>
              <span class={'check-circle' + (on ? ' on' : '')}>{on && <Icon name="check" size={16} />}</span>
            </button>
          );
        })}
      </div>
      <div class="modal-actions">
        <button class="btn flat" onClick={closeDialog}>Cancel</button>
        <button class="btn primary" id="add-confirm" disabled={!picked.size} onClick={() => api.call('chats.addMembers', { chat_id: chat.id, user_ids: [...picked.keys()] }).then((r) => {
          closeDialog();
          ensureUsers(r.added || []);
          if (!(r.added || []).length) toast('No one was added: their privacy settings may not allow it.');
          onDone();
        }).catch((e) => toast(e.code === 'USER_PRIVACY_RESTRICTED' ? 'Their privacy settings do not let you add them.' : e.code === 'USER_ALREADY_PARTICIPANT' ? 'Already a member.' : 'Could not add.', 'error'))}>Add</button>
      </div>
    </Modal>
  );
}

