/**
 * Chat templates: tokenizer_config.json's `chat_template` (one Jinja string, or a list of named ones where
 * "default" is used), rendered with @huggingface/jinja as transformers' apply_chat_template does: the
 * messages, add_generation_prompt, and the tokenizer's special tokens (bos_token, eos_token, …) as variables.
 */
import { Template } from '@huggingface/jinja';

export interface ChatTurn {
  role: string;
  content: string;
}

export class ChatTemplateError extends Error {
  constructor(
    readonly file: string,
    detail: string,
  ) {
    super(`${file}: ${detail}`);
    this.name = 'ChatTemplateError';
  }
}

/** The template text from a parsed tokenizer_config.json; null when it has none. */
export function chatTemplateOf(tokenizerConfig: Record<string, unknown>, file: string): string | null {
  const t = tokenizerConfig.chat_template;
  if (t == null) return null;
  if (typeof t === 'string') return t;
  if (Array.isArray(t)) {
    const named = t as { name?: unknown; template?: unknown }[];
    const d = named.find((x) => x && x.name === 'default');
    if (d && typeof d.template === 'string') return d.template;
    const names = named.map((x) => JSON.stringify(x?.name)).join(', ');
    throw new ChatTemplateError(file, `"chat_template" lists templates ${names} but none named "default"`);
  }
  throw new ChatTemplateError(file, `"chat_template" must be a string or a list of {name, template}`);
}

/** A parsed template, rendered per conversation. */
export class ChatTemplate {
  private readonly t: Template;

  constructor(
    readonly source: string,
    /** where the template came from (errors name it) */
    readonly file: string,
    /** variables every render gets: the special tokens' texts */
    private readonly vars: Record<string, string> = {},
  ) {
    try {
      this.t = new Template(source);
    } catch (e) {
      throw new ChatTemplateError(
        file,
        `"chat_template" cannot be parsed by @huggingface/jinja (${e instanceof Error ? e.message : String(e)}); pass a simpler template (chatTemplate option)`,
      );
    }
  }

  /** the prompt text for `messages`, ending with the assistant turn's opening when addGenerationPrompt */
  render(messages: readonly ChatTurn[], addGenerationPrompt = true): string {
    try {
      return this.t.render({
        ...this.vars,
        messages: messages.map((m) => ({ role: m.role, content: m.content })),
        add_generation_prompt: addGenerationPrompt,
      });
    } catch (e) {
      throw new ChatTemplateError(
        this.file,
        `"chat_template" failed to render (${e instanceof Error ? e.message : String(e)})`,
      );
    }
  }
}
