/** Test-only safetensors reader (F32 only): parses the header, checks offsets, returns tensors by name. */

export interface ReadTensor {
  readonly shape: number[];
  readonly data: Float32Array;
}

export function readSafetensorsF32(bytes: Uint8Array, file = 'model.safetensors'): Map<string, ReadTensor> {
  if (bytes.length < 8) throw new Error(`${file}: ${bytes.length} bytes, too short for a header`);
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const n = Number(dv.getBigUint64(0, true));
  if (8 + n > bytes.length) throw new Error(`${file}: header length ${n} runs past the end of the file`);
  const header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + n))) as Record<string, unknown>;
  const base = 8 + n;
  const out = new Map<string, ReadTensor>();
  let expected = 0;
  const entries = Object.entries(header).filter(([k]) => k !== '__metadata__');
  entries.sort(
    (a, b) =>
      (a[1] as { data_offsets: number[] }).data_offsets[0] -
      (b[1] as { data_offsets: number[] }).data_offsets[0],
  );
  for (const [name, raw] of entries) {
    const {
      dtype,
      shape,
      data_offsets: [s, e],
    } = raw as { dtype: string; shape: number[]; data_offsets: [number, number] };
    if (dtype !== 'F32') throw new Error(`${file}: tensor ${name} has dtype ${dtype}, expected F32`);
    if (s !== expected)
      throw new Error(`${file}: tensor ${name} starts at ${s}, expected ${expected} (gap or overlap)`);
    const count = shape.reduce((a, b) => a * b, 1);
    if (e - s !== count * 4)
      throw new Error(`${file}: tensor ${name} spans ${e - s} bytes, shape [${shape}] needs ${count * 4}`);
    if (base + e > bytes.length) throw new Error(`${file}: tensor ${name} runs past the end of the file`);
    const copy = bytes.slice(base + s, base + e);
    out.set(name, { shape, data: new Float32Array(copy.buffer) });
    expected = e;
  }
  if (base + expected !== bytes.length)
    throw new Error(`${file}: ${bytes.length - base - expected} trailing bytes`);
  return out;
}
