/**
 * Waits for an execution to end. SUCCESS (or `completed`) resolves; ERROR (or `failed`) rejects with {@link StepFailedError} (the
 * official CLI prints an ERROR execution and exits 0 — we never treat it as a success); running out of
 * time rejects with {@link TimeoutError}; the signal rejects with {@link CancelledError} at once. An
 * unknown status is reported through `onStatus` like any other and polled on until the timeout.
 */
import { CancelledError, StepFailedError, TimeoutError } from '../api/errors';
import { Execution, isTerminal, statusKind } from '../api/execution';
import { sleep } from '../api/retry';
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
}

export const DEFAULT_WAIT_TIMEOUT_MS = 300_000;

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
  const timedOut = () => new TimeoutError(`Execution ${executionId} did not finish within ${Math.round(timeoutMs / 1000)} s. It may still finish: check it again later.`, {}, executionId);
  // Polls are planned on the schedule's own instants, measured from the start, not from when the
  // previous answer arrived: otherwise each round trip's lateness adds up over a long job.
  let planned = schedule.firstDelayMs;
  let delay = Math.max(0, startedAt + planned - now());
  for (; ;) {
    // When the next look would fall past the deadline, look once more at the deadline itself: with
    // intervals of up to 10 s, giving up at once would cut the user's timeout short by that much.
    const remaining = deadline - now();
    const lastLook = delay >= remaining;
    if (lastLook) {
      if (remaining <= 0) {
        throw timedOut();
      }
      delay = remaining;
    }
    await pause(delay);
    const execution = await getStatus(opts.signal);
    opts.onStatus?.(execution);
    if (statusKind(execution.status) === 'failed') {
      throw new StepFailedError(execution.id, execution.error ?? { message: 'DocuTray reported an error without details.' }, {}, execution);
    }
    if (isTerminal(execution.status)) {
      return execution;
    }
    if (lastLook || now() >= deadline) {
      throw timedOut();
    }
    const elapsed = now() - startedAt;
    planned += nextPollDelay(schedule, planned);
    if (planned <= elapsed) {
      // Late by a whole interval (a slow answer, a suspended laptop): plan again from now.
      planned = elapsed + nextPollDelay(schedule, elapsed);
    }
    delay = planned - elapsed;
  }
}
