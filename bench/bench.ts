/**
 * The client benchmark (`npm run bench`): a script, not a test. Against the DocuTray stand-in, run in
 * a child process through its CLI so that this process holds only the client:
 *   1. detection delay and status requests for jobs of 0.5–60 s, our adaptive schedule next to the
 *      SDKs' flat 2 s poll, all jobs at once; then single runs in a row through a request budget at its
 *      default, with and without limit headers on the answers, next to the same runs without a budget;
 *   2. a 100 MB `path` upload by our client (peak RSS above idle, throughput) next to curl;
 *   3. the production bundles' and the VSIX's sizes, and activation in the real extension host
 *      (code-server, next to a Hello World extension), by activation-run.js in a child process;
 *   4. a batch at the rate limit (batch.ts): 100 documents of 2 s and of 20 s jobs against a stand-in
 *      limited to 60 requests a minute, our budget + planner + batch runner next to the SDKs' pattern,
 *      with the limit headers on every answer, then on 429s only (also for 40 documents).
 * Prints a table with the targets, and writes test-output/bench/bench.json and bench.md.
 *
 *   node out/bench/bench.js [--reps 7] [--upload-reps 3] [--activation-samples 11] [--seed N]
 *                                [--only detection|upload|activation|batch|limits] [--time-scale 0.1] [--batch-docs 100]
 *                                [--fetch undici|global] [--upload-fetch undici,global] [--client-core <dir>]
 * `--client-core` measures a compiled copy of src/core instead of this tree's (a prototype fix, say).
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createReadStream, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { fetch as undiciFetch } from 'undici';
import type { FetchLike } from '../src/core/client/client';
import { ADAPTIVE_SCHEDULE, FLAT_2S_SCHEDULE } from '../src/core/polling/schedule';
import { planJobs, runDetection, runSingleRunsInRow, stepScripts, summarize } from './detection';
import { limitsTable, runBatchPart, runLimitsPart } from './batch';
import { buildReport, evaluateTargets, type BenchData, type UploadSummary } from './report';
import { startStandInProcess } from './stand-in-process';
import { seededRandom } from '../stand-in/state';
import { median, max } from './stats';
import { UPLOAD_BYTES, runUploads, writeUploadFile, type UploadRun } from './upload';
import type { FetchName, Measurement } from './upload-probe';

const API_KEY = 'k';
const UPLOAD_STEP = 'bench-upload';
const JOB_LENGTHS_MS = [500, 2000, 5000, 20_000, 60_000];
const JITTER = 0.05;
const STAGGER_MS = 1000;
/** 100 MB uploads after the first in each client process, timed as warm; curl runs as many per repetition. */
const WARM_REPEATS = 3;
/** Part 1b: single runs in a row, of this length, this far apart. */
const SINGLE_RUNS = 10;
const SINGLE_JOB_MS = 1000;
const SINGLE_GAP_MS = 200;
/** Part 4: requests per (scaled) minute per key. */
const BATCH_LIMIT = 60;
const OUT_DIR = join(__dirname, '..', '..', 'test-output', 'bench');

interface Args {
  reps: number;
  uploadReps: number;
  seed: number;
  only?: 'detection' | 'upload' | 'activation' | 'batch' | 'limits';
  timeScale: number;
  batchDocs: number;
  activationSamples: number;
  fetch: FetchName;
  uploadFetches: FetchName[];
  clientCore?: string;
}

function parseArgs(argv: readonly string[]): Args {
  const args: Args = {
    timeScale: 0.1,
    batchDocs: 100,
    reps: 7,
    uploadReps: 3,
    activationSamples: 11,
    seed: Date.now() % 1_000_000,
    fetch: 'undici',
    uploadFetches: ['undici', 'global'],
  };
  for (let i = 0; i < argv.length; i++) {
    const [flag, inline] = argv[i].includes('=') ? argv[i].split(/=(.*)/s, 2) : [argv[i], undefined];
    const value = () => {
      const v = inline ?? argv[++i];
      if (v === undefined) {
        throw new Error(`${flag} needs a value`);
      }
      return v;
    };
    const int = (lowest: number) => {
      const n = Number(value());
      if (!Number.isInteger(n) || n < lowest) {
        throw new Error(`${flag} must be an integer ≥ ${lowest}`);
      }
      return n;
    };
    const fetchName = (v: string): FetchName => {
      if (v !== 'undici' && v !== 'global') {
        throw new Error(`${flag}: "${v}" is not undici or global`);
      }
      return v;
    };
    switch (flag) {
      case '--reps':
        args.reps = int(5);
        break;
      case '--upload-reps':
        args.uploadReps = int(1);
        break;
      case '--activation-samples':
        args.activationSamples = int(3);
        break;
      case '--seed':
        args.seed = int(0);
        break;
      case '--only': {
        const v = value();
        if (v !== 'detection' && v !== 'upload' && v !== 'activation' && v !== 'batch' && v !== 'limits') {
          throw new Error('--only must be detection, upload, activation, batch or limits');
        }
        args.only = v;
        break;
      }
      case '--time-scale': {
        const n = Number(value());
        if (!(n > 0 && n <= 1)) {
          throw new Error('--time-scale must be in (0, 1]');
        }
        args.timeScale = n;
        break;
      }
      case '--batch-docs':
        args.batchDocs = int(2);
        break;
      case '--fetch':
        args.fetch = fetchName(value());
        break;
      case '--client-core':
        args.clientCore = value();
        break;
      case '--upload-fetch':
        args.uploadFetches = value().split(',').map(fetchName);
        break;
      default:
        throw new Error(`unknown argument ${argv[i]}`);
    }
  }
  return args;
}

function fetchFor(name: FetchName): FetchLike {
  return name === 'global'
    ? (url, init) => globalThis.fetch(url, init)
    : (url, init) => undiciFetch(url, init as Parameters<typeof undiciFetch>[1]) as unknown as Promise<Response>;
}

function environment(): BenchData['environment'] {
  const cpuList = cpus();
  let curl = 'not found';
  try {
    curl = execFileSync('curl', ['--version'], { encoding: 'utf8' }).split('\n')[0];
  } catch {
    // reported as not found
  }
  let undici = 'unknown';
  try {
    undici = (
      JSON.parse(readFileSync(join(__dirname, '..', '..', '..', 'node_modules', 'undici', 'package.json'), 'utf8')) as {
        version: string;
      }
    ).version;
  } catch {
    // reported as unknown
  }
  return {
    date: new Date().toISOString(),
    node: process.version,
    nodeBundledUndici: process.versions.undici ?? 'unknown',
    undici,
    curl,
    platform: `${process.platform} ${process.arch}`,
    cpu: cpuList[0]?.model ?? 'unknown',
    cores: cpuList.length,
    memoryGB: Math.round(totalmem() / 1e9),
    loadAverageAtStart: loadavg().map(l => Math.round(l * 100) / 100),
  };
}

function log(line: string): void {
  process.stderr.write(`${line}\n`);
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const random = seededRandom(args.seed);
  const jobs = planJobs(JOB_LENGTHS_MS, args.reps, JITTER, random);
  const dir = mkdtempSync(join(tmpdir(), 'docutray-bench-'));
  const env = environment();
  log(`DocuTray client benchmark — seed ${args.seed}, ${env.node}, ${env.cores} × ${env.cpu}`);
  if (args.only === 'limits') {
    // The batch at 16 and at 60 requests a minute, ours only, printed side by side (not a part of the full run).
    try {
      const limits = await runLimitsPart({
        fetch: fetchFor(args.fetch),
        scale: args.timeScale,
        seed: args.seed,
        dir,
        log,
      });
      process.stdout.write(
        `${limitsTable(limits)}\n\nWall / bound: first request to the last document seen done, over the fixed-window lower bound (see bench/batch.ts)${args.timeScale === 1 ? '' : `; time scaled ×${args.timeScale}, seconds given unscaled`}.\n`,
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    return;
  }
  if (args.only === 'batch') {
    // Part 4 alone: its own stand-in (rate limited), nothing else.
    try {
      const batch = await runBatchPart({
        fetch: fetchFor(args.fetch),
        scale: args.timeScale,
        documents: args.batchDocs,
        limit: BATCH_LIMIT,
        seed: args.seed,
        dir,
        log,
      });
      finish(args, env, { batch });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    return;
  }
  const standIn = await startStandInProcess({
    apiKey: API_KEY,
    dir,
    config: {
      steps: [
        ...stepScripts(jobs),
        { id: UPLOAD_STEP, name: 'upload', enqueuedMs: 0, processingMs: 0, outcome: { status: 'SUCCESS', data: {} } },
      ],
    },
  });
  log(`stand-in (pid ${standIn.pid}) at ${standIn.url}`);
  // Interrupted: leave no 100 MB file behind (the stand-in, in our process group, gets the signal too).
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      rmSync(dir, { recursive: true, force: true });
      void standIn.stop().finally(() => process.exit(130));
    });
  }
  let detection: BenchData['detection'];
  let singleRuns: BenchData['singleRuns'];
  let upload: BenchData['upload'];
  try {
    if (args.only === undefined || args.only === 'detection') {
      log(
        `part 1: ${jobs.length * 2} jobs at once (${args.reps} repetitions × ${JOB_LENGTHS_MS.length} lengths × 2 schedules), about ${Math.round(Math.max(...jobs.map(j => j.durationMs)) / 1000 + 10)} s`,
      );
      const t0 = Date.now();
      let lastShown = 0;
      const { runs, conditions } = await runDetection({
        standIn,
        apiKey: API_KEY,
        fetch: fetchFor(args.fetch),
        jobs,
        staggerMs: STAGGER_MS,
        random,
        clientCore: args.clientCore,
        onProgress: (done, total) => {
          if (Date.now() - lastShown > 5000 || done === total) {
            lastShown = Date.now();
            log(`  ${done}/${total} jobs seen done after ${Math.round((Date.now() - t0) / 1000)} s`);
          }
        },
      });
      const mismatched = runs.filter(r => r.statusAnswers !== r.statusRequests);
      if (mismatched.length) {
        log(
          `  note: ${mismatched.length} jobs saw a different number of status answers than the stand-in counted requests`,
        );
      }
      detection = {
        wallMs: Date.now() - t0,
        loadAverageAtEnd: loadavg()[0],
        conditions,
        summaries: summarize(runs),
        runs,
      };
      log(
        `part 1b: ${SINGLE_RUNS} single runs of ${SINGLE_JOB_MS / 1000} s jobs in a row, without a budget, then through a budget at its default (no limit headers, then limit headers)`,
      );
      const singleDir = mkdtempSync(join(tmpdir(), 'docutray-bench-single-'));
      try {
        singleRuns = await runSingleRunsInRow({
          fetch: fetchFor(args.fetch),
          dir: singleDir,
          runs: SINGLE_RUNS,
          jobMs: SINGLE_JOB_MS,
          gapMs: SINGLE_GAP_MS,
          seed: args.seed,
          log,
        });
      } finally {
        rmSync(singleDir, { recursive: true, force: true });
      }
    }
    if (args.only === undefined || args.only === 'upload') {
      log(`part 2: writing a ${UPLOAD_BYTES / 1e6} MB file in ${dir}`);
      const file = writeUploadFile(dir);
      const warmupFiles = [
        writeUploadFile(dir, 1_000_000, 'warmup-1MB.pdf'),
        writeUploadFile(dir, 16_000_000, 'warmup-16MB.pdf'),
      ];
      log(
        `part 2: ${args.uploadReps} × (ours with ${args.uploadFetches.join(' and ')} fetch, each in a fresh process: 1 MB and 16 MB warm-ups, the measured first 100 MB upload, ${WARM_REPEATS} more timed warm; curl ${WARM_REPEATS} times), alternating, after one untimed curl upload`,
      );
      const runs = await runUploads({
        url: standIn.url,
        apiKey: API_KEY,
        stepId: UPLOAD_STEP,
        file,
        warmupFiles,
        warmRepeats: WARM_REPEATS,
        repetitions: args.uploadReps,
        fetches: args.uploadFetches,
        clientCore: args.clientCore,
        onRun: r =>
          log(
            `  ${r.client}${r.fetch ? ` (${r.fetch})` : ''} #${r.repetition + 1}: ${r.ok ? `${r.timesMs.map(ms => (ms / 1000).toFixed(2)).join(', ')} s${r.first ? ` warm; first upload ${(r.first.ms / 1000).toFixed(2)} s, peak RSS +${((r.first.peak.rss - r.first.idle.rss) / 1e6).toFixed(1)} MB` : ''}` : `FAILED ${r.error}`}`,
          ),
      });
      // Every byte arrived as sent: the stand-in hashed each document as it streamed in.
      const sha256 = await fileSha256(file);
      const received = (await standIn.executions()).filter(e => e.stepId === UPLOAD_STEP && e.size === UPLOAD_BYTES);
      const intact = { uploads: received.length, corrupted: received.filter(e => e.sha256 !== sha256).length };
      upload = { loadAverageAtEnd: loadavg()[0], runs, summaries: summarizeUploads(runs), intact };
    }
  } finally {
    await standIn.stop();
    rmSync(dir, { recursive: true, force: true });
  }
  let batch: BenchData['batch'];
  if (args.only === undefined) {
    const batchDir = mkdtempSync(join(tmpdir(), 'docutray-bench-batch-'));
    try {
      batch = await runBatchPart({
        fetch: fetchFor(args.fetch),
        scale: args.timeScale,
        documents: args.batchDocs,
        limit: BATCH_LIMIT,
        seed: args.seed,
        dir: batchDir,
        log,
      });
    } finally {
      rmSync(batchDir, { recursive: true, force: true });
    }
  }
  let activation: BenchData['activation'];
  if (args.only === undefined || args.only === 'activation') {
    log(
      `part 3: production bundles and VSIX, then ${args.activationSamples} window loads in code-server (about ${Math.round(40 + args.activationSamples * 12)} s)`,
    );
    activation = runActivation(args.activationSamples);
  }
  const data: BenchData = {
    environment: env,
    settings: settingsOf(args),
    detection,
    singleRuns,
    upload,
    activation,
    batch,
    targets: [],
  };
  writeOut(data);
}

function finish(args: Args, env: BenchData['environment'], parts: Partial<BenchData>): void {
  writeOut({ environment: env, settings: settingsOf(args), ...parts, targets: [] });
}

function settingsOf(args: Args): BenchData['settings'] {
  return {
    seed: args.seed,
    repetitions: args.reps,
    jitter: JITTER,
    staggerMs: STAGGER_MS,
    jobLengthsMs: JOB_LENGTHS_MS,
    detectionFetch: args.fetch,
    schedules: { adaptive: ADAPTIVE_SCHEDULE, flat2s: FLAT_2S_SCHEDULE },
    uploadBytes: UPLOAD_BYTES,
    uploadRepetitions: args.uploadReps,
    uploadWarmRepeats: WARM_REPEATS,
    uploadFetches: args.uploadFetches,
    clientCore: args.clientCore,
    rssSampleMs: 20,
  };
}

function writeOut(data: BenchData): void {
  data.targets = evaluateTargets(data);
  const report = buildReport(data);
  mkdirSync(OUT_DIR, { recursive: true });
  writeFileSync(join(OUT_DIR, 'bench.json'), `${JSON.stringify(data, null, 2)}\n`);
  writeFileSync(join(OUT_DIR, 'bench.md'), report.markdown);
  console.log(report.text);
  log(`wrote ${join(OUT_DIR, 'bench.json')} and bench.md`);
}

/** Runs activation-run.js (code-server and chromium, in their own process groups) and reads its JSON line. */
function runActivation(samples: number): BenchData['activation'] {
  const script = join(__dirname, '..', '..', 'bench', 'activation-run.js');
  const stdout = execFileSync(process.execPath, [script, '--samples', String(samples)], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
    timeout: 15 * 60_000,
  });
  const last = stdout.trim().split('\n').pop() ?? '';
  return JSON.parse(last) as BenchData['activation'];
}

async function fileSha256(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) {
    hash.update(chunk as Buffer);
  }
  return hash.digest('hex');
}

function summarizeUploads(runs: readonly UploadRun[]): UploadSummary[] {
  const groups = new Map<string, UploadRun[]>();
  for (const r of runs) {
    const key = r.client === 'curl' ? 'curl' : `ours:${r.fetch}`;
    groups.set(key, [...(groups.get(key) ?? []), r]);
  }
  const finite = (values: (number | undefined)[]) =>
    values.filter((x): x is number => x !== undefined && Number.isFinite(x));
  const med = (values: (number | undefined)[]) => (finite(values).length ? median(finite(values)) : undefined);
  const top = (values: (number | undefined)[]) => (finite(values).length ? max(finite(values)) : undefined);
  const cpu = (m: Measurement) => m.cpuUserMs + m.cpuSystemMs;
  const above = (m: Measurement) => m.peak.rss - m.idle.rss;
  return [...groups.entries()].map(([key, rs]) => {
    const ok = rs.filter(r => r.ok);
    const times = ok.flatMap(r => r.timesMs);
    const firsts = ok.map(r => r.first).filter((m): m is Measurement => m !== undefined);
    const warms = ok.flatMap(r => r.warm ?? []);
    const medianMs = median(times);
    return {
      client: rs[0].client,
      fetch: rs[0].fetch,
      key,
      runs: rs.length,
      failures: rs.length - ok.length,
      timedUploads: times.length,
      medianMs,
      medianMbPerS: UPLOAD_BYTES / 1e3 / medianMs,
      medianFirstMs: med(firsts.map(m => m.ms)),
      medianPeakAboveIdle: med(firsts.map(above)),
      maxPeakAboveIdle: top(firsts.map(above)),
      medianHwmAboveIdle: med(firsts.map(m => m.hwmAboveIdle)),
      maxHwmAboveIdle: top(firsts.map(m => m.hwmAboveIdle)),
      medianWarmPeakAboveIdle: med(warms.map(above)),
      maxWarmPeakAboveIdle: top(warms.map(above)),
      medianArrayBuffersAboveIdle: med(firsts.map(m => m.peak.arrayBuffers - m.idle.arrayBuffers)),
      medianFirstCpuMs: med(firsts.map(cpu)),
      medianWarmCpuMs: med(warms.map(cpu)),
      errors: rs.filter(r => !r.ok).map(r => r.error ?? 'failed'),
    };
  });
}

main().catch(e => {
  console.error(e instanceof Error ? (e.stack ?? e.message) : String(e));
  process.exit(1);
});
