/**
 * A batch as a thing (issue 14): one step over many files, with each file's state, kept (as JSON)
 * so that it survives a window reload and can be resumed, cancelled, summarised and exported.
 *
 * Per-file states (this module's own; the lead aligns them with the run lifecycle of issue 11):
 *   pending      not sent yet: it will be sent (after a reload too)
 *   uploading    its start request is under way and unanswered; after a reload this becomes `uncertain`
 *   uncertain    the start may have reached DocuTray but its answer was lost: NEVER re-sent
 *                automatically (a start costs money, no idempotency key); listed for the user to decide
 *   waiting      started (execution id known), result not seen yet: polled (again after a reload)
 *   succeeded    SUCCESS seen
 *   failed       the step ran and failed (ERROR), or DocuTray refused the start (4xx)
 *   unavailable  the file could not be read or is not a document DocuTray takes: never sent
 *   cancelled    the user cancelled it (a started one may still finish on DocuTray)
 *   skipped      already processed by this step (same SHA-256): the earlier result is reused
 * Terminal: succeeded, failed, unavailable, cancelled, skipped. `uncertain` is not terminal: it waits
 * for the user (run it again, or mark it done).
 *
 * The record is plain data (mutable, JSON-serialisable); the functions here are pure over it except
 * those that say they update it.
 */

export type BatchFileState =
  'pending' | 'uploading' | 'uncertain' | 'waiting' | 'succeeded' | 'failed' | 'unavailable' | 'cancelled' | 'skipped';

export const TERMINAL_FILE_STATES: ReadonlySet<BatchFileState> = new Set([
  'succeeded',
  'failed',
  'unavailable',
  'cancelled',
  'skipped',
]);

export interface BatchFile {
  /** The document's URI as a string: its identity in the batch. */
  uri: string;
  /** What to show (a workspace-relative path). */
  label?: string;
  state: BatchFileState;
  executionId?: string;
  /** The run record of issue 11 that holds this file's run, when there is one. */
  runId?: string;
  sha256?: string;
  /** When skipped: the execution whose result is reused. */
  reusedExecutionId?: string;
  /** When the start was sent, and when the file reached a terminal state (ms epoch). */
  startedAt?: number;
  endedAt?: number;
  /** A short, key-free reason for failed / unavailable / uncertain. */
  error?: string;
}

export interface BatchRecord {
  version: 1;
  id: string;
  stepId: string;
  stepName?: string;
  createdAt: number;
  /** When the first start was sent. */
  startedAt?: number;
  /** When every file reached a terminal state, or the batch was cancelled. */
  endedAt?: number;
  cancelledAt?: number;
  files: BatchFile[];
}

/** A batch id: `batch_` + time + randomness, unique enough across windows. */
export function newBatchId(now: number, random: () => number = Math.random): string {
  return `batch_${now.toString(36)}_${Math.floor(random() * 36 ** 6)
    .toString(36)
    .padStart(6, '0')}`;
}

export function createBatch(opts: {
  id?: string;
  stepId: string;
  stepName?: string;
  files: readonly { uri: string; label?: string }[];
  now: number;
}): BatchRecord {
  const seen = new Set<string>();
  const files: BatchFile[] = [];
  for (const f of opts.files) {
    if (!seen.has(f.uri)) {
      seen.add(f.uri);
      files.push(
        f.label === undefined ? { uri: f.uri, state: 'pending' } : { uri: f.uri, label: f.label, state: 'pending' },
      );
    }
  }
  const batch: BatchRecord = {
    version: 1,
    id: opts.id ?? newBatchId(opts.now),
    stepId: opts.stepId,
    createdAt: opts.now,
    files,
  };
  if (opts.stepName !== undefined) {
    batch.stepName = opts.stepName;
  }
  return batch;
}

/**
 * Updates one file (by URI) and the batch's own start/end; returns the file, or undefined when the
 * batch has no such file. Updates the record.
 */
export function updateFile(
  batch: BatchRecord,
  uri: string,
  patch: Partial<Omit<BatchFile, 'uri'>>,
  now: number,
): BatchFile | undefined {
  const file = batch.files.find(f => f.uri === uri);
  if (!file) {
    return undefined;
  }
  Object.assign(file, patch);
  if (patch.state === 'uploading' && file.startedAt === undefined) {
    file.startedAt = now;
  }
  if (file.startedAt !== undefined && batch.startedAt === undefined) {
    batch.startedAt = file.startedAt;
  }
  if (patch.state !== undefined && TERMINAL_FILE_STATES.has(patch.state) && file.endedAt === undefined) {
    file.endedAt = now;
  }
  if (batch.endedAt === undefined && batch.files.every(f => TERMINAL_FILE_STATES.has(f.state))) {
    batch.endedAt = now;
  }
  return file;
}

export interface BatchSummary {
  total: number;
  /** succeeded + skipped: "37 of 120 done". */
  done: number;
  succeeded: number;
  skipped: number;
  /** failed + unavailable: "2 failed". */
  failed: number;
  cancelled: number;
  uncertain: number;
  pending: number;
  /** uploading + waiting. */
  running: number;
  /** Terminal files. */
  finished: number;
  /** Estimated time left (ms) for pending and running files; undefined when there is nothing to base it on. */
  etaMs?: number;
}

export interface EtaInputs {
  /** Requests per ms the budget allows (limit / window). */
  ratePerMs?: number;
  /** The step's typical duration (ms). */
  expectedDurationMs?: number;
  /** Requests a document costs: a start and its polls (default 2.2). */
  requestsPerDocument?: number;
}

/**
 * The numbers behind "37 of 120 done · 2 failed · about 3 min left". The ETA is the batch's own pace
 * so far (once at least three files ran to the end), else what the request budget allows.
 */
export function summarizeBatch(batch: BatchRecord, now: number, eta: EtaInputs = {}): BatchSummary {
  const count = (s: BatchFileState) => batch.files.filter(f => f.state === s).length;
  const succeeded = count('succeeded');
  const skipped = count('skipped');
  const s: BatchSummary = {
    total: batch.files.length,
    done: succeeded + skipped,
    succeeded,
    skipped,
    failed: count('failed') + count('unavailable'),
    cancelled: count('cancelled'),
    uncertain: count('uncertain'),
    pending: count('pending'),
    running: count('uploading') + count('waiting'),
    finished: batch.files.filter(f => TERMINAL_FILE_STATES.has(f.state)).length,
  };
  const left = s.pending + s.running;
  if (left === 0) {
    s.etaMs = batch.endedAt !== undefined || s.uncertain === 0 ? 0 : undefined;
    return s;
  }
  if (batch.cancelledAt !== undefined) {
    return s;
  }
  const ran = batch.files.filter(
    f => f.startedAt !== undefined && f.endedAt !== undefined && (f.state === 'succeeded' || f.state === 'failed'),
  );
  const elapsed = batch.startedAt === undefined ? 0 : now - batch.startedAt;
  if (ran.length >= 3 && elapsed > 0) {
    s.etaMs = Math.round((left * elapsed) / ran.length);
  } else if (eta.ratePerMs !== undefined && Number.isFinite(eta.ratePerMs) && eta.ratePerMs > 0) {
    const perDoc = eta.requestsPerDocument ?? 2.2;
    const waiting = count('waiting');
    const requests = s.pending * perDoc + waiting * (perDoc - 1) + count('uploading') * perDoc;
    s.etaMs = Math.round(requests / eta.ratePerMs + (eta.expectedDurationMs ?? 0));
  }
  return s;
}

/** Whole minutes for "about N min left" (at least 1), or seconds under a minute. */
export function etaParts(etaMs: number): { minutes: number } | { seconds: number } {
  if (etaMs < 60_000) {
    return { seconds: Math.max(1, Math.ceil(etaMs / 1000)) };
  }
  return { minutes: Math.round(etaMs / 60_000) };
}

export interface ResumePlan {
  /** Never sent: send them. */
  send: BatchFile[];
  /** Started: poll them again. */
  poll: BatchFile[];
  /** The start may have happened: do not send; list them for the user. */
  uncertain: BatchFile[];
}

/**
 * After a window reload: a start that was under way is now uncertain (it may have reached DocuTray),
 * so it is never sent again without the user; pending files are sent; waiting runs are polled.
 * Updates the record (uploading → uncertain) and returns what to do.
 */
export function prepareResume(batch: BatchRecord, now: number): ResumePlan {
  for (const f of batch.files) {
    if (f.state === 'uploading') {
      updateFile(
        batch,
        f.uri,
        { state: 'uncertain', error: f.error ?? 'The window closed while the start request was unanswered.' },
        now,
      );
    }
  }
  if (batch.cancelledAt !== undefined) {
    return { send: [], poll: [], uncertain: batch.files.filter(f => f.state === 'uncertain') };
  }
  return {
    send: batch.files.filter(f => f.state === 'pending'),
    poll: batch.files.filter(f => f.state === 'waiting' && f.executionId !== undefined),
    uncertain: batch.files.filter(f => f.state === 'uncertain'),
  };
}

/**
 * Cancels the batch: pending files become cancelled (never sent); waiting ones too (they may still
 * finish on DocuTray: their execution id is kept, so a resume polls them again). Updates the record.
 */
export function cancelBatch(batch: BatchRecord, now: number): void {
  batch.cancelledAt = now;
  for (const f of batch.files) {
    if (f.state === 'pending' || f.state === 'waiting' || f.state === 'uploading') {
      updateFile(batch, f.uri, { state: f.state === 'uploading' ? 'uncertain' : 'cancelled' }, now);
    }
  }
  batch.endedAt ??= now;
}

/** Resumes a cancelled batch: cancelled files with an execution id are polled again, the others are sent. Updates the record. */
export function resumeCancelled(batch: BatchRecord): void {
  if (batch.cancelledAt === undefined) {
    return;
  }
  delete batch.cancelledAt;
  delete batch.endedAt;
  for (const f of batch.files) {
    if (f.state === 'cancelled') {
      f.state = f.executionId !== undefined ? 'waiting' : 'pending';
      delete f.endedAt;
    }
  }
}

/** The user's decision on an uncertain file: run it again (`send`), or accept it as it is (`dismiss` = failed). Updates the record. */
export function resolveUncertain(batch: BatchRecord, uri: string, decision: 'send' | 'dismiss', now: number): void {
  const f = batch.files.find(x => x.uri === uri);
  if (!f || f.state !== 'uncertain') {
    return;
  }
  if (decision === 'send') {
    f.state = 'pending';
    delete f.startedAt;
    delete f.error;
    delete batch.endedAt;
  } else {
    updateFile(batch, uri, { state: 'failed' }, now);
  }
}

/** Alive: not cancelled and some file is not terminal (pending, under way, waiting, or uncertain awaiting the user). */
export function isBatchAlive(batch: BatchRecord): boolean {
  return batch.cancelledAt === undefined && batch.files.some(f => !TERMINAL_FILE_STATES.has(f.state));
}

/**
 * For the history bound: a predicate that is true for a run the bound must keep, because it belongs
 * to a batch that is still alive (matched by run id or execution id).
 */
export function batchKeepsRun(
  batches: readonly BatchRecord[],
): (run: { id?: string; executionId?: string }) => boolean {
  const ids = new Set<string>();
  for (const b of batches) {
    if (isBatchAlive(b)) {
      for (const f of b.files) {
        if (f.runId) {
          ids.add(`r:${f.runId}`);
        }
        if (f.executionId) {
          ids.add(`e:${f.executionId}`);
        }
      }
    }
  }
  return run =>
    (run.id !== undefined && ids.has(`r:${run.id}`)) ||
    (run.executionId !== undefined && ids.has(`e:${run.executionId}`));
}

export interface BatchEstimate {
  documents: number;
  /** A start and at least one status request per document. */
  requests: number;
  /** Roughly how long under the known limit (ms); undefined when no limit is known. */
  durationMs?: number;
}

/**
 * For the confirmation before a folder run: "120 documents, about 260 requests, roughly 4 min at the
 * known limit of 60 a minute". `requestsPerDocument` defaults to 2.2 (a start, one poll, a few seconds).
 */
export function estimateBatch(
  documents: number,
  limit?: { limit: number; windowMs: number },
  expectedDurationMs = 0,
  requestsPerDocument = 2.2,
): BatchEstimate {
  const requests = Math.ceil(documents * requestsPerDocument);
  if (!limit || limit.limit <= 0 || documents === 0) {
    return { documents, requests, durationMs: documents === 0 ? 0 : undefined };
  }
  return {
    documents,
    requests,
    durationMs: Math.round((requests / limit.limit) * limit.windowMs + expectedDurationMs),
  };
}
