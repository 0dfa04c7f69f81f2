/**
 * The browser bench's static server (serveBench): the studio's engine on the comparison page reads the
 * weights tensor by tensor with HEAD and Range requests (src/bench-web/range-source.ts), so those must
 * answer the exact bytes; paths outside the mounts stay unreachable.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serveBench } from './bench-browser';

describe('serveBench', () => {
  const dir = mkdtempSync(join(tmpdir(), 'stm-serve-'));
  const bytes = Uint8Array.from({ length: 1000 }, (_, i) => (i * 7) % 256);
  let server: Awaited<ReturnType<typeof serveBench>>;
  beforeAll(async () => {
    writeFileSync(join(dir, 'index.html'), '<p>page</p>');
    writeFileSync(join(dir, 'w.safetensors'), bytes);
    server = await serveBench(dir, { m: dir });
  });
  afterAll(async () => {
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  });
  const url = (p: string) => new URL(p, server.url).href;

  it('answers HEAD with the size and a Range with exactly those bytes', async () => {
    const head = await fetch(url('models/m/w.safetensors'), { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(head.headers.get('content-length')).toBe('1000');
    expect(head.headers.get('accept-ranges')).toBe('bytes');
    const r = await fetch(url('models/m/w.safetensors'), { headers: { Range: 'bytes=10-19' } });
    expect(r.status).toBe(206);
    expect(r.headers.get('content-range')).toBe('bytes 10-19/1000');
    expect(new Uint8Array(await r.arrayBuffer())).toEqual(bytes.slice(10, 20));
    // an open or overlong end stops at the file's end
    const tail = await fetch(url('models/m/w.safetensors'), { headers: { Range: 'bytes=990-5000' } });
    expect(new Uint8Array(await tail.arrayBuffer())).toEqual(bytes.slice(990));
    const open = await fetch(url('models/m/w.safetensors'), { headers: { Range: 'bytes=995-' } });
    expect(new Uint8Array(await open.arrayBuffer())).toEqual(bytes.slice(995));
  });

  it('refuses a range past the end, and paths outside the mounts', async () => {
    const r = await fetch(url('models/m/w.safetensors'), { headers: { Range: 'bytes=1000-1001' } });
    expect(r.status).toBe(416);
    expect(r.headers.get('content-range')).toBe('bytes */1000');
    expect((await fetch(url('models/x/w.safetensors'))).status).toBe(404);
    expect((await fetch(url('models/m/%2e%2e%2f%2e%2e%2fetc%2fpasswd'))).status).toBe(404);
    const whole = await fetch(url('models/m/w.safetensors'));
    expect(whole.status).toBe(200);
    expect(new Uint8Array(await whole.arrayBuffer())).toEqual(bytes);
  });
});
