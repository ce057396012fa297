// Signing in: phone number or email, the code, the cloud password if one
// is set, and a name (and an invite code, when the server asks for one)
// for a new account. Every sign-in call goes through auth.js.
import { useState } from 'preact/hooks';
import { Icon } from './icons.jsx';
import { Spinner } from './common.jsx';
import * as auth from '../auth.js';

export function SignIn({ onDone }) {
  const [step, setStep] = useState('id'); // id | code | password | recover | signup
  const [ident, setIdent] = useState('');
  const [sent, setSent] = useState(null);
  const [value, setValue] = useState('');
  const [first, setFirst] = useState('');
  const [last, setLast] = useState('');
  // An invite link (/join/hvi-…) brought the code: it fills the field.
  const [invite, setInvite] = useState(() => sessionStorage.getItem(auth.INVITE_KEY) || '');
  const [needInvite, setNeedInvite] = useState(false);
  const [hint, setHint] = useState('');
  const [pattern, setPattern] = useState('');
  const [err, setErr] = useState('');
  const [busy, setBusy] = useState(false);

  const run = async (f) => {
    if (busy) return;
    setBusy(true);
    setErr('');
    try {
      await f();
    } catch (e) {
      const msg = auth.explain(e);
      setErr(msg);
      if (auth.endsAttempt(e)) {
        setStep('id');
        setValue('');
      }
      if (auth.inviteRefused(e)) {
        setNeedInvite(true);
        // The field, its text chosen, for another code.
        setTimeout(() => {
          const f = document.getElementById('signup-invite');
          if (f) f.select();
        }, 0);
      }
    } finally {
      setBusy(false);
    }
  };

  const next = (a) => {
    if (a.status === 'authorized') {
      sessionStorage.removeItem(auth.INVITE_KEY);
      onDone(a);
      return;
    }
    setValue('');
    if (a.status === 'password_required') {
      setHint(a.password_hint || '');
      setStep('password');
    } else if (a.status === 'sign_up_required') {
      setNeedInvite(auth.needsInvite(a));
      setStep('signup');
    }
  };

  const submit = (e) => {
    e.preventDefault();
    if (step === 'id') {
      run(async () => {
        const s = await auth.sendCode(ident.trim());
        setSent(s);
        setValue('');
        setStep('code');
      });
    } else if (step === 'code') {
      run(async () => next(await auth.signIn(sent.login_token, value.trim())));
    } else if (step === 'password') {
      run(async () => next(await auth.checkPassword(sent.login_token, value)));
    } else if (step === 'recover') {
      run(async () => next(await auth.recoverPassword(sent.login_token, value.trim())));
    } else if (step === 'signup') {
      run(async () => next(await auth.signUp(sent.login_token, first.trim(), last.trim(), needInvite ? invite.trim() : '')));
    }
  };

  const back = () => {
    setStep('id');
    setErr('');
    setValue('');
  };

  let title;
  let sub;
  let body;
  switch (step) {
    case 'id':
      title = 'Sign in to Haven';
      sub = invite
        ? 'You have an invite to this server. Enter your phone number in international form, or your email address, to make your account. We will send you a code.'
        : 'Enter your phone number in international form, or your email address. We will send you a code.';
      body = (
        <input id="signin-id" class="field" type="text" inputMode="email" autoComplete="username" placeholder="+44 7400 123456 or you@example.com"
          aria-label="Phone number or email" value={ident} onInput={(e) => setIdent(e.currentTarget.value)} autoFocus required />
      );
      break;
    case 'code':
      title = ident.includes('@') ? 'Check your email' : 'Check your messages';
      sub = <>We sent a {sent.code_length}-digit code to <b>{ident}</b>. <button type="button" class="link" onClick={back}>Change</button></>;
      body = (
        <input id="signin-code" class="field code" type="text" inputMode="numeric" autoComplete="one-time-code" maxLength={sent.code_length || 5}
          aria-label="Code" placeholder={'•'.repeat(sent.code_length || 5)} value={value} autoFocus
          onInput={(e) => {
            const v = e.currentTarget.value.replace(/\D/g, '');
            const form = e.currentTarget.form;
            setValue(v);
            // The last digit submits: once the new value has rendered.
            if (v.length === (sent.code_length || 5)) setTimeout(() => form.requestSubmit(), 0);
          }} />
      );
      break;
    case 'password':
      title = 'Enter your password';
      sub = <>Your account is protected with a password.{hint && <> Hint: <b>{hint}</b></>}</>;
      body = (
        <>
          <input id="signin-password" class="field" type="password" autoComplete="current-password" aria-label="Password" value={value} autoFocus
            onInput={(e) => setValue(e.currentTarget.value)} />
          <button type="button" class="link" onClick={() => run(async () => {
            const r = await auth.requestRecovery(sent.login_token);
            setPattern(r.email_pattern);
            setValue('');
            setStep('recover');
          })}>Forgot password?</button>
        </>
      );
      break;
    case 'recover':
      title = 'Reset your password';
      sub = <>We sent a code to <b>{pattern}</b>. Entering it removes your password and signs you in.</>;
      body = (
        <input id="signin-recover" class="field code" type="text" inputMode="numeric" autoComplete="one-time-code" aria-label="Recovery code" value={value} autoFocus
          onInput={(e) => setValue(e.currentTarget.value.replace(/\D/g, ''))} />
      );
      break;
    default:
      title = 'Your name';
      sub = 'Welcome to Haven. Enter your name; people you write to will see it.';
      body = (
        <>
          <input id="signup-first" class="field" type="text" autoComplete="given-name" placeholder="First name" aria-label="First name" value={first} autoFocus maxLength={64}
            onInput={(e) => setFirst(e.currentTarget.value)} required />
          <input id="signup-last" class="field" type="text" autoComplete="family-name" placeholder="Last name (optional)" aria-label="Last name" value={last} maxLength={64}
            onInput={(e) => setLast(e.currentTarget.value)} />
          {needInvite && (
            <>
              <p class="signin-sub" id="signup-invite-note">This server takes new people by invite. Enter the code from your invite (hvi-…).</p>
              <input id="signup-invite" class="field" type="text" autoComplete="off" spellcheck={false} placeholder="Invite code (hvi-…)" aria-label="Invite code" value={invite}
                aria-describedby="signup-invite-note" onInput={(e) => setInvite(e.currentTarget.value)} required />
            </>
          )}
        </>
      );
  }
  return (
    <main class="signin">
      <form class="signin-card" onSubmit={submit} noValidate>
        <img class="signin-logo" src="/icons/icon.svg" alt="" width="96" height="96" />
        <h1>{title}</h1>
        <p class="signin-sub">{sub}</p>
        {body}
        {err && <p class="form-error" role="alert">{err}</p>}
        <button class="btn primary wide" type="submit" disabled={busy}>
          {busy ? <Spinner size={20} /> : <>{step === 'signup' ? 'Start messaging' : 'Next'} <Icon name="send" size={18} /></>}
        </button>
      </form>
    </main>
  );
}
