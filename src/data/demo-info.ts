/** Shared facts about the embedded demo collection (src/data/demo). */
export const DEMO_DESCRIPTION =
  'STM Studio demo collection: original short passages written for the project (CC0), half ' +
  'medical/clinical and half general (engineering, weather, cooking, history of science, ' +
  'aeronautics, computing), with graded relevance (2 answers the query, 1 partly relevant).';
