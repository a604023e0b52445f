/**
 * Drives a batch's requests through one request budget (api/budget.ts) with the poll planner
 * (polling/planner.ts): one coordinator decides, each time the budget allows a request, whether it goes to
 * the job most likely done or to the next start. Uploads are bounded (`maxUploads`: documents read and sent
 * at once); jobs waiting on DocuTray are cheap for us (an id each) and bounded only by `maxWaiting`, so a
 * slow step does not starve the budget of starts.
 *
 * The runner holds no record. It asks the caller to start a document or poll a job, and tells it what
 * happened (`onEvent`); the caller keeps the document's run record (whose state is the document's state,
 * batches/record.ts). It decides only what comes next:
 *   - a start refused before it was sent (429, called back, the fence lost) goes back to the queue or stops;
 *   - a start that may have reached DocuTray is never sent again;
 *   - a job is polled until DocuTray says it finished, for at most `pollTimeoutMs` from when this runner
 *     took it (then it is unavailable, its id kept); a status that refuses the execution (400/403/404)
 *     ends the job unavailable too — so a batch always ends;
 *   - an error every other document would meet too (the key refused, the step unknown) stops the batch,
 *     and so does a pause longer than `maxPauseMs` (a 429 asking for an hour): the rest stays resumable.
 *
 * Before each request the runner asks `stillOwned()`: a window that lost the batch while it was frozen finds
 * out before it sends anything.
 */
import { setMaxListeners } from 'node:events';
import type { RequestBudget } from '../api/budget';
import {
  BadRequestError,
  CancelledError,
  DocuTrayError,
  NotFoundError,
  PermissionError,
  RateLimitError,
  StartUncertainError,
  TimeoutError,
} from '../api/errors';
import { MAX_TIMER_MS } from '../async/sleep';
import type { Execution } from '../api/types';
import { StartNotRecordedError } from '../runs/engine';
import { DEFAULT_PLANNER, durationModel, pickNextPoll, type PlannedJob, type PlannerOptions } from '../polling/planner';

/** A document to start. `key` is its run id. */
export interface RunnerDocument {
  key: string;
  uri: string;
}

/** A started document to follow to its end. */
export interface RunnerJob {
  key: string;
  executionId: string;
}

/** What happened to a document (the caller records it in the document's run). */
export type RunnerEvent =
  /** DocuTray accepted the start. */
  | { type: 'started'; doc: RunnerDocument; execution: Execution }
  /** Nothing was sent (called back, refused before sending, or the batch stopped first): it is pending again. */
  | { type: 'notSent'; doc: RunnerDocument; error?: unknown }
  /** The start failed: refused (a 4xx, an unreadable file) or, with `uncertain`, it may have reached DocuTray. */
  | { type: 'startFailed'; doc: RunnerDocument; error: unknown; uncertain: boolean }
  /** A status answer while the job runs. */
  | { type: 'status'; job: RunnerJob; execution: Execution }
  /** DocuTray says it finished (SUCCESS or ERROR); `status` stored its result before this. */
  | { type: 'finished'; job: RunnerJob; execution: Execution }
  /** No result for now: a refused status check or the poll timeout. Its id is kept (Check Execution). */
  | { type: 'unavailable'; job: RunnerJob; error: DocuTrayError };

/** Why the runner stopped. */
export type RunnerEnd =
  | { kind: 'done' }
  | { kind: 'cancelled' }
  /** An error every document would meet (the key, the step): the rest stays as it is, resumable. */
  | { kind: 'fatal'; error: unknown }
  /** DocuTray asked for a pause past `maxPauseMs`: resume at `until` (ms epoch). */
  | { kind: 'paused'; until: number }
  /** Another window owns the batch now: this one stops without a word more. */
  | { kind: 'lost' };

export interface RunnerDeps {
  budget: Pick<RequestBudget, 'whenAvailable' | 'afterNextGrant' | 'ratePerMs' | 'pausedForMs' | 'state'>;
  /**
   * Starts the step on one document (through a client with the same budget, priority `batch`): the caller
   * fences it (still the owner, its run record created exclusively) and records the execution id as soon as
   * DocuTray answers, whoever owns the batch by then. It calls `sending` once its fence has passed, right before
   * the request goes out: from then on the start is billed, and only a cancel abandons it — a stop (the batch
   * lost to another window, paused, stopped by a fatal error) lets its answer land, so its execution id is
   * recorded and followed instead of the document being left "may have started".
   */
  start(doc: RunnerDocument, signal: AbortSignal, sending: () => void): Promise<Execution>;
  /** One status request (same client, priority `batch`); stores a finished execution's result before it returns. */
  status(job: RunnerJob, signal: AbortSignal): Promise<Execution>;
  /** Whether this window still owns the batch (cheap while its lease is fresh). */
  stillOwned(): Promise<boolean>;
  onEvent(event: RunnerEvent): void;
  /** The step's recent durations (ms, newest last); the runner appends what it learns. */
  durations?: number[];
  now?: () => number;
  setTimer?: (fn: () => void, ms: number) => unknown;
  clearTimer?: (handle: unknown) => void;
}

export interface RunnerOptions {
  /** Documents being read and uploaded at once (default 4). */
  maxUploads?: number;
  /** Jobs started and not yet seen done (default 200). */
  maxWaiting?: number;
  /** How long a job is polled before it is left unavailable (default 5 min). */
  pollTimeoutMs?: number;
  /** A rate-limit pause longer than this stops the batch until it is over (default 1 h). */
  maxPauseMs?: number;
  planner?: PlannerOptions;
  signal?: AbortSignal;
}

interface Job extends PlannedJob {
  job: RunnerJob;
  busy: boolean;
  /** When this runner took the job (its poll timeout runs from here). */
  followedSince: number;
}

/** Errors every other document would meet the same way: stop (the rest stays resumable). */
const FATAL_KINDS = new Set(['authentication', 'missingApiKey', 'insecureBaseUrl', 'quotaExceeded']);

export class BatchRunner {
  private readonly queue: RunnerDocument[];
  private readonly jobs = new Map<string, Job>();
  /** Documents being started now (taken from the queue, not answered yet). */
  private readonly starting = new Set<string>();
  private wake: (() => void) | undefined;

  constructor(
    private readonly stepId: string,
    pending: readonly RunnerDocument[],
    waiting: readonly RunnerJob[],
    private readonly deps: RunnerDeps,
    private readonly opts: RunnerOptions = {},
  ) {
    this.queue = [...pending];
    for (const j of waiting) {
      this.follow(j);
    }
  }

  /**
   * Follows a job learnt while running (another window's start answered after this one took the batch);
   * false when it is followed already.
   */
  follow(job: RunnerJob): boolean {
    if (this.jobs.has(job.executionId)) {
      return false;
    }
    const now = (this.deps.now ?? Date.now)();
    this.jobs.set(job.executionId, {
      id: job.executionId,
      stepId: this.stepId,
      startedAt: now,
      polls: 0,
      busy: false,
      job,
      followedSince: now,
    });
    this.notify();
    return true;
  }

  /**
   * Sends a document learnt while running: one pending again because the window that had prepared its start
   * found, right before sending, that it had lost the batch (nothing went out). Ignored when it is queued,
   * being started or followed already.
   */
  send(doc: RunnerDocument): void {
    if (
      this.starting.has(doc.key) ||
      this.queue.some(d => d.key === doc.key) ||
      [...this.jobs.values()].some(j => j.job.key === doc.key)
    ) {
      return;
    }
    this.queue.push(doc);
    this.notify();
  }

  private notify(): void {
    const w = this.wake;
    this.wake = undefined;
    w?.();
  }

  async run(): Promise<RunnerEnd> {
    const deps = this.deps;
    const opts = this.opts;
    const now = deps.now ?? Date.now;
    const setTimer = deps.setTimer ?? ((fn: () => void, ms: number) => setTimeout(fn, ms));
    const clearTimer = deps.clearTimer ?? ((h: unknown) => clearTimeout(h as ReturnType<typeof setTimeout>));
    const planner = opts.planner ?? DEFAULT_PLANNER;
    const maxUploads = Math.max(1, opts.maxUploads ?? 4);
    const maxWaiting = Math.max(1, opts.maxWaiting ?? 200);
    const pollTimeoutMs = opts.pollTimeoutMs ?? 300_000;
    const maxPauseMs = opts.maxPauseMs ?? 3_600_000;
    const durations = deps.durations ?? [];
    const inner = new AbortController();
    const onAbort = () => inner.abort(opts.signal?.reason);
    opts.signal?.addEventListener('abort', onAbort, { once: true });
    if (opts.signal?.aborted) {
      inner.abort(opts.signal.reason);
    }
    const signal = inner.signal;
    // Every request under way listens to it (client, budget): many at once is normal here.
    setMaxListeners(0, signal);
    let uploads = 0;
    const inFlight = new Set<Promise<void>>();
    let end: RunnerEnd | undefined;
    const stop = (e: RunnerEnd) => {
      end ??= e;
      inner.abort();
    };
    let model = durationModel(durations);
    const models = () => model;

    /** Resolves at `at`, on notify() or on abort; `cancel` drops the timer and listener. */
    const sleepUntil = (at: number) => {
      let cancel = () => {};
      const promise = new Promise<void>(resolve => {
        const handle = Number.isFinite(at)
          ? setTimer(() => done(), Math.min(MAX_TIMER_MS, Math.max(0, at - now())))
          : undefined;
        const done = () => {
          if (handle !== undefined) {
            clearTimer(handle);
          }
          signal.removeEventListener('abort', done);
          if (this.wake === done) {
            this.wake = undefined;
          }
          resolve();
        };
        cancel = done;
        this.wake = done;
        signal.addEventListener('abort', done, { once: true });
      });
      return { promise, cancel };
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
    };

    /** A long pause (a 429 that asks for more than maxPauseMs): the batch stops until it is over. */
    const pauseOf = (err: unknown): number | undefined => {
      const paused = deps.budget.pausedForMs();
      const asked = err instanceof RateLimitError ? (err.info.retryAfterSeconds ?? 0) * 1000 : 0;
      const ms = Math.max(paused, asked);
      return ms > maxPauseMs ? now() + ms : undefined;
    };

    const poll = async (job: Job) => {
      job.busy = true;
      try {
        const e = await deps.status(job.job, signal);
        if (e.status === 'SUCCESS' || e.status === 'ERROR') {
          learn(e, job);
          this.jobs.delete(job.id);
          deps.onEvent({ type: 'finished', job: job.job, execution: e });
          return;
        }
        job.polls++;
        job.lastPolledAt = now();
        deps.onEvent({ type: 'status', job: job.job, execution: e });
        timeOut(job);
      } catch (err) {
        if (signal.aborted) {
          return; // cancelled or stopped: the job stays as it is, resumable
        }
        if (err instanceof BadRequestError || err instanceof PermissionError || err instanceof NotFoundError) {
          // DocuTray will not tell this key about this execution (the key changed, the id is unknown): asking
          // again changes nothing. Its id is kept: Check Execution can look again.
          this.jobs.delete(job.id);
          deps.onEvent({ type: 'unavailable', job: job.job, error: err });
        } else if (isFatal(err)) {
          stop({ kind: 'fatal', error: err });
        } else if (pauseOf(err) !== undefined) {
          stop({ kind: 'paused', until: pauseOf(err) as number });
        } else {
          // A status check that failed (after the client's retries) changes nothing: look again later.
          job.polls++;
          job.lastPolledAt = now();
          timeOut(job);
        }
      } finally {
        job.busy = false;
        this.notify();
      }
    };

    const timeOut = (job: Job) => {
      if (now() - job.followedSince >= pollTimeoutMs && this.jobs.has(job.id)) {
        this.jobs.delete(job.id);
        deps.onEvent({
          type: 'unavailable',
          job: job.job,
          error: new TimeoutError(
            `DocuTray had not finished execution ${job.job.executionId} after ${Math.round(pollTimeoutMs / 1000)} s.`,
            {},
            job.job.executionId,
          ),
        });
      }
    };

    const start = async (doc: RunnerDocument) => {
      uploads++;
      this.starting.add(doc.key);
      // Its own signal: a stop abandons the start only until it is sent; a cancel abandons it at any time.
      const own = new AbortController();
      let sent = false;
      const onStop = () => {
        if (!sent) {
          own.abort(signal.reason);
        }
      };
      const onCancel = () => own.abort(opts.signal?.reason);
      signal.addEventListener('abort', onStop, { once: true });
      opts.signal?.addEventListener('abort', onCancel, { once: true });
      if (signal.aborted) {
        onStop();
      }
      try {
        const e = await deps.start(doc, own.signal, () => {
          sent = true;
        });
        deps.onEvent({ type: 'started', doc, execution: e });
        this.follow({ key: doc.key, executionId: e.id });
      } catch (err) {
        if (err instanceof StartNotRecordedError) {
          // Billed, its id known here only: followed to its end all the same (the result still lands).
          deps.onEvent({ type: 'started', doc, execution: err.execution });
          this.follow({ key: doc.key, executionId: err.execution.id });
        } else if (err instanceof StartUncertainError || (err instanceof CancelledError && err.mayHaveStarted)) {
          deps.onEvent({ type: 'startFailed', doc, error: err, uncertain: true });
        } else if (err instanceof CancelledError || own.signal.aborted || err instanceof LostBatchError) {
          deps.onEvent({ type: 'notSent', doc, error: err });
          if (err instanceof LostBatchError) {
            stop({ kind: 'lost' });
          }
        } else if (isFatal(err)) {
          deps.onEvent({ type: 'notSent', doc, error: err });
          stop({ kind: 'fatal', error: err });
        } else if (err instanceof DocuTrayError && err.kind === 'rateLimited') {
          // Refused before processing: it goes again, unless the pause is too long to wait through.
          deps.onEvent({ type: 'notSent', doc, error: err });
          const until = pauseOf(err);
          if (until !== undefined) {
            stop({ kind: 'paused', until });
          } else {
            this.queue.unshift(doc);
          }
        } else {
          // Refused by DocuTray (a 4xx), refused here (not a document DocuTray takes), or not readable.
          deps.onEvent({ type: 'startFailed', doc, error: err, uncertain: false });
        }
      } finally {
        signal.removeEventListener('abort', onStop);
        opts.signal?.removeEventListener('abort', onCancel);
        uploads--;
        this.starting.delete(doc.key);
        this.notify();
      }
    };

    /**
     * Starts versus polls when the budget is the bottleneck: the batch ends when its last job is seen done,
     * so the last start must leave room for a job's length of polls after it. A due poll goes before a start
     * only while the polls still to come (waiting jobs + unsent documents) cover that: a typical job length
     * of requests, plus a quarter. Until then results keep coming in as they are due.
     */
    const endReserve = () => {
      const rate = deps.budget.ratePerMs;
      return model && Number.isFinite(rate) ? Math.ceil(model.p95Ms * rate * 1.25) + 1 : 0;
    };
    const pollsLeftAfter = (jobId: string) => this.jobs.size - (this.jobs.has(jobId) ? 1 : 0) + this.queue.length;
    const canStart = () => this.queue.length > 0 && uploads < maxUploads && this.jobs.size + uploads < maxWaiting;
    const idle = () => [...this.jobs.values()].filter(j => !j.busy);
    /**
     * Near the batch's end, when the budget is what holds it up: the requests still needed (a start and a
     * status request per document to start, one per job) fit in this window and the next, and this window
     * cannot take all the starts and a poll. A probe's poll now would push a start into the last window, and its
     * whole job length after it: starts go first. Earlier in a long batch the probe keeps polling, so that
     * a step's duration (or a step failing every document) is learnt before most documents are sent.
     */
    const startsFirst = () => {
      if (!this.queue.length || this.jobs.size + uploads >= maxWaiting) {
        return false;
      }
      const s = deps.budget.state();
      const room = s.remaining - s.interactiveReserve;
      const needed = 2 * this.queue.length + this.jobs.size;
      // The poll would take a start's place when the room is no more than the starts.
      return room <= this.queue.length && needed <= room + s.allowance - s.interactiveReserve;
    };
    const context = () => ({ budgetShort: canStart(), startsFirst: startsFirst() });
    const due = () => [...this.jobs.values()].filter(j => !j.busy && now() - j.followedSince >= pollTimeoutMs);

    try {
      for (;;) {
        if (signal.aborted) {
          break;
        }
        if (!this.queue.length && uploads === 0 && this.jobs.size === 0) {
          break;
        }
        const longPause = pauseOf(undefined);
        if (longPause !== undefined) {
          stop({ kind: 'paused', until: longPause });
          break;
        }
        // A job past its timeout gets one last look, whatever the plan says.
        const last = due()[0];
        const plan = last ? { job: last, at: now() } : pickNextPoll(idle(), models, now(), planner, context());
        const pollDue = plan !== undefined && plan.at <= now();
        if (!pollDue && !canStart()) {
          // Nothing to send now: sleep until the next planned poll, or until a request finishes.
          await sleepUntil(plan?.at ?? Infinity).promise;
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
        // The fence: a window that was frozen past its lease learns here that another window took over.
        if (!(await deps.stillOwned())) {
          stop({ kind: 'lost' });
          break;
        }
        const t = now();
        const startNow = canStart();
        const overdue = due()[0];
        const choice = overdue ? { job: overdue, at: t } : pickNextPoll(idle(), models, t, planner, context());
        let launched: Promise<void> | undefined;
        const granted = deps.budget.afterNextGrant();
        if (choice && choice.at <= t && (!startNow || pollsLeftAfter(choice.job.id) >= endReserve())) {
          launched = poll(choice.job as Job);
        } else if (startNow) {
          launched = start(this.queue.shift() as RunnerDocument);
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
      this.notify();
      // Leave the record consistent: every request under way settles (cancelled ones quickly).
      await Promise.allSettled([...inFlight]);
      // Documents never taken from the queue stay pending: nothing to tell.
    }
    if (end) {
      return end;
    }
    return opts.signal?.aborted ? { kind: 'cancelled' } : { kind: 'done' };
  }
}

/** Thrown by a caller's `start` when its fence finds the batch owned by another window: nothing was sent. */
export class LostBatchError extends Error {
  constructor(batchId: string) {
    super(`batch ${batchId} is driven by another window now`);
    this.name = 'LostBatchError';
  }
}

/**
 * Thrown by a caller's `start` when the document's run record could not be written: nothing was sent (after
 * a reload nothing would say it may have started), and the batch stops — the next document would meet it too.
 */
export class NotRecordedError extends Error {
  constructor(detail: string) {
    super(`The run could not be recorded, so it was not started (${detail}).`);
    this.name = 'NotRecordedError';
  }
}

function isFatal(err: unknown): boolean {
  if (err instanceof NotRecordedError) {
    return true;
  }
  return (
    err instanceof DocuTrayError &&
    (FATAL_KINDS.has(err.kind) || (err instanceof NotFoundError && err.resource === 'step'))
  );
}
