// The emoji picker of the composer: the person's recent emoji, then a
// few hundred common ones by group. Picking one puts it at the caret and
// keeps the panel open for more; Escape or a click elsewhere closes it.
// The arrow keys move through the grid.
import { useEffect, useRef, useState } from 'preact/hooks';

const RECENT = 'haven.emoji.recent';

// GROUPS: the emoji by group, separated by spaces.
export const GROUPS = [
  ['Smileys', '😀 😃 😄 😁 😆 😅 🤣 😂 🙂 🙃 😉 😊 😇 🥰 😍 🤩 😘 😗 😚 😙 😋 😛 😜 🤪 😝 🤑 🤗 🤭 🤫 🤔 🤐 🤨 😐 😑 😶 😏 😒 🙄 😬 😌 😔 😪 🤤 😴 😷 🤒 🤕 🤢 🤮 🥵 🥶 🥴 😵 🤯 🤠 🥳 😎 🤓 🧐 😕 😟 🙁 😮 😯 😲 😳 🥺 😦 😧 😨 😰 😥 😢 😭 😱 😖 😣 😞 😓 😩 😫 🥱 😤 😡 😠 🤬 😈 💀 💩 🤡 👻 👽 🤖'],
  ['People', '👋 🤚 ✋ 🖖 👌 🤌 🤏 ✌️ 🤞 🤟 🤘 🤙 👈 👉 👆 👇 ☝️ 👍 👎 ✊ 👊 🤛 🤜 👏 🙌 👐 🤲 🤝 🙏 ✍️ 💪 👀 👁️ 👄 🧠 👶 🧒 👦 👧 🧑 👨 👩 🧓 👴 👵 🙋 🙇 🤦 🤷 💃 🕺 👯 🧘 🏃 🚶'],
  ['Nature', '🐶 🐱 🐭 🐹 🐰 🦊 🐻 🐼 🐨 🐯 🦁 🐮 🐷 🐸 🐵 🐔 🐧 🐦 🐤 🦆 🦅 🦉 🐺 🐴 🦄 🐝 🐛 🦋 🐌 🐞 🐢 🐍 🐙 🦀 🐠 🐬 🐳 🦈 🌵 🎄 🌲 🌳 🌴 🌱 🌿 🍀 🍁 🍂 🌷 🌹 🌺 🌸 🌼 🌻 🌞 🌝 🌚 🌙 ⭐ 🌟 ✨ ⚡ 🔥 🌈 ☀️ ⛅ ☁️ 🌧️ ⛈️ ❄️ ☃️ 🌊'],
  ['Food', '🍏 🍎 🍐 🍊 🍋 🍌 🍉 🍇 🍓 🫐 🍒 🍑 🥭 🍍 🥥 🥝 🍅 🥑 🥦 🥕 🌽 🌶️ 🥔 🥐 🍞 🥖 🧀 🥚 🍳 🥞 🥓 🍗 🍖 🌭 🍔 🍟 🍕 🥪 🌮 🌯 🥗 🍝 🍜 🍲 🍣 🍱 🥟 🍤 🍚 🍰 🎂 🧁 🍩 🍪 🍫 🍬 🍭 🍯 ☕ 🍵 🧃 🥤 🍺 🍻 🥂 🍷 🍸 🍹'],
  ['Activities', '⚽ 🏀 🏈 ⚾ 🎾 🏐 🏉 🎱 🏓 🏸 🥊 🥋 ⛳ 🎣 🎿 ⛷️ 🏂 🏋️ 🚴 🧗 🏊 🏄 🏆 🥇 🥈 🥉 🏅 🎖️ 🎫 🎪 🎭 🎨 🎬 🎤 🎧 🎼 🎹 🥁 🎷 🎺 🎸 🎻 🎲 🧩 🎮 🎯 🎳 🎉 🎊 🎈 🎁'],
  ['Travel', '🚗 🚕 🚙 🚌 🏎️ 🚓 🚑 🚒 🚚 🚜 🛴 🚲 🛵 🏍️ 🚨 🚆 🚇 🚊 ✈️ 🛫 🛬 🚀 🛸 🚁 ⛵ 🚤 🚢 ⚓ ⛽ 🚧 🗺️ 🗽 🗼 🏰 🏯 🎡 🎢 ⛲ 🏖️ 🏝️ 🏔️ ⛰️ 🏕️ 🏠 🏡 🏢 🏥 🏦 🏨 🏫 ⛪ 🌃 🌆 🌉'],
  ['Objects', '⌚ 📱 💻 ⌨️ 🖥️ 🖨️ 🖱️ 💾 💿 📷 📸 📹 🎥 📞 ☎️ 📺 📻 ⏰ ⏳ 💡 🔦 🕯️ 💸 💵 💰 💳 💎 🔧 🔨 🛠️ 🔩 ⚙️ 🔑 🗝️ 🔒 🔓 🚪 🛏️ 🛋️ 🧸 🎀 ✉️ 📩 📦 📝 📁 📅 📌 📎 ✂️ 🖊️ ✏️ 📚 📖 🔍 💊 🩹 🧪'],
  ['Symbols', '❤️ 🧡 💛 💚 💙 💜 🖤 🤍 🤎 💔 ❣️ 💕 💞 💓 💗 💖 💘 💝 💯 💢 💥 💫 💦 💨 💬 💭 💤 ✅ ☑️ ✔️ ❌ ❎ ➕ ➖ ➗ ✖️ ❓ ❔ ❕ ❗ ‼️ ⁉️ ⚠️ 🚫 ⛔ 🔞 ♻️ 🔴 🟠 🟡 🟢 🔵 🟣 ⚫ ⚪ 🔶 🔷 ▶️ ⏸️ ⏹️ 🔁 🔀 🆗 🆕 🆒 🆓 🔝 🔜'],
].map(([name, list]) => [name, list.split(' ')]);

export function recentEmoji() {
  try {
    const r = JSON.parse(localStorage.getItem(RECENT) || '[]');
    return Array.isArray(r) ? r.filter((x) => typeof x === 'string').slice(0, 24) : [];
  } catch {
    return [];
  }
}

function remember(e) {
  localStorage.setItem(RECENT, JSON.stringify([e, ...recentEmoji().filter((x) => x !== e)].slice(0, 24)));
}

// EmojiPanel shows the picker; onPick gets each emoji picked, onClose
// closes it. It goes above the composer.
export function EmojiPanel({ onPick, onClose }) {
  const ref = useRef(null);
  const [recent] = useState(recentEmoji);
  useEffect(() => {
    const el = ref.current;
    const first = el && el.querySelector('.emoji-grid button');
    if (first) first.focus();
    const away = (e) => {
      if (!el.contains(e.target) && !e.target.closest('#emoji-btn')) onClose(false);
    };
    const key = (e) => {
      if (e.key === 'Escape') {
        e.stopPropagation();
        onClose(true);
      }
    };
    addEventListener('mousedown', away, true);
    addEventListener('keydown', key, true);
    return () => {
      removeEventListener('mousedown', away, true);
      removeEventListener('keydown', key, true);
    };
  }, []);
  // The arrows move through the grid: the buttons are in rows of the
  // grid's column count.
  const move = (e) => {
    const steps = { ArrowRight: 1, ArrowLeft: -1, ArrowDown: 0, ArrowUp: 0 };
    if (!(e.key in steps)) return;
    const all = [...ref.current.querySelectorAll('.emoji-grid button')];
    const i = all.indexOf(document.activeElement);
    if (i < 0) return;
    const cols = Math.max(1, Math.round(ref.current.querySelector('.emoji-grid').clientWidth / all[0].offsetWidth));
    const step = e.key === 'ArrowDown' ? cols : e.key === 'ArrowUp' ? -cols : steps[e.key];
    const n = all[i + step];
    if (n) {
      e.preventDefault();
      n.focus();
    }
  };
  const pick = (x) => {
    remember(x);
    onPick(x);
  };
  const groups = recent.length ? [['Recent', recent], ...GROUPS] : GROUPS;
  return (
    <div class="emoji-panel" role="dialog" aria-label="Emoji" ref={ref} onKeyDown={move} id="emoji-panel">
      <nav class="emoji-tabs" aria-label="Emoji groups">
        {groups.map(([name, list]) => (
          <button type="button" key={name} class="emoji-tab" aria-label={name} title={name}
            onClick={() => ref.current.querySelector(`[data-group="${name}"]`).scrollIntoView({ block: 'start' })}>{list[0]}</button>
        ))}
      </nav>
      <div class="emoji-scroll">
        {groups.map(([name, list]) => (
          <section key={name} data-group={name} aria-label={name}>
            <h4 class="emoji-head">{name}</h4>
            <div class="emoji-grid">
              {list.map((x) => <button type="button" key={name + x} class="emoji" aria-label={x} onClick={() => pick(x)}>{x}</button>)}
            </div>
          </section>
        ))}
      </div>
    </div>
  );
}
