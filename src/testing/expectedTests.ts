import vscode = require('vscode');
import { l10n } from 'vscode';
import { documentGlob } from '../core/batches/folder';
import { SUPPORTED_EXTENSIONS } from '../core/documents/mime';
import { evaluateResult } from '../core/expected/check';
import { EXPECTED_SUFFIX, parseExpected } from '../core/expected/expectedFile';
import { compareOptionsFor } from '../core/expected/settings';
import { parseResultLocation } from '../core/results/storedResult';
import type { RunRecord } from '../core/runs/history';
import { sourceUri } from '../documents/documentSource';
import type { BatchService } from '../batches/batchService';
import type { ErrorPresenter } from '../errorPresenter';
import type { ScopedLog } from '../log';
import { RESULT_SCHEME } from '../results/resultScheme';
import type { ResultStore } from '../results/resultStore';
import type { RunHistory } from '../runs/runHistory';
import type * as CheckRun from './checkRun';
import type { CheckRunReport, LastResult } from './checkRun';
import { type ExpectedEntry, ExpectedIndex, expectedSettings, expectedUriFor } from './expectedIndex';
import { ExpectedTestTree } from './testTree';

/** What the Test Explorer's controller (made at activation, see extension.ts) calls. */
export interface TestHandlers {
  resolve(item: vscode.TestItem | undefined): Promise<void>;
  refresh(token: vscode.CancellationToken): Promise<void>;
  run(request: vscode.TestRunRequest, token: vscode.CancellationToken): Promise<void>;
}

export interface ExpectedTestsDeps {
  batches: BatchService;
  history: RunHistory;
  results: ResultStore;
  errors: ErrorPresenter;
  log: ScopedLog;
  ensureKey(): Promise<boolean>;
}

/** The context key a result editor's title menu reads: `exists`, `missing`, or '' (no Accept or Create). */
export const RESULT_EXPECTED_CONTEXT = 'docutray.resultExpected';

/**
 * Expected results in the editor: the index of expected files, the Test Explorer's tests and their runs,
 * and what Accept as Expected and Create Expected Result need (the last result of each test; which runs
 * and result editors have an expected file already).
 */
export class ExpectedTests implements vscode.Disposable {
  readonly index: ExpectedIndex;
  readonly lastResults = new Map<string, LastResult>();
  /** What the last Test Explorer run reported (for the extension's own tests). */
  lastRun: CheckRunReport | undefined;
  /** What this window last wrote into each expected file (its own write is no edit that outdates a test). */
  private readonly writtenHere = new Map<string, string>();
  private tree: ExpectedTestTree | undefined;
  private readonly didWrite = new vscode.EventEmitter<vscode.Uri>();
  /**
   * An expected file was written here. Told at once, not by a file watcher: the file is written through
   * Node, and a watcher misses a file that appears before it is ready (just after a window loads).
   */
  readonly onDidWrite = this.didWrite.event;
  private readonly subscriptions: vscode.Disposable[] = [this.didWrite];
  private indexing = false;
  private readonly changed = new vscode.EventEmitter<void>();
  /** Fires when expected files were found, added or removed: what `expectedFor` answers may have changed. */
  readonly onDidChange = this.changed.event;

  constructor(private readonly deps: ExpectedTestsDeps) {
    this.index = new ExpectedIndex(deps.log);
    this.subscriptions.push(
      this.index,
      this.changed,
      this.index.onDidChange(() => {
        this.tree?.sync();
        this.changed.fire();
        void this.updateResultContext();
      }),
      vscode.window.onDidChangeActiveTextEditor(() => void this.updateResultContext()),
    );
    void this.updateResultContext();
  }

  /** The index, looked for once (on the first question that needs it). */
  private ready(): Promise<void> {
    this.indexing = true;
    return this.index.ready();
  }

  /** Takes the Test Explorer's controller (once) and answers for it. */
  attach(controller: vscode.TestController): TestHandlers {
    if (!this.tree) {
      this.tree = new ExpectedTestTree(controller, this.index);
      const tree = this.tree;
      void this.ready().then(() => tree.sync());
      // A document that changed (or went) makes its tests' last results out of date.
      const documents = vscode.workspace.createFileSystemWatcher(documentGlob(SUPPORTED_EXTENSIONS), true);
      const outdated = (uri: vscode.Uri) => {
        const items = this.index
          .all()
          .filter(e => e.documentUri?.toString() === uri.toString())
          .map(e => tree.itemFor(e.uri))
          .filter((i): i is vscode.TestItem => !!i);
        if (items.length) {
          controller.invalidateTestResults(items);
        }
      };
      this.subscriptions.push(documents, documents.onDidChange(outdated), documents.onDidDelete(outdated));
      // An expected file edited by hand makes its test's last verdict out of date: no old green stays.
      const expectedFiles = vscode.workspace.createFileSystemWatcher(`**/*${EXPECTED_SUFFIX}`, true, false, true);
      this.subscriptions.push(
        expectedFiles,
        expectedFiles.onDidChange(async uri => {
          const text = await vscode.workspace.fs.readFile(uri).then(
            b => new TextDecoder().decode(b),
            () => undefined,
          );
          if (text !== undefined && this.writtenHere.get(uri.toString()) === text) {
            return; // Accept as Expected wrote it and settled its test already
          }
          const item = tree.itemFor(uri);
          if (item) {
            controller.invalidateTestResults(item);
            this.lastRun?.outdated.push(item.id);
            void this.updateFailuresContext();
          }
        }),
      );
    }
    const tree = this.tree;
    return {
      resolve: async () => {
        await this.ready();
        tree.sync();
      },
      refresh: async token => {
        await this.ready();
        await this.index.refresh(token);
        tree.sync();
      },
      run: async (request, token) => {
        // A search under way (the settings changed) says which tests there are.
        await this.index.settled();
        tree.sync();
        await this.deps.errors.run('check expected results', async () => {
          this.lastRun = await checkRun().runChecks(
            { ...this.deps, tree, lastResults: this.lastResults },
            request,
            token,
          );
          await this.updateFailuresContext();
        });
      },
    };
  }

  /** Whether Accept All Failures has something to accept (its menus show then). */
  async updateFailuresContext(): Promise<void> {
    await vscode.commands.executeCommand('setContext', 'docutray.expected.hasFailures', this.failedTests().length > 0);
  }

  /** The tests the last check failed with a result to accept (not a changed document, not an error). */
  failedTests(): { item: vscode.TestItem; name: string }[] {
    const failed = (this.lastRun?.tests ?? []).filter(
      t => t.state === 'failed' && this.lastResults.has(t.id) && !this.lastRun?.outdated.includes(t.id),
    );
    return failed.flatMap(t => {
      const item = this.tree?.itemFor(vscode.Uri.parse(t.id));
      const entry = item && this.entryOfTest(item);
      return item && entry ? [{ item, name: entry.document ?? entry.path }] : [];
    });
  }

  /** The entry of a document's test, when the Test Explorer lists it. */
  entryOfTest(item: vscode.TestItem): ExpectedEntry | undefined {
    return this.tree?.entryOf(item) ?? this.index.get(item.id);
  }

  /**
   * Whether a run's result could be recorded as its document's expected result, and whether one is there:
   * true (Accept as Expected), false (Create Expected Result), undefined (neither: not a workspace document).
   */
  expectedFor(run: Pick<RunRecord, 'source' | 'stepId'>): boolean | undefined {
    const uri = run.source.kind === 'workspace' ? sourceUri(run.source)?.uri : undefined;
    if (!uri) {
      return undefined;
    }
    const target = expectedUriFor(uri, run.stepId);
    if ('refused' in target) {
      return undefined;
    }
    if (!this.indexing) {
      void this.ready(); // the view is shown again once the files were looked for
    }
    return this.index.get(target.uri) !== undefined;
  }

  /** Sets the context key of the active result editor (Accept as Expected or Create Expected Result). */
  private async updateResultContext(): Promise<void> {
    const uri = vscode.window.activeTextEditor?.document.uri;
    const parsed = uri?.scheme === RESULT_SCHEME ? parseResultLocation(uri.path, uri.query) : undefined;
    let state = '';
    if (parsed?.view === 'data') {
      const result = await this.deps.results.get(parsed.executionId);
      if (result?.status === 'SUCCESS' && this.expectedFor(result) !== undefined) {
        await this.ready();
        state = this.expectedFor(result) ? 'exists' : 'missing';
      }
    }
    await vscode.commands.executeCommand('setContext', RESULT_EXPECTED_CONTEXT, state);
  }

  /**
   * After an expected file was written here: it is read again at once (not when the watcher says so), and
   * its test compares the result that was accepted with the file as written (nothing is run) — passed, so
   * the Test Explorer shows it green.
   */
  async written(uri: vscode.Uri, result: unknown, sha256: string): Promise<void> {
    this.didWrite.fire(uri);
    const entry = await this.index.reread(uri);
    this.tree?.sync();
    const item = this.tree?.itemFor(uri);
    if (!this.tree || !item || !entry?.stepId || !entry.folder) {
      return;
    }
    const text = new TextDecoder().decode(await vscode.workspace.fs.readFile(uri));
    this.writtenHere.set(uri.toString(), text);
    const verdict = evaluateResult(
      parseExpected(text, entry.stepId),
      sha256,
      result,
      compareOptionsFor(expectedSettings(entry.folder.uri).settings, entry.stepId),
    );
    const run = this.tree.controller.createTestRun(
      new vscode.TestRunRequest([item]),
      l10n.t('Recorded as expected'),
      false,
    );
    run.appendOutput(
      `${l10n.t('{0} was written; the recorded result was compared with it again (nothing was run).', entry.path)}\r\n`,
      undefined,
      item,
    );
    const last = this.lastRun?.tests.find(t => t.id === item.id);
    if (last && verdict.status === 'passed') {
      last.state = 'passed';
    }
    void this.updateFailuresContext();
    if (verdict.status === 'passed') {
      run.passed(item);
    } else {
      run.failed(item, new vscode.TestMessage(l10n.t('{0} does not hold the recorded result.', entry.path)));
    }
    run.end();
  }

  dispose(): void {
    this.subscriptions.forEach(s => s.dispose());
  }
}

/**
 * The Test Explorer's run, from its own bundle (see esbuild.mjs), loaded the first time tests run so the
 * check pipeline stays out of first use.
 */
function checkRun(): typeof CheckRun {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require('./checkRun') as typeof CheckRun;
}
