import { describe, expect, it } from 'vitest';
import { ProtocolError } from '../protocol';
import { FEATURES, parseRequest, routeOf } from './table';

describe('the worker feature table', () => {
  it('routes every request type once and queues the long ones', () => {
    const types = Object.values(FEATURES).flatMap((f) => Object.keys(f.routes));
    expect(new Set(types).size).toBe(types.length);
    const queued = types.filter((t) => routeOf(t as Parameters<typeof routeOf>[0]).queued).sort();
    expect(queued).toEqual(
      [
        'set-backend',
        'import-dataset',
        'load-demo',
        'revalidate-model',
        'delete-dataset',
        'evaluate',
        'import-model',
        'delete-model',
        'similarity',
        'weight-format',
        'split-dataset',
        'train',
        'import-expert',
        'synth-generate',
        'synth-bulk-decide',
        'synth-import',
        'generate-text',
        'merge-pools',
        'merge-score',
        'merge-save',
        'merge-lora-out',
        'merge-search',
        'prompt-search',
        'prompt-score-test',
        'export-bundle',
        'import-bundle',
        'explore',
      ].sort(),
    );
  });

  it("parses through the owning feature's check and accepts cancel", () => {
    expect(parseRequest({ id: 1, type: 'cancel', target: 3 })).toEqual({ id: 1, type: 'cancel', target: 3 });
    expect(parseRequest({ id: 2, type: 'list-experts' })).toMatchObject({ type: 'list-experts' });
    expect(() => parseRequest({ id: 3, type: 'delete-run' })).toThrow(
      new ProtocolError('delete-run needs runId'),
    );
    expect(() => parseRequest({ id: 4, type: 'similarity', model: 'm' })).toThrow(/similarity needs a and b/);
    expect(() => parseRequest({ id: 5, type: 'train', backend: 'gpu' })).toThrow(
      'train needs backend auto|webgpu|cpu',
    );
    expect(() => parseRequest({ id: 6, type: 'cancel' })).toThrow('cancel needs an integer target');
  });
});
