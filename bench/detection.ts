/**
 * Part 1: how long after a job ends does the client notice, and how many status requests does that
 * cost? Every job runs at once (the whole part lasts about as long as the longest job); each
 * (length, repetition) pair is one scripted step whose duration is jittered, run once under each
 * schedule, so the two schedules see the same server-side durations.
 */
import { resolve } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { RequestBudget } from '../src/core/api/budget';
import { DocuTrayClient, type FetchLike } from '../src/core/client/client';
import { isTerminal } from '../src/core/api/execution';
import { followExecution, startDocument } from '../src/core/runs/engine';
import { executionDurationMs } from '../src/core/runs/history';
import { ADAPTIVE_SCHEDULE, FLAT_2S_SCHEDULE, type PollSchedule } from '../src/core/polling/schedule';
import type { StepScript } from '../stand-in/server';
import { startStandInProcess, type StandInProcess } from './stand-in-process';
import { max, median, stratifiedJitter } from './stats';

export type ScheduleName = 'adaptive' | 'flat2s';

export const SCHEDULES: Record<ScheduleName, PollSchedule> = { adaptive: ADAPTIVE_SCHEDULE, flat2s: FLAT_2S_SCHEDULE };

export interface DetectionJob {
  stepId: string;
  nominalMs: number;
  repetition: number;
  /** The server-side duration (enqueued + processing) after jitter. */
  durationMs: number;
}

export interface JobRun {
  stepId: string;
  schedule: ScheduleName;
  nominalMs: number;
  repetition: number;
  durationMs: number;
  executionId: string;
  /** Client clock (ms epoch): start request sent, start answered, terminal status seen. */
  startSentAt: number;
  startAnsweredAt: number;
  seenAt: number;
  /** Server clock (same machine): execution created, completed, terminal answer sent. */
  createdAt: number;
  completedAt: number;
  terminalServedAt?: number;
  /** seenAt - completedAt. */
  delayMs: number;
  /** Status requests, as the server counted them. */
  statusRequests: number;
  /** Status answers the client saw (onStatus calls after the start): should equal statusRequests. */
  statusAnswers: number;
}

export interface DetectionSummary {
  nominalMs: number;
  schedule: ScheduleName;
  runs: number;
  medianDelayMs: number;
  maxDelayMs: number;
  minDelayMs: number;
  medianRequests: number;
  maxRequests: number;
}

/** A tiny but real PDF: the client checks the signature before sending. */
const TINY_PDF = Buffer.from(
  '%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n',
  'latin1',
);

/** The jobs to script, one step per (length, repetition). Half the time ENQUEUED, half PROCESSING. */
export function planJobs(
  lengthsMs: readonly number[],
  repetitions: number,
  spread: number,
  random: () => number,
): DetectionJob[] {
  const jobs: DetectionJob[] = [];
  for (const nominalMs of lengthsMs) {
    const factors = stratifiedJitter(repetitions, spread, random);
    factors.forEach((f, repetition) => {
      jobs.push({
        stepId: `bench-${nominalMs}ms-r${repetition}`,
        nominalMs,
        repetition,
        durationMs: Math.round(nominalMs * f),
      });
    });
  }
  return jobs;
}

const LAG_RESOLUTION_MS = 10;

/** A 100 ms step the client runs once per schedule, untimed, before the measured jobs. */
export const WARMUP_STEP = 'bench-warmup';

export function stepScripts(jobs: readonly DetectionJob[]): StepScript[] {
  const warmup: StepScript = {
    id: WARMUP_STEP,
    name: 'warm-up',
    enqueuedMs: 50,
    processingMs: 50,
    outcome: { status: 'SUCCESS', data: { ok: true } },
  };
  return [
    warmup,
    ...jobs.map((j): StepScript => {
      const enqueuedMs = Math.round(j.durationMs / 2);
      return {
        id: j.stepId,
        name: `${j.nominalMs} ms job, repetition ${j.repetition}`,
        enqueuedMs,
        processingMs: j.durationMs - enqueuedMs,
        outcome: { status: 'SUCCESS', data: { ok: true } },
      };
    }),
  ];
}

export async function runDetection(opts: {
  standIn: StandInProcess;
  apiKey: string;
  fetch: FetchLike;
  jobs: readonly DetectionJob[];
  /** Each job starts after a random delay in [0, staggerMs), so their polls do not fire in lockstep. */
  staggerMs: number;
  random: () => number;
  onProgress?: (done: number, total: number) => void;
  /** A compiled copy of src/core to measure instead of this tree's (bench.ts `--client-core`). */
  clientCore?: string;
}): Promise<{ runs: JobRun[]; conditions: RunConditions }> {
  const Client = opts.clientCore ? loadCore(opts.clientCore).DocuTrayClient : DocuTrayClient;
  const schedules = opts.clientCore ? loadCore(opts.clientCore).schedules : SCHEDULES;
  const client = new Client({
    baseUrl: opts.standIn.url,
    apiKey: opts.apiKey,
    fetch: opts.fetch,
    retry: { maxRetries: 0 },
  });
  // Untimed: one short job per schedule first, so the measured jobs do not pay for loading and
  // compiling the client and its fetch (a host that has run a step before has that behind it).
  for (const name of Object.keys(SCHEDULES) as ScheduleName[]) {
    await runOne(
      client,
      { stepId: WARMUP_STEP, nominalMs: 0, repetition: -1, durationMs: 0 },
      name,
      schedules[name],
      0,
      30_000,
    );
  }
  const lag = monitorEventLoopDelay({ resolution: LAG_RESOLUTION_MS });
  lag.enable();
  const longest = Math.max(...opts.jobs.map(j => j.durationMs));
  const pending: Promise<
    Omit<JobRun, 'createdAt' | 'completedAt' | 'terminalServedAt' | 'delayMs' | 'statusRequests'>
  >[] = [];
  let done = 0;
  const total = opts.jobs.length * Object.keys(SCHEDULES).length;
  for (const job of opts.jobs) {
    for (const schedule of Object.keys(SCHEDULES) as ScheduleName[]) {
      const offset = Math.floor(opts.random() * opts.staggerMs);
      pending.push(
        runOne(client, job, schedule, schedules[schedule], offset, longest * 2 + 30_000).finally(() =>
          opts.onProgress?.(++done, total),
        ),
      );
    }
  }
  const results = await Promise.all(pending);
  lag.disable();
  // The histogram holds the interval between its timer's ticks: the lag is what exceeds the resolution.
  const lagMs = (ns: number) => Math.max(0, ns / 1e6 - LAG_RESOLUTION_MS);
  const eventLoopDelayMs = { p50: lagMs(lag.percentile(50)), p99: lagMs(lag.percentile(99)), max: lagMs(lag.max) };
  const byId = new Map((await opts.standIn.executions()).map(e => [e.id, e]));
  const runs = results.map(r => {
    const e = byId.get(r.executionId);
    if (!e || e.completedAt === undefined) {
      throw new Error(`the stand-in has no completion time for ${r.executionId}`);
    }
    return {
      ...r,
      createdAt: e.createdAt,
      completedAt: e.completedAt,
      terminalServedAt: e.terminalServedAt,
      delayMs: r.seenAt - e.completedAt,
      statusRequests: e.polls,
    };
  });
  return { runs, conditions: conditionsOf(runs, eventLoopDelayMs) };
}

/**
 * How undisturbed the run was: the client's event-loop delay, how long a terminal answer took from
 * the stand-in's send to the client's callback, and how long a start took. On a loaded machine
 * (other work on the same cores) these grow, and every poll of the adaptive schedule lands later.
 */
export interface RunConditions {
  eventLoopDelayMs: { p50: number; p99: number; max: number };
  answerLatencyMs: { median: number; max: number };
  startLatencyMs: { median: number; max: number };
}

function conditionsOf(runs: readonly JobRun[], eventLoopDelayMs: RunConditions['eventLoopDelayMs']): RunConditions {
  const answer = runs.filter(r => r.terminalServedAt !== undefined).map(r => r.seenAt - (r.terminalServedAt as number));
  const start = runs.map(r => r.startAnsweredAt - r.startSentAt);
  return {
    eventLoopDelayMs,
    answerLatencyMs: { median: median(answer), max: max(answer) },
    startLatencyMs: { median: median(start), max: max(start) },
  };
}

function loadCore(dir: string): {
  DocuTrayClient: typeof DocuTrayClient;
  schedules: Record<ScheduleName, PollSchedule>;
} {
  /* eslint-disable @typescript-eslint/no-require-imports */
  const { DocuTrayClient: Client } = require(`${resolve(dir)}/client/client`) as {
    DocuTrayClient: typeof DocuTrayClient;
  };
  const s = require(`${resolve(dir)}/polling/schedule`) as {
    ADAPTIVE_SCHEDULE: PollSchedule;
    FLAT_2S_SCHEDULE: PollSchedule;
  };
  /* eslint-enable @typescript-eslint/no-require-imports */
  return { DocuTrayClient: Client, schedules: { adaptive: s.ADAPTIVE_SCHEDULE, flat2s: s.FLAT_2S_SCHEDULE } };
}

export async function runOne(
  client: DocuTrayClient,
  job: DetectionJob,
  schedule: ScheduleName,
  pollSchedule: PollSchedule,
  offsetMs: number,
  timeoutMs: number,
) {
  await new Promise(resolve => setTimeout(resolve, offsetMs));
  const startSentAt = Date.now();
  let startAnsweredAt = 0;
  let seenAt: number | undefined;
  let answers = -1; // runStep reports the start's own ENQUEUED answer first
  const execution = await client.runStep(
    job.stepId,
    { kind: 'bytes', data: TINY_PDF, fileName: 'bench.pdf' },
    {
      schedule: pollSchedule,
      timeoutMs,
      onStarted: () => {
        startAnsweredAt = Date.now();
      },
      onStatus: e => {
        const at = Date.now();
        answers++;
        if (seenAt === undefined && answers > 0 && isTerminal(e.status)) {
          seenAt = at;
        }
      },
    },
  );
  if (seenAt === undefined) {
    throw new Error(`${execution.id} ended without a terminal status being seen`);
  }
  return {
    stepId: job.stepId,
    schedule,
    nominalMs: job.nominalMs,
    repetition: job.repetition,
    durationMs: job.durationMs,
    executionId: execution.id,
    startSentAt,
    startAnsweredAt,
    seenAt,
    statusAnswers: answers,
  };
}

export function summarize(runs: readonly JobRun[]): DetectionSummary[] {
  const out: DetectionSummary[] = [];
  const lengths = [...new Set(runs.map(r => r.nominalMs))].sort((a, b) => a - b);
  for (const nominalMs of lengths) {
    for (const schedule of Object.keys(SCHEDULES) as ScheduleName[]) {
      const rs = runs.filter(r => r.nominalMs === nominalMs && r.schedule === schedule);
      const delays = rs.map(r => r.delayMs);
      const requests = rs.map(r => r.statusRequests);
      out.push({
        nominalMs,
        schedule,
        runs: rs.length,
        medianDelayMs: median(delays),
        maxDelayMs: max(delays),
        minDelayMs: Math.min(...delays),
        medianRequests: median(requests),
        maxRequests: max(requests),
      });
    }
  }
  return out;
}

/**
 * Part 1b: single runs in a row through one request budget at its default, as a person runs a step on
 * one file after another (the issue: five runs in a row, the last four seen 1.1–1.3 s late because
 * the budget paced their polls at its 30-a-minute default). Against a stand-in that limits each key to
 * 600 a minute, far above what the runs need: with the `X-RateLimit-*` headers on 429s only (ordinary
 * answers carry none: the budget is left at its default and probes up) and on every answer; next to
 * the same runs without a budget.
 */
export type SingleRunVariant = 'noBudget' | 'budgetNoHeaders' | 'budgetHeaders' | 'engineKnown' | 'flat2s';

export interface SingleRunSeries {
  variant: SingleRunVariant;
  delaysMs: number[];
  statusRequests: number[];
  medianDelayMs: number;
  maxDelayMs: number;
  /** The budget's limit after the runs (what it probed up to, or what the headers said). */
  budgetLimit?: number;
  rateLimited: number;
}

export interface SingleRunsData {
  runs: number;
  jobMs: number;
  gapMs: number;
  limitPerMinute: number;
  series: SingleRunSeries[];
}

const SINGLE_STEP = 'bench-single';
const SINGLE_LIMIT = 600;

export async function runSingleRunsInRow(opts: {
  fetch: FetchLike;
  dir: string;
  runs: number;
  jobMs: number;
  gapMs: number;
  seed: number;
  log: (l: string) => void;
}): Promise<SingleRunsData> {
  // engineKnown: the engine as the extension runs it (core/runs/engine.ts), the step's durations learnt from
  // the runs before (the first knows none); flat2s: the SDKs' pattern (status at once, then every 2 s).
  const variants: SingleRunVariant[] = ['noBudget', 'budgetNoHeaders', 'budgetHeaders', 'engineKnown', 'flat2s'];
  const standIn = await startStandInProcess({
    apiKey: variants,
    dir: opts.dir,
    config: {
      seed: opts.seed,
      rateLimit: { perMinute: SINGLE_LIMIT, headers: '429' },
      steps: [
        ...stepScripts([]),
        {
          id: SINGLE_STEP,
          name: 'single run',
          enqueuedMs: Math.round(opts.jobMs / 2),
          processingMs: opts.jobMs - Math.round(opts.jobMs / 2),
          jitter: 0.05,
          outcome: { status: 'SUCCESS', data: { ok: true } },
        },
      ],
    },
  });
  try {
    const series: SingleRunSeries[] = [];
    for (const variant of variants) {
      const headers = variant === 'budgetHeaders' || variant === 'engineKnown' ? 'all' : '429';
      const res = await fetch(`${standIn.url}/__stand-in/config`, {
        method: 'POST',
        body: JSON.stringify({ rateLimit: { perMinute: SINGLE_LIMIT, headers } }),
      });
      if (!res.ok) {
        throw new Error(`stand-in config: HTTP ${res.status}`);
      }
      const budget = variant === 'noBudget' || variant === 'flat2s' ? undefined : new RequestBudget();
      const client = new DocuTrayClient({
        baseUrl: standIn.url,
        apiKey: variant,
        fetch: opts.fetch,
        retry: { maxRetries: 0 },
        budget,
      });
      // Untimed: one warm-up run, as in part 1 (it also is the budget's first answer).
      await runOne(
        client,
        { stepId: WARMUP_STEP, nominalMs: 0, repetition: -1, durationMs: 0 },
        'adaptive',
        ADAPTIVE_SCHEDULE,
        0,
        30_000,
      );
      const seen: { executionId: string; seenAt: number }[] = [];
      const durations: number[] = [];
      for (let i = 0; i < opts.runs; i++) {
        await new Promise(r => setTimeout(r, opts.gapMs));
        if (variant === 'engineKnown') {
          const started = await startDocument(
            client,
            {
              stepId: SINGLE_STEP,
              input: { kind: 'bytes', data: TINY_PDF, fileName: 'bench.pdf' },
              priority: 'interactive',
            },
            { record: async () => {} },
          );
          const done = await followExecution(client, started.id, { durations: [...durations], timeoutMs: 60_000 });
          const seenAt = Date.now();
          const ms = executionDurationMs(done);
          if (ms !== undefined) {
            durations.push(ms);
          }
          seen.push({ executionId: started.id, seenAt });
          continue;
        }
        const r = await runOne(
          client,
          { stepId: SINGLE_STEP, nominalMs: opts.jobMs, repetition: i, durationMs: opts.jobMs },
          variant === 'flat2s' ? 'flat2s' : 'adaptive',
          variant === 'flat2s' ? FLAT_2S_SCHEDULE : ADAPTIVE_SCHEDULE,
          0,
          60_000,
        );
        seen.push(r);
      }
      const byId = new Map((await standIn.executions()).map(e => [e.id, e]));
      const delaysMs = seen.map(r => r.seenAt - (byId.get(r.executionId)?.completedAt ?? NaN));
      const statusRequests = seen.map(r => byId.get(r.executionId)?.polls ?? NaN);
      const later = statusRequests.slice(1);
      series.push({
        variant,
        delaysMs,
        statusRequests,
        medianDelayMs: median(delaysMs),
        maxDelayMs: max(delaysMs),
        budgetLimit: budget?.state().limit,
        rateLimited: budget?.state().rateLimited ?? 0,
      });
      opts.log(
        `  ${variant}: median ${Math.round(median(delaysMs))} ms after completion (${delaysMs.map(d => Math.round(d)).join(', ')}); status requests per run ${statusRequests.join(', ')} (after the first: median ${median(later)}, max ${max(later)})`,
      );
    }
    return { runs: opts.runs, jobMs: opts.jobMs, gapMs: opts.gapMs, limitPerMinute: SINGLE_LIMIT, series };
  } finally {
    await standIn.stop();
  }
}
