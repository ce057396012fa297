// Pieces every screen uses: avatars, dialogs, menus, switches, toasts.
import { useEffect, useRef, useState } from 'preact/hooks';
import { S, emit } from '../state.js';
import { colorOf, initials, pickSize, useFileURL } from '../util.js';
import { Icon } from './icons.jsx';

export function Avatar({ id, name, photo, size = 48, online, saved, onClick }) {
  const url = useFileURL(photo ? pickSize(photo, size * 2) : 0);
  const style = { width: size + 'px', height: size + 'px', fontSize: Math.round(size * 0.4) + 'px' };
  let inner;
  if (saved) {
    inner = <span class="avatar-fill" style={{ background: '#46a5e5' }}><Icon name="bookmark" size={Math.round(size * 0.5)} /></span>;
  } else if (photo && (url || photo.preview)) {
    inner = <img src={url || 'data:image/jpeg;base64,' + photo.preview} alt="" class={url ? '' : 'blur'} />;
  } else {
    inner = <span class="avatar-fill" style={{ background: colorOf(id) }}>{initials(name)}</span>;
  }
  return (
    <span class={'avatar' + (onClick ? ' clickable' : '')} style={style} onClick={onClick}>
      {inner}
      {online && <span class="online-dot" aria-label="online" />}
    </span>
  );
}

// openDialog shows a modal dialog drawn by render(close); closeDialog
// ends it.
export function openDialog(render) {
  S.ui.dialog = render;
  emit();
}

export function closeDialog() {
  S.ui.dialog = null;
  emit();
}

// confirm asks a yes-or-no question in a dialog.
export function confirm(text, { ok = 'OK', danger = false, title = '' } = {}) {
  return new Promise((resolve) => {
    openDialog(() => (
      <Modal title={title} onClose={() => { closeDialog(); resolve(false); }}>
        <p class="modal-text">{text}</p>
        <div class="modal-actions">
          <button class="btn flat" onClick={() => { closeDialog(); resolve(false); }}>Cancel</button>
          <button class={'btn flat ' + (danger ? 'danger' : 'primary')} onClick={() => { closeDialog(); resolve(true); }}>{ok}</button>
        </div>
      </Modal>
    ));
  });
}

export function Modal({ title, onClose, children, wide }) {
  const ref = useRef(null);
  useEffect(() => {
    const prev = document.activeElement;
    const el = ref.current;
    // The field the dialog is for (data-autofocus), else its first control;
    // never taken from a field the person is typing in already.
    const first = el && (el.querySelector('[data-autofocus]') || el.querySelector('input, textarea, select, button:not(.modal-close)'));
    if (first && !el.contains(document.activeElement)) first.focus();
    const key = (e) => {
      if (e.key === 'Escape') {
        e.stopPropagation();
        onClose();
      }
    };
    addEventListener('keydown', key, true);
    return () => {
      removeEventListener('keydown', key, true);
      if (prev && prev.focus) prev.focus({ preventScroll: true });
    };
  }, []);
  return (
    <div class="modal-back" onMouseDown={(e) => e.target === e.currentTarget && onClose()}>
      <div class={'modal' + (wide ? ' wide' : '')} role="dialog" aria-modal="true" aria-label={title || 'Dialog'} ref={ref}>
        {title && (
          <div class="modal-head">
            <h2>{title}</h2>
            <button class="icon-btn modal-close" aria-label="Close" onClick={onClose}><Icon name="close" /></button>
          </div>
        )}
        {children}
      </div>
    </div>
  );
}

// openMenu shows a context menu at a point (or under an element). An
// item's onClick gets the menu ({x, y}), to open another in its place.
export function openMenu(x, y, items) {
  S.ui.menu = { x, y, items: items.filter(Boolean) };
  emit();
}

export function MenuHost() {
  const m = S.ui.menu;
  const ref = useRef(null);
  const [pos, setPos] = useState(null);
  useEffect(() => {
    if (!m) return undefined;
    const el = ref.current;
    const r = el.getBoundingClientRect();
    setPos({
      left: Math.max(8, Math.min(m.x, innerWidth - r.width - 8)),
      top: Math.max(8, Math.min(m.y, innerHeight - r.height - 8)),
    });
    const first = el.querySelector('[role=menuitem]');
    if (first) first.focus();
    const close = (e) => {
      // The menu may be gone already (an item chosen), its listeners not
      // yet removed: then a key is not this menu's.
      if (S.ui.menu !== m) return;
      if (e.type === 'keydown' && e.key !== 'Escape') return;
      if (e.type === 'mousedown' && el.contains(e.target)) return;
      // Escape closes the menu only, not also the chat or an edit.
      if (e.type === 'keydown') e.stopPropagation();
      S.ui.menu = null;
      setPos(null);
      emit();
    };
    addEventListener('mousedown', close, true);
    addEventListener('keydown', close, true);
    addEventListener('resize', close);
    return () => {
      removeEventListener('mousedown', close, true);
      removeEventListener('keydown', close, true);
      removeEventListener('resize', close);
    };
  }, [m]);
  if (!m) return null;
  const move = (e) => {
    const items = [...ref.current.querySelectorAll('[role=menuitem]')];
    const i = items.indexOf(document.activeElement);
    if (e.key === 'ArrowDown') items[(i + 1) % items.length].focus();
    else if (e.key === 'ArrowUp') items[(i - 1 + items.length) % items.length].focus();
    else return;
    e.preventDefault();
  };
  return (
    <div class="menu" role="menu" ref={ref} style={pos ? { left: pos.left + 'px', top: pos.top + 'px' } : { left: m.x + 'px', top: m.y + 'px', visibility: 'hidden' }} onKeyDown={move}>
      {m.items.map((it, i) => (it.reactions ? (
        <div class="menu-reactions" key={'r' + i}>
          {it.reactions.map((r) => (
            <button class={'reaction-pick' + (r === it.mine ? ' mine' : '')} aria-label={'React ' + r} onClick={() => { S.ui.menu = null; emit(); it.onPick(r); }}>{r}</button>
          ))}
        </div>
      ) : (
        <button key={i} role="menuitem" class={'menu-item' + (it.danger ? ' danger' : '')} onClick={() => { S.ui.menu = null; emit(); it.onClick(m); }}>
          {it.icon && <Icon name={it.icon} size={20} />}
          <span>{it.label}</span>
        </button>
      )))}
    </div>
  );
}

export function Toggle({ checked, onChange, label, disabled, id }) {
  return (
    <label class="toggle-row">
      <span>{label}</span>
      <input type="checkbox" role="switch" class="toggle" id={id} checked={checked} disabled={disabled} onChange={(e) => onChange(e.currentTarget.checked)} />
    </label>
  );
}

export function Spinner({ size = 24 }) {
  return <span class="spinner" style={{ width: size + 'px', height: size + 'px' }} role="progressbar" aria-label="Loading" />;
}

export function Toasts() {
  return (
    <div class="toasts" role="status" aria-live="polite">
      {S.toasts.map((t) => <div key={t.id} class={'toast ' + t.kind}>{t.text}</div>)}
    </div>
  );
}

// Header of a column: a back or close button, a title, actions.
export function PanelHead({ title, onBack, icon = 'back', children }) {
  return (
    <div class="panel-head">
      {onBack && <button class="icon-btn" aria-label={icon === 'close' ? 'Close' : 'Back'} onClick={onBack}><Icon name={icon} /></button>}
      <h2 class="panel-title">{title}</h2>
      {children}
    </div>
  );
}

// longPress calls f on a touch held half a second (the phone's right
// click), and lets a right click call it too.
export function longPress(f) {
  let timer = 0;
  let start = null;
  return {
    onContextMenu: (e) => {
      e.preventDefault();
      f(e.clientX, e.clientY);
    },
    onTouchStart: (e) => {
      const t = e.touches[0];
      start = { x: t.clientX, y: t.clientY };
      timer = setTimeout(() => {
        timer = 0;
        f(start.x, start.y);
      }, 500);
    },
    onTouchMove: (e) => {
      const t = e.touches[0];
      if (start && Math.hypot(t.clientX - start.x, t.clientY - start.y) > 10) clearTimeout(timer);
    },
    onTouchEnd: () => clearTimeout(timer),
  };
}
