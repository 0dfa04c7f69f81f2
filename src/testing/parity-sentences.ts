/**
 * Test sentences for USE-lite parity against the TF.js reference: short and long, punctuation, digits,
 * accents, emoji, CJK and other scripts, medical and aeronautical terms, casing, odd whitespace, and
 * strings that exercise the tokenizer's quirks (null-score pieces, duplicate pieces, unknown runs).
 */

export const SHORT_SENTENCES: readonly string[] = [
  'Hello world',
  'hello world',
  'HELLO WORLD!!!',
  'a',
  'I',
  '.',
  '?!',
  '42',
  'The quick brown fox jumps over the lazy dog.',
  'What are the symptoms of type 2 diabetes mellitus?',
  'Myocardial infarction was treated with aspirin 325 mg and clopidogrel.',
  'Acute lymphoblastic leukemia (ALL) in children: 5-year survival > 90%.',
  'The patient’s HbA1c fell from 9.2% to 6.8% after 12 weeks of metformin.',
  'Pneumocystis jirovecii pneumonia in HIV-positive patients with CD4 < 200 cells/µL.',
  'Does glucagon-like peptide-1 (GLP-1) agonism reduce cardiovascular events?',
  'Osteoarthritis vs. rheumatoid arthritis — how do they differ?',
  'boundary layer transition on a flat plate at Mach 2.5',
  'Heat transfer in laminar flow past a cylinder; Re = 10^5.',
  'The wing stalls at an angle of attack of about 15 degrees.',
  'Naïve café résumé — crème brûlée à la française.',
  'Größere Straßen führen über die Brücke.',
  'El niño comió piñata en la mañana.',
  'Ελληνικά γράμματα: α, β, γ, δ.',
  'Русский текст для проверки.',
  '心脏病是全球主要死因之一。',
  '東京タワーは高さ333メートルです。',
  '한국어 문장도 시험합니다.',
  'I love this! 😀👍🏽🎉',
  'Emoji only: 🤖🧬🩺',
  'e-mail: someone@example.com, web: https://example.org/a?b=c&d=e',
  'Time 10:00, ratio 3:2, smiley :) and :-( and ://',
  'quotes ”5 and “curly” ‘single’ marks',
  'tabs\tand\nnewlines\r\nmixed',
  '   leading and trailing spaces   ',
  'double  spaces   and    more     spaces',
  'ALL CAPS SENTENCE ABOUT THE ARTERIES',
  'camelCaseWords and snake_case_words and kebab-case-words',
  '1234567890 3.14159 2.71828 1e-9 -273.15 °C',
  '½ ¼ ¾ ① ② ③ ﬁ ﬂ ™ ℃ Ⅻ',
  'Zero-width\u200bjoiner and non\u00a0breaking space',
  'C++ / C# / F# are programming languages; so is R.',
  '#hashtag @mention $100 50% & more',
  'What is the recommended dose of amoxicillin for otitis media in a 3-year-old?',
  'Hypertension, hyperlipidemia, and hyperglycemia are risk factors for atherosclerosis.',
  'xyzzy qwrtp zzkkxx',
  'antidisestablishmentarianism pneumonoultramicroscopicsilicovolcanoconiosis',
  'The effect of slip-flow on the skin friction of a supersonic body of revolution.',
  'Can I take ibuprofen while pregnant?',
  '?',
  'Résumé',
];

const MED =
  'Background: Chronic kidney disease (CKD) affects roughly 10% of adults worldwide and is strongly associated ' +
  'with diabetes, hypertension and cardiovascular disease. Methods: We enrolled 1,248 patients aged 40–80 years ' +
  'with an estimated glomerular filtration rate (eGFR) between 25 and 75 mL/min/1.73 m² and randomly assigned ' +
  'them to receive either an SGLT2 inhibitor or placebo, in addition to standard care with ACE inhibitors or ' +
  'angiotensin-receptor blockers. The primary outcome was a composite of a sustained decline in eGFR of at least ' +
  '50%, end-stage kidney disease, or death from renal or cardiovascular causes. Results: Over a median follow-up ' +
  'of 2.4 years, the primary outcome occurred in 9.2% of the treatment group and 14.5% of the placebo group ' +
  '(hazard ratio, 0.61; 95% CI, 0.51 to 0.72; P<0.001). ';

const AERO =
  'An experimental study was made of the boundary layer on a sharp flat plate in a supersonic wind tunnel at Mach ' +
  'numbers from 1.5 to 4.0. Transition was detected with surface hot-film gauges and schlieren photographs, and ' +
  'the results were compared with the predictions of linear stability theory. The transition Reynolds number ' +
  'increased with unit Reynolds number and decreased with increasing wall temperature, contrary to some earlier ' +
  'measurements. Heat transfer rates in the laminar region agreed within 5 per cent with the similarity solution. ';

const MIXED =
  'Patients asked: "Is it safe?" — Doctors answered: it depends!!! Dosage: 5mg/kg q8h × 7 days; ' +
  'follow-up at 2, 4 and 8 weeks. Café owners, naïve students and über-experts disagree 😀. ' +
  'THE RESULTS WERE SIGNIFICANT (p = 0.03), but the effect size was small… ';

/** repeat a paragraph until the text holds about `words` words */
function atLeastWords(paragraph: string, words: number): string {
  let s = '';
  while (s.split(/\s+/).filter(Boolean).length < words) s += paragraph;
  return s.trim();
}

/** three ~300-word texts: far over the graph's 128-token limit */
export const LONG_TEXTS: readonly string[] = [
  atLeastWords(MED, 300),
  atLeastWords(AERO, 300),
  atLeastWords(MIXED, 300),
];

export const PARITY_SENTENCES: readonly string[] = [...SHORT_SENTENCES, ...LONG_TEXTS];

/**
 * The sentences the WebGPU half of the parity test embeds (SwiftShader runs the ~11 GFLOP of the full
 * set in ~150 s of CPU time): every category above — casing, single characters, digits, medical and
 * aeronautical terms, accents, CJK, emoji, null-score and duplicate pieces, tabs and repeated spaces,
 * NFKC compatibility characters, unknown words — and one long text clipped at 128 tokens.
 */
export const WEBGPU_SUBSET: readonly number[] = [
  2,
  3,
  7,
  9,
  12,
  13,
  18,
  19,
  24,
  25,
  27,
  28,
  30,
  31,
  32,
  34,
  37,
  38,
  44,
  SHORT_SENTENCES.length,
];
