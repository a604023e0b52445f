/**
 * Export memory (`npm run bench:export`): a script, not a test. Writes `--count` stored results of
 * about `--kb` KB each (an invoice with line items, as the result store keeps them) into a temporary
 * folder, then exports them as CSV in a child process per mode, each reading the result files as
 * ResultStore.peek does (read, parse, not kept):
 *   idle    loads the modules and lists the files (the baseline);
 *   stream  the export as the command runs it: scanTable, then streamTable into a FileSink;
 *   hold    every result read first and the whole text made in memory, then written (what a
 *           non-streaming export does: the shape of the code this replaced).
 * Prints each child's peak RSS (maxRSS) and its peak V8 heap (sampled at every read), both above
 * idle, the time, and the streamed / held ratios.
 *
 *   node out/bench/export.js [--count 1000] [--kb 256] [--format csv|jsonl|json]
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type ExportFormat, type ExportRun, exportRuns, scanTable, streamTable } from '../src/core/results/export';
import { toExportRun } from '../src/core/results/exportRows';
import { FileSink } from '../src/core/results/exportSink';
import { parseStoredResult, serializeStoredResult, type StoredResult } from '../src/core/results/storedResult';
import { workspaceSource } from '../src/core/runs/source';

type Mode = 'idle' | 'stream' | 'hold';

interface ChildReport {
  mode: Mode;
  maxRssMb: number;
  peakHeapMb: number;
  seconds: number;
  outputMb: number;
}

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1] : fallback;
}

/** A stored result of about `bytes` bytes: an invoice whose line items make up the size. */
function storedResult(i: number, bytes: number): StoredResult {
  const item = (n: number) => ({
    description: `Impresión de folletos, lote ${i}-${n}`.padEnd(160, '·'),
    quantity: n % 7,
    amount: (n * 13.37) % 1000,
    sku: `SKU-${i}-${n}`,
  });
  const perItem = Buffer.byteLength(JSON.stringify(item(0))) + 1;
  const items = Array.from({ length: Math.max(1, Math.round(bytes / perItem)) }, (_, n) => item(n));
  return {
    version: 1,
    executionId: `exec_${i}`,
    stepId: 'invoice',
    stepName: 'Facturas',
    source: workspaceSource(`file:///ws/facturas/f-${i}.pdf`),
    sourceName: `f-${i}.pdf`,
    status: 'SUCCESS',
    data: {
      invoice_number: `F-${i}`,
      vendor: { name: 'Ñandú S.A.', country: 'ES' },
      total: i * 1.5,
      line_items: items,
    },
    execution: { id: `exec_${i}`, status: 'SUCCESS' },
    receivedAt: new Date(0).toISOString(),
  };
}

async function child(mode: Mode, dir: string, format: ExportFormat): Promise<ChildReport> {
  const files = readdirSync(join(dir, 'results')).sort();
  let peakHeap = process.memoryUsage().heapUsed;
  const read = async (file: string): Promise<ExportRun> => {
    peakHeap = Math.max(peakHeap, process.memoryUsage().heapUsed);
    const stored = parseStoredResult(await readFile(join(dir, 'results', file), 'utf8'));
    if (!stored) {
      throw new Error(`${file} is not a stored result`);
    }
    const run = toExportRun(
      {
        key: file,
        source: stored.source,
        stepId: stored.stepId,
        stepName: stored.stepName,
        status: stored.status,
        executionId: stored.executionId,
      },
      stored.sourceName,
      stored,
    );
    return run;
  };
  const out = join(dir, `out.${format}`);
  const started = process.hrtime.bigint();
  if (mode === 'stream') {
    const shape = await scanTable(files, read, { format });
    const sink = await FileSink.open(out);
    await streamTable(files, read, shape.columns, { format }, sink);
    await sink.commit();
  } else if (mode === 'hold') {
    const runs: ExportRun[] = [];
    for (const f of files) {
      runs.push(await read(f));
    }
    const text = exportRuns(runs, { format });
    peakHeap = Math.max(peakHeap, process.memoryUsage().heapUsed);
    await writeFile(out, text, 'utf8');
  }
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  peakHeap = Math.max(peakHeap, process.memoryUsage().heapUsed);
  let outputMb = 0;
  try {
    outputMb = statSync(out).size / 2 ** 20;
  } catch {
    // idle writes nothing
  }
  return {
    mode,
    maxRssMb: process.resourceUsage().maxRSS / 1024,
    peakHeapMb: peakHeap / 2 ** 20,
    seconds,
    outputMb,
  };
}

function main(): void {
  const count = Number(arg('count', '1000'));
  const kb = Number(arg('kb', '256'));
  const format = arg('format', 'csv') as ExportFormat;
  const dir = mkdtempSync(join(tmpdir(), 'docutray-export-bench-'));
  try {
    mkdirSync(join(dir, 'results'));
    let total = 0;
    for (let i = 0; i < count; i++) {
      const text = serializeStoredResult(storedResult(i, kb * 1024));
      total += Buffer.byteLength(text);
      writeFileSync(join(dir, 'results', `exec_${String(i).padStart(6, '0')}.json`), text);
    }
    console.log(`${count} stored results, ${(total / count / 1024).toFixed(0)} KB each on average, ${format}`);
    const reports = (['idle', 'stream', 'hold'] as Mode[]).map(mode => {
      const json = execFileSync(process.execPath, [__filename, '--child', mode, '--dir', dir, '--format', format], {
        encoding: 'utf8',
        maxBuffer: 1 << 20,
      });
      return JSON.parse(json) as ChildReport;
    });
    const [idle, stream, hold] = reports;
    const above = (r: ChildReport) => ({
      rss: r.maxRssMb - idle.maxRssMb,
      heap: r.peakHeapMb - idle.peakHeapMb,
    });
    console.log('mode     peak RSS above idle  peak heap above idle  time     output');
    for (const r of [stream, hold]) {
      const a = above(r);
      console.log(
        `${r.mode.padEnd(8)} ${a.rss.toFixed(1).padStart(10)} MB ${a.heap.toFixed(1).padStart(16)} MB ${r.seconds
          .toFixed(1)
          .padStart(7)} s ${r.outputMb.toFixed(0).padStart(5)} MB`,
      );
    }
    console.log(
      `idle: peak RSS ${idle.maxRssMb.toFixed(1)} MB, heap ${idle.peakHeapMb.toFixed(1)} MB; ` +
        `stream / hold: RSS ${(above(stream).rss / above(hold).rss).toFixed(3)}, ` +
        `heap ${(above(stream).heap / above(hold).heap).toFixed(3)}, time ${(stream.seconds / hold.seconds).toFixed(2)}`,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv.includes('--child')) {
  void child(arg('child', 'idle') as Mode, arg('dir', ''), arg('format', 'csv') as ExportFormat).then(r =>
    process.stdout.write(JSON.stringify(r)),
  );
} else {
  main();
}
