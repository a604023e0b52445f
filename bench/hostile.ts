/**
 * The hostile-input benchmark (`npm run bench:hostile`): a script, not a test. Each case of
 * test/unit/hostile/worker.ts runs in a Node process of its own — page counting on 1 MB hostile PDFs,
 * `**.**.**.**.x` on a 200-deep result, a 12-`*` exclude glob, 20,000 keyed differences located, a
 * 10,000-deep result, a 38 MB result written (next to JSON.stringify of it) — and prints the time and
 * the extra peak memory of each beside the bound its unit test states.
 *
 *   node out/bench/hostile.js [--reps 3] [--before <compiled src/core>] [--kill-after 120]
 *
 * `--before` also runs a compiled copy of an earlier src/core (e.g. `git worktree add /tmp/b <commit>`,
 * compiled with `tsc -p tsconfig.test.json --outDir out` there: `/tmp/b/out/src/core`), each case killed
 * after `--kill-after` seconds and shown as "> N s".
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { hostilePdfs, MB } from '../test/unit/hostile/inputs';
import { measure } from '../test/unit/hostile/measure';
import type { CaseResult } from '../test/unit/hostile/worker';

interface Row {
  name: string;
  bound: string;
  ms: number[];
  cpuMs: number[];
  extraMB: number[];
  before?: string;
}

const OUT_DIR = join(__dirname, '..', '..', 'test-output', 'bench');

function arg(name: string): string | undefined {
  const at = process.argv.indexOf(name);
  return at >= 0 ? process.argv[at + 1] : undefined;
}

function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.floor((s.length - 1) / 2)] : NaN;
}

async function main(): Promise<void> {
  const reps = Number(arg('--reps') ?? 3);
  const before = arg('--before');
  const killAfterMs = Number(arg('--kill-after') ?? 120) * 1000;
  const cases: { name: string; label: string; bound: string; pdf?: Buffer }[] = [
    ...hostilePdfs(MB).map(p => ({
      name: 'pageCount',
      label: `page count: ${p.name} (${(p.bytes.length / MB).toFixed(2)} MB)`,
      bound: '1 s, 64 MB',
      pdf: p.bytes,
    })),
    { name: 'ignoreDeep', label: 'compare, ignore **.**.**.**.x, 200 deep', bound: '1 s' },
    { name: 'globStars', label: 'exclude glob of 12 *, 100 paths', bound: '1 s' },
    { name: 'locateKeyed', label: 'locate 20,000 keyed differences', bound: '5 s' },
    { name: 'deep', label: '10,000 deep: compare, write, read, locate', bound: '10 s' },
    { name: 'serialize38', label: '38 MB result written as an expected file', bound: '5 s, 320 MB' },
    { name: 'serialize38Native', label: '(the same through JSON.stringify, for scale)', bound: '' },
  ];
  const rows: Row[] = [];
  for (const c of cases) {
    const results: CaseResult[] = [];
    for (let i = 0; i < reps; i++) {
      results.push((await measure(c.name, c.pdf))!);
    }
    const row: Row = {
      name: c.label,
      bound: c.bound,
      ms: results.map(r => r.ms),
      cpuMs: results.map(r => r.cpuMs),
      extraMB: results.map(r => r.extraMB),
    };
    if (before && c.name !== 'serialize38Native') {
      const old = await measure(c.name, c.pdf, { core: before, killAfterMs }).catch((e: Error) => e);
      row.before =
        old === undefined
          ? `> ${killAfterMs / 1000} s`
          : old instanceof Error
            ? /RangeError|call stack/.test(old.message)
              ? 'RangeError'
              : `failed: ${old.message.slice(0, 60)}`
            : `${fmtMs(old.cpuMs ?? old.ms)} (${fmtMs(old.ms)} on the clock), +${old.extraMB.toFixed(0)} MB`;
    }
    rows.push(row);
    process.stderr.write(`${c.label}: ${fmtMs(median(row.cpuMs))} (${fmtMs(median(row.ms))} on the clock)\n`);
  }
  const head = `| Case | Bound (unit test, processor time) | Processor time, median | Max | On the clock, median | Peak extra memory${before ? ' | Before' : ''} |`;
  const lines = [
    `Hostile inputs: ${reps} runs each, ${cpus().length} CPUs, load average ${loadavg()[0].toFixed(1)} at the end`,
    '',
    head,
    `| --- | --- | ---: | ---: | ---: | ---: |${before ? ' ---: |' : ''}`,
    ...rows.map(
      r =>
        `| ${r.name} | ${r.bound} | ${fmtMs(median(r.cpuMs))} | ${fmtMs(Math.max(...r.cpuMs))} | ${fmtMs(median(r.ms))} | ${Math.max(...r.extraMB).toFixed(0)} MB |${before ? ` ${r.before ?? ''} |` : ''}`,
    ),
  ];
  const native = rows.find(r => r.name.startsWith('(the same'));
  const ours = rows.find(r => r.name.startsWith('38 MB'));
  if (native && ours) {
    lines.push(
      '',
      `38 MB written: ${(median(ours.cpuMs) / median(native.cpuMs)).toFixed(1)}× the processor time of JSON.stringify(…, null, 2)`,
    );
  }
  process.stdout.write(`${lines.join('\n')}\n`);
  mkdirSync(OUT_DIR, { recursive: true });
  writeFileSync(join(OUT_DIR, 'hostile.json'), JSON.stringify(rows, null, 2));
  writeFileSync(join(OUT_DIR, 'hostile.md'), `${lines.join('\n')}\n`);
}

function fmtMs(ms: number): string {
  return ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : `${ms.toFixed(0)} ms`;
}

main().catch(e => {
  process.stderr.write(`${(e as Error).stack ?? String(e)}\n`);
  process.exitCode = 1;
});
