/** The batch store on a real folder: atomic writes, owner-only changes, one takeover, entries set aside once. */
import * as assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BATCHES_DIR } from '../../../../src/core/batches/file';
import { createBatch } from '../../../../src/core/batches/record';
import { BatchStore } from '../../../../src/core/batches/store';
import type { StoreProblem } from '../../../../src/core/store/recordFolder';

describe('the batch store', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'docutray-batches-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const batch = (owner: string) => ({
    ...createBatch({ stepId: 's', files: [{ uri: 'file:///a' }], now: 1 }),
    owner,
  });

  it('creates a batch once, and lets only its owner change it', async () => {
    const store = new BatchStore(dir);
    const b = batch('w1');
    assert.equal(await store.create(b), true);
    assert.equal(await store.create(b), false, 'never over a batch that exists');
    await Promise.all(
      Array.from({ length: 20 }, (_, i) => store.update(b.id, 'w1', s => ({ ...s, stepName: `n${i}` }))),
    );
    assert.deepEqual(readdirSync(join(dir, BATCHES_DIR)), [`${b.id}.json`], 'no temporary file left');
    assert.equal(await store.update(b.id, 'w2', s => ({ ...s, cancelledAt: 9 })), undefined, 'not its owner');
    assert.equal((await store.read(b.id))?.cancelledAt, undefined);
  });

  it('a window that lost the batch while frozen never writes itself back', async () => {
    const store = new BatchStore(dir);
    const b = batch('gone');
    await store.create(b);
    assert.equal(await store.claim(b.id, 'B', 'gone', w => w === 'B'), true);
    // The frozen window comes back and tries to record its cancel: refused, B's record stands.
    assert.equal(await store.update(b.id, 'gone', s => ({ ...s, cancelledAt: 5 })), undefined);
    const now = await store.read(b.id);
    assert.equal(now?.owner, 'B');
    assert.equal(now?.cancelledAt, undefined);
  });

  it('lets exactly one window take over a batch whose window is gone', async () => {
    const a = new BatchStore(dir);
    const c = new BatchStore(dir);
    const b = batch('gone');
    await a.create(b);
    const alive = (w: string) => w === 'A' || w === 'C';
    const [wonA, wonC] = await Promise.all([a.claim(b.id, 'A', 'gone', alive), c.claim(b.id, 'C', 'gone', alive)]);
    assert.equal(Number(wonA) + Number(wonC), 1, 'one winner');
  });

  it('moves a damaged file aside and keeps reading the others', async () => {
    const problems: StoreProblem[] = [];
    const store = new BatchStore(dir, { onProblem: p => problems.push(p) });
    const b = batch('w');
    await store.create(b);
    writeFileSync(join(dir, BATCHES_DIR, 'broken.json'), '{"version":2,');
    writeFileSync(join(dir, BATCHES_DIR, 'other.json'), '{"not":"a batch"}');
    assert.deepEqual(
      (await store.list()).map(x => x.id),
      [b.id],
    );
    assert.equal(problems.length, 2);
    assert.ok(problems.every(p => p.movedTo && existsSync(p.movedTo)));
  });

  it('sets damaged entries aside beside the file, once, whichever window reads it first', async () => {
    const told: string[] = [];
    const a = new BatchStore(dir, { onSetAside: (id, _p, keptAs) => told.push(`${id}:${keptAs}`) });
    const c = new BatchStore(dir, { onSetAside: (id, _p, keptAs) => told.push(`${id}:${keptAs}`) });
    mkdirSync(join(dir, BATCHES_DIR), { recursive: true });
    const file = {
      version: 2,
      id: 'batch_d',
      stepId: 's',
      createdAt: 1,
      documents: [{ uri: 'file:///a', runId: 'batch_d.0' }, { bad: true }],
    };
    writeFileSync(join(dir, BATCHES_DIR, 'batch_d.json'), JSON.stringify(file));
    const [one, two] = await Promise.all([a.read('batch_d'), c.read('batch_d')]);
    assert.equal(one?.documents.length, 1);
    assert.equal(two?.documents.length, 1);
    await a.read('batch_d');
    assert.equal(told.length, 1, 'said once');
    const kept = readdirSync(join(dir, BATCHES_DIR)).filter(n => n.includes('.set-aside-'));
    assert.equal(kept.length, 1);
  });

  it('removes a batch with its takeover tokens', async () => {
    const store = new BatchStore(dir);
    const b = batch('gone');
    await store.create(b);
    await store.claim(b.id, 'A', 'gone', () => true);
    await store.remove([b.id]);
    assert.deepEqual(readdirSync(join(dir, BATCHES_DIR)), []);
  });
});
