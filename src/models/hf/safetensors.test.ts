import { describe, expect, it } from 'vitest';
import { bf16ToF32, f16ToF32, f32ToBf16, f32ToF16 } from './half';
import { parseSafetensors, SafetensorsError, SafetensorsFile, writeSafetensors } from './safetensors';

/** Builds a file from a raw header object and a data section. */
function rawFile(header: unknown, data: Uint8Array, headerLen?: number): ArrayBuffer {
  const json = new TextEncoder().encode(JSON.stringify(header));
  const out = new Uint8Array(8 + json.length + data.length);
  new DataView(out.buffer).setUint32(0, headerLen ?? json.length, true);
  out.set(json, 8);
  out.set(data, 8 + json.length);
  return out.buffer;
}

function expectError(fn: () => unknown, tensor: string | null, re: RegExp): void {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(SafetensorsError);
    const err = e as SafetensorsError;
    expect(err.file).toBe('w.safetensors');
    expect(err.tensor).toBe(tensor);
    expect(err.message).toMatch(re);
    expect(err.message).toContain('w.safetensors');
    return;
  }
  throw new Error('expected a SafetensorsError');
}

const parse = (b: ArrayBuffer) => parseSafetensors(b, 'w.safetensors');

describe('safetensors', () => {
  it('round-trips F32, F16 and BF16 tensors and metadata', () => {
    const a = Float32Array.from([1, -2.5, 3.25, 0, 1e-3, 7]);
    const buf = writeSafetensors(
      {
        a: { shape: [2, 3], data: a },
        h: { shape: [3], data: Float32Array.from([1, -2, 0.5]), dtype: 'F16' },
        b: { shape: [2], data: Float32Array.from([1, -3]), dtype: 'BF16' },
        e: { shape: [0, 4], data: new Float32Array(0) },
      },
      { format: 'pt' },
    );
    expect(new DataView(buf).getUint32(0, true) % 8).toBe(0);
    const m = parse(buf);
    expect([...m.keys()]).toEqual(['a', 'h', 'b', 'e']);
    expect(m.get('a')).toEqual({ dtype: 'F32', shape: [2, 3], data: a });
    expect(Array.from(m.get('h')!.data)).toEqual([1, -2, 0.5]);
    expect(m.get('h')!.dtype).toBe('F16');
    expect(Array.from(m.get('b')!.data)).toEqual([1, -3]);
    expect(m.get('e')!.shape).toEqual([0, 4]);
    expect(SafetensorsFile.open(buf).metadata).toEqual({ format: 'pt' });
  });

  it('reads a tensor at an unaligned offset', () => {
    const data = new Uint8Array(2 + 4);
    new DataView(data.buffer).setFloat32(2, 1.5, true);
    const m = parse(
      rawFile(
        {
          x: { dtype: 'F16', shape: [1], data_offsets: [0, 2] },
          y: { dtype: 'F32', shape: [1], data_offsets: [2, 6] },
        },
        data,
      ),
    );
    expect(Array.from(m.get('y')!.data)).toEqual([1.5]);
    expect(Array.from(m.get('x')!.data)).toEqual([0]);
  });

  it('converts f16 and bf16 bit patterns to the hand-computed values', () => {
    const f16: [number, number][] = [
      [0x3c00, 1],
      [0xc000, -2],
      [0x3555, 0.333251953125],
      [0x7bff, 65504],
      [0x0400, 2 ** -14],
      [0x0001, 2 ** -24],
      [0x03ff, 1023 * 2 ** -24],
      [0x3e00, 1.5],
      [0xb800, -0.5],
      [0x0000, 0],
    ];
    for (const [h, v] of f16) expect(f16ToF32(h)).toBe(v);
    expect(Object.is(f16ToF32(0x8000), -0)).toBe(true);
    const bf16: [number, number][] = [
      [0x3f80, 1],
      [0xc040, -3],
      [0x3eab, 0.333984375],
      [0x4049, 3.140625],
      [0x0080, 2 ** -126],
      [0x0001, 2 ** -133],
      [0x7f7f, 3.3895313892515355e38],
    ];
    for (const [h, v] of bf16) expect(bf16ToF32(h)).toBe(v);
    // through a file, as arrays
    const data = new Uint8Array(Uint16Array.from([...f16.map((p) => p[0]), ...bf16.map((p) => p[0])]).buffer);
    const m = parse(
      rawFile(
        {
          h: { dtype: 'F16', shape: [f16.length], data_offsets: [0, 2 * f16.length] },
          b: { dtype: 'BF16', shape: [bf16.length], data_offsets: [2 * f16.length, data.length] },
        },
        data,
      ),
    );
    expect(Array.from(m.get('h')!.data)).toEqual(f16.map((p) => Math.fround(p[1])));
    expect(Array.from(m.get('b')!.data)).toEqual(bf16.map((p) => Math.fround(p[1])));
    expect([...m.get('h')!.data, ...m.get('b')!.data].some(Number.isNaN)).toBe(false);
  });

  it('narrows f32 to f16 / bf16 with round-to-nearest-even', () => {
    expect(f32ToF16(1)).toBe(0x3c00);
    expect(f32ToF16(1 / 3)).toBe(0x3555);
    expect(f32ToF16(65520)).toBe(0x7c00); // rounds up to infinity
    expect(f32ToF16(2 ** -25)).toBe(0); // tie to even (0)
    expect(f32ToF16(3 * 2 ** -25)).toBe(2); // 1.5 ulp -> 2
    expect(f32ToF16(1 + 2 ** -11)).toBe(0x3c00); // tie to even
    expect(f32ToF16(1 + 3 * 2 ** -11)).toBe(0x3c02);
    expect(f32ToBf16(1 / 3)).toBe(0x3eab);
    expect(f32ToBf16(Math.PI)).toBe(0x4049);
    expect(f32ToBf16(1 + 2 ** -8)).toBe(0x3f80); // tie to even
    expect(f32ToBf16(1 + 3 * 2 ** -8)).toBe(0x3f82);
  });

  it('rejects a truncated file', () => {
    const buf = writeSafetensors({ w: { shape: [4, 4], data: new Float32Array(16) } });
    expectError(() => parse(buf.slice(0, 5)), null, /shorter than the 8-byte header length/);
    expectError(() => parse(buf.slice(0, 20)), null, /exceeds the file's remaining 12 bytes/);
    expectError(() => parse(buf.slice(0, buf.byteLength - 1)), 'w', /run past the end of the data section/);
  });

  it('rejects a header length that lies', () => {
    const hdr = { w: { dtype: 'F32', shape: [1], data_offsets: [0, 4] } };
    const len = JSON.stringify(hdr).length;
    expectError(() => parse(rawFile(hdr, new Uint8Array(4), len - 1)), null, /not valid JSON/);
    expectError(() => parse(rawFile(hdr, new Uint8Array(4), len + 3)), null, /not valid JSON/);
    expectError(
      () => parse(rawFile(hdr, new Uint8Array(4), len + 100)),
      null,
      /exceeds the file's remaining/,
    );
    const huge = new Uint8Array(16);
    new DataView(huge.buffer).setUint32(4, 1, true); // 2^32
    expectError(() => parse(huge.buffer), null, /exceeds the 100000000-byte limit/);
    expectError(() => parse(rawFile([1, 2], new Uint8Array(0))), null, /not a JSON object/);
    expectError(() => parse(rawFile(null, new Uint8Array(0))), null, /not a JSON object/);
    const bad = new Uint8Array([2, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xfe]);
    expectError(() => parse(bad.buffer), null, /not valid UTF-8/);
  });

  it('rejects offsets beyond EOF, inconsistent lengths and bad shapes', () => {
    const d = new Uint8Array(8);
    expectError(
      () => parse(rawFile({ w: { dtype: 'F32', shape: [3], data_offsets: [0, 12] } }, d)),
      'w',
      /run past the end/,
    );
    expectError(
      () => parse(rawFile({ w: { dtype: 'F32', shape: [3], data_offsets: [0, 8] } }, d)),
      'w',
      /hold 8 bytes but F32 \[3\] needs 12/,
    );
    expectError(
      () => parse(rawFile({ w: { dtype: 'F32', shape: [1], data_offsets: [8, 4] } }, d)),
      'w',
      /0 <= begin <= end/,
    );
    expectError(
      () => parse(rawFile({ w: { dtype: 'F32', shape: [1], data_offsets: [-4, 0] } }, d)),
      'w',
      /0 <= begin <= end/,
    );
    expectError(
      () => parse(rawFile({ w: { dtype: 'F32', shape: [1], data_offsets: [0] } }, d)),
      'w',
      /not a \[begin, end\] pair/,
    );
    expectError(
      () => parse(rawFile({ w: { dtype: 'F32', shape: [-1], data_offsets: [0, 4] } }, d)),
      'w',
      /not an integer >= 0/,
    );
    expectError(
      () => parse(rawFile({ w: { dtype: 'F32', shape: [1.5], data_offsets: [0, 4] } }, d)),
      'w',
      /not an integer >= 0/,
    );
    expectError(
      () => parse(rawFile({ w: { dtype: 'F32', shape: '1', data_offsets: [0, 4] } }, d)),
      'w',
      /not an array/,
    );
    expectError(
      () =>
        parse(rawFile({ w: { dtype: 'F32', shape: [2 ** 30, 2 ** 30, 2 ** 30], data_offsets: [0, 4] } }, d)),
      'w',
      /too large/,
    );
    expectError(() => parse(rawFile({ w: 3 }, d)), 'w', /not a JSON object/);
    expectError(() => parse(rawFile({ __metadata__: 'x' }, d)), null, /__metadata__ is not a JSON object/);
  });

  it('rejects overlapping tensors', () => {
    const d = new Uint8Array(12);
    const hdr = {
      a: { dtype: 'F32', shape: [2], data_offsets: [0, 8] },
      b: { dtype: 'F32', shape: [2], data_offsets: [4, 12] },
    };
    expectError(() => parse(rawFile(hdr, d)), 'b', /overlap tensor "a"/);
    // listed in the other order: still found
    expectError(() => parse(rawFile({ b: hdr.b, a: hdr.a }, d)), 'b', /overlap tensor "a"/);
  });

  it('rejects unsupported and unknown dtypes by name', () => {
    const d = new Uint8Array(8);
    expectError(
      () => parse(rawFile({ ids: { dtype: 'I64', shape: [1], data_offsets: [0, 8] } }, d)),
      'ids',
      /dtype I64 is not supported \(supported: F32, F16, BF16\)/,
    );
    expectError(
      () => parse(rawFile({ q: { dtype: 'Q4', shape: [1], data_offsets: [0, 8] } }, d)),
      'q',
      /dtype Q4 is unknown/,
    );
    expectError(() => parse(rawFile({ q: { shape: [1], data_offsets: [0, 8] } }, d)), 'q', /missing "dtype"/);
  });

  it('rejects non-finite weights unless allowed, naming the element', () => {
    const buf = writeSafetensors({ w: { shape: [3], data: Float32Array.from([1, NaN, 2]) } });
    expectError(() => parse(buf), 'w', /element 1 is NaN/);
    expect(
      Number.isNaN(parseSafetensors(buf, 'w.safetensors', { allowNonFinite: true }).get('w')!.data[1]),
    ).toBe(true);
    expect(() => SafetensorsFile.open(buf, 'w.safetensors').get('nope')).toThrow(/"nope": no such tensor/);
  });

  it('reads row ranges of F32 and BF16 tables without converting the rest', () => {
    const t = Float32Array.from({ length: 12 }, (_, i) => i - 4);
    const f = SafetensorsFile.open(
      writeSafetensors({ a: { shape: [4, 3], data: t }, b: { shape: [4, 3], data: t, dtype: 'BF16' } }),
      'w.safetensors',
    );
    expect(Array.from(f.getRows('a', 1, 2))).toEqual([-1, 0, 1, 2, 3, 4]);
    expect(Array.from(f.getRows('b', 3, 1))).toEqual([5, 6, 7]);
    expectError(() => f.getRows('a', 3, 2), 'a', /rows \[3, 5\) out of range \[0, 4\)/);
  });
});
