import vscode = require('vscode');
import type { ApiKeyStore } from './apiKey/apiKeyStore';
import { ClientFactory } from './api/clientFactory';
import { ErrorPresenter } from './errors/errorPresenter';
import { Log } from './logging/log';
import { RunStatusBar } from './progress/statusBar';
import { ResultStore } from './results/resultStore';
import { RunHistory } from './runs/runHistory';
import { RunService } from './runs/runService';
import { RunsView } from './runs/runsView';
import { ResultSaver } from './results/resultSaver';
import { StepPicker } from './steps/stepPicker';
import { UsageService } from './usage/usageService';
import * as settings from './settings/settings';

/** Everything the commands need, built once, on first use after activation (no I/O here). */
export interface Services {
  context: vscode.ExtensionContext;
  log: Log;
  apiKeys: ApiKeyStore;
  clients: ClientFactory;
  results: ResultStore;
  statusBar: RunStatusBar;
  errors: ErrorPresenter;
  runs: RunService;
  steps: StepPicker;
  runsView: RunsView;
  usage: UsageService;
}

/** `apiKeys` comes from activation, which keeps the `docutray.hasApiKey` context key current. */
export function createServices(context: vscode.ExtensionContext, apiKeys: ApiKeyStore): Services {
  const log = new Log();
  const clients = new ClientFactory(apiKeys, log.scoped('http'), String(context.extension.packageJSON.version ?? '0.0.0'));
  const results = new ResultStore(context.globalStorageUri);
  const statusBar = new RunStatusBar();
  const errors = new ErrorPresenter(log);
  const history = new RunHistory(context.globalStorageUri, log.scoped('history'), settings.maxHistoryRuns, dropped => {
    for (const run of dropped) {
      if (run.executionId) {
        void results.remove(run.executionId);
      }
    }
  });
  const runs = new RunService(clients, results, history, statusBar, errors, log.scoped('run'));
  const saver = new ResultSaver(log.scoped('save'));
  runs.onResult(async result => {
    await saver.save(result);
  });
  const runsView = new RunsView(history);
  const usage = new UsageService(clients, apiKeys, log.scoped('usage'));
  // After a run or a batch ends (once, however many files), this month's figures are fetched again.
  statusBar.onDidBecomeIdle(() => void usage.refresh());
  usage.onDidChange(() => statusBar.setUsage(usage.describe()));
  context.subscriptions.push(log, statusBar, history, runsView, usage);
  return { context, log, apiKeys, clients, results, statusBar, errors, runs, steps: new StepPicker(context.globalState), runsView, usage };
}
