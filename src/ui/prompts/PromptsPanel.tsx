/**
 * The Prompts tab (issue 11): search a model's query instruction on a dev split, watch the leaderboard grow,
 * score the winner once on test, and put it into the model's query template (the Models tab's template
 * editor then shows it, and the Evaluate tab runs under it).
 */
import './prompts.css';
import { useState } from 'react';
import { isTestSplitName } from '../../data/split';
import { EXPERT_PREFIX } from '../../experts/record';
import { TASK_TYPES, type TaskType } from '../../prompts/search-types';
import { useUi } from '../context';
import { Jobs } from '../Jobs';
import { retrieverName } from '../state/names';
import { NumField } from '../train/fields';
import { Leaderboard } from './Leaderboard';
import { SearchResult } from './SearchResult';

const TASK_LABELS: Record<TaskType, string> = {
  'medical-qa': 'Medical questions and answers',
  'consumer-health': 'Consumer health questions',
  'biomedical-literature': 'Biomedical literature search',
  'claim-verification': 'Checking a claim',
  'argument-retrieval': 'Finding arguments',
  'scientific-search': 'Scientific search',
  'duplicate-questions': 'Finding duplicate questions',
  'web-search': 'General web search',
};

/** The splits a search may use: judged ones that are not test splits. */
export function devSplits(splits: Record<string, unknown> | undefined): string[] {
  return Object.keys(splits ?? {})
    .filter((s) => !isTestSplitName(s))
    .sort((a, b) => (a === 'dev' ? -1 : b === 'dev' ? 1 : a.localeCompare(b)));
}

export function PromptsPanel() {
  const models = useUi((s) => s.models);
  const experts = useUi((s) => s.experts);
  const datasets = useUi((s) => s.datasets);
  const start = useUi((s) => s.startPromptSearch);
  const running = useUi((s) => Object.values(s.jobs).find((j) => j.kind === 'prompts'));
  const cancelled = useUi((s) => s.promptCancelled);
  const last = useUi((s) => s.promptSearches[0]);
  const setTab = useUi((s) => s.setTab);
  // the Synthesize tab's LLM server, when one is set up, may propose instructions too
  const endpoint = useUi((s) => s.llmEndpoint);
  const llmReady = endpoint.model.trim() !== '' && endpoint.baseUrl.trim() !== '';
  const [useLlm, setUseLlm] = useState(false);

  const choices = [
    ...models.map((m) => ({ id: m.id, name: m.name })),
    ...experts.map((e) => ({ id: `${EXPERT_PREFIX}${e.id}`, name: `${e.name} (expert)` })),
  ];
  const [pickedModel, setModel] = useState(() => last?.request.model ?? '');
  const model = choices.some((c) => c.id === pickedModel) ? pickedModel : (choices[0]?.id ?? '');
  const [pickedDataset, setDataset] = useState(() => last?.request.dataset ?? '');
  const withDev = datasets.filter((d) => devSplits(d.splits).length > 0);
  const dataset = withDev.some((d) => d.name === pickedDataset) ? pickedDataset : (withDev[0]?.name ?? '');
  const splits = devSplits(datasets.find((d) => d.name === dataset)?.splits);
  const [pickedSplit, setSplit] = useState('');
  const split = splits.includes(pickedSplit) ? pickedSplit : (splits[0] ?? '');
  const [taskType, setTaskType] = useState<TaskType | ''>('');
  const [candidates, setCandidates] = useState('');
  const [mutate, setMutate] = useState(true);
  const [seed, setSeed] = useState(42);
  const [budget, setBudget] = useState(2000);
  const devQueries = datasets.find((d) => d.name === dataset)?.splits[split]?.queries ?? 0;

  const submit = () =>
    void start({
      model,
      dataset,
      split,
      ...(taskType ? { taskType } : {}),
      candidates: candidates.split('\n').filter((l) => l.trim()),
      mutate,
      seed,
      budget,
      ...(llmReady && useLlm ? { llm: { kind: 'endpoint' as const, config: endpoint } } : {}),
    });

  const live = running?.prompts;
  return (
    <section className="panel" data-testid="prompts-panel">
      <div className="card">
        <h2>Find the best instruction</h2>
        <p className="muted small">
          Some models find better passages when each question comes with a short instruction, such as “Given a
          patient’s question, retrieve passages that answer it”. This tries several instructions and keeps the
          one that ranks the relevant passages highest.
        </p>
        {datasets.length === 0 ? (
          <p data-testid="prompts-empty">
            Load a dataset in the{' '}
            <button className="linklike" onClick={() => setTab('data')}>
              Data
            </button>{' '}
            tab first.
          </p>
        ) : withDev.length === 0 ? (
          <p data-testid="prompts-no-dev">
            No dataset has a dev split yet. In the{' '}
            <button className="linklike" onClick={() => setTab('data')}>
              Data
            </button>{' '}
            tab, split one (for example <code>dev:0.3,test:0.7</code>): the search learns on dev questions and
            never sees the test questions.
          </p>
        ) : (
          <>
            <div className="row wrap">
              <label className="field">
                <span>Model</span>
                <select
                  data-testid="prompts-model"
                  value={model}
                  disabled={!!running}
                  onChange={(e) => setModel(e.target.value)}
                >
                  {choices.map((c) => (
                    <option key={c.id} value={c.id}>
                      {c.name}
                    </option>
                  ))}
                </select>
              </label>
              <label className="field">
                <span>Dataset</span>
                <select
                  data-testid="prompts-dataset"
                  value={dataset}
                  disabled={!!running}
                  onChange={(e) => setDataset(e.target.value)}
                >
                  {withDev.map((d) => (
                    <option key={d.name} value={d.name}>
                      {d.name}
                    </option>
                  ))}
                </select>
              </label>
              <label className="field">
                <span>Dev split</span>
                <select
                  data-testid="prompts-split"
                  value={split}
                  disabled={!!running}
                  onChange={(e) => setSplit(e.target.value)}
                >
                  {splits.map((s) => (
                    <option key={s} value={s}>
                      {s}
                    </option>
                  ))}
                </select>
              </label>
              <label className="field">
                <span>Suggested instructions for</span>
                <select
                  data-testid="prompts-task"
                  value={taskType}
                  disabled={!!running}
                  onChange={(e) => setTaskType(e.target.value as TaskType | '')}
                >
                  <option value="">none (only mine)</option>
                  {TASK_TYPES.map((t) => (
                    <option key={t} value={t}>
                      {TASK_LABELS[t]}
                    </option>
                  ))}
                </select>
              </label>
              <NumField
                label="Seed"
                testId="prompts-seed"
                value={seed}
                onChange={setSeed}
                min={0}
                max={2 ** 32 - 1}
                int
                disabled={!!running}
              />
              <NumField
                label="Budget"
                testId="prompts-budget"
                value={budget}
                onChange={setBudget}
                min={1}
                max={10_000_000}
                int
                disabled={!!running}
                title="the most questions embedded in all (passages are embedded once and kept)"
              />
              <label className="field inline">
                <input
                  type="checkbox"
                  data-testid="prompts-mutate"
                  checked={mutate}
                  disabled={!!running}
                  onChange={(e) => setMutate(e.target.checked)}
                />
                <span>Also try variants of the best (reworded, shorter, with the domain)</span>
              </label>
              {llmReady ? (
                <label className="field inline">
                  <input
                    type="checkbox"
                    data-testid="prompts-llm"
                    checked={useLlm}
                    disabled={!!running}
                    onChange={(e) => setUseLlm(e.target.checked)}
                  />
                  <span>
                    Ask the LLM of the Synthesize tab ({endpoint.model}) for better instructions, showing it
                    the questions the best one gets wrong
                  </span>
                </label>
              ) : (
                <span className="small muted" data-testid="prompts-llm-off">
                  Set up an LLM server in the Synthesize tab to have it propose instructions too.
                </span>
              )}
            </div>
            <label className="field wide">
              <span>Your instructions, one per line (optional)</span>
              <textarea
                rows={3}
                data-testid="prompts-candidates"
                value={candidates}
                disabled={!!running}
                placeholder="Given a patient's question, retrieve passages that answer it"
                onChange={(e) => setCandidates(e.target.value)}
              />
            </label>
            <ul className="prompts-explain small muted" data-testid="prompts-explain">
              <li>
                <strong>Dev split</strong> ({devQueries} questions): questions set aside for choosing
                settings. The instructions are compared on them only.
              </li>
              <li>
                <strong>Test split</strong>: kept apart. The winner is scored on it once, after the search, so
                its figure is a fair estimate for new questions.
              </li>
              <li>
                <strong>Budget</strong>: how many questions may be embedded in all. Weak instructions are
                dropped early on a few questions; the strong ones are tried on more.
              </li>
            </ul>
            <div className="row">
              <button data-testid="prompts-start" disabled={!model || !split || !!running} onClick={submit}>
                Start search
              </button>
              {running && live && (
                <span className="small" data-testid="prompts-progress">
                  Round {live.rung + 1} of {live.rungs} · {live.spent} of {live.budget} questions embedded
                </span>
              )}
            </div>
          </>
        )}
        <Jobs kinds={['prompts']} />
      </div>
      {live && live.leaderboard.length > 0 ? (
        <div className="card" data-testid="prompts-live">
          <h2>Leaderboard so far</h2>
          <Leaderboard rows={live.leaderboard} />
        </div>
      ) : cancelled ? (
        <div className="card" data-testid="prompts-cancelled">
          <h2>Search cancelled</h2>
          <p className="muted small">
            {cancelled.leaderboard.length > 0
              ? 'The leaderboard as it stood when you cancelled (not saved; start again to finish it).'
              : 'Cancelled before any instruction was scored; nothing was saved.'}
          </p>
          <Leaderboard rows={cancelled.leaderboard} />
        </div>
      ) : last ? (
        <SearchResult
          rec={last}
          modelName={retrieverName(last.request.model, { experts, models })}
          busy={!!running}
        />
      ) : null}
    </section>
  );
}
