import vscode = require('vscode');
import { l10n } from 'vscode';
import { type BatchRecord, documentsOf, lookupIn } from '../core/batches/record';
import { compareResults } from '../core/expected/compare';
import { compareOptionsFor } from '../core/expected/settings';
import type { StoredResult } from '../core/results/storedResult';
import type { StepDefinition } from '../core/runs/steps';
import { plainText } from '../core/text/plainText';
import { findDocuments } from '../batches/batchCommands';
import { ensureApiKey } from '../api/apiKey';
import { ResultFileSystem } from '../results/resultFileSystem';
import { fileName } from '../documents/documentSource';
import type { KeyServices } from '../api/apiKey';
import type { ErrorPresenter } from '../errorPresenter';
import type { ResultStore } from '../results/resultStore';
import type { StepPicker } from '../runs/stepPicker';
import type { RunService } from '../runs/runService';
import type { BatchService } from '../batches/batchService';
import type { ExpectedTests } from './expectedTests';
import { documentPages, pagesText } from './documents';
import { expectedSettings } from './expectedIndex';
import { differenceSummary } from './failureMessages';
import { askPick } from '../ask';

/** What comparing two steps uses: the key, both batches, their stored results and the tests' settings. */
interface Deps extends KeyServices {
  errors: ErrorPresenter;
  results: ResultStore;
  runs: RunService;
  batches: BatchService;
  steps: StepPicker;
  expected: ExpectedTests;
}

/** Options a keybinding, another extension or a test may pass. */
export interface CompareStepsArgs {
  folder?: vscode.Uri;
  /** The first step (the published one, say) and the one compared with it (its draft copy). */
  stepA?: string;
  stepB?: string;
}

/** What Compare Two Steps found, document by document (workspace-relative paths). */
export interface StepComparison {
  folder: string;
  steps: [string, string];
  same: string[];
  differ: { document: string; paths: string[] }[];
  /** Documents one step or both gave no result for (an error, a refusal, a cancel). */
  noResult: string[];
  cancelled: boolean;
  /** A step could not run (unknown, refused): both stopped, nothing was compared. */
  failed?: { step: string; message: string };
}

interface Pair {
  document: string;
  a?: StoredResult;
  b?: StoredResult;
  paths?: string[];
}

/**
 * Compare Two Steps: both steps run on every document of a folder (after one question that says how many
 * pages that bills), each document's two results are compared with the expected-results comparison and
 * its settings, and the summary ("37 same, 2 differ") offers a diff per document that differs: two
 * read-only result documents, titled with the document and both steps.
 */
export async function compareTwoSteps(s: Deps, arg0?: unknown): Promise<StepComparison | undefined> {
  const args = (arg0 && typeof arg0 === 'object' && !(arg0 instanceof vscode.Uri) ? arg0 : {}) as CompareStepsArgs;
  const folder = args.folder ?? (arg0 instanceof vscode.Uri ? arg0 : await pickFolder(s));
  if (!folder) {
    return undefined;
  }
  const where = folderLabel(folder);
  const a = await s.steps.choose(
    args.stepA,
    l10n.t('Compare two steps on {0}: the first step (the published one, say)', where),
  );
  if (!a) {
    return undefined;
  }
  const b = await s.steps.choose(
    args.stepB,
    l10n.t('Compare {0} on {1} with which step? (its draft copy, say)', a.name, where),
    a.id,
  );
  if (!b) {
    return undefined;
  }
  if (a.id === b.id) {
    throw new Error(l10n.t('Pick two different steps to compare.'));
  }
  const { uris } = await findDocuments(folder);
  if (!uris.length) {
    void vscode.window.showInformationMessage(
      l10n.t('DocuTray: no PDFs or images in {0} to compare the steps on.', plainText(where)),
    );
    return undefined;
  }
  const pages = await documentPages(uris);
  const compare = l10n.t('Compare');
  const answer = await vscode.window.showInformationMessage(
    l10n.t(
      'Compare {0} and {1} on {2}? Both steps run on each of its {3} documents: DocuTray bills {4}.',
      plainText(a.name),
      plainText(b.name),
      plainText(where),
      uris.length,
      pagesText({ pages: pages.pages * 2, exact: pages.exact }),
    ),
    {
      modal: true,
      detail: l10n.t(
        'Each step runs on every document, also on documents it processed before: {0} per step.',
        pagesText(pages),
      ),
    },
    compare,
  );
  if (answer !== compare || !(await ensureApiKey(s))) {
    return undefined;
  }
  const batches: (BatchRecord | undefined)[] = [undefined, undefined];
  const files = uris.map(uri => ({ uri, label: vscode.workspace.asRelativePath(uri, false) }));
  const { cancelled, together } = await vscode.window.withProgress(
    {
      location: vscode.ProgressLocation.Notification,
      title: l10n.t('DocuTray: comparing {0} and {1} on {2}', plainText(a.name), plainText(b.name), plainText(where)),
      cancellable: true,
    },
    async (progress, token) => {
      const report = () => {
        const lookup = lookupIn(s.runs.history.snapshot());
        const done = batches
          .flatMap(batch => (batch ? documentsOf(batch, lookup) : []))
          .filter(d => d.state === 'SUCCESS' || d.state === 'ERROR' || d.state === 'failed').length;
        progress.report({ message: l10n.t('{0} of {1} results', done, uris.length * 2) });
      };
      // Each step proves itself with one start before either sends the rest: a step that cannot run (a
      // typo, a step this key may not use) costs one start of the other, not a folder's worth.
      const result = await s.batches.runTogether(
        [a, b].map((step, i) => ({
          step,
          scope: { kind: 'folder' as const, uri: folder.toString(), label: where },
          files,
          within: {
            token,
            onChange: (batch: BatchRecord) => {
              batches[i] = batch;
              report();
            },
          },
        })),
      );
      return { cancelled: token.isCancellationRequested, together: result };
    },
  );
  together.batches.forEach((batch, i) => (batches[i] = batch));
  if (together.failed) {
    // One message, naming the step that could not run; both batches ended failed with the reason.
    const failedStep = together.failed.index === 0 ? a : b;
    s.errors.report(together.failed.error, 'compare steps', undefined, {
      subject: { document: where, step: failedStep.name },
    });
    s.log
      .scoped('compare')
      .info(`${a.id} ↔ ${b.id} on ${where}: stopped, ${failedStep.id} could not run; nothing more was sent`);
    return {
      folder: where,
      steps: [a.id, b.id],
      same: [],
      differ: [],
      noResult: files.map(f => f.label),
      cancelled,
      failed: {
        step: failedStep.id,
        message: (together.failed.error as Error)?.message ?? String(together.failed.error),
      },
    };
  }
  const pairs = await pairResults(s, files, batches, a, b);
  const comparison: StepComparison = {
    folder: where,
    steps: [a.id, b.id],
    same: pairs.filter(p => p.paths?.length === 0).map(p => p.document),
    differ: pairs.filter(p => p.paths?.length).map(p => ({ document: p.document, paths: p.paths as string[] })),
    noResult: pairs.filter(p => p.paths === undefined).map(p => p.document),
    cancelled,
  };
  s.log
    .scoped('compare')
    .info(
      `${a.id} ↔ ${b.id} on ${where}: ${comparison.same.length} same, ${comparison.differ.length} differ, ${comparison.noResult.length} without a result`,
    );
  void announce(comparison, pairs, a, b);
  return comparison;
}

/** Each document's two results, compared (paths undefined: a result is missing). */
async function pairResults(
  s: Deps,
  files: { uri: vscode.Uri; label: string }[],
  batches: (BatchRecord | undefined)[],
  a: StepDefinition,
  b: StepDefinition,
): Promise<Pair[]> {
  const lookup = lookupIn(s.runs.history.snapshot());
  const resultOf = async (batch: BatchRecord | undefined, uri: vscode.Uri) => {
    const run = batch && documentsOf(batch, lookup).find(d => d.doc.uri === uri.toString())?.run;
    return run?.state === 'SUCCESS' && run.executionId ? s.results.get(run.executionId) : undefined;
  };
  const pairs: Pair[] = [];
  for (const f of files) {
    const pair: Pair = {
      document: f.label,
      a: await resultOf(batches[0], f.uri),
      b: await resultOf(batches[1], f.uri),
    };
    if (pair.a && pair.b && pair.a.dataText === undefined && pair.b.dataText === undefined) {
      const { settings } = expectedSettings(f.uri);
      // The first step's options, then the lists matched by key for the second (a draft copy has its own id).
      const options = compareOptionsFor(settings, a.id);
      const extra = compareOptionsFor(settings, b.id).arrayKeys ?? [];
      pair.paths = compareResults(pair.a.data, pair.b.data, {
        ...options,
        arrayKeys: [...(options.arrayKeys ?? []), ...extra],
      }).map(d => d.path);
    }
    pairs.push(pair);
  }
  return pairs;
}

async function announce(c: StepComparison, pairs: Pair[], a: StepDefinition, b: StepDefinition): Promise<void> {
  const parts = [l10n.t('{0} same', c.same.length), l10n.t('{0} differ', c.differ.length)];
  if (c.noResult.length) {
    parts.push(l10n.t('{0} not compared (a step gave no result)', c.noResult.length));
  }
  const text = l10n.t(
    'DocuTray: {0} ↔ {1} on {2}: {3}.',
    plainText(a.name),
    plainText(b.name),
    plainText(c.folder),
    parts.join(', '),
  );
  const show = l10n.t('Show Differences');
  const choice = await vscode.window.showInformationMessage(text, ...(c.differ.length ? [show] : []));
  if (choice === show) {
    showDifferences(
      pairs.filter(p => p.paths?.length),
      a,
      b,
    );
  }
}

/** A list of the documents that differ; each opens the diff of its two results (the list stays open). */
function showDifferences(pairs: Pair[], a: StepDefinition, b: StepDefinition): void {
  const pick = vscode.window.createQuickPick<vscode.QuickPickItem & { pair: Pair }>();
  pick.title = l10n.t('{0} ↔ {1}: documents that differ', a.name, b.name);
  pick.ignoreFocusOut = true;
  pick.matchOnDetail = true;
  pick.items = pairs.map(pair => ({
    label: pair.document,
    detail: differenceSummary((pair.paths ?? []).map(path => ({ kind: 'changed', path, segments: [] }))),
    pair,
  }));
  pick.onDidAccept(() => {
    const chosen = pick.selectedItems[0]?.pair;
    if (chosen) {
      void openDiff(chosen, a, b);
    }
  });
  pick.onDidHide(() => pick.dispose());
  pick.show();
}

/** The diff of a document's two results: read-only result documents, titled with the document and both steps. */
function openDiff(pair: Pair, a: StepDefinition, b: StepDefinition): Thenable<unknown> {
  return vscode.commands.executeCommand(
    'vscode.diff',
    ResultFileSystem.uriFor(pair.a as StoredResult),
    ResultFileSystem.uriFor(pair.b as StoredResult),
    l10n.t('{0}: {1} ↔ {2}', pair.document, a.name, b.name),
    { preview: true, preserveFocus: true },
  );
}

/** `invoices/` (workspace-relative), or the folder's name. */
function folderLabel(folder: vscode.Uri): string {
  const rel = vscode.workspace.asRelativePath(folder);
  const label = rel && rel !== folder.fsPath ? rel : fileName(folder);
  return label.endsWith('/') ? label : `${label}/`;
}

/** The folder to compare on: the workspace folders and those holding documents with expected results first. */
async function pickFolder(s: Deps): Promise<vscode.Uri | undefined> {
  const candidates = new Map<string, vscode.Uri>();
  for (const f of vscode.workspace.workspaceFolders ?? []) {
    candidates.set(f.uri.toString(), f.uri);
  }
  await s.expected.index.ready();
  for (const e of s.expected.index.all()) {
    if (e.documentUri) {
      const dir = vscode.Uri.joinPath(e.documentUri, '..');
      candidates.set(dir.toString(), dir);
    }
  }
  const other = l10n.t('Choose a Folder…');
  const picked = await askPick(
    [
      ...[...candidates.values()].map(uri => ({ label: folderLabel(uri), uri })),
      { label: other, uri: undefined as vscode.Uri | undefined },
    ],
    { title: l10n.t('Compare two DocuTray steps on which folder?'), ignoreFocusOut: true },
  );
  if (!picked) {
    return undefined;
  }
  if (picked.uri) {
    return picked.uri;
  }
  const chosen = await vscode.window.showOpenDialog({
    canSelectFiles: false,
    canSelectFolders: true,
    canSelectMany: false,
    defaultUri: vscode.workspace.workspaceFolders?.[0]?.uri,
    openLabel: l10n.t('Compare Steps Here'),
  });
  return chosen?.[0];
}
