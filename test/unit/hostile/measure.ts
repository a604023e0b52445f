/** Runs a case of worker.ts in a fresh Node process and reads its one line of numbers. */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CaseResult } from './worker';

const WORKER = join(__dirname, 'worker.js');

export interface MeasureOptions {
  /** A compiled src/core to measure instead of this tree's. */
  core?: string;
  /** Kill the case after this long (it is then reported as undefined). */
  killAfterMs?: number;
}

/** Measures a case; a PDF case gets its bytes through a temporary file. */
export async function measure(name: string, pdf?: Buffer, opts: MeasureOptions = {}): Promise<CaseResult | undefined> {
  const dir = pdf ? mkdtempSync(join(tmpdir(), 'docutray-hostile-')) : undefined;
  try {
    const args = ['--expose-gc', '--stack-size=984', WORKER, name];
    if (dir && pdf) {
      const file = join(dir, 'hostile.pdf');
      writeFileSync(file, pdf);
      args.push(file);
    }
    if (opts.core) {
      args.push('--core', opts.core);
    }
    return await new Promise((resolve, reject) => {
      execFile(
        process.execPath,
        args,
        { timeout: opts.killAfterMs ?? 0, maxBuffer: 16 * 1024 * 1024 },
        (error, stdout, stderr) => {
          if (error && (error as { killed?: boolean }).killed) {
            resolve(undefined);
          } else if (error) {
            // The error's own line (a RangeError, say), not the last lines of its stack.
            const line = stderr.split('\n').find(l => /^\w*Error\b/.test(l.trim()));
            reject(new Error(`${name}: ${line?.trim() ?? (stderr.trim().split('\n').pop() || error.message)}`));
          } else {
            resolve(JSON.parse(stdout.trim().split('\n').pop()!) as CaseResult);
          }
        },
      );
    });
  } finally {
    if (dir) {
      rmSync(dir, { recursive: true, force: true });
    }
  }
}
