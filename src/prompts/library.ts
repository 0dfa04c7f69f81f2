/**
 * The candidate library: retrieval instructions per task type, in the style of the task instructions
 * E5-instruct and Qwen3-Embedding were trained with ("Given a web search query, retrieve relevant passages
 * that answer the query"). A prompt search starts from these when it is told the task type.
 */
import type { TaskType } from './search-types';

export const LIBRARY: Readonly<Record<TaskType, readonly string[]>> = {
  'medical-qa': [
    'Given a medical question, retrieve passages that answer it',
    'Given a question about a disease, a drug or a treatment, retrieve the passage that answers the question',
    'Retrieve medical answers for the following health question',
    'Given a clinical question, find the most relevant medical passage',
    'Given a medical question, retrieve the answer from a collection of health documents',
  ],
  'consumer-health': [
    'Given a consumer health question, retrieve passages that answer the question',
    'Given a question a patient asks about their health, retrieve an answer written for the public',
    'Retrieve plain-language health information that answers this question',
    'Given a layperson question about symptoms, conditions or treatments, find relevant health articles',
    'Given a health question from a member of the public, retrieve the passage that answers it',
  ],
  'biomedical-literature': [
    'Given a biomedical query, retrieve relevant scientific abstracts',
    'Given a question from a researcher, retrieve MEDLINE abstracts that address it',
    'Retrieve biomedical papers relevant to the following information need',
    'Given a biomedical topic, find research articles that study it',
    'Given a medical research question, retrieve abstracts that report relevant findings',
  ],
  'claim-verification': [
    'Given a claim, retrieve documents that support or refute the claim',
    'Given a scientific claim, retrieve abstracts that provide evidence for or against it',
    'Retrieve evidence that verifies or contradicts the following statement',
    'Given a health claim, find passages that confirm or refute it',
    'Given a statement, retrieve the passages needed to check whether it is true',
  ],
  'argument-retrieval': [
    'Given a claim, find documents that refute the claim',
    'Given a debate topic, retrieve arguments for or against it',
    'Retrieve counter-arguments to the following argument',
    'Given a controversial question, retrieve passages that argue one side of it',
    'Given an argument, retrieve the best counter-argument',
  ],
  'scientific-search': [
    'Given a scientific query, retrieve relevant paper abstracts',
    'Given a scientific paper title, retrieve paper abstracts that are cited by the given paper',
    'Retrieve scientific documents that answer the following technical question',
    'Given a question about an engineering or physics problem, find technical reports that address it',
    'Given a research question, retrieve papers whose findings answer it',
  ],
  'duplicate-questions': [
    'Given a question, retrieve questions that are semantically equivalent to the given question',
    'Retrieve duplicate questions from a forum for the following question',
    'Given a user question, find previously asked questions with the same meaning',
    'Given a question, retrieve questions that ask the same thing in other words',
  ],
  'web-search': [
    'Given a web search query, retrieve relevant passages that answer the query',
    'Given a search query, retrieve web pages that are relevant to it',
    'Retrieve passages from the web that answer the following search query',
    'Given a short keyword query, find documents that satisfy the information need',
    'Given a question, retrieve Wikipedia passages that answer the question',
  ],
};

/**
 * The domain each task type names (the "add the domain" mutation puts it into an instruction); `key`: the
 * word that shows an instruction names the domain already.
 */
export const TASK_DOMAINS: Readonly<Record<TaskType, { query: string; passage: string; key: string }>> = {
  'medical-qa': { query: 'medical question', passage: 'medical passages', key: 'medical' },
  'consumer-health': {
    query: 'consumer health question',
    passage: 'health information passages',
    key: 'health',
  },
  'biomedical-literature': { query: 'biomedical query', passage: 'biomedical abstracts', key: 'biomedical' },
  'claim-verification': { query: 'claim', passage: 'evidence passages', key: 'claim' },
  'argument-retrieval': { query: 'argument', passage: 'arguments', key: 'argument' },
  'scientific-search': { query: 'scientific query', passage: 'scientific documents', key: 'scientific' },
  'duplicate-questions': { query: 'question', passage: 'equivalent questions', key: 'equivalent' },
  'web-search': { query: 'web search query', passage: 'web passages', key: 'web' },
};

/** The library's instructions for a task type. */
export function libraryInstructions(task: TaskType): readonly string[] {
  return LIBRARY[task];
}
