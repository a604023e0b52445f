/**
 * The pure half of the batch store (batchStore.ts) and of the folder-run glue: a batch file as read
 * from disk, a batch file's run state, and the globs of a folder run. No `vscode`, no file system
 * (activation reads batches with these to decide whether anything is to resume).
 */
import { BatchFile, BatchFileState, BatchRecord } from './batch';
import type { RunRecord, RunState } from './history';

export const BATCHES_DIR = 'batches';

/** A batch as stored: the record and the window that drives it. */
export type StoredBatch = BatchRecord & { owner?: string };

const FILE_STATES: ReadonlySet<string> = new Set<BatchFileState>([
  'pending',
  'uploading',
  'uncertain',
  'waiting',
  'succeeded',
  'failed',
  'unavailable',
  'cancelled',
  'skipped',
]);

const optionalString = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);
const optionalNumber = (v: unknown): number | undefined =>
  typeof v === 'number' && Number.isFinite(v) ? v : undefined;

function parseFile(v: unknown): BatchFile | undefined {
  const f = v as Partial<BatchFile> | null;
  if (!f || typeof f !== 'object' || typeof f.uri !== 'string' || !f.uri || !FILE_STATES.has(String(f.state))) {
    return undefined;
  }
  const file: BatchFile = { uri: f.uri, state: f.state as BatchFileState };
  for (const key of ['label', 'executionId', 'runId', 'sha256', 'reusedExecutionId', 'error'] as const) {
    const s = optionalString(f[key]);
    if (s !== undefined) {
      file[key] = s;
    }
  }
  for (const key of ['startedAt', 'endedAt'] as const) {
    const n = optionalNumber(f[key]);
    if (n !== undefined) {
      file[key] = n;
    }
  }
  return file;
}

/** A batch as read from disk; undefined when it is not one (a file with a damaged entry is not one either). */
export function parseBatch(v: unknown): StoredBatch | undefined {
  const b = v as Partial<StoredBatch> | null;
  if (
    !b ||
    typeof b !== 'object' ||
    b.version !== 1 ||
    typeof b.id !== 'string' ||
    !b.id ||
    typeof b.stepId !== 'string' ||
    typeof b.createdAt !== 'number' ||
    !Array.isArray(b.files)
  ) {
    return undefined;
  }
  const files = b.files.map(parseFile);
  if (files.some(f => !f)) {
    return undefined;
  }
  const batch: StoredBatch = {
    version: 1,
    id: b.id,
    stepId: b.stepId,
    createdAt: b.createdAt,
    files: files as BatchFile[],
  };
  const stepName = optionalString(b.stepName);
  if (stepName !== undefined) {
    batch.stepName = stepName;
  }
  for (const key of ['startedAt', 'endedAt', 'cancelledAt'] as const) {
    const n = optionalNumber(b[key]);
    if (n !== undefined) {
      batch[key] = n;
    }
  }
  const owner = optionalString(b.owner);
  if (owner) {
    batch.owner = owner;
  }
  return batch;
}

export function serializeBatch(b: StoredBatch): string {
  return JSON.stringify(b);
}

/** The run state a batch file's run shows (docs/architecture.md, "Batches"); undefined: no run to show. */
export function runStateOf(file: Pick<BatchFile, 'state' | 'executionId'>): RunState | undefined {
  switch (file.state) {
    case 'pending':
    case 'skipped':
      return undefined;
    case 'uploading':
      return 'starting';
    case 'uncertain':
      return 'mayHaveStarted';
    case 'waiting':
      return 'ENQUEUED';
    case 'succeeded':
      return 'SUCCESS';
    case 'failed':
      return file.executionId ? 'ERROR' : 'failed';
    case 'unavailable':
      return 'failed';
    case 'cancelled':
      return 'cancelled';
  }
}

/**
 * What a batch file's run says of it, when the batch file may be older than the run (it is written
 * debounced; a run is written before its start leaves): undefined when the run says nothing new.
 */
export function fileStateOf(run: Pick<RunRecord, 'state' | 'executionId'>): BatchFileState | undefined {
  switch (run.state) {
    case 'starting':
      return 'uploading';
    case 'ENQUEUED':
    case 'PROCESSING':
    case 'unavailable':
      return run.executionId ? 'waiting' : undefined;
    case 'SUCCESS':
      return 'succeeded';
    case 'ERROR':
    case 'failed':
      return 'failed';
    case 'mayHaveStarted':
      return 'uncertain';
    case 'cancelled':
      // Cancelled with an execution: it may still finish, so it is polled; without one it never started.
      return run.executionId ? 'waiting' : undefined;
  }
}

/** `**\/*.{pdf,PDF,png,PNG,…}`: every supported extension, as typed in lower and upper case. */
export function documentGlob(extensions: readonly string[]): string {
  const all = new Set<string>();
  for (const e of extensions) {
    const x = e.replace(/^\./, '');
    all.add(x.toLowerCase());
    all.add(x.toUpperCase());
  }
  return `**/*.{${[...all].join(',')}}`;
}

/**
 * The one exclude glob of a folder run: the `files.exclude` patterns set to true plus
 * `docutray.batch.exclude` (passing an exclude to findFiles switches files.exclude off, so both go in).
 * Undefined when there is nothing to exclude. Patterns with `,`, `{` or `}` cannot sit inside a glob
 * group; they are left out rather than breaking the whole glob.
 */
export function buildExcludeGlob(filesExclude: unknown, batchExclude: unknown): string | undefined {
  const patterns: string[] = [];
  if (filesExclude && typeof filesExclude === 'object' && !Array.isArray(filesExclude)) {
    for (const [k, v] of Object.entries(filesExclude as Record<string, unknown>)) {
      if (v === true) {
        // A pattern naming a folder leaves out what is inside it too.
        patterns.push(k, ...(k.endsWith('/**') ? [] : [`${k.replace(/\/+$/, '')}/**`]));
      }
    }
  }
  if (Array.isArray(batchExclude)) {
    for (const p of batchExclude) {
      if (typeof p === 'string') {
        patterns.push(p);
      }
    }
  }
  const usable = [...new Set(patterns.map(p => p.trim()).filter(p => p && !/[{},]/.test(p)))];
  if (!usable.length) {
    return undefined;
  }
  return usable.length === 1 ? usable[0] : `{${usable.join(',')}}`;
}
