// Voice notes are Ogg/Opus on the wire (the server checks it and reads
// their length from the last Ogg page). Chromium's MediaRecorder makes
// Opus only inside WebM, so the recording is moved, packet for packet,
// from its WebM container into an Ogg one (RFC 7845): the sound is not
// re-encoded, only re-wrapped.

// readVint reads an EBML variable-length integer at o: [value, length].
// An all-ones size (unknown length) reads as -1.
function readVint(b, o, keepMarker) {
  const first = b[o];
  let len = 1;
  let mask = 0x80;
  while (len <= 8 && !(first & mask)) {
    len++;
    mask >>= 1;
  }
  if (len > 8 || o + len > b.length) return [0, 0];
  let v = keepMarker ? first : first & (mask - 1);
  let allOnes = (first & (mask - 1)) === mask - 1;
  for (let i = 1; i < len; i++) {
    v = v * 256 + b[o + i];
    if (b[o + i] !== 0xff) allOnes = false;
  }
  return [allOnes && !keepMarker ? -1 : v, len];
}

const MASTER = new Set([0x18538067, 0x1f43b675, 0x1654ae6b, 0xae, 0xa0]); // Segment, Cluster, Tracks, TrackEntry, BlockGroup

// demux returns the Opus header (CodecPrivate, if any) and the packets of
// the first audio track of a WebM file.
export function demux(b) {
  let head = null;
  const packets = [];
  let o = 0;
  while (o < b.length) {
    const [id, il] = readVint(b, o, true);
    if (!il) break;
    const [size, sl] = readVint(b, o + il, false);
    if (!sl) break;
    const body = o + il + sl;
    if (MASTER.has(id)) {
      o = body; // descend
      continue;
    }
    const end = size < 0 ? b.length : Math.min(b.length, body + size);
    if (id === 0x63a2) head = b.slice(body, end);
    if (id === 0xa3 || id === 0xa1) {
      // SimpleBlock or Block: track, timecode (2 bytes), flags, frame.
      const [, tl] = readVint(b, body, false);
      const flags = b[body + tl + 2];
      if ((flags & 0x06) === 0) packets.push(b.slice(body + tl + 3, end));
    }
    o = end;
  }
  return { head, packets };
}

// samples tells how many 48 kHz samples an Opus packet holds (RFC 6716,
// section 3.1: the TOC byte and, for code 3, the frame count byte).
export function samples(p) {
  if (!p.length) return 0;
  const toc = p[0];
  const config = toc >> 3;
  let frame;
  if (config < 12) frame = [480, 960, 1920, 2880][config & 3];
  else if (config < 16) frame = [480, 960][config & 1];
  else frame = [120, 240, 480, 960][config & 3];
  const code = toc & 3;
  const n = code === 0 ? 1 : code < 3 ? 2 : (p[1] || 0) & 0x3f;
  return frame * n;
}

const CRC = (() => {
  const t = new Uint32Array(256);
  for (let i = 0; i < 256; i++) {
    let r = i << 24;
    for (let j = 0; j < 8; j++) r = r & 0x80000000 ? (r << 1) ^ 0x04c11db7 : r << 1;
    t[i] = r >>> 0;
  }
  return t;
})();

function crc(b) {
  let c = 0;
  for (let i = 0; i < b.length; i++) c = ((c << 8) ^ CRC[((c >>> 24) ^ b[i]) & 0xff]) >>> 0;
  return c;
}

// page makes one Ogg page holding whole packets.
function page(packets, granule, serial, seqNo, flags) {
  const lacing = [];
  for (const p of packets) {
    let n = p.length;
    while (n >= 255) {
      lacing.push(255);
      n -= 255;
    }
    lacing.push(n);
  }
  const size = packets.reduce((a, p) => a + p.length, 0);
  const b = new Uint8Array(27 + lacing.length + size);
  const v = new DataView(b.buffer);
  b.set([0x4f, 0x67, 0x67, 0x53], 0); // OggS
  b[4] = 0;
  b[5] = flags;
  v.setUint32(6, granule % 2 ** 32, true);
  v.setUint32(10, Math.floor(granule / 2 ** 32), true);
  v.setUint32(14, serial, true);
  v.setUint32(18, seqNo, true);
  b[26] = lacing.length;
  b.set(lacing, 27);
  let o = 27 + lacing.length;
  for (const p of packets) {
    b.set(p, o);
    o += p.length;
  }
  v.setUint32(22, crc(b), true);
  return b;
}

function opusHead(channels) {
  const b = new Uint8Array(19);
  b.set([0x4f, 0x70, 0x75, 0x73, 0x48, 0x65, 0x61, 0x64], 0); // OpusHead
  const v = new DataView(b.buffer);
  b[8] = 1;
  b[9] = channels;
  v.setUint16(10, 312, true);
  v.setUint32(12, 48000, true);
  return b;
}

function opusTags() {
  const vendor = new TextEncoder().encode('Haven web');
  const b = new Uint8Array(8 + 4 + vendor.length + 4);
  b.set(new TextEncoder().encode('OpusTags'), 0);
  new DataView(b.buffer).setUint32(8, vendor.length, true);
  b.set(vendor, 12);
  return b;
}

// toOgg wraps a WebM/Opus recording as Ogg/Opus. It returns the bytes
// and the duration in seconds, or null if the recording holds no Opus.
export function toOgg(webm) {
  const { head, packets } = demux(webm);
  if (!packets.length) return null;
  const hdr = head && head.length >= 19 && String.fromCharCode(...head.slice(0, 8)) === 'OpusHead' ? head : opusHead(1);
  const preSkip = hdr[10] | (hdr[11] << 8);
  const serial = (Math.random() * 2 ** 32) >>> 0;
  const pages = [page([hdr], 0, serial, 0, 0x02), page([opusTags()], 0, serial, 1, 0)];
  let granule = 0;
  let seqNo = 2;
  let batch = [];
  let segs = 0;
  const flush = (last) => {
    if (!batch.length) return;
    pages.push(page(batch, granule, serial, seqNo++, last ? 0x04 : 0));
    batch = [];
    segs = 0;
  };
  packets.forEach((p, i) => {
    const need = Math.floor(p.length / 255) + 1;
    // About a second of sound per page, and never more than 255 segments.
    if (segs + need > 255 || batch.length >= 50) flush(false);
    batch.push(p);
    segs += need;
    granule += samples(p);
    if (i === packets.length - 1) flush(true);
  });
  const total = pages.reduce((a, p) => a + p.length, 0);
  const out = new Uint8Array(total);
  let o = 0;
  for (const p of pages) {
    out.set(p, o);
    o += p.length;
  }
  return { bytes: out, duration: Math.max(0, (granule - preSkip) / 48000) };
}
