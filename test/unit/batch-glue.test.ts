/**
 * The pure parts of the batch glue: the run record's new fields (sha256, durationMs, batchId), the
 * history bound keeping the runs of alive batches, the batch store on a real directory (atomic
 * writes, damaged files moved aside, one window winning a takeover), a batch file's run state, and
 * the globs of a folder run.
 */
import * as assert from 'assert';
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { batchKeepsRun, createBatch, updateFile } from '../../src/core/runs/batch';
import {
  BATCHES_DIR,
  buildExcludeGlob,
  documentGlob,
  fileStateOf,
  parseBatch,
  runStateOf,
} from '../../src/core/runs/batchFiles';
import { BatchStore } from '../../src/core/runs/batchStore';
import { boundHistory, executionDurationMs, parseRunRecord, recentDurations } from '../../src/core/runs/history';
import { StoreProblem } from '../../src/core/runs/runStore';
import { SUPPORTED_EXTENSIONS } from '../../src/core/documents/mime';
import { runRecord } from './run-records';

const HASH = 'a'.repeat(64);

const rec = runRecord;

describe('run records: sha256, durationMs, batchId', () => {
  it('keeps valid values', () => {
    const r = parseRunRecord({ ...rec('a', 'SUCCESS'), sha256: HASH.toUpperCase(), durationMs: 1234, batchId: 'b1' });
    assert.ok(r);
    assert.strictEqual(r.sha256, HASH, 'lower-cased');
    assert.strictEqual(r.durationMs, 1234);
    assert.strictEqual(r.batchId, 'b1');
  });

  it('drops malformed values but keeps the run', () => {
    const r = parseRunRecord({ ...rec('a', 'SUCCESS'), sha256: 'not-a-hash', durationMs: -5, batchId: 7 });
    assert.ok(r);
    assert.strictEqual(r.sha256, undefined);
    assert.strictEqual(r.durationMs, undefined);
    assert.strictEqual(r.batchId, undefined);
    const r2 = parseRunRecord({ ...rec('a', 'SUCCESS'), durationMs: Number.NaN, batchId: '' });
    assert.strictEqual(r2?.durationMs, undefined);
    assert.strictEqual(r2?.batchId, undefined);
  });

  it('older records (no fields) parse as before', () => {
    const r = parseRunRecord(rec('a', 'SUCCESS'));
    assert.ok(r);
    assert.strictEqual(r.sha256, undefined);
    assert.strictEqual(JSON.parse(JSON.stringify(r)).sha256, undefined, 'nothing written for it');
  });

  it("takes DocuTray's duration from the execution's timestamps", () => {
    assert.strictEqual(
      executionDurationMs({
        requestTimestamp: '2026-01-01T00:00:00.000Z',
        responseTimestamp: '2026-01-01T00:00:02.500Z',
      }),
      2500,
    );
    assert.strictEqual(executionDurationMs({ requestTimestamp: '2026-01-01T00:00:00.000Z' }), undefined);
    assert.strictEqual(
      executionDurationMs({
        requestTimestamp: '2026-01-01T00:00:05.000Z',
        responseTimestamp: '2026-01-01T00:00:00.000Z',
      }),
      undefined,
      'a negative span is not a duration',
    );
  });

  it("gives a step's recent durations, oldest first, at most N", () => {
    const runs = [
      rec('a', 'SUCCESS', { durationMs: 30, finishedAt: 3 }),
      rec('b', 'SUCCESS', { durationMs: 10, finishedAt: 1 }),
      rec('c', 'SUCCESS', { durationMs: 20, finishedAt: 2 }),
      rec('d', 'SUCCESS', { durationMs: 99, finishedAt: 4, stepId: 'other' }),
      rec('e', 'SUCCESS', { finishedAt: 5 }),
    ];
    assert.deepStrictEqual(recentDurations(runs, 's'), [10, 20, 30]);
    assert.deepStrictEqual(recentDurations(runs, 's', 2), [20, 30]);
  });
});

describe('history bound with batches', () => {
  it('keeps the runs of an alive batch past maxRuns, and lets them go once the batch is over', () => {
    const batch = createBatch({ stepId: 's', files: [{ uri: 'file:///a' }, { uri: 'file:///b' }], now: 1 });
    batch.files[0].runId = 'old1';
    batch.files[0].state = 'succeeded';
    const runs = [
      rec('old1', 'SUCCESS', { startedAt: 1, batchId: batch.id }),
      rec('old2', 'SUCCESS', { startedAt: 2 }),
      rec('new', 'SUCCESS', { startedAt: 3 }),
    ];
    const alive = boundHistory(runs, 2, batchKeepsRun([batch]));
    assert.deepStrictEqual(
      alive.kept.map(r => r.id),
      ['new', 'old1'],
    );
    assert.deepStrictEqual(
      alive.dropped.map(r => r.id),
      ['old2'],
    );
    updateFile(batch, 'file:///b', { state: 'succeeded' }, 5);
    const over = boundHistory(runs, 2, batchKeepsRun([batch]));
    assert.deepStrictEqual(
      over.kept.map(r => r.id),
      ['new', 'old2'],
    );
  });
});

describe('batch files', () => {
  it('parses a stored batch and its owner; refuses anything else', () => {
    const b = createBatch({ stepId: 's', stepName: 'S', files: [{ uri: 'file:///a', label: 'a' }], now: 5 });
    const text = JSON.stringify({ ...b, owner: 'w1', files: [{ ...b.files[0], sha256: HASH, runId: 'r' }] });
    const parsed = parseBatch(JSON.parse(text));
    assert.ok(parsed);
    assert.strictEqual(parsed.owner, 'w1');
    assert.strictEqual(parsed.files[0].runId, 'r');
    assert.strictEqual(parsed.files[0].sha256, HASH);
    assert.strictEqual(parseBatch({ ...b, version: 2 }), undefined);
    assert.strictEqual(parseBatch({ ...b, files: [{ uri: 'file:///a', state: 'flying' }] }), undefined);
    assert.strictEqual(parseBatch({ ...b, files: 'x' }), undefined);
    assert.strictEqual(parseBatch(null), undefined);
  });

  it("maps each file state to its run's state", () => {
    assert.strictEqual(runStateOf({ state: 'pending' }), undefined);
    assert.strictEqual(runStateOf({ state: 'skipped' }), undefined);
    assert.strictEqual(runStateOf({ state: 'uploading' }), 'starting');
    assert.strictEqual(runStateOf({ state: 'uncertain' }), 'mayHaveStarted');
    assert.strictEqual(runStateOf({ state: 'waiting', executionId: 'e' }), 'ENQUEUED');
    assert.strictEqual(runStateOf({ state: 'succeeded', executionId: 'e' }), 'SUCCESS');
    assert.strictEqual(runStateOf({ state: 'failed', executionId: 'e' }), 'ERROR');
    assert.strictEqual(runStateOf({ state: 'failed' }), 'failed');
    assert.strictEqual(runStateOf({ state: 'unavailable' }), 'failed');
    assert.strictEqual(runStateOf({ state: 'cancelled', executionId: 'e' }), 'cancelled');
  });
});

describe('a batch file from its run (the batch file may be older)', () => {
  it('a start under way becomes uploading (uncertain after prepareResume), never pending', () => {
    assert.strictEqual(fileStateOf({ state: 'starting' }), 'uploading');
    assert.strictEqual(fileStateOf({ state: 'mayHaveStarted' }), 'uncertain');
  });
  it('a started one is polled; a finished one keeps its end', () => {
    assert.strictEqual(fileStateOf({ state: 'ENQUEUED', executionId: 'e' }), 'waiting');
    assert.strictEqual(fileStateOf({ state: 'PROCESSING', executionId: 'e' }), 'waiting');
    assert.strictEqual(fileStateOf({ state: 'unavailable', executionId: 'e' }), 'waiting');
    assert.strictEqual(fileStateOf({ state: 'SUCCESS', executionId: 'e' }), 'succeeded');
    assert.strictEqual(fileStateOf({ state: 'ERROR', executionId: 'e' }), 'failed');
    assert.strictEqual(fileStateOf({ state: 'failed' }), 'failed');
  });
  it('a cancelled start that never left says nothing (the file is sent); one with an execution is polled', () => {
    assert.strictEqual(fileStateOf({ state: 'cancelled' }), undefined);
    assert.strictEqual(fileStateOf({ state: 'cancelled', executionId: 'e' }), 'waiting');
  });
  it('round-trips with runStateOf for every state a run of a batch file takes', () => {
    for (const state of ['uploading', 'uncertain', 'succeeded'] as const) {
      const run = runStateOf({ state, executionId: 'e' });
      assert.ok(run);
      assert.strictEqual(fileStateOf({ state: run, executionId: 'e' }), state);
    }
  });
});

describe('folder-run globs', () => {
  it('matches every supported extension in lower and upper case', () => {
    const glob = documentGlob(SUPPORTED_EXTENSIONS);
    assert.match(glob, /^\*\*\/\*\.\{.*\}$/);
    for (const e of SUPPORTED_EXTENSIONS) {
      assert.ok(glob.includes(`${e},`) || glob.includes(`${e}}`), e);
      assert.ok(glob.includes(e.toUpperCase()), e.toUpperCase());
    }
    assert.strictEqual(documentGlob(['.pdf', 'PDF']), '**/*.{pdf,PDF}', 'no duplicates, dots dropped');
  });

  it('builds one exclude from files.exclude (true only) and docutray.batch.exclude', () => {
    assert.strictEqual(
      buildExcludeGlob({ '**/.git': true, '**/tmp': false, '**/out/**': true }, ['**/node_modules/**']),
      '{**/.git,**/.git/**,**/out/**,**/node_modules/**}',
    );
    assert.strictEqual(buildExcludeGlob({}, ['**/a/**']), '**/a/**', 'one pattern stands alone');
    assert.strictEqual(buildExcludeGlob(undefined, undefined), undefined);
    assert.strictEqual(buildExcludeGlob({ '**/x': 'yes' }, [3, '']), undefined, 'junk ignored');
    assert.strictEqual(
      buildExcludeGlob({ '**/*.{tmp,bak}': true }, ['**/keep/**']),
      '**/keep/**',
      'a pattern with its own braces cannot nest: left out',
    );
  });
});

describe('the batch store', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'docutray-batches-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('writes whole files atomically and lists them back', async () => {
    const store = new BatchStore(dir);
    const b = { ...createBatch({ stepId: 's', files: [{ uri: 'file:///a' }], now: 1 }), owner: 'w1' };
    await store.write(b);
    await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        store.write({ ...b, files: [{ uri: 'file:///a', state: 'pending', label: `${i}` }] }),
      ),
    );
    const names = readdirSync(join(dir, BATCHES_DIR));
    assert.deepStrictEqual(names, [`${b.id}.json`], 'no temporary file left behind');
    const listed = await store.list();
    assert.strictEqual(listed.length, 1);
    assert.strictEqual(listed[0].id, b.id);
    assert.strictEqual(listed[0].owner, 'w1');
  });

  it('moves a damaged file aside and keeps reading the others', async () => {
    const problems: StoreProblem[] = [];
    const store = new BatchStore(dir, { onProblem: p => problems.push(p) });
    const b = createBatch({ stepId: 's', files: [{ uri: 'file:///a' }], now: 1 });
    await store.write(b);
    mkdirSync(join(dir, BATCHES_DIR), { recursive: true });
    writeFileSync(join(dir, BATCHES_DIR, 'broken.json'), '{"version":1,');
    writeFileSync(join(dir, BATCHES_DIR, 'other.json'), '{"not":"a batch"}');
    const listed = await store.list();
    assert.deepStrictEqual(
      listed.map(x => x.id),
      [b.id],
    );
    assert.strictEqual(problems.length, 2);
    assert.ok(problems.every(p => p.movedTo && existsSync(p.movedTo)));
    assert.ok(!existsSync(join(dir, BATCHES_DIR, 'broken.json')));
  });

  it('lets exactly one window take over a batch whose window is gone', async () => {
    const a = new BatchStore(dir);
    const c = new BatchStore(dir);
    const b = { ...createBatch({ stepId: 's', files: [{ uri: 'file:///a' }], now: 1 }), owner: 'gone' };
    await a.write(b);
    const alive = (w: string) => w === 'A' || w === 'C';
    const [wonA, wonC] = await Promise.all([a.claim(b.id, 'A', 'gone', alive), c.claim(b.id, 'C', 'gone', alive)]);
    assert.strictEqual(Number(wonA) + Number(wonC), 1, 'one winner');
    const owner = (await a.read(b.id))?.owner;
    assert.strictEqual(owner, wonA ? 'A' : 'C');
    // The winner is gone too: its token is broken once, by the next window.
    const again = await c.claim(b.id, 'D', owner, w => w === 'D');
    assert.strictEqual(again, true);
    assert.strictEqual((await a.read(b.id))?.owner, 'D');
  });

  it('removes a batch with its takeover tokens', async () => {
    const store = new BatchStore(dir);
    const b = { ...createBatch({ stepId: 's', files: [{ uri: 'file:///a' }], now: 1 }), owner: 'gone' };
    await store.write(b);
    await store.claim(b.id, 'A', 'gone', () => true);
    await store.remove([b.id]);
    assert.deepStrictEqual(readdirSync(join(dir, BATCHES_DIR)), []);
  });
});
