/**
 * A batch file as read from disk, checked before anything is sent on its word: a hand-edited file or a
 * merge gone wrong must not make one document run twice, and one damaged entry must not stop the rest.
 *   - a document listed twice is one document (the first entry stands);
 *   - an entry that is not a document (no URI, an unknown state in an older file) is set aside alone,
 *     with a warning, and the rest of the batch goes on;
 *   - a file of the older layout (version 1, which kept a state per file) becomes the current one: each
 *     file's state becomes its run record (a `waiting` entry without an execution id, or one whose start
 *     was under way, becomes "may have started" — never sent again by itself).
 * Pure: the batch store (store.ts) reads the text and writes what is set aside.
 */
import type { RunRecord, RunState } from '../runs/history';
import { finiteNumber, isObject, nonEmptyString } from '../json/fields';
import { workspaceSource } from '../runs/source';
import {
  BATCH_VERSION,
  type BatchDocument,
  type BatchFailure,
  type BatchRecord,
  type BatchScope,
  runIdFor,
} from './record';

export const BATCHES_DIR = 'batches';

export interface ParsedBatch {
  batch: BatchRecord;
  /** What was wrong and what was done about it (for the log and a warning). */
  problems: string[];
  /** Entries left out of the batch, as they were in the file (kept beside it for the user to look at). */
  setAside: unknown[];
  /** From an older file: the run records its files' states stand for (created where none exists yet). */
  legacyRuns: RunRecord[];
}

/** A batch as read from disk; undefined when it is not a batch at all. */
export function parseBatch(v: unknown): ParsedBatch | undefined {
  if (!isObject(v)) {
    return undefined;
  }
  const id = nonEmptyString(v.id);
  const stepId = nonEmptyString(v.stepId);
  const createdAt = finiteNumber(v.createdAt);
  if (!id || !stepId || createdAt === undefined) {
    return undefined;
  }
  const list = v.version === 1 ? v.files : v.version === BATCH_VERSION ? v.documents : undefined;
  if (!Array.isArray(list)) {
    return undefined;
  }
  const batch: BatchRecord = { version: BATCH_VERSION, id, stepId, createdAt, documents: [] };
  const stepName = nonEmptyString(v.stepName);
  if (stepName) {
    batch.stepName = stepName;
  }
  const scope = parseScope(v.scope);
  if (scope) {
    batch.scope = scope;
  }
  const owner = nonEmptyString(v.owner);
  if (owner) {
    batch.owner = owner;
  }
  for (const key of ['cancelledAt', 'pausedUntil', 'endedAt'] as const) {
    const n = finiteNumber(v[key]);
    if (n !== undefined) {
      batch[key] = n;
    }
  }
  const failure = parseFailure(v.failure);
  if (failure) {
    batch.failure = failure;
  }
  const parsed: ParsedBatch = { batch, problems: [], setAside: [], legacyRuns: [] };
  const uris = new Set<string>();
  const runIds = new Set<string>();
  let duplicates = 0;
  list.forEach(entry => {
    const read = v.version === 1 ? fromVersion1(entry, batch, batch.documents.length) : fromCurrent(entry);
    if (!read) {
      parsed.setAside.push(entry);
      return;
    }
    if (uris.has(read.doc.uri) || (!read.doc.reused && runIds.has(read.doc.runId))) {
      duplicates++;
      return;
    }
    uris.add(read.doc.uri);
    runIds.add(read.doc.runId);
    batch.documents.push(read.doc);
    if (read.run) {
      parsed.legacyRuns.push(read.run);
    }
  });
  if (duplicates) {
    parsed.problems.push(`listed ${duplicates} document(s) twice: each runs once`);
  }
  if (parsed.setAside.length) {
    parsed.problems.push(
      `had ${parsed.setAside.length} entr${parsed.setAside.length === 1 ? 'y' : 'ies'} that could not be read: set aside, the rest goes on`,
    );
  }
  return parsed;
}

function parseFailure(v: unknown): BatchFailure | undefined {
  if (!isObject(v)) {
    return undefined;
  }
  const at = finiteNumber(v.at);
  const kind = nonEmptyString(v.kind);
  const message = typeof v.message === 'string' ? v.message : undefined;
  return at !== undefined && kind && message !== undefined ? { at, kind, message } : undefined;
}

function parseScope(v: unknown): BatchScope | undefined {
  if (!isObject(v)) {
    return undefined;
  }
  if (v.kind === 'folder' && nonEmptyString(v.uri) && typeof v.label === 'string') {
    return { kind: 'folder', uri: v.uri as string, label: v.label };
  }
  const count = finiteNumber(v.count);
  return v.kind === 'files' && count !== undefined && count >= 0 ? { kind: 'files', count } : undefined;
}

function fromCurrent(v: unknown): { doc: BatchDocument; run?: undefined } | undefined {
  if (!isObject(v)) {
    return undefined;
  }
  const uri = nonEmptyString(v.uri);
  const runId = nonEmptyString(v.runId);
  if (!uri || !runId) {
    return undefined;
  }
  const doc: BatchDocument = { uri, runId };
  const label = nonEmptyString(v.label);
  if (label) {
    doc.label = label;
  }
  if (isObject(v.reused)) {
    const executionId = nonEmptyString(v.reused.executionId);
    const sha256 = nonEmptyString(v.reused.sha256);
    if (!executionId || !sha256) {
      return undefined;
    }
    const finishedAt = finiteNumber(v.reused.finishedAt);
    doc.reused = { executionId, sha256, ...(finishedAt !== undefined ? { finishedAt } : {}) };
  }
  return { doc };
}

/** An older file's entry (a per-file state); its state becomes a run record when it stands for one. */
function fromVersion1(
  v: unknown,
  batch: BatchRecord,
  index: number,
): { doc: BatchDocument; run?: RunRecord } | undefined {
  if (!isObject(v)) {
    return undefined;
  }
  const uri = nonEmptyString(v.uri);
  const state = typeof v.state === 'string' ? v.state : '';
  if (!uri || !V1_STATES.has(state)) {
    return undefined;
  }
  const doc: BatchDocument = { uri, runId: nonEmptyString(v.runId) ?? runIdFor(batch.id, index) };
  const label = nonEmptyString(v.label);
  if (label) {
    doc.label = label;
  }
  const executionId = nonEmptyString(v.executionId);
  const sha256 = nonEmptyString(v.sha256);
  if (state === 'skipped') {
    const reused = nonEmptyString(v.reusedExecutionId);
    if (!reused || !sha256) {
      return undefined;
    }
    doc.reused = { executionId: reused, sha256 };
    return { doc };
  }
  const runState = v1RunState(state, executionId);
  if (!runState) {
    return { doc }; // never sent: pending
  }
  const startedAt = finiteNumber(v.startedAt) ?? batch.createdAt;
  const error = nonEmptyString(v.error);
  const run: RunRecord = {
    id: doc.runId,
    source: workspaceSource(uri),
    sourceName: label ?? uri.slice(uri.lastIndexOf('/') + 1),
    stepId: batch.stepId,
    stepName: batch.stepName ?? batch.stepId,
    state: runState,
    startedAt,
    updatedAt: startedAt,
    batchId: batch.id,
    ...(executionId ? { executionId } : {}),
    ...(sha256 ? { sha256 } : {}),
  };
  if (runState !== 'ENQUEUED') {
    run.finishedAt = finiteNumber(v.endedAt) ?? startedAt;
  }
  if (runState === 'mayHaveStarted') {
    run.error = {
      kind: 'startUncertain',
      message: error ?? 'The start may have reached DocuTray; it was not sent again.',
    };
  } else if (error && runState !== 'SUCCESS') {
    run.error = { kind: runState === 'ERROR' ? 'stepFailed' : 'failed', message: error };
  }
  return { doc, run };
}

const V1_STATES: ReadonlySet<string> = new Set([
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

function v1RunState(state: string, executionId: string | undefined): RunState | undefined {
  switch (state) {
    case 'uploading':
    case 'uncertain':
      return executionId ? 'ENQUEUED' : 'mayHaveStarted';
    case 'waiting':
      return executionId ? 'ENQUEUED' : 'mayHaveStarted';
    case 'succeeded':
      return 'SUCCESS';
    case 'failed':
      return executionId ? 'ERROR' : 'failed';
    case 'unavailable':
      return 'failed';
    case 'cancelled':
      // Cancelled while waiting: it may still finish, its id is kept. Cancelled before it was sent: pending.
      return executionId ? 'cancelled' : undefined;
    default:
      return undefined;
  }
}

/** The batch as written: stable, small (no per-document state). */
export function serializeBatch(b: BatchRecord): string {
  return JSON.stringify(b);
}
