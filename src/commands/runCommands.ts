import vscode = require('vscode');
import { l10n } from 'vscode';
import { RunRecord, isInFlight, isKept } from '../core/runs/history';
import { compareCandidates } from '../core/runs/compare';
import { rerunMayDuplicate } from '../core/runs/lifecycle';
import { plainText } from '../core/text/plainText';
import { ResultFileSystem } from '../results/resultFileSystem';
import { sourceUri } from '../documents/documentSource';
import { targetFromSource } from '../runs/runTargets';
import { when } from '../core/text/when';
import { isBatchNode } from '../views/runsView';
import type { Services } from '../services';
import { saveResultCopy } from './resultCommands';
import { askPick } from '../ask';

/** A run from a view item, a result editor's URI, or the active result editor. */
async function runFrom(s: Services, arg: unknown): Promise<RunRecord | undefined> {
  if (isRunArg(arg)) {
    return s.runs.history.get(arg.id);
  }
  const uri = arg instanceof vscode.Uri ? arg : vscode.window.activeTextEditor?.document.uri;
  const parsed = uri && ResultFileSystem.parse(uri);
  return parsed ? s.runs.history.findByExecution(parsed.executionId) : undefined;
}

async function requireRun(s: Services, arg: unknown): Promise<RunRecord> {
  const run = await runFrom(s, arg);
  if (!run) {
    throw new Error(l10n.t('Pick a run in the DocuTray Runs view, or open a DocuTray result.'));
  }
  return run;
}

async function resultOf(s: Services, run: RunRecord) {
  const result = run.executionId ? await s.results.get(run.executionId) : undefined;
  if (!result) {
    throw new Error(
      run.executionId && run.state !== 'SUCCESS' && run.state !== 'ERROR'
        ? l10n.t(
            '{0} has no result yet: check its execution {1} (Check Execution).',
            plainText(run.sourceName),
            plainText(run.executionId),
          )
        : l10n.t('The result of {0} is no longer stored. Rerun it to get it again.', plainText(run.sourceName)),
    );
  }
  return result;
}

export async function openRunResult(s: Services, arg: unknown): Promise<void> {
  await s.runs.open(await resultOf(s, await requireRun(s, arg)), 'active');
}

export async function openRunSource(s: Services, arg: unknown): Promise<void> {
  const run = await requireRun(s, arg);
  const source = sourceUri(run.source);
  if (!source) {
    throw new Error(l10n.t('{0} has no source document to open.', plainText(run.sourceName)));
  }
  if (source.external) {
    await vscode.env.openExternal(source.uri);
    return;
  }
  await vscode.commands.executeCommand('vscode.open', source.uri);
}

export async function rerun(s: Services, arg: unknown, pickStep: boolean) {
  const run = await requireRun(s, arg);
  const target = targetFromSource(run.source);
  if (!target) {
    throw new Error(l10n.t('{0} has no source document to run again.', plainText(run.sourceName)));
  }
  const step = pickStep
    ? await s.steps.pick(l10n.t('Rerun {0} with another step', run.sourceName))
    : { id: run.stepId, name: run.stepName };
  if (!step) {
    return undefined;
  }
  // A run that may have started (or may still be running) is never started again with one click.
  if (rerunMayDuplicate(run) && !(await s.runs.confirmDuplicate(run))) {
    return undefined;
  }
  return s.runs.run([target], step);
}

export async function saveRunResultAs(s: Services, arg: unknown): Promise<vscode.Uri | undefined> {
  const result = await resultOf(s, await requireRun(s, arg));
  return saveResultCopy(s, ResultFileSystem.uriFor(result));
}

export async function copyExecutionId(s: Services, arg: unknown): Promise<string | undefined> {
  const run = await requireRun(s, arg);
  if (run.executionId) {
    await vscode.env.clipboard.writeText(run.executionId);
    vscode.window.setStatusBarMessage(l10n.t('Copied execution ID {0}', run.executionId), 3000);
  }
  return run.executionId;
}

function isRunArg(v: unknown): v is RunRecord {
  return !!v && typeof v === 'object' && 'id' in v && 'state' in v;
}

/**
 * The run to compare with, when the caller named one: the other of two runs selected in the view, or a
 * run or result URI passed in. The editor title bar passes its editor group and index: not a run.
 */
function namedOther(arg: unknown, other: unknown): unknown {
  if (Array.isArray(other)) {
    const rest = other.filter(o => !isRunArg(arg) || (o as RunRecord)?.id !== arg.id);
    return other.length === 2 ? rest[0] : undefined;
  }
  return isRunArg(other) || other instanceof vscode.Uri ? other : undefined;
}

/** "sample.pdf · Invoice · 14:03:12": what a result is to a person. */
function resultLabel(r: RunRecord): string {
  return `${plainText(r.sourceName)} · ${plainText(r.stepName)} · ${when(r.startedAt)}`;
}

/** The other result, picked: the same document's first, then the others', each newest first. */
async function pickOther(s: Services, run: RunRecord): Promise<RunRecord | undefined> {
  const { sameDocument, others } = compareCandidates(run, await s.runs.history.all());
  if (!sameDocument.length && !others.length) {
    void vscode.window.showInformationMessage(l10n.t('There is no other result to compare with yet.'));
    return undefined;
  }
  type Item = vscode.QuickPickItem & { run?: RunRecord };
  const item = (r: RunRecord): Item => ({
    label: r.sourceName,
    description: r.stepName,
    detail: new Date(r.startedAt).toLocaleString(),
    run: r,
  });
  const group = (label: string, runs: RunRecord[]): Item[] =>
    runs.length ? [{ label, kind: vscode.QuickPickItemKind.Separator }, ...runs.map(item)] : [];
  const pick = await askPick<Item>(
    [...group(l10n.t('Same document'), sameDocument), ...group(l10n.t('Other documents'), others)],
    {
      title: l10n.t('Compare {0} with…', resultLabel(run)),
      placeHolder: l10n.t('Pick another result: the same document first, newest first'),
      matchOnDescription: true,
      matchOnDetail: true,
      ignoreFocusOut: true,
    },
  );
  return pick?.run;
}

/**
 * Opens a diff of this run's result and another's (the same document with two steps, or two documents
 * with one), titled with both: document, step and when each ran.
 */
export async function compareWith(s: Services, arg: unknown, other?: unknown): Promise<void> {
  const run = await requireRun(s, arg);
  const left = await resultOf(s, run);
  const named = namedOther(arg, other);
  let right: RunRecord | undefined = named ? await runFrom(s, named) : undefined;
  if (!right || right.id === run.id || right.executionId === run.executionId) {
    right = await pickOther(s, run);
  }
  if (!right) {
    return;
  }
  const rightResult = await resultOf(s, right);
  await vscode.commands.executeCommand(
    'vscode.diff',
    ResultFileSystem.uriFor(left),
    ResultFileSystem.uriFor(rightResult),
    l10n.t('{0} ↔ {1}', resultLabel(run), resultLabel(right)),
    { preview: false },
  );
}

export async function removeRuns(s: Services, arg: unknown, selection?: unknown): Promise<number> {
  const picked = Array.isArray(selection) && selection.length ? selection : [arg];
  // A batch node: the batch goes with its runs (cancelled first when it runs here). A batch's own run goes
  // only with its batch: without it, its document would look never sent.
  const batches = picked.filter(isBatchNode).map(b => b.batch.id);
  if (batches.length) {
    await s.batches.remove(batches);
  }
  const runs = (await Promise.all(picked.map(a => runFrom(s, a)))).filter(
    (r): r is RunRecord => !!r && (!r.batchId || !s.batches.records.get(r.batchId)),
  );
  for (const r of runs.filter(isInFlight)) {
    s.runs.cancel(r.id);
  }
  return (await s.runs.history.remove(runs.map(r => r.id))).length;
}

export async function clearFinished(s: Services): Promise<number> {
  // An unavailable run's result is still to fetch, and a run that may have started waits for a decision:
  // clearing either would lose what only its record knows. A batch goes whole, once it is over.
  const batches = (await s.batches.all()).filter(b => !s.batches.isAlive(b) && !s.batches.isDriving(b.id));
  const over = new Set(batches.map(b => b.id));
  const finished = (await s.runs.history.all()).filter(
    r => !isKept(r) && (!r.batchId || over.has(r.batchId) || !s.batches.records.get(r.batchId)),
  );
  if (!finished.length && !batches.length) {
    return 0;
  }
  const clear = l10n.t('Clear');
  const ok = await vscode.window.showWarningMessage(
    l10n.t('Remove {0} finished runs and their stored results?', finished.length),
    { modal: true },
    clear,
  );
  if (ok !== clear) {
    return 0;
  }
  // The batches first: a batch must never be left without its runs.
  await s.batches.removeRecords([...over]);
  return (await s.runs.history.remove(finished.map(r => r.id))).length;
}

export function cancelRun(s: Services, arg: unknown): number {
  const id = arg && typeof arg === 'object' && 'id' in arg ? String((arg as RunRecord).id) : undefined;
  return s.runs.cancel(id);
}
