/** On-disk format of the embedded GloVe model (written by scripts/build-glove.ts). */
export const GLOVE_FORMAT = { version: 1, dirName: 'glove-100d' } as const;

export interface GloveManifest {
  format: number;
  id: string;
  name: string;
  dim: number;
  vocabSize: number;
  sourceVocabSize: number;
  quantisation: string;
  /** SIF pooling weight a / (a + p(w)); 0 = plain mean */
  sifA: number;
  source: string;
  licence: string;
}
