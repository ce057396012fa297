// Recording voice notes. The server takes Ogg/Opus voice notes: a
// browser whose MediaRecorder makes Ogg/Opus (Firefox) sends its bytes as
// they are; one that makes Opus in WebM (Chromium) has them re-wrapped
// into Ogg (webm2ogg.js); one with neither (Safari makes AAC in MP4)
// sends the recording as an audio file instead.
import { toOgg } from './webm2ogg.js';

export const canRecord = () => !!(navigator.mediaDevices && navigator.mediaDevices.getUserMedia && window.MediaRecorder);

function pickType() {
  for (const t of ['audio/ogg;codecs=opus', 'audio/webm;codecs=opus', 'audio/mp4']) {
    if (MediaRecorder.isTypeSupported(t)) return t;
  }
  return '';
}

// record starts recording; the returned object's stop() resolves with
// the item to send ({kind, blob, name, duration}) and cancel() drops it.
export async function record() {
  const stream = await navigator.mediaDevices.getUserMedia({ audio: { echoCancellation: true, noiseSuppression: true } });
  const type = pickType();
  const rec = new MediaRecorder(stream, type ? { mimeType: type, audioBitsPerSecond: 32000 } : undefined);
  const chunks = [];
  const started = Date.now();
  rec.ondataavailable = (e) => e.data.size && chunks.push(e.data);
  rec.start(250);
  const finish = () => new Promise((resolve) => {
    rec.onstop = () => {
      stream.getTracks().forEach((t) => t.stop());
      resolve();
    };
    if (rec.state !== 'inactive') rec.stop();
    else resolve();
  });
  return {
    started,
    async stop() {
      await finish();
      const blob = new Blob(chunks, { type: rec.mimeType || type });
      const secs = (Date.now() - started) / 1000;
      const mt = (rec.mimeType || type).split(';')[0];
      if (mt === 'audio/ogg') return { kind: 'voice', blob, name: 'voice.ogg', mime: 'audio/ogg', duration: secs };
      if (mt === 'audio/webm') {
        const ogg = toOgg(new Uint8Array(await blob.arrayBuffer()));
        if (ogg) return { kind: 'voice', blob: new Blob([ogg.bytes], { type: 'audio/ogg' }), name: 'voice.ogg', mime: 'audio/ogg', duration: ogg.duration };
      }
      const ext = mt === 'audio/mp4' ? 'm4a' : 'webm';
      return { kind: 'audio', blob, name: 'voice.' + ext, mime: mt, duration: secs };
    },
    async cancel() {
      await finish();
    },
  };
}
