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

/**
 * ChatML as Qwen2.5/Qwen3 write plain system/user/assistant turns, with Qwen3's empty think block when
 * enable_thinking is false: what a model whose tokenizer has <|im_start|> and <|im_end|> falls back to
 * when its own template needs Jinja this renderer lacks (@huggingface/jinja 0.2.2: no str.startswith,
 * split, lstrip…, as Qwen3's template uses).
 */
export const CHATML_TEMPLATE =
  "{%- for message in messages %}{{- '<|im_start|>' + message.role + '\\n' + message.content + '<|im_end|>' + '\\n' }}{%- endfor %}" +
  "{%- if add_generation_prompt %}{{- '<|im_start|>assistant\\n' }}" +
  "{%- if enable_thinking is defined and enable_thinking is false %}{{- '<think>\\n\\n</think>\\n\\n' }}{%- endif %}{%- endif %}";

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

  /**
   * the prompt text for `messages`, ending with the assistant turn's opening when addGenerationPrompt;
   * `extra`: more template variables (e.g. enable_thinking)
   */
  render(
    messages: readonly ChatTurn[],
    addGenerationPrompt = true,
    extra: Record<string, unknown> = {},
  ): string {
    try {
      return this.t.render({
        ...this.vars,
        ...extra,
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
