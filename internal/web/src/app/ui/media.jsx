// Media in messages: photos (with their tiny preview while the real one
// loads), albums, videos, files, voice notes; and the same for messages
// still uploading.
import { useEffect, useRef, useState } from 'preact/hooks';
import { useFileURL, pickSize, fileSize, duration, blobURL, fileURL } from '../util.js';
import { Icon } from './icons.jsx';
import { openDialog, closeDialog } from './common.jsx';

// fit scales a picture to the bubble: at most 420 by 420 pixels (less
// on a phone), keeping its shape.
function fit(w, h, max = 420) {
  if (!w || !h) return { w: max * 0.75, h: max * 0.75 };
  const m = Math.min(max, innerWidth < 500 ? innerWidth * 0.72 : max);
  const s = Math.min(m / w, m / h, 1.5);
  return { w: Math.max(120, Math.round(w * s)), h: Math.max(80, Math.round(h * s)) };
}

function Photo({ media, box, onOpen }) {
  const url = useFileURL(pickSize(media, 800));
  const [loaded, setLoaded] = useState(false);
  return (
    <button class="photo" style={box ? { width: box.w + 'px', height: box.h + 'px' } : undefined} onClick={onOpen} aria-label="Open photo">
      {media.preview && !loaded && <img class="preview" src={'data:image/jpeg;base64,' + media.preview} alt="" />}
      {url && <img class={'full' + (loaded ? ' loaded' : '')} src={url} alt="Photo" loading="lazy" onLoad={() => setLoaded(true)} />}
    </button>
  );
}

function openViewer(list, i) {
  openDialog(() => <Viewer list={list} start={i} />);
}

function Viewer({ list, start }) {
  const [i, setI] = useState(start);
  const m = list[i].media;
  const url = useFileURL(m.kind === 'photo' ? pickSize(m, 1280) : m.file_id);
  useEffect(() => {
    const key = (e) => {
      if (e.key === 'Escape') closeDialog();
      if (e.key === 'ArrowRight') setI((x) => Math.min(list.length - 1, x + 1));
      if (e.key === 'ArrowLeft') setI((x) => Math.max(0, x - 1));
    };
    addEventListener('keydown', key);
    return () => removeEventListener('keydown', key);
  }, []);
  return (
    <div class="viewer" role="dialog" aria-modal="true" aria-label="Photo viewer" onClick={(e) => e.target === e.currentTarget && closeDialog()}>
      <div class="viewer-bar">
        <span>{list.length > 1 ? `${i + 1} of ${list.length}` : ''}</span>
        <a class="icon-btn light" aria-label="Download" href={url || '#'} download={m.name}><Icon name="download" /></a>
        <button class="icon-btn light" aria-label="Close" onClick={closeDialog}><Icon name="close" /></button>
      </div>
      {m.kind === 'video' ? <video src={url || ''} controls autoPlay /> : (
        <img src={url || (m.preview ? 'data:image/jpeg;base64,' + m.preview : '')} alt="Photo" class={url ? '' : 'blur'} />
      )}
      {i > 0 && <button class="viewer-nav prev" aria-label="Previous" onClick={() => setI(i - 1)}><Icon name="back" /></button>}
      {i < list.length - 1 && <button class="viewer-nav next" aria-label="Next" onClick={() => setI(i + 1)}><Icon name="back" /></button>}
    </div>
  );
}

function Video({ media, box }) {
  const url = useFileURL(media.file_id);
  const thumb = useFileURL(media.thumb ? media.thumb.file_id : 0);
  return <video class="video" style={box ? { width: box.w + 'px', height: box.h + 'px' } : undefined} src={url || undefined} poster={thumb || undefined} controls preload="metadata" />;
}

// Voice is a voice note's player: play and pause, where it is, and a
// bar to move in it.
export function Voice({ media, src }) {
  const [playing, setPlaying] = useState(false);
  const [at, setAt] = useState(0);
  const [total, setTotal] = useState(media.duration || 0);
  const audio = useRef(null);
  const url = src || null;
  const toggle = async () => {
    let a = audio.current;
    if (!a) {
      a = new Audio();
      a.preload = 'auto';
      a.src = url || (await fileURL(media.file_id));
      a.ontimeupdate = () => setAt(a.currentTime);
      a.onloadedmetadata = () => Number.isFinite(a.duration) && setTotal(a.duration);
      a.onended = () => {
        setPlaying(false);
        setAt(0);
      };
      a.onpause = () => setPlaying(false);
      a.onplay = () => setPlaying(true);
      audio.current = a;
    }
    if (a.paused) a.play().catch(() => setPlaying(false));
    else a.pause();
  };
  useEffect(() => () => audio.current && audio.current.pause(), []);
  const pct = total ? Math.min(100, (at / total) * 100) : 0;
  return (
    <div class="voice">
      <button class="play-btn" aria-label={playing ? 'Pause' : 'Play voice message'} onClick={toggle}><Icon name={playing ? 'pause' : 'play'} /></button>
      <div class="voice-body">
        <div class="voice-bar" role="slider" aria-label="Position" aria-valuemin={0} aria-valuemax={Math.round(total)} aria-valuenow={Math.round(at)} tabIndex={0}
          onClick={(e) => {
            const a = audio.current;
            if (!a || !total) return;
            const r = e.currentTarget.getBoundingClientRect();
            a.currentTime = ((e.clientX - r.left) / r.width) * total;
          }}
          onKeyDown={(e) => {
            const a = audio.current;
            if (!a) return;
            if (e.key === 'ArrowRight') a.currentTime = Math.min(total, a.currentTime + 5);
            if (e.key === 'ArrowLeft') a.currentTime = Math.max(0, a.currentTime - 5);
          }}>
          <span style={{ width: pct + '%' }} />
        </div>
        <span class="voice-time">{duration(playing || at ? at : total)}</span>
      </div>
    </div>
  );
}

function FileBox({ media, progress }) {
  const url = useFileURL(progress === undefined ? media.file_id : 0);
  const icon = media.kind === 'audio' ? 'play' : 'file';
  return (
    <div class="file-row">
      {progress === undefined ? (
        <a class="file-icon" href={url || '#'} download={media.name} aria-label={'Download ' + media.name} onClick={(e) => !url && e.preventDefault()}><Icon name={url ? 'download' : icon} /></a>
      ) : <span class="file-icon"><Ring p={progress} /></span>}
      <span class="file-info">
        <span class="file-name">{media.name}</span>
        <span class="muted">{progress !== undefined ? `${fileSize(Math.round(media.size * (progress || 0)))} of ${fileSize(media.size)}` : fileSize(media.size)}</span>
      </span>
      {media.kind === 'audio' && url && progress === undefined && <audio class="inline-audio" src={url} controls preload="none" />}
    </div>
  );
}

function Ring({ p }) {
  const r = 16;
  const c = 2 * Math.PI * r;
  return (
    <svg class="ring" width="40" height="40" viewBox="0 0 40 40" role="progressbar" aria-valuenow={Math.round((p || 0) * 100)} aria-valuemin={0} aria-valuemax={100} aria-label="Uploading">
      <circle cx="20" cy="20" r={r} class="ring-back" />
      <circle cx="20" cy="20" r={r} class="ring-front" stroke-dasharray={c} stroke-dashoffset={c * (1 - Math.max(0.03, p || 0))} />
    </svg>
  );
}

// MediaView draws the media of a message, or of an album.
export function MediaView({ m, album }) {
  const md = m.media;
  if (album) {
    const n = album.length;
    return (
      <div class={'album n' + Math.min(n, 4)}>
        {album.map((x, i) => (x.media.kind === 'video' ? <Video key={x.id} media={x.media} /> : <Photo key={x.id} media={x.media} onOpen={() => openViewer(album, i)} />))}
      </div>
    );
  }
  switch (md.kind) {
    case 'photo':
      return <Photo media={md} box={fit(md.width, md.height)} onOpen={() => openViewer([m], 0)} />;
    case 'video':
      return <Video media={md} box={fit(md.width, md.height)} />;
    case 'voice':
      return <Voice media={md} />;
    default:
      return <FileBox media={md} />;
  }
}

// PendingMedia shows the files of a message still uploading, from the
// copies in the browser.
export function PendingMedia({ p }) {
  const items = p.items;
  const prog = p.progress || 0;
  const photos = items.filter((x) => x.kind === 'photo' || x.kind === 'video');
  if (photos.length === items.length) {
    const one = items.length === 1;
    const box = one ? fit(items[0].width, items[0].height) : null;
    return (
      <div class={one ? 'photo pending-photo' : 'album n' + Math.min(items.length, 4)} style={box ? { width: box.w + 'px', height: box.h + 'px' } : undefined}>
        {items.map((x, i) => (x.kind === 'photo' ? <img key={i} class="full loaded" src={blobURL(x.blob)} alt="" /> : <video key={i} src={blobURL(x.blob)} muted />))}
        <span class="upload-over"><Ring p={prog} /></span>
      </div>
    );
  }
  const it = items[0];
  if (it.kind === 'voice') {
    return (
      <div class="voice-pending">
        <Voice media={{ duration: it.duration }} src={blobURL(it.blob)} />
        {p.state !== 'failed' && prog < 1 && <Ring p={prog} />}
      </div>
    );
  }
  return <FileBox media={{ name: it.name, size: it.blob.size, kind: it.kind }} progress={prog} />;
}

