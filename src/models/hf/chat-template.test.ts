import { describe, expect, it } from 'vitest';
import { ChatTemplate, chatTemplateOf } from './chat-template';

const MSGS = [
  { role: 'system', content: 'Be brief.' },
  { role: 'user', content: 'Hi' },
];

describe('chat templates', () => {
  it('renders messages, add_generation_prompt and special-token variables', () => {
    const t = new ChatTemplate(
      '{{ bos_token }}{% for m in messages %}[{{ m.role }}]{{ m.content }}{{ eos_token }}{% endfor %}{% if add_generation_prompt %}[assistant]{% endif %}',
      'x/tokenizer_config.json',
      { bos_token: '<s>', eos_token: '</s>' },
    );
    expect(t.render(MSGS)).toBe('<s>[system]Be brief.</s>[user]Hi</s>[assistant]');
    expect(t.render(MSGS, false)).toBe('<s>[system]Be brief.</s>[user]Hi</s>');
  });

  it('takes a string or the "default" of a named list; null when absent', () => {
    expect(chatTemplateOf({ chat_template: 'a' }, 'f')).toBe('a');
    expect(
      chatTemplateOf(
        {
          chat_template: [
            { name: 'tool_use', template: 't' },
            { name: 'default', template: 'd' },
          ],
        },
        'f',
      ),
    ).toBe('d');
    expect(chatTemplateOf({}, 'f')).toBeNull();
    expect(() =>
      chatTemplateOf({ chat_template: [{ name: 'rag', template: 'r' }] }, 'm/tokenizer_config.json'),
    ).toThrow(/m\/tokenizer_config\.json: "chat_template" lists templates "rag" but none named "default"/);
    expect(() => chatTemplateOf({ chat_template: 3 }, 'f')).toThrow(/must be a string/);
  });

  it('names the file when a template does not parse or render', () => {
    expect(() => new ChatTemplate('{% for m in messages %}', 'm/tokenizer_config.json')).toThrow(
      /m\/tokenizer_config\.json: "chat_template" cannot be parsed/,
    );
    const t = new ChatTemplate('{{ messages[0].content.nosuchmethod() }}', 'm/tokenizer_config.json');
    expect(() => t.render(MSGS)).toThrow(/m\/tokenizer_config\.json: "chat_template" failed to render/);
  });
});
