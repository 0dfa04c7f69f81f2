/**
 * Text fingerprints for the leakage guard: an expert records the fingerprints of its training queries and
 * positives, and an evaluation counts the evaluated queries whose fingerprint is among them.
 *
 * Normalisation: Unicode NFKC, lower-case (String.prototype.toLowerCase, locale-independent), every run
 * of white space (\s, Unicode included) collapsed to one space, trimmed. So "Fever  in\tChildren " and
 * "fever in children" have one fingerprint; punctuation and word order still count.
 *
 * Hash: FNV-1a 64-bit over the UTF-8 bytes of the normalised text, written as 16 lower-case hex digits
 * (offset basis 0xcbf29ce484222325, prime 0x100000001b3). Not cryptographic: it identifies texts, it
 * does not hide them (a short query can be guessed and checked). With 64 bits, a chance collision among
 * 10^5 training texts and 10^5 evaluated queries has probability about 10^10 / 2^64 ≈ 5·10^-10.
 */

/** The scheme name stored beside the fingerprints, so a future change of scheme is recognised. */
export const FINGERPRINT_SCHEME = 'fnv1a64/nfkc-lower-ws';

export function normaliseText(text: string): string {
  return text.normalize('NFKC').toLowerCase().replace(/\s+/g, ' ').trim();
}

const encoder = new TextEncoder();

/** FNV-1a 64 of the bytes, as 16 hex digits (the 64-bit product kept in four 16-bit limbs). */
export function fnv1a64(bytes: Uint8Array): string {
  // little-endian 16-bit limbs of 0xcbf29ce484222325
  let h0 = 0x2325;
  let h1 = 0x8422;
  let h2 = 0x9ce4;
  let h3 = 0xcbf2;
  for (let i = 0; i < bytes.length; i++) {
    h0 ^= bytes[i];
    // h * 0x100000001b3 = h * 0x1b3 + (h << 40); limb 2 of the prime's high part is 0x100 (bit 40)
    const t0 = h0 * 0x1b3;
    const t1 = h1 * 0x1b3 + (t0 >>> 16);
    const t2 = h2 * 0x1b3 + (t1 >>> 16) + (h0 << 8);
    const t3 = h3 * 0x1b3 + (t2 >>> 16) + (h1 << 8);
    h0 = t0 & 0xffff;
    h1 = t1 & 0xffff;
    h2 = t2 & 0xffff;
    h3 = t3 & 0xffff;
  }
  const hex = (x: number) => x.toString(16).padStart(4, '0');
  return hex(h3) + hex(h2) + hex(h1) + hex(h0);
}

/** The fingerprint of a text: FNV-1a 64 of its normalised form. */
export function textFingerprint(text: string): string {
  return fnv1a64(encoder.encode(normaliseText(text)));
}

/** Distinct fingerprints of texts, sorted (a stable record whatever the texts' order). */
export function fingerprintList(texts: Iterable<string>): string[] {
  const set = new Set<string>();
  for (const t of texts) set.add(textFingerprint(t));
  return [...set].sort();
}

/** How many of the texts have a fingerprint in `known`. */
export function countKnown(texts: Iterable<string>, known: ReadonlySet<string>): number {
  let n = 0;
  for (const t of texts) if (known.has(textFingerprint(t))) n++;
  return n;
}
