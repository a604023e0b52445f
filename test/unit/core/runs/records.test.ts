/**
 * Run records as stored: the fields batches and the skip rule rely on, and what a record that cannot be
 * true becomes; the history bound with batches; the writes that fence a start across windows.
 */
import * as assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import {
  boundHistory,
  executionDurationMs,
  parseRunRecord,
  recentDurations,
  stepDurationMs,
} from '../../../../src/core/runs/history';
import { failureRetry, transition } from '../../../../src/core/runs/lifecycle';
import { RunStore } from '../../../../src/core/runs/runStore';
import { runRecord } from '../../run-records';

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

  it("reports a run's step duration from DocuTray's timestamps, else from its recorded start", () => {
    // Taken over an hour after it started (a reload, Check Execution): DocuTray's 2.5 s, not the hour.
    const recovered = rec('a', 'SUCCESS', { startedAt: 1_000, finishedAt: 3_601_000, durationMs: 2_500 });
    assert.strictEqual(stepDurationMs(recovered), 2_500);
    assert.strictEqual(stepDurationMs({ startedAt: 1_000, finishedAt: 4_000 }), 3_000);
    assert.strictEqual(stepDurationMs({ startedAt: 1_000 }), undefined, 'not finished');
    assert.strictEqual(stepDurationMs({ startedAt: 5_000, finishedAt: 4_000 }), undefined, 'a clock that went back');
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

describe('a record that cannot be true', () => {
  it('waiting on DocuTray without an execution id becomes "may have started" (never sent again by itself)', () => {
    for (const state of ['ENQUEUED', 'PROCESSING'] as const) {
      const r = parseRunRecord(rec('a', state));
      assert.equal(r?.state, 'mayHaveStarted');
      assert.equal(r?.error?.kind, 'startUncertain');
    }
    assert.equal(parseRunRecord(rec('a', 'ENQUEUED', { executionId: 'e' }))?.state, 'ENQUEUED');
    assert.equal(parseRunRecord(rec('a', 'starting'))?.state, 'starting', 'starting has no id yet');
  });
});

describe('the history bound with batches: a batch is kept or dropped whole', () => {
  const group = (id: string, runIds: string[], alive: boolean, createdAt: number) => ({ id, runIds, alive, createdAt });

  it('keeps an alive batch whole past maxRuns', () => {
    const runs = [
      rec('b.0', 'SUCCESS', { startedAt: 1, batchId: 'b' }),
      rec('b.1', 'SUCCESS', { startedAt: 1, batchId: 'b' }),
      rec('x', 'SUCCESS', { startedAt: 2 }),
    ];
    const r = boundHistory(runs, 1, () => false, [group('b', ['b.0', 'b.1'], true, 1)]);
    assert.deepEqual(
      r.dropped.map(x => x.id),
      ['x'],
    );
    assert.deepEqual(r.droppedGroups, []);
  });

  it('keeps the newest ended batch whole, and drops an older one whole when it no longer fits', () => {
    const runs = [
      rec('old.0', 'SUCCESS', { startedAt: 1, batchId: 'old' }),
      rec('old.1', 'mayHaveStarted', { startedAt: 1, batchId: 'old' }),
      rec('new.0', 'SUCCESS', { startedAt: 5, batchId: 'new' }),
      rec('new.1', 'SUCCESS', { startedAt: 5, batchId: 'new' }),
      rec('new.2', 'SUCCESS', { startedAt: 5, batchId: 'new' }),
      rec('single', 'SUCCESS', { startedAt: 6 }),
    ];
    const groups = [group('old', ['old.0', 'old.1'], false, 1), group('new', ['new.0', 'new.1', 'new.2'], false, 5)];
    const r = boundHistory(runs, 3, () => false, groups);
    assert.deepEqual(r.droppedGroups, ['old']);
    assert.deepEqual(
      r.dropped.map(x => x.id),
      ['old.0'],
    );
    assert.ok(
      r.kept.some(x => x.id === 'old.1'),
      'a document that may have started keeps its own record',
    );
    assert.deepEqual(
      r.kept.filter(x => x.batchId === 'new').length,
      3,
      'the newest ended batch stays whole, even past maxRuns',
    );
  });
});

describe('lifecycle: a late answer, and what Retry Failed may do', () => {
  it('a start marked "may have started" that learns its id is followed again, no longer uncertain', () => {
    const change = transition({ state: 'mayHaveStarted' }, { type: 'started', executionId: 'e1' });
    assert.deepEqual(change, { state: 'ENQUEUED', executionId: 'e1', finishedAt: undefined, error: undefined });
    assert.equal(
      transition({ state: 'SUCCESS', executionId: 'e0' }, { type: 'started', executionId: 'e1' }),
      undefined,
    );
    assert.equal(
      transition({ state: 'ENQUEUED', executionId: 'e0' }, { type: 'started', executionId: 'e1' }),
      undefined,
      'an id is never replaced',
    );
  });

  it('retries only what a second try can mend', () => {
    const err = (kind: string) => ({ kind, message: kind });
    assert.equal(failureRetry({ state: 'failed', error: err('server') }), 'start', 'DocuTray could not start it');
    assert.equal(failureRetry({ state: 'failed', error: err('connection') }), 'start');
    assert.equal(failureRetry({ state: 'unavailable', executionId: 'e', error: err('timeout') }), 'poll');
    assert.equal(
      failureRetry({ state: 'ERROR', executionId: 'e', error: err('stepFailed') }),
      undefined,
      'the step itself failed',
    );
    assert.equal(
      failureRetry({ state: 'unavailable', executionId: 'e', error: err('permission') }),
      undefined,
      '403 on status',
    );
    assert.equal(
      failureRetry({ state: 'unavailable', executionId: 'e', error: err('notFound') }),
      undefined,
      '404 on status',
    );
    assert.equal(failureRetry({ state: 'failed', error: err('invalidInput') }), undefined);
    assert.equal(failureRetry({ state: 'failed', error: err('badRequest') }), undefined);
    assert.equal(failureRetry({ state: 'mayHaveStarted', error: err('startUncertain') }), undefined);
  });
});

describe('the run store: the writes that fence a start across windows', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'docutray-runs-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('creates a run only where none is: of two windows, one may send it', async () => {
    const a = new RunStore(dir);
    const b = new RunStore(dir);
    const run = rec('batch.0', 'starting', { owner: 'A' });
    const [one, two] = await Promise.all([a.create(run), b.create({ ...run, owner: 'B' })]);
    assert.equal(Number(one) + Number(two), 1);
  });

  it("records a late start's execution id whoever owns the run by now, and never replaces one", async () => {
    const store = new RunStore(dir);
    await store.create(rec('r', 'starting', { owner: 'A' }));
    // B took it over while A was frozen, and marked it as possibly started.
    await store.write(rec('r', 'mayHaveStarted', { owner: 'B', error: { kind: 'startUncertain', message: 'x' } }));
    const written = await store.recordStart('r', { executionId: 'e1', sha256: HASH });
    assert.equal(written?.state, 'ENQUEUED');
    assert.equal(written?.executionId, 'e1');
    assert.equal(written?.owner, 'B', 'still B: B polls it');
    assert.equal(written?.error, undefined);
    assert.equal((await store.recordStart('r', { executionId: 'e2' }))?.executionId, 'e1');
  });

  it('names the run files that have a start receipt, for a window whose watcher missed one', async () => {
    const store = new RunStore(dir);
    assert.deepEqual((await new RunStore(join(dir, 'none')).listing()).receipted, [], 'no runs folder yet');
    await store.create(rec('r1', 'starting', { owner: 'A' }));
    await store.create(rec('r2', 'starting', { owner: 'A' }));
    await store.recordStart('r2', { executionId: 'e2' });
    assert.deepEqual((await store.listing()).receipted, [basename(store.fileOf('r2'))]);
    assert.deepEqual(
      (await store.listing()).files.sort(),
      [basename(store.fileOf('r1')), basename(store.fileOf('r2'))].sort(),
    );
  });

  it('updates from the record as stored now, and only for its owner', async () => {
    const store = new RunStore(dir);
    await store.write(rec('r', 'starting', { owner: 'B' }));
    await store.recordStart('r', { executionId: 'e1' });
    // A takeover that decides on what is stored: the id that arrived meanwhile keeps the run polled.
    const after = await store.updateWith('r', 'B', stored => transition(stored, { type: 'interrupted' }));
    assert.equal(after?.state, 'ENQUEUED');
    assert.equal(await store.updateWith('r', 'A', () => ({ state: 'failed' })), undefined, 'not its owner');
  });
});
