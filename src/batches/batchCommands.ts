import vscode = require('vscode');
import { l10n } from 'vscode';
import { sha256OfFile } from '../core/documents/hash';
import { SUPPORTED_EXTENSIONS, isSupportedFileName } from '../core/documents/mime';
import { documentGlob, excludeRules, searchExcludeGlob } from '../core/batches/folder';
import { type BatchRecord, type BatchScope, estimateBatch } from '../core/batches/record';
import { type SkipDecision, applySkipAnswer, buildDoneIndex, decideSkips } from '../core/batches/skip';
import { recentDurations } from '../core/runs/history';
import { durationModel } from '../core/polling/planner';
import { runPool } from '../core/async/pool';
import type { StepDefinition } from '../core/runs/steps';
import { plainText } from '../core/text/plainText';
import { documentUri, fileName } from '../documents/documentSource';
import type { KeyServices } from '../api/apiKey';
import type { StepPicker } from '../runs/stepPicker';
import type { RunService } from '../runs/runService';
import type { BatchService } from './batchService';
import * as settings from '../settings';
import { ensureApiKey } from '../api/apiKey';
import { isBatchNode } from './batchNode';
import { listNames } from './batchMessages';
import { pageCounts, pagesText } from '../documents/pages';
import { totalPages } from '../core/documents/pageCount';

/** What the batch commands use: the key (asked for when missing), the runs, the batches and the step picker. */
interface Deps extends KeyServices {
  runs: RunService;
  batches: BatchService;
  steps: StepPicker;
}

/** How many documents are hashed at once before a batch (streamed, 1 MiB at a time each). */
const HASH_CONCURRENCY = 4;

/** Options a keybinding, another extension or a test may pass. */
export interface BatchArgs {
  stepId?: string;
  folder?: vscode.Uri;
}

/**
 * Every PDF and image under `folder`, leaving out what `files.exclude` (the patterns set to true) and
 * `docutray.batch.exclude` name — every pattern, braces included (core/batches/folder.ts). `unusable`: the
 * patterns that could not be read, for the confirmation to name.
 */
export async function findDocuments(
  folder: vscode.Uri,
  token?: vscode.CancellationToken,
): Promise<{ uris: vscode.Uri[]; unusable: string[] }> {
  const rules = excludeRules(settings.filesExclude(folder), settings.batchExclude(folder));
  const exclude = searchExcludeGlob(rules.patterns);
  // The exclude is matched against paths relative to the include's base: search from the workspace folder
  // (its subfolder as a prefix) so workspace-relative patterns of files.exclude apply.
  const root = vscode.workspace.getWorkspaceFolder(folder);
  const sub = root ? vscode.workspace.asRelativePath(folder, false) : '';
  const fromRoot = root && sub && sub !== folder.fsPath && folder.toString() !== root.uri.toString();
  const include = fromRoot
    ? new vscode.RelativePattern(root, `${escapeGlob(sub)}/${documentGlob(SUPPORTED_EXTENSIONS)}`)
    : new vscode.RelativePattern(folder, documentGlob(SUPPORTED_EXTENSIONS));
  const found = await vscode.workspace.findFiles(include, exclude ?? null, undefined, token);
  const base = root?.uri ?? folder;
  const uris = found
    .filter(u => isSupportedFileName(fileName(u)))
    // The search could not take every pattern (a comma in one, say): every document is matched against all.
    .filter(u => !rules.excludes(relativeTo(base, u)))
    .sort((a, b) => a.path.localeCompare(b.path));
  return { uris, unusable: rules.unusable };
}

function relativeTo(base: vscode.Uri, uri: vscode.Uri): string {
  const prefix = base.path.endsWith('/') ? base.path : `${base.path}/`;
  return uri.path.startsWith(prefix) ? uri.path.slice(prefix.length) : uri.path.replace(/^\//, '');
}

/** A path as a glob that matches only itself (glob characters in folder names taken literally). */
function escapeGlob(path: string): string {
  return path.replace(/[[\]{}*?]/g, c => `[${c}]`);
}

/** `docutray.runStepOnWorkspace`: the workspace folder (picked when there are several) as a batch. */
export async function runStepOnWorkspace(s: Deps, arg0?: unknown): Promise<BatchRecord | undefined> {
  const args = (arg0 && typeof arg0 === 'object' && !(arg0 instanceof vscode.Uri) ? arg0 : {}) as BatchArgs;
  let folder = args.folder ?? (arg0 instanceof vscode.Uri ? arg0 : undefined);
  if (!folder) {
    const folders = vscode.workspace.workspaceFolders ?? [];
    if (!folders.length) {
      void vscode.window.showInformationMessage(l10n.t('DocuTray: open a folder to run a step on its documents.'));
      return undefined;
    }
    folder =
      folders.length === 1
        ? folders[0].uri
        : (await vscode.window.showWorkspaceFolderPick({ placeHolder: l10n.t('Run a DocuTray step on which folder?') }))
            ?.uri;
  }
  return folder ? runStepOnFolder(s, folder, args.stepId) : undefined;
}

/** A folder from the explorer (or the workspace): every document under it, as one batch, after one question. */
export async function runStepOnFolder(s: Deps, folder: vscode.Uri, stepId?: string): Promise<BatchRecord | undefined> {
  if (!(await ensureApiKey(s))) {
    return undefined;
  }
  const { uris, unusable } = await findDocuments(folder);
  const where = folderLabel(folder);
  if (!uris.length) {
    void vscode.window.showInformationMessage(
      l10n.t(
        'DocuTray: no PDFs or images in {0} (files.exclude and docutray.batch.exclude leave some out).',
        plainText(where),
      ),
    );
    return undefined;
  }
  const step = await s.steps.choose(
    stepId,
    uris.length === 1
      ? l10n.t('Run a DocuTray step on 1 document in {0}', where)
      : l10n.t('Run a DocuTray step on {0} documents in {1}', uris.length, where),
  );
  if (!step) {
    return undefined;
  }
  const scope: BatchScope = { kind: 'folder', uri: folder.toString(), label: where };
  return prepareAndRun(s, step, uris, scope, { unusable });
}

/** Several files picked together (the explorer's multi-selection): one batch, after the same one question. */
export async function runFilesAsBatch(
  s: Deps,
  uris: vscode.Uri[],
  step: StepDefinition,
): Promise<BatchRecord | undefined> {
  return prepareAndRun(s, step, uris, { kind: 'files', count: uris.length }, { unusable: [] });
}

/** Before separate runs on several documents (a keybinding's `uris`, files picked in a dialog): the same question. */
export async function confirmRuns(s: Deps, uris: readonly vscode.Uri[], step: StepDefinition): Promise<boolean> {
  const all = { run: uris.map(u => u.toString()), skip: [], alreadyDone: [], needsAnswer: false };
  return !!(await askOnce(s, step, uris, all, { kind: 'files', count: uris.length }, { unusable: [] }));
}

/** `invoices/` (workspace-relative), or the folder's name. */
function folderLabel(folder: vscode.Uri): string {
  // The workspace folder's name only when there are several (the API's default).
  const rel = vscode.workspace.asRelativePath(folder);
  const label = rel && rel !== folder.fsPath ? rel : fileName(folder);
  return label.endsWith('/') ? label : `${label}/`;
}

/**
 * Reads (hashes) the documents, applies the skip rule, asks one question that counts what will be sent,
 * then runs the batch. Nothing to send ends with a message and no batch.
 */
async function prepareAndRun(
  s: Deps,
  step: StepDefinition,
  uris: vscode.Uri[],
  scope: BatchScope,
  opts: { unusable: string[] },
): Promise<BatchRecord | undefined> {
  const hashes = await hashAll(uris);
  if (!hashes) {
    return undefined; // cancelled while reading
  }
  const decision = await skipRule(s, step, uris, hashes, scope);
  const answer = await askOnce(s, step, uris, decision, scope, opts);
  if (!answer) {
    return undefined;
  }
  const send = answer.run.length;
  if (send === 0) {
    void vscode.window.showInformationMessage(
      l10n.t(
        'DocuTray: all {0} documents were already processed by {1}: nothing to send. Their results are in the Runs view.',
        uris.length,
        plainText(step.name),
      ),
    );
    return undefined;
  }
  return s.batches.run({
    step,
    scope,
    files: uris.map(uri => ({ uri, label: vscode.workspace.asRelativePath(uri, false) })),
    skip: answer,
  });
}

/** How long hashing may take before its cancellable notification shows (a few documents never flash one). */
const HASH_QUIET_MS = 500;

/**
 * SHA-256 of each `file:` document (others stay unhashed and simply run), a few at a time; undefined when
 * cancelled. A notification with Cancel shows only when it takes longer than a moment.
 */
async function hashAll(uris: vscode.Uri[]): Promise<(string | undefined)[] | undefined> {
  const abort = new AbortController();
  let done = 0;
  let report: (message: string) => void = () => undefined;
  const hashing = runPool(uris, HASH_CONCURRENCY, async uri => {
    const h =
      uri.scheme === 'file' && !abort.signal.aborted
        ? await sha256OfFile(uri.fsPath, { signal: abort.signal }).catch(() => undefined)
        : undefined;
    if (++done % 10 === 0) {
      report(l10n.t('{0} of {1} read', done, uris.length));
    }
    return h;
  });
  const quick = await Promise.race([
    hashing.then(() => true),
    new Promise<false>(r => setTimeout(() => r(false), HASH_QUIET_MS)),
  ]);
  if (!quick) {
    await vscode.window.withProgress(
      {
        location: vscode.ProgressLocation.Notification,
        title: l10n.t('DocuTray: reading {0} documents', uris.length),
        cancellable: true,
      },
      async (progress, token) => {
        report = message => progress.report({ message });
        const sub = token.onCancellationRequested(() => abort.abort());
        try {
          await hashing;
        } finally {
          sub.dispose();
        }
      },
    );
  }
  const settled = await hashing;
  return abort.signal.aborted ? undefined : settled.map(r => (r.status === 'fulfilled' ? r.value : undefined));
}

/** The skip rule: documents this step already processed (same SHA-256, a SUCCESS). */
async function skipRule(
  s: Deps,
  step: StepDefinition,
  uris: vscode.Uri[],
  hashes: (string | undefined)[],
  scope: BatchScope,
): Promise<SkipDecision> {
  const runs = await s.runs.history.all();
  const index = buildDoneIndex(
    runs
      .filter(r => r.sha256 && r.executionId)
      .map(r => ({
        sha256: r.sha256 as string,
        stepId: r.stepId,
        executionId: r.executionId as string,
        status: r.state,
        finishedAt: r.finishedAt,
        runId: r.id,
      })),
  );
  const where = (scope.kind === 'folder' ? documentUri(scope.uri) : undefined) ?? uris[0];
  return decideSkips(
    uris.map((uri, i) => ({ uri: uri.toString(), sha256: hashes[i] })),
    step.id,
    index,
    settings.batchReprocess(where),
  );
}

/**
 * The one question before a batch, in the pages DocuTray bills (requests only as the time they take): "Run
 * Invoice on invoices/? 24 documents, 20 already processed by Invoice." — Skip Them (4 to send, 5 pages) /
 * Process All 24; or "Run Invoice on invoices/? 24 documents: DocuTray bills 31 pages." — Run. Every run
 * over several documents is asked, a selection of files too. Undefined: cancelled.
 */
async function askOnce(
  s: Deps,
  step: StepDefinition,
  uris: readonly vscode.Uri[],
  decision: SkipDecision,
  scope: BatchScope,
  opts: { unusable: string[] },
): Promise<SkipDecision | undefined> {
  const total = uris.length;
  const name = plainText(step.name);
  const subject = plainText(scope.kind === 'folder' ? scope.label : filesSubject(uris));
  const estimate = await estimator(s, step);
  const counts = await pageCounts(uris);
  const pagesOf = (sent: readonly string[]) => {
    const keep = new Set(sent);
    return pagesText(totalPages(counts.filter((_, i) => keep.has(uris[i].toString()))));
  };
  const unusable = opts.unusable.length
    ? l10n.t('These exclude patterns could not be read and exclude nothing: {0}.', listNames(opts.unusable, 10))
    : undefined;
  if (decision.needsAnswer) {
    const skipped = applySkipAnswer(decision, 'skip');
    const toSend = skipped.run.length;
    const skip =
      toSend === 0
        ? l10n.t('Skip Them (nothing to send)')
        : l10n.t('Skip Them ({0} to send, {1})', toSend, pagesOf(skipped.run));
    const all = l10n.t('Process All {0}', total);
    const answer = await vscode.window.showInformationMessage(
      l10n.t(
        'Run {0} on {1}? {2} documents, {3} already processed by {0}.',
        name,
        subject,
        total,
        decision.alreadyDone.length,
      ),
      {
        modal: true,
        detail: [
          l10n.t('Skipped documents reuse their earlier results. Processing them again is billed again.'),
          l10n.t('Processing all: DocuTray bills {0}.', pagesOf(decision.run)),
          roughly(estimate(total)),
          unusable,
        ]
          .filter(Boolean)
          .join('\n'),
      },
      skip,
      all,
    );
    return answer === skip ? skipped : answer === all ? applySkipAnswer(decision, 'reprocess') : undefined;
  }
  const toSend = decision.run.length;
  if (toSend === 0) {
    return decision; // nothing to ask about: the caller says so
  }
  const head =
    decision.skip.length > 0
      ? l10n.t(
          'Run {0} on {1}? {2} documents, {3} already processed (skipped): {4} to send, DocuTray bills {5}.',
          name,
          subject,
          total,
          decision.skip.length,
          toSend,
          pagesOf(decision.run),
        )
      : toSend === 1
        ? l10n.t('Run {0} on {1}? 1 document: DocuTray bills {2}.', name, subject, pagesOf(decision.run))
        : l10n.t('Run {0} on {1}? {2} documents: DocuTray bills {3}.', name, subject, toSend, pagesOf(decision.run));
  const detail = [roughly(estimate(toSend)), unusable].filter(Boolean).join('\n');
  const run = l10n.t('Run');
  const answer = await vscode.window.showInformationMessage(head, { modal: true, ...(detail ? { detail } : {}) }, run);
  return answer === run ? decision : undefined;
}

/** "Roughly 8 s at DocuTray's current rate limit." (how long the requests take; they are not billed). */
function roughly(time: string | undefined): string | undefined {
  return time ? l10n.t("Roughly {0} at DocuTray's current rate limit.", time) : undefined;
}

/** A selection of files, as a question and the Runs view name it: "sample.pdf", "sample.pdf + 1 more". */
export function filesSubject(uris: readonly vscode.Uri[]): string {
  const first = uris.length ? fileName(uris[0]) : '';
  return uris.length > 1 ? l10n.t('{0} + {1} more', first, uris.length - 1) : first;
}

/** Rough time N documents take at the key's current limit ("8 s", "3 min"; undefined while the limit is not known). */
async function estimator(s: Deps, step: StepDefinition): Promise<(n: number) => string | undefined> {
  const budget = await s.clients.currentBudget();
  const state = budget?.state();
  const median = durationModel(recentDurations(await s.runs.history.all(), step.id))?.medianMs;
  return n => {
    const est = estimateBatch(n, state && state.source !== 'default' ? state : undefined, median);
    if (est.durationMs === undefined) {
      return undefined;
    }
    return est.durationMs < 60_000
      ? l10n.t('{0} s', Math.max(1, Math.ceil(est.durationMs / 1000)))
      : l10n.t('{0} min', Math.round(est.durationMs / 60_000));
  };
}

function batchIdOf(arg: unknown): string | undefined {
  if (isBatchNode(arg)) {
    return arg.batch.id;
  }
  return typeof arg === 'string' ? arg : undefined;
}

function requireBatchId(arg: unknown): string {
  const id = batchIdOf(arg);
  if (!id) {
    throw new Error(l10n.t('Pick a batch in the DocuTray Runs view.'));
  }
  return id;
}

/** `docutray.batches.cancel` on a batch node (or its id); without one, every batch this window drives. */
export function cancelBatchCommand(s: Deps, arg: unknown): boolean {
  const id = batchIdOf(arg);
  return id ? s.batches.cancel(id) : s.batches.cancelAll() > 0;
}

/** `docutray.batches.resume` on a batch node (or its id). */
export async function resumeBatchCommand(s: Deps, arg: unknown): Promise<boolean> {
  const id = requireBatchId(arg);
  if (!(await ensureApiKey(s))) {
    return false;
  }
  return s.batches.resumeBatch(id);
}

/** `docutray.batches.review`: the documents that may have started, to send again only after a modal. */
export async function reviewBatchCommand(s: Deps, arg: unknown): Promise<number> {
  const id = requireBatchId(arg);
  if (!(await ensureApiKey(s))) {
    return 0;
  }
  return s.batches.review(id);
}

/** `docutray.batches.retryFailed`: what failed for a passing reason runs again (never a step's own ERROR). */
export async function retryFailedCommand(s: Deps, arg: unknown): Promise<BatchRecord | undefined> {
  const id = requireBatchId(arg);
  if (!(await ensureApiKey(s))) {
    return undefined;
  }
  return s.batches.retryFailed(id);
}

/** `docutray.batches.revealFolder`: the folder a batch ran on, in the explorer. */
export async function revealBatchFolder(_s: Deps, arg: unknown): Promise<void> {
  const batch = isBatchNode(arg) ? arg.batch : undefined;
  const folder = batch?.scope?.kind === 'folder' ? documentUri(batch.scope.uri) : undefined;
  if (!folder) {
    throw new Error(l10n.t('This batch did not run on a folder.'));
  }
  await vscode.commands.executeCommand('revealInExplorer', folder);
}
