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

// needsInvite tells, from a sign_up_required answer or a refused
// sign-up, whether the server wants an invite code.
export function needsInvite(x) {
  if (!x) return false;
  if (x.code) return /^INVITE_CODE/.test(x.code) || x.code === 'SIGN_UP_INVITE_REQUIRED';
  return !!(x.invite_required || x.invite_code_required || x.sign_up_mode === 'invite');
}

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
    default:
      if (needsInvite(e)) return e.code === 'INVITE_CODE_INVALID' ? 'That invite code is not valid.' : 'This server needs an invite code to sign up.';
      return e.message || 'Something went wrong.';
  }
}
