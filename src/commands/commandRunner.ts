import type { Services } from '../services';
import {
  cancelBatchCommand,
  resumeBatchCommand,
  retryFailedCommand,
  revealBatchFolder,
  reviewBatchCommand,
  runStepOnWorkspace,
} from '../batches/batchCommands';
import type * as RareCommands from './rareCommands';
import { compareTwoSteps } from '../testing/compareSteps';
import { batchPanels } from '../review/batches';
import { reviewPanels } from '../review/reviews';
import type { CommandId } from './commandIds';
import { clearApiKey, setApiKey } from '../api/apiKey';
import { checkExecution } from './checkExecution';
import { saveResultCopy, showExecutionRecord } from './resultCommands';
import { runStep, runStepOnUrl } from './runStep';
import { configureSteps } from '../runs/stepPicker';
import {
  cancelRun,
  clearFinished,
  compareWith,
  copyExecutionId,
  openRunResult,
  openRunSource,
  removeRuns,
  rerun,
  saveRunResultAs,
} from './runCommands';

type Handler = (...args: unknown[]) => Promise<unknown> | unknown;

/**
 * What each command does, behind the one error wrapper: a failure is logged and shown once, naming the
 * fix; Retry runs the same command with the same arguments. Activation registers the ids (see
 * commandIds.ts); this runs them.
 */
/**
 * The export and expected-result commands, from their own bundle (see rareCommands.ts), loaded the
 * first time one of them runs.
 */
function rare(): typeof RareCommands {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- the lazy rare-commands bundle
  return require('./rareCommands') as typeof RareCommands;
}

export function commandRunner(s: Services): (id: CommandId, args: unknown[]) => Promise<unknown> {
  const handlers: Record<CommandId, Handler> = {
    'docutray.runStep': (a, b) => runStep(s, a, b),
    'docutray.runStepOnUrl': a => runStepOnUrl(s, a),
    'docutray.setApiKey': () => setApiKey(s),
    'docutray.clearApiKey': () => clearApiKey(s),
    'docutray.checkExecution': a => checkExecution(s, a),
    'docutray.configureSteps': () => configureSteps(),
    'docutray.showLog': () => s.log.show(),
    'docutray.cancelRuns': () => s.runs.cancel() + s.batches.cancelAll(),
    'docutray.showExecutionRecord': a => showExecutionRecord(s, a),
    'docutray.saveResultCopy': a => saveResultCopy(s, a),
    'docutray.runs.openResult': a => openRunResult(s, a),
    'docutray.runs.openSource': a => openRunSource(s, a),
    'docutray.runs.rerun': a => rerun(s, a, false),
    'docutray.runs.rerunWithStep': a => rerun(s, a, true),
    'docutray.runs.saveResultAs': a => saveRunResultAs(s, a),
    'docutray.runs.copyExecutionId': a => copyExecutionId(s, a),
    'docutray.runs.compareWith': (a, b) => compareWith(s, a, b),
    'docutray.runs.remove': (a, b) => removeRuns(s, a, b),
    'docutray.runs.cancel': a => cancelRun(s, a),
    'docutray.runs.clearFinished': () => clearFinished(s),
    'docutray.runs.refresh': async () => {
      await s.runs.history.reload();
      const resumed = await s.runs.resume();
      // Reads the stored batches again, and takes over those whose window is gone.
      await s.batches.resume();
      return resumed;
    },
    'docutray.runStepOnWorkspace': a => runStepOnWorkspace(s, a),
    'docutray.batches.cancel': a => cancelBatchCommand(s, a),
    'docutray.batches.resume': a => resumeBatchCommand(s, a),
    'docutray.batches.review': a => reviewBatchCommand(s, a),
    'docutray.batches.retryFailed': a => retryFailedCommand(s, a),
    'docutray.batches.revealFolder': a => revealBatchFolder(s, a),
    'docutray.runs.export': (...a) => rare().exportResults(s, ...a),
    'docutray.expected.accept': a => rare().recordExpected(s, a, 'accept'),
    'docutray.expected.create': (a, b) => rare().createExpected(s, a, b),
    'docutray.expected.acceptAll': () => rare().acceptAllFailures(s),
    'docutray.expected.recordAgain': a => rare().recordAgain(s, a),
    'docutray.expected.compareSteps': a => compareTwoSteps(s, a),
    'docutray.copyCommandLine': () => rare().copyCommandLine(s),
    'docutray.review.open': async a => (await reviewPanels(s).open(a)).documentUri.toString(),
    'docutray.review.nextDifference': () => reviewPanels(s).next(),
    'docutray.review.previousDifference': () => reviewPanels(s).previous(),
    'docutray.review.acceptField': () => reviewPanels(s).acceptField(),
    'docutray.review.keepExpected': () => reviewPanels(s).keepExpected(),
    'docutray.review.editValue': a => reviewPanels(s).editValue(a),
    'docutray.batches.openGrid': (a, b) => batchPanels(s).open(a, b),
  };
  const run = (id: CommandId, args: unknown[]): Promise<unknown> =>
    s.errors.run(
      id,
      async () => handlers[id](...args),
      () => run(id, args),
    );
  return run;
}
