/** The Train form: base model, method, data (dataset split or pairs JSONL, mined negatives), hyper-parameters, dev eval. */
import { useState } from 'react';
import { isTestSplitName } from '../../data/split';
import type { TrainSpec } from '../../store/training-types';
import { defaultSplit } from '../state/ui';
import { trainSplit } from '../leakage';
import '../leakage.css';
import { defaultTrainConfig } from '../../train/defaults';
import type { TrainConfig, TrainMethod } from '../../train/types';
import { useUi } from '../context';
import { NumField, Select } from './fields';
import { MethodFields, OptimiserFields } from './TrainParams';
import { SynthSourceFields, SynthSourceNote, usableItems } from './SynthSource';
import type { ReviewPolicy } from '../../synth/types';
import { choicePolicy, NO_PROMPTS, PromptFields, type PromptChoice } from './PromptFields';

function initialConfig(method: TrainMethod): TrainConfig {
  return {
    ...defaultTrainConfig(method),
    steps: 100,
    batchSize: 16,
    warmupSteps: 10,
    checkpointEvery: 10,
    devEvery: 10,
    hardNegatives: 0,
    adapter: { kind: 'lowrank', rank: 16 },
  };
}

export function TrainForm() {
  const models = useUi((s) => s.models);
  const datasets = useUi((s) => s.datasets);
  const busy = useUi((s) => s.training !== null);
  const start = useUi((s) => s.startTraining);
  const [pickedBase, setBase] = useState(() => models[0]?.id ?? '');
  const base = models.some((m) => m.id === pickedBase) ? pickedBase : (models[0]?.id ?? '');
  const [cfg, setCfg] = useState<TrainConfig>(() => initialConfig('adapter'));
  const [name, setName] = useState('');
  const synthSets = useUi((s) => s.synthSets);
  const [source, setSource] = useState<'dataset' | 'pairs' | 'synth'>('dataset');
  const [pickedSet, setSynthSet] = useState('');
  const synthSet = synthSets.find((x) => x.id === pickedSet) ?? synthSets[0];
  const [policy, setPolicy] = useState<ReviewPolicy>('accepted');
  const [picked, setDataset] = useState(() => datasets[0]?.name ?? '');
  // a dataset loaded after the form opened (or a deleted one) falls back to the first stored
  const dataset = datasets.some((d) => d.name === picked) ? picked : (datasets[0]?.name ?? '');
  // '' until the user picks one: the dataset's train split when it has one (trainSplit)
  const [pickedSplit, setSplit] = useState('');
  const [file, setFile] = useState<File | null>(null);
  const [mine, setMine] = useState(0);
  const [devDataset, setDevDataset] = useState('');
  const [pickedDevSplit, setDevSplit] = useState('dev');
  const [devMax, setDevMax] = useState(100);
  const [prompts, setPrompts] = useState<PromptChoice>(NO_PROMPTS);
  const promptPolicy = choicePolicy(prompts);
  const meta = datasets.find((d) => d.name === dataset);
  const split = meta && pickedSplit in meta.splits ? pickedSplit : (trainSplit(meta) ?? '');
  const devMeta = datasets.find((d) => d.name === devDataset);
  const devSplit =
    devMeta && pickedDevSplit in devMeta.splits ? pickedDevSplit : (defaultSplit(devMeta) ?? '');
  // LoRA runs inside models on the studio kernels: USE-lite and imported Hugging Face transformers
  const entry = models.find((m) => m.id === base);
  const isUse = entry !== undefined && entry.kind === 'transformer' && entry.engine === 'studio';
  const set = <K extends keyof TrainConfig>(k: K, v: TrainConfig[K]) => setCfg((c) => ({ ...c, [k]: v }));
  const setMethod = (m: TrainMethod) => setCfg((c) => ({ ...c, method: m, lr: defaultTrainConfig(m).lr }));
  const maxNeg = source === 'dataset' ? mine : 64;
  const haveData =
    source === 'dataset' ? meta && split : source === 'synth' ? usableItems(synthSet, policy) > 0 : file;
  const [targetsError, setTargetsError] = useState<string | null>(null);
  const ready =
    base && haveData && (cfg.method === 'adapter' || (isUse && !targetsError)) && !promptPolicy.error;
  const dataName =
    source === 'dataset'
      ? `${dataset}/${split}`
      : source === 'synth'
        ? `${synthSet?.name ?? ''} (${policy === 'accepted' ? 'accepted' : 'not rejected'})`
        : (file?.name ?? '');
  const submit = () => {
    const data: TrainSpec['data'] =
      source === 'dataset'
        ? { kind: 'dataset', dataset, split }
        : source === 'synth'
          ? { kind: 'synth', set: synthSet?.id ?? '', policy }
          : { kind: 'pairs', fileName: (file as File).name };
    const dev =
      cfg.devEvery > 0 && devMeta && devSplit in devMeta.splits
        ? { dataset: devDataset, split: devSplit, maxQueries: devMax }
        : null;
    const label = name.trim() || `${base} ${cfg.method} on ${dataName}`;
    const { prompts: _none, ...plain } = cfg;
    const spec: TrainSpec = {
      name: label,
      baseModel: base,
      data,
      mining: mine > 0 ? { negatives: mine } : null,
      config: {
        ...plain,
        hardNegatives: Math.min(cfg.hardNegatives, maxNeg),
        devEvery: dev ? cfg.devEvery : 0,
        ...(promptPolicy.policy ? { prompts: promptPolicy.policy } : {}),
      },
      dev,
    };
    void start(spec, source === 'pairs' ? (file as File) : undefined);
  };
  return (
    <div className="train-form" data-testid="train-form">
      <div className="row wrap form">
        <label className="field">
          <span>Expert name</span>
          <input
            data-testid="train-name"
            value={name}
            placeholder="(automatic)"
            onChange={(e) => setName(e.target.value)}
          />
        </label>
        <Select
          label="Base model"
          testId="train-base"
          value={base}
          options={models.map((m) => [m.id, `${m.name} (${m.dim}-d)`] as const)}
          onChange={setBase}
        />
        <Select
          label="Method"
          testId="train-method"
          value={cfg.method}
          onChange={setMethod}
          options={[
            ['adapter', 'adapter (any model)'],
            ['lora', isUse ? 'LoRA (inside the model)' : 'LoRA (transformers on the studio kernels only)'],
          ]}
        />
      </div>
      <div className="row wrap form">
        <Select
          label="Training data"
          testId="train-source"
          value={source}
          onChange={setSource}
          options={[
            ['dataset', 'judged queries of a dataset'],
            ['pairs', 'pairs JSONL file'],
            ['synth', 'reviewed synthetic set'],
          ]}
        />
        {source === 'synth' ? (
          <SynthSourceFields
            sets={synthSets}
            set={synthSet?.id ?? ''}
            setSet={setSynthSet}
            policy={policy}
            setPolicy={setPolicy}
          />
        ) : source === 'dataset' ? (
          <>
            <Select
              label="Dataset"
              testId="train-dataset"
              value={dataset}
              onChange={setDataset}
              options={datasets.map((d) => [d.name, d.name] as const)}
            />
            <Select
              label="Split"
              testId="train-split"
              value={split}
              onChange={setSplit}
              options={Object.entries(meta?.splits ?? {}).map(
                ([s, v]) => [s, `${s} (${v.judgments} judgments)`] as const,
              )}
            />
          </>
        ) : (
          <label className="field">
            <span>Pairs ({'{query, positive, negatives?}'} per line)</span>
            <input
              data-testid="train-pairs-file"
              type="file"
              accept=".jsonl,.json,.txt"
              onChange={(e) => setFile(e.target.files?.[0] ?? null)}
            />
          </label>
        )}
        <NumField
          label="Mine hard negatives (0: none)"
          testId="train-mining"
          value={mine}
          min={0}
          max={16}
          int
          onChange={setMine}
        />
      </div>
      <OptimiserFields cfg={cfg} set={set} maxNeg={maxNeg} />
      <div className="row wrap form">
        <MethodFields cfg={cfg} set={set} onTargetsError={setTargetsError} />
        <NumField
          label="Checkpoint every"
          testId="train-ckpt-every"
          value={cfg.checkpointEvery}
          min={1}
          max={100000}
          int
          onChange={(v) => set('checkpointEvery', v)}
        />
        <NumField
          label="Dev eval every (0: off)"
          testId="train-dev-every"
          value={cfg.devEvery}
          min={0}
          max={100000}
          int
          onChange={(v) => set('devEvery', v)}
        />
        <Select
          label="Dev dataset"
          testId="train-dev-dataset"
          value={devDataset}
          onChange={setDevDataset}
          options={[['', 'none'] as const, ...datasets.map((d) => [d.name, d.name] as const)]}
        />
        {devMeta && (
          <Select
            label="Dev split"
            testId="train-dev-split"
            value={devSplit}
            onChange={setDevSplit}
            options={Object.keys(devMeta.splits).map((s) => [s, s] as const)}
          />
        )}
        {devMeta && (
          <NumField
            label="Dev queries (max)"
            testId="train-dev-max"
            value={devMax}
            min={1}
            max={100000}
            int
            onChange={setDevMax}
          />
        )}
      </div>
      <PromptFields value={prompts} onChange={setPrompts} />
      {source === 'synth' && (
        <SynthSourceNote set={synthSet} policy={policy} hardNegatives={cfg.hardNegatives} />
      )}
      <button data-testid="train-start" disabled={!ready || busy} onClick={submit}>
        Start training
      </button>
      {cfg.method === 'lora' && !isUse && (
        <p className="muted small">
          LoRA runs inside transformers on the studio kernels (USE-lite, imported Hugging Face models); choose
          an adapter for GloVe or ONNX models.
        </p>
      )}
      {source === 'dataset' && meta && isTestSplitName(split) && (
        <p className="form-warning" data-testid="train-split-warning">
          ⚠ Training on the split &ldquo;{split}&rdquo;: an evaluation on it will be marked as trained on its
          queries and never shown as best.{' '}
          {trainSplit(meta) !== split
            ? `This dataset has a train split ("${trainSplit(meta)}"): train on it and evaluate on "${split}".`
            : 'Split its queries first (Data tab, Split queries…) and train on the train part.'}
        </p>
      )}
      {source === 'dataset' && dataset === devDataset && split === devSplit && devMeta && (
        <p className="muted small">
          The dev split is the training split: dev nDCG measures fit, not generalisation.
        </p>
      )}
    </div>
  );
}
