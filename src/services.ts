import vscode = require('vscode');
import { l10n } from 'vscode';
import { parseResultLocation } from './core/results/storedResult';
import { sourceUri } from './documents/documentSource';
import { plainText } from './core/text/plainText';
import { RESULT_SCHEME } from './results/resultScheme';
import type { ApiKeyStore } from './api/apiKeyStore';
import { ClientFactory } from './api/clientFactory';
import { ErrorPresenter } from './errorPresenter';
import { Log } from './log';
import { RunStatusBar } from './runs/statusBar';
import { ResultStore } from './results/resultStore';
import { Following } from './runs/following';
import { RunHistory } from './runs/runHistory';
import { RunService } from './runs/runService';
import { KnownBatches } from './core/batches/known';
import { BatchRecords, openBatchStore } from './batches/batchRecords';
import { BatchService } from './batches/batchService';
import { RunsView } from './views/runsView';
import { ResultSaver } from './results/resultSaver';
import { StepPicker } from './runs/stepPicker';
import { UsageService } from './api/usage';
import { ExpectedTests } from './testing/expectedTests';
import * as settings from './settings';
import type { WalkthroughStep } from './walkthrough/walkthrough';

/** Everything the commands need, built once, on first use after activation (no I/O here). */
export interface Services {
  log: Log;
  apiKeys: ApiKeyStore;
  clients: ClientFactory;
  results: ResultStore;
  statusBar: RunStatusBar;
  errors: ErrorPresenter;
  runs: RunService;
  batches: BatchService;
  steps: StepPicker;
  runsView: RunsView;
  usage: UsageService;
  /** Expected results: the Test Explorer's tests, Accept as Expected, Compare Two Steps. */
  expected: ExpectedTests;
  /** The extension's global state (remembered choices). */
  globalState: vscode.Memento;
  /** Tells the getting-started walkthrough that a step's thing happened. */
  walkthrough: (step: WalkthroughStep) => void;
}

/** `apiKeys` comes from activation, which keeps the `docutray.hasApiKey` context key current. */
export function createServices(
  context: vscode.ExtensionContext,
  apiKeys: ApiKeyStore,
  walkthrough: (step: WalkthroughStep) => void = () => undefined,
): Services {
  const log = new Log();
  const clients = new ClientFactory(
    apiKeys,
    log.scoped('http'),
    String(context.extension.packageJSON.version ?? '0.0.0'),
    context.globalState,
  );
  const results = new ResultStore(context.globalStorageUri);
  const statusBar = new RunStatusBar();
  const errors = new ErrorPresenter(log);
  // What this window polls and drives: the runs and batches tell it, the history asks it.
  const following = new Following();
  // The batches, whose runs the history bound keeps or drops together: what this window holds of them, and
  // their store, made before the history that bounds them and the batch records that keep them current.
  const knownBatches = new KnownBatches();
  const batchStore = openBatchStore(context.globalStorageUri, log.scoped('batch'));
  const history = new RunHistory(
    context.globalStorageUri,
    log.scoped('history'),
    settings.maxHistoryRuns,
    removed => {
      // The files are gone already (RunHistory.remove); this forgets what this window holds of them.
      for (const run of removed) {
        if (run.executionId) {
          void results.remove(run.executionId);
        }
      }
    },
    {
      showing: openResults,
      holdsSource: run => {
        // A URL or an execution: any window may take it.
        const uri = run.source.kind === 'workspace' ? sourceUri(run.source)?.uri : undefined;
        return !uri || uri.scheme !== 'file' || !!vscode.workspace.getWorkspaceFolder(uri);
      },
      onProblem: p =>
        void vscode.window.showWarningMessage(
          p.movedTo
            ? l10n.t(
                'DocuTray: a damaged file in its storage was kept as {0} and left out. The other runs are fine.',
                plainText(p.movedTo),
              )
            : l10n.t('DocuTray: could not read {0} in its storage: {1}', plainText(p.file), plainText(p.message)),
        ),
      groups: runs => knownBatches.groups(runs, id => following.holdsBatch(id)),
      removeGroups: async ids => {
        await batchStore.remove(ids);
        knownBatches.forget(ids);
      },
      following,
    },
  );
  const runs = new RunService(clients, results, history, statusBar, errors, log.scoped('run'), following);
  const batches = new BatchService(
    new BatchRecords(context.globalStorageUri, batchStore, knownBatches, history, log.scoped('batch')),
    clients,
    runs,
    statusBar,
    errors,
    log.scoped('batch'),
    following,
  );
  // A window that drove a run or a batch closed or crashed: this one takes it over (one window wins each).
  history.onDidFindOrphans(() => {
    void runs.resume().catch(e => errors.report(e, 'take over runs'));
    void batches.resume().catch(e => errors.report(e, 'take over batches'));
  });
  const saver = new ResultSaver(log.scoped('save'));
  runs.onResult(async result => {
    await saver.save(result);
  });
  // Any stored result (a file, a folder, a selection, a test run): the walkthrough's run step is done; a
  // folder or a selection that ran to its end (not a check's batch), its batch step.
  runs.onResult(async () => walkthrough('run'));
  batches.onDidFinish(e => !e.quiet && walkthrough('batch'));
  const usage = new UsageService(clients, apiKeys, log.scoped('usage'));
  // After a run or a batch ends (once, however many files), this month's figures are fetched again.
  statusBar.onDidBecomeIdle(() => void usage.refresh());
  usage.onDidChange(() => statusBar.setUsage(usage.describe()));
  const expected = new ExpectedTests({
    batches,
    history,
    results,
    errors,
    log: log.scoped('expected'),
    // The command asks for a key (and checks it) as every run does.
    ensureKey: async () =>
      !!(await apiKeys.get()) || (await vscode.commands.executeCommand<boolean>('docutray.setApiKey')) === true,
  });
  // An expected file written here (Accept, Create, the review): the walkthrough's step is done.
  expected.onDidWrite(() => walkthrough('expected'));
  const runsView = new RunsView(history, batches, expected);
  context.subscriptions.push(log, statusBar, history, batches.records, batches, runsView, usage, expected);
  return {
    log,
    apiKeys,
    clients,
    results,
    statusBar,
    errors,
    runs,
    batches,
    steps: new StepPicker(context.globalState),
    runsView,
    usage,
    expected,
    globalState: context.globalState,
    walkthrough,
  };
}

/** Execution ids of the results open in this window's editor tabs (kept by the history bound of every window). */
function openResults(): string[] {
  const uris: vscode.Uri[] = [];
  for (const tab of vscode.window.tabGroups.all.flatMap(g => g.tabs)) {
    const input = tab.input;
    if (input instanceof vscode.TabInputText) {
      uris.push(input.uri);
    } else if (input instanceof vscode.TabInputTextDiff) {
      uris.push(input.original, input.modified);
    }
  }
  const ids = uris
    .filter(u => u.scheme === RESULT_SCHEME)
    .map(u => parseResultLocation(u.path, u.query)?.executionId)
    .filter((id): id is string => !!id);
  return [...new Set(ids)];
}
