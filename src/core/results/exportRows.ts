/**
 * What "Export Results as Table…" exports: the rows' origins, from what the Runs view hands a command
 * — run records (or `{ kind: 'run', run }` nodes) and batch nodes (`{ kind: 'batch', batch }`) — and
 * the `ExportRun`s built from them once their stored results are read. Pure: the glue reads the
 * history and the result store (src/commands/exportCommand.ts).
 */
import type { BatchRecord } from '../batches/record';
import { type RunRecord, type RunState, parseRunRecord } from '../runs/history';
import { type RunSource, formatRunSource, workspaceSource } from '../runs/source';
import type { ExportFormat, ExportRun } from './export';
import { safeFileNamePart } from '../store/fileNames';
import type { StoredResult } from './storedResult';
import { isObject } from '../json/fields';

/** One row's origin, before its stored result is read. */
export interface ExportItem {
  /** Identity, to list a run once when it is both selected and in a selected batch. */
  key: string;
  /** The document: a workspace URI, a URL, or an execution looked up by id. */
  source: RunSource;
  /** A name to show when the source is not a document (an execution looked up by id). */
  name?: string;
  /** The document's path relative to its own workspace folder, when it was recorded (a batch's files). */
  label?: string;
  stepId: string;
  stepName?: string;
  executionId?: string;
  status: string;
  startedAt?: number;
  finishedAt?: number;
  error?: string;
  reusedFrom?: string;
  /** The execution whose stored result fills the row's result fields. */
  resultId?: string;
}

/** What of a stored result a row takes. */
export type StoredResultPart = Partial<Pick<StoredResult, 'data' | 'dataText' | 'error'>>;

/** A workspace folder open in this window: its URI (as a string) and name. */
export interface ExportFolder {
  uri: string;
  name: string;
}

/** A run record, or a view node that holds one (`{ kind: 'run', run }`). */
function runOf(v: unknown): RunRecord | undefined {
  return parseRunRecord(v) ?? (isObject(v) ? parseRunRecord(v.run) : undefined);
}

export function runItem(run: RunRecord): ExportItem {
  return {
    key: `run:${run.id}`,
    source: run.source,
    name: run.sourceName,
    stepId: run.stepId,
    stepName: run.stepName,
    executionId: run.executionId,
    status: run.state,
    startedAt: run.startedAt,
    finishedAt: run.finishedAt,
    error: run.error?.message,
    resultId: run.executionId,
  };
}

/**
 * A Runs-view batch node as rows, or undefined when `node` is not one: the one place the export knows
 * what a batch is. Each document: its run (whose state is the document's) when the history has it; a
 * skipped document (already processed, same content) as itself, with the result of the execution it
 * reuses and `reusedFrom` naming it; a document never sent as `pending`. A document's label (its path in
 * its own workspace folder) comes along, for a batch from another window's folder.
 */
export function batchItems(node: unknown, runById: (id: string) => RunRecord | undefined): ExportItem[] | undefined {
  if (!isObject(node) || node.kind !== 'batch' || !isObject(node.batch)) {
    return undefined;
  }
  const batch = node.batch as Partial<BatchRecord>;
  if (typeof batch.id !== 'string' || typeof batch.stepId !== 'string' || !Array.isArray(batch.documents)) {
    return undefined;
  }
  const { id, stepId, stepName } = batch;
  return batch.documents.map(doc => {
    const label = doc.label || undefined;
    const run = doc.reused ? undefined : runById(doc.runId);
    if (run) {
      return { ...runItem(run), label };
    }
    const base: ExportItem = {
      key: `batch:${id}:${doc.uri}`,
      source: workspaceSource(doc.uri),
      name: label,
      label,
      stepId,
      stepName,
      status: 'pending',
    };
    return doc.reused
      ? {
          ...base,
          status: 'skipped',
          finishedAt: doc.reused.finishedAt,
          reusedFrom: doc.reused.executionId,
          resultId: doc.reused.executionId,
        }
      : base;
  });
}

/** True when the Runs view could have passed this: a run, a run node or a batch node. */
export function isExportNode(v: unknown): boolean {
  return !!runOf(v) || !!batchItems(v, () => undefined);
}

/**
 * The rows the given view nodes stand for, each once, in the order given (a batch's files in the
 * batch's order). A run is read again through `runById` (the history's current copy) when it has one.
 * Anything else is ignored.
 */
export function exportItems(nodes: readonly unknown[], runById: (id: string) => RunRecord | undefined): ExportItem[] {
  const seen = new Set<string>();
  const out: ExportItem[] = [];
  for (const node of nodes) {
    const run = runOf(node);
    const items = run ? [runItem(runById(run.id) ?? run)] : (batchItems(node, runById) ?? []);
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
export function resultData(stored: StoredResultPart | undefined): unknown {
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

function decodeSegments(path: string): string {
  return path
    .split('/')
    .map(s => {
      try {
        return decodeURIComponent(s);
      } catch {
        return s;
      }
    })
    .join('/');
}

/**
 * What the `file` column shows for a document:
 * - in a workspace folder open in this window (the innermost, when folders nest): its path relative
 *   to that folder, after the folder's name when several are open (as `asRelativePath` writes it);
 * - elsewhere (a run started in another window, on another folder): its path relative to its own
 *   folder when that was recorded (`label`: a batch's files), else its full URI — a scheme says it
 *   is no relative path (`file:///home/ana/other/invoice.pdf`);
 * - a URL: the URL; an execution looked up by id: its name.
 */
export function fileColumn(
  item: Pick<ExportItem, 'source' | 'name' | 'label'>,
  folders: readonly ExportFolder[],
): string {
  const source = item.source;
  if (source.kind === 'url') {
    return source.url;
  }
  if (source.kind !== 'workspace') {
    return item.name ?? formatRunSource(source);
  }
  let best: { folder: ExportFolder; root: string } | undefined;
  for (const folder of folders) {
    const root = folder.uri.endsWith('/') ? folder.uri : `${folder.uri}/`;
    const inside = source.uri.startsWith(root) && source.uri.length > root.length;
    if (inside && (!best || root.length > best.root.length)) {
      best = { folder, root };
    }
  }
  if (best) {
    const relative = decodeSegments(source.uri.slice(best.root.length));
    return folders.length > 1 ? `${best.folder.name}/${relative}` : relative;
  }
  return item.label ?? source.uri;
}

/**
 * The `status` column: the words the Runs view uses for a run's state, and the batch's for a document
 * it reused or never sent. In English whatever VS Code's language: a table is data that scripts read.
 */
const STATUS_WORDS: Readonly<Record<RunState | 'pending' | 'skipped', string>> = {
  starting: 'starting',
  ENQUEUED: 'queued',
  PROCESSING: 'processing',
  SUCCESS: 'succeeded',
  ERROR: 'failed on DocuTray',
  failed: 'failed',
  cancelled: 'cancelled',
  mayHaveStarted: 'may have started',
  unavailable: 'unavailable',
  pending: 'not sent yet',
  skipped: 'reused',
};

/** An item's state as the `status` column says it (a state it does not know, as it is). */
export function statusWord(status: string): string {
  return Object.hasOwn(STATUS_WORDS, status) ? STATUS_WORDS[status as keyof typeof STATUS_WORDS] : status;
}

/** One row: `file` is what the table shows for the document (see fileColumn). */
export function toExportRun(item: ExportItem, file: string, stored?: StoredResultPart): ExportRun {
  const error = item.error ?? stored?.error?.message;
  const result = resultData(stored);
  return {
    file,
    stepId: item.stepId,
    ...(item.stepName ? { stepName: item.stepName } : {}),
    status: statusWord(item.status),
    ...(item.executionId ? { executionId: item.executionId } : {}),
    ...(item.startedAt !== undefined ? { startedAt: item.startedAt } : {}),
    ...(item.finishedAt !== undefined ? { finishedAt: item.finishedAt } : {}),
    ...(error ? { error } : {}),
    ...(item.reusedFrom ? { reusedFrom: item.reusedFrom } : {}),
    ...(result !== undefined ? { result } : {}),
  };
}

/** `docutray-<step>-<yyyy-mm-dd>.<ext>` (local date), the step by its name; `runs` when the rows have several. */
export function exportFileName(steps: readonly string[], format: ExportFormat, now: Date): string {
  const distinct = [...new Set(steps)];
  const step = distinct.length === 1 ? safeFileNamePart(distinct[0]) : 'runs';
  const pad = (n: number) => String(n).padStart(2, '0');
  const date = `${now.getFullYear()}-${pad(now.getMonth() + 1)}-${pad(now.getDate())}`;
  return `docutray-${step}-${date}.${format}`;
}
