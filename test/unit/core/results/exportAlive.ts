/**
 * Counts how many export results stay alive while the export runs, in a fresh Node process (`--expose-gc`):
 * a full collection per read costs a few milliseconds in a small heap, where in the test runner's heap (every
 * other suite's leftovers) it cost up to a second under load. Prints one line of JSON: the stats.
 *
 *     node --expose-gc exportAlive.js streamed|kept <count> <bytes>
 */
import { runInNewContext } from 'node:vm';
import { scanTable, streamTable, type ExportRun } from '../../../../src/core/results/export';

export interface AliveStats {
  reads: number;
  maxAlive: number;
  maxInFlight: number;
  rows?: number;
  bytesWritten?: number;
  arrays?: string[];
}

/** A reader whose results weigh `bytes` each; it counts, after a full GC, how many are still alive. */
function countingReader(count: number, bytes: number) {
  const gc = runInNewContext('gc') as () => void;
  // Each result and the array in it (a cell holds the array itself, not the result around it).
  const refs: Array<[WeakRef<object>, WeakRef<object>]> = [];
  const stats: AliveStats & { inFlight: number } = { reads: 0, maxAlive: 0, inFlight: 0, maxInFlight: 0 };
  const items = Array.from({ length: count }, (_, i) => i);
  const read = async (i: number): Promise<ExportRun> => {
    stats.inFlight++;
    stats.maxInFlight = Math.max(stats.maxInFlight, stats.inFlight);
    // A task boundary, so that no earlier result is kept only by this job, then a full collection.
    await new Promise(r => setImmediate(r));
    gc();
    const alive = refs.filter(([r, a]) => r.deref() !== undefined || a.deref() !== undefined).length;
    stats.maxAlive = Math.max(stats.maxAlive, alive);
    stats.reads++;
    const result = { n: i, text: `${i}`.padEnd(bytes, 'x'), items: [{ i }] };
    refs.push([new WeakRef(result), new WeakRef(result.items)]);
    stats.inFlight--;
    return { file: `f${i}.pdf`, stepId: 's', status: 'SUCCESS', executionId: `e${i}`, result };
  };
  return { items, read, stats };
}

async function main(mode: string, count: number, bytes: number): Promise<AliveStats> {
  const { items, read, stats } = countingReader(count, bytes);
  if (mode === 'kept') {
    // The count can fail: a reader whose results are all kept shows them alive.
    const kept: ExportRun[] = [];
    for (const i of items) {
      kept.push(await read(i));
    }
    await read(0);
    return { ...stats, rows: kept.length };
  }
  const shape = await scanTable(items, read, { format: 'csv' });
  const afterScan = stats.maxAlive;
  const sink = { bytes: 0, write: async (t: string) => void (sink.bytes += t.length) };
  const rows = await streamTable(items, read, shape.columns, { format: 'csv' }, sink);
  return {
    ...stats,
    maxAlive: Math.max(afterScan, stats.maxAlive),
    rows,
    bytesWritten: sink.bytes,
    arrays: shape.arrays,
  };
}

if (require.main === module) {
  const [mode, count, bytes] = process.argv.slice(2);
  void main(mode, Number(count), Number(bytes)).then(
    s => process.stdout.write(`${JSON.stringify(s)}\n`),
    e => {
      process.stderr.write(`${(e as Error).stack}\n`);
      process.exitCode = 1;
    },
  );
}
