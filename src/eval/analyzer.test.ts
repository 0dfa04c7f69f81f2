import { describe, expect, it } from 'vitest';
import { LUCENE_STOPWORDS, makeAnalyzer, sStem, tokenize } from './analyzer';
import { porterStem } from './porter';

describe('tokenize', () => {
  it('lowercases and splits on anything that is not a letter, number or mark (Unicode aware)', () => {
    expect(tokenize('Héllo, WORLD! naïve-café 3.5mg Ωmega')).toEqual([
      'héllo',
      'world',
      'naïve',
      'café',
      '3',
      '5mg',
      'ωmega',
    ]);
    // a decomposed accent stays inside the word
    expect(tokenize('cafe\u0301 au lait')).toEqual(['cafe\u0301', 'au', 'lait']);
    expect(tokenize('  ... ')).toEqual([]);
  });
});

describe('makeAnalyzer', () => {
  it('drops Lucene stopwords by default and keeps them on request', () => {
    expect(LUCENE_STOPWORDS).toHaveLength(33);
    expect(makeAnalyzer({ stem: 'none' })('The cause of THE fever is not a virus')).toEqual([
      'cause',
      'fever',
      'virus',
    ]);
    expect(makeAnalyzer({ stem: 'none', stopwords: 'none' })('the virus')).toEqual(['the', 'virus']);
    expect(makeAnalyzer({ stem: 'none', stopwords: ['virus'] })('the virus')).toEqual(['the']);
  });

  it('stems with the chosen stemmer', () => {
    expect(makeAnalyzer({ stem: 's' })('Queries about kidneys and glasses')).toEqual([
      'query',
      'about',
      'kidney',
      'glasse',
    ]);
    expect(makeAnalyzer({ stem: 'porter' })('Queries about kidneys and glasses')).toEqual([
      'queri',
      'about',
      'kidnei',
      'glass',
    ]);
  });
});

describe('sStem (Harman)', () => {
  it.each([
    ['queries', 'query'],
    ['cases', 'case'],
    ['dogs', 'dog'],
    ['glass', 'glass'],
    ['virus', 'virus'],
    ['shoes', 'shoe'],
    ['trees', 'tree'],
    ['series', 'sery'],
    ['toes', 'toe'],
    ['plays', 'play'],
    ['gas', 'gas'],
  ])('%s -> %s', (w, s) => expect(sStem(w)).toBe(s));
});

describe('porterStem', () => {
  // examples from Porter (1980), run through the whole algorithm
  it.each([
    ['caresses', 'caress'],
    ['ponies', 'poni'],
    ['ties', 'ti'],
    ['caress', 'caress'],
    ['cats', 'cat'],
    ['feed', 'feed'],
    ['agreed', 'agre'],
    ['plastered', 'plaster'],
    ['bled', 'bled'],
    ['motoring', 'motor'],
    ['sing', 'sing'],
    ['conflated', 'conflat'],
    ['troubled', 'troubl'],
    ['sized', 'size'],
    ['hopping', 'hop'],
    ['tanned', 'tan'],
    ['falling', 'fall'],
    ['hissing', 'hiss'],
    ['fizzed', 'fizz'],
    ['failing', 'fail'],
    ['filing', 'file'],
    ['happy', 'happi'],
    ['sky', 'sky'],
    ['relational', 'relat'],
    ['conditional', 'condit'],
    ['rational', 'ration'],
    ['valenci', 'valenc'],
    ['hesitanci', 'hesit'],
    ['digitizer', 'digit'],
    ['conformabli', 'conform'],
    ['radicalli', 'radic'],
    ['differentli', 'differ'],
    ['vileli', 'vile'],
    ['analogousli', 'analog'],
    ['vietnamization', 'vietnam'],
    ['predication', 'predic'],
    ['operator', 'oper'],
    ['feudalism', 'feudal'],
    ['decisiveness', 'decis'],
    ['hopefulness', 'hope'],
    ['callousness', 'callous'],
    ['formaliti', 'formal'],
    ['sensitiviti', 'sensit'],
    ['sensibiliti', 'sensibl'],
    ['triplicate', 'triplic'],
    ['formative', 'form'],
    ['formalize', 'formal'],
    ['electriciti', 'electr'],
    ['electrical', 'electr'],
    ['hopeful', 'hope'],
    ['goodness', 'good'],
    ['revival', 'reviv'],
    ['allowance', 'allow'],
    ['inference', 'infer'],
    ['airliner', 'airlin'],
    ['gyroscopic', 'gyroscop'],
    ['adjustable', 'adjust'],
    ['defensible', 'defens'],
    ['irritant', 'irrit'],
    ['replacement', 'replac'],
    ['adjustment', 'adjust'],
    ['dependent', 'depend'],
    ['adoption', 'adopt'],
    ['homologou', 'homolog'],
    ['communism', 'commun'],
    ['activate', 'activ'],
    ['angulariti', 'angular'],
    ['homologous', 'homolog'],
    ['effective', 'effect'],
    ['bowdlerize', 'bowdler'],
    ['probate', 'probat'],
    ['rate', 'rate'],
    ['cease', 'ceas'],
    ['controll', 'control'],
    ['roll', 'roll'],
    ['generalizations', 'gener'],
    ['oscillators', 'oscil'],
  ])('%s -> %s', (w, s) => expect(porterStem(w)).toBe(s));

  it('leaves short words, digits and non-ASCII words alone', () => {
    for (const w of ['is', '3d', 'naïve', 'x']) expect(porterStem(w)).toBe(w);
  });
});
