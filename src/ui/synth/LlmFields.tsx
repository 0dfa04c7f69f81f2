/**
 * The LLM writer's settings in the generate form: a chat-completions server on this machine (llama.cpp,
 * Ollama, vLLM) or a chat model imported in the studio, how many documents, temperature, and whether
 * the LLM also writes a hard negative per query. Problems are shown beside the fields, before any request.
 */
import type { EndpointConfig, EndpointProblems } from '../../synth/endpoint-config';
import type { ModelEntry } from '../../worker/protocol';
import { NumField, Select } from '../train/fields';

export interface LlmForm {
  writer: 'endpoint' | 'local';
  endpoint: EndpointConfig;
  localModel: string;
  maxDocs: number;
  writeNegatives: boolean;
}

export function LlmFields(p: {
  form: LlmForm;
  onChange: (f: LlmForm) => void;
  problems: EndpointProblems;
  models: readonly ModelEntry[];
}) {
  const { form, onChange } = p;
  const ep = form.endpoint;
  const setEp = (patch: Partial<EndpointConfig>) => onChange({ ...form, endpoint: { ...ep, ...patch } });
  const imported = p.models.filter((m) => m.source !== 'builtin');
  return (
    <div className="llm-fields" data-testid="synth-llm">
      <div className="row wrap form">
        <Select
          label="Which LLM"
          testId="synth-writer"
          value={form.writer}
          onChange={(writer) => onChange({ ...form, writer })}
          options={[
            ['endpoint', 'a server on this computer (llama.cpp, Ollama, vLLM)'],
            ['local', 'a chat model imported in the studio (Qwen3, Qwen2, Llama, Gemma, Gemma 2, Phi-3)'],
          ]}
        />
        <NumField
          label="Documents (the first N)"
          testId="synth-max-docs"
          value={form.maxDocs}
          onChange={(maxDocs) => onChange({ ...form, maxDocs })}
          min={1}
          max={1_000_000}
          int
          title="An LLM takes seconds per document: start with a few dozen, review them, then write more."
        />
        <NumField
          label="Temperature"
          testId="synth-temperature"
          value={ep.temperature}
          onChange={(temperature) => setEp({ temperature })}
          min={0}
          max={2}
          step={0.1}
          title="0 always writes the likeliest text; higher values write more varied queries."
        />
        <label
          className="field inline"
          title="The paper's prompt: given the query, its answer and a look-alike document, write a passage on the same subject with similar terms that does not answer the query. A written passage too close to the answer is refused."
        >
          <input
            type="checkbox"
            data-testid="synth-write-negatives"
            checked={form.writeNegatives}
            onChange={(e) => onChange({ ...form, writeNegatives: e.target.checked })}
          />
          <span>Also write one hard negative per query</span>
        </label>
      </div>
      {form.writer === 'endpoint' ? (
        <div className="row wrap form">
          <Field label="Server URL" testId="synth-endpoint-url" problem={p.problems.baseUrl}>
            <input
              data-testid="synth-endpoint-url"
              value={ep.baseUrl}
              placeholder="http://localhost:8080"
              onChange={(e) => setEp({ baseUrl: e.target.value })}
            />
          </Field>
          <Field label="Model" testId="synth-endpoint-model" problem={p.problems.model}>
            <input
              data-testid="synth-endpoint-model"
              value={ep.model}
              placeholder="e.g. qwen3:0.6b"
              onChange={(e) => setEp({ model: e.target.value })}
            />
          </Field>
          <Field label="API key (if the server needs one)" testId="synth-endpoint-key">
            <input
              data-testid="synth-endpoint-key"
              type="password"
              autoComplete="off"
              value={ep.apiKey}
              onChange={(e) => setEp({ apiKey: e.target.value })}
            />
          </Field>
          <NumField
            label="Requests at once"
            testId="synth-concurrency"
            value={ep.concurrency}
            onChange={(concurrency) => setEp({ concurrency })}
            min={1}
            max={64}
            int
          />
          <label className="field inline">
            <input
              type="checkbox"
              data-testid="synth-remember-key"
              checked={ep.rememberKey}
              onChange={(e) => setEp({ rememberKey: e.target.checked })}
            />
            <span>Remember the key on this device</span>
          </label>
        </div>
      ) : (
        <div className="row wrap form">
          <Field label="Chat model (imported, or a hub id)" testId="synth-local-model">
            <input
              data-testid="synth-local-model"
              list="synth-local-models"
              value={form.localModel}
              placeholder="Qwen/Qwen3-0.6B"
              onChange={(e) => onChange({ ...form, localModel: e.target.value })}
            />
            <datalist id="synth-local-models">
              {imported.map((m) => (
                <option key={m.id} value={m.id} />
              ))}
            </datalist>
          </Field>
        </div>
      )}
      <p className="muted small" data-testid="synth-llm-help">
        {form.writer === 'endpoint'
          ? 'The documents are sent to this server only, one request per document. The studio reaches servers on this computer (localhost); for a hosted API use `npm run stm -- synth --endpoint`. The key stays in this tab unless you tick "remember". Llama.cpp and vLLM answer the studio as they are; Ollama needs OLLAMA_ORIGINS set to this page\'s address.'
          : "The model runs here, on the studio's own kernels (WebGPU or CPU), one document at a time; nothing leaves this computer. A model is downloaded once and kept."}
      </p>
    </div>
  );
}

function Field(p: { label: string; testId: string; problem?: string; children: React.ReactNode }) {
  return (
    <label className="field">
      <span>{p.label}</span>
      {p.children}
      {p.problem && (
        <span className="field-problem" data-testid={`${p.testId}-problem`}>
          {p.problem}
        </span>
      )}
    </label>
  );
}
