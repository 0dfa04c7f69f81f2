/** Text generation requests of the worker protocol (the studio's own decoder engine): types and validation. */
import type { ChatMessage, GenerateOptions, GenerateResult } from '../../../synth/generator';
import type { BackendPref } from '../../events';
import { int, isPref, isStr, num, type Need } from '../../protocol-check';

export interface GenerateTextRequest {
  /** an imported model's id, a hub id ("org/name") or an http(s) URL; a folder path in Node */
  model: string;
  messages: ChatMessage[];
  options: Omit<GenerateOptions, 'signal'>;
  /** the compute backend (default: the one in use, else auto) */
  backend?: BackendPref;
  /** a Jinja chat template instead of the model's (a base model has none) */
  chatTemplate?: string;
}

export interface GenerateRequestMap {
  /** writes a reply to `messages`; progress: 'download' per model file on first use, 'generate' per token */
  'generate-text': [GenerateTextRequest, GenerateResult];
}

const ROLES = new Set(['system', 'user', 'assistant']);
/** the most new tokens one request may ask for */
export const MAX_GENERATE_TOKENS = 32768;

export function checkGenerateRequest(
  _t: keyof GenerateRequestMap,
  m: Record<string, unknown>,
  need: Need,
): void {
  need(isStr(m.model), 'generate-text needs model (an imported model id, hub id or URL)');
  const msgs = m.messages;
  need(Array.isArray(msgs) && msgs.length > 0, 'generate-text needs messages: a non-empty list');
  (msgs as unknown[]).forEach((x, i) => {
    const msg = x as Record<string, unknown> | null;
    need(
      typeof msg === 'object' &&
        msg !== null &&
        ROLES.has(msg.role as string) &&
        typeof msg.content === 'string',
      `generate-text messages[${i}] must be {role: system|user|assistant, content: string}`,
    );
  });
  const o = m.options as Record<string, unknown> | null;
  need(typeof o === 'object' && o !== null, 'generate-text needs options');
  const opts = o as Record<string, unknown>;
  need(
    int(opts.maxTokens, 1, MAX_GENERATE_TOKENS),
    `options.maxTokens must be an integer in 1..${MAX_GENERATE_TOKENS}`,
  );
  need(num(opts.temperature, 0, 100), 'options.temperature must be a number in 0..100 (0: greedy)');
  need(num(opts.topP, 0, 1) && (opts.topP as number) > 0, 'options.topP must be in (0, 1]');
  need(Number.isSafeInteger(opts.seed), 'options.seed must be an integer');
  need(
    opts.stop === undefined || (Array.isArray(opts.stop) && opts.stop.every((s) => typeof s === 'string')),
    'options.stop must be a list of strings',
  );
  need(m.backend === undefined || isPref(m.backend), 'generate-text backend must be auto|webgpu|cpu');
  need(
    m.chatTemplate === undefined || isStr(m.chatTemplate),
    'generate-text chatTemplate must be a non-empty string',
  );
}
