/**
 * Part 2's client side, in a process of its own (forked by bench.ts with --expose-gc, a fresh one for
 * every repetition) so that what it measures is the client and nothing else. For each request from
 * the parent (see upload()) the resident set is sampled every 20 ms against the RSS right before the
 * upload. A fresh process matters for memory: what an earlier upload left resident (freed by the GC
 * but kept by the allocator) would absorb the next upload's growth and hide it.
 *
 * Besides the sampled peak it reads the kernel's own high-water mark (VmHWM, reset through
 * /proc/self/clear_refs just before the upload), which no sampling interval can miss.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { fetch as undiciFetch } from 'undici';
import { DocuTrayClient, type FetchLike } from '../src/core/client/client';

/**
 * Set by bench.ts's `--client-core <dir>`: a compiled copy of src/core (say under /tmp, with a
 * prototype fix) whose client/client.js is measured instead of this tree's.
 */
const CLIENT_CORE = process.env.DOCUTRAY_BENCH_CLIENT_CORE;
const Client: typeof DocuTrayClient = CLIENT_CORE
  ? // eslint-disable-next-line @typescript-eslint/no-require-imports
    (require(`${CLIENT_CORE}/client/client`) as { DocuTrayClient: typeof DocuTrayClient }).DocuTrayClient
  : DocuTrayClient;

export type FetchName = 'undici' | 'global';

export interface UploadRequest {
  url: string;
  apiKey: string;
  stepId: string;
  file: string;
  fetch: FetchName;
  sampleMs: number;
  /**
   * Files uploaded first, untimed and in order, so that module loading and first compilation are
   * not measured. A fresh process's first large upload may still grow its RSS once, by a few MB up
   * to ~25 MB (compiled code, allocator arenas), whatever the client does with the data; the warm
   * uploads' peaks show the steady state.
   */
  warmupFiles?: string[];
  /** Uploads of `file` after the first measured one, each timed as a warm upload. */
  warmRepeats: number;
}

export interface MemorySample {
  rss: number;
  /** V8 heap committed. */
  heapTotal: number;
  heapUsed: number;
  external: number;
  arrayBuffers: number;
}

export interface Measurement {
  ok: boolean;
  error?: string;
  executionId?: string;
  bytes: number;
  ms: number;
  idle: MemorySample;
  /** The sample with the highest RSS (all fields from that sample). */
  peak: MemorySample;
  samples: number;
  /** VmHWM after the upload minus the RSS before it; undefined where /proc is not writable. */
  hwmAboveIdle?: number;
  /** Longest gap between two samples: how well the 20 ms sampling kept up. */
  maxSampleGapMs: number;
  /** CPU time this process spent during the upload. */
  cpuUserMs: number;
  cpuSystemMs: number;
}

export interface UploadResult {
  /** The first large upload of a fresh process: memory and cold time. */
  first: Measurement;
  /** The repeats that followed (warm: the hot paths compiled, as in a long-lived host). */
  warm: Measurement[];
}

const undiciAsFetch: FetchLike = (url, init) =>
  undiciFetch(url, init as Parameters<typeof undiciFetch>[1]) as unknown as Promise<Response>;
const globalAsFetch: FetchLike = (url, init) => globalThis.fetch(url, init);

function memory(): MemorySample {
  const m = process.memoryUsage();
  return {
    rss: m.rss,
    heapTotal: m.heapTotal,
    heapUsed: m.heapUsed,
    external: m.external,
    arrayBuffers: m.arrayBuffers,
  };
}

async function settle(): Promise<void> {
  const gc = (globalThis as { gc?: () => void }).gc;
  for (let i = 0; i < 3; i++) {
    gc?.();
    await new Promise(resolve => setTimeout(resolve, 50));
  }
}

function resetHighWaterMark(): boolean {
  try {
    writeFileSync('/proc/self/clear_refs', '5');
    return true;
  } catch {
    return false;
  }
}

function highWaterMark(): number | undefined {
  try {
    const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'));
    return m ? Number(m[1]) * 1024 : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Warm-ups, then the measured uploads: the first large upload in this fresh process (its memory is
 * the figure: nothing earlier can have left room for it), then `warmRepeats` more of the same file,
 * timed as warm uploads (the hot paths compiled, as in a long-lived host).
 */
export async function upload(req: UploadRequest): Promise<UploadResult> {
  const client = new Client({
    baseUrl: req.url,
    apiKey: req.apiKey,
    fetch: req.fetch === 'global' ? globalAsFetch : undiciAsFetch,
    retry: { maxRetries: 0 },
  });
  for (const file of req.warmupFiles ?? []) {
    await client.startStep(req.stepId, { kind: 'path', path: file });
  }
  const first = await measure(client, req);
  const warm: Measurement[] = [];
  for (let i = 0; first.ok && i < req.warmRepeats; i++) {
    const m = await measure(client, req);
    warm.push(m);
    if (!m.ok) {
      break;
    }
  }
  return { first, warm };
}

async function measure(client: DocuTrayClient, req: UploadRequest): Promise<Measurement> {
  await settle();
  const idle = memory();
  const hwmReset = resetHighWaterMark();
  let peak = idle;
  let samples = 0;
  let last = performance.now();
  let maxGap = 0;
  const sample = () => {
    const now = performance.now();
    maxGap = Math.max(maxGap, now - last);
    last = now;
    samples++;
    const rss = process.memoryUsage.rss();
    if (rss > peak.rss) {
      peak = { ...memory(), rss };
    }
  };
  const timer = setInterval(sample, req.sampleMs);
  let bytes = 0;
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const done = (fields: { ok: boolean; error?: string; executionId?: string }): Measurement => {
    const ms = performance.now() - t0;
    const cpu = process.cpuUsage(cpu0);
    sample();
    clearInterval(timer);
    const hwm = hwmReset ? highWaterMark() : undefined;
    return {
      ...fields,
      bytes,
      ms,
      idle,
      peak,
      samples,
      hwmAboveIdle: hwm === undefined ? undefined : hwm - idle.rss,
      maxSampleGapMs: maxGap,
      cpuUserMs: cpu.user / 1000,
      cpuSystemMs: cpu.system / 1000,
    };
  };
  try {
    const execution = await client.startStep(
      req.stepId,
      { kind: 'path', path: req.file },
      {
        onUploadProgress: sent => {
          bytes = sent;
        },
      },
    );
    return done({ ok: true, executionId: execution.id });
  } catch (e) {
    return done({ ok: false, error: e instanceof Error ? `${e.name}: ${e.message}` : String(e) });
  }
}

if (require.main === module) {
  process.on('message', (msg: UploadRequest | 'exit') => {
    if (msg === 'exit') {
      process.disconnect();
      return;
    }
    upload(msg).then(
      r => process.send?.(r),
      e => process.send?.({ first: { ok: false, error: String(e) }, warm: [] }),
    );
  });
  process.send?.('ready');
}
