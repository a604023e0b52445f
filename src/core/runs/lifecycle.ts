/**
 * A run's life, and what each moment of it may offer. Pure: the VS Code glue (src/runs/) reports what
 * happened and asks what to do; this decides, so the rules that keep a paid step from being started
 * twice live in one place and are tested in plain Node.
 *
 *     starting ── preparing, then uploading; no execution id yet
 *        │ started(id)              │ answer lost after bytes went out
 *        ▼                          ▼
 *     ENQUEUED/PROCESSING       mayHaveStarted (uncertain: may be running and billed; never restarted
 *        │  (waiting, id kept)                  without a modal naming the request id)
 *        ├─ SUCCESS   result stored
 *        ├─ ERROR     DocuTray said the step failed (its record is stored)
 *        ├─ unavailable  id kept, result not fetched yet: outage past pollTimeoutSeconds, result that
 *        │               could not be stored, a status check refused… "check later", resumable
 *        └─ cancelled    (by the user; with an id the execution may run on, and can be checked)
 *     starting ─ refused before or without starting (nothing sent, or a 4xx refusal) ─▶ failed
 *
 * The rules:
 *  - a start is retried automatically only when not a byte of it was sent (the client enforces it);
 *  - "Retry" on a run that has an execution id polls that execution again, never starts;
 *  - a run that may have started (uncertain, or unavailable/in flight) is started again only after a
 *    modal confirmation that says it may be billed twice and names the request id;
 *  - a run that has an execution id never becomes `failed` or `mayHaveStarted`: its id is never lost.
 */
import { DocuTrayError, StepFailedError } from '../api/errors';
import { RunRecord, isInFlight } from './history';
import { hasDocument } from './source';

export type RunEvent =
  /** DocuTray accepted the start and gave the execution id. */
  | { type: 'started'; executionId: string }
  /** A status answer while waiting. */
  | { type: 'status'; status: string }
  /** The result is stored. */
  | { type: 'succeeded' }
  /** The run ended with this error (thrown by the client, the poller or the store). */
  | { type: 'error'; error: unknown; message?: string }
  /** The window went away mid-run (found in flight at the next start). */
  | { type: 'interrupted' };

/** The change an event makes to a run record (to merge into it), or undefined when it changes nothing. */
export type RunChange = Partial<Pick<RunRecord, 'state' | 'executionId' | 'finishedAt' | 'error' | 'requestId'>> & {
  stage?: undefined;
};

/**
 * The next state of a run. A run that has ended changes only when it is resumed (see
 * {@link resumeChange}); a run with an execution id never loses it and never becomes `failed`.
 */
export function transition(
  run: Pick<RunRecord, 'state' | 'executionId'>,
  event: RunEvent,
  now = Date.now(),
): RunChange | undefined {
  const waiting = isInFlight(run);
  switch (event.type) {
    case 'started':
      if (run.executionId) {
        return undefined;
      }
      // A start whose answer came late (after the window froze, or after it was marked uncertain) is no
      // longer uncertain: it has its id, and is followed like any other.
      return run.state === 'starting'
        ? { state: 'ENQUEUED', executionId: event.executionId }
        : run.state === 'mayHaveStarted'
          ? { state: 'ENQUEUED', executionId: event.executionId, finishedAt: undefined, error: undefined }
          : undefined;
    case 'status':
      if (!waiting || !run.executionId) {
        return undefined;
      }
      return (event.status === 'ENQUEUED' || event.status === 'PROCESSING') && event.status !== run.state
        ? { state: event.status }
        : undefined;
    case 'succeeded':
      return run.executionId ? { state: 'SUCCESS', finishedAt: now, error: undefined, stage: undefined } : undefined;
    case 'interrupted':
      if (!waiting) {
        return undefined;
      }
      return run.executionId
        ? undefined /* polled again: still waiting */
        : {
            state: 'mayHaveStarted',
            finishedAt: now,
            stage: undefined,
            error: {
              kind: 'startUncertain',
              message:
                'The window closed while this run was starting: it may have started on DocuTray. It was not started again.',
            },
          };
    case 'error':
      return settle(run, event.error, event.message, now);
  }
}

function settle(
  run: Pick<RunRecord, 'state' | 'executionId'>,
  e: unknown,
  message: string | undefined,
  now: number,
): RunChange {
  const kind = e instanceof DocuTrayError ? e.kind : 'error';
  const text = message ?? (e instanceof Error ? e.message : String(e));
  const requestId = e instanceof DocuTrayError ? e.requestId : undefined;
  const base = { finishedAt: now, stage: undefined, ...(requestId ? { requestId } : {}) };
  if (e instanceof StepFailedError) {
    return { ...base, state: 'ERROR', executionId: run.executionId ?? e.executionId, error: { kind, message: text } };
  }
  if (run.executionId) {
    // Whatever went wrong after DocuTray gave the id (an outage past the timeout, a refused status
    // check, a result too odd to store), the execution is DocuTray's: keep its id, check it later.
    if (kind === 'cancelled') {
      return { ...base, state: 'cancelled', error: undefined };
    }
    return { ...base, state: 'unavailable', error: { kind, message: text } };
  }
  if (kind === 'startUncertain' || (kind === 'cancelled' && (e as { mayHaveStarted?: boolean }).mayHaveStarted)) {
    return { ...base, state: 'mayHaveStarted', error: { kind: 'startUncertain', message: text } };
  }
  if (kind === 'cancelled') {
    return { ...base, state: 'cancelled', error: undefined };
  }
  return { ...base, state: 'failed', error: { kind, message: text } };
}

/** A run picked up again: polling its execution again (Retry, Check Again, a reload). */
export function resumeChange(run: Pick<RunRecord, 'state' | 'executionId'>): RunChange | undefined {
  if (!run.executionId || run.state === 'SUCCESS' || run.state === 'ERROR') {
    return undefined;
  }
  return run.state === 'ENQUEUED' || run.state === 'PROCESSING'
    ? {}
    : { state: 'PROCESSING', finishedAt: undefined, error: undefined };
}

/** What "Retry" on a run that did not succeed means. */
export type RetryOffer =
  /** Poll the same execution again; never a new start. */
  | { kind: 'poll'; executionId: string }
  /** Start again: nothing can have started (nothing sent, or a refusal that says so). */
  | { kind: 'start' }
  /** It may have started: only after a modal that says it may be billed twice and names the request. */
  | { kind: 'confirmStart'; requestId?: string }
  /** Nothing to retry (it succeeded, DocuTray said the step failed, it is still running, or it has no document). */
  | { kind: 'none' };

export function retryOffer(r: Pick<RunRecord, 'state' | 'executionId' | 'requestId' | 'source'>): RetryOffer {
  if (r.state === 'SUCCESS' || r.state === 'ERROR' || isInFlight(r)) {
    return { kind: 'none' };
  }
  if (r.executionId) {
    return { kind: 'poll', executionId: r.executionId };
  }
  if (!hasDocument(r.source)) {
    return { kind: 'none' };
  }
  return r.state === 'mayHaveStarted' ? { kind: 'confirmStart', requestId: r.requestId } : { kind: 'start' };
}

/**
 * Whether starting this run's document again (Rerun) may bill a step that is already running or ran
 * without its result reaching the user: then the rerun needs the modal, never one click.
 */
export function rerunMayDuplicate(r: Pick<RunRecord, 'state' | 'executionId'>): boolean {
  // An execution whose end we never saw (unavailable, cancelled while waiting, an older record that
  // failed while waiting) may still be running: a rerun would be a second billed execution.
  return (
    r.state === 'mayHaveStarted' || isInFlight(r) || (!!r.executionId && r.state !== 'SUCCESS' && r.state !== 'ERROR')
  );
}

/** Whether the Runs view may offer a one-click inline Rerun. */
export function inlineRerun(r: Pick<RunRecord, 'state' | 'executionId' | 'source'>): boolean {
  return hasDocument(r.source) && !rerunMayDuplicate(r);
}

/** A start may be retried by itself only when not one byte of it was sent. */
export function mayRetryStart(bytesSent: number): boolean {
  return bytesSent === 0;
}

/**
 * "Retry Failed" on a batch: which runs start again, which are polled again, which are left alone
 * (they may have started: each needs its own confirmed rerun).
 */
export function planRetry<R extends Pick<RunRecord, 'state' | 'executionId' | 'requestId' | 'source'>>(
  runs: readonly R[],
): { start: R[]; poll: R[]; uncertain: R[] } {
  const plan = { start: [] as R[], poll: [] as R[], uncertain: [] as R[] };
  for (const r of runs) {
    const offer = retryOffer(r);
    if (offer.kind === 'start') {
      plan.start.push(r);
    } else if (offer.kind === 'poll') {
      plan.poll.push(r);
    } else if (offer.kind === 'confirmStart') {
      plan.uncertain.push(r);
    }
  }
  return plan;
}

/** Failures a second try can mend: the service or the network was in the way, not the document or the step. */
const PASSING_KINDS: ReadonlySet<string> = new Set([
  'connection',
  'server',
  'timeout',
  'rateLimited',
  'invalidResponse',
]);

/**
 * What "Retry Failed" may do for a run that ended without its result: `start` again a document that surely
 * never started (its start failed for a passing reason: DocuTray could not start it, the connection was
 * refused before sending), `poll` again an execution whose result did not come (DocuTray did not answer in
 * time). Never for the step's own ERROR (it would fail, and be billed, again), a refusal, an execution
 * DocuTray refuses to show (403/404), or a start that may have happened.
 */
export function failureRetry(r: Pick<RunRecord, 'state' | 'executionId' | 'error'>): 'start' | 'poll' | undefined {
  const passing = !!r.error && PASSING_KINDS.has(r.error.kind);
  if (r.state === 'failed' && !r.executionId && passing) {
    return 'start';
  }
  if (r.state === 'unavailable' && r.executionId && passing) {
    return 'poll';
  }
  return undefined;
}
