import vscode = require('vscode');
import { registerCommands } from './commands/registerCommands';
import { ResultFileSystem } from './results/resultFileSystem';
import type { RunRecord } from './core/runs/history';
import { StatusBarState } from './progress/statusBar';
import { createServices } from './services';

/** What the extension offers other extensions (and its own tests). */
export interface DocuTrayApi {
  /** The state of the runs status-bar item. */
  status(): { state: StatusBarState; text: string; tooltip: string };
  /** Every recorded run, newest first. */
  runs(): Promise<RunRecord[]>;
  /** Where runs (`runs.json`) and results (`results/<executionId>.json`) are kept. */
  readonly storageUri: vscode.Uri;
}

/** Builds the services and registers what the manifest promises. No network, no waiting. */
export function activate(context: vscode.ExtensionContext): DocuTrayApi {
  const services = createServices(context);
  context.subscriptions.push(ResultFileSystem.register(services.results));
  registerCommands(services);
  context.subscriptions.push(vscode.window.createTreeView('docutray.runs', { treeDataProvider: services.runsView, canSelectMany: true }));
  // The context key for menus and the walkthrough; read after activation, not during it.
  setTimeout(() => void services.apiKeys.refreshContext(), 0);
  // Runs left in flight by a closed or reloaded window are picked up after activation, not during it.
  setTimeout(() => void services.runs.resume().catch(e => services.errors.report(e, 'resume')), 500);
  return {
    status: () => ({ state: services.statusBar.state, text: services.statusBar.text, tooltip: services.statusBar.tooltip }),
    runs: async () => [...await services.runs.history.all()].sort((a, b) => b.startedAt - a.startedAt),
    storageUri: context.globalStorageUri,
  };
}

export function deactivate(): void {
  // Everything is disposed through context.subscriptions.
}
