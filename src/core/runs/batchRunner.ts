/**
 * Runs a batch (batch.ts) through one request budget (api/budget.ts) with the poll planner
 * (polling/planner.ts): one coordinator decides, each time the budget allows a request, whether it
 * goes to the job most likely done or to the next start. Uploads are bounded (`maxUploads`: files
 * read and sent at once); jobs waiting on DocuTray are cheap for us (an id each) and bounded only by
 * `maxWaiting`, so a slow step does not starve the budget of starts.
 *
 * It updates the batch record as it goes (and tells `onChange`, so the caller can persist it): a file
 * is `uploading` before its start is sent, `waiting` with its execution id as soon as DocuTray answers,
 * `uncertain` when the start may have happened without an answer (never re-sent), and terminal at the
 * end. Resuming a batch after a reload is calling runBatch again on the record prepareResume() fixed.
 *
 * The requests themselves are the caller's (`start`, `status`), made through a client that holds the
 * same budget, at priority `batch`.
 */
import { setMaxListeners } from 'node:events';
import type { RequestBudget } from '../api/budget';
import { CancelledError, DocuTrayError, NotFoundError, StartUncertainError } from '../api/errors';
import type { Execution } from '../api/types';
import { DEFAULT_PLANNER, durationModel, pickNextPoll, type PlannedJob, type PlannerOptions } from '../polling/planner';
import { updateFile, type BatchFile, type BatchRecord } from './batch';

export interface BatchRunnerDeps {
  budget: Pick<RequestBudget, 'whenAvailable' | 'afterNextGrant' | 'ratePerMs'>;
  /** Starts the step on one file (through a client with the same budget, priority `batch`). */
  start(file: BatchFile, signal: AbortSignal): Promise<Execution>;
  /** One status request (same client, priority `batch`). */
  status(executionId: string, signal: AbortSignal): Promise<Execution>;
  /** The step's recent durations (ms, newest last); the runner appends what it learns. */
  durations?: number[];
  /** Tells the caller about a duration learned (to keep it with the runs). */
  onDuration?(ms: number): void;
  /** The record changed (a file's state): persist it, refresh the view. */
  onChange?(file: BatchFile, batch: BatchRecord): void;
  now?: () => number;
  /** A timer: (fn, ms) → handle, and its cancel. Injectable for tests. */
  setTimer?: (fn: () => void, ms: number) => unknown;
  clearTimer?: (handle: unknown) => void;
}

export interface BatchRunOptions {
  /** Files being read and uploaded at once (default 4). */
  maxUploads?: number;
  /** Jobs started and not yet seen done (default 200). */
  maxWaiting?: number;
  planner?: PlannerOptions;
  signal?: AbortSignal;
}

interface Job extends PlannedJob {
  uri: string;
  busy: boolean;
}

/** Errors that make every other file fail the same way: stop the batch (the rest stays resumable). */
const FATAL_KINDS = new Set(['authentication', 'missingApiKey', 'insecureBaseUrl', 'quotaExceeded']);

export async function runBatch(batch: BatchRecord, deps: BatchRunnerDeps, opts: BatchRunOptions = {}): Promise<void> {
  const now = deps.now ?? Date.now;
  const setTimer = deps.setTimer ?? ((fn: () => void, ms: number) => setTimeout(fn, ms));
  const clearTimer = deps.clearTimer ?? ((h: unknown) => clearTimeout(h as ReturnType<typeof setTimeout>));
  const planner = opts.planner ?? DEFAULT_PLANNER;
  const maxUploads = Math.max(1, opts.maxUploads ?? 4);
  const maxWaiting = Math.max(1, opts.maxWaiting ?? 200);
  const durations = deps.durations ?? [];
  const inner = new AbortController();
  const onAbort = () => inner.abort(opts.signal?.reason);
  opts.signal?.addEventListener('abort', onAbort, { once: true });
  const signal = inner.signal;
  // Every request under way listens to it (client, budget): many at once is normal here.
  setMaxListeners(0, signal);

  const jobs = new Map<string, Job>();
  for (const f of batch.files) {
    if (f.state === 'waiting' && f.executionId !== undefined) {
      jobs.set(f.executionId, {
        id: f.executionId,
        uri: f.uri,
        stepId: batch.stepId,
        startedAt: f.startedAt ?? now(),
        polls: 0,
        busy: false,
      });
    }
  }
  let uploads = 0;
  const inFlight = new Set<Promise<void>>();
  let fatal: unknown;
  let model = durationModel(durations);
  const models = () => model;

  // One wake-up for the coordinator: a request finished, or a planned instant came.
  let wake: (() => void) | undefined;
  const notify = () => {
    const w = wake;
    wake = undefined;
    w?.();
  };
  /** Resolves at `at`, on notify() or on abort; `cancel` drops the timer and listener. */
  const sleepUntil = (at: number) => {
    let cancel = () => {};
    const promise = new Promise<void>(resolve => {
      const handle = Number.isFinite(at) ? setTimer(() => done(), Math.max(0, at - now())) : undefined;
      const done = () => {
        if (handle !== undefined) {
          clearTimer(handle);
        }
        signal.removeEventListener('abort', done);
        if (wake === done) {
          wake = undefined;
        }
        resolve();
      };
      cancel = done;
      wake = done;
      signal.addEventListener('abort', done, { once: true });
    });
    return { promise, cancel };
  };

  const change = (file: BatchFile | undefined) => {
    if (file) {
      deps.onChange?.(file, batch);
    }
  };
  const learn = (e: Execution, job: Job) => {
    const a = e.requestTimestamp ? Date.parse(e.requestTimestamp) : NaN;
    const b = e.responseTimestamp ? Date.parse(e.responseTimestamp) : NaN;
    const ms = Number.isFinite(a) && Number.isFinite(b) && b >= a ? b - a : now() - job.startedAt;
    durations.push(ms);
    if (durations.length > 200) {
      durations.splice(0, durations.length - 200);
    }
    model = durationModel(durations);
    deps.onDuration?.(ms);
  };

  const poll = async (job: Job) => {
    job.busy = true;
    try {
      const e = await deps.status(job.id, signal);
      if (e.status === 'SUCCESS' || e.status === 'ERROR') {
        learn(e, job);
        jobs.delete(job.id);
        change(
          updateFile(
            batch,
            job.uri,
            e.status === 'SUCCESS'
              ? { state: 'succeeded' }
              : { state: 'failed', error: e.error?.message ?? 'DocuTray reported an error.' },
            now(),
          ),
        );
      } else {
        job.polls++;
        job.lastPolledAt = now();
      }
    } catch (err) {
      if (err instanceof NotFoundError) {
        jobs.delete(job.id);
        change(updateFile(batch, job.uri, { state: 'failed', error: err.message }, now()));
      } else if (isFatal(err)) {
        fatal ??= err;
      } else {
        // A status check that failed (after the client's retries) changes nothing: look again later.
        job.polls++;
        job.lastPolledAt = now();
      }
    } finally {
      job.busy = false;
      notify();
    }
  };

  const start = async (file: BatchFile) => {
    uploads++;
    change(updateFile(batch, file.uri, { state: 'uploading' }, now()));
    try {
      const e = await deps.start(file, signal);
      const startedAt = now();
      change(updateFile(batch, file.uri, { state: 'waiting', executionId: e.id }, startedAt));
      jobs.set(e.id, { id: e.id, uri: file.uri, stepId: batch.stepId, startedAt, polls: 0, busy: false });
    } catch (err) {
      if (err instanceof StartUncertainError || (err instanceof CancelledError && err.mayHaveStarted)) {
        change(updateFile(batch, file.uri, { state: 'uncertain', error: err.message }, now()));
      } else if (err instanceof CancelledError || signal.aborted) {
        change(updateFile(batch, file.uri, { state: 'pending' }, now()));
      } else if (isFatal(err)) {
        fatal ??= err;
        change(updateFile(batch, file.uri, { state: 'pending' }, now()));
      } else if (err instanceof DocuTrayError && err.kind === 'rateLimited') {
        // Refused before processing: it can go again.
        change(updateFile(batch, file.uri, { state: 'pending' }, now()));
      } else if (
        err instanceof DocuTrayError &&
        (err.kind === 'invalidInput' || err.kind === 'payloadTooLarge') &&
        err.status === undefined
      ) {
        change(updateFile(batch, file.uri, { state: 'unavailable', error: err.message }, now()));
      } else if (err instanceof DocuTrayError) {
        change(updateFile(batch, file.uri, { state: 'failed', error: err.message }, now()));
      } else {
        // Not the API's: the file could not be read.
        change(
          updateFile(
            batch,
            file.uri,
            { state: 'unavailable', error: err instanceof Error ? err.message : String(err) },
            now(),
          ),
        );
      }
    } finally {
      uploads--;
      notify();
    }
  };

  /**
   * Starts versus polls when the budget is the bottleneck: the batch ends when its last job is seen
   * done, so the last start must leave room for a job's length of polls after it. A due poll goes
   * before a start only while the polls still to come (waiting jobs + unsent files) cover that: a
   * typical job length of requests, plus a quarter. Until then results keep coming in as they are due.
   */
  const endReserve = () => {
    const rate = deps.budget.ratePerMs;
    return model && Number.isFinite(rate) ? Math.ceil(model.p95Ms * rate * 1.25) + 1 : 0;
  };
  const pollsLeftAfter = (jobId: string) =>
    jobs.size - (jobs.has(jobId) ? 1 : 0) + batch.files.filter(f => f.state === 'pending').length;

  try {
    for (;;) {
      if (signal.aborted || fatal !== undefined) {
        break;
      }
      const pending = batch.files.find(f => f.state === 'pending');
      const idle = [...jobs.values()].filter(j => !j.busy);
      if (!pending && uploads === 0 && jobs.size === 0) {
        break;
      }
      const canStart = pending !== undefined && uploads < maxUploads && jobs.size + uploads < maxWaiting;
      const plan = pickNextPoll(idle, models, now(), planner, { budgetShort: canStart });
      const pollDue = plan !== undefined && plan.at <= now();
      if (!pollDue && !canStart) {
        // Nothing to send now: sleep until the next planned poll, or until a request finishes.
        const sleep = sleepUntil(plan?.at ?? Infinity);
        await sleep.promise;
        continue;
      }
      // Wait for the budget (or for a change), then choose at the last moment: time has passed.
      const iteration = new AbortController();
      const endIteration = () => iteration.abort();
      signal.addEventListener('abort', endIteration, { once: true });
      const woken = sleepUntil(plan && !pollDue ? plan.at : Infinity);
      const available = deps.budget.whenAvailable({ priority: 'batch', signal: iteration.signal }).then(
        () => true,
        () => false,
      );
      const ready = await Promise.race([available, woken.promise.then(() => false)]);
      woken.cancel();
      iteration.abort();
      signal.removeEventListener('abort', endIteration);
      if (!ready || signal.aborted) {
        continue;
      }
      const t = now();
      const startNow = batch.files.find(f => f.state === 'pending');
      const canStartNow = startNow !== undefined && uploads < maxUploads && jobs.size + uploads < maxWaiting;
      const choice = pickNextPoll(
        [...jobs.values()].filter(j => !j.busy),
        models,
        t,
        planner,
        { budgetShort: canStartNow },
      );
      let launched: Promise<void> | undefined;
      const granted = deps.budget.afterNextGrant();
      if (choice && choice.at <= t && (!canStartNow || pollsLeftAfter(choice.job.id) >= endReserve())) {
        launched = poll(choice.job as Job);
      } else if (canStartNow && startNow) {
        launched = start(startNow);
      }
      if (launched) {
        const tracked = launched;
        inFlight.add(tracked);
        void tracked.finally(() => inFlight.delete(tracked));
        // Let this request take its turn in the budget before choosing the next one.
        await Promise.race([granted, launched]);
      }
    }
  } finally {
    opts.signal?.removeEventListener('abort', onAbort);
    if (fatal !== undefined) {
      inner.abort();
    }
    notify();
    // Leave the record consistent: every request under way settles (cancelled ones quickly).
    await Promise.allSettled([...inFlight]);
  }
  if (fatal !== undefined) {
    throw fatal;
  }
  if (opts.signal?.aborted) {
    throw new CancelledError();
  }
}

function isFatal(err: unknown): boolean {
  return (
    err instanceof DocuTrayError &&
    (FATAL_KINDS.has(err.kind) || (err instanceof NotFoundError && err.resource === 'step'))
  );
}
