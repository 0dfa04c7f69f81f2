/** The Train form's hyper-parameter fields: the optimiser and loss row, and the method's own (LoRA or adapter). */
import { useState } from 'react';
import { parseTargetList } from '../../train/lora-targets';
import type { TrainConfig } from '../../train/types';
import { Help } from '../help/Help';
import { TRAIN_HELP } from '../help/metric-help';
import { NumField, Select } from './fields';

type SetField = <K extends keyof TrainConfig>(k: K, v: TrainConfig[K]) => void;

/** Steps, batch, learning rate, warm-up, hard negatives (at most `maxNeg`), scale, clipping, seed, symmetry. */
export function OptimiserFields({ cfg, set, maxNeg }: { cfg: TrainConfig; set: SetField; maxNeg: number }) {
  return (
    <div className="row wrap form">
      <NumField
        label="Steps"
        testId="train-steps"
        value={cfg.steps}
        min={1}
        max={100000}
        int
        onChange={(v) => set('steps', v)}
      />
      <NumField
        label="Batch size"
        testId="train-batch"
        help={TRAIN_HELP.batch}
        value={cfg.batchSize}
        min={2}
        max={512}
        int
        onChange={(v) => set('batchSize', v)}
      />
      <NumField
        label="Learning rate"
        testId="train-lr"
        value={cfg.lr}
        min={1e-7}
        max={1}
        onChange={(v) => set('lr', v)}
      />
      <NumField
        label="Warm-up steps"
        testId="train-warmup"
        value={cfg.warmupSteps}
        min={0}
        max={100000}
        int
        onChange={(v) => set('warmupSteps', v)}
      />
      <NumField
        label="Hard negatives / query"
        testId="train-hardneg"
        help={TRAIN_HELP.hardNegatives}
        value={Math.min(cfg.hardNegatives, maxNeg)}
        min={0}
        max={maxNeg}
        int
        onChange={(v) => set('hardNegatives', v)}
        title="taken from mined or file negatives"
      />
      <NumField
        label="Scale (1/τ)"
        testId="train-scale"
        help={TRAIN_HELP.scale}
        value={cfg.scale}
        min={1}
        max={100}
        onChange={(v) => set('scale', v)}
      />
      <NumField
        label="Clip (0: off)"
        testId="train-clip"
        help={TRAIN_HELP.clip}
        value={cfg.maxGradNorm}
        min={0}
        max={1000}
        onChange={(v) => set('maxGradNorm', v)}
      />
      <NumField
        label="Seed"
        testId="train-seed"
        value={cfg.seed}
        min={0}
        max={2 ** 32 - 1}
        int
        onChange={(v) => set('seed', v)}
      />
      <label className="field narrow">
        <span>
          Symmetric
          <Help topic={TRAIN_HELP.symmetric.label} text={TRAIN_HELP.symmetric.text} />
        </span>
        <input
          data-testid="train-symmetric"
          type="checkbox"
          checked={cfg.symmetric}
          onChange={(e) => set('symmetric', e.target.checked)}
        />
      </label>
    </div>
  );
}

/** LoRA's rank, alpha and dropout, or the adapter's kind and rank. */
export function MethodFields({
  cfg,
  set,
  onTargetsError,
}: {
  cfg: TrainConfig;
  set: SetField;
  /** the LoRA targets text does not parse (the reason), or parses again (null) */
  onTargetsError: (e: string | null) => void;
}) {
  return cfg.method === 'lora' ? (
    <>
      <NumField
        label="LoRA rank"
        testId="lora-rank"
        help={TRAIN_HELP.rank}
        value={cfg.lora.rank}
        min={1}
        max={256}
        int
        onChange={(v) => set('lora', { ...cfg.lora, rank: v })}
      />
      <NumField
        label="LoRA alpha"
        testId="lora-alpha"
        help={TRAIN_HELP.alpha}
        value={cfg.lora.alpha}
        min={0}
        max={1024}
        onChange={(v) => set('lora', { ...cfg.lora, alpha: v })}
      />
      <NumField
        label="LoRA dropout"
        testId="lora-dropout"
        value={cfg.lora.dropout}
        min={0}
        max={0.9}
        step={0.05}
        onChange={(v) => set('lora', { ...cfg.lora, dropout: v })}
      />
      <TargetsField cfg={cfg} set={set} onError={onTargetsError} />
    </>
  ) : (
    <>
      <Select
        label="Adapter"
        testId="adapter-kind"
        value={cfg.adapter.kind}
        onChange={(k) => set('adapter', { ...cfg.adapter, kind: k })}
        options={[
          ['lowrank', 'low-rank e + B·A·e'],
          ['full', 'full W·e + b'],
        ]}
      />
      <NumField
        label="Adapter rank"
        testId="adapter-rank"
        value={cfg.adapter.rank}
        min={1}
        max={1024}
        int
        disabled={cfg.adapter.kind === 'full'}
        onChange={(v) => set('adapter', { ...cfg.adapter, rank: v })}
      />
    </>
  );
}

/** LoRA's target modules as typed text: kept in the config only while it parses, else the reason is shown. */
function TargetsField({
  cfg,
  set,
  onError,
}: {
  cfg: TrainConfig;
  set: SetField;
  onError: (e: string | null) => void;
}) {
  const shown = (t: TrainConfig['lora']['targetModules']) => (t === 'all-linear' ? t : t.join(','));
  const [text, setText] = useState(() => shown(cfg.lora.targetModules));
  const [error, setError] = useState<string | null>(null);
  return (
    <label className="field">
      <span>
        LoRA targets
        <Help topic={TRAIN_HELP.targets.label} text={TRAIN_HELP.targets.text} />
      </span>
      <input
        data-testid="lora-targets"
        value={text}
        aria-invalid={error !== null}
        onChange={(e) => {
          setText(e.target.value);
          try {
            set('lora', { ...cfg.lora, targetModules: parseTargetList(e.target.value) });
            setError(null);
            onError(null);
          } catch (err) {
            setError((err as Error).message);
            onError((err as Error).message);
          }
        }}
      />
      {error && (
        <small className="error" data-testid="lora-targets-error">
          {error}
        </small>
      )}
    </label>
  );
}
