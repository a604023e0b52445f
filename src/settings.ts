import vscode = require('vscode');
import type { OverwritePolicy, SaveMode } from './core/results/saveTarget';
import { DEFAULT_BASE_URL } from './core/api/endpoint';
import { StepDefinition, parseSteps } from './core/runs/steps';
import type { ReprocessMode } from './core/batches/skip';

export const SECTION = 'docutray';
export const BASE_URL_ENV = 'DOCUTRAY_BASE_URL';

export type OpenResultMode = 'beside' | 'active' | 'none';

export interface BaseUrlSetting {
  url: string;
  source: 'userSettings' | 'environment' | 'default';
}

function config(scope?: vscode.ConfigurationScope): vscode.WorkspaceConfiguration {
  return vscode.workspace.getConfiguration(SECTION, scope);
}

/**
 * The API base URL is application-scoped: only the user's own settings count, never a workspace's, so
 * a cloned repository cannot send the key elsewhere. `DOCUTRAY_BASE_URL` applies when it is not set.
 */
export function baseUrl(): BaseUrlSetting {
  const user = config().inspect<string>('apiBaseUrl')?.globalValue?.trim();
  if (user) {
    return { url: user, source: 'userSettings' };
  }
  const env = process.env[BASE_URL_ENV]?.trim();
  if (env) {
    return { url: env, source: 'environment' };
  }
  return { url: DEFAULT_BASE_URL, source: 'default' };
}

export function steps(): { steps: StepDefinition[]; problems: string[] } {
  return parseSteps(config().get<unknown>('steps'));
}

export function documentMetadata(scope?: vscode.ConfigurationScope): unknown {
  return config(scope).get<unknown>('documentMetadata');
}

export function pollTimeoutMs(): number {
  const s = config().get<number>('pollTimeoutSeconds', 300);
  return Math.max(10, Number.isFinite(s) ? s : 300) * 1000;
}

export function maxConcurrentRuns(): number {
  const n = Math.floor(config().get<number>('maxConcurrentRuns', 4));
  return Math.min(16, Math.max(1, Number.isFinite(n) ? n : 4));
}

export function maxHistoryRuns(): number {
  const n = Math.floor(config().get<number>('history.maxRuns', 200));
  return Math.min(10_000, Math.max(1, Number.isFinite(n) ? n : 200));
}

export function saveResultsMode(scope?: vscode.ConfigurationScope): SaveMode {
  const v = config(scope).get<string>('saveResults.mode', 'never');
  return v === 'besideSource' || v === 'folder' ? v : 'never';
}

export function resultsFolder(scope?: vscode.ConfigurationScope): string {
  return (
    config(scope)
      .get<string>('resultsFolder', 'docutray-results')
      .trim()
      .replace(/^[/\\]+/, '') || 'docutray-results'
  );
}

export function overwritePolicy(scope?: vscode.ConfigurationScope): OverwritePolicy {
  const v = config(scope).get<string>('saveResults.overwrite', 'ask');
  return v === 'overwrite' || v === 'numbered' ? v : 'ask';
}

/** `docutray.batch.exclude`: globs a folder run leaves out, besides `files.exclude`. */
export function batchExclude(scope?: vscode.ConfigurationScope): string[] {
  const v = config(scope).get<unknown>('batch.exclude', ['**/node_modules/**', '**/.git/**']);
  return Array.isArray(v) ? v.filter((p): p is string => typeof p === 'string') : [];
}

/** `files.exclude` of the scope (the patterns set to true are left out of a folder run). */
export function filesExclude(scope?: vscode.ConfigurationScope): unknown {
  return vscode.workspace.getConfiguration('files', scope).get<unknown>('exclude');
}

/** `docutray.batch.reprocess`: what a folder or batch run does with documents this step already processed. */
export function batchReprocess(scope?: vscode.ConfigurationScope): ReprocessMode {
  const v = config(scope).get<string>('batch.reprocess', 'ask');
  return v === 'skip' || v === 'always' ? v : 'ask';
}

export function openResultMode(): OpenResultMode {
  const v = config().get<string>('openResult', 'beside');
  return v === 'active' || v === 'none' ? v : 'beside';
}

/** Saves where the list comes from: the workspace's settings when it sets steps, else the user's; says which. */
export async function saveSteps(list: StepDefinition[]): Promise<'workspace' | 'user'> {
  const inspected = config().inspect<unknown>('steps');
  const target =
    inspected?.workspaceValue !== undefined ? vscode.ConfigurationTarget.Workspace : vscode.ConfigurationTarget.Global;
  await config().update(
    'steps',
    list.map(s => ({ id: s.id, name: s.name, ...(s.description ? { description: s.description } : {}) })),
    target,
  );
  return target === vscode.ConfigurationTarget.Workspace ? 'workspace' : 'user';
}

/**
 * The file that holds this workspace's settings, as a person finds it: the `.code-workspace` file of a
 * saved multi-root workspace, else `.vscode/settings.json` (of the one folder).
 */
export function workspaceSettingsFile(): string {
  const file = vscode.workspace.workspaceFile;
  return file && file.scheme !== 'untitled' ? (file.path.split('/').pop() ?? file.path) : '.vscode/settings.json';
}

export function openSettings(query = '@ext:docutray-community.docutray-steps'): Thenable<unknown> {
  return vscode.commands.executeCommand('workbench.action.openSettings', query);
}

/** CSV exports start with a UTF-8 byte order mark (so Excel reads accented text right). */
export function exportCsvBom(): boolean {
  return config().get<boolean>('export.csvBom', true) !== false;
}

/** The CSV delimiter: `,` or `;` (spreadsheets in locales with a decimal comma). */
export function exportCsvDelimiter(): ',' | ';' {
  return config().get<string>('export.csvDelimiter', ',') === ';' ? ';' : ',';
}
