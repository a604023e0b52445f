/**
 * What "Export Results as Table…" exports (issue 14): the rows' origins, from what the Runs view hands
 * a command — run records (or `{ kind: 'run', run }` nodes) and batch nodes (`{ kind: 'batch', batch }`)
 * — and the `ExportRun`s built from them once their stored results are read. Pure: the glue reads the
 * history and the result store (src/commands/exportCommand.ts).
 */
import type { ExportFormat, ExportRun } from './export';
import { safeFileNamePart } from './naming';

/** The fields of a run record (core/runs/history.ts) an export reads. */
export interface RunLike {
  id: string;
  source: string;
  sourceName?: string;
  stepId: string;
  executionId?: string;
  state: string;
  startedAt: number;
  finishedAt?: number;
  error?: { message: string };
}

/** A file of a batch node, as core/runs/batch.ts keeps it. */
export interface BatchFileLike {
  uri: string;
  label?: string;
  state: string;
  runId?: string;
  executionId?: string;
  reusedExecutionId?: string;
  startedAt?: number;
  endedAt?: number;
  error?: string;
}

/** A Runs-view batch node. */
export interface BatchNodeLike {
  kind: 'batch';
  batch: { id: string; stepId: string; files: readonly BatchFileLike[] };
}

/** One row's origin, before its stored result is read. */
export interface ExportItem {
  /** Identity, to list a run once when it is both selected and in a selected batch. */
  key: string;
  /** The document: a run source string (a URI, a URL, an execution). */
  source: string;
  /** A name to show when the source is not a document (an execution looked up by id). */
  name?: string;
  stepId: string;
  executionId?: string;
  status: string;
  startedAt?: number;
  finishedAt?: number;
  error?: string;
  reusedFrom?: string;
  /** The execution whose stored result fills the row's result fields. */
  resultId?: string;
}

/** What of a stored result (core/results/storedResult.ts) a row takes. */
export interface StoredResultLike {
  data?: unknown;
  dataText?: string;
  error?: { message: string };
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function isRunLike(v: unknown): v is RunLike {
  return (
    isObject(v) &&
    typeof v.id === 'string' &&
    typeof v.source === 'string' &&
    typeof v.stepId === 'string' &&
    typeof v.state === 'string' &&
    typeof v.startedAt === 'number'
  );
}

export function isBatchNode(v: unknown): v is BatchNodeLike {
  return (
    isObject(v) &&
    v.kind === 'batch' &&
    isObject(v.batch) &&
    typeof v.batch.id === 'string' &&
    typeof v.batch.stepId === 'string' &&
    Array.isArray(v.batch.files)
  );
}

/** A run record, or a view node that holds one (`{ kind: 'run', run }`). */
function runOf(v: unknown): RunLike | undefined {
  if (isRunLike(v)) {
    return v;
  }
  return isObject(v) && isRunLike(v.run) ? v.run : undefined;
}

/** True when the Runs view could have passed this: a run, a run node or a batch node. */
export function isExportNode(v: unknown): boolean {
  return !!runOf(v) || isBatchNode(v);
}

export function runItem(run: RunLike): ExportItem {
  return {
    key: `run:${run.id}`,
    source: run.source,
    name: run.sourceName,
    stepId: run.stepId,
    executionId: run.executionId,
    status: run.state,
    startedAt: run.startedAt,
    finishedAt: run.finishedAt,
    error: run.error?.message,
    resultId: run.executionId,
  };
}

/**
 * A batch's files as rows: the run a file names (`runId`) when the history has it; a skipped file
 * (already processed, same content) as itself, with the result of the execution it reuses and
 * `reusedFrom` naming it; any other file as the batch knows it (state, execution id, error).
 */
export function batchItems(node: BatchNodeLike, runById: (id: string) => RunLike | undefined): ExportItem[] {
  const { batch } = node;
  return batch.files.map(file => {
    const run = file.runId ? runById(file.runId) : undefined;
    if (run && !(file.state === 'skipped' && file.reusedExecutionId)) {
      return runItem(run);
    }
    const base: ExportItem = {
      key: `batch:${batch.id}:${file.uri}`,
      source: file.uri,
      name: file.label,
      stepId: batch.stepId,
      status: file.state,
      startedAt: file.startedAt,
      finishedAt: file.endedAt,
      error: file.error,
    };
    if (file.state === 'skipped' && file.reusedExecutionId) {
      return { ...base, reusedFrom: file.reusedExecutionId, resultId: file.reusedExecutionId };
    }
    return { ...base, executionId: file.executionId, resultId: file.executionId };
  });
}

/**
 * The rows the given view nodes stand for, each once, in the order given (a batch's files in the
 * batch's order). A run is read again through `runById` (the history's current copy) when it has one.
 * Anything else is ignored.
 */
export function exportItems(nodes: readonly unknown[], runById: (id: string) => RunLike | undefined): ExportItem[] {
  const seen = new Set<string>();
  const out: ExportItem[] = [];
  for (const node of nodes) {
    const run = runOf(node);
    const items = run ? [runItem(runById(run.id) ?? run)] : isBatchNode(node) ? batchItems(node, runById) : [];
    for (const item of items) {
      if (!seen.has(item.key)) {
        seen.add(item.key);
        out.push(item);
      }
    }
  }
  return out;
}

/** The result a stored result holds: its `data`, or its JSON text parsed (a result too deep to pretty-print). */
export function resultData(stored: StoredResultLike | undefined): unknown {
  if (!stored) {
    return undefined;
  }
  if (stored.data !== undefined || stored.dataText === undefined) {
    return stored.data;
  }
  try {
    return JSON.parse(stored.dataText) as unknown;
  } catch {
    return stored.dataText;
  }
}

/** One row: `file` is what the table shows for the document (a workspace-relative path, a URL). */
export function toExportRun(item: ExportItem, file: string, stored?: StoredResultLike): ExportRun {
  const error = item.error ?? stored?.error?.message;
  const result = resultData(stored);
  return {
    file,
    stepId: item.stepId,
    status: item.status,
    ...(item.executionId ? { executionId: item.executionId } : {}),
    ...(item.startedAt !== undefined ? { startedAt: item.startedAt } : {}),
    ...(item.finishedAt !== undefined ? { finishedAt: item.finishedAt } : {}),
    ...(error ? { error } : {}),
    ...(item.reusedFrom ? { reusedFrom: item.reusedFrom } : {}),
    ...(result !== undefined ? { result } : {}),
  };
}

export const EXPORT_EXTENSIONS: Record<ExportFormat, string> = { csv: 'csv', jsonl: 'jsonl', json: 'json' };

/** `docutray-<step>-<yyyy-mm-dd>.<ext>` (local date); `runs` for the step when the rows have several. */
export function exportFileName(stepIds: readonly string[], format: ExportFormat, now: Date): string {
  const steps = [...new Set(stepIds)];
  const step = steps.length === 1 ? safeFileNamePart(steps[0]) : 'runs';
  const pad = (n: number) => String(n).padStart(2, '0');
  const date = `${now.getFullYear()}-${pad(now.getMonth() + 1)}-${pad(now.getDate())}`;
  return `docutray-${step}-${date}.${EXPORT_EXTENSIONS[format]}`;
}

/**
 * The language of the editor that shows an export: `csv` / `jsonl` where some extension (or VS Code)
 * knows them, else plain text (JSON's would mark every line of JSON Lines after the first as an error).
 */
export function exportLanguage(format: ExportFormat, known: ReadonlySet<string>): string {
  if (format === 'json') {
    return 'json';
  }
  return known.has(format) ? format : 'plaintext';
}
