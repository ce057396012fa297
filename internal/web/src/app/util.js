// Small helpers of the screens: times, sizes, names, colours, file URLs.
import { useEffect, useState } from 'preact/hooks';
import { api } from './api.js';
import { S, userName } from './state.js';

const DAY = 86400000;

function startOfDay(t) {
  const d = new Date(t);
  d.setHours(0, 0, 0, 0);
  return d.getTime();
}

export const clock = (sec) => new Date(sec * 1000).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });

// listTime is the time beside a chat in the list: the hour today, the
// weekday this week, the date before.
export function listTime(sec) {
  if (!sec) return '';
  const t = sec * 1000;
  const today = startOfDay(Date.now());
  if (t >= today) return clock(sec);
  if (t >= today - 6 * DAY) return new Date(t).toLocaleDateString([], { weekday: 'short' });
  return new Date(t).toLocaleDateString([], { day: 'numeric', month: 'short', year: t < today - 300 * DAY ? '2-digit' : undefined });
}

// dayLabel is a date separator of the history.
export function dayLabel(sec) {
  const t = sec * 1000;
  const today = startOfDay(Date.now());
  if (t >= today) return 'Today';
  if (t >= today - DAY) return 'Yesterday';
  const d = new Date(t);
  return d.toLocaleDateString([], { weekday: 'long', day: 'numeric', month: 'long', year: d.getFullYear() !== new Date().getFullYear() ? 'numeric' : undefined });
}

export const sameDay = (a, b) => startOfDay(a * 1000) === startOfDay(b * 1000);

export function fileSize(n) {
  if (n < 1024) return n + ' B';
  if (n < 1024 * 1024) return (n / 1024).toFixed(n < 10240 ? 1 : 0) + ' KB';
  if (n < 1024 ** 3) return (n / 1024 / 1024).toFixed(1) + ' MB';
  return (n / 1024 ** 3).toFixed(2) + ' GB';
}

export function duration(sec) {
  sec = Math.max(0, Math.round(sec || 0));
  const m = Math.floor(sec / 60);
  const s = sec % 60;
  return m + ':' + String(s).padStart(2, '0');
}

// statusText says when a person was last seen, as far as they let it be
// known.
export function statusText(u) {
  if (!u) return '';
  if (u.deleted) return 'deleted account';
  const s = u.status || {};
  switch (s.kind) {
    case 'online': return 'online';
    case 'exact': {
      const ago = Date.now() / 1000 - s.last_seen;
      if (ago < 60) return 'last seen just now';
      if (ago < 3600) return `last seen ${Math.floor(ago / 60)} minute${ago < 120 ? '' : 's'} ago`;
      if (ago < 86400 && sameDay(s.last_seen, Date.now() / 1000)) return 'last seen at ' + clock(s.last_seen);
      return 'last seen ' + listTime(s.last_seen) + ' at ' + clock(s.last_seen);
    }
    case 'recently': return 'last seen recently';
    case 'within_week': return 'last seen within a week';
    case 'within_month': return 'last seen within a month';
    default: return 'last seen a long time ago';
  }
}

export function initials(name) {
  const parts = (name || '?').trim().split(/\s+/).filter(Boolean);
  const first = [...(parts[0] || '?')][0] || '?';
  const second = parts.length > 1 ? [...parts[parts.length - 1]][0] : '';
  return (first + second).toUpperCase();
}

const COLORS = ['#e17076', '#f5a54b', '#7bc862', '#46a5e5', '#6b8ce6', '#a695e7', '#ee7aae', '#3fb5a3'];
export const colorOf = (id) => COLORS[Math.abs(Number(id) || 0) % COLORS.length];

export const plural = (n, one, many) => `${n.toLocaleString()} ${n === 1 ? one : many || one + 's'}`;

// Signed file URLs (files.getURL) work an hour; they are kept until a
// little before that, and asked for once however many images want one.
const urls = new Map();

export function fileURL(id) {
  const c = urls.get(id);
  if (c && c.url && c.exp > Date.now() + 60000) return Promise.resolve(c.url);
  if (c && c.p) return c.p;
  const p = api.call('files.getURL', { file_id: id }).then((r) => {
    urls.set(id, { url: r.url, exp: r.expires_at * 1000 });
    return r.url;
  }).catch((e) => {
    urls.delete(id);
    throw e;
  });
  urls.set(id, { p });
  return p;
}

export function cachedURL(id) {
  const c = urls.get(id);
  return c && c.url && c.exp > Date.now() + 60000 ? c.url : null;
}

// useFileURL gives a file's signed URL once it is known.
export function useFileURL(id) {
  const [url, setURL] = useState(() => (id ? cachedURL(id) : null));
  useEffect(() => {
    if (!id) return undefined;
    let live = true;
    const known = cachedURL(id);
    if (known) setURL(known);
    else fileURL(id).then((u) => live && setURL(u)).catch(() => {});
    return () => {
      live = false;
    };
  }, [id, S.conn === 'online']);
  return url;
}

// Blob URLs for the files waiting in the outbox, one per blob.
const blobs = new WeakMap();
export function blobURL(b) {
  if (!b) return '';
  if (!blobs.has(b)) blobs.set(b, URL.createObjectURL(b));
  return blobs.get(b);
}

export const senderName = (id) => (S.me && id === S.me.id ? 'You' : userName(S.users.get(id)));

// smallest picks the photo size closest above want pixels, or the
// original file.
export function pickSize(media, want) {
  const sizes = (media.sizes || []).filter((s) => s.type !== 't');
  sizes.sort((a, b) => Math.max(a.w, a.h) - Math.max(b.w, b.h));
  for (const s of sizes) if (Math.max(s.w, s.h) >= want) return s.file_id;
  return media.file_id;
}

export function isMobile() {
  return matchMedia('(max-width: 720px)').matches;
}

export const debounce = (f, ms) => {
  let t = 0;
  return (...a) => {
    clearTimeout(t);
    t = setTimeout(() => f(...a), ms);
  };
};
