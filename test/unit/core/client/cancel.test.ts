/**
 * Time and cancellation: the polling timeout, and a cancel during the upload, while waiting for the
 * start's answer, and during polling. A cancelled upload never becomes an execution; a cancelled wait
 * asks nothing more.
 */
import * as assert from 'node:assert/strict';
import { closeSync, openSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { DocuTrayClient } from '../../../../src/core/client/client';
import { CancelledError, InvalidInputError, TimeoutError } from '../../../../src/core/api/errors';
import { MAX_UPLOAD_BYTES } from '../../../../src/core/documents/mime';
import { StandIn, startStandIn } from '../../../../stand-in/server';
import { KEY, SAMPLES, TempDir, assertNoKey, delay, makeClient, rejection } from './support';

const PDF = { kind: 'bytes' as const, data: SAMPLES.pdf, fileName: 'a.pdf' };
const STATUS_PATH = '/api/steps-async/status/';

describe('client timeouts and cancellation', () => {
  let standIn: StandIn;
  let client: DocuTrayClient;
  let logs: string[];
  const tmp = new TempDir();
  let bigFile: string;

  before(async () => {
    standIn = await startStandIn({ port: 0, apiKeys: [KEY] });
    // 24 MB of real bytes after a PDF header: big enough that an upload is still going when aborted.
    bigFile = join(tmp.path, 'big.pdf');
    const fd = openSync(bigFile, 'w');
    writeSync(fd, SAMPLES.pdf);
    const chunk = Buffer.alloc(1024 * 1024, 0x30);
    for (let i = 0; i < 24; i++) {
      writeSync(fd, chunk);
    }
    closeSync(fd);
  });
  after(async () => {
    await standIn.close();
    tmp.remove();
  });
  beforeEach(() => {
    standIn.reset();
    standIn.setSteps([
      { id: 'step_never', outcome: { status: 'NEVER' } },
      { id: 'step_ok', outcome: { status: 'SUCCESS', data: {} } },
    ]);
    ({ client, logs } = makeClient(standIn.url));
  });

  const statusGets = () => standIn.requests().filter(r => r.method === 'GET' && r.path.startsWith(STATUS_PATH));

  it('gives up polling after timeoutMs with TimeoutError; the execution is left running', async () => {
    const t0 = Date.now();
    const err = await rejection(client.runStep('step_never', PDF, { timeoutMs: 1200 }));
    const took = Date.now() - t0;
    assert.ok(err instanceof TimeoutError, `${err?.name}: ${err?.message}`);
    assert.match(err.message, /exec_\d+ did not finish within 1 s/);
    assert.equal(err.executionId, standIn.executions()[0].id);
    assert.ok(took >= 1100 && took < 2500, `took ${took} ms`);
    assert.ok(statusGets().length >= 4, `${statusGets().length} polls`);
    assert.equal(standIn.executions()[0].status, 'PROCESSING');
    assertNoKey(err, logs);
  });

  it('cancels during the upload: the stand-in never creates an execution', async () => {
    const controller = new AbortController();
    let progressCalls = 0;
    const err = await rejection(
      client.startStep(
        'step_ok',
        { kind: 'path', path: bigFile },
        {
          signal: controller.signal,
          onUploadProgress: () => {
            progressCalls++;
            controller.abort();
          },
        },
      ),
    );
    assert.ok(err instanceof CancelledError, `${err?.name}: ${err?.message}`);
    assert.equal(err.mayHaveStarted, false);
    assert.ok(progressCalls >= 1 && progressCalls <= 3, `${progressCalls} progress calls`);
    await delay(200);
    assert.deepEqual(standIn.executions(), []);
    assert.deepEqual(standIn.starts(), []);
    const posts = standIn.requests().filter(r => r.method === 'POST');
    assert.ok(posts.length <= 1);
    assert.ok(
      posts.every(r => r.status === 'aborted'),
      JSON.stringify(posts.map(r => r.status)),
    );
    assertNoKey(err, logs);
  });

  it("cancels while waiting for the start's answer: CancelledError says the step may have started", async () => {
    standIn.addFaults({ kind: 'delay', ms: 3000, match: { method: 'POST' } });
    const controller = new AbortController();
    const p = client.startStep('step_ok', PDF, { signal: controller.signal });
    await delay(150);
    controller.abort();
    const err = await rejection(p);
    assert.ok(err instanceof CancelledError);
    assert.equal(err.mayHaveStarted, true);
    assert.match(err.message, /may have started/);
  });

  it('cancels during polling: no status request after the abort', async () => {
    const controller = new AbortController();
    let abortedAt = 0;
    let seen = 0;
    const p = client.runStep('step_never', PDF, {
      signal: controller.signal,
      onStatus: () => {
        if (++seen === 3) {
          abortedAt = Date.now();
          controller.abort();
        }
      },
    });
    const err = await rejection(p);
    assert.ok(err instanceof CancelledError);
    assert.ok(Date.now() - abortedAt < 100, 'at once');
    const count = statusGets().length;
    await delay(800);
    assert.equal(statusGets().length, count, 'no further status requests');
    assert.equal(count, 2, "the start's status, then two polls");
  });

  it('cancels a status request in flight', async () => {
    const started = await client.startStep('step_never', PDF);
    standIn.addFaults({ kind: 'delay', ms: 3000, match: { path: STATUS_PATH } });
    const controller = new AbortController();
    const p = client.waitForCompletion(started.id, { signal: controller.signal });
    await delay(400);
    const t0 = Date.now();
    controller.abort();
    const err = await rejection(p);
    assert.ok(err instanceof CancelledError);
    assert.equal(err.mayHaveStarted, false);
    assert.ok(Date.now() - t0 < 100);
    await delay(100);
    assert.equal(statusGets().length, 1);
  });

  it('stops a stream of unknown size at 100 MB with InvalidInputError; nothing is created', async function () {
    this.timeout(30_000);
    const chunk = Buffer.alloc(4 * 1024 * 1024, 0x31);
    const chunks = Math.ceil(MAX_UPLOAD_BYTES / chunk.length) + 1;
    async function* source() {
      yield SAMPLES.pdf;
      for (let i = 0; i < chunks; i++) {
        yield chunk;
      }
    }
    const err = await rejection(
      client.startStep('step_ok', { kind: 'stream', stream: Readable.from(source()), fileName: 'endless.pdf' }),
    );
    assert.ok(err instanceof InvalidInputError, `${err?.name}: ${err?.message}`);
    assert.equal(err.reason, 'tooLarge');
    assert.match(err.message, /endless\.pdf.*100 MB/);
    await delay(100);
    assert.deepEqual(standIn.executions(), []);
  });
});
