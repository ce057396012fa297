// Words for messages that are not plain text: service messages, media
// and the one-line previews of the chat list.
import { S, userName } from './state.js';
import { plainPreview } from './format.js';

const who = (id) => (id ? (S.me && id === S.me.id ? 'You' : userName(S.users.get(id))) : '');

export function ttlText(sec) {
  if (!sec) return 'off';
  if (sec === 86400) return '1 day';
  if (sec === 604800) return '1 week';
  if (sec === 2678400) return '1 month';
  return sec + ' seconds';
}

// serviceText describes a service message.
export function serviceText(m, chat) {
  const s = m.service || {};
  const actor = who(m.sender_id);
  const subject = actor || (chat && chat.kind === 'channel' ? 'The channel' : 'Someone');
  const people = (s.user_ids || []).map(who).join(', ') || 'members';
  switch (s.type) {
    case 'chat_created':
      return chat && chat.kind === 'channel' ? `Channel “${s.title || ''}” created` : `${subject} created the group “${s.title || ''}”`;
    case 'members_added':
      return `${subject} added ${people}`;
    case 'member_joined':
      return `${who((s.user_ids || [])[0]) || actor || 'Someone'} joined the group`;
    case 'member_left':
      return `${who((s.user_ids || [])[0]) || actor || 'Someone'} left the group`;
    case 'member_removed':
      return `${subject} removed ${people}`;
    case 'title_changed':
      return `${subject} changed the title to “${s.title || ''}”`;
    case 'ttl_changed':
      return s.seconds ? `${subject} set messages to disappear after ${ttlText(s.seconds)}` : `${subject} turned off disappearing messages`;
    case 'owner_changed':
      return `${people} is now the owner`;
    case 'photo_changed':
      return `${subject} changed the photo`;
    case 'photo_removed':
      return `${subject} removed the photo`;
    case 'message_pinned':
      return `${subject} pinned a message`;
    default:
      return 'Service message';
  }
}

export function mediaLabel(m) {
  const md = m.media;
  if (!md) return '';
  switch (md.kind) {
    case 'photo': return md.album_id ? 'Album' : 'Photo';
    case 'video': return 'Video';
    case 'voice': return 'Voice message';
    case 'audio': return md.name || 'Audio';
    default: return md.name || 'File';
  }
}

// preview is the one line the chat list shows of a message.
export function preview(m, chat) {
  if (!m) return '';
  if (m.service) return serviceText(m, chat);
  const text = plainPreview(m.text, m.entities);
  if (m.media) return text ? `${mediaLabel(m)} · ${text}` : mediaLabel(m);
  return text;
}
