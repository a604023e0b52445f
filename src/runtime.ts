import vscode = require('vscode');
import type { ApiKeyStore } from './api/apiKeyStore';
import { commandRunner } from './commands/commandRunner';
import type { CommandId } from './commands/commandIds';
import type { RunRecord } from './core/runs/history';
import { StatusBarState } from './runs/statusBar';
import { ResultFileSystem, ResultFileSystemReads } from './results/resultFileSystem';
import { RunsNode, RunsView } from './views/runsView';
import { createServices } from './services';
import { showUsageInView } from './api/usage';
import type { CheckRunReport } from './testing/checkRun';
import type { TestHandlers } from './testing/expectedTests';
import { batchPanels } from './review/batches';
import { reviewPanels } from './review/reviews';
import type { Walkthrough } from './walkthrough/walkthrough';

/**
 * Everything behind the commands, the results file system and the runs view. Its own bundle
 * (dist/runtime.js), loaded on the first command, result read, runs-view visit or run to resume — not at
 * activation, which only registers (see extension.ts).
 */
export interface Runtime {
  run(id: CommandId, args: unknown[]): Promise<unknown>;
  readonly resultFileSystem: ResultFileSystemReads;
  readonly runsView: RunsView;
  status(): { state: StatusBarState; text: string; tooltip: string };
  /** Every recorded run, newest first. */
  runs(): Promise<RunRecord[]>;
  /** Follows runs a closed or reloaded window left in flight. */
  resume(): Promise<void>;
  /** Answers for the Test Explorer's controller of expected results (made at activation). */
  testing(controller: vscode.TestController): TestHandlers;
  /** What the last Test Explorer run reported of each test. */
  lastTestRun(): CheckRunReport | undefined;
  /** An expected file was written here (activation then offers the Test Explorer, if it has not yet). */
  readonly onDidWriteExpected: vscode.Event<vscode.Uri>;
  /** Brings back a review panel after a reload (its WebviewPanelSerializer). */
  restoreReview(panel: vscode.WebviewPanel, state: unknown): Promise<void>;
  /** Brings back a batch panel (grid) after a reload (its WebviewPanelSerializer). */
  restoreBatch(panel: vscode.WebviewPanel, state: unknown): Promise<void>;
  /** What the active review panel shows (for tests). */
  review(): ReturnType<import('./review/reviewPanel').ReviewPanels['describe']>;
}

/**
 * @param runsTree the Runs view, which shows this month's usage above its runs
 * @param walkthrough the walkthrough, told when a step's thing happened (a run, a batch, a test run…)
 */
export function createRuntime(
  context: vscode.ExtensionContext,
  apiKeys: ApiKeyStore,
  runsTree?: vscode.TreeView<RunsNode>,
  walkthrough?: () => Pick<Walkthrough, 'complete'>,
): Runtime {
  const services = createServices(context, apiKeys, step => walkthrough?.().complete(step));
  if (runsTree) {
    context.subscriptions.push(showUsageInView(runsTree, services.usage, services.runsView));
  }
  return {
    run: commandRunner(services),
    resultFileSystem: new ResultFileSystem(services.results),
    runsView: services.runsView,
    status: () => ({
      state: services.statusBar.state,
      text: services.statusBar.text,
      tooltip: services.statusBar.tooltip,
    }),
    runs: async () => [...(await services.runs.history.all())].sort((a, b) => b.startedAt - a.startedAt),
    resume: async () => {
      await services.runs.resume().catch(e => services.errors.report(e, 'resume'));
      await services.batches.resume().catch(e => services.errors.report(e, 'resume batches'));
    },
    testing: controller => {
      const handlers = services.expected.attach(controller);
      // A test run that ended (passed or not) is the walkthrough's Testing step done.
      return { ...handlers, run: (r, token) => handlers.run(r, token).then(() => services.walkthrough('testing')) };
    },
    lastTestRun: () => services.expected.lastRun,
    onDidWriteExpected: services.expected.onDidWrite,
    restoreReview: (panel, state) => reviewPanels(services).restore(panel, state),
    restoreBatch: (panel, state) => batchPanels(services).restore(panel, state),
    review: () => reviewPanels(services).describe(),
  };
}
