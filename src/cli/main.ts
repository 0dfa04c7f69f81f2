/** Headless STM Studio: the same evaluation code as the app, in Node. See USAGE. */
import { exitAfterDrain, watchStdout } from './exit';
import { listModels } from '../models/registry';
import { parseEmbedArgs, parseSplitArgs, parseTrainArgs, UsageError, USAGE as BASE_USAGE } from './args';
import { parseEvalArgs } from './eval-args';
import { parseSynthArgs } from './synth-args';
import { runEmbed } from './embed';
import { Reporter } from './progress';
import { runSplit } from './split';
import { MERGE_SEARCH_USAGE, parseMergeSearchArgs } from './merge-search-args';
import { runMergeSearch } from './merge-search';
import { runSynth } from './synth';
import { MERGE_USAGE, parseMergeArgs } from './merge-args';
import { runMerge } from './merge';
import { parsePromptsArgs, PROMPTS_USAGE } from './prompts-args';
import { runPrompts } from './prompts';
import { runTrain } from './train';
import { runEval } from './eval';
import { BUNDLE_USAGE, parseBundleArgs, runBundleInspect } from './bundle';
import { HANDOFF_USAGE, parseHandoffArgs } from './handoff-args';
import { runHandoff } from './handoff';
import { parseQuantCheckArgs, QUANT_CHECK_USAGE, runQuantCheck } from './quant-check';

const USAGE = `${BASE_USAGE}\n${MERGE_USAGE}`;
const reporter = new Reporter(process.stderr);
const usage = `${USAGE}\n${MERGE_SEARCH_USAGE}\n${PROMPTS_USAGE}\n${BUNDLE_USAGE}\n${HANDOFF_USAGE}\n${QUANT_CHECK_USAGE}`;
const log = reporter.log;

async function main(argv: string[]): Promise<void> {
  const [cmd, ...rest] = argv;
  if (cmd === 'eval') return runEval(parseEvalArgs(rest), reporter);
  if (cmd === 'embed') return runEmbed(parseEmbedArgs(rest), reporter);
  if (cmd === 'train') return runTrain(parseTrainArgs(rest), reporter);
  if (cmd === 'split') return runSplit(parseSplitArgs(rest), log);
  if (cmd === 'synth') return runSynth(parseSynthArgs(rest), reporter);
  if (cmd === 'merge') return runMerge(parseMergeArgs(rest), reporter).then(() => undefined);
  if (cmd === 'merge-search') return runMergeSearch(parseMergeSearchArgs(rest), reporter);
  if (cmd === 'prompts') return runPrompts(parsePromptsArgs(rest), reporter);
  if (cmd === 'bundle') return runBundleInspect(parseBundleArgs(rest));
  if (cmd === 'handoff') return runHandoff(parseHandoffArgs(rest), log);
  if (cmd === 'quant-check') return runQuantCheck(parseQuantCheckArgs(rest), reporter).then(() => undefined);
  if (cmd === 'models') {
    for (const m of listModels()) console.log(`${m.id}\t${m.dim}d\t${m.name}: ${m.description}`);
    return;
  }
  if (cmd === 'help' || cmd === '--help' || cmd === '-h') {
    console.log(usage);
    return;
  }
  if (cmd === undefined) throw new UsageError('stm needs a command');
  throw new UsageError(`unknown command "${cmd}"`);
}

watchStdout(log);
main(process.argv.slice(2)).then(
  () => {
    reporter.close();
    return exitAfterDrain(0);
  },
  (e: unknown) => {
    reporter.close();
    const err = e as Error;
    log(
      err instanceof UsageError
        ? `${err.message}\n\n${usage}`
        : `error: ${err.name === 'Error' ? '' : err.name + ': '}${err.message}`,
    );
    return exitAfterDrain(err instanceof UsageError ? 2 : 1);
  },
);
