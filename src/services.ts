import * as vscode from 'vscode';
import { ApiKeyStore } from './apiKey/apiKeyStore';
import { ClientFactory } from './api/clientFactory';
import { ErrorPresenter } from './errors/errorPresenter';
import { Log } from './logging/log';
import { RunStatusBar } from './progress/statusBar';
import { ResultStore } from './results/resultStore';
import { RunService } from './runs/runService';
import { StepPicker } from './steps/stepPicker';

/** Everything the commands need, built once at activation (cheaply: nothing here does I/O). */
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
}

export function createServices(context: vscode.ExtensionContext): Services {
  const log = new Log();
  const apiKeys = new ApiKeyStore(context.secrets);
  const clients = new ClientFactory(apiKeys, log.scoped('http'), String(context.extension.packageJSON.version ?? '0.0.0'));
  const results = new ResultStore(context.globalStorageUri);
  const statusBar = new RunStatusBar();
  const errors = new ErrorPresenter(log);
  const runs = new RunService(clients, results, statusBar, errors, log.scoped('run'));
  context.subscriptions.push(log, apiKeys, statusBar);
  return { context, log, apiKeys, clients, results, statusBar, errors, runs, steps: new StepPicker(context.globalState) };
}
