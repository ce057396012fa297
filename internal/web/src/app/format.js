// Message text: entities rendered as markup, and the composer's light
// markup (**bold**, __italic__, ~~strike~~, ||spoiler||, `code`,
// ```pre```, [text](url)) turned into text and entities, and back for
// editing. Offsets are UTF-16 code units, as JavaScript strings count
// them and as the API does.
import { h } from 'preact';

const TAGS = {
  bold: 'strong',
  italic: 'em',
  underline: 'u',
  strikethrough: 's',
  code: 'code',
};

function safeURL(u) {
  try {
    const x = new URL(u);
    if (x.protocol === 'http:' || x.protocol === 'https:' || x.protocol === 'mailto:') return x.href;
  } catch {
    // not a URL
  }
  return '';
}

// renderText turns a text and its entities into nodes. on handles the
// clickable ones: on.mention(username), on.user(id), on.hashtag(tag).
export function renderText(text, entities, on = {}) {
  if (!text) return null;
  const ents = [...(entities || [])].sort((a, b) => a.offset - b.offset || b.length - a.length);
  let k = 0;
  const build = (start, end, list) => {
    const out = [];
    let pos = start;
    let i = 0;
    while (i < list.length) {
      const e = list[i];
      if (e.offset < pos || e.offset + e.length > end) {
        i++;
        continue;
      }
      if (e.offset > pos) out.push(text.slice(pos, e.offset));
      const eEnd = e.offset + e.length;
      const inner = [];
      let j = i + 1;
      while (j < list.length && list[j].offset < eEnd) {
        inner.push(list[j]);
        j++;
      }
      out.push(node(e, build(e.offset, eEnd, inner), text.slice(e.offset, eEnd), k++, on));
      pos = eEnd;
      i = j;
    }
    if (pos < end) out.push(text.slice(pos, end));
    return out;
  };
  return build(0, text.length, ents);
}

function node(e, children, raw, key, on) {
  switch (e.type) {
    case 'bold':
    case 'italic':
    case 'underline':
    case 'strikethrough':
    case 'code':
      return h(TAGS[e.type], { key }, children);
    case 'pre':
      return h('pre', { key, 'data-lang': e.language || undefined }, h('code', null, children));
    case 'spoiler':
      return h('span', {
        key,
        class: 'spoiler',
        tabIndex: 0,
        role: 'button',
        'aria-label': 'Spoiler: show',
        onClick: (ev) => {
          ev.stopPropagation();
          ev.currentTarget.classList.add('shown');
          ev.currentTarget.removeAttribute('aria-label');
        },
        onKeyDown: (ev) => {
          if (ev.key === 'Enter' || ev.key === ' ') ev.currentTarget.classList.add('shown');
        },
      }, children);
    case 'text_link': {
      const href = safeURL(e.url);
      if (!href) return h('span', { key }, children);
      return h('a', { key, href, target: '_blank', rel: 'noopener noreferrer', title: href }, children);
    }
    case 'url': {
      const href = safeURL(/^[a-z]+:\/\//i.test(raw) ? raw : 'https://' + raw);
      if (!href) return h('span', { key }, children);
      return h('a', { key, href, target: '_blank', rel: 'noopener noreferrer' }, children);
    }
    case 'email':
      return h('a', { key, href: 'mailto:' + raw }, children);
    case 'mention':
      return h('a', {
        key,
        href: '#',
        class: 'mention',
        onClick: (ev) => {
          ev.preventDefault();
          ev.stopPropagation();
          if (on.mention) on.mention(raw.slice(1));
        },
      }, children);
    case 'text_mention':
      return h('a', {
        key,
        href: '#',
        class: 'mention',
        onClick: (ev) => {
          ev.preventDefault();
          ev.stopPropagation();
          if (on.user) on.user(e.user_id);
        },
      }, children);
    case 'hashtag':
      return h('a', {
        key,
        href: '#',
        class: 'hashtag',
        onClick: (ev) => {
          ev.preventDefault();
          ev.stopPropagation();
          if (on.hashtag) on.hashtag(raw);
        },
      }, children);
    default:
      return h('span', { key }, children);
  }
}

// plainPreview is a message's text for the list: one line, no markup,
// spoilers hidden.
export function plainPreview(text, entities) {
  if (!text) return '';
  let t = text;
  const sp = (entities || []).filter((e) => e.type === 'spoiler').sort((a, b) => b.offset - a.offset);
  for (const e of sp) t = t.slice(0, e.offset) + '▒'.repeat(Math.min(e.length, 8)) + t.slice(e.offset + e.length);
  return t.replace(/\s+/g, ' ').trim();
}

// Markup of the composer: marker → entity type. Longer markers first.
const MARKS = [
  ['```', 'pre'],
  ['**', 'bold'],
  ['__', 'italic'],
  ['~~', 'strikethrough'],
  ['||', 'spoiler'],
  ['`', 'code'],
];

// parseMarkup reads the composer's markup: it returns the text without
// the markers and the entities they stand for. A marker without its
// closing twin stays as typed; nothing is parsed inside code.
export function parseMarkup(input) {
  const entities = [];
  const text = parseRange(input, 0, input.length, entities, { out: '' });
  entities.sort((a, b) => a.offset - b.offset || b.length - a.length);
  return { text, entities };
}

function parseRange(s, start, end, entities, acc) {
  let out = '';
  let i = start;
  while (i < end) {
    if (s[i] === '\\' && i + 1 < end && /[*_~|`[\]\\]/.test(s[i + 1])) {
      out += s[i + 1];
      i += 2;
      continue;
    }
    let matched = false;
    for (const [mk, type] of MARKS) {
      if (!s.startsWith(mk, i)) continue;
      const close = s.indexOf(mk, i + mk.length);
      if (close < 0 || close + mk.length > end || close === i + mk.length) continue;
      const base = acc.out.length + out.length;
      let inner;
      if (type === 'code' || type === 'pre') {
        inner = s.slice(i + mk.length, close);
        let lang = '';
        if (type === 'pre') {
          const m = /^([A-Za-z0-9+#._-]{1,32})\n/.exec(inner);
          if (m) {
            lang = m[1];
            inner = inner.slice(m[0].length);
          }
          inner = inner.replace(/^\n/, '').replace(/\n$/, '');
        }
        if (!inner) continue;
        const ent = { type, offset: base, length: inner.length };
        if (lang) ent.language = lang;
        entities.push(ent);
      } else {
        inner = parseRange(s, i + mk.length, close, entities, { out: acc.out + out });
        if (!inner) continue;
        entities.push({ type, offset: base, length: inner.length });
      }
      out += inner;
      i = close + mk.length;
      matched = true;
      break;
    }
    if (matched) continue;
    if (s[i] === '[') {
      const m = /^\[([^\]\n]+)\]\(((?:https?:\/\/|mailto:)[^\s)]+)\)/.exec(s.slice(i, end));
      if (m) {
        const base = acc.out.length + out.length;
        const inner = parseRange(s, i + 1, i + 1 + m[1].length, entities, { out: acc.out + out });
        entities.push({ type: 'text_link', offset: base, length: inner.length, url: m[2] });
        out += inner;
        i += m[0].length;
        continue;
      }
    }
    out += s[i];
    i++;
  }
  return out;
}

const BACK = { bold: '**', italic: '__', strikethrough: '~~', spoiler: '||', code: '`', pre: '```' };

// toMarkup writes a message's text with its formatting as the
// composer's markup, for editing.
export function toMarkup(text, entities) {
  const opens = new Map();
  const closes = new Map();
  const add = (m, pos, s, front) => {
    const list = m.get(pos) || [];
    if (front) list.unshift(s);
    else list.push(s);
    m.set(pos, list);
  };
  const ents = [...(entities || [])].sort((a, b) => a.offset - b.offset || b.length - a.length);
  for (const e of ents) {
    const end = e.offset + e.length;
    if (BACK[e.type]) {
      const mk = BACK[e.type];
      add(opens, e.offset, e.type === 'pre' ? mk + (e.language ? e.language : '') + '\n' : mk, false);
      add(closes, end, e.type === 'pre' ? '\n' + mk : mk, true);
    } else if (e.type === 'text_link') {
      add(opens, e.offset, '[', false);
      add(closes, end, '](' + e.url + ')', true);
    }
  }
  let out = '';
  for (let i = 0; i <= text.length; i++) {
    if (closes.has(i)) out += closes.get(i).join('');
    if (opens.has(i)) out += opens.get(i).join('');
    if (i < text.length) out += text[i];
  }
  return out;
}
