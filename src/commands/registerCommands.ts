import vscode = require('vscode');
import type { Services } from '../services';
import { clearApiKey, setApiKey } from './apiKey';
import { checkExecution } from './execution';
import { saveResultCopy, showExecutionRecord } from './results';
import { runStep, runStepOnUrl } from './runStep';
import { configureSteps } from '../steps/stepPicker';
import {
  cancelRun, clearFinished, compareWith, copyExecutionId, openRunResult, openRunSource, removeRuns, rerun, saveRunResultAs,
} from './runsCommands';

/**
 * Every command goes through the one error wrapper: a failure is logged and shown once, naming the
 * fix; Retry runs the same command with the same arguments.
 */
export function registerCommands(s: Services): void {
  const register = (id: string, handler: (...args: unknown[]) => Promise<unknown> | unknown) => {
    const run = (...args: unknown[]): Promise<unknown> => s.errors.run(id, async () => handler(...args), () => run(...args));
    s.context.subscriptions.push(vscode.commands.registerCommand(id, run));
  };
  register('docutray.runStep', (a, b) => runStep(s, a, b));
  register('docutray.runStepOnUrl', a => runStepOnUrl(s, a));
  register('docutray.setApiKey', () => setApiKey(s));
  register('docutray.clearApiKey', () => clearApiKey(s));
  register('docutray.checkExecution', a => checkExecution(s, a));
  register('docutray.configureSteps', () => configureSteps());
  register('docutray.showLog', () => s.log.show());
  register('docutray.cancelRuns', () => s.runs.cancel());
  register('docutray.showExecutionRecord', a => showExecutionRecord(s, a));
  register('docutray.saveResultCopy', a => saveResultCopy(s, a));
  register('docutray.runs.openResult', a => openRunResult(s, a));
  register('docutray.runs.openSource', a => openRunSource(s, a));
  register('docutray.runs.rerun', a => rerun(s, a, false));
  register('docutray.runs.rerunWithStep', a => rerun(s, a, true));
  register('docutray.runs.saveResultAs', a => saveRunResultAs(s, a));
  register('docutray.runs.copyExecutionId', a => copyExecutionId(s, a));
  register('docutray.runs.compareWith', (a, b) => compareWith(s, a, b));
  register('docutray.runs.remove', (a, b) => removeRuns(s, a, b));
  register('docutray.runs.cancel', a => cancelRun(s, a));
  register('docutray.runs.clearFinished', () => clearFinished(s));
  register('docutray.runs.refresh', async () => {
    await s.runs.history.reload();
    return s.runs.resume();
  });
}
