import vscode = require('vscode');
import { excludeRules, searchExcludeGlob } from '../core/batches/folder';
import {
  EXPECTED_SUFFIX,
  ExpectedFileError,
  documentPathFor,
  expectedFilePath,
  isExpectedFileName,
  parseExpected,
} from '../core/expected/expectedFile';
import { type ExpectedSettings, readExpectedSettings } from '../core/expected/settings';
import { runPool } from '../core/async/pool';
import type { ScopedLog } from '../log';
import * as settings from '../settings';

/** One expected file found in the workspace. */
export interface ExpectedEntry {
  uri: vscode.Uri;
  folder: vscode.WorkspaceFolder;
  /** The expected file, workspace-relative (`/`-separated). */
  path: string;
  /** The step, from the file itself (set when the file is usable). */
  stepId?: string;
  /** The document, workspace-relative, and its URI (set when the file is usable). */
  document?: string;
  documentUri?: vscode.Uri;
  /** Why the file cannot be used (shown on its test): unreadable as an expected result, or misnamed. */
  problem?: { kind: 'invalid'; message: string } | { kind: 'misnamed' };
}

/** The `docutray.expected.*` settings of a workspace folder (or any resource in it). */
export function expectedSettings(scope: vscode.Uri | undefined): { settings: ExpectedSettings; problems: string[] } {
  const config = vscode.workspace.getConfiguration('docutray', scope);
  return readExpectedSettings(name => config.get(name));
}

/** `uri` relative to the workspace folder `folder` (`/`-separated), or undefined when it is not inside it. */
export function relativeIn(folder: vscode.WorkspaceFolder, uri: vscode.Uri): string | undefined {
  if (uri.scheme !== folder.uri.scheme || uri.authority !== folder.uri.authority) {
    return undefined;
  }
  const base = folder.uri.path.endsWith('/') ? folder.uri.path : `${folder.uri.path}/`;
  return uri.path.startsWith(base) && uri.path.length > base.length ? uri.path.slice(base.length) : undefined;
}

/** Where the expected file of a document (in a workspace folder) for a step is, or why it cannot be named. */
export function expectedUriFor(
  documentUri: vscode.Uri,
  stepId: string,
):
  | { uri: vscode.Uri; folder: vscode.WorkspaceFolder; document: string; path: string }
  | { refused: 'notInWorkspace' }
  | { refused: 'folderSetting'; message: string } {
  const folder = vscode.workspace.getWorkspaceFolder(documentUri);
  const document = folder && relativeIn(folder, documentUri);
  if (!folder || !document) {
    return { refused: 'notInWorkspace' };
  }
  const { settings: s, problems } = expectedSettings(folder.uri);
  const folderProblem = problems.find(p => p.startsWith('docutray.expected.folder'));
  if (folderProblem) {
    return { refused: 'folderSetting', message: folderProblem };
  }
  const path = expectedFilePath(document, stepId, s.folder);
  return { uri: vscode.Uri.joinPath(folder.uri, ...path.split('/')), folder, document, path };
}

/** A path as a glob that matches only itself (glob characters in folder names taken literally). */
function escapeGlob(path: string): string {
  return path.replace(/[[\]{}*?]/g, c => `[${c}]`);
}

/**
 * The expected files of the open workspace folders (`**\/*.expected.json`, under `docutray.expected.folder`
 * when set, leaving out what `files.exclude` and `docutray.batch.exclude` leave out), each read once for
 * its step and document, and kept current by a file watcher and the settings.
 */
export class ExpectedIndex implements vscode.Disposable {
  private readonly entries = new Map<string, ExpectedEntry>();
  private readonly changed = new vscode.EventEmitter<void>();
  /** Fires (at most every 100 ms) after expected files were found, changed or removed. */
  readonly onDidChange = this.changed.event;
  private readonly subscriptions: vscode.Disposable[] = [this.changed];
  private started: Promise<void> | undefined;
  private latest: Promise<void> = Promise.resolve();
  private fireTimer: ReturnType<typeof setTimeout> | undefined;
  private generation = 0;

  constructor(private readonly log: ScopedLog) {}

  /** Looks for the expected files (once; later calls wait for that) and starts following them. */
  ready(): Promise<void> {
    if (!this.started) {
      const watcher = vscode.workspace.createFileSystemWatcher(`**/*${EXPECTED_SUFFIX}`);
      this.subscriptions.push(
        watcher,
        watcher.onDidCreate(uri => void this.reread(uri)),
        watcher.onDidChange(uri => void this.reread(uri)),
        watcher.onDidDelete(uri => this.forget(uri)),
        vscode.workspace.onDidChangeWorkspaceFolders(() => void this.refresh()),
        vscode.workspace.onDidChangeConfiguration(e => {
          if (
            e.affectsConfiguration('docutray.expected.folder') ||
            e.affectsConfiguration('docutray.batch.exclude') ||
            e.affectsConfiguration('files.exclude')
          ) {
            void this.refresh();
          }
        }),
      );
      this.started = this.refresh();
    }
    return this.started;
  }

  /** Once the files were looked for and the last search (after a settings change, say) is over. */
  async settled(): Promise<void> {
    await this.ready();
    for (let seen: Promise<void> | undefined; seen !== this.latest;) {
      seen = this.latest;
      await seen;
    }
  }

  /** Looks for every expected file again. */
  refresh(token?: vscode.CancellationToken): Promise<void> {
    const search = this.search(token);
    this.latest = search.catch(() => undefined);
    return search;
  }

  private async search(token?: vscode.CancellationToken): Promise<void> {
    const generation = ++this.generation;
    const found = new Map<string, ExpectedEntry>();
    for (const folder of vscode.workspace.workspaceFolders ?? []) {
      const uris = await this.find(folder, token);
      const read = await runPool(uris, 8, uri => this.read(folder, uri));
      for (const r of read) {
        if (r.status === 'fulfilled' && r.value) {
          found.set(r.value.uri.toString(), r.value);
        }
      }
    }
    if (generation !== this.generation || token?.isCancellationRequested) {
      return; // a later refresh is under way: it says what is there
    }
    this.entries.clear();
    found.forEach((e, k) => this.entries.set(k, e));
    this.log.info(`${found.size} expected file(s) in the workspace`);
    this.fire();
  }

  all(): ExpectedEntry[] {
    return [...this.entries.values()];
  }

  get(uri: vscode.Uri | string): ExpectedEntry | undefined {
    return this.entries.get(typeof uri === 'string' ? uri : uri.toString());
  }

  /** Reads one expected file again (after it was written here, before the watcher says so). */
  async reread(uri: vscode.Uri): Promise<ExpectedEntry | undefined> {
    const folder = vscode.workspace.getWorkspaceFolder(uri);
    const path = folder && relativeIn(folder, uri);
    const entry = folder && path && this.wanted(folder, path) ? await this.read(folder, uri) : undefined;
    if (entry) {
      this.entries.set(uri.toString(), entry);
    } else {
      this.entries.delete(uri.toString());
    }
    this.fire();
    return entry;
  }

  private forget(uri: vscode.Uri): void {
    if (this.entries.delete(uri.toString())) {
      this.fire();
    }
  }

  private fire(): void {
    this.fireTimer ??= setTimeout(() => {
      this.fireTimer = undefined;
      this.changed.fire();
    }, 100);
  }

  /** Whether a path of the folder is where its expected files are looked for. */
  private wanted(folder: vscode.WorkspaceFolder, path: string): boolean {
    const { settings: s } = expectedSettings(folder.uri);
    const rules = excludeRules(settings.filesExclude(folder.uri), settings.batchExclude(folder.uri));
    return (
      isExpectedFileName(path.slice(path.lastIndexOf('/') + 1)) &&
      (!s.folder || path.startsWith(`${s.folder}/`)) &&
      !rules.excludes(path)
    );
  }

  private async find(folder: vscode.WorkspaceFolder, token?: vscode.CancellationToken): Promise<vscode.Uri[]> {
    const { settings: s } = expectedSettings(folder.uri);
    const rules = excludeRules(settings.filesExclude(folder.uri), settings.batchExclude(folder.uri));
    const glob = `${s.folder ? `${escapeGlob(s.folder)}/` : ''}**/*${EXPECTED_SUFFIX}`;
    const found = await vscode.workspace.findFiles(
      new vscode.RelativePattern(folder, glob),
      searchExcludeGlob(rules.patterns) ?? null,
      undefined,
      token,
    );
    return found.filter(u => {
      const rel = relativeIn(folder, u);
      return rel !== undefined && !rules.excludes(rel);
    });
  }

  /** The entry of one file; undefined when it is not an expected result of ours (another tool's file). */
  private async read(folder: vscode.WorkspaceFolder, uri: vscode.Uri): Promise<ExpectedEntry | undefined> {
    const path = relativeIn(folder, uri);
    if (!path) {
      return undefined;
    }
    const entry: ExpectedEntry = { uri, folder, path };
    let text: string;
    try {
      text = new TextDecoder().decode(await vscode.workspace.fs.readFile(uri));
    } catch {
      return undefined; // gone meanwhile
    }
    try {
      const parsed = parseExpected(text);
      entry.stepId = parsed.stepId;
      const { settings: s } = expectedSettings(folder.uri);
      const document = documentPathFor(path, parsed.stepId, s.folder);
      if (document === undefined) {
        entry.problem = { kind: 'misnamed' };
      } else {
        entry.document = document;
        entry.documentUri = vscode.Uri.joinPath(folder.uri, ...document.split('/'));
      }
    } catch (e) {
      if (!(e instanceof ExpectedFileError)) {
        throw e;
      }
      // Another tool's `*.expected.json` is none of ours; JSON that does not parse may be ours, damaged
      // (a merge conflict): it is listed, with why it cannot be used.
      if (/no "docutrayExpected"|not a JSON object/.test(e.message)) {
        return undefined;
      }
      entry.problem = { kind: 'invalid', message: e.message };
    }
    return entry;
  }

  dispose(): void {
    clearTimeout(this.fireTimer);
    this.subscriptions.forEach(s => s.dispose());
  }
}
