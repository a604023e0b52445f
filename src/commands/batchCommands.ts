import vscode = require('vscode');
import { l10n } from 'vscode';
import { sha256OfFile } from '../core/documents/hash';
import { SUPPORTED_EXTENSIONS, isSupportedFileName } from '../core/documents/mime';
import { estimateBatch } from '../core/runs/batch';
import { StoredBatch, buildExcludeGlob, documentGlob } from '../core/runs/batchFiles';
import { recentDurations } from '../core/runs/history';
import { durationModel } from '../core/polling/planner';
import { SkipDecision, applySkipAnswer, buildDoneIndex, decideSkips } from '../core/runs/skip';
import type { StepDefinition } from '../core/runs/steps';
import { plainText } from '../core/text/plainText';
import { fileName } from '../runs/documentSource';
import { isBatchNode } from '../runs/batchNode';
import type { Services } from '../services';
import * as settings from '../settings';
import { ensureApiKey } from './apiKey';

/** How many documents are hashed at once before a batch (streamed, 1 MiB at a time each). */
const HASH_CONCURRENCY = 4;

/** Options a keybinding, another extension or a test may pass. */
export interface BatchArgs {
  stepId?: string;
  folder?: vscode.Uri;
}

/**
 * Every PDF and image under `folder`, leaving out `files.exclude` (the patterns set to true) and
 * `docutray.batch.exclude`: one exclude glob, since passing one to findFiles switches files.exclude off.
 */
export async function findDocuments(folder: vscode.Uri, token?: vscode.CancellationToken): Promise<vscode.Uri[]> {
  const exclude = buildExcludeGlob(settings.filesExclude(folder), settings.batchExclude(folder));
  // The exclude is matched against paths relative to the include's base: search from the workspace
  // folder (its subfolder as a prefix) so workspace-relative patterns of files.exclude apply.
  const root = vscode.workspace.getWorkspaceFolder(folder);
  const sub = root ? vscode.workspace.asRelativePath(folder, false) : '';
  const include =
    root && sub && sub !== folder.fsPath && folder.toString() !== root.uri.toString()
      ? new vscode.RelativePattern(root, `${escapeGlob(sub)}/${documentGlob(SUPPORTED_EXTENSIONS)}`)
      : new vscode.RelativePattern(folder, documentGlob(SUPPORTED_EXTENSIONS));
  const found = await vscode.workspace.findFiles(include, exclude ?? null, undefined, token);
  return found.filter(u => isSupportedFileName(fileName(u))).sort((a, b) => a.path.localeCompare(b.path));
}

/** A path as a glob that matches only itself (glob characters in folder names taken literally). */
function escapeGlob(path: string): string {
  return path.replace(/[[\]{}*?]/g, c => `[${c}]`);
}

/** `docutray.runStepOnWorkspace`: the workspace folder (picked when there are several) as a batch. */
export async function runStepOnWorkspace(s: Services, arg0?: unknown): Promise<StoredBatch | undefined> {
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

/** A folder from the explorer (or the workspace): every document under it, as one batch. */
export async function runStepOnFolder(
  s: Services,
  folder: vscode.Uri,
  stepId?: string,
): Promise<StoredBatch | undefined> {
  if (!(await ensureApiKey(s))) {
    return undefined;
  }
  const uris = await findDocuments(folder);
  const where = vscode.workspace.asRelativePath(folder, true) || fileName(folder);
  if (!uris.length) {
    void vscode.window.showInformationMessage(
      l10n.t(
        'DocuTray: no PDFs or images in {0} (files.exclude and docutray.batch.exclude leave some out).',
        plainText(where),
      ),
    );
    return undefined;
  }
  const step = await chooseStep(s, stepId, l10n.t('Run a DocuTray step on {0} documents in {1}', uris.length, where));
  if (!step || !(await confirmBatch(s, step, uris.length))) {
    return undefined;
  }
  return runAsBatch(s, step, uris, folder);
}

/** Several files picked together (the explorer's multi-selection): one batch, no confirmation. */
export async function runFilesAsBatch(
  s: Services,
  uris: vscode.Uri[],
  step: StepDefinition,
): Promise<StoredBatch | undefined> {
  return runAsBatch(s, step, uris, uris[0]);
}

async function chooseStep(s: Services, stepId: string | undefined, title: string): Promise<StepDefinition | undefined> {
  if (stepId) {
    return settings.steps().steps.find(step => step.id === stepId) ?? { id: stepId, name: stepId };
  }
  return s.steps.pick(title);
}

/** "Run {step} on 120 documents? About 264 requests, roughly 4 min at the current limit." */
async function confirmBatch(s: Services, step: StepDefinition, n: number): Promise<boolean> {
  const budget = await s.clients.currentBudget();
  const state = budget?.state();
  const median = durationModel(recentDurations(await s.runs.history.all(), step.id))?.medianMs;
  const est = estimateBatch(n, state?.source === 'server' ? state : undefined, median);
  const name = plainText(step.name);
  const message =
    est.durationMs === undefined
      ? l10n.t(
          'Run {0} on {1} documents? About {2} requests. The rate limit is not known yet, so neither is how long it takes.',
          name,
          n,
          est.requests,
        )
      : l10n.t(
          'Run {0} on {1} documents? About {2} requests, roughly {3} at the current limit.',
          name,
          n,
          est.requests,
          est.durationMs < 60_000
            ? l10n.t('{0} s', Math.max(1, Math.ceil(est.durationMs / 1000)))
            : l10n.t('{0} min', Math.round(est.durationMs / 60_000)),
        );
  const run = l10n.t('Run');
  return (await vscode.window.showInformationMessage(message, { modal: true }, run)) === run;
}

/** Hashes and applies the skip rule (asking when `docutray.batch.reprocess` says so) inside the batch's notification, then runs it. */
async function runAsBatch(
  s: Services,
  step: StepDefinition,
  uris: vscode.Uri[],
  scope: vscode.Uri,
): Promise<StoredBatch | undefined> {
  return s.batches.load().run({
    step,
    files: uris.map(uri => ({ uri, label: vscode.workspace.asRelativePath(uri, false) })),
    prepare: async (report, signal) => {
      const hashes = await hashAll(uris, report, signal);
      if (!hashes) {
        return undefined; // cancelled
      }
      const skip = await decide(
        s,
        step,
        uris.map((uri, i) => ({ uri, sha256: hashes[i] })),
        scope,
      );
      return skip && { hashes, skip };
    },
  });
}

/** SHA-256 of each file (`file:` only; others stay unhashed and simply run), a few at a time; undefined when cancelled. */
async function hashAll(
  uris: vscode.Uri[],
  report: (message: string) => void,
  signal: AbortSignal,
): Promise<(string | undefined)[] | undefined> {
  const hashes: (string | undefined)[] = new Array(uris.length);
  let next = 0;
  let done = 0;
  report(l10n.t('reading {0} documents', uris.length));
  await Promise.all(
    Array.from({ length: Math.min(HASH_CONCURRENCY, uris.length) }, async () => {
      while (next < uris.length && !signal.aborted) {
        const i = next++;
        const uri = uris[i];
        hashes[i] =
          uri.scheme === 'file' ? await sha256OfFile(uri.fsPath, { signal }).catch(() => undefined) : undefined;
        done++;
        if (done % 10 === 0 || done === uris.length) {
          report(l10n.t('{0} of {1} read', done, uris.length));
        }
      }
    }),
  );
  return signal.aborted ? undefined : hashes;
}

/** The skip rule: files this step already processed (same SHA-256, a SUCCESS) are skipped, run, or asked about. */
async function decide(
  s: Services,
  step: StepDefinition,
  files: { uri: vscode.Uri; sha256?: string }[],
  scope: vscode.Uri,
): Promise<SkipDecision | undefined> {
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
  const decision = decideSkips(
    files.map(f => ({ uri: f.uri.toString(), sha256: f.sha256 })),
    step.id,
    index,
    settings.batchReprocess(scope),
  );
  if (!decision.needsAnswer) {
    return decision;
  }
  const skip = l10n.t('Skip');
  const again = l10n.t('Process Again');
  const answer = await vscode.window.showInformationMessage(
    l10n.t('{0} of {1} were already processed by this step — skip them?', decision.alreadyDone.length, files.length),
    {
      modal: true,
      detail: l10n.t('Skipped documents reuse their earlier results. Processing them again is billed again.'),
    },
    skip,
    again,
  );
  if (answer === undefined) {
    return undefined;
  }
  return applySkipAnswer(decision, answer === skip ? 'skip' : 'reprocess');
}

function batchIdOf(arg: unknown): string | undefined {
  if (isBatchNode(arg)) {
    return arg.batch.id;
  }
  return typeof arg === 'string' ? arg : undefined;
}

/** `docutray.batches.cancel` on a batch node (or its id). */
export function cancelBatchCommand(s: Services, arg: unknown): boolean {
  const id = batchIdOf(arg);
  return id ? s.batches.load().cancel(id) : s.batches.cancelAll() > 0;
}

/** `docutray.batches.resume` on a batch node (or its id). */
export async function resumeBatchCommand(s: Services, arg: unknown): Promise<boolean> {
  const id = batchIdOf(arg);
  if (!id) {
    throw new Error(l10n.t('Pick a batch in the DocuTray Runs view.'));
  }
  if (!(await ensureApiKey(s))) {
    return false;
  }
  return s.batches.load().resumeBatch(id);
}
