// What the person may do in a chat, as docs/api.md's "Roles and rights"
// says; the server decides, and these only choose what to offer.
import { S } from './state.js';

const has = (chat, r) => chat.role === 'owner' || (chat.role === 'admin' && (chat.rights || []).includes(r));
const member = (chat) => chat.role === 'owner' || chat.role === 'admin' || chat.role === 'member';
const memberMay = (chat, r) => chat.kind === 'group' && chat.role === 'member' && (chat.member_rights || []).includes(r);

export function canPost(chat) {
  if (!chat) return true; // a private chat not made yet
  if (chat.kind === 'private') return true;
  if (!member(chat)) return false;
  if (chat.kind === 'channel') return has(chat, 'post_messages');
  return chat.role !== 'member' || (chat.member_rights || []).includes('send_messages');
}

export const canPin = (chat) => chat.kind === 'private' || has(chat, 'pin_messages') || memberMay(chat, 'pin_messages');
export const canChangeInfo = (chat) => chat.kind !== 'private' && (has(chat, 'change_info') || memberMay(chat, 'change_info'));
export const canChangeSettings = (chat) => chat.kind !== 'private' && has(chat, 'change_info');
export const canInvite = (chat) => chat.kind !== 'private' && (has(chat, 'invite_users') || memberMay(chat, 'invite_users'));
export const canBan = (chat) => chat.kind !== 'private' && has(chat, 'ban_users');
export const canAddAdmins = (chat) => chat.kind !== 'private' && has(chat, 'add_admins');
export const canSeeMembers = (chat) => chat.kind !== 'channel' || chat.role === 'owner' || chat.role === 'admin';
export const isMember = member;

const mine = (m) => S.me && m.sender_id === S.me.id;

export function canEdit(chat, m) {
  if (m.service || m.forward) return false;
  if (chat.kind === 'channel') {
    if (has(chat, 'edit_messages')) return true;
    // An unsigned post does not say whose it is: offered to posters, and
    // the server refuses someone else's.
    return has(chat, 'post_messages') && (!m.sender_id || mine(m));
  }
  return mine(m) && Date.now() / 1000 - m.date < 48 * 3600;
}

export function canDeleteForAll(chat, m) {
  if (chat.kind === 'private') return true;
  if (has(chat, 'delete_messages')) return true;
  if (chat.kind === 'channel') return mine(m) && has(chat, 'post_messages');
  return mine(m);
}

export const canDeleteForMe = (chat) => chat.kind !== 'channel';
