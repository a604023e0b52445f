import * as vscode from 'vscode';
import type { Services } from '../services';
import { clearApiKey, setApiKey } from './apiKey';
import { checkExecution } from './execution';
import { saveResultCopy, showExecutionRecord } from './results';
import { runStep, runStepOnUrl } from './runStep';
import { configureSteps } from '../steps/stepPicker';

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
  register('docutray.cancelRuns', () => s.runs.cancelAll());
  register('docutray.showExecutionRecord', a => showExecutionRecord(s, a));
  register('docutray.saveResultCopy', a => saveResultCopy(s, a));
}
