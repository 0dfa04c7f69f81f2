import 'fake-indexeddb/auto';
import { describe, expect, it } from 'vitest';
import type { TrainSpec } from '../../../store/training-types';
import { defaultTrainConfig } from '../../../train/defaults';
import { genericPolicy } from '../../../prompts/generic';
import { nodeEngineDeps } from '../../../testing/engine-deps';
import { connectInProcess } from '../../local';

let n = 0;
function setup() {
  const deps = nodeEngineDeps(`training-prompts-test-${++n}-${Date.now()}`);
  return connectInProcess(deps).client;
}

function spec(prompts?: TrainSpec['config']['prompts']): TrainSpec {
  return {
    name: 'glove gp',
    baseModel: 'glove',
    data: { kind: 'dataset', dataset: 'demo', split: 'test' },
    mining: null,
    config: {
      ...defaultTrainConfig('adapter'),
      steps: 4,
      batchSize: 8,
      warmupSteps: 1,
      checkpointEvery: 2,
      devEvery: 0,
      hardNegatives: 0,
      adapter: { kind: 'lowrank', rank: 4 },
      ...(prompts ? { prompts } : {}),
    },
    dev: null,
  };
}

describe('worker training with query prompts (issue 11 item 3)', () => {
  it('a GP-3 run records its policy in the run and the expert', async () => {
    const client = setup();
    await client.request('init', { baseUrl: 'http://localhost/', backend: 'cpu' });
    await client.request('load-demo', {});
    await client.request('train', { spec: spec(genericPolicy(3)), backend: 'cpu' });
    const [run] = await client.request('list-train-runs', {});
    expect(run.spec.config.prompts).toEqual(genericPolicy(3));
    const [expert] = await client.request('list-experts', {});
    expect(expert.prompts).toEqual(genericPolicy(3));
  });

  it('refuses a malformed policy naming it', async () => {
    const client = setup();
    const bad = spec({ kind: 'fixed', format: '{instruction}\nQuery: {text}', instructions: ['a', 'b'] });
    await expect(client.request('train', { spec: bad, backend: 'cpu' })).rejects.toMatchObject({
      name: 'ProtocolError',
      message: 'config.prompts: kind fixed takes exactly one instruction, got 2',
    });
  });
});
