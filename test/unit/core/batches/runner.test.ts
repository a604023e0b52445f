/**
 * The batch runner against the stand-in with its rate limiter on: paced, nothing sent twice, every batch
 * ends (timeouts, refused status checks), and a runner that lost its batch stops before it sends.
 */
import * as assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { RequestBudget } from '../../../../src/core/api/budget';
import { ExecutionAccessError, RateLimitError } from '../../../../src/core/api/errors';
import { DEFAULT_PLANNER, scalePlanner } from '../../../../src/core/polling/planner';
import {
  BatchRunner,
  LostBatchError,
  NotRecordedError,
  type RunnerDeps,
  type RunnerDocument,
  type RunnerEvent,
} from '../../../../src/core/batches/runner';
import { startStandIn, type StandIn } from '../../../../stand-in/server';
import { KEY, makeClient } from '../client/support';

const SCALE = 0.02; // a "minute" of 1.2 s
const LIMIT = 10;

function pdfFor(uri: string): Buffer {
  return Buffer.from(
    `%PDF-1.4\n% ${uri}\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n`,
    'latin1',
  );
}
const hash = (uri: string) => createHash('sha256').update(pdfFor(uri)).digest('hex');

const docs = (n: number, prefix = 'd'): RunnerDocument[] =>
  Array.from({ length: n }, (_, i) => ({ key: `${prefix}${i}`, uri: `file:///w/${prefix}${i}.pdf` }));

/** What the glue keeps: each document's state, from the events. */
function recorder() {
  const states = new Map<string, string>();
  const events: RunnerEvent[] = [];
  return {
    states,
    events,
    onEvent(e: RunnerEvent) {
      events.push(e);
      switch (e.type) {
        case 'started':
          states.set(e.doc.key, 'ENQUEUED');
          break;
        case 'notSent':
          states.set(e.doc.key, 'pending');
          break;
        case 'startFailed':
          states.set(e.doc.key, e.uncertain ? 'mayHaveStarted' : 'failed');
          break;
        case 'finished':
          states.set(e.job.key, e.execution.status);
          break;
        case 'unavailable':
          states.set(e.job.key, 'unavailable');
          break;
        case 'status':
          break;
      }
    },
  };
}

describe('batch runner (stand-in, rate limited)', function () {
  this.timeout(30_000);
  let si: StandIn;
  beforeEach(async () => {
    si = await startStandIn({
      apiKeys: [KEY],
      config: {
        steps: [
          { id: 'quick', processingMs: 150, jitter: 0.1, outcome: { status: 'SUCCESS', data: { ok: true } } },
          { id: 'hangs', outcome: { status: 'NEVER' } },
        ],
        rateLimit: { perMinute: LIMIT, windowScale: SCALE, resetPrecision: 'milliseconds' },
      },
    });
  });
  afterEach(() => si.close());

  function setup(stepId = 'quick') {
    const budget = new RequestBudget({ windowMsByType: { minute: 60_000 * SCALE }, defaultLimit: LIMIT });
    const { client } = makeClient(si.url, { budget });
    const rec = recorder();
    const deps: RunnerDeps = {
      budget,
      start: (d, signal, sending) =>
        client.startStep(
          stepId,
          { kind: 'bytes', data: pdfFor(d.uri), fileName: 'doc.pdf' },
          { signal, priority: 'batch', beforeSend: sending },
        ),
      status: (j, signal) => client.getStatus(j.executionId, { signal, priority: 'batch' }),
      stillOwned: async () => true,
      onEvent: e => rec.onEvent(e),
      durations: [],
    };
    return { budget, client, deps, rec };
  }

  const opts = { planner: scalePlanner(DEFAULT_PLANNER, SCALE * 5) };

  it('runs every document once, without a single 429, at a couple of requests per document', async () => {
    const { deps, rec } = setup();
    const end = await new BatchRunner('quick', docs(12), [], deps, opts).run();
    assert.deepEqual(end, { kind: 'done' });
    assert.deepEqual([...rec.states.values()], Array(12).fill('SUCCESS'));
    assert.equal(si.rateLimit().refused, 0, 'no 429');
    assert.deepEqual(
      si.starts().map(s => s.count),
      Array(12).fill(1),
      'each document started once',
    );
    assert.ok(si.requests().length / 12 <= 2.5, `${si.requests().length / 12} requests per document`);
    assert.equal((deps.durations as number[]).length, 12, 'each duration learned');
  });

  it('at a low limit, near the batch end, sends every start before a status request takes a start its place', async () => {
    // 12 documents at 16 a window: 24 requests, two windows. A probe poll in the first would push a start,
    // and its whole job, into the second.
    si.configure({ rateLimit: { perMinute: 16, windowScale: 0.05, resetPrecision: 'milliseconds' } });
    const { budget, client, deps, rec } = setup();
    const slowUploads: RunnerDeps = {
      ...deps,
      budget,
      // Uploads that take a while: the probe's first poll (after 100 ms here) comes due among the starts.
      start: async (d, signal) => {
        await new Promise(r => setTimeout(r, 80));
        return client.startStep(
          'quick',
          { kind: 'bytes', data: pdfFor(d.uri), fileName: 'doc.pdf' },
          { signal, priority: 'batch' },
        );
      },
    };
    const end = await new BatchRunner('quick', docs(12), [], slowUploads, opts).run();
    assert.deepEqual(end, { kind: 'done' });
    assert.deepEqual([...rec.states.values()], Array(12).fill('SUCCESS'));
    const methods = si.requests().map(r => r.method);
    assert.equal(methods.lastIndexOf('POST'), 11, `starts first: ${methods.join(' ')}`);
    assert.equal(si.rateLimit().refused, 0);
  });

  it('sends a document handed back while it runs once, and ignores one it is starting or following already', async () => {
    const { deps, rec } = setup();
    const handedBack = { key: 'back', uri: 'file:///w/back.pdf' };
    const start = deps.start;
    deps.start = (d, signal, sending) => {
      // The other window's record is removed while this one starts its own documents: told twice, and
      // about the document being started right now.
      runner.send(handedBack);
      runner.send(handedBack);
      runner.send(d);
      return start(d, signal, sending);
    };
    const runner = new BatchRunner('quick', docs(2), [], deps, opts);
    assert.deepEqual(await runner.run(), { kind: 'done' });
    assert.equal(rec.states.get('back'), 'SUCCESS');
    assert.deepEqual(
      si.starts().map(s => s.count),
      [1, 1, 1],
      'each document started once',
    );
    assert.equal(rec.events.filter(e => e.type === 'started').length, 3);
  });

  it('after a reload: polls the started one, sends the unsent ones, and is never given the uncertain one', async () => {
    const { client, deps, rec } = setup();
    const started = await client.startStep('quick', {
      kind: 'bytes',
      data: pdfFor('file:///w/a.pdf'),
      fileName: 'a.pdf',
    });
    const end = await new BatchRunner(
      'quick',
      [{ key: 'c', uri: 'file:///w/c.pdf' }],
      [{ key: 'a', executionId: started.id }],
      deps,
      opts,
    ).run();
    assert.deepEqual(end, { kind: 'done' });
    assert.equal(rec.states.get('a'), 'SUCCESS');
    assert.equal(rec.states.get('c'), 'SUCCESS');
    const starts = new Map(si.starts().map(s => [s.hash, s.count]));
    assert.equal(starts.get(hash('file:///w/a.pdf')), 1, 'not started again');
    assert.equal(starts.get(hash('file:///w/c.pdf')), 1);
  });

  it('cancels: the rest stays pending (resumable), nothing is left half-sent', async () => {
    const { deps, rec } = setup();
    const ac = new AbortController();
    const runner = new BatchRunner(
      'quick',
      docs(30),
      [],
      {
        ...deps,
        onEvent: e => {
          rec.onEvent(e);
          if (e.type === 'finished') {
            ac.abort();
          }
        },
      },
      { ...opts, signal: ac.signal },
    );
    assert.deepEqual(await runner.run(), { kind: 'cancelled' });
    const states = [...rec.states.values()];
    assert.ok(
      states.every(s => ['pending', 'ENQUEUED', 'SUCCESS', 'mayHaveStarted'].includes(s)),
      states.join(),
    );
    assert.ok(30 - rec.states.size > 10, 'most were never taken from the queue');
  });

  it('a document that cannot be read fails (never "may have started"); the others run', async () => {
    const { client, deps, rec } = setup();
    const end = await new BatchRunner(
      'quick',
      [
        { key: 'gone', uri: 'file:///gone.pdf' },
        { key: 'ok', uri: 'file:///w/ok.pdf' },
      ],
      [],
      {
        ...deps,
        start: (d, signal, sending) =>
          d.key === 'gone'
            ? client.startStep(
                'quick',
                { kind: 'path', path: '/nonexistent/dir/gone.pdf' },
                { signal, priority: 'batch', beforeSend: sending },
              )
            : deps.start(d, signal, sending),
      },
      opts,
    ).run();
    assert.deepEqual(end, { kind: 'done' });
    assert.deepEqual(Object.fromEntries(rec.states), { gone: 'failed', ok: 'SUCCESS' });
  });

  it('ends a job whose status DocuTray refuses (403): unavailable, id kept, and the batch ends', async () => {
    const { deps, rec } = setup();
    let refused = 0;
    const end = await new BatchRunner(
      'quick',
      docs(2),
      [],
      {
        ...deps,
        status: (j, signal) => {
          if (j.key === 'd0') {
            refused++;
            return Promise.reject(new ExecutionAccessError(j.executionId, { status: 403 }));
          }
          return deps.status(j, signal);
        },
      },
      opts,
    ).run();
    assert.deepEqual(end, { kind: 'done' });
    assert.equal(rec.states.get('d0'), 'unavailable');
    assert.equal(rec.states.get('d1'), 'SUCCESS');
    assert.equal(refused, 1, 'asked once: asking again changes nothing');
    const gaveUp = rec.events.find(e => e.type === 'unavailable');
    assert.ok(gaveUp && gaveUp.type === 'unavailable' && gaveUp.job.executionId, 'its execution id is kept');
  });

  it('ends a job that never finishes after the poll timeout: unavailable, and the batch ends', async () => {
    const { deps, rec } = setup('hangs');
    const end = await new BatchRunner('hangs', docs(2), [], deps, { ...opts, pollTimeoutMs: 1500 }).run();
    assert.deepEqual(end, { kind: 'done' });
    assert.deepEqual([...rec.states.values()], ['unavailable', 'unavailable']);
    const timeouts = rec.events.filter(e => e.type === 'unavailable' && e.error.kind === 'timeout');
    assert.equal(timeouts.length, 2);
  });

  it('a window that lost the batch stops before it sends anything more', async () => {
    const { deps, rec } = setup();
    let owned = true;
    const end = await new BatchRunner(
      'quick',
      docs(10),
      [],
      {
        ...deps,
        stillOwned: async () => owned,
        onEvent: e => {
          rec.onEvent(e);
          if (e.type === 'started') {
            owned = false; // another window took it over (this one was frozen)
          }
        },
      },
      opts,
    ).run();
    assert.deepEqual(end, { kind: 'lost' });
    const sent = si.starts().reduce((n, s) => n + s.count, 0);
    assert.ok(sent <= 4, `at most the starts already under way went out (${sent})`);
    assert.ok(sent < 10);
  });

  it('a start on the wire when the batch is lost is not abandoned: its answer lands and its id is recorded', async () => {
    // A window frozen while its start was on the wire: when it wakes, its fence learns the batch is lost (the
    // runner stops) before it reads the answer waiting for it. The answer must still be read, or the document
    // is billed and left "may have started" with nobody to poll it.
    si.addFaults({ kind: 'delay', ms: 300, count: 100, match: { method: 'POST', path: '/api/steps-async/quick' } });
    const { client, deps, rec } = setup();
    // The budget learns the limit first, so the runner looks again while the start is still on the wire.
    await client.getUsage();
    let markSent = () => {};
    const sent = new Promise<void>(resolve => (markSent = resolve));
    let asked = 0;
    const end = await new BatchRunner(
      'quick',
      docs(3),
      [],
      {
        ...deps,
        start: (d, signal, sending) =>
          deps.start(d, signal, () => {
            sending();
            markSent();
          }),
        // Owned for the first start; lost by the time the runner looks again, after that start went out.
        stillOwned: async () => asked++ === 0 || (await sent.then(() => false)),
      },
      { ...opts, maxUploads: 2 },
    ).run();
    assert.deepEqual(end, { kind: 'lost' });
    assert.equal(si.starts().length, 1, 'nothing more was sent after the batch was lost');
    assert.equal(rec.states.get('d0'), 'ENQUEUED', `the start on the wire recorded its id: ${rec.states.get('d0')}`);
    assert.equal(rec.events.filter(e => e.type === 'startFailed').length, 0);
  });

  it('a cancel still abandons a start on the wire: it may have started, and says so', async () => {
    si.addFaults({ kind: 'delay', ms: 300, count: 100, match: { method: 'POST', path: '/api/steps-async/quick' } });
    const { deps, rec } = setup();
    const ac = new AbortController();
    const end = await new BatchRunner(
      'quick',
      docs(1),
      [],
      {
        ...deps,
        start: (d, signal, sending) =>
          deps.start(d, signal, () => {
            sending();
            setTimeout(() => ac.abort(), 50);
          }),
      },
      { ...opts, signal: ac.signal },
    ).run();
    assert.deepEqual(end, { kind: 'cancelled' });
    assert.equal(si.starts().length, 1);
    assert.equal(rec.states.get('d0'), 'mayHaveStarted');
  });

  it('a start the fence refuses (the run exists already) is not sent, and the runner stops', async () => {
    const { deps, rec } = setup();
    const end = await new BatchRunner(
      'quick',
      docs(3),
      [],
      { ...deps, start: () => Promise.reject(new LostBatchError('b')) },
      opts,
    ).run();
    assert.deepEqual(end, { kind: 'lost' });
    assert.equal(si.starts().length, 0);
    assert.ok([...rec.states.values()].every(s => s === 'pending'));
  });

  it('a run that cannot be recorded is not started, and the batch stops with the reason', async () => {
    const { deps } = setup();
    const end = await new BatchRunner(
      'quick',
      docs(3),
      [],
      { ...deps, start: () => Promise.reject(new NotRecordedError('ENOSPC')) },
      { ...opts, maxUploads: 1 },
    ).run();
    assert.equal(end.kind, 'fatal');
    assert.ok(end.kind === 'fatal' && end.error instanceof NotRecordedError);
    assert.equal(si.starts().length, 0);
  });

  it('a pause of more than an hour stops the batch until it is over, sending nothing', async () => {
    const { deps } = setup();
    const year = 365 * 24 * 3_600_000;
    const end = await new BatchRunner(
      'quick',
      docs(3),
      [],
      {
        ...deps,
        budget: {
          ...deps.budget,
          pausedForMs: () => year,
          whenAvailable: deps.budget.whenAvailable.bind(deps.budget),
          afterNextGrant: deps.budget.afterNextGrant.bind(deps.budget),
          ratePerMs: deps.budget.ratePerMs,
        },
      },
      opts,
    ).run();
    assert.equal(end.kind, 'paused');
    assert.ok(end.kind === 'paused' && end.until > Date.now() + year - 60_000);
    assert.equal(si.requests().length, 0);
  });

  it('a 429 asking for more than an hour on a start pauses the batch; the document stays pending', async () => {
    const { deps, rec } = setup();
    const end = await new BatchRunner(
      'quick',
      docs(2),
      [],
      { ...deps, start: () => Promise.reject(new RateLimitError({ retryAfterSeconds: 7200 })) },
      { ...opts, maxUploads: 1 },
    ).run();
    assert.equal(end.kind, 'paused');
    assert.deepEqual([...rec.states.values()], ['pending']);
  });

  it('follows a job learnt while running (a start another window sent answered late)', async () => {
    const { client, deps, rec } = setup();
    const other = await client.startStep('quick', {
      kind: 'bytes',
      data: pdfFor('file:///w/late.pdf'),
      fileName: 'late.pdf',
    });
    const runner = new BatchRunner(
      'quick',
      docs(1),
      [],
      {
        ...deps,
        onEvent: e => {
          rec.onEvent(e);
          if (e.type === 'started') {
            runner.follow({ key: 'late', executionId: other.id });
          }
        },
      },
      opts,
    );
    assert.deepEqual(await runner.run(), { kind: 'done' });
    assert.equal(rec.states.get('late'), 'SUCCESS');
  });
});
