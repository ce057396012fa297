// Settings: profile, notifications, privacy, blocked people, sessions,
// two-step verification, appearance, deleting the account.
import { useEffect, useRef, useState } from 'preact/hooks';
import { api } from '../api.js';
import { S, emit, userName, saveUsers, toast } from '../state.js';
import { listTime } from '../util.js';
import { uploadNow } from '../outbox.js';
import * as notify from '../notify.js';
import { Icon } from './icons.jsx';
import { Avatar, PanelHead, Toggle, Spinner, confirm } from './common.jsx';
import { setPanel } from './sidebar.jsx';
import { signOut, applyTheme } from '../main.jsx';

export function Settings() {
  const p = S.ui.panel;
  switch (p) {
    case 'settings.profile': return <Profile />;
    case 'settings.notifications': return <Notifications />;
    case 'settings.privacy': return <Privacy />;
    case 'settings.blocked': return <Blocked />;
    case 'settings.sessions': return <Sessions />;
    case 'settings.password': return <Password />;
    case 'settings.appearance': return <Appearance />;
    case 'settings.delete': return <DeleteAccount />;
    default: return <Main />;
  }
}

const back = () => setPanel('settings');

function Item({ icon, label, sub, onClick, danger, id }) {
  return (
    <button class={'settings-item' + (danger ? ' danger' : '')} onClick={onClick} id={id}>
      <Icon name={icon} />
      <span class="settings-text"><span>{label}</span>{sub && <span class="info-label">{sub}</span>}</span>
    </button>
  );
}

function Main() {
  const me = S.me;
  return (
    <>
      <PanelHead title="Settings" onBack={() => setPanel(null)} />
      <div class="settings-scroll">
        <div class="info-hero">
          <Avatar id={me.id} name={userName(me)} photo={me.photo} size={100} />
          <h3>{userName(me)}</h3>
          <p class="muted">{[me.phone, me.email, me.username && '@' + me.username].filter(Boolean).join(' · ')}</p>
        </div>
        <Item icon="person" label="Edit profile" id="settings-profile" onClick={() => setPanel('settings.profile')} />
        <Item icon="bell" label="Notifications" id="settings-notifications" onClick={() => setPanel('settings.notifications')} />
        <Item icon="lock" label="Privacy and security" id="settings-privacy" onClick={() => setPanel('settings.privacy')} />
        <Item icon="devices" label="Devices" sub="Where you are signed in" id="settings-sessions" onClick={() => setPanel('settings.sessions')} />
        <Item icon="moon" label="Appearance" id="settings-appearance" onClick={() => setPanel('settings.appearance')} />
        <Item icon="logout" label="Sign out" danger id="sign-out" onClick={async () => {
          if (await confirm('Sign out of Haven on this browser?', { ok: 'Sign out', danger: true })) signOut(true);
        }} />
        <p class="muted pad small">Haven web · <a href="/licenses.txt" target="_blank" rel="noopener">licenses</a></p>
      </div>
    </>
  );
}

const profileErr = (e) => ({
  FIRST_NAME_INVALID: 'Enter a first name of 1 to 64 characters.',
  LAST_NAME_INVALID: 'The last name has at most 64 characters.',
  BIO_TOO_LONG: 'The bio has at most 70 characters.',
  USERNAME_INVALID: 'A username has 5 to 32 letters, digits and underscores, starting with a letter.',
  USERNAME_OCCUPIED: 'That username is taken.',
}[e.code] || 'Could not save.');

function Profile() {
  const me = S.me;
  const [first, setFirst] = useState(me.first_name || '');
  const [last, setLast] = useState(me.last_name || '');
  const [bio, setBio] = useState(me.bio || '');
  const [username, setUsername] = useState(me.username || '');
  const [free, setFree] = useState(null);
  const [err, setErr] = useState('');
  const [busy, setBusy] = useState(false);
  const photo = useRef(null);
  useEffect(() => {
    const u = username.trim().replace(/^@/, '');
    if (!u || u.toLowerCase() === (me.username || '').toLowerCase()) {
      setFree(null);
      return undefined;
    }
    const t = setTimeout(() => api.call('users.checkUsername', { username: u }).then((r) => setFree(r.available ? 'free' : 'taken')).catch(() => setFree('invalid')), 400);
    return () => clearTimeout(t);
  }, [username]);
  const update = (u) => {
    S.me = { ...S.me, ...u };
    saveUsers([S.me]);
    emit();
  };
  const save = async (e) => {
    e.preventDefault();
    setBusy(true);
    setErr('');
    try {
      update(await api.call('account.updateProfile', { first_name: first.trim(), last_name: last.trim(), bio: bio.trim() }));
      const u = username.trim().replace(/^@/, '');
      if (u !== (me.username || '')) update(await api.call('account.updateUsername', { username: u }));
      toast('Profile saved');
      back();
    } catch (x) {
      setErr(profileErr(x));
    } finally {
      setBusy(false);
    }
  };
  return (
    <>
      <PanelHead title="Edit profile" onBack={back} />
      <form class="form settings-scroll" onSubmit={save}>
        <div class="info-hero">
          <button type="button" class="avatar-edit" aria-label="Change profile photo" onClick={() => photo.current.click()}>
            <Avatar id={me.id} name={userName(me)} photo={me.photo} size={100} />
            <span class="avatar-edit-icon"><Icon name="camera" /></span>
          </button>
          {me.photo && <button type="button" class="link" onClick={() => api.call('account.removePhoto', {}).then(update).catch(() => toast('Could not remove the photo.', 'error'))}>Remove photo</button>}
          <input ref={photo} type="file" accept="image/jpeg,image/png,image/gif" hidden onChange={async (e) => {
            const f = e.currentTarget.files[0];
            e.currentTarget.value = '';
            if (!f) return;
            try {
              toast('Uploading the photo…');
              const id = await uploadNow(f, f.name);
              update(await api.call('account.setPhoto', { file_id: id }));
            } catch (x) {
              toast(x.code === 'PHOTO_INVALID' ? 'That image cannot be used.' : 'Could not set the photo.', 'error');
            }
          }} />
        </div>
        <label class="label" for="profile-first">First name</label>
        <input id="profile-first" class="field" value={first} maxLength={64} onInput={(e) => setFirst(e.currentTarget.value)} />
        <label class="label" for="profile-last">Last name</label>
        <input id="profile-last" class="field" value={last} maxLength={64} onInput={(e) => setLast(e.currentTarget.value)} />
        <label class="label" for="profile-bio">Bio</label>
        <input id="profile-bio" class="field" value={bio} maxLength={70} onInput={(e) => setBio(e.currentTarget.value)} placeholder="A few words about you" />
        <p class="muted small">{70 - bio.length} characters left</p>
        <label class="label" for="profile-username">Username</label>
        <div class="prefixed"><span>@</span><input id="profile-username" class="field" value={username} onInput={(e) => setUsername(e.currentTarget.value)} placeholder="username" /></div>
        <p class={'small ' + (free === 'taken' || free === 'invalid' ? 'form-error' : 'muted')}>
          {free === 'free' ? 'This username is free.' : free === 'taken' ? 'This username is taken.' : free === 'invalid' ? 'A username has 5 to 32 letters, digits and underscores, starting with a letter.' : 'People can find you by your username and write to you without knowing your phone number or email.'}
        </p>
        {err && <p class="form-error" role="alert">{err}</p>}
        <button class="btn primary" type="submit" id="profile-save" disabled={busy}>Save</button>
      </form>
    </>
  );
}

function Notifications() {
  const [p, setP] = useState(notify.prefs());
  const [push, setPush] = useState(undefined);
  const [busy, setBusy] = useState(false);
  useEffect(() => {
    notify.pushConfig().then((c) => setPush(!!c));
  }, []);
  const permission = notify.supported() ? Notification.permission : 'unsupported';
  const set = async (enabled, priv) => {
    setBusy(true);
    try {
      if (enabled) await notify.enable(priv);
      else await notify.disable();
      setP(notify.prefs());
    } catch (e) {
      toast(e.message || 'Could not change notifications.', 'error');
    } finally {
      setBusy(false);
    }
  };
  return (
    <>
      <PanelHead title="Notifications" onBack={back} />
      <div class="settings-scroll pad">
        {!notify.supported() ? <p class="muted">This browser cannot show notifications.</p> : (
          <>
            <Toggle id="notify-enabled" label="Notify me of new messages" checked={p.enabled && permission === 'granted'} disabled={busy} onChange={(v) => set(v, p.private)} />
            <p class="muted small">
              {push === undefined ? '' : push ? 'Notifications come even when Haven is closed (Web Push), except for muted chats.' : 'Notifications come while Haven is open in a tab. This server does not send Web Push, so none come while it is closed.'}
            </p>
            {p.enabled && p.pushError && (
              <p class="form-error small" id="push-error" role="status">
                This browser could not subscribe to push notifications ({p.pushError}), so they come only while Haven is open in a tab.
              </p>
            )}
            {permission === 'denied' && <p class="form-error small">Notifications are blocked for this site in the browser's settings.</p>}
            <Toggle id="notify-private" label="Private notifications" checked={p.private} disabled={busy || !p.enabled} onChange={(v) => set(true, v)} />
            <p class="muted small">Show only “New message”, without the sender or the text, on the lock screen and in the notification centre. On until you turn it off, so that whoever sees your screen learns nothing.</p>
          </>
        )}
      </div>
    </>
  );
}

const KEYS = [
  ['phone_number', 'Phone number and email', 'Who can see them on your profile'],
  ['last_seen', 'Last seen and online', 'Who can see when you were last online'],
  ['profile_photo', 'Profile photo', 'Who can see your photo'],
  ['find_by_phone', 'Find me by phone or email', 'Who can find you from their address book'],
  ['add_to_groups', 'Groups and channels', 'Who can add you to groups and channels'],
  ['forwards', 'Forwarded messages', 'Who can link to your account when forwarding your messages'],
];

function Privacy() {
  const [p, setP] = useState(null);
  const [pw, setPw] = useState(null);
  const [ttl, setTTL] = useState(null);
  useEffect(() => {
    api.call('privacy.get', {}).then(setP).catch(() => {});
    api.call('account.getPassword', {}).then(setPw).catch(() => {});
    api.call('account.getTTL', {}).then(setTTL).catch(() => {});
  }, []);
  return (
    <>
      <PanelHead title="Privacy and security" onBack={back} />
      <div class="settings-scroll">
        <Item icon="block" label="Blocked people" id="settings-blocked" onClick={() => setPanel('settings.blocked')} />
        <Item icon="lock" label="Two-step verification" sub={pw ? (pw.has_password ? 'On' : 'Off') : ''} id="settings-password" onClick={() => setPanel('settings.password')} />
        <Item icon="devices" label="Devices" id="settings-sessions2" onClick={() => setPanel('settings.sessions')} />
        <h4 class="section">Privacy</h4>
        {!p ? <Spinner /> : KEYS.map(([k, label, sub]) => (
          <label class="select-row" key={k}>
            <span class="settings-text"><span>{label}</span><span class="info-label">{sub}</span></span>
            <select class="inline-select" id={'privacy-' + k} value={p[k]} onChange={(e) => api.call('privacy.set', { key: k, value: e.currentTarget.value }).then(setP).catch(() => toast('Could not save.', 'error'))}>
              <option value="everybody">Everybody</option>
              <option value="contacts">My contacts</option>
              <option value="nobody">Nobody</option>
            </select>
          </label>
        ))}
        <h4 class="section">Delete my account</h4>
        {ttl && (
          <label class="select-row">
            <span class="settings-text"><span>If away for</span><span class="info-label">Your account deletes itself after this long without any activity</span></span>
            <select class="inline-select" value={ttl.months} onChange={(e) => api.call('account.setTTL', { months: Number(e.currentTarget.value) }).then(setTTL).catch(() => toast('Could not save.', 'error'))}>
              {[1, 3, 6, 12].map((m) => <option value={m} key={m}>{m === 12 ? '1 year' : m + ' month' + (m > 1 ? 's' : '')}</option>)}
            </select>
          </label>
        )}
        <Item icon="trash" label="Delete account now" danger id="settings-delete" onClick={() => setPanel('settings.delete')} />
      </div>
    </>
  );
}

function Blocked() {
  const [list, setList] = useState(null);
  const load = () => api.call('contacts.listBlocked', {}).then(setList).catch(() => setList([]));
  useEffect(() => {
    load();
  }, []);
  return (
    <>
      <PanelHead title="Blocked people" onBack={() => setPanel('settings.privacy')} />
      <div class="settings-scroll">
        {!list ? <Spinner /> : !list.length ? <p class="muted pad">You block no one.</p> : list.map((u) => (
          <div class="list-item compact" key={u.id}>
            <Avatar id={u.id} name={userName(u)} photo={u.photo} size={40} />
            <div class="item-main"><span class="item-title">{userName(u)}</span><span class="item-text">{u.username ? '@' + u.username : ''}</span></div>
            <button class="btn flat small" onClick={() => api.call('contacts.unblock', { user_id: u.id }).then(() => {
              const x = S.users.get(u.id);
              if (x) S.users.set(u.id, { ...x, blocked: false });
              load();
            })}>Unblock</button>
          </div>
        ))}
      </div>
    </>
  );
}

function Sessions() {
  const [list, setList] = useState(null);
  const load = () => api.call('sessions.list', {}).then(setList).catch(() => setList([]));
  useEffect(() => {
    load();
  }, []);
  const others = (list || []).filter((s) => !s.current);
  const cur = (list || []).find((s) => s.current);
  const row = (s) => (
    <div class="session" key={s.id}>
      <Icon name="devices" />
      <span class="settings-text">
        <span>{s.device}</span>
        <span class="info-label">{s.current ? 'This device' : 'Active ' + listTime(s.last_active_at)}{s.location ? ' · ' + s.location : ''}</span>
      </span>
      {!s.current && (
        <button class="btn flat small danger" onClick={async () => {
          if (!(await confirm(`End the session on “${s.device}”?`, { ok: 'End session', danger: true }))) return;
          api.call('sessions.terminate', { session_id: s.id }).then(load).catch(() => toast('Could not end the session.', 'error'));
        }}>End</button>
      )}
    </div>
  );
  return (
    <>
      <PanelHead title="Devices" onBack={back} />
      <div class="settings-scroll">
        {!list ? <Spinner /> : (
          <>
            <h4 class="section">This device</h4>
            {cur && row(cur)}
            {others.length > 0 && (
              <>
                <button class="settings-item danger" onClick={async () => {
                  if (!(await confirm('End every other session? Those devices will have to sign in again.', { ok: 'End all', danger: true }))) return;
                  api.call('sessions.terminateOthers', {}).then(load);
                }}><Icon name="logout" /><span class="settings-text"><span>End all other sessions</span></span></button>
                <h4 class="section">Other devices</h4>
                {others.map(row)}
              </>
            )}
          </>
        )}
      </div>
    </>
  );
}

const pwErr = (e) => ({
  PASSWORD_INVALID: 'The current password is wrong.',
  PASSWORD_REQUIRED: 'Enter your current password.',
  PASSWORD_TOO_SHORT: 'Use at least 8 characters.',
  PASSWORD_TOO_LONG: 'That password is too long.',
  PASSWORD_HINT_INVALID: 'The hint has at most 64 characters and must not be the password.',
  EMAIL_INVALID: 'That recovery email is not valid.',
}[e.code] || 'Could not save.');

function Password() {
  const [st, setSt] = useState(null);
  const [cur, setCur] = useState('');
  const [pw, setPw] = useState('');
  const [pw2, setPw2] = useState('');
  const [hint, setHint] = useState('');
  const [email, setEmail] = useState('');
  const [err, setErr] = useState('');
  useEffect(() => {
    api.call('account.getPassword', {}).then((s) => {
      setSt(s);
      setHint(s.hint || '');
    });
  }, []);
  if (!st) return <><PanelHead title="Two-step verification" onBack={() => setPanel('settings.privacy')} /><Spinner /></>;
  const save = (e) => {
    e.preventDefault();
    setErr('');
    if (pw !== pw2) {
      setErr('The passwords do not match.');
      return;
    }
    const p = { new_password: pw, hint: hint.trim(), recovery_email: email.trim() };
    if (st.has_password) p.current_password = cur;
    api.call('account.setPassword', p).then((s) => {
      setSt(s);
      setCur('');
      setPw('');
      setPw2('');
      toast('Password saved');
    }).catch((x) => setErr(pwErr(x)));
  };
  return (
    <>
      <PanelHead title="Two-step verification" onBack={() => setPanel('settings.privacy')} />
      <form class="form settings-scroll" onSubmit={save}>
        <p class="muted">{st.has_password ? `A password is set${st.recovery_email_pattern ? '; recovery email ' + st.recovery_email_pattern : ''}. Signing in on a new device asks for it after the code.` : 'Set a password that signing in on a new device asks for after the code.'}</p>
        {st.has_password && <><label class="label" for="pw-cur">Current password</label><input id="pw-cur" class="field" type="password" autoComplete="current-password" value={cur} onInput={(e) => setCur(e.currentTarget.value)} /></>}
        <label class="label" for="pw-new">New password</label>
        <input id="pw-new" class="field" type="password" autoComplete="new-password" value={pw} onInput={(e) => setPw(e.currentTarget.value)} />
        <label class="label" for="pw-new2">Repeat it</label>
        <input id="pw-new2" class="field" type="password" autoComplete="new-password" value={pw2} onInput={(e) => setPw2(e.currentTarget.value)} />
        <label class="label" for="pw-hint">Hint (optional)</label>
        <input id="pw-hint" class="field" value={hint} maxLength={64} onInput={(e) => setHint(e.currentTarget.value)} />
        <label class="label" for="pw-email">Recovery email (optional)</label>
        <input id="pw-email" class="field" type="email" value={email} onInput={(e) => setEmail(e.currentTarget.value)} placeholder={st.recovery_email_pattern || 'you@example.com'} />
        {err && <p class="form-error" role="alert">{err}</p>}
        <button class="btn primary" type="submit" disabled={!pw}>{st.has_password ? 'Change password' : 'Set password'}</button>
        {st.has_password && (
          <button type="button" class="btn flat danger" onClick={() => {
            if (!cur) {
              setErr('Enter your current password to turn it off.');
              return;
            }
            api.call('account.removePassword', { current_password: cur }).then(() => {
              setSt({ has_password: false, has_recovery_email: false });
              setCur('');
              toast('Password removed');
            }).catch((x) => setErr(pwErr(x)));
          }}>Turn off</button>
        )}
      </form>
    </>
  );
}

function Appearance() {
  const set = (t) => {
    S.ui.theme = t;
    localStorage.setItem('haven.theme', t);
    applyTheme();
    emit();
  };
  return (
    <>
      <PanelHead title="Appearance" onBack={back} />
      <div class="settings-scroll" role="radiogroup" aria-label="Theme">
        {[['system', 'Same as the system'], ['light', 'Light'], ['dark', 'Dark']].map(([v, label]) => (
          <label class="select-row" key={v}>
            <span class="settings-text"><span>{label}</span></span>
            <input type="radio" name="theme" value={v} checked={S.ui.theme === v} onChange={() => set(v)} />
          </label>
        ))}
      </div>
    </>
  );
}

function DeleteAccount() {
  const [pw, setPw] = useState('');
  const [need, setNeed] = useState(false);
  const [err, setErr] = useState('');
  useEffect(() => {
    api.call('account.getPassword', {}).then((s) => setNeed(s.has_password)).catch(() => {});
  }, []);
  return (
    <>
      <PanelHead title="Delete account" onBack={() => setPanel('settings.privacy')} />
      <form class="form settings-scroll" onSubmit={async (e) => {
        e.preventDefault();
        if (!(await confirm('Delete your account for good? Your profile, contacts and settings are erased, and you are signed out everywhere. This cannot be undone.', { ok: 'Delete', danger: true }))) return;
        api.call('account.delete', need ? { password: pw } : {}).then(() => signOut(false)).catch((x) => setErr(x.code === 'PASSWORD_INVALID' ? 'Wrong password.' : x.code === 'PASSWORD_REQUIRED' ? 'Enter your password.' : 'Could not delete the account.'));
      }}>
        <p>Deleting your account erases your profile, phone number or email, username, contacts, blocks and settings, and signs you out on every device. Your messages stay in the chats they were sent to, shown as from “Deleted Account”. Groups and channels you own pass to their longest serving admin.</p>
        {need && <><label class="label" for="delete-password">Your password</label><input id="delete-password" class="field" type="password" value={pw} onInput={(e) => setPw(e.currentTarget.value)} /></>}
        {err && <p class="form-error" role="alert">{err}</p>}
        <button class="btn danger-fill" type="submit">Delete my account</button>
      </form>
    </>
  );
}
