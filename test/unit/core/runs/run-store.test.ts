/**
 * The store every window of a profile shares (src/core/runs/runStore.ts), on a real directory: two
 * store instances in one process, two processes at once, the one-time migration of runs.json run by
 * two windows together, damaged files kept, orphaned results swept, and takeovers won by one window.
 */
import * as assert from 'assert';
import { fork } from 'node:child_process';
import {
  existsSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  utimesSync,
  writeFileSync,
  mkdirSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RunRecord } from '../../../../src/core/runs/history';
import { RunStore, StoreProblem } from '../../../../src/core/runs/runStore';
import { runRecord } from '../../run-records';

function rec(id: string, state: RunRecord['state'], extra: Partial<RunRecord> = {}): RunRecord {
  return runRecord(id, state, { startedAt: Date.now(), ...extra });
}

describe('the shared run store', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'docutray-store-'));
  });
  afterEach(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it('two windows writing at once keep every run of both (no shared temp file, no stale copy written back)', async () => {
    const a = new RunStore(dir);
    const b = new RunStore(dir);
    const writes: Promise<unknown>[] = [];
    for (let i = 0; i < 40; i++) {
      writes.push(a.write(rec(`a${i}`, 'starting', { owner: 'A' })), b.write(rec(`b${i}`, 'starting', { owner: 'B' })));
    }
    await Promise.all(writes);
    await Promise.all([
      ...Array.from({ length: 40 }, (_, i) => a.update(`a${i}`, { state: 'SUCCESS', executionId: `ea${i}` }, 'A')),
      ...Array.from({ length: 40 }, (_, i) => b.update(`b${i}`, { state: 'SUCCESS', executionId: `eb${i}` }, 'B')),
    ]);
    for (const s of [a, b]) {
      const all = await s.list();
      assert.strictEqual(all.length, 80);
      assert.ok(all.every(r => r.state === 'SUCCESS'));
    }
    assert.deepStrictEqual(
      readdirSync(join(dir, 'runs')).filter(n => !n.endsWith('.json')),
      [],
      'no temporary file left',
    );
  });

  it('two processes hammering the same directory lose nothing and damage nothing', async function () {
    this.timeout(60000);
    const worker = join(__dirname, 'run-store-worker.js');
    const spawnOne = (who: string) =>
      new Promise<{ who?: string; problems?: string[]; error?: string }>((resolve, reject) => {
        const child = fork(worker, [dir, who, '60'], { stdio: ['ignore', 'pipe', 'inherit', 'ipc'] });
        let out = '';
        child.stdout?.on('data', d => (out += String(d)));
        child.on('error', reject);
        child.on('exit', () => resolve(JSON.parse(out.trim().split('\n').pop() || '{}')));
      });
    const reader = new RunStore(dir, { onProblem: p => assert.fail(`${p.file}: ${p.message}`) });
    let reading = true;
    const reads = (async () => {
      let n = 0;
      while (reading) {
        await reader.list();
        n++;
      }
      return n;
    })();
    const results = await Promise.all([spawnOne('P1'), spawnOne('P2')]);
    reading = false;
    assert.ok((await reads) > 0);
    for (const r of results) {
      assert.strictEqual(r.error, undefined, r.error);
      assert.deepStrictEqual(r.problems, []);
    }
    const all = await new RunStore(dir).list();
    assert.strictEqual(all.length, 120);
    assert.ok(
      all.every(r => r.state === 'SUCCESS' && r.executionId === `exec-${r.id}`),
      'every update of both processes is there',
    );
    assert.deepStrictEqual(
      readdirSync(join(dir, 'runs')).filter(n => !n.endsWith('.json')),
      [],
    );
  });

  it('never brings back a run another window removed, and never lets a window change a run another drives', async () => {
    const a = new RunStore(dir);
    const b = new RunStore(dir);
    await a.write(rec('r1', 'PROCESSING', { owner: 'A', executionId: 'e1' }));
    assert.strictEqual(
      await b.update('r1', { state: 'cancelled' }, 'B'),
      undefined,
      "B may not change A's run in flight",
    );
    assert.strictEqual((await a.read('r1'))?.state, 'PROCESSING');
    await b.remove([{ id: 'r1', executionId: 'e1' }]);
    assert.strictEqual(await a.update('r1', { state: 'SUCCESS' }, 'A'), undefined);
    assert.strictEqual(await a.read('r1'), undefined, 'not recreated');
  });

  it('migrates an old runs.json once, safely when two windows migrate at the same moment', async () => {
    const old = [
      rec('m1', 'SUCCESS', { executionId: 'x1' }),
      rec('m2', 'PROCESSING', { executionId: 'x2' }),
      rec('m3', 'starting'),
    ];
    writeFileSync(join(dir, 'runs.json'), JSON.stringify({ version: 1, runs: old }));
    const a = new RunStore(dir);
    const b = new RunStore(dir);
    const counts = await Promise.all([a.migrateLegacy(), b.migrateLegacy()]);
    assert.strictEqual(counts[0] + counts[1], 3, 'each record created by exactly one window');
    assert.deepStrictEqual((await a.list()).map(r => r.id).sort(), ['m1', 'm2', 'm3']);
    assert.ok(!existsSync(join(dir, 'runs.json')));
    assert.strictEqual(
      readdirSync(dir).filter(n => n.startsWith('runs.json.migrated-')).length,
      1,
      'the old file is kept, renamed',
    );
    // A record changed after migration is not replaced by a late migration of the same old file.
    await a.update('m2', { state: 'SUCCESS' }, 'A');
    writeFileSync(join(dir, 'runs.json'), JSON.stringify({ version: 1, runs: old }));
    assert.strictEqual(await b.migrateLegacy(), 0);
    assert.strictEqual((await a.read('m2'))?.state, 'SUCCESS');
  });

  it('keeps a damaged record or runs.json aside as .bad-<time>, names it, and reads the rest', async () => {
    const problems: StoreProblem[] = [];
    const s = new RunStore(dir, { onProblem: p => problems.push(p) });
    await s.write(rec('good', 'SUCCESS'));
    writeFileSync(join(dir, 'runs', 'broken.json'), '{"id": "broken", "sta');
    writeFileSync(join(dir, 'runs', 'notarun.json'), '{"hello": 1}');
    assert.deepStrictEqual(
      (await s.list()).map(r => r.id),
      ['good'],
    );
    assert.strictEqual(problems.length, 2);
    for (const p of problems) {
      assert.ok(p.movedTo && existsSync(p.movedTo), `${p.file} kept at ${p.movedTo}`);
      assert.match(p.movedTo, /\.json\.bad-\d{4}-/);
    }
    assert.strictEqual(
      readFileSync(problems.find(p => p.file.endsWith('broken.json'))?.movedTo as string, 'utf8'),
      '{"id": "broken", "sta',
      'the bytes are kept',
    );
    writeFileSync(join(dir, 'runs.json'), '{"version": 1, "runs": [ {broken');
    assert.strictEqual(await s.migrateLegacy(), 0);
    assert.ok(
      readdirSync(dir).some(n => n.startsWith('runs.json.bad-')),
      'a damaged runs.json is kept aside, not overwritten',
    );
  });

  it('sweeps stored results no run refers to (old ones only) and removes a run with its result', async () => {
    const s = new RunStore(dir);
    mkdirSync(join(dir, 'results'), { recursive: true });
    for (const id of ['kept', 'orphan', 'fresh-orphan', 'removed']) {
      writeFileSync(join(dir, 'results', `${id}.json`), '{}');
    }
    const hourAgo = new Date(Date.now() - 3600_000);
    for (const id of ['kept', 'orphan', 'removed']) {
      utimesSync(join(dir, 'results', `${id}.json`), hourAgo, hourAgo);
    }
    await s.write(rec('r-kept', 'SUCCESS', { executionId: 'kept' }));
    await s.write(rec('r-removed', 'SUCCESS', { executionId: 'removed' }));
    await s.remove([{ id: 'r-removed', executionId: 'removed' }]);
    const swept = await s.sweep();
    assert.deepStrictEqual(
      swept.map(f => f.split(/[/\\]/).pop()),
      ['orphan.json'],
    );
    assert.deepStrictEqual(readdirSync(join(dir, 'results')).sort(), ['fresh-orphan.json', 'kept.json']);
  });

  it('a run whose owner is gone is taken over by exactly one of the windows that try at once', async () => {
    const stores = ['B', 'C', 'D'].map(() => new RunStore(dir));
    await stores[0].write(rec('r', 'PROCESSING', { owner: 'A', executionId: 'e' }));
    const won = await Promise.all(stores.map((s, i) => s.claim('r', ['B', 'C', 'D'][i], 'A', () => true)));
    assert.strictEqual(won.filter(Boolean).length, 1);
    const winner = ['B', 'C', 'D'][won.indexOf(true)];
    assert.strictEqual((await stores[0].read('r'))?.owner, winner);
    // The winner is gone in turn: the next takeover is from it, and a dead claimer's token is broken.
    assert.strictEqual(await stores[1].claim('r', 'E', winner, () => false), true);
    assert.strictEqual((await stores[0].read('r'))?.owner, 'E');
  });
});
