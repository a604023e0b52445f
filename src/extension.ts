import * as vscode from 'vscode';
import { registerCommands } from './commands/registerCommands';
import { ResultFileSystem } from './results/resultFileSystem';
import { createServices } from './services';

/** Builds the services and registers what the manifest promises. No network, no waiting. */
export function activate(context: vscode.ExtensionContext): void {
  const services = createServices(context);
  context.subscriptions.push(ResultFileSystem.register(services.results));
  registerCommands(services);
  // The context key for menus and the walkthrough; read after activation, not during it.
  setTimeout(() => void services.apiKeys.refreshContext(), 0);
}

export function deactivate(): void {
  // Everything is disposed through context.subscriptions.
}
