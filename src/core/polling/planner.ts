/**
 * Which job to poll next, and when, when many share one request budget.
 *
 * A status request that finds a job still running is a request spent for nothing. Each step's recent
 * durations (the runs keep them: the server's responseTimestamp − requestTimestamp) predict when a
 * job will be done, so a batch job is first looked at when it is probably finished (the 80th
 * percentile of its step's durations), once more at the 95th, then less and less often; most jobs cost
 * one status request. With no history for a step, one job — the oldest — is the *probe*: it is polled
 * on a growing schedule and the others wait for what it teaches (or until it has taken suspiciously
 * long). An interactive single run keeps today's fast adaptive schedule (ADAPTIVE_SCHEDULE) while the
 * budget can afford it.
 *
 * Everything here is pure: the caller passes the jobs, the durations and the clock reading.
 */
import { ADAPTIVE_SCHEDULE, PollSchedule, nextPollDelay } from './schedule';
import { DEFAULT_WAIT_TIMEOUT_MS } from './wait';

export interface DurationModel {
  /** Durations behind the model (outliers left out). */
  samples: number;
  medianMs: number;
  /** Percentiles of the recent durations (linear interpolation). */
  p80Ms: number;
  p95Ms: number;
  /** The longest duration behind the model. */
  maxMs: number;
}

/**
 * The model of a step's durations from its most recent `maxSamples` durations (newest last), or
 * undefined without any. Non-finite and negative values are ignored. One freak duration must not stop
 * polling for hours: every duration counts as at most `capMs` (the poll timeout: no run waits longer),
 * and from four durations on, those far above the rest (beyond the upper quartile plus three
 * interquartile ranges, and twice the upper quartile) are left out.
 */
export function durationModel(
  samplesMs: readonly number[],
  maxSamples = 50,
  capMs = DEFAULT_WAIT_TIMEOUT_MS,
): DurationModel | undefined {
  let recent = samplesMs
    .filter(d => Number.isFinite(d) && d >= 0)
    .slice(-maxSamples)
    .map(d => Math.min(d, capMs))
    .sort((a, b) => a - b);
  if (!recent.length) {
    return undefined;
  }
  if (recent.length >= 4) {
    const q1 = quantile(recent, 0.25);
    const q3 = quantile(recent, 0.75);
    const fence = Math.max(q3 + 3 * (q3 - q1), q3 * 2);
    recent = recent.filter(d => d <= fence);
  }
  return {
    samples: recent.length,
    medianMs: quantile(recent, 0.5),
    p80Ms: quantile(recent, 0.8),
    p95Ms: quantile(recent, 0.95),
    maxMs: recent[recent.length - 1],
  };
}

function quantile(sorted: readonly number[], q: number): number {
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo);
}

export interface PlannedJob {
  /** The execution id (or any id unique among the jobs). */
  id: string;
  stepId: string;
  /** When the start answered (ms epoch). */
  startedAt: number;
  /** Status requests answered so far (still running). */
  polls: number;
  lastPolledAt?: number;
  /** A single run the user is watching: polled on the adaptive schedule while the budget allows. */
  interactive?: boolean;
}

export interface PlannerOptions {
  /** The interactive single run's schedule (default ADAPTIVE_SCHEDULE). */
  interactive: PollSchedule;
  /** The probe's schedule, for a step without history. */
  probe: PollSchedule;
  /** After the predicted polls: wait this fraction of the elapsed time, within [min, max]. */
  growth: number;
  minIntervalMs: number;
  maxIntervalMs: number;
  /** The quantile of the first look (default 0.8) and of the second (0.95, at least median × 1.1). */
  firstQuantile: 'p80' | 'median';
  /** Without history, the other jobs wait for the probe at most this long (default 2 min). */
  probePatienceMs: number;
}

export const DEFAULT_PLANNER: PlannerOptions = {
  interactive: ADAPTIVE_SCHEDULE,
  probe: { firstDelayMs: 1000, minIntervalMs: 1000, growth: 0.5, maxIntervalMs: 30_000 },
  growth: 0.25,
  minIntervalMs: 1000,
  maxIntervalMs: 30_000,
  firstQuantile: 'p80',
  probePatienceMs: 120_000,
};

/** The same options with every duration multiplied by `factor` (a benchmark that scales time). */
export function scalePlanner(opts: PlannerOptions, factor: number): PlannerOptions {
  const s = (p: PollSchedule): PollSchedule => ({
    ...p,
    firstDelayMs: p.firstDelayMs * factor,
    minIntervalMs: p.minIntervalMs * factor,
    maxIntervalMs: p.maxIntervalMs * factor,
  });
  return {
    ...opts,
    interactive: s(opts.interactive),
    probe: s(opts.probe),
    minIntervalMs: opts.minIntervalMs * factor,
    maxIntervalMs: opts.maxIntervalMs * factor,
    probePatienceMs: opts.probePatienceMs * factor,
  };
}

export interface PollPlan {
  job: PlannedJob;
  /** When it should be polled (ms epoch); Infinity = not until something changes (it waits for a probe). */
  at: number;
  /** How likely it is done by now, 0–1: what orders jobs that are all due when the budget is short. */
  likelihood: number;
  reason: 'interactive' | 'predicted' | 'probe' | 'waitingForProbe';
}

export type ModelLookup = (stepId: string) => DurationModel | undefined;

/**
 * What the budget is like now. `interactiveAffordable` false (few requests left) makes an interactive
 * run follow its prediction like a batch job (still ahead of the batch). `budgetShort` true (the
 * budget is the bottleneck and there is other useful work, like starts, to spend it on) makes batch
 * jobs wait until they are almost surely done — p95, and at least median × (1 + 0.1/√samples) — since
 * a poll that finds a job running costs a whole request of the batch's time.
 */
export interface PlanContext {
  interactiveAffordable?: boolean;
  budgetShort?: boolean;
  /**
   * Documents still to start need more requests than the window has left: a probe's poll (which most
   * likely finds its job running) waits, so that it does not push a start, and the whole job length
   * after it, into the next window. The probe is polled as soon as the starts are sent or the window has room.
   */
  startsFirst?: boolean;
}

/** When each job should next be polled. */
export function planPolls(
  jobs: readonly PlannedJob[],
  models: ModelLookup,
  now: number,
  opts: PlannerOptions = DEFAULT_PLANNER,
  ctx: PlanContext = {},
): PollPlan[] {
  // The probe of each step without history: its oldest job.
  const probes = new Map<string, PlannedJob>();
  for (const job of jobs) {
    if (!models(job.stepId)) {
      const p = probes.get(job.stepId);
      if (!p || job.startedAt < p.startedAt) {
        probes.set(job.stepId, job);
      }
    }
  }
  return jobs.map(job => planOne(job, models(job.stepId), probes.get(job.stepId), now, opts, ctx));
}

function planOne(
  job: PlannedJob,
  model: DurationModel | undefined,
  probe: PlannedJob | undefined,
  now: number,
  opts: PlannerOptions,
  ctx: PlanContext,
): PollPlan {
  const elapsed = now - job.startedAt;
  const sinceStart = (job.lastPolledAt ?? job.startedAt) - job.startedAt;
  if (job.interactive && (ctx.interactiveAffordable !== false || !model)) {
    const at =
      job.polls === 0 || job.lastPolledAt === undefined
        ? job.startedAt + opts.interactive.firstDelayMs
        : job.lastPolledAt + nextPollDelay(opts.interactive, sinceStart);
    return { job, at, likelihood: 1, reason: 'interactive' };
  }
  if (model) {
    const sure = Math.max(model.p95Ms, model.medianMs * (1 + 0.1 / Math.sqrt(model.samples)));
    const first =
      ctx.budgetShort && !job.interactive
        ? sure
        : opts.firstQuantile === 'median'
          ? model.medianMs
          : Math.max(model.p80Ms, model.medianMs);
    const second = Math.max(
      ctx.budgetShort ? model.maxMs * 1.05 : 0,
      model.p95Ms,
      model.medianMs * 1.1,
      first + opts.minIntervalMs,
    );
    let at: number;
    if (job.polls === 0 || job.lastPolledAt === undefined) {
      at = job.startedAt + first;
    } else if (job.polls === 1) {
      at = Math.max(job.startedAt + second, job.lastPolledAt + opts.minIntervalMs);
    } else {
      at = job.lastPolledAt + clamp(sinceStart * opts.growth, opts.minIntervalMs, opts.maxIntervalMs);
    }
    return {
      job,
      at,
      likelihood: clamp(model.medianMs > 0 ? elapsed / (model.medianMs * 2) : 1, 0, 1),
      reason: 'predicted',
    };
  }
  const isProbe = !probe || probe === job || now - probe.startedAt >= opts.probePatienceMs;
  if (isProbe && ctx.startsFirst) {
    return { job, at: Infinity, likelihood: 0, reason: 'probe' };
  }
  if (!isProbe) {
    return { job, at: Infinity, likelihood: 0, reason: 'waitingForProbe' };
  }
  const at =
    job.polls === 0 || job.lastPolledAt === undefined
      ? job.startedAt + opts.probe.firstDelayMs
      : // When the budget is short, the probe backs off twice as fast: its duration comes from the
        // server's timestamps, exact however late it is seen, so its own detection matters little.
        job.lastPolledAt +
        nextPollDelay(
          ctx.budgetShort ? { ...opts.probe, growth: Math.max(1, opts.probe.growth) } : opts.probe,
          sinceStart,
        );
  return { job, at, likelihood: 0.5, reason: 'probe' };
}

/**
 * The job to poll next: among those due by `now`, interactive first, then the most likely done (then
 * the longest overdue); when none is due, the one due soonest (its `at` says when to wake up).
 * Undefined when every job waits for something else (a probe's answer).
 */
export function pickNextPoll(
  jobs: readonly PlannedJob[],
  models: ModelLookup,
  now: number,
  opts: PlannerOptions = DEFAULT_PLANNER,
  ctx: PlanContext = {},
): PollPlan | undefined {
  const plans = planPolls(jobs, models, now, opts, ctx);
  const due = plans.filter(p => p.at <= now);
  if (due.length) {
    return due.sort(
      (a, b) => Number(!!b.job.interactive) - Number(!!a.job.interactive) || b.likelihood - a.likelihood || a.at - b.at,
    )[0];
  }
  const next = plans.filter(p => Number.isFinite(p.at)).sort((a, b) => a.at - b.at)[0];
  return next;
}

/**
 * Where a person's single run looks first when its step's durations are known (ms after the start
 * answered): at the median duration — DocuTray's own timestamps measure from when it received the upload,
 * so the job is usually done by then — then a short step later (half the spread to p95, 150 ms–1 s), then
 * past p95. Three looks find all but the rare slow job; the fast schedule takes over after them. Without
 * durations: none (the fast schedule from the start).
 */
export function expectedEndLooks(model: DurationModel | undefined, opts: PlannerOptions = DEFAULT_PLANNER): number[] {
  if (!model) {
    return [];
  }
  const first = Math.max(opts.interactive.firstDelayMs, Math.round(model.medianMs));
  const second = first + Math.round(clamp((model.p95Ms - model.medianMs) / 2, 150, 1000));
  const third = Math.max(Math.round(model.p95Ms * 1.05), second + opts.interactive.minIntervalMs);
  return [first, second, third];
}

/**
 * Whether an interactive run can keep the adaptive schedule: the adaptive schedule asks about ten
 * times in its first three seconds, so it needs that many requests left in the window (or an
 * unknown / unlimited budget).
 */
export function adaptiveAffordable(remainingInWindow: number | undefined, reserve = 10): boolean {
  return remainingInWindow === undefined || remainingInWindow >= reserve;
}

function clamp(v: number, lo: number, hi: number): number {
  return Math.min(hi, Math.max(lo, v));
}
