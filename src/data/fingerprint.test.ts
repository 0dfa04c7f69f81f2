import { describe, expect, it } from 'vitest';
import { countKnown, fingerprintList, fnv1a64, normaliseText, textFingerprint } from './fingerprint';

describe('text fingerprints', () => {
  it('FNV-1a 64 matches the published test vectors', () => {
    const enc = new TextEncoder();
    expect(fnv1a64(enc.encode(''))).toBe('cbf29ce484222325');
    expect(fnv1a64(enc.encode('a'))).toBe('af63dc4c8601ec8c');
    expect(fnv1a64(enc.encode('foobar'))).toBe('85944171f73967e8');
  });

  it('FNV-1a 64 agrees with a BigInt reference on random bytes', () => {
    const ref = (b: Uint8Array) => {
      let h = 0xcbf29ce484222325n;
      for (const x of b) h = ((h ^ BigInt(x)) * 0x100000001b3n) & 0xffffffffffffffffn;
      return h.toString(16).padStart(16, '0');
    };
    let s = 1;
    for (let n = 0; n < 300; n++) {
      const b = new Uint8Array(n % 61).map(() => ((s = (s * 1103515245 + 12345) >>> 0) >>> 16) & 255);
      expect(fnv1a64(b)).toBe(ref(b));
    }
  });

  it('normalises NFKC, case and white space, and nothing else', () => {
    expect(normaliseText('  Fever\u00a0 in\tCHILDREN\n')).toBe('fever in children');
    expect(normaliseText('ﬁbrosis ２')).toBe('fibrosis 2');
    expect(textFingerprint('Fever in children')).toBe(textFingerprint(' fever  IN children '));
    expect(textFingerprint('fever in children')).not.toBe(textFingerprint('fever in children?'));
    expect(textFingerprint('fever in children')).toMatch(/^[0-9a-f]{16}$/);
  });

  it('lists distinct fingerprints sorted and counts texts among them', () => {
    const list = fingerprintList(['B', 'a', 'A ', 'b']);
    expect(list).toHaveLength(2);
    expect([...list].sort()).toEqual(list);
    const known = new Set(fingerprintList(['what causes fever']));
    expect(countKnown(['What causes  fever', 'what causes cough', 'WHAT CAUSES FEVER'], known)).toBe(2);
    expect(countKnown(['x'], new Set())).toBe(0);
  });
});
