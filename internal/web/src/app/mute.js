// Muting a chat, in one place: for an hour, eight hours, two days or for
// ever (dialogs.update's muted_until), the menu that offers it, and how
// the app says until when a chat is muted.
import { api } from './api.js';
import { emit, toast } from './state.js';
import { clock } from './util.js';

// FOREVER is the far date that mutes for ever (the largest 32-bit Unix
// time, as the other clients send).
export const FOREVER = 2147483647;

export const MUTE_CHOICES = [
  [3600, 'For 1 hour'],
  [8 * 3600, 'For 8 hours'],
  [2 * 86400, 'For 2 days'],
  [0, 'Forever'],
];

// setMuted mutes the chat of dialog d until a Unix time (0 unmutes), on
// every device of the person, and shows it unmuted again once the time
// has come.
export function setMuted(d, until) {
  return api.call('dialogs.update', { chat_id: d.chat_id, muted_until: until }).then(() => {
    d.muted_until = until;
    emit();
    const ms = until * 1000 - Date.now();
    if (until && until !== FOREVER && ms > 0 && ms < 2 ** 31 - 1) setTimeout(emit, ms + 500);
  }).catch(() => toast('Could not change notifications.', 'error'));
}

// muteItems are the menu items that mute the chat of d for a while.
export const muteItems = (d) => MUTE_CHOICES.map(([sec, label]) => ({
  label,
  icon: 'mute',
  onClick: () => setMuted(d, sec ? Math.floor(Date.now() / 1000) + sec : FOREVER),
}));

// mutedText says until when d is muted, for a muted chat.
export function mutedText(d) {
  if (!d.muted_until || d.muted_until >= FOREVER - 86400 * 365 * 10) return 'Muted';
  const sameDay = new Date(d.muted_until * 1000).toDateString() === new Date().toDateString();
  const when = new Date(d.muted_until * 1000).toLocaleString([], { weekday: 'short', day: 'numeric', month: 'short', hour: '2-digit', minute: '2-digit' });
  return 'Muted until ' + (sameDay ? clock(d.muted_until) : when);
}
