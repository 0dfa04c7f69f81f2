/**
 * A dataset's group in the dashboard (the paper reports medical and general tasks apart): set on import
 * from a guess on its name and description, changeable by the user (stored with the dataset).
 */
export type DatasetGroup = 'medical' | 'general';
export const DATASET_GROUPS: readonly DatasetGroup[] = ['medical', 'general'];

/** name words (or their starts) of medical collections: med, MedQuAD, NFCorpus, TREC-COVID, BioASQ, SciFact… */
const NAME_PREFIXES = ['med', 'pubmed', 'bio', 'clinic', 'health', 'covid', 'nfcorpus', 'scifact', 'cord19'];
const NOT_MEDICAL = ['media', 'median', 'medium', 'biography'];
/** description words that mark a medical collection */
const DESCRIPTION = /\b(medical|clinical|biomedical|medline|pubmed|medicine|health|disease|patients?)\b/i;

function nameLooksMedical(name: string): boolean {
  return name
    .toLowerCase()
    .split(/[^a-z0-9]+/)
    .some((w) => NAME_PREFIXES.some((p) => w.startsWith(p)) && !NOT_MEDICAL.some((n) => w.startsWith(n)));
}

/** The group a dataset's name (first) or description suggests; 'general' when nothing says medical. */
export function guessGroup(name: string, description = ''): DatasetGroup {
  return nameLooksMedical(name) || DESCRIPTION.test(description) ? 'medical' : 'general';
}

export function isDatasetGroup(x: unknown): x is DatasetGroup {
  return x === 'medical' || x === 'general';
}

/** A dataset's group: the stored one, else (a record from before groups were kept) the guess on its name. */
export function groupOf(meta: { name: string; description: string; group?: DatasetGroup }): DatasetGroup {
  return meta.group ?? guessGroup(meta.name, meta.description);
}
