/** English count and article helpers for messages and labels ("1 file", "2 files", "an adapter"). */

/** `n` and the noun, plural unless n is 1 ("1 file", "0 files", "3 queries" with plural "queries"). */
export function plural(n: number, singular: string, pluralForm = `${singular}s`): string {
  return `${n.toLocaleString('en-US')} ${n === 1 ? singular : pluralForm}`;
}

/** Words that start with a vowel letter but a consonant sound, or the reverse. */
const A_BEFORE = /^(uni|use|usa|one|eu)/i;
const AN_BEFORE = /^(hour|honest|honou?r|heir|mlp|mse|lstm)/i;

/** The noun with "a" or "an" by its first sound ("an adapter", "a LoRA", "a USE-lite model"). */
export function withArticle(noun: string): string {
  const w = noun.trim();
  const vowel = /^[aeiou]/i.test(w) ? !A_BEFORE.test(w) : AN_BEFORE.test(w);
  return `${vowel ? 'an' : 'a'} ${w}`;
}
