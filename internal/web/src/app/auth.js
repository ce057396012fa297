// Signing in, in one place: the calls of the sign-in flow, the words for
// their errors, and how the server asks for an invite code (sign-up
// modes: a server may let people sign up only with an invite).
import { api } from './api.js';

export function device() {
  const ua = navigator.userAgent;
  const browser = /Edg\//.test(ua) ? 'Edge' : /Firefox\//.test(ua) ? 'Firefox' : /Chrom(e|ium)\//.test(ua) ? 'Chrome' : /Safari\//.test(ua) ? 'Safari' : 'Browser';
  const os = /iPhone|iPad/.test(ua) ? 'iOS' : /Android/.test(ua) ? 'Android' : /Mac OS X/.test(ua) ? 'macOS' : /Windows/.test(ua) ? 'Windows' : /CrOS/.test(ua) ? 'ChromeOS' : /Linux/.test(ua) ? 'Linux' : '';
  return (os ? `${browser} on ${os}` : browser) + ' (web)';
}

export const sendCode = (identifier) => api.httpCall('auth.sendCode', { identifier, device: device() });
export const signIn = (login_token, code) => api.httpCall('auth.signIn', { login_token, code });
export const checkPassword = (login_token, password) => api.httpCall('auth.checkPassword', { login_token, password });
export const requestRecovery = (login_token) => api.httpCall('auth.requestPasswordRecovery', { login_token });
export const recoverPassword = (login_token, code) => api.httpCall('auth.recoverPassword', { login_token, code });

export function signUp(login_token, first_name, last_name, invite_code) {
  const p = { login_token, first_name };
  if (last_name) p.last_name = last_name;
  if (invite_code) p.invite_code = invite_code;
  return api.httpCall('auth.signUp', p);
}

// INVITE_KEY keeps, in sessionStorage, the sign-up invite code an invite
// link brought, until the sign-up uses it.
export const INVITE_KEY = 'haven.signupInvite';

// needsInvite tells, from auth.signIn's sign_up_required answer,
// whether the server wants an invite code with the name.
export const needsInvite = (a) => !!(a && a.invite_required);

// inviteRefused tells whether auth.signUp refused the invite code (or
// its absence); the person may then give another with the same attempt.
export const inviteRefused = (e) => !!e && /^INVITE_CODE_(REQUIRED|INVALID|EXPIRED|USED_UP)$/.test(e.code || '');

// endsAttempt tells whether an error ends the sign-in attempt, so that
// the person starts again from the first step.
export const endsAttempt = (e) => ['CODE_ATTEMPTS_EXCEEDED', 'CODE_EXPIRED', 'LOGIN_TOKEN_INVALID', 'SIGNUP_CLOSED'].includes(e.code);

// isSignupInvite tells a sign-up invite code (hvi-…) from a chat
// invite's hash, as the server does: the prefix and 16 letters or
// digits, dashes and case aside.
export const isSignupInvite = (s) => /^hvi[a-z2-7]{16}$/.test((s || '').toLowerCase().replace(/[-\s]/g, ''));

function wait(sec) {
  if (sec < 90) return `${sec} seconds`;
  if (sec < 5400) return `${Math.round(sec / 60)} minutes`;
  return `${Math.round(sec / 3600)} hours`;
}

// explain says what went wrong in words for the person.
export function explain(e) {
  const left = /(\d+)/.exec(e.message || '');
  switch (e.code) {
    case 'PHONE_INVALID': return 'That does not look like a phone number. Use the international form, starting with + and the country code.';
    case 'EMAIL_INVALID': return 'That does not look like an email address.';
    case 'CODE_INVALID': return left ? `Wrong code. ${left[1]} ${left[1] === '1' ? 'try' : 'tries'} left.` : 'Wrong code.';
    case 'CODE_EXPIRED': return 'The code has expired. Start again to get a new one.';
    case 'CODE_ATTEMPTS_EXCEEDED': return 'Too many wrong tries. Start again to get a new code.';
    case 'LOGIN_TOKEN_INVALID': return 'This sign-in has ended. Start again.';
    case 'PASSWORD_INVALID': return 'Wrong password.';
    case 'FLOOD_WAIT': return `Too many attempts. Try again in ${wait(e.retryAfter || 60)}.`;
    case 'CODE_DELIVERY_FAILED': return 'The code could not be sent. Try again later.';
    case 'FIRST_NAME_INVALID': return 'Enter a first name of up to 64 characters.';
    case 'LAST_NAME_INVALID': return 'The last name is too long.';
    case 'PASSWORD_RECOVERY_UNAVAILABLE': return 'This account has no recovery email.';
    case 'NETWORK': return 'No connection to the server.';
    case 'INVITE_CODE_REQUIRED': return 'This server takes new people by invite only. Enter the invite code you were given.';
    case 'INVITE_CODE_INVALID': return 'That invite code is not valid. Check it and try again.';
    case 'INVITE_CODE_EXPIRED': return 'That invite code has expired or was withdrawn. Ask for a new one.';
    case 'INVITE_CODE_USED_UP': return 'That invite code has already been used as many times as it allows. Ask for a new one.';
    case 'SIGNUP_CLOSED': return 'This server is not taking new accounts. Ask whoever runs it to make one for you.';
    default:
      return e.message || 'Something went wrong.';
  }
}
