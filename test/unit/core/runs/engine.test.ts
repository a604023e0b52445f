/**
 * The one start path (core/runs/engine.ts) against the stand-in over loopback: the fence runs right before
 * the request goes out and stops it there, the execution id is recorded before the start resolves, a record
 * that fails still hands over the billed execution, and a single run of a step whose durations are known is
 * looked at around its expected end (counted in the stand-in's status requests, not timed).
 */
import * as assert from 'node:assert/strict';
import { LostBatchError } from '../../../../src/core/batches/runner';
import { executionDurationMs } from '../../../../src/core/runs/history';
import { StartNotRecordedError, followExecution, startDocument } from '../../../../src/core/runs/engine';
import { ADAPTIVE_SCHEDULE, pollInstants } from '../../../../src/core/polling/schedule';
import { SAMPLES, useStandInClient } from '../client/support';
import type { DocuTrayClient } from '../../../../src/core/client/client';
import type { StandIn } from '../../../../stand-in/server';

const STEP = { id: 'engine-step', name: 'Engine', enqueuedMs: 300, processingMs: 1500 };
const pdf = () => ({ kind: 'bytes' as const, data: SAMPLES.pdf, fileName: 'a.pdf' });

describe('the engine: start, record, follow', function () {
  this.timeout(30_000);
  let client: DocuTrayClient;
  let standIn: StandIn;
  useStandInClient({ steps: [{ ...STEP, outcome: { status: 'SUCCESS', data: { ok: true } } }] }, f => {
    client = f.client;
    standIn = f.standIn;
  });
  const starts = () => standIn.requests().filter(r => r.method === 'POST').length;

  it('sends nothing when the fence refuses, and asks the fence once the body is built', async () => {
    let fenced = 0;
    await assert.rejects(
      startDocument(
        client,
        { stepId: STEP.id, input: pdf(), priority: 'batch' },
        {
          fence: async () => {
            fenced++;
            throw new LostBatchError('b');
          },
          record: async () => assert.fail('nothing was started: nothing to record'),
        },
      ),
      LostBatchError,
    );
    assert.equal(fenced, 1);
    assert.equal(starts(), 0, 'no start reached DocuTray');
    // A bad document fails before the fence: the fence is the last thing before the request.
    await assert.rejects(
      startDocument(
        client,
        { stepId: STEP.id, input: { kind: 'bytes', data: new Uint8Array(0), fileName: 'e.pdf' }, priority: 'batch' },
        { fence: async () => assert.fail('not asked for a body that could not be built'), record: async () => {} },
      ),
    );
    assert.equal(starts(), 0);
  });

  it('records the execution id before the start resolves; a record that fails still hands over the execution', async () => {
    const order: string[] = [];
    const e = await startDocument(
      client,
      { stepId: STEP.id, input: pdf(), priority: 'interactive' },
      {
        fence: async () => void order.push('fence'),
        record: async answer => {
          await new Promise(r => setTimeout(r, 30));
          order.push(`record ${answer.id} ${answer.documentSha256 ? 'sha' : 'no sha'}`);
        },
      },
    );
    order.push('resolved');
    assert.deepEqual(order, ['fence', `record ${e.id} sha`, 'resolved']);
    const failed = await startDocument(
      client,
      { stepId: STEP.id, input: pdf(), priority: 'interactive' },
      {
        record: async () => {
          throw new Error('disk full');
        },
      },
    ).catch(err => err as unknown);
    assert.ok(failed instanceof StartNotRecordedError);
    assert.ok(
      standIn.executions().some(x => x.id === failed.execution.id),
      'the billed execution is named',
    );
  });

  it('with the step`s durations known, a single run costs at most 3 status polls (the fast schedule alone takes more)', async () => {
    const durations: number[] = [];
    const polls: number[] = [];
    for (let i = 0; i < 4; i++) {
      const started = await startDocument(
        client,
        { stepId: STEP.id, input: pdf(), priority: 'interactive' },
        { record: async () => {} },
      );
      const done = await followExecution(client, started.id, { durations: [...durations] });
      assert.equal(done.status, 'SUCCESS');
      const ms = executionDurationMs(done);
      assert.ok(ms !== undefined, 'DocuTray timestamps the execution');
      durations.push(ms);
      polls.push(standIn.executions().find(x => x.id === started.id)?.polls ?? -1);
    }
    // The first run knows nothing yet: the fast schedule, which looks this many times by the job's end.
    const fast = pollInstants(ADAPTIVE_SCHEDULE, STEP.enqueuedMs + STEP.processingMs).length;
    assert.ok(polls[0] >= fast, `first run polled ${polls[0]} times, the fast schedule ${fast}`);
    assert.ok(fast > 3, `the fast schedule looks ${fast} times by the end of this step`);
    for (const p of polls.slice(1)) {
      assert.ok(p >= 1 && p <= 3, `later runs polled ${polls.join(', ')} times`);
    }
  });
});
