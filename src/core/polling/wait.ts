/**
 * Waits for an execution to end. SUCCESS (or `completed`) resolves; ERROR (or `failed`) rejects with {@link StepFailedError} (the
 * official CLI prints an ERROR execution and exits 0 — we never treat it as a success); running out of
 * time rejects with {@link TimeoutError} carrying the execution id; the signal rejects with
 * {@link CancelledError} at once. An unknown status is reported through `onStatus` like any other and
 * polled on until the timeout.
 *
 * Transient failures never end the wait: a 5xx, a 429, a lost network, an unreadable answer (a proxy's
 * page), or a laptop waking up keep it waiting, backing off (exponential with jitter, capped, never
 * sooner than Retry-After), until the timeout passes; only then does it give up, with the id, so the
 * execution can be checked later. A rate-limit pause that would outlast the timeout ends it at once with
 * the 429, which says when to try again. Other refusals (401, 403, 404, an answer too large to read) end it
 * at once: waiting would not change them.
 */
import {
  CancelledError,
  DocuTrayError,
  RateLimitError,
  ResponseTooLargeError,
  StepFailedError,
  TimeoutError,
} from '../api/errors';
import { isTerminal, statusKind } from '../api/execution';
import type { Execution } from '../api/types';
import { RetryPolicy, backoffDelay } from '../api/retry';
import { sleep } from '../async/sleep';
import { ADAPTIVE_SCHEDULE, PollSchedule, nextPollDelay } from './schedule';

export interface WaitOptions {
  signal?: AbortSignal;
  /** Give up after this long (default 300 s, as the SDKs). */
  timeoutMs?: number;
  /** Called with every status seen, the first one included. */
  onStatus?: (execution: Execution) => void;
  schedule?: PollSchedule;
  /** When the execution started (ms epoch); defaults to now. Lets a resumed run keep its pace. */
  startedAt?: number;
  now?: () => number;
  /** Called when a status check failed transiently and the next is in `retryInMs`. */
  onTransient?: (error: DocuTrayError, retryInMs: number) => void;
  /** Backoff between status checks that failed transiently (default {@link TRANSIENT_BACKOFF}). */
  backoff?: RetryPolicy;
  random?: () => number;
  /**
   * Planned instants (ms after `startedAt`) for the first looks, in order: around the end the step's
   * durations predict (planner.ts, `expectedEndLooks`). Past the last one, or after an outage, the
   * schedule goes on from where it is.
   */
  looks?: readonly number[];
}

export const DEFAULT_WAIT_TIMEOUT_MS = 300_000;

/** Failed checks past the deadline are retried until they have lasted this long (30 s). */
export const OUTAGE_GRACE_MS = 30_000;

/** 1 s, doubling with jitter, at most 30 s between checks while DocuTray does not answer. */
export const TRANSIENT_BACKOFF: RetryPolicy = {
  maxRetries: Infinity,
  baseDelayMs: 1000,
  maxDelayMs: 30_000,
  maxRetryAfterMs: Infinity,
};

/** A status-check failure that says nothing about the execution: try again later. */
export function isTransientStatusError(e: unknown): e is DocuTrayError {
  if (!(e instanceof DocuTrayError) || e instanceof ResponseTooLargeError) {
    return false;
  }
  switch (e.kind) {
    case 'server':
      return e.status !== 501;
    case 'rateLimited':
    case 'connection':
    case 'timeout':
    case 'invalidResponse':
      return true;
    default:
      return false;
  }
}

function retryAfterOf(e: DocuTrayError): number | undefined {
  if (e instanceof RateLimitError && e.info.retryAfterSeconds !== undefined) {
    return e.info.retryAfterSeconds * 1000;
  }
  return (e as { retryAfterMs?: number }).retryAfterMs;
}

export async function waitForExecution(
  executionId: string,
  getStatus: (signal?: AbortSignal) => Promise<Execution>,
  opts: WaitOptions = {},
): Promise<Execution> {
  const now = opts.now ?? Date.now;
  const schedule = opts.schedule ?? ADAPTIVE_SCHEDULE;
  const timeoutMs = opts.timeoutMs ?? DEFAULT_WAIT_TIMEOUT_MS;
  const startedAt = opts.startedAt ?? now();
  const deadline = now() + timeoutMs;
  const pause = async (ms: number) => {
    try {
      await sleep(ms, opts.signal);
    } catch {
      throw new CancelledError();
    }
  };
  let lastFailure: DocuTrayError | undefined;
  let failures = 0;
  // When the current run of failed checks began. Past the deadline, failures are still retried until
  // they have lasted OUTAGE_GRACE (or the whole timeout, if shorter): a laptop that slept through the
  // deadline gets its network back before the run is given up, and an answer ends the outage.
  let outageSince: number | undefined;
  const grace = Math.min(timeoutMs, OUTAGE_GRACE_MS);
  const inGrace = () => outageSince !== undefined && now() - outageSince < grace;
  const timedOut = () =>
    new TimeoutError(
      lastFailure
        ? `DocuTray did not answer about execution ${executionId} for ${Math.round(timeoutMs / 1000)} s (last: ${lastFailure.message}). It may still finish: check it again later.`
        : `Execution ${executionId} did not finish within ${Math.round(timeoutMs / 1000)} s. It may still finish: check it again later.`,
      { cause: lastFailure },
      executionId,
    );
  // Polls are planned on the schedule's own instants, measured from the start, not from when the
  // previous answer arrived: otherwise each round trip's lateness adds up over a long job.
  const looks = opts.looks ?? [];
  let look = 0;
  let planned = looks.length ? looks[0] : schedule.firstDelayMs;
  let delay = Math.max(0, startedAt + planned - now());
  for (;;) {
    // When the next look would fall past the deadline, look once more at the deadline itself: with
    // intervals of up to 10 s, giving up at once would cut the user's timeout short by that much.
    const remaining = deadline - now();
    const lastLook = delay >= remaining;
    if (lastLook) {
      if (remaining <= 0) {
        if (!inGrace()) {
          throw timedOut();
        }
      } else {
        delay = remaining;
      }
    }
    await pause(delay);
    let execution: Execution;
    try {
      execution = await getStatus(opts.signal);
    } catch (e) {
      if (opts.signal?.aborted) {
        throw new CancelledError();
      }
      if (!isTransientStatusError(e)) {
        throw e;
      }
      lastFailure = e;
      const pauseMs = e instanceof RateLimitError ? retryAfterOf(e) : undefined;
      if (pauseMs !== undefined && now() + pauseMs > deadline) {
        // A rate-limit pause past the deadline: say when to try again now rather than wait it out.
        throw e;
      }
      outageSince ??= now();
      if ((lastLook || now() >= deadline) && !inGrace()) {
        throw timedOut();
      }
      delay = backoffDelay(Math.min(failures++, 20), opts.backoff ?? TRANSIENT_BACKOFF, retryAfterOf(e), opts.random);
      opts.onTransient?.(e, delay);
      // The schedule starts again from the answer that ends the outage.
      planned = -1;
      look = looks.length;
      continue;
    }
    lastFailure = undefined;
    outageSince = undefined;
    failures = 0;
    opts.onStatus?.(execution);
    if (statusKind(execution.status) === 'failed') {
      throw new StepFailedError(
        execution.id,
        execution.error ?? { message: 'DocuTray reported an error without details.' },
        {},
        execution,
      );
    }
    if (isTerminal(execution.status)) {
      return execution;
    }
    if (lastLook || now() >= deadline) {
      throw timedOut();
    }
    const elapsed = now() - startedAt;
    look++;
    planned = planned < 0 ? elapsed : look < looks.length ? looks[look] : planned + nextPollDelay(schedule, planned);
    if (planned <= elapsed) {
      // Late by a whole interval (a slow answer, a suspended laptop): plan again from now.
      planned = elapsed + nextPollDelay(schedule, elapsed);
    }
    delay = planned - elapsed;
  }
}
