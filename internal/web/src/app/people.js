// Finding people and chats, in one place: the "new chat" list, the
// member picker and the search box all ask here. A server with
// users.search (people by name) is asked that; one without it answers
// METHOD_NOT_FOUND once, and from then on people are found by username
// (search.global), among the contacts, and among the chats.
import { api } from './api.js';
import { S, emit, saveUsers, sortedDialogs, chatTitle, userName } from './state.js';

let contacts = null;
// The names the person gave their contacts: user id → {first_name, last_name}.
const contactNames = new Map();

export async function loadContacts(force) {
  if (contacts && !force) return contacts;
  try {
    const list = await api.call('contacts.list', {});
    saveUsers(list.map((c) => c.user));
    contactNames.clear();
    for (const c of list) contactNames.set(c.user.id, { first_name: c.first_name, last_name: c.last_name || '' });
    contacts = list.map((c) => c.user.id);
    emit();
  } catch {
    contacts = contacts || [];
  }
  return contacts;
}

// contactName is the name the person gave a contact ('' for someone
// not in their contacts, as far as the app knows).
export function contactName(id) {
  const n = contactNames.get(id);
  return n ? [n.first_name, n.last_name].filter(Boolean).join(' ') : '';
}

export const contactNameParts = (id) => contactNames.get(id) || null;

// addContact adds a person to the contacts under the names given, or
// renames them (contacts.add).
export async function addContact(id, first, last) {
  const c = await api.call('contacts.add', { user_id: id, first_name: first, ...(last ? { last_name: last } : {}) });
  saveUsers([c.user]);
  contactNames.set(id, { first_name: c.first_name, last_name: c.last_name || '' });
  if (contacts && !contacts.includes(id)) contacts = [...contacts, id];
  emit();
  return c;
}

// removeContact removes a person from the contacts (contacts.delete).
export async function removeContact(id) {
  await api.call('contacts.delete', { user_ids: [id] });
  const u = S.users.get(id);
  if (u) S.users.set(id, { ...u, contact: false, mutual_contact: false });
  contactNames.delete(id);
  if (contacts) contacts = contacts.filter((x) => x !== id);
  emit();
}

// contactList is the contacts with their names, by name.
export function contactList() {
  return (contacts || [])
    .map((id) => ({ user: S.users.get(id), name: contactName(id) }))
    .filter((c) => c.user && !c.user.deleted)
    .sort((a, b) => (a.name || userName(a.user)).localeCompare(b.name || userName(b.user)));
}

// knownPeople are the people the person has met: private chats, most
// recent first, then contacts.
export function knownPeople() {
  const ids = [];
  const seen = new Set();
  const add = (id) => {
    if (!id || seen.has(id) || (S.me && id === S.me.id)) return;
    const u = S.users.get(id);
    if (!u || u.deleted) return;
    seen.add(id);
    ids.push(id);
  };
  for (const d of sortedDialogs(false).concat(sortedDialogs(true))) {
    const c = S.chats.get(d.chat_id);
    if (c && c.kind === 'private') add(c.peer_id);
  }
  for (const id of contacts || []) add(id);
  return ids.map((id) => S.users.get(id));
}

const norm = (s) => (s || '').toLocaleLowerCase().normalize('NFKD').replace(/\p{M}/gu, '');

export function matches(text, q) {
  const t = norm(text);
  return norm(q).split(/\s+/).filter(Boolean).every((w) => t.split(/[\s@_.-]+/).some((x) => x.startsWith(w)) || t.includes(w));
}

// searchPeople finds people for a query: those already known whose name
// or username matches, then the server's answer.
export async function searchPeople(q) {
  q = q.trim().replace(/^@/, '');
  const out = new Map();
  for (const u of knownPeople()) {
    if (matches(userName(u) + ' ' + (u.username || ''), q)) out.set(u.id, u);
  }
  if (q.length >= 2) {
    let found = null;
    if (api.has('users.search')) {
      try {
        const r = await api.call('users.search', { query: q, limit: 30 });
        found = Array.isArray(r) ? r : r.users || [];
      } catch (e) {
        if (e.code !== 'METHOD_NOT_FOUND') found = [];
      }
    }
    if (!found) {
      try {
        found = (await api.call('search.global', { query: q, limit: 30 })).users || [];
      } catch {
        found = [];
      }
    }
    saveUsers(found);
    for (const u of found) if (!(S.me && u.id === S.me.id)) out.set(u.id, S.users.get(u.id) || u);
  }
  return [...out.values()];
}

// searchMessages finds messages in every chat of the person, newest
// first, with their chats and senders (messages.searchGlobal).
export async function searchMessages(q, limit = 50) {
  const r = await api.call('messages.searchGlobal', { query: q, limit });
  saveUsers(r.users || []);
  return r;
}

// searchInChat finds messages in one chat, newest first
// (messages.search with its chat_id).
export const searchInChat = (chatId, q, limit = 100) => api.call('messages.search', { query: q, chat_id: chatId, limit });

// searchAll is the search box: chats in the list, people, public chats
// and messages in every chat.
export async function searchAll(q) {
  q = q.trim();
  const chats = [];
  for (const d of sortedDialogs(false).concat(sortedDialogs(true))) {
    const c = S.chats.get(d.chat_id);
    if (c && matches(chatTitle(c) + ' ' + (c.username || '') + ' ' + (c.kind === 'private' ? (S.users.get(c.peer_id) || {}).username || '' : ''), q)) chats.push(c);
  }
  const inList = new Set(chats.filter((c) => c.kind === 'private').map((c) => c.peer_id));
  const [people, global, messages] = await Promise.all([
    searchPeople(q).catch(() => []),
    q.replace(/^@/, '').length >= 2 ? api.call('search.global', { query: q.replace(/^@/, ''), limit: 20 }).catch(() => ({ chats: [] })) : { chats: [] },
    searchMessages(q).catch(() => ({ messages: [], chats: [] })),
  ]);
  const mine = new Set(chats.map((c) => c.id));
  return {
    chats,
    people: people.filter((u) => !inList.has(u.id)),
    publicChats: (global.chats || []).filter((c) => !mine.has(c.id) && !S.dialogs.has(c.id)),
    messages: messages.messages || [],
    // The chats of the messages found, for their titles: kept apart from
    // the synced chats (S.chats), whose seq says what was applied.
    msgChats: new Map((messages.chats || []).map((c) => [c.id, c])),
  };
}
