// Haven's web app: it starts here. See state.js for the state, api.js for
// the connection, sync.js for staying in sync and outbox.js for sending.
import { render } from 'preact';
import { useEffect } from 'preact/hooks';
import { api } from './api.js';
import { S, emit, useVersion, totalUnread, toast } from './state.js';
import { restore, onSynced, fetchChat } from './sync.js';
import { loadOutbox, kick } from './outbox.js';
import { wipe } from './db.js';
import { SignIn } from './ui/signin.jsx';
import { isSignupInvite, INVITE_KEY } from './auth.js';
import { Sidebar } from './ui/sidebar.jsx';
import { ChatView, openChat, closeChat } from './ui/chat.jsx';
import { InfoPanel } from './ui/info.jsx';
import { MenuHost, Toasts, Modal, closeDialog, openDialog, Avatar } from './ui/common.jsx';
import { plural } from './util.js';

onSynced(() => kick());

export function applyTheme() {
  const t = S.ui.theme;
  if (t === 'light' || t === 'dark') document.documentElement.dataset.theme = t;
  else delete document.documentElement.dataset.theme;
}

// route reads the address: #/c/ID opens a chat, #/u/ID a person's
// private chat (made by the first message).
function route() {
  const m = /^#\/([cu])\/(\d+)/.exec(location.hash);
  if (!m) {
    if (S.ui.chat) {
      S.ui.chat = null;
      S.ui.info = false;
      emit();
    }
    return;
  }
  const id = Number(m[2]);
  const want = m[1] === 'c' ? { id } : { userId: id };
  const cur = S.ui.chat;
  if (cur && cur.id === want.id && cur.userId === want.userId) return;
  openChat(want, true);
}
addEventListener('hashchange', route);

// An invite link (/join/CODE) is one of two kinds. A sign-up invite
// (hvi-…) fills the invite code of the sign-up; a chat invite's hash
// opens the app on the chat it leads to, after signing in if need be.
const join = /^\/join\/([A-Za-z0-9_-]+)/.exec(location.pathname);
if (join) {
  sessionStorage.setItem(isSignupInvite(join[1]) ? INVITE_KEY : 'haven.join', join[1]);
  history.replaceState(null, '', '/');
}

async function showJoin() {
  if (S.me && sessionStorage.getItem(INVITE_KEY)) {
    // Signed in already: the invite is for someone without an account.
    sessionStorage.removeItem(INVITE_KEY);
    openDialog(() => (
      <Modal title="Invite to Haven" onClose={closeDialog}>
        <p id="signup-invite-signed-in">That link invites someone new to make an account on this server. You already have one here: pass the link on to whoever it is for.</p>
        <div class="modal-actions"><button class="btn primary" onClick={closeDialog}>OK</button></div>
      </Modal>
    ));
    return;
  }
  const hash = sessionStorage.getItem('haven.join');
  if (!hash || !S.me) return;
  sessionStorage.removeItem('haven.join');
  let chat;
  try {
    chat = await api.call('chats.checkInvite', { hash });
  } catch (e) {
    toast(e.code === 'INVITE_HASH_EXPIRED' ? 'This invite link has expired.' : 'This invite link is not valid.', 'error');
    return;
  }
  if (chat.role && chat.role !== 'left' && chat.role !== 'banned') {
    await fetchChat(chat.id);
    openChat({ id: chat.id });
    return;
  }
  openDialog(() => (
    <Modal title={chat.kind === 'channel' ? 'Join channel' : 'Join group'} onClose={closeDialog}>
      <div class="join-card">
        <Avatar id={chat.id} name={chat.title} photo={chat.photo} size={80} />
        <h3>{chat.title}</h3>
        <p class="muted">{plural(chat.member_count || 0, chat.kind === 'channel' ? 'subscriber' : 'member')}</p>
        {chat.about && <p>{chat.about}</p>}
      </div>
      <div class="modal-actions">
        <button class="btn flat" onClick={closeDialog}>Cancel</button>
        <button class="btn primary" id="join-confirm" onClick={async () => {
          try {
            const c = await api.call('chats.joinByInvite', { hash });
            closeDialog();
            await fetchChat(c.id);
            openChat({ id: c.id });
          } catch (e) {
            closeDialog();
            toast(e.code === 'USER_ALREADY_PARTICIPANT' ? 'You are already a member.' : e.code === 'USER_BANNED_IN_CHAT' ? 'You are banned from this chat.' : 'Could not join: ' + (e.message || e.code), 'error');
          }
        }}>Join</button>
      </div>
    </Modal>
  ));
}

api.on('open', () => setTimeout(showJoin, 0));

api.on('loggedOut', () => signOut(false));

// signOut forgets the session and everything kept of the account.
export async function signOut(callServer) {
  if (callServer) await api.call('auth.logOut', {}).catch(() => {});
  api.stop();
  api.setToken('');
  localStorage.removeItem('haven.drafts');
  await wipe();
  S.me = null;
  S.users.clear();
  S.chats.clear();
  S.dialogs.clear();
  S.msgs.clear();
  S.pending.clear();
  S.drafts.clear();
  S.ui = { ...S.ui, chat: null, secret: null, panel: null, info: false, search: '', menu: null, dialog: null };
  history.replaceState(null, '', '/');
  emit();
}

function App() {
  useVersion();
  useEffect(() => {
    const n = totalUnread();
    document.title = n ? `(${n > 999 ? '999+' : n}) Haven` : 'Haven';
  });
  if (!api.token) {
    return (
      <>
        <SignIn onDone={async (a) => {
          api.setToken(a.token);
          S.me = a.user;
          emit();
          await loadOutbox();
          api.start();
        }} />
        <Toasts />
      </>
    );
  }
  if (!S.me) {
    return (
      <div class="boot" role="status">
        <img src="/icons/icon.svg" alt="" width="72" height="72" />
        <p>{navigator.onLine === false ? 'Waiting for network…' : 'Connecting…'}</p>
      </div>
    );
  }
  const c = S.ui.chat;
  return (
    <div class={'layout' + (c ? ' has-chat' : '') + (S.ui.info && c ? ' has-info' : '')}>
      <Sidebar />
      <ChatView />
      {S.ui.info && c && <InfoPanel />}
      <MenuHost />
      {S.ui.dialog && S.ui.dialog()}
      <Toasts />
    </div>
  );
}

async function boot() {
  applyTheme();
  matchMedia('(prefers-color-scheme: dark)').addEventListener('change', applyTheme);
  if ('serviceWorker' in navigator) {
    navigator.serviceWorker.register('/sw.js').catch((e) => console.warn('service worker', e));
    navigator.serviceWorker.addEventListener('message', (e) => {
      if (e.data && e.data.type === 'open' && e.data.chat_id) openChat({ id: e.data.chat_id });
    });
  }
  if (api.token) {
    await restore();
    await loadOutbox();
    api.start();
  }
  render(<App />, document.getElementById('app'));
  route();
  addEventListener('keydown', (e) => {
    if (e.key === 'Escape' && !S.ui.menu && !S.ui.dialog) {
      if (S.ui.select) {
        // Picking messages ends first.
        S.ui.select = null;
        emit();
      } else if (S.ui.info) {
        S.ui.info = false;
        emit();
      } else if (S.ui.chat && !document.activeElement.closest('.sidebar')) {
        closeChat();
      }
    }
  });
}

boot();
