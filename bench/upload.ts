/**
 * Part 2: a 100 MB upload by our client (forked probe, see upload-probe.ts) next to curl, to the same
 * stand-in in the same run, alternating the two so neither gets the warmer caches.
 */
import { execFile, fork, type ChildProcess } from 'node:child_process';
import { randomFillSync } from 'node:crypto';
import { closeSync, openSync, writeSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { FetchName, Measurement, UploadRequest, UploadResult } from './upload-probe';

export const UPLOAD_BYTES = 100_000_000;

export interface CurlResult {
  ok: boolean;
  error?: string;
  httpCode: number;
  /** curl's own time_total: request start to the end of the answer. */
  ms: number;
  /** Including starting the curl process. */
  wallMs: number;
  bytesUploaded: number;
}

/** Random bytes behind a PDF header: passes the type checks on both sides, compresses to nothing. */
export function writeUploadFile(dir: string, bytes = UPLOAD_BYTES, name = 'bench-100MB.pdf'): string {
  const path = join(dir, name);
  const fd = openSync(path, 'w');
  try {
    const header = Buffer.from('%PDF-1.7\n%\xe2\xe3\xcf\xd3\n', 'latin1');
    writeSync(fd, header);
    const chunk = Buffer.alloc(1 << 20);
    for (let left = bytes - header.length; left > 0; left -= chunk.length) {
      randomFillSync(chunk);
      writeSync(fd, chunk, 0, Math.min(left, chunk.length));
    }
  } finally {
    closeSync(fd);
  }
  return path;
}

export class UploadProbe {
  private constructor(private readonly child: ChildProcess) {}

  /** `clientCore`: a compiled copy of src/core to measure instead of this tree's (see upload-probe.ts). */
  static async start(clientCore?: string): Promise<UploadProbe> {
    const env = { ...process.env };
    if (clientCore) {
      env.DOCUTRAY_BENCH_CLIENT_CORE = resolve(clientCore);
    }
    const child = fork(join(__dirname, 'upload-probe.js'), [], {
      execArgv: ['--expose-gc'],
      env,
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    await new Promise<void>((resolve, reject) => {
      child.once('message', m => (m === 'ready' ? resolve() : reject(new Error(`upload probe said ${String(m)}`))));
      child.once('exit', code => reject(new Error(`upload probe exited (${code})`)));
    });
    child.removeAllListeners('exit');
    return new UploadProbe(child);
  }

  get pid(): number {
    return this.child.pid as number;
  }

  upload(req: UploadRequest): Promise<UploadResult> {
    return new Promise((resolve, reject) => {
      const onExit = (code: number | null) => reject(new Error(`upload probe exited (${code}) during an upload`));
      this.child.once('exit', onExit);
      this.child.once('message', m => {
        this.child.off('exit', onExit);
        resolve(m as UploadResult);
      });
      this.child.send(req);
    });
  }

  stop(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) {
      return Promise.resolve();
    }
    return new Promise(resolve => {
      const timer = setTimeout(() => this.child.kill('SIGKILL'), 5000);
      this.child.once('exit', () => {
        clearTimeout(timer);
        resolve();
      });
      this.child.send('exit');
    });
  }
}

export function curlUpload(opts: { url: string; apiKey: string; stepId: string; file: string }): Promise<CurlResult> {
  const args = [
    '-s',
    '-o',
    '/dev/null',
    '-w',
    '%{http_code} %{time_total} %{size_upload}',
    '-F',
    `image=@${opts.file};type=application/pdf`,
    '-H',
    `Authorization: Bearer ${opts.apiKey}`,
    `${opts.url}/api/steps-async/${opts.stepId}`,
  ];
  const t0 = performance.now();
  return new Promise(resolve => {
    execFile('curl', args, { timeout: 15 * 60_000 }, (err, stdout, stderr) => {
      const wallMs = performance.now() - t0;
      const [code, total, size] = stdout.trim().split(/\s+/);
      const httpCode = Number(code) || 0;
      const ok = !err && httpCode === 202;
      resolve({
        ok,
        httpCode,
        ms: Number(total) * 1000,
        wallMs,
        bytesUploaded: Number(size) || 0,
        error: ok ? undefined : `${err ? err.message : `HTTP ${httpCode}`}${stderr ? `: ${stderr.trim()}` : ''}`,
      });
    });
  });
}

export interface UploadRun {
  client: 'ours' | 'curl';
  fetch?: FetchName;
  repetition: number;
  ok: boolean;
  error?: string;
  /**
   * Timed uploads, request start to the 202 (ms). Ours: the warm uploads of one fresh process (after
   * its first); curl: as many back-to-back runs, each its own time_total.
   */
  timesMs: number[];
  /** curl only: including starting each process. */
  wallMs?: number[];
  /** Ours only: the first large upload of the process (memory, cold time), and the warm ones in full. */
  first?: Measurement;
  warm?: Measurement[];
}

export async function runUploads(opts: {
  url: string;
  apiKey: string;
  stepId: string;
  file: string;
  /** Uploaded untimed, in order, by each fresh client process before its measured upload. */
  warmupFiles: string[];
  /** Uploads of the file after the first in each client process, timed as warm; curl runs as many. */
  warmRepeats: number;
  repetitions: number;
  fetches: readonly FetchName[];
  clientCore?: string;
  onRun?: (run: UploadRun) => void;
}): Promise<UploadRun[]> {
  const runs: UploadRun[] = [];
  const record = (r: UploadRun) => {
    runs.push(r);
    opts.onRun?.(r);
  };
  // The stand-in's own first large upload runs through cold code; that is not what is measured.
  await curlUpload(opts);
  for (let repetition = 0; repetition < opts.repetitions; repetition++) {
    // Alternate who goes first, so neither always follows the other's page-cache and CPU state.
    const order: ('ours' | 'curl')[] = repetition % 2 === 0 ? ['ours', 'curl'] : ['curl', 'ours'];
    for (const who of order) {
      if (who === 'curl') {
        const cs: CurlResult[] = [];
        for (let i = 0; i < Math.max(1, opts.warmRepeats); i++) {
          cs.push(await curlUpload(opts));
        }
        const failed = cs.find(c => !c.ok);
        record({
          client: 'curl',
          repetition,
          ok: !failed,
          error: failed?.error,
          timesMs: cs.filter(c => c.ok).map(c => c.ms),
          wallMs: cs.map(c => c.wallMs),
        });
        continue;
      }
      for (const fetch of opts.fetches) {
        const probe = await UploadProbe.start(opts.clientCore);
        try {
          const { first, warm } = await probe.upload({
            url: opts.url,
            apiKey: opts.apiKey,
            stepId: opts.stepId,
            file: opts.file,
            warmupFiles: opts.warmupFiles,
            warmRepeats: opts.warmRepeats,
            fetch,
            sampleMs: 20,
          });
          const failed = [first, ...warm].find(m => !m.ok);
          const timed = opts.warmRepeats > 0 ? warm : [first];
          record({
            client: 'ours',
            fetch,
            repetition,
            ok: !failed && timed.length > 0,
            error: failed?.error,
            timesMs: timed.filter(m => m.ok).map(m => m.ms),
            first,
            warm,
          });
        } finally {
          await probe.stop();
        }
      }
    }
  }
  return runs;
}
