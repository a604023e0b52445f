import vscode = require('vscode');
import { l10n } from 'vscode';
import { askInput } from '../ask';
import type { StepDefinition } from '../core/runs/steps';
import { SUPPORTED_EXTENSIONS, SUPPORTED_LABELS } from '../core/documents/mime';
import { activeFile, fileName, selectEligible } from '../documents/documentSource';
import { RunOutcome, RunTarget, fileTarget, urlTarget } from '../runs/runTargets';
import { plainText } from '../core/text/plainText';
import { offerToSaveStepName } from '../runs/stepNaming';
import type { Services } from '../services';
import { InvalidInputError } from '../core/api/errors';
import { ensureApiKey } from '../api/apiKey';
import { confirmRuns, runFilesAsBatch, runStepOnFolder } from '../batches/batchCommands';
import type { BatchRecord } from '../core/batches/record';

/** Arguments a keybinding or another extension may pass instead of explorer URIs. */
export interface RunStepArgs {
  stepId?: string;
  uris?: vscode.Uri[];
  url?: string;
  /** A folder: every document under it, as one batch. */
  folder?: vscode.Uri;
  /** Run `uris` as one batch (as the explorer's multi-selection does) instead of separate runs. */
  batch?: boolean;
}

async function isFolder(uri: vscode.Uri): Promise<boolean> {
  try {
    return ((await vscode.workspace.fs.stat(uri)).type & vscode.FileType.Directory) !== 0;
  } catch {
    return false;
  }
}

function asArgs(arg: unknown): RunStepArgs | undefined {
  return arg && typeof arg === 'object' && !(arg instanceof vscode.Uri) && !Array.isArray(arg)
    ? (arg as RunStepArgs)
    : undefined;
}

/**
 * `docutray.runStep`: from the explorer (clicked file + selection), the editor title (its file), the
 * palette (the active editor's file, else an open dialog), or a keybinding with `{ stepId, uris }`.
 */
export async function runStep(
  s: Services,
  arg0?: unknown,
  arg1?: unknown,
): Promise<RunOutcome[] | BatchRecord | undefined> {
  const args = asArgs(arg0);
  if (args?.folder) {
    return runStepOnFolder(s, args.folder, args.stepId);
  }
  // The explorer: a folder runs on every document under it (one folder clicked, nothing else selected).
  const selection = Array.isArray(arg1) ? arg1.filter((u): u is vscode.Uri => u instanceof vscode.Uri) : [];
  if (arg0 instanceof vscode.Uri && selection.length <= 1 && (await isFolder(arg0))) {
    return runStepOnFolder(s, arg0);
  }
  let candidates: vscode.Uri[];
  if (args?.uris?.length) {
    candidates = args.uris;
  } else if (Array.isArray(arg1) && arg1.length) {
    candidates = arg1.filter((u): u is vscode.Uri => u instanceof vscode.Uri);
  } else if (arg0 instanceof vscode.Uri) {
    candidates = [arg0];
  } else {
    const active = activeFile();
    const activeSelection = active ? await selectEligible([active]) : undefined;
    candidates = activeSelection?.eligible.length ? activeSelection.eligible : await askForFiles();
  }
  if (!candidates.length) {
    return undefined;
  }
  const { eligible, skipped } = await selectEligible(candidates);
  if (skipped.length) {
    const names = skipped.map(u => plainText(fileName(u))).join(', ');
    const formats = SUPPORTED_LABELS.join(', ');
    void vscode.window.showWarningMessage(
      eligible.length
        ? l10n.t('Skipped {0}: DocuTray accepts {1} only.', names, formats)
        : l10n.t('DocuTray accepts {0} only; nothing to run on {1}.', formats, names),
    );
  }
  if (!eligible.length) {
    return undefined;
  }
  if (!(await ensureApiKey(s))) {
    return undefined;
  }
  const title =
    eligible.length === 1
      ? l10n.t('Run a DocuTray step on {0}', fileName(eligible[0]))
      : l10n.t('Run a DocuTray step on {0} documents', eligible.length);
  const step = await s.steps.choose(args?.stepId, title);
  if (!step) {
    return undefined;
  }
  // Several files picked together in the explorer are one batch; a single file is a single run (never skipped).
  if (eligible.length > 1 && (args?.batch || selection.length > 1)) {
    return runFilesAsBatch(s, eligible, step);
  }
  if (eligible.length > 1 && !(await confirmRuns(s, eligible, step))) {
    return undefined;
  }
  return runAndOfferName(s, eligible.map(fileTarget), step);
}

/** Runs, then offers to save the name DocuTray gave a step id typed by hand (not awaited). */
async function runAndOfferName(s: Services, targets: RunTarget[], step: StepDefinition): Promise<RunOutcome[]> {
  const outcomes = await s.runs.run(targets, step);
  void offerToSaveStepName(step, outcomes).catch(e => s.errors.report(e, 'save step name'));
  return outcomes;
}

async function askForFiles(): Promise<vscode.Uri[]> {
  const picked = await vscode.window.showOpenDialog({
    canSelectMany: true,
    canSelectFiles: true,
    canSelectFolders: false,
    openLabel: l10n.t('Run DocuTray Step'),
    defaultUri: vscode.workspace.workspaceFolders?.[0]?.uri,
    filters: { [l10n.t('PDFs and images')]: SUPPORTED_EXTENSIONS },
  });
  return picked ?? [];
}

export function validateDocumentUrl(value: string): string | undefined {
  try {
    const u = new URL(value.trim());
    return u.protocol === 'http:' || u.protocol === 'https:'
      ? undefined
      : l10n.t('Only http and https URLs can be processed.');
  } catch {
    return l10n.t('Enter the URL of a PDF or image, like https://example.com/invoice.pdf');
  }
}

/** `docutray.runStepOnUrl`: DocuTray fetches the document itself; nothing is downloaded here. */
export async function runStepOnUrl(s: Services, arg0?: unknown): Promise<RunOutcome[] | undefined> {
  const args = asArgs(arg0);
  const url =
    args?.url ??
    (
      await askInput({
        title: l10n.t('Run a DocuTray step on a URL'),
        prompt: l10n.t('The http(s) URL of a PDF or image. DocuTray downloads it itself.'),
        placeHolder: 'https://example.com/invoice.pdf',
        ignoreFocusOut: true,
        validateInput: validateDocumentUrl,
      })
    )?.trim();
  if (!url) {
    return undefined;
  }
  const problem = validateDocumentUrl(url);
  if (problem) {
    throw new InvalidInputError('badUrl', problem);
  }
  if (!(await ensureApiKey(s))) {
    return undefined;
  }
  const target = urlTarget(url);
  const step = await s.steps.choose(args?.stepId, l10n.t('Run a DocuTray step on {0}', target.name));
  if (!step) {
    return undefined;
  }
  return runAndOfferName(s, [target], step);
}
