/** The benchmark's figures, its targets (PASS/MISS) and their text and markdown tables. */
import type { PollSchedule } from '../src/core/polling/schedule';
import type { BatchData, BatchScenario } from './batch';
import type {
  DetectionSummary,
  JobRun,
  RunConditions,
  ScheduleName,
  SingleRunSeries,
  SingleRunsData,
} from './detection';
import { fmtNumber, fmtRatio, fmtSeconds, markdownTable, max, median, min, textTable, toMB } from './stats';
import type { UploadRun } from './upload';
import type { FetchName } from './upload-probe';

export interface UploadSummary {
  client: 'ours' | 'curl';
  fetch?: FetchName;
  key: string;
  runs: number;
  failures: number;
  /** Timed uploads behind medianMs (ours: the warm ones of every process; curl: all its runs). */
  timedUploads: number;
  /** Ours: over the warm uploads; curl: over its time_total. */
  medianMs: number;
  medianMbPerS: number;
  /** Ours: the first large upload of a fresh process. */
  medianFirstMs?: number;
  medianPeakAboveIdle?: number;
  maxPeakAboveIdle?: number;
  medianHwmAboveIdle?: number;
  maxHwmAboveIdle?: number;
  /** Peak RSS above idle over the warm uploads. */
  medianWarmPeakAboveIdle?: number;
  maxWarmPeakAboveIdle?: number;
  /** ArrayBuffers (the document's bytes in memory) at the RSS peak, above idle. */
  medianArrayBuffersAboveIdle?: number;
  /** CPU time (user + system) of the client process during the first and the warm upload. */
  medianFirstCpuMs?: number;
  medianWarmCpuMs?: number;
  errors: string[];
}

export interface Target {
  name: string;
  figure: string;
  limit: string;
  pass: boolean;
}

export interface BenchData {
  environment: {
    date: string;
    node: string;
    nodeBundledUndici: string;
    undici: string;
    curl: string;
    platform: string;
    cpu: string;
    cores: number;
    memoryGB: number;
    /** 1, 5 and 15 min load averages when the run began: other work on the machine skews timings. */
    loadAverageAtStart: number[];
  };
  settings: {
    seed: number;
    repetitions: number;
    jitter: number;
    staggerMs: number;
    jobLengthsMs: number[];
    detectionFetch: FetchName;
    schedules: Record<ScheduleName, PollSchedule>;
    uploadBytes: number;
    uploadRepetitions: number;
    uploadWarmRepeats: number;
    uploadFetches: FetchName[];
    /** Set when a compiled copy of src/core was measured instead of this tree's (`--client-core`). */
    clientCore?: string;
    rssSampleMs: number;
  };
  detection?: {
    wallMs: number;
    loadAverageAtEnd: number;
    conditions: RunConditions;
    summaries: DetectionSummary[];
    runs: JobRun[];
  };
  /** Part 1b: single runs in a row through a request budget at its default (detection.ts). */
  singleRuns?: SingleRunsData;
  upload?: {
    loadAverageAtEnd: number;
    runs: UploadRun[];
    summaries: UploadSummary[];
    /** 100 MB documents the stand-in received, and how many of them hashed differently from the file. */
    intact: { uploads: number; corrupted: number };
  };
  /** Part 3: bundle and VSIX sizes, and activation in the real extension host (activation-run.js). */
  activation?: ActivationData;
  /** Part 4: a batch at the rate limit (batch.ts). */
  batch?: BatchData;
  targets: Target[];
}

/** One extension's activation in one window: the host's own figures, in ms. */
export interface ActivationFigures {
  /** The synchronous require of the extension's code (willLoadExtensionCode → didLoadExtensionCode). */
  load: number;
  /** The synchronous activate() call (the host's activateCallTime). */
  call: number;
  total: number;
  /** What Running Extensions shows: the host's codeLoadingTime (waits included) + the call. */
  shown: number;
}

export type ActivationData =
  | { skipped: true; reason: string }
  | {
      skipped?: false;
      sizes: { entryBytes: number; runtimeBytes: number; vsixBytes: number };
      samples: Array<{ ours: ActivationFigures; baseline: ActivationFigures }>;
      /** Whether code-server (all its processes) and the browser were confined to CPU 0; each extension host may use both CPUs. */
      pinned: boolean;
      vscode: string;
      screenshot: string;
    };

/** Jobs up to this long must be seen within SHORT_JOB_DELAY_MS; longer ones within LONG_JOB_FRACTION of their length. */
const SHORT_JOB_MS = 3000;
const SHORT_JOB_DELAY_MS = 300;
const LONG_JOB_FRACTION = 0.1;
const REQUESTS_JOB_MS = 60_000;
const MAX_PEAK_RSS_BYTES = 32e6;
const MIN_CURL_FRACTION = 0.8;
const MAX_BUNDLE_BYTES = 120e3;
const MAX_ACTIVATION_MS = 15;
const BATCH_MAX_RATIO = 1.15;
/** Without limit headers on ordinary answers: the first window is spent probing for the limit. */
const BATCH_MAX_RATIO_PROBING = 1.3;
const BATCH_MAX_REQUESTS_PER_DOC = 2.5;

function delayLimitMs(nominalMs: number): number {
  return nominalMs <= SHORT_JOB_MS ? SHORT_JOB_DELAY_MS : nominalMs * LONG_JOB_FRACTION;
}

function summaryOf(data: BenchData, nominalMs: number, schedule: ScheduleName): DetectionSummary | undefined {
  return data.detection?.summaries.find(s => s.nominalMs === nominalMs && s.schedule === schedule);
}

function fetchLabel(data: BenchData, fetch: FetchName | undefined): string {
  return fetch === 'global'
    ? `Node fetch, undici ${data.environment.nodeBundledUndici}`
    : `undici ${data.environment.undici}`;
}

function curlSummary(data: BenchData): UploadSummary | undefined {
  return data.upload?.summaries.find(s => s.client === 'curl');
}

export function evaluateTargets(data: BenchData): Target[] {
  const targets: Target[] = [];
  for (const nominalMs of data.settings.jobLengthsMs) {
    const ours = summaryOf(data, nominalMs, 'adaptive');
    if (!ours) {
      continue;
    }
    const limit = delayLimitMs(nominalMs);
    targets.push({
      name: `median detection delay, ${fmtJob(nominalMs)} job`,
      figure: fmtSeconds(ours.medianDelayMs),
      limit: `≤ ${fmtSeconds(limit)}${nominalMs > SHORT_JOB_MS ? ` (${LONG_JOB_FRACTION * 100} % of the job)` : ''}`,
      pass: ours.medianDelayMs <= limit,
    });
  }
  const ours60 = summaryOf(data, REQUESTS_JOB_MS, 'adaptive');
  const flat60 = summaryOf(data, REQUESTS_JOB_MS, 'flat2s');
  if (ours60 && flat60) {
    targets.push({
      name: `status requests over the ${fmtJob(REQUESTS_JOB_MS)} job (median)`,
      figure: fmtNumber(ours60.medianRequests, Number.isInteger(ours60.medianRequests) ? 0 : 1),
      limit: `≤ ${fmtNumber(flat60.medianRequests, Number.isInteger(flat60.medianRequests) ? 0 : 1)} (flat 2 s poll)`,
      pass: ours60.medianRequests <= flat60.medianRequests,
    });
  }
  for (const s of data.singleRuns?.series.filter(x => x.variant !== 'noBudget' && x.variant !== 'flat2s') ?? []) {
    targets.push({
      name: `single runs in a row, budget at its default, ${s.variant === 'budgetHeaders' ? 'limit headers' : 'no limit headers'}: median detection delay`,
      figure: fmtSeconds(s.medianDelayMs),
      limit: `≤ ${fmtSeconds(SHORT_JOB_DELAY_MS)}`,
      pass: s.medianDelayMs <= SHORT_JOB_DELAY_MS,
    });
  }
  const engine = data.singleRuns?.series.find(x => x.variant === 'engineKnown');
  if (engine && engine.statusRequests.length > 1) {
    const later = engine.statusRequests.slice(1);
    targets.push({
      name: 'single runs of a step with known durations: status requests per run after the first (most)',
      figure: fmtNumber(Math.max(...later), 0),
      limit: '≤ 3',
      pass: Math.max(...later) <= 3,
    });
  }
  const curl = curlSummary(data);
  if (data.upload) {
    const { uploads, corrupted } = data.upload.intact;
    targets.push({
      name: "uploads arrive intact (the stand-in's SHA-256 of each 100 MB document)",
      figure: `${uploads - corrupted} of ${uploads}`,
      limit: 'all',
      pass: corrupted === 0 && uploads > 0,
    });
  }
  for (const s of data.upload?.summaries.filter(u => u.client === 'ours') ?? []) {
    const label = fetchLabel(data, s.fetch);
    if (s.failures) {
      targets.push({
        name: `100 MB upload (${label})`,
        figure: `${s.failures} of ${s.runs} failed`,
        limit: 'no failure',
        pass: false,
      });
    }
    if (s.medianPeakAboveIdle !== undefined) {
      targets.push({
        name: `upload peak RSS above idle, median (${label})`,
        figure: `${fmtNumber(toMB(s.medianPeakAboveIdle), 1)} MB`,
        limit: `≤ ${toMB(MAX_PEAK_RSS_BYTES)} MB`,
        pass: s.medianPeakAboveIdle <= MAX_PEAK_RSS_BYTES,
      });
    }
    if (curl && Number.isFinite(curl.medianMbPerS) && Number.isFinite(s.medianMbPerS)) {
      const ratio = s.medianMbPerS / curl.medianMbPerS;
      targets.push({
        name: `upload throughput vs curl, median (${label})`,
        figure: `${fmtNumber(s.medianMbPerS)} MB/s = ${fmtNumber(ratio * 100)} % of curl's ${fmtNumber(curl.medianMbPerS)} MB/s`,
        limit: `≥ ${MIN_CURL_FRACTION * 100} %`,
        pass: ratio >= MIN_CURL_FRACTION,
      });
    }
  }
  for (const s of data.batch?.scenarios.filter(x => x.client === 'ours') ?? []) {
    const job = `${s.documents} × ${fmtJob(s.jobMs)} jobs, ${s.headers === 'all' ? 'limit headers' : 'no limit headers'}${data.batch && data.batch.timeScale !== 1 ? ' (time scaled)' : ''}`;
    // With the headers the budget knows the limit from the first answer; without, one 429 teaches it.
    const max429 = s.headers === 'all' ? 0 : 1;
    const maxRatio = s.headers === 'all' ? BATCH_MAX_RATIO : BATCH_MAX_RATIO_PROBING;
    targets.push({
      name: `batch, ${job}: 429 answers (ours)`,
      figure: String(s.rateLimited),
      limit: `≤ ${max429}`,
      pass: s.rateLimited <= max429,
    });
    targets.push({
      name: `batch, ${job}: wall time / lower bound (ours)`,
      figure: fmtRatio(s.wallMs / s.lowerBoundMs),
      limit: `≤ ${fmtRatio(maxRatio)}`,
      pass: s.wallMs <= s.lowerBoundMs * maxRatio && s.succeeded === s.documents,
    });
    if (s.jobMs >= 20_000 && s.headers === 'all') {
      targets.push({
        name: `batch, ${job}: requests per document (ours)`,
        figure: fmtNumber(s.requests / s.documents, 2),
        limit: `≤ ${BATCH_MAX_REQUESTS_PER_DOC}`,
        pass: s.requests / s.documents <= BATCH_MAX_REQUESTS_PER_DOC,
      });
    }
    targets.push({
      name: `batch, ${job}: documents started twice (ours)`,
      figure: String(s.duplicateStarts),
      limit: '0',
      pass: s.duplicateStarts === 0,
    });
  }
  const a = data.activation;
  if (a && !a.skipped) {
    const bundles = a.sizes.entryBytes + a.sizes.runtimeBytes;
    targets.push({
      name: 'bundle size, minified (activation + on first use)',
      figure: `${fmtNumber(bundles / 1e3, 1)} KB (${fmtNumber(a.sizes.entryBytes / 1e3, 1)} + ${fmtNumber(a.sizes.runtimeBytes / 1e3, 1)})`,
      limit: `≤ ${MAX_BUNDLE_BYTES / 1e3} KB`,
      pass: bundles <= MAX_BUNDLE_BYTES,
    });
    const total = median(a.samples.map(s => s.ours.total));
    targets.push({
      name: `activation in the real extension host (load + activate call), median of ${a.samples.length}`,
      figure: `${fmtNumber(total, 1)} ms`,
      limit: `≤ ${MAX_ACTIVATION_MS} ms`,
      pass: total <= MAX_ACTIVATION_MS,
    });
  } else if (a) {
    targets.push({ name: 'activation and size', figure: `not measured: ${a.reason}`, limit: '—', pass: false });
  }
  return targets;
}

function fmtJob(ms: number): string {
  return `${ms / 1000} s`;
}

interface Table {
  title: string;
  header: string[];
  rows: string[][];
  right: boolean[];
  notes: string[];
}

function detectionTable(data: BenchData): Table | undefined {
  const d = data.detection;
  if (!d) {
    return undefined;
  }
  const rows = data.settings.jobLengthsMs.map(nominalMs => {
    const a = summaryOf(data, nominalMs, 'adaptive') as DetectionSummary;
    const f = summaryOf(data, nominalMs, 'flat2s') as DetectionSummary;
    const limit = delayLimitMs(nominalMs);
    return [
      fmtJob(nominalMs),
      fmtSeconds(a.medianDelayMs),
      fmtSeconds(a.maxDelayMs),
      fmtNumber(a.medianRequests, Number.isInteger(a.medianRequests) ? 0 : 1),
      fmtSeconds(f.medianDelayMs),
      fmtSeconds(f.maxDelayMs),
      fmtNumber(f.medianRequests, Number.isInteger(f.medianRequests) ? 0 : 1),
      fmtRatio(a.medianDelayMs / f.medianDelayMs),
      fmtRatio(a.medianRequests / f.medianRequests),
      `≤ ${fmtSeconds(limit)} ${a.medianDelayMs <= limit ? 'PASS' : 'MISS'}`,
    ];
  });
  const runs = d.runs.length;
  const c = d.conditions;
  return {
    title: `1. Detection delay and status requests — ${data.settings.repetitions} repetitions per job length, server-side durations jittered ±${data.settings.jitter * 100} %, all ${runs} jobs at once (${fmtSeconds(d.wallMs)})`,
    header: [
      'Job',
      'Ours: median delay',
      'max delay',
      'median req.',
      'Flat 2 s: median delay',
      'max delay',
      'median req.',
      'Delay ours/flat',
      'Req. ours/flat',
      'Target (ours, median)',
    ],
    rows,
    right: [false, true, true, true, true, true, true, true, true, false],
    notes: [
      'Delay: the instant the client saw the terminal status minus the instant the stand-in completed the job (one machine, one clock).',
      `Conditions: client event-loop lag p50 ${fmtNumber(c.eventLoopDelayMs.p50, 1)} ms, p99 ${fmtNumber(c.eventLoopDelayMs.p99, 1)} ms, max ${fmtNumber(c.eventLoopDelayMs.max)} ms; ` +
        `terminal answer sent → seen by the client: median ${fmtNumber(c.answerLatencyMs.median)} ms, max ${fmtNumber(c.answerLatencyMs.max)} ms; ` +
        `start request: median ${fmtNumber(c.startLatencyMs.median)} ms, max ${fmtNumber(c.startLatencyMs.max)} ms; load average ${data.environment.loadAverageAtStart[0]} → ${fmtNumber(d.loadAverageAtEnd, 2)}. ` +
        'On a loaded machine these grow; the adaptive schedule plans polls on its own instants from the start, so a late answer delays one poll, not every later one.',
      'Requests: status requests per job, as the stand-in counted them.',
      `Ours = ADAPTIVE_SCHEDULE ${JSON.stringify(data.settings.schedules.adaptive)}; flat = FLAT_2S_SCHEDULE (the official SDKs: poll at once, then every 2 s).`,
    ],
  };
}

const SINGLE_VARIANT: Record<SingleRunSeries['variant'], string> = {
  noBudget: 'no budget',
  budgetNoHeaders: 'budget at its default, no limit headers',
  budgetHeaders: 'budget, limit headers on every answer',
  engineKnown: 'the engine, durations known after the first run (limit headers)',
  flat2s: "SDKs' pattern (flat 2 s, no budget)",
};

function singleRunsTable(data: BenchData): Table | undefined {
  const d = data.singleRuns;
  if (!d) {
    return undefined;
  }
  const base = d.series.find(s => s.variant === 'noBudget');
  const rows = d.series.map(s => [
    SINGLE_VARIANT[s.variant],
    fmtSeconds(s.medianDelayMs),
    fmtSeconds(s.maxDelayMs),
    fmtNumber(median(s.statusRequests), Number.isInteger(median(s.statusRequests)) ? 0 : 1),
    base && s !== base ? fmtRatio(s.medianDelayMs / base.medianDelayMs) : '—',
    s.budgetLimit === undefined ? '—' : `${s.budgetLimit} / min`,
    String(s.rateLimited),
    s.variant === 'noBudget' || s.variant === 'flat2s'
      ? '—'
      : `≤ ${fmtSeconds(SHORT_JOB_DELAY_MS)} ${s.medianDelayMs <= SHORT_JOB_DELAY_MS ? 'PASS' : 'MISS'}`,
  ]);
  return {
    title: `1b. Single runs in a row through the request budget — ${d.runs} runs of ${fmtJob(d.jobMs)} jobs, ${d.gapMs} ms apart, each variant on a new key and a new budget`,
    header: [
      'Client',
      'Median delay',
      'max delay',
      'median req.',
      'Delay / no budget',
      'Budget limit after',
      '429s',
      'Target (median)',
    ],
    rows,
    right: [false, true, true, true, true, true, true, false],
    notes: [
      `The stand-in limits each key to ${d.limitPerMinute} requests a minute, far above what the runs need, and sends the X-RateLimit-* headers on 429s only (the public reference documents none of them), then on every answer. Delay: the instant the client saw the terminal status minus the instant the stand-in completed the job.`,
      "A budget at its default assumes 30 requests a minute until told: a person's polls are counted, not paced, and the budget probes up while they use it.",
    ],
  };
}

function batchTable(data: BenchData): Table | undefined {
  const b = data.batch;
  if (!b) {
    return undefined;
  }
  const scaled = b.timeScale !== 1;
  const secs = (ms: number) => (scaled ? `${fmtSeconds(ms)} (${fmtSeconds(ms / b.timeScale)})` : fmtSeconds(ms));
  const rows = b.scenarios.map((s: BatchScenario) => [
    `${s.documents} × ${fmtJob(s.jobMs)}`,
    s.headers === 'all' ? 'every answer' : '429s only',
    s.client === 'ours'
      ? 'ours (budget + planner)'
      : `SDKs' pattern (${b.sdkWorkers} workers, flat ${b.sdkPollMs / 1000} s)`,
    `${s.succeeded} / ${s.documents}`,
    secs(s.wallMs),
    secs(s.lowerBoundMs),
    fmtRatio(s.wallMs / s.lowerBoundMs),
    String(s.rateLimited),
    `${s.requests} (${s.starts} + ${s.statusRequests})`,
    fmtNumber(s.requests / s.documents, 2),
    String(s.duplicateStarts),
  ]);
  const m = b.memory;
  return {
    title: `4. A batch at the rate limit — ${b.documents} documents per job length (and ${b.documentsWithoutHeaders.filter(n => n !== b.documents).join(', ') || 'no other count'} without limit headers), ${b.limitPerMinute} requests per minute per key${scaled ? `, TIME SCALED ×${b.timeScale}` : ''}`,
    header: [
      'Documents × job',
      'X-RateLimit headers on',
      'Client',
      'Done',
      scaled ? 'Wall time, scaled (unscaled)' : 'Wall time',
      'Lower bound',
      'Wall / bound',
      '429s',
      'Requests (starts + status)',
      'Req. / doc',
      'Started twice',
    ],
    rows,
    right: [false, false, false, true, true, true, true, true, true, true, true],
    notes: [
      `Each scenario on its own key (ours for both lengths at once, then the SDKs' pattern for both) against one stand-in (a child process) limiting every key to ${b.limitPerMinute} requests per fixed window, status requests included; job durations jittered ±${b.jitter * 100} % (seeded).`,
      ...(scaled
        ? [
            `Time scaled ×${b.timeScale}: the window is ${fmtSeconds(60_000 * b.timeScale)}, jobs ${b.scenarios
              .map(s => fmtSeconds(s.jobMs * b.timeScale))
              .filter((v, i, a) => a.indexOf(v) === i)
              .join(
                ' and ',
              )}, the SDKs' poll ${fmtSeconds(b.sdkPollMs * b.timeScale)}; unscaled equivalents in parentheses. X-RateLimit-Reset carries milliseconds at this scale; Retry-After stays in whole (real) seconds.`,
          ]
        : []),
      'Lower bound: every document needs a start and a status request; with fixed windows the 2N-th request cannot go before ⌈2N / limit⌉ − 1 whole windows have passed.',
      "Headers on 429s only: ordinary answers carry no X-RateLimit-* headers (the public reference documents none); our budget starts from its default (30 a minute), doubles its pace every 5 s (scaled) while no 429 comes, and learns the limit from the first 429's body. Each scenario's budget is new: nothing remembered from an earlier one.",
      `Ours: the core client with one RequestBudget per key, the poll planner and the batch runner (${b.ourUploads} uploads at once, the waiting jobs unbounded up to 1,000). SDKs' pattern: ${b.sdkWorkers} workers over a shared queue, status at once and then every ${b.sdkPollMs / 1000} s, Retry-After slept on each 429 and the same request sent again (until it goes).`,
      `Memory, extension side, for a ${m.documents.toLocaleString('en')}-document batch (the record with every file waiting, execution ids, hashes and run ids; the runner's planned jobs; 200 durations): ${fmtNumber(m.heapBytes / 1e3)} KB of V8 heap after a full GC; the record as JSON ${fmtNumber(m.jsonBytes / 1e3)} KB.`,
    ],
  };
}

function uploadTable(data: BenchData): Table | undefined {
  const u = data.upload;
  if (!u) {
    return undefined;
  }
  const curl = curlSummary(data);
  const mb = (b: number | undefined) => (b === undefined ? '—' : `${fmtNumber(toMB(b), 1)} MB`);
  const mbPair = (a: number | undefined, b: number | undefined) =>
    a === undefined || b === undefined ? '—' : `${fmtNumber(toMB(a), 1)} / ${fmtNumber(toMB(b), 1)} MB`;
  const rate = (ms: number | undefined) =>
    ms === undefined ? '—' : `${fmtNumber(data.settings.uploadBytes / 1e3 / ms)} MB/s`;
  const ours = (s: UploadSummary, text: string) => (s.client === 'curl' ? '—' : text);
  const rows = u.summaries.map(s => [
    s.client === 'curl'
      ? data.environment.curl.split(' ').slice(0, 2).join(' ')
      : `ours (${fetchLabel(data, s.fetch)})`,
    `${s.timedUploads}${s.failures ? ` (${s.failures} failed)` : ''}`,
    fmtSeconds(s.medianMs),
    `${fmtNumber(s.medianMbPerS)} MB/s`,
    curl && s.client !== 'curl' ? fmtRatio(s.medianMbPerS / curl.medianMbPerS) : '—',
    ours(s, mbPair(s.medianPeakAboveIdle, s.maxPeakAboveIdle)),
    ours(s, mbPair(s.medianHwmAboveIdle, s.maxHwmAboveIdle)),
    ours(s, mb(s.medianArrayBuffersAboveIdle)),
    ours(s, mbPair(s.medianWarmPeakAboveIdle, s.maxWarmPeakAboveIdle)),
    ours(s, `${fmtSeconds(s.medianFirstMs ?? NaN)}, ${rate(s.medianFirstMs)}`),
    ours(s, `${fmtNumber(s.medianFirstCpuMs ?? NaN)} / ${fmtNumber(s.medianWarmCpuMs ?? NaN)} ms`),
  ]);
  const w = data.settings.uploadWarmRepeats;
  return {
    title: `2. ${toMB(data.settings.uploadBytes)} MB upload (\`path\` input) to the stand-in — ${data.settings.uploadRepetitions} repetitions, alternating, medians`,
    header: [
      'Client',
      'Uploads',
      'Time',
      'Throughput',
      'Ours/curl',
      'RSS peak − idle, 1st (med / max)',
      'VmHWM − idle, 1st',
      'ArrayBuffers, 1st',
      'RSS peak − idle, warm',
      '1st upload',
      'CPU 1st / warm',
    ],
    rows,
    right: [false, true, true, true, true, true, true, true, true, true, true],
    notes: [
      'Uploads: timed uploads behind the medians. Time, throughput: request start to the 202 (ours: startStep() call to its return; curl: its time_total), MB = 10^6 bytes.',
      `Ours: each repetition is a fresh forked client process: untimed 1 MB and 16 MB warm-ups, the 1st 100 MB upload (memory figure, cold time), then ${w} warm uploads (time figure). curl: ${w} runs per repetition.`,
      `Peak RSS: process.memoryUsage().rss sampled every ${data.settings.rssSampleMs} ms during the upload, minus the RSS right before it (after GC). A fresh process matters: memory an earlier upload left resident would absorb the growth.`,
      "VmHWM − idle: the kernel's peak RSS over the 1st upload (reset through /proc/self/clear_refs) minus the same idle RSS, medians / max: a check no sampling interval can miss.",
      'ArrayBuffers: process.memoryUsage().arrayBuffers in the peak sample minus idle, median: document bytes held in memory (read, not yet collected).',
      'CPU: user + system time of the client process during the 1st and the warm uploads, medians. The stand-in is warmed by one untimed curl upload first.',
    ],
  };
}

function activationTable(data: BenchData): Table | undefined {
  const a = data.activation;
  if (!a || a.skipped) {
    return undefined;
  }
  const row = (
    label: string,
    pick: (s: { ours: ActivationFigures; baseline: ActivationFigures }) => ActivationFigures,
  ) => {
    const f = a.samples.map(pick);
    const med = (k: keyof ActivationFigures) => fmtNumber(median(f.map(x => x[k])), 1);
    return [
      label,
      med('load'),
      med('call'),
      med('total'),
      fmtNumber(min(f.map(x => x.total))),
      fmtNumber(max(f.map(x => x.total))),
      med('shown'),
    ];
  };
  const diff = a.samples.map(s => s.ours.total - s.baseline.total);
  const kb = (b: number) => `${fmtNumber(b / 1e3, 1)} KB`;
  return {
    title: `3. Activation in the real extension host (${a.vscode}, onStartupFinished, ${a.samples.length} window loads) and sizes`,
    header: ['Extension', 'Load code', 'Activate call', 'Load + call', 'min', 'max', 'Running Extensions shows'],
    rows: [row('DocuTray Steps', s => s.ours), row('Hello World (yo code)', s => s.baseline)],
    right: [false, true, true, true, true, true, true],
    notes: [
      "Medians in ms (min, max: of load + call). Load code: the host's willLoadExtensionCode → didLoadExtensionCode marks (the synchronous require of dist/extension.js, with the `vscode` API object the host makes for it). " +
        "Activate call: the host's activateCallTime (the synchronous activate()), from Developer: Startup Performance. Both extensions activate in the same window each time.",
      `DocuTray Steps minus Hello World, per window: median ${fmtNumber(median(diff), 1)} ms, max ${fmtNumber(max(diff))} ms. ` +
        (a.pinned
          ? "code-server (all its processes) and the browser were confined to CPU 0 (taskset) and each extension host could use both. What noise remains is start-up itself: at onStartupFinished the host's own compiler and I/O threads, the VS Code server and the renderer are all busy, and the host's main thread waits its turn for a CPU; a few milliseconds of work is stretched into tens at random, and the longer activate() is, the more often it is hit. (Checked with a diagnostic build: no garbage collection falls inside activate(); confining the host to CPU 1 alone made it worse.)"
          : 'Not pinned to CPUs (no taskset or one CPU): the browser and code-server compete with the host.'),
      "Running Extensions shows the host's codeLoadingTime, which starts before the host awaits localized messages and so includes the time spent behind Git, GitHub, Emmet… activating at the same moment; it is given for comparison, not as our cost.",
      `Sizes: dist/extension.js ${kb(a.sizes.entryBytes)} (what activation loads), dist/runtime.js ${kb(a.sizes.runtimeBytes)} (loaded on the first command, result, runs view or run to resume), VSIX ${kb(a.sizes.vsixBytes)}. Screenshot: ${a.screenshot}.`,
    ],
  };
}

export function buildReport(data: BenchData): { text: string; markdown: string } {
  const env = data.environment;
  const heading = `DocuTray client benchmark — ${env.date}`;
  const machine = `Node ${env.node} on ${env.platform}, ${env.cores} × ${env.cpu}, ${env.memoryGB} GB, load average ${env.loadAverageAtStart[0]} at start; ${env.curl.split(' ').slice(0, 2).join(' ')}; seed ${data.settings.seed}; stand-in in a child process.`;
  const tables = [
    detectionTable(data),
    singleRunsTable(data),
    uploadTable(data),
    activationTable(data),
    batchTable(data),
  ].filter((t): t is Table => t !== undefined);
  const targetRows = data.targets.map(t => [t.pass ? 'PASS' : 'MISS', t.name, t.figure, t.limit]);
  const misses = data.targets.filter(t => !t.pass).length;
  const summary = `${data.targets.length - misses} of ${data.targets.length} targets met${misses ? `, ${misses} missed` : ''}.`;

  const core = data.settings.clientCore ? [`CLIENT FROM ${data.settings.clientCore}, NOT THIS TREE'S src/core.`] : [];
  const text: string[] = [heading, machine, ...core, ''];
  for (const t of tables) {
    text.push(t.title, '', textTable(t.header, t.rows, t.right), ...t.notes.map(n => `  ${n}`), '');
  }
  text.push('Targets', '', textTable(['', 'Target', 'Figure', 'Limit'], targetRows), '', summary);

  const md: string[] = [
    `## Benchmark`,
    '',
    `_${machine} ${env.date.slice(0, 10)}._`,
    '',
    ...core.map(c => `**${c}**\n`),
  ];
  for (const t of tables) {
    md.push(
      `### ${t.title.replace(/^\d+\. /, '')}`,
      '',
      markdownTable(t.header, t.rows, t.right),
      '',
      ...t.notes.map(n => `- ${n}`),
      '',
    );
  }
  md.push(
    '### Targets',
    '',
    markdownTable(
      ['Result', 'Target', 'Figure', 'Limit'],
      targetRows.map(([r, ...rest]) => [r === 'PASS' ? '✅ PASS' : '❌ MISS', ...rest]),
    ),
    '',
    summary,
    '',
  );
  return { text: text.join('\n'), markdown: md.join('\n') };
}
