/**
 * Peak memory of `docutray-steps check` over many documents with big results: results must stream to
 * the reporters and be dropped, so the peak stays flat whatever the number of documents. Not a test:
 * it prints numbers (docs/benchmarks.md has the last ones).
 *
 *   npm run -s compile-tests && node out/bench/cli-memory.js [documents=10000] [resultBytes=1000000]
 *
 * `CLI_MEMORY_NODE_ARGS` adds Node flags to the command line's process (e.g. `--max-old-space-size=96`, or
 * `--expose-gc --require ./heap-log.js` to log the heap after each collection).
 *
 * The stand-in runs in its own process (its memory is not the command line's) and answers every status
 * with a result of about `resultBytes` (its `hugeResult` fault), at once (no step duration), under a
 * limiter too high to hold anything up (so the budget follows its headers, not its own slow start).
 * Each document has a small expected file of the same bytes, so every result is compared (one huge
 * difference each) and reported. The command line is the built dist bundle, spawned; its peak RSS is
 * read from /proc (VmHWM) until it exits.
 */
import { execFileSync, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { serializeExpected } from '../src/core/expected/expectedFile';
import { startStandInProcess } from './stand-in-process';

const REPO = join(__dirname, '..', '..');
const KEY = 'bench-cli-memory-key';

function peakKb(pid: number): number | undefined {
  try {
    const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) : undefined;
  } catch {
    return undefined;
  }
}

async function main() {
  const documents = Number(process.argv[2] ?? 10_000);
  const resultBytes = Number(process.argv[3] ?? 1_000_000);
  const dir = mkdtempSync(join(tmpdir(), 'docutray-cli-memory-'));
  const cli = join(dir, 'cli.js');
  execFileSync(process.execPath, ['esbuild.cli.mjs', `--outfile=${cli}`], { cwd: REPO, stdio: 'pipe' });
  const ws = join(dir, 'ws');
  mkdirSync(join(ws, 'docs'), { recursive: true });
  for (let i = 0; i < documents; i++) {
    const name = `doc-${String(i).padStart(5, '0')}.pdf`;
    const bytes = Buffer.from(`%PDF-1.7\n% ${name}\n1 0 obj\n<< /Type /Catalog >>\nendobj\n%%EOF\n`, 'latin1');
    writeFileSync(join(ws, 'docs', name), bytes);
    const sha256 = createHash('sha256').update(bytes).digest('hex');
    writeFileSync(
      join(ws, 'docs', `${name}.big.expected.json`),
      serializeExpected({ stepId: 'big', document: name, sha256, result: { rows: [] } }),
    );
  }
  const standIn = await startStandInProcess({
    apiKey: KEY,
    dir,
    config: {
      steps: [{ id: 'big', outcome: { status: 'SUCCESS', data: { rows: [] } } }],
      rateLimit: { perMinute: 10_000_000, headers: 'all' },
      faults: [{ kind: 'hugeResult', bytes: resultBytes, count: documents }],
    },
  });
  const started = Date.now();
  let peak = 0;
  const code = await new Promise<number | null>(resolve => {
    // Node flags for the command line's process (a capped old space, a preload that logs its heap).
    const nodeArgs = (process.env.CLI_MEMORY_NODE_ARGS ?? '').split(' ').filter(Boolean);
    const child = spawn(process.execPath, [...nodeArgs, cli, 'check', 'docs', '--step', 'big'], {
      cwd: ws,
      env: { PATH: process.env.PATH, DOCUTRAY_API_KEY: KEY, DOCUTRAY_BASE_URL: standIn.url },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    child.stderr.on('data', (d: Buffer) => process.stderr.write(d));
    const watch = setInterval(() => {
      peak = Math.max(peak, peakKb(child.pid as number) ?? 0);
    }, 200);
    child.on('exit', c => {
      clearInterval(watch);
      resolve(c);
    });
  });
  const seconds = (Date.now() - started) / 1000;
  await standIn.stop();
  rmSync(dir, { recursive: true, force: true });
  console.log(
    JSON.stringify({
      documents,
      resultBytes,
      exitCode: code,
      seconds: Math.round(seconds),
      documentsPerSecond: Number((documents / seconds).toFixed(1)),
      peakRssMB: Math.round(peak / 1024),
    }),
  );
}

void main();
