/**
 * A store-only (no compression) ZIP writer: several files as one download. Local headers, a central
 * directory and its end record (PKWARE APPNOTE 4.3), UTF-8 names (flag bit 11), CRC-32, a fixed
 * 1980-01-01 time so the same files give the same bytes. No ZIP64: at most 65,535 files under 4 GiB.
 */
const CRC_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

/** CRC-32 (IEEE 802.3, as zip and gzip use it). */
export function crc32(data: Uint8Array): number {
  let c = 0xffffffff;
  for (let i = 0; i < data.length; i++) c = CRC_TABLE[(c ^ data[i]) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

const DOS_DATE = (0 << 9) | (1 << 5) | 1; // 1980-01-01
const LIMIT = 0xffffffff;

/** The files (name -> text or bytes, names with "/" for folders) as one .zip archive. */
export function zipStore(files: ReadonlyMap<string, string | Uint8Array>): Uint8Array {
  const enc = new TextEncoder();
  const entries = [...files].map(([name, body]) => {
    if (!name || name.startsWith('/') || name.split('/').includes('..'))
      throw new Error(`zip: bad file name "${name}"`);
    const data = typeof body === 'string' ? enc.encode(body) : body;
    return { name: enc.encode(name), data, crc: crc32(data), offset: 0 };
  });
  if (entries.length > 0xffff) throw new Error(`zip: ${entries.length} files, at most 65535`);
  let size = 22;
  for (const e of entries) size += 30 + e.name.length + e.data.length + 46 + e.name.length;
  if (size > LIMIT) throw new Error('zip: the archive would pass 4 GiB');
  const out = new Uint8Array(size);
  const view = new DataView(out.buffer);
  let at = 0;
  const u16 = (x: number) => (view.setUint16(at, x, true), (at += 2));
  const u32 = (x: number) => (view.setUint32(at, x >>> 0, true), (at += 4));
  const bytes = (b: Uint8Array) => (out.set(b, at), (at += b.length));
  const common = (e: (typeof entries)[number]) => {
    u16(20); // version needed: 2.0
    u16(0x0800); // UTF-8 names
    u16(0); // stored
    u16(0); // time 00:00
    u16(DOS_DATE);
    u32(e.crc);
    u32(e.data.length);
    u32(e.data.length);
    u16(e.name.length);
    u16(0); // extra
  };
  for (const e of entries) {
    e.offset = at;
    u32(0x04034b50);
    common(e);
    bytes(e.name);
    bytes(e.data);
  }
  const dirAt = at;
  for (const e of entries) {
    u32(0x02014b50);
    u16(20); // made by
    common(e);
    u16(0); // comment
    u16(0); // disk
    u16(0); // internal attributes
    u32(0); // external attributes
    u32(e.offset);
    bytes(e.name);
  }
  const dirSize = at - dirAt;
  u32(0x06054b50);
  u16(0);
  u16(0);
  u16(entries.length);
  u16(entries.length);
  u32(dirSize);
  u32(dirAt);
  u16(0);
  return out;
}
