/**
 * The generate form: queries for a stored dataset's documents — pseudo-queries (inverse cloze or
 * title/key-phrase, with query length and minimum document length) or written by an LLM (LlmFields) —
 * with per-document count, BM25 hard negatives and seed.
 */
import { useState } from 'react';
import { endpointProblems } from '../../synth/endpoint-config';
import { DEFAULT_PSEUDO } from '../../synth/pseudo';
import { useUi } from '../context';
import { NumField, Select } from '../train/fields';
import { LlmFields, type LlmForm } from './LlmFields';

type Method = 'ict' | 'title' | 'llm';
const HOW: Record<Method, string> = {
  llm: 'A language model reads each document and writes the questions a user would type that it answers; the whole document is the answer. Review them: a model can write questions the document does not answer.',
  ict: 'A sentence of each document becomes the query; the rest of the document is the answer (the sentence is taken out so the match is not trivial).',
  title:
    'The document title and its key phrases (the words most particular to it in this collection) become the queries; the whole document is the answer.',
};

export function GenerateForm() {
  const datasets = useUi((s) => s.datasets);
  const generate = useUi((s) => s.generateSynth);
  const busy = useUi((s) => Object.values(s.jobs).some((j) => j.kind === 'synth'));
  const [picked, setDataset] = useState(() => datasets[datasets.length - 1]?.name ?? '');
  const dataset = datasets.some((d) => d.name === picked) ? picked : (datasets[0]?.name ?? '');
  const [method, setMethod] = useState<Method>('ict');
  const [perDoc, setPerDoc] = useState(DEFAULT_PSEUDO.perDoc);
  const [minWords, setMinWords] = useState(DEFAULT_PSEUDO.queryWords.min);
  const [maxWords, setMaxWords] = useState(DEFAULT_PSEUDO.queryWords.max);
  const [minDocWords, setMinDocWords] = useState(DEFAULT_PSEUDO.minDocWords);
  const [negatives, setNegatives] = useState(1);
  const [seed, setSeed] = useState(DEFAULT_PSEUDO.seed);
  const [name, setName] = useState('');
  const models = useUi((s) => s.models);
  const savedEndpoint = useUi((s) => s.llmEndpoint);
  const rememberEndpoint = useUi((s) => s.rememberEndpoint);
  const [llm, setLlm] = useState<LlmForm>(() => ({
    writer: 'endpoint',
    endpoint: savedEndpoint,
    localModel: '',
    maxDocs: 20,
    writeNegatives: false,
  }));
  const problems =
    method === 'llm' && llm.writer === 'endpoint' ? endpointProblems(llm.endpoint, { inStudio: true }) : {};
  const llmReady =
    method !== 'llm' ||
    (llm.writer === 'endpoint' ? Object.keys(problems).length === 0 : llm.localModel.trim() !== '');
  const meta = datasets.find((d) => d.name === dataset);
  if (datasets.length === 0)
    return (
      <p className="muted" data-testid="synth-no-data">
        Load documents first (Data tab: the demo collection or your own BEIR folder); queries are written from
        them.
      </p>
    );
  const submit = () => {
    const common = { dataset, negatives, ...(name.trim() ? { name: name.trim() } : {}) };
    if (method === 'llm') {
      if (llm.writer === 'endpoint') rememberEndpoint(llm.endpoint);
      void generate({
        ...common,
        method,
        llm: {
          writer:
            llm.writer === 'endpoint'
              ? { kind: 'endpoint', config: llm.endpoint }
              : { kind: 'local', model: llm.localModel.trim() },
          perDoc: Math.min(perDoc, 20),
          maxDocs: llm.maxDocs,
          temperature: llm.endpoint.temperature,
          seed,
          writeNegatives: llm.writeNegatives,
        },
      });
      return;
    }
    void generate({
      ...common,
      method,
      options: {
        method,
        perDoc,
        minDocWords,
        queryWords: { min: minWords, max: Math.max(minWords, maxWords) },
        seed,
      },
    });
  };
  return (
    <div className="synth-form" data-testid="synth-form">
      <div className="row wrap form">
        <Select
          label="Documents"
          testId="synth-dataset"
          value={dataset}
          onChange={setDataset}
          options={datasets.map((d) => [d.name, `${d.name} (${d.counts.docs} documents)`] as const)}
        />
        <Select
          label="How queries are written"
          testId="synth-method"
          value={method}
          onChange={setMethod}
          options={[
            ['ict', 'a sentence of the document (ICT)'],
            ['title', 'title and key phrases'],
            ['llm', 'an LLM writes them'],
          ]}
        />
        <label className="field">
          <span>Set name</span>
          <input
            data-testid="synth-name"
            value={name}
            placeholder="(automatic)"
            onChange={(e) => setName(e.target.value)}
          />
        </label>
      </div>
      <p className="muted small" data-testid="synth-method-help">
        {HOW[method]}
      </p>
      {method === 'llm' && <LlmFields form={llm} onChange={setLlm} problems={problems} models={models} />}
      <div className="row wrap form">
        <NumField
          label="Queries per document"
          testId="synth-per-doc"
          value={perDoc}
          onChange={setPerDoc}
          min={1}
          max={100}
          int
        />
        {method !== 'llm' && (
          <>
            <NumField
              label="Query words, min"
              testId="synth-min-words"
              value={minWords}
              onChange={setMinWords}
              min={1}
              max={1000}
              int
            />
            <NumField
              label="Query words, max"
              testId="synth-max-words"
              value={maxWords}
              onChange={setMaxWords}
              min={1}
              max={1000}
              int
            />
            <NumField
              label="Skip documents under (words)"
              testId="synth-min-doc"
              value={minDocWords}
              onChange={setMinDocWords}
              min={0}
              max={100000}
              int
            />
          </>
        )}
        <NumField
          label="Look-alike wrong answers"
          testId="synth-negatives"
          value={negatives}
          onChange={setNegatives}
          min={0}
          max={16}
          int
          title="Per query: the other documents that share the most words with it (BM25). You check each one in review: one that does answer the query is marked a false negative and never used as a wrong answer."
        />
        <NumField
          label="Seed"
          testId="synth-seed"
          value={seed}
          onChange={setSeed}
          min={0}
          max={4294967295}
          int
        />
      </div>
      <div className="row wrap">
        <button data-testid="synth-generate" disabled={!meta || busy || !llmReady} onClick={submit}>
          Write queries
        </button>
        <span className="muted small">
          {method === 'llm' && llm.writer === 'endpoint'
            ? 'Sends the documents to the server above; nothing else leaves this computer.'
            : 'Runs on this computer; nothing is sent anywhere.'}{' '}
          The new set is listed below with every item waiting for your review; nothing trains on it until you
          choose it in the Train tab.
        </span>
      </div>
    </div>
  );
}
