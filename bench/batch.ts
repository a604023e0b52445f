/**
 * Part 4 (`--only batch`): a batch at the rate limit. The stand-in (a child process) limits each key
 * to 60 requests a "minute", status requests included; scenarios run side by side, each on its own key
 * (ours at once, then the SDKs' at once): 100 documents of 2 s jobs and 100 of 20 s jobs, by
 *   - ours: the core client with one request budget (api/budget.ts), the poll planner and the batch
 *     runner (runs/batchRunner.ts), 4 uploads at once;
 *   - the SDKs' pattern: N workers (Promise.all over a shared queue), each starting a document, asking
 *     for its status at once and then every 2 s, and sleeping Retry-After on a 429 before trying the
 *     same request again (the SDKs give up after 2 retries; here they retry until it goes, so both
 *     finish every document and the comparison is time, 429s and requests).
 * Three times over: with the `X-RateLimit-*` headers on every answer; with them on 429s only (ordinary
 * answers carry none, as may be DocuTray's case: our budget starts at its default and probes up until a
 * 429 says the limit); and the same without headers for 40 documents, whose lower bound is one window.
 * Time can be scaled (`--time-scale 0.1`: a "minute" of 6 s, jobs of 0.2 s and 2 s, the SDKs' poll
 * every 0.2 s): the report says so, and gives the figures in both scaled and unscaled seconds. At a
 * scale below 1 the stand-in sends `X-RateLimit-Reset` with milliseconds (the real API's whole seconds
 * would be a sixth of a scaled window); Retry-After stays in whole seconds, as HTTP has it.
 *
 * Lower bound: every document needs a start and at least one status request, 2N requests at L per
 * window; windows are fixed and begin with the first request, so the 2N-th request cannot go before
 * (⌈2N / L⌉ − 1) windows have passed (and no document is seen done before its job's length).
 *
 * Memory: the extension-side state of a 1,000-document batch (the record with its files' states,
 * execution ids and hashes, the runner's planned jobs and 200 durations), V8 heap after a full GC.
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { RequestBudget, type BudgetOptions } from '../src/core/api/budget';
import { DocuTrayClient, type FetchLike } from '../src/core/client/client';
import { DEFAULT_PLANNER, durationModel, scalePlanner, type PlannedJob } from '../src/core/polling/planner';
import { createBatch } from '../src/core/batches/record';
import { BatchRunner } from '../src/core/batches/runner';
import type { RequestLogEntry } from '../stand-in/server';
import { startStandInProcess } from './stand-in-process';

/** Which answers carry the `X-RateLimit-*` headers: every one, or 429s only. */
export type HeaderMode = 'all' | '429';

export interface BatchScenario {
  client: 'ours' | 'sdk';
  headers: HeaderMode;
  jobMs: number;
  documents: number;
  succeeded: number;
  /** Scaled (measured) milliseconds: first request to the last document seen done. */
  wallMs: number;
  lowerBoundMs: number;
  requests: number;
  starts: number;
  statusRequests: number;
  rateLimited: number;
  /** Starts DocuTray accepted more than once for one document (must be 0). */
  duplicateStarts: number;
}

export interface BatchData {
  timeScale: number;
  limitPerMinute: number;
  documents: number;
  jitter: number;
  sdkWorkers: number;
  sdkPollMs: number;
  ourUploads: number;
  /** The document counts of the runs without headers on ordinary answers. */
  documentsWithoutHeaders: number[];
  scenarios: BatchScenario[];
  memory: { documents: number; heapBytes: number; jsonBytes: number };
}

const JOB_LENGTHS_MS = [2000, 20_000];
const JITTER = 0.05;
const SDK_WORKERS = 10;
const SDK_POLL_MS = 2000;
const OUR_UPLOADS = 4;

function pdf(i: number): Buffer {
  return Buffer.from(
    `%PDF-1.4\n% document ${i}\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n`,
    'latin1',
  );
}

/** The sets of scenarios: headers on every answer, then on 429s only (for `documents` and for 40). */
function sets(documents: number): { headers: HeaderMode; documents: number }[] {
  return [
    { headers: 'all', documents },
    { headers: '429', documents },
    ...(documents !== 40 ? [{ headers: '429' as const, documents: 40 }] : []),
  ];
}

export async function runBatchPart(opts: {
  fetch: FetchLike;
  scale: number;
  documents: number;
  limit: number;
  seed: number;
  dir: string;
  log: (l: string) => void;
}): Promise<BatchData> {
  const { scale, limit } = opts;
  const plan = sets(opts.documents).map((set, i) => ({
    ...set,
    keys: {
      ours: JOB_LENGTHS_MS.map(ms => `ours-${i}-${ms}`),
      sdk: JOB_LENGTHS_MS.map(ms => `sdk-${i}-${ms}`),
    },
  }));
  const rateLimit = (headers: HeaderMode) => ({
    perMinute: limit,
    windowScale: scale,
    resetPrecision: scale < 1 ? ('milliseconds' as const) : ('seconds' as const),
    headers,
  });
  const standIn = await startStandInProcess({
    apiKey: plan.flatMap(p => [...p.keys.ours, ...p.keys.sdk]),
    dir: opts.dir,
    config: {
      seed: opts.seed,
      rateLimit: rateLimit('all'),
      steps: JOB_LENGTHS_MS.map(ms => ({
        id: `batch-${ms}`,
        name: `${ms / 1000} s job`,
        processingMs: ms * scale,
        jitter: JITTER,
        outcome: { status: 'SUCCESS' as const, data: { total: 1, vendor: { name: 'ACME' } } },
      })),
    },
  });
  try {
    const t0 = Date.now();
    const results: (RunResult & { headers: HeaderMode; documents: number })[] = [];
    for (const set of plan) {
      await configure(standIn.url, { rateLimit: rateLimit(set.headers) });
      opts.log(
        `part 4: ${set.documents} documents × ${JOB_LENGTHS_MS.map(ms => `${ms / 1000} s`).join(' and ')} jobs, ours and the SDKs' pattern side by side, ${limit} requests per${scale === 1 ? '' : ` scaled (×${scale})`} minute per key, X-RateLimit headers ${set.headers === 'all' ? 'on every answer' : 'on 429s only'}`,
      );
      const o = { ...opts, documents: set.documents };
      // Ours (both lengths at once), then the SDKs' pattern (both at once): the SDKs' 429 storm would
      // otherwise load the stand-in while ours is timed (the machine has few cores).
      const ourRuns = await Promise.all(
        JOB_LENGTHS_MS.map((ms, i) =>
          ours(standIn.url, set.keys.ours[i], ms, o).then(r => log(opts, 'ours', ms, r, t0)),
        ),
      );
      const sdkRuns = await Promise.all(
        JOB_LENGTHS_MS.map((ms, i) => sdk(standIn.url, set.keys.sdk[i], ms, o).then(r => log(opts, 'sdk', ms, r, t0))),
      );
      results.push(...[...ourRuns, ...sdkRuns].map(r => ({ ...r, headers: set.headers, documents: set.documents })));
    }
    const log2 = (await (await fetch(`${standIn.url}/__stand-in/requests`)).json()) as RequestLogEntry[];
    const scenarios = results.map(r => scenarioOf(r, log2, limit, scale));
    return {
      timeScale: scale,
      limitPerMinute: limit,
      documents: opts.documents,
      jitter: JITTER,
      sdkWorkers: SDK_WORKERS,
      sdkPollMs: SDK_POLL_MS,
      ourUploads: OUR_UPLOADS,
      documentsWithoutHeaders: plan.filter(p => p.headers === '429').map(p => p.documents),
      scenarios,
      memory: batchMemory(1000),
    };
  } finally {
    await standIn.stop();
  }
}

async function configure(url: string, config: Record<string, unknown>): Promise<void> {
  const res = await fetch(`${url}/__stand-in/config`, { method: 'POST', body: JSON.stringify(config) });
  if (!res.ok) {
    throw new Error(`stand-in config: HTTP ${res.status}`);
  }
}

/** A budget at its defaults, every duration scaled as the stand-in's windows are. */
export function scaledBudgetOptions(scale: number): BudgetOptions {
  return {
    windowMsByType: { minute: 60_000 * scale, hour: 3_600_000 * scale, day: 86_400_000 * scale },
    probeStepMs: 5000 * scale,
    guessedWindowMarginMs: 1000 * scale,
    fallbackPauseMs: 5000 * scale,
    firstAnswerWaitMs: 2000 * scale,
  };
}

interface RunResult {
  client: 'ours' | 'sdk';
  key: string;
  jobMs: number;
  wallMs: number;
  succeeded: number;
}

function log(opts: { log: (l: string) => void }, client: string, ms: number, r: RunResult, t0: number): RunResult {
  opts.log(
    `  ${client}, ${ms / 1000} s jobs: ${r.succeeded} done in ${(r.wallMs / 1000).toFixed(1)} s (finished ${((Date.now() - t0) / 1000).toFixed(0)} s into the part)`,
  );
  return r;
}

async function ours(
  url: string,
  key: string,
  jobMs: number,
  opts: { fetch: FetchLike; scale: number; documents: number },
): Promise<RunResult> {
  const budget = new RequestBudget(scaledBudgetOptions(opts.scale));
  const client = new DocuTrayClient({ baseUrl: url, apiKey: key, fetch: opts.fetch, budget });
  const stepId = `batch-${jobMs}`;
  const docs = Array.from({ length: opts.documents }, (_, i) => ({ key: String(i), uri: `file:///bench/${i}.pdf` }));
  const t0 = Date.now();
  let last = t0;
  let succeeded = 0;
  await new BatchRunner(
    stepId,
    docs,
    [],
    {
      budget,
      start: (d, signal) =>
        client.startStep(
          stepId,
          { kind: 'bytes', data: pdf(Number(d.key)), fileName: 'doc.pdf' },
          { signal, priority: 'batch' },
        ),
      status: (j, signal) => client.getStatus(j.executionId, { signal, priority: 'batch' }),
      stillOwned: async () => true,
      durations: [],
      onEvent: e => {
        if (e.type === 'finished' && e.execution.status === 'SUCCESS') {
          succeeded++;
          last = Date.now();
        }
      },
    },
    { maxUploads: OUR_UPLOADS, maxWaiting: 1000, planner: scalePlanner(DEFAULT_PLANNER, opts.scale) },
  ).run();
  return { client: 'ours', key, jobMs, wallMs: last - t0, succeeded };
}

/** The SDKs' pattern, with Node's own fetch and FormData, as the Node SDK has it. */
async function sdk(
  url: string,
  key: string,
  jobMs: number,
  opts: { scale: number; documents: number },
): Promise<RunResult> {
  const headers = { authorization: `Bearer ${key}` };
  const stepId = `batch-${jobMs}`;
  const sleep = (ms: number) => new Promise(r => setTimeout(r, ms));
  /** One request, again after Retry-After for as long as it is refused. */
  const call = async (
    method: 'GET' | 'POST',
    path: string,
    body?: () => FormData,
  ): Promise<Record<string, unknown>> => {
    for (;;) {
      const res = await globalThis.fetch(`${url}${path}`, { method, headers, body: body?.() });
      const json = (await res.json()) as Record<string, unknown>;
      if (res.status !== 429) {
        if (res.status >= 400) {
          throw new Error(`HTTP ${res.status}`);
        }
        return json;
      }
      await sleep(Number(res.headers.get('retry-after') ?? '1') * 1000);
    }
  };
  const queue = Array.from({ length: opts.documents }, (_, i) => i);
  const t0 = Date.now();
  let last = t0;
  let succeeded = 0;
  const worker = async () => {
    for (let i = queue.shift(); i !== undefined; i = queue.shift()) {
      const doc = i;
      const started = await call('POST', `/api/steps-async/${stepId}`, () => {
        const form = new FormData();
        form.append('image', new Blob([new Uint8Array(pdf(doc))]), 'doc.pdf');
        return form;
      });
      for (;;) {
        const s = await call('GET', `/api/steps-async/status/${String(started.id)}`);
        if (s.status === 'SUCCESS' || s.status === 'ERROR') {
          succeeded += s.status === 'SUCCESS' ? 1 : 0;
          last = Date.now();
          break;
        }
        await sleep(SDK_POLL_MS * opts.scale);
      }
    }
  };
  await Promise.all(Array.from({ length: SDK_WORKERS }, worker));
  return { client: 'sdk', key, jobMs, wallMs: last - t0, succeeded };
}

/**
 * The V8 heap a 1,000-document batch's state takes, after a full GC, and its JSON size: the median of
 * five builds, after one untimed build (so compiled code and inline caches are not counted).
 */
export function batchMemory(documents: number): { documents: number; heapBytes: number; jsonBytes: number } {
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as () => void;
  buildBatchState(documents, gc);
  const samples = Array.from({ length: 5 }, () => buildBatchState(documents, gc));
  const heap = samples.map(s => s.heapBytes).sort((a, b) => a - b)[2];
  return { documents, heapBytes: heap, jsonBytes: samples[0].jsonBytes };
}

function buildBatchState(documents: number, gc: () => void): { heapBytes: number; jsonBytes: number } {
  const hold: unknown[] = [];
  gc();
  const before = process.memoryUsage().heapUsed;
  const now = Date.now();
  const batch = createBatch({
    stepId: 'invoice-extraction',
    stepName: 'Invoices',
    files: Array.from({ length: documents }, (_, i) => ({
      uri: `file:///home/user/invoices/2026-11/invoice-${String(i).padStart(6, '0')}.pdf`,
      label: `invoices/2026-11/invoice-${String(i).padStart(6, '0')}.pdf`,
    })),
    now,
  });
  // What a batch in flight holds: its record, and a planned job per started document.
  const jobs: PlannedJob[] = batch.documents.map((d, i) => ({
    id: `exec_${(now + i).toString(36)}${i}`,
    stepId: batch.stepId,
    startedAt: now + i,
    polls: 1,
    lastPolledAt: now + i + 1000,
  }));
  const durations = Array.from({ length: 200 }, (_, i) => 20_000 + i);
  hold.push(batch, jobs, durations, durationModel(durations));
  gc();
  const heapBytes = process.memoryUsage().heapUsed - before;
  const jsonBytes = Buffer.byteLength(JSON.stringify(batch));
  hold.length = 0;
  return { heapBytes, jsonBytes };
}

/** One limit of the limits part: the documents it gets (requests that fill the same number of windows). */
export interface LimitCase {
  limitPerMinute: number;
  documents: number;
}

/**
 * The same batch at a low limit and at a higher one (`--only limits`): ours only, with the headers on
 * every answer and on 429s only. Each limit gets documents for the same number of windows of requests
 * (12 at 16 a minute, 45 at 60: 1.5 windows of one start and one status request each), so the ratios
 * compare what the limit does to the pace, not the batch's size.
 */
export const LIMIT_CASES: readonly LimitCase[] = [
  { limitPerMinute: 16, documents: 12 },
  { limitPerMinute: 60, documents: 45 },
];

export interface LimitScenario extends BatchScenario {
  limitPerMinute: number;
}

export async function runLimitsPart(opts: {
  fetch: FetchLike;
  scale: number;
  seed: number;
  dir: string;
  cases?: readonly LimitCase[];
  log: (l: string) => void;
}): Promise<{ timeScale: number; jitter: number; scenarios: LimitScenario[] }> {
  const { scale } = opts;
  const only = process.env.BENCH_LIMITS?.split(',').map(Number);
  const cases = (opts.cases ?? LIMIT_CASES).filter(c => !only || only.includes(c.limitPerMinute));
  const headerModes: HeaderMode[] = ['all', '429'];
  const plan = cases.flatMap((c, ci) =>
    headerModes.map(headers => ({ ...c, headers, keys: JOB_LENGTHS_MS.map(ms => `limit-${ci}-${headers}-${ms}`) })),
  );
  const rateLimit = (perMinute: number, headers: HeaderMode) => ({
    perMinute,
    windowScale: scale,
    resetPrecision: scale < 1 ? ('milliseconds' as const) : ('seconds' as const),
    headers,
  });
  const standIn = await startStandInProcess({
    apiKey: plan.flatMap(p => p.keys),
    dir: opts.dir,
    config: {
      seed: opts.seed,
      rateLimit: rateLimit(cases[0].limitPerMinute, 'all'),
      steps: JOB_LENGTHS_MS.map(ms => ({
        id: `batch-${ms}`,
        name: `${ms / 1000} s job`,
        processingMs: ms * scale,
        jitter: JITTER,
        outcome: { status: 'SUCCESS' as const, data: { total: 1, vendor: { name: 'ACME' } } },
      })),
    },
  });
  try {
    const t0 = Date.now();
    const results: (RunResult & { headers: HeaderMode; documents: number; limitPerMinute: number })[] = [];
    for (const set of plan) {
      await configure(standIn.url, { rateLimit: rateLimit(set.limitPerMinute, set.headers) });
      opts.log(
        `limits: ${set.documents} documents × ${JOB_LENGTHS_MS.map(ms => `${ms / 1000} s`).join(' and ')} jobs, ${set.limitPerMinute} requests per${scale === 1 ? '' : ` scaled (×${scale})`} minute, X-RateLimit headers ${set.headers === 'all' ? 'on every answer' : 'on 429s only'}`,
      );
      const o = { ...opts, documents: set.documents };
      const runs = await Promise.all(
        JOB_LENGTHS_MS.map((ms, i) => ours(standIn.url, set.keys[i], ms, o).then(r => log(opts, 'ours', ms, r, t0))),
      );
      results.push(
        ...runs.map(r => ({
          ...r,
          headers: set.headers,
          documents: set.documents,
          limitPerMinute: set.limitPerMinute,
        })),
      );
    }
    const entries = (await (await fetch(`${standIn.url}/__stand-in/requests`)).json()) as RequestLogEntry[];
    const scenarios = results.map(r => ({
      ...scenarioOf(r, entries, r.limitPerMinute, scale),
      limitPerMinute: r.limitPerMinute,
    }));
    return { timeScale: scale, jitter: JITTER, scenarios };
  } finally {
    await standIn.stop();
  }
}

/** The lower bound of N documents at L requests per fixed window: see the top of this file. */
export function batchLowerBoundMs(documents: number, limitPerWindow: number, windowMs: number, jobMs: number): number {
  return Math.max((Math.ceil((2 * documents) / limitPerWindow) - 1) * windowMs, jobMs * (1 - JITTER));
}

function scenarioOf(
  r: RunResult & { headers: HeaderMode; documents: number },
  entries: readonly RequestLogEntry[],
  limit: number,
  scale: number,
): BatchScenario {
  const mine = entries.filter(e => e.headers.authorization === `Bearer ${r.key}`);
  if (process.env.BENCH_TRACE) {
    const t0 = Number(mine[0]?.time ?? 0);
    process.stderr.write(
      `${r.key}: ${mine.map(e => `${e.method === 'POST' ? 'S' : 'P'}${e.status === 429 ? '!' : ''}@${((Number(e.time) - t0) / 1000 / scale).toFixed(1)}`).join(' ')}\n`,
    );
  }
  const startsByDoc = new Map<string, number>();
  for (const e of mine) {
    if (e.method === 'POST' && e.status === 202) {
      const h = e.multipart?.files[0]?.sha256 ?? '';
      startsByDoc.set(h, (startsByDoc.get(h) ?? 0) + 1);
    }
  }
  return {
    client: r.client,
    headers: r.headers,
    jobMs: r.jobMs,
    documents: r.documents,
    succeeded: r.succeeded,
    wallMs: r.wallMs,
    lowerBoundMs: batchLowerBoundMs(r.documents, limit, 60_000 * scale, r.jobMs * scale),
    requests: mine.length,
    starts: mine.filter(e => e.method === 'POST').length,
    statusRequests: mine.filter(e => e.method === 'GET').length,
    rateLimited: mine.filter(e => e.status === 429).length,
    duplicateStarts: [...startsByDoc.values()].reduce((n, c) => n + c - 1, 0),
  };
}

/** The limits part as a table: each limit's figures side by side, per header mode and job length. */
export function limitsTable(data: { timeScale: number; scenarios: readonly LimitScenario[] }): string {
  const lines = [
    `| Job | Headers on | ${data.scenarios
      .map(s => s.limitPerMinute)
      .filter((v, i, a) => a.indexOf(v) === i)
      .map(l => `${l}/min: docs, wall / bound, req. / doc, 429s`)
      .join(' | ')} |`,
  ];
  lines.push(
    `| --- | --- | ${lines[0]
      .split('|')
      .slice(3, -1)
      .map(() => '---')
      .join(' | ')} |`,
  );
  for (const headers of ['all', '429'] as const) {
    for (const jobMs of JOB_LENGTHS_MS) {
      const cells = data.scenarios
        .filter(s => s.headers === headers && s.jobMs === jobMs)
        .map(
          s =>
            `${s.succeeded}/${s.documents}, ${(s.wallMs / s.lowerBoundMs).toFixed(2)}× (${(s.wallMs / 1000 / data.timeScale).toFixed(1)} s / ${(s.lowerBoundMs / 1000 / data.timeScale).toFixed(1)} s), ${(s.requests / s.documents).toFixed(2)}, ${s.rateLimited}${s.duplicateStarts ? `, ${s.duplicateStarts} STARTED TWICE` : ''}`,
        );
      lines.push(`| ${jobMs / 1000} s | ${headers === 'all' ? 'every answer' : '429s only'} | ${cells.join(' | ')} |`);
    }
  }
  return lines.join('\n');
}
