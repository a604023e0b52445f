/**
 * A batch: one step over many documents, kept (as JSON, `batches/<id>.json`) so that it survives a window
 * reload and can be resumed, cancelled, summarised and exported.
 *
 * A batch holds its documents and what the user decided about the batch as a whole (cancelled, paused); it
 * never holds a document's state. Each document has one run record (core/runs/history.ts) under an id the
 * batch names before anything is sent, and the run's state is the document's state — one vocabulary, the
 * run lifecycle's (core/runs/lifecycle.ts), plus the two a run cannot have:
 *   pending   no run record: nothing was sent (the record is created, exclusively, before a start leaves,
 *             and removed again only when the start is called back before a byte went out)
 *   skipped   this step already processed the same content: the earlier result is reused, nothing is sent
 * So a document can never be "pending" in the batch and "started" in its run: there is nothing to keep in
 * line, and a window that reads the runs knows exactly what another window did.
 *
 * Pure: the record is plain data; the functions here read it (and the runs) and never touch storage.
 */
import { IN_FLIGHT, type RunRecord, type RunState } from '../runs/history';

export const BATCH_VERSION = 2;

export interface BatchDocument {
  /** The document's URI as a string: its identity in the batch (listed once). */
  uri: string;
  /** What to show (a workspace-relative path). */
  label?: string;
  /**
   * The run record that holds this document's run (its id is fixed before the start leaves). A new id only
   * when the user chose to send a document again that may have started.
   */
  runId: string;
  /** This step already processed the same content (same SHA-256): its result is reused, nothing is sent. */
  reused?: { executionId: string; sha256: string; finishedAt?: number };
}

/** What the batch ran on, to name it: a folder (`invoices/`) or a selection of files. */
export type BatchScope = { kind: 'folder'; uri: string; label: string } | { kind: 'files'; count: number };

export interface BatchRecord {
  version: typeof BATCH_VERSION;
  id: string;
  stepId: string;
  stepName?: string;
  createdAt: number;
  scope?: BatchScope;
  /** The window (ownership.ts) that drives the batch while it is alive. */
  owner?: string;
  /** The user cancelled it: nothing more is sent until Resume. */
  cancelledAt?: number;
  /** DocuTray asked for a pause longer than the batch waits in silence: it resumes at this instant (ms epoch). */
  pausedUntil?: number;
  /** When its driver saw it end (a hint for activation and the tooltip; the runs are what say it ended). */
  endedAt?: number;
  /**
   * It could not go on (an unknown step, a refused key): it ended failed, for this reason, and sends nothing
   * more. Its unsent documents stay unsent; Resume is offered only where it can work (`canResume`).
   */
  failure?: BatchFailure;
  documents: BatchDocument[];
}

/** Why a batch could not go on: the error every document would have met, as the error's kind and words. */
export interface BatchFailure {
  at: number;
  kind: string;
  message: string;
}

/**
 * Failures that changing something outside the batch mends (a new key, a paid quota, the base URL, storage
 * that can be written again): Resume then sends the rest. An unknown step cannot be mended: the batch names
 * its step, so Resume would meet the same refusal.
 */
const MENDABLE_FAILURES: ReadonlySet<string> = new Set([
  'authentication',
  'missingApiKey',
  'quotaExceeded',
  'insecureBaseUrl',
  'notRecorded',
]);

/** The failure a batch ends with, from the error that stopped it (its kind, else its name). */
export function batchFailure(error: unknown, now: number): BatchFailure {
  const kind =
    error && typeof error === 'object' && typeof (error as { kind?: unknown }).kind === 'string'
      ? (error as { kind: string }).kind
      : error instanceof Error && error.name === 'NotRecordedError'
        ? 'notRecorded'
        : 'other';
  const message = error instanceof Error ? error.message : String(error);
  return { at: now, kind, message };
}

/**
 * Whether Resume can do anything for this batch: something is left to send or to see finish, and what
 * stopped it (if anything) can have been mended since.
 */
export function canResume(batch: BatchRecord, runs: RunLookup): boolean {
  if (batch.failure && !MENDABLE_FAILURES.has(batch.failure.kind)) {
    return false;
  }
  return documentsOf(batch, runs).some(d => isOpen(d.state) || (d.state === 'cancelled' && !!d.run?.executionId));
}

/** A document's state: its run's, or `pending` / `skipped` (see the top of this file). */
export type DocumentState = RunState | 'pending' | 'skipped';

/** A batch id: `batch_` + time + randomness, unique enough across windows. */
export function newBatchId(now: number, random: () => number = Math.random): string {
  return `batch_${now.toString(36)}_${Math.floor(random() * 36 ** 6)
    .toString(36)
    .padStart(6, '0')}`;
}

/** The run id of a batch's document: fixed when the batch is made, so every window names the same record. */
export function runIdFor(batchId: string, index: number, attempt = 1): string {
  return attempt === 1 ? `${batchId}.${index}` : `${batchId}.${index}.${attempt}`;
}

/** The run id for sending a document again (the user chose it): one more attempt than its current run. */
export function nextRunId(batch: Pick<BatchRecord, 'id'>, doc: BatchDocument, index: number): string {
  const first = runIdFor(batch.id, index);
  const later = doc.runId.startsWith(`${first}.`) ? Number(doc.runId.slice(first.length + 1)) : NaN;
  return runIdFor(batch.id, index, (Number.isInteger(later) && later > 1 ? later : 1) + 1);
}

export function createBatch(opts: {
  id?: string;
  stepId: string;
  stepName?: string;
  scope?: BatchScope;
  files: readonly { uri: string; label?: string }[];
  now: number;
}): BatchRecord {
  const id = opts.id ?? newBatchId(opts.now);
  const seen = new Set<string>();
  const documents: BatchDocument[] = [];
  for (const f of opts.files) {
    if (!seen.has(f.uri)) {
      seen.add(f.uri);
      const runId = runIdFor(id, documents.length);
      documents.push(f.label === undefined ? { uri: f.uri, runId } : { uri: f.uri, label: f.label, runId });
    }
  }
  return {
    version: BATCH_VERSION,
    id,
    stepId: opts.stepId,
    ...(opts.stepName !== undefined ? { stepName: opts.stepName } : {}),
    createdAt: opts.now,
    ...(opts.scope ? { scope: opts.scope } : {}),
    documents,
  };
}

/** Runs by id, as the history holds them. */
export type RunLookup = (runId: string) => RunRecord | undefined;

export function lookupIn(runs: Iterable<RunRecord>): RunLookup {
  const byId = new Map<string, RunRecord>();
  for (const r of runs) {
    byId.set(r.id, r);
  }
  return id => byId.get(id);
}

export function documentState(doc: BatchDocument, run: RunRecord | undefined): DocumentState {
  if (doc.reused) {
    return 'skipped';
  }
  return run?.state ?? 'pending';
}

/** Each document with its run and state, in the batch's order. */
export function documentsOf(
  batch: BatchRecord,
  runs: RunLookup,
): { doc: BatchDocument; index: number; run?: RunRecord; state: DocumentState }[] {
  return batch.documents.map((doc, index) => {
    const run = doc.reused ? undefined : runs(doc.runId);
    return { doc, index, run, state: documentState(doc, run) };
  });
}

/** Something is still to send or to see finish: pending, starting, or waiting on DocuTray. */
export function isOpen(state: DocumentState): boolean {
  return state === 'pending' || IN_FLIGHT.has(state as RunState);
}

/**
 * Alive: not cancelled and a document is still to send or to see finish. A document that may have started
 * does not keep a batch alive: it waits for the user (Review…), not for the batch.
 */
export function isBatchAlive(batch: BatchRecord, runs: RunLookup): boolean {
  return (
    batch.cancelledAt === undefined &&
    batch.failure === undefined &&
    documentsOf(batch, runs).some(d => isOpen(d.state))
  );
}

export interface BatchSummary {
  total: number;
  /** SUCCESS + skipped: "37 of 120 succeeded". */
  done: number;
  succeeded: number;
  skipped: number;
  /** ERROR (the step failed on DocuTray) + failed (refused, or not readable). */
  failed: number;
  /** Started, result not fetched (an outage past the poll timeout, a refused status check): id kept. */
  unavailable: number;
  cancelled: number;
  /** May have started, answer lost: never sent again without the user. */
  uncertain: number;
  /** Not sent yet (in a cancelled batch: not sent at all). */
  pending: number;
  /** Starting or waiting on DocuTray. */
  running: number;
  /** Estimated time left (ms) for pending and running documents; undefined when nothing to base it on. */
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
 * The numbers behind "37 of 120 succeeded · 2 failed · about 3 min left". The ETA is the batch's own pace so far
 * (once at least three documents ran to the end), else what the request budget allows.
 */
export function summarizeBatch(batch: BatchRecord, runs: RunLookup, now: number, eta: EtaInputs = {}): BatchSummary {
  const docs = documentsOf(batch, runs);
  const count = (...states: DocumentState[]) => docs.filter(d => states.includes(d.state)).length;
  const s: BatchSummary = {
    total: docs.length,
    done: count('SUCCESS', 'skipped'),
    succeeded: count('SUCCESS'),
    skipped: count('skipped'),
    failed: count('ERROR', 'failed'),
    unavailable: count('unavailable'),
    cancelled: count('cancelled'),
    uncertain: count('mayHaveStarted'),
    pending: count('pending'),
    running: count('starting', 'ENQUEUED', 'PROCESSING'),
  };
  const left = s.pending + s.running;
  if (left === 0) {
    s.etaMs = 0;
    return s;
  }
  if (batch.cancelledAt !== undefined || batch.failure !== undefined) {
    return s;
  }
  const ran = docs.filter(d => d.run?.finishedAt !== undefined && (d.state === 'SUCCESS' || d.state === 'ERROR'));
  const started = docs.map(d => d.run?.startedAt).filter((t): t is number => t !== undefined);
  const elapsed = started.length ? now - Math.min(...started) : 0;
  if (ran.length >= 3 && elapsed > 0) {
    s.etaMs = Math.round((left * elapsed) / ran.length);
  } else if (eta.ratePerMs !== undefined && Number.isFinite(eta.ratePerMs) && eta.ratePerMs > 0) {
    const perDoc = eta.requestsPerDocument ?? 2.2;
    const waiting = count('ENQUEUED', 'PROCESSING');
    const requests = (s.pending + count('starting')) * perDoc + waiting * (perDoc - 1);
    s.etaMs = Math.round(requests / eta.ratePerMs + (eta.expectedDurationMs ?? 0));
  }
  return s;
}

/** When the batch started (its first run) and ended (its last run finished, when none is open), ms epoch. */
export function batchTimes(batch: BatchRecord, runs: RunLookup): { startedAt?: number; endedAt?: number } {
  const docs = documentsOf(batch, runs);
  const starts = docs.map(d => d.run?.startedAt).filter((t): t is number => t !== undefined);
  const ends = docs.map(d => d.run?.finishedAt ?? d.doc.reused?.finishedAt).filter((t): t is number => t !== undefined);
  // A batch that failed sends nothing more: its unsent documents do not keep it open.
  const open = batch.failure === undefined && docs.some(d => isOpen(d.state));
  const stoppedAt = batch.cancelledAt ?? batch.failure?.at;
  return {
    ...(starts.length ? { startedAt: Math.min(...starts) } : {}),
    ...(!open && (ends.length || stoppedAt !== undefined) ? { endedAt: Math.max(...ends, stoppedAt ?? 0) } : {}),
  };
}

/** Whole minutes for "about N min left" (at least 1), or seconds under a minute. */
export function etaParts(etaMs: number): { minutes: number } | { seconds: number } {
  if (etaMs < 60_000) {
    return { seconds: Math.max(1, Math.ceil(etaMs / 1000)) };
  }
  return { minutes: Math.round(etaMs / 60_000) };
}

/** The run ids that belong to batches (for the history bound, which keeps or drops a batch whole). */
export function batchRunIds(batch: BatchRecord): string[] {
  return batch.documents.filter(d => !d.reused).map(d => d.runId);
}

export interface BatchEstimate {
  /** Documents that will be sent. */
  documents: number;
  /** A start and at least one status request per document. */
  requests: number;
  /** Roughly how long under the known limit (ms); undefined when no limit is known. */
  durationMs?: number;
}

/**
 * For the confirmation before a folder run: "4 to send, about 9 requests, roughly 8 s at the known limit".
 * `requestsPerDocument` defaults to 2.2 (a start, one poll, a few seconds).
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

/** The documents that did not succeed, grouped by what went wrong: "17 × No invoice found on page 1". */
export function failureGroups(
  batch: BatchRecord,
  runs: RunLookup,
): { reason: string; state: DocumentState; labels: string[] }[] {
  const groups = new Map<string, { reason: string; state: DocumentState; labels: string[] }>();
  for (const d of documentsOf(batch, runs)) {
    if (d.state !== 'ERROR' && d.state !== 'failed' && d.state !== 'unavailable') {
      continue;
    }
    const reason = d.run?.error?.message ?? d.state;
    const key = `${d.state}\n${reason}`;
    const g = groups.get(key) ?? { reason, state: d.state, labels: [] };
    g.labels.push(d.doc.label ?? d.doc.uri.slice(d.doc.uri.lastIndexOf('/') + 1));
    groups.set(key, g);
  }
  return [...groups.values()].sort((a, b) => b.labels.length - a.labels.length);
}
