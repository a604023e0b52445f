/** The batch runner against the stand-in with its rate limiter on: paced, nothing sent twice, resumable. */
import * as assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { RequestBudget } from '../../src/core/api/budget';
import { CancelledError } from '../../src/core/api/errors';
import { DEFAULT_PLANNER, scalePlanner } from '../../src/core/polling/planner';
import { createBatch, prepareResume, updateFile, type BatchFile } from '../../src/core/runs/batch';
import { runBatch, type BatchRunnerDeps } from '../../src/core/runs/batchRunner';
import { startStandIn, type StandIn } from '../../stand-in/server';
import { KEY, makeClient } from './client/support';

const SCALE = 0.02; // a "minute" of 1.2 s
const LIMIT = 10;

function pdfFor(uri: string): Buffer {
  return Buffer.from(
    `%PDF-1.4\n% ${uri}\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n`,
    'latin1',
  );
}

describe('batch runner (stand-in, rate limited)', function () {
  this.timeout(30_000);
  let si: StandIn;
  beforeEach(async () => {
    si = await startStandIn({
      apiKeys: [KEY],
      config: {
        steps: [{ id: 'quick', processingMs: 150, jitter: 0.1, outcome: { status: 'SUCCESS', data: { ok: true } } }],
        rateLimit: { perMinute: LIMIT, windowScale: SCALE, resetPrecision: 'milliseconds' },
      },
    });
  });
  afterEach(() => si.close());

  function setup() {
    const budget = new RequestBudget({ windowMsByType: { minute: 60_000 * SCALE }, defaultLimit: LIMIT });
    const { client } = makeClient(si.url, { budget });
    const deps: BatchRunnerDeps = {
      budget,
      start: (f: BatchFile, signal) =>
        client.startStep(
          'quick',
          { kind: 'bytes', data: pdfFor(f.uri), fileName: 'doc.pdf' },
          { signal, priority: 'batch' },
        ),
      status: (id, signal) => client.getStatus(id, { signal, priority: 'batch' }),
      durations: [],
    };
    return { budget, client, deps };
  }

  const opts = { planner: scalePlanner(DEFAULT_PLANNER, SCALE * 5) };

  it('runs every file once, without a single 429, at a couple of requests per document', async () => {
    const { deps } = setup();
    const batch = createBatch({
      stepId: 'quick',
      files: Array.from({ length: 12 }, (_, i) => ({ uri: `file:///w/${i}.pdf` })),
      now: Date.now(),
    });
    const changes: string[] = [];
    await runBatch(batch, { ...deps, onChange: f => changes.push(`${f.uri}:${f.state}`) }, opts);
    assert.deepEqual(
      batch.files.map(f => f.state),
      Array(12).fill('succeeded'),
    );
    assert.ok(batch.endedAt !== undefined);
    assert.equal(si.rateLimit().refused, 0, 'no 429');
    assert.deepEqual(
      si.starts().map(s => s.count),
      Array(12).fill(1),
      'each document started once',
    );
    const requests = si.requests().length;
    assert.ok(requests / 12 <= 2.5, `${requests / 12} requests per document`);
    assert.ok(
      changes.includes('file:///w/0.pdf:uploading') &&
        changes.includes('file:///w/0.pdf:waiting') &&
        changes.includes('file:///w/0.pdf:succeeded'),
    );
    assert.equal((deps.durations as number[]).length, 12, 'each duration learned');
  });

  it('resumes after a reload: polls the started one, sends the unsent one, never re-sends an uncertain start', async () => {
    const { client, deps } = setup();
    const batch = createBatch({
      stepId: 'quick',
      files: ['a', 'b', 'c'].map(n => ({ uri: `file:///w/${n}.pdf` })),
      now: Date.now(),
    });
    const started = await client.startStep('quick', {
      kind: 'bytes',
      data: pdfFor('file:///w/a.pdf'),
      fileName: 'a.pdf',
    });
    updateFile(batch, 'file:///w/a.pdf', { state: 'waiting', executionId: started.id }, Date.now());
    updateFile(batch, 'file:///w/b.pdf', { state: 'uploading' }, Date.now());
    const plan = prepareResume(batch, Date.now());
    assert.deepEqual(
      plan.uncertain.map(f => f.uri),
      ['file:///w/b.pdf'],
    );
    await runBatch(batch, deps, opts);
    assert.deepEqual(
      batch.files.map(f => f.state),
      ['succeeded', 'uncertain', 'succeeded'],
    );
    const hash = (uri: string) => createHash('sha256').update(pdfFor(uri)).digest('hex');
    const starts = new Map(si.starts().map(s => [s.hash, s.count]));
    assert.equal(starts.get(hash('file:///w/a.pdf')), 1, 'not started again');
    assert.equal(starts.get(hash('file:///w/b.pdf')), undefined, 'the uncertain one is not sent');
    assert.equal(starts.get(hash('file:///w/c.pdf')), 1);
  });

  it('cancels: the rest stays pending (resumable) and nothing is left uploading', async () => {
    const { deps } = setup();
    const batch = createBatch({
      stepId: 'quick',
      files: Array.from({ length: 30 }, (_, i) => ({ uri: `file:///w/${i}.pdf` })),
      now: Date.now(),
    });
    const ac = new AbortController();
    const run = runBatch(
      batch,
      { ...deps, onChange: f => (f.state === 'succeeded' ? ac.abort() : undefined) },
      { ...opts, signal: ac.signal },
    );
    await assert.rejects(run, CancelledError);
    assert.equal(batch.files.filter(f => f.state === 'uploading').length, 0);
    assert.ok(batch.files.filter(f => f.state === 'pending').length > 10);
    assert.ok(
      batch.files.every(f => ['pending', 'waiting', 'succeeded', 'uncertain'].includes(f.state)),
      batch.files.map(f => f.state).join(),
    );
  });

  it('a file that cannot be read is unavailable; the others run', async () => {
    const { client, deps } = setup();
    const batch = createBatch({
      stepId: 'quick',
      files: [{ uri: 'file:///gone.pdf' }, { uri: 'file:///w/ok.pdf' }],
      now: Date.now(),
    });
    await runBatch(
      batch,
      {
        ...deps,
        start: (f, signal) =>
          f.uri === 'file:///gone.pdf'
            ? client.startStep(
                'quick',
                { kind: 'path', path: '/nonexistent/dir/gone.pdf' },
                { signal, priority: 'batch' },
              )
            : deps.start(f, signal),
      },
      opts,
    );
    assert.deepEqual(
      batch.files.map(f => f.state),
      ['unavailable', 'succeeded'],
    );
  });
});
