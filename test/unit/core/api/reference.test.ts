/**
 * The client and the stand-in against DocuTray's official API reference (DocuTray's API reference, https://docs.docutray.com/docs/api): the key
 * check that proves the key (GET /api/usage), this month's usage, the formats, the errors, the
 * statuses and the step name — all over loopback, against the stand-in's default (reference) shapes.
 */
import * as assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DocuTrayClient } from '../../../../src/core/client/client';
import {
  AuthenticationError,
  BadRequestError,
  ContentTypeRefusedError,
  ExecutionAccessError,
  InvalidInputError,
  NotFoundError,
  QuotaExceededError,
  StepFailedError,
  TimeoutError,
  UrlDownloadTimeoutError,
} from '../../../../src/core/api/errors';
import { canonicalStatus, isTerminal, statusKind } from '../../../../src/core/api/execution';
import { parseUsage, usageQuery } from '../../../../src/core/api/usage';
import { prepareBody } from '../../../../src/core/documents/input';
import {
  SUPPORTED_EXTENSIONS,
  SUPPORTED_LABELS,
  isSupportedFileName,
  mimeFromName,
} from '../../../../src/core/documents/mime';
import { describeType, typeOfName } from '../../../../src/core/documents/typeNames';
import { displayStepName, stepToSave } from '../../../../src/core/runs/steps';
import { StandIn } from '../../../../stand-in/server';
import { KEY, SAMPLES, makeClient, rejection, useStandInClient } from '../client/support';
import { REPO } from '../../../repo';

const STEP = 'cm5vm9hx30001m5cgh0p9v8qa';
const PDF = { kind: 'bytes' as const, data: SAMPLES.pdf, fileName: 'invoice.pdf' };
const OTHER_KEY = 'dtOTHERORG_abcdefghijklmnopqrstuvwxyz0123';

describe('DocuTray API reference', () => {
  let standIn: StandIn;
  let client: DocuTrayClient;

  useStandInClient(
    {
      steps: [
        { id: STEP, name: 'Invoice Processing', outcome: { status: 'SUCCESS', data: { total: 1 } } },
        { id: 'only-mine', name: 'Mine', keys: [KEY], outcome: { status: 'SUCCESS', data: {} } },
        {
          id: 'webhook-words',
          enqueuedPolls: 1,
          statusWords: { SUCCESS: 'completed' },
          outcome: { status: 'SUCCESS', data: { ok: 1 } },
        },
        { id: 'webhook-failed', statusWords: { ERROR: 'Failed' }, outcome: { status: 'ERROR', error: 'Broken scan' } },
        {
          id: 'unknown-then-done',
          processingPolls: 2,
          statusWords: { PROCESSING: 'VALIDATING' },
          outcome: { status: 'SUCCESS', data: {} },
        },
        { id: 'unknown-forever', statusWords: { PROCESSING: 'VALIDATING' }, outcome: { status: 'NEVER' } },
      ],
      client: { retry: { maxRetries: 2, baseDelayMs: 5, maxDelayMs: 10 } },
    },
    f => ({ standIn, client } = f),
  );

  const paths = () => standIn.requests().map(r => `${r.method} ${r.path}`);

  describe('1. the key check is GET /api/usage', () => {
    it("a working key is accepted with this month's figures", async () => {
      const usage = await client.checkKey();
      const now = new Date();
      assert.deepEqual(usage, {
        year: now.getUTCFullYear(),
        month: now.getUTCMonth() + 1,
        successfulPages: 1234,
        successfulConversions: 89,
      });
      assert.deepEqual(paths(), ['GET /api/usage']);
    });

    it('a wrong key is refused (401 {"error":"Unauthorized"}), where /api/auth/ok would have said ok', async () => {
      const { client: wrong } = makeClient(standIn.url, { apiKey: 'dtWRONG_abcdefghijklmnopqrstuvwxyz01234' });
      const err = await rejection(wrong.checkKey());
      assert.ok(err instanceof AuthenticationError);
      assert.equal(err.serverMessage, 'Unauthorized');
      // The old check's route answers anyone: it could not have told.
      const authOk = await fetch(`${standIn.url}/api/auth/ok`, { headers: { authorization: 'Bearer dtWRONG' } });
      assert.equal(authOk.status, 200);
      assert.deepEqual(await authOk.json(), { ok: true });
    });

    it('counts executions that succeeded this month; other months by year and month together', async () => {
      await client.runStep(STEP, PDF, { schedule: { firstDelayMs: 0, minIntervalMs: 5, growth: 0, maxIntervalMs: 5 } });
      assert.equal((await client.getUsage()).successfulPages, 1235);
      const last = await client.getUsage({ year: 2020, month: 1 });
      assert.deepEqual(last, { year: 2020, month: 1, successfulPages: 0, successfulConversions: 0 });
      assert.ok(paths().includes('GET /api/usage'));
      assert.equal(standIn.requests().at(-1)?.query.month, '1');
      await assert.rejects(client.getUsage({ year: 2026 }), (e: InvalidInputError) => e.reason === 'badUsagePeriod');
      const half = await fetch(`${standIn.url}/api/usage?year=2026`, { headers: { authorization: `Bearer ${KEY}` } });
      assert.equal(half.status, 400);
    });

    it('reads the usage answer strictly', () => {
      assert.deepEqual(parseUsage({ year: 2026, month: 4, successful_pages: 1234, successful_conversions: 89 }), {
        year: 2026,
        month: 4,
        successfulPages: 1234,
        successfulConversions: 89,
      });
      assert.throws(() => parseUsage({ ok: true }), /usage answer/);
      assert.equal(usageQuery(), '');
      assert.equal(usageQuery({ year: 2026, month: 4 }), '?year=2026&month=4');
      assert.throws(() => usageQuery({ month: 4 }));
    });
  });

  describe('3. formats as the reference lists them', () => {
    it('one table: JPEG, PNG, GIF, BMP, WebP, PDF — no TIFF', () => {
      assert.deepEqual([...SUPPORTED_LABELS].sort(), ['BMP', 'GIF', 'JPEG', 'PDF', 'PNG', 'WebP']);
      assert.ok(!SUPPORTED_EXTENSIONS.some(e => e.startsWith('tif')));
      assert.equal(isSupportedFileName('scan.tif'), false);
      assert.equal(isSupportedFileName('scan.TIFF'), false);
    });

    it("the explorer menu and editor title offer exactly the table's extensions", () => {
      const pkg = JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')) as {
        contributes: { menus: Record<string, Array<{ command: string; when?: string }>> };
      };
      const clauses = Object.values(pkg.contributes.menus)
        .flat()
        .filter(m => m.command === 'docutray.runStep' && m.when?.includes('resourceExtname'));
      assert.ok(clauses.length >= 2, 'the run command appears where files are');
      for (const { when } of clauses) {
        const source = /resourceExtname =~ \/(.+)\/i/.exec(when ?? '')?.[1];
        assert.ok(source, when);
        const re = new RegExp(source, 'i');
        for (const ext of SUPPORTED_EXTENSIONS) {
          assert.ok(re.test(`.${ext}`), `${when} misses .${ext}`);
        }
        for (const ext of ['tif', 'tiff', 'txt', 'docx', 'heic']) {
          assert.ok(!re.test(`.${ext}`), `${when} offers .${ext}`);
        }
      }
    });

    it('a TIFF is refused locally, with the list, like any other type', async () => {
      const err = await rejection(prepareBody({ kind: 'bytes', data: SAMPLES.tiffLE, fileName: 'fax.tif' }));
      assert.ok(err instanceof InvalidInputError);
      assert.equal(err.reason, 'unsupportedType');
      assert.equal(
        err.message,
        'fax.tif is a TIFF image (image/tiff); DocuTray accepts PDF, PNG, JPEG, GIF, BMP, WebP.',
      );
    });

    it('the stand-in refuses a TIFF by default (the allowTiff switch keeps the old behaviour)', async () => {
      const tiff = { kind: 'base64' as const, data: SAMPLES.tiffLE.toString('base64'), contentType: 'image/tiff' };
      // The client would refuse it first; ask the stand-in directly.
      const res = await fetch(`${standIn.url}/api/steps-async/${STEP}`, {
        method: 'POST',
        headers: { authorization: `Bearer ${KEY}`, 'content-type': 'application/json' },
        body: JSON.stringify({ image_base64: tiff.data, image_content_type: tiff.contentType }),
      });
      assert.equal(res.status, 400);
      assert.deepEqual(await res.json(), {
        message: 'Validation error',
        errors: ['Unsupported file type: image/tiff. Supported types: PDF, JPEG, PNG, GIF, BMP, WebP'],
      });
      standIn.configure({ allowTiff: true });
      const allowed = await fetch(`${standIn.url}/api/steps-async/${STEP}`, {
        method: 'POST',
        headers: { authorization: `Bearer ${KEY}`, 'content-type': 'application/json' },
        body: JSON.stringify({ image_base64: tiff.data, image_content_type: tiff.contentType }),
      });
      assert.equal(allowed.status, 202);
    });
  });

  describe('8. mime-types names what a refused file is', () => {
    it('from the full database, not a hand-written list', async () => {
      assert.equal(
        mimeFromName('notes.docx'),
        'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
      );
      assert.equal(mimeFromName('clip.mkv'), 'video/x-matroska');
      assert.equal(mimeFromName('model.stl'), 'model/stl');
      assert.equal(mimeFromName('invoice.pdf'), 'application/pdf', 'the supported table answers first');
      assert.equal(typeOfName('mail.eml')?.description, 'an e-mail message');
      assert.equal(describeType('video/x-matroska', 'clip.mkv'), 'a video (video/x-matroska)');
      assert.equal(describeType('model/stl', 'model.stl'), '"model/stl"');
      const err = await rejection(
        prepareBody({ kind: 'bytes', data: Buffer.from('PK\x03\x04 a zip'), fileName: 'notes.docx' }),
      );
      assert.equal(
        err.message,
        'notes.docx is a Word document (application/vnd.openxmlformats-officedocument.wordprocessingml.document); DocuTray accepts PDF, PNG, JPEG, GIF, BMP, WebP.',
      );
    });

    it('the magic bytes stay the authority: a PNG named .docx is sent as a PNG', async () => {
      const body = await prepareBody({ kind: 'bytes', data: SAMPLES.png, fileName: 'picture.docx' });
      assert.equal(body.contentType, 'image/png');
    });

    it('the stand-in types an octet-stream part by its name from the full database (.dib is a bitmap)', async () => {
      const form = new FormData();
      form.append(
        'image',
        new Blob([Buffer.from('no signature at all, just bytes')], { type: 'application/octet-stream' }),
        'scan.dib',
      );
      const res = await fetch(`${standIn.url}/api/steps-async/${STEP}`, {
        method: 'POST',
        headers: { authorization: `Bearer ${KEY}` },
        body: form,
      });
      assert.equal(res.status, 202);
      assert.equal(standIn.executions()[0].contentType, 'image/bmp');
      const word = new FormData();
      word.append('image', new Blob([Buffer.from('PK\x03\x04')], { type: 'application/octet-stream' }), 'notes.docx');
      const refused = await fetch(`${standIn.url}/api/steps-async/${STEP}`, {
        method: 'POST',
        headers: { authorization: `Bearer ${KEY}` },
        body: word,
      });
      assert.equal(refused.status, 400);
    });
  });

  describe('4. errors as the reference defines them', () => {
    it('a start\'s 404 and 403 both name the step id ("Step not found or access denied")', async () => {
      const missing = await rejection(client.startStep('cm0000000000000000000none', PDF));
      assert.ok(missing instanceof NotFoundError);
      assert.equal(missing.status, 404);
      assert.equal(missing.serverMessage, 'Step not found or access denied');
      const { client: other } = makeClient(standIn.url, { apiKey: OTHER_KEY });
      standIn.configure({ apiKeys: [KEY, OTHER_KEY] });
      const forbidden = await rejection(other.startStep('only-mine', PDF));
      assert.ok(forbidden instanceof NotFoundError, `${forbidden.name}: ${forbidden.message}`);
      assert.equal(forbidden.resource, 'step');
      assert.equal(forbidden.resourceId, 'only-mine');
      assert.equal(forbidden.status, 403);
      assert.match(
        forbidden.message,
        /no step "only-mine" that this API key may use \(403: Step not found or access denied\)/,
      );
      assert.doesNotMatch(forbidden.message, /not allowed for your API key/);
      assert.deepEqual(standIn.starts(), []);
    });

    it("a status's 403: the execution belongs to another key or organisation", async () => {
      standIn.configure({ apiKeys: [KEY, OTHER_KEY] });
      const { id } = await client.startStep(STEP, PDF);
      const { client: other } = makeClient(standIn.url, { apiKey: OTHER_KEY });
      const err = await rejection(other.getStatus(id));
      assert.ok(err instanceof ExecutionAccessError);
      assert.equal(err.kind, 'permission');
      assert.equal(err.executionId, id);
      assert.match(err.message, /belongs to another API key or organisation \(403\): Access denied to this execution/);
    });

    it('402: the quota is used up, with used/quota/reset date, never retried', async () => {
      standIn.configure({ quotaExceeded: { quota: 1000, used: 1000, resetDate: '2026-12-01T00:00:00.000Z' } });
      const err = await rejection(client.startStep(STEP, PDF));
      assert.ok(err instanceof QuotaExceededError);
      assert.equal(err.kind, 'quotaExceeded');
      assert.deepEqual(err.info, { quota: 1000, used: 1000, resetDate: '2026-12-01T00:00:00.000Z' });
      assert.match(err.message, /quota is used up \(1000 of 1000 used\) \(402\)\. It resets on 2026-12-01/);
      assert.deepEqual(paths(), [`POST /api/steps-async/${STEP}`], 'one request: a 402 is not retried');
      // The key check is free: never refused for quota.
      assert.equal((await client.checkKey()).successfulPages, 1234);
    });

    it('408 on a URL run: DocuTray could not download the URL within 30 s', async () => {
      standIn.configure({ urlDownloadTimeout: true });
      const err = await rejection(client.startStep(STEP, { kind: 'url', url: 'https://slow.example.com/big.pdf' }));
      assert.ok(err instanceof UrlDownloadTimeoutError);
      assert.equal(err.url, 'https://slow.example.com/big.pdf');
      assert.equal(err.serverMessage, 'URL download timeout (30000ms)');
      assert.match(err.message, /could not download https:\/\/slow\.example\.com\/big\.pdf within 30 s \(408\)/);
      assert.equal(standIn.requests().length, 1, 'not retried');
      // A file upload is not affected by the URL switch.
      await client.startStep(STEP, PDF);
    });

    it("415: our request's content type was refused (a proxy rewriting it?), with the request id", async () => {
      standIn.addFaults({ kind: 'unsupportedContentType', match: { method: 'POST' } });
      const err = await rejection(client.startStep(STEP, PDF));
      assert.ok(err instanceof ContentTypeRefusedError);
      assert.equal(err.requestContentType, 'multipart/form-data');
      const requestId = standIn.requests()[0].requestId;
      assert.equal(err.requestId, requestId);
      assert.equal(err.serverMessage, 'Unsupported Content-Type. Use multipart/form-data or application/json.');
      assert.match(
        err.message,
        new RegExp(`content type \\(multipart/form-data\\) \\(415\\).*proxy.*Request id ${requestId}`),
      );
      assert.doesNotMatch(err.message, /file type|accepts PDF/);
    });

    it('400 errors[] are shown in full, with the message', async () => {
      const res = await fetch(`${standIn.url}/api/steps-async/${STEP}`, {
        method: 'POST',
        headers: { authorization: `Bearer ${KEY}`, 'content-type': 'application/json' },
        body: JSON.stringify({ image_url: 'https://x.test/a.pdf', image_base64: 'AAAA' }),
      });
      assert.deepEqual(await res.json(), {
        message: 'Validation error',
        errors: ['Provide only one of image_url and image_base64'],
      });
      const err = new BadRequestError(['Image file is required', 'document_metadata must be a JSON object'], {
        status: 400,
        serverMessage: 'Validation error',
      });
      assert.equal(
        err.message,
        'DocuTray rejected the request (400): Validation error: Image file is required; document_metadata must be a JSON object',
      );
    });
  });

  describe('5. statuses', () => {
    const fast = { schedule: { firstDelayMs: 0, minIntervalMs: 5, growth: 0, maxIntervalMs: 5 } };

    it('completed/success/failed/error in any case end an execution', () => {
      for (const s of ['completed', 'COMPLETED', 'Success', 'SUCCESS']) {
        assert.equal(statusKind(s), 'succeeded', s);
        assert.equal(canonicalStatus(s), 'SUCCESS');
      }
      for (const s of ['failed', 'Failed', 'error', 'ERROR']) {
        assert.equal(statusKind(s), 'failed', s);
        assert.equal(canonicalStatus(s), 'ERROR');
      }
      assert.equal(isTerminal('VALIDATING'), false);
      assert.equal(statusKind('validating'), 'unknown');
    });

    it('"completed" from the service ends the run with its result; the word sent stays in raw', async () => {
      const e = await client.runStep('webhook-words', PDF, fast);
      assert.equal(e.status, 'SUCCESS');
      assert.equal(e.raw.status, 'completed');
      assert.deepEqual(e.data, { ok: 1 });
    });

    it('"Failed" from the service is a failed step, not a wait until the timeout', async () => {
      const started = Date.now();
      const err = await rejection(client.runStep('webhook-failed', PDF, { ...fast, timeoutMs: 10_000 }));
      assert.ok(err instanceof StepFailedError);
      assert.equal(err.failure.message, 'Broken scan');
      assert.ok(Date.now() - started < 5000);
    });

    it('an unknown status is reported and polled on, until the step ends', async () => {
      const seen: string[] = [];
      const e = await client.runStep('unknown-then-done', PDF, { ...fast, onStatus: x => seen.push(x.status) });
      assert.equal(e.status, 'SUCCESS');
      assert.ok(seen.includes('VALIDATING'), seen.join());
    });

    it('an unknown status that never changes is polled until the timeout', async () => {
      const err = await rejection(client.runStep('unknown-forever', PDF, { ...fast, timeoutMs: 500 }));
      assert.ok(err instanceof TimeoutError);
      // Polled on (every 5 ms here), then one last look at the deadline; a loaded machine may manage few.
      assert.ok(standIn.executions()[0].polls >= 2, `${standIn.executions()[0].polls} polls`);
    });
  });

  describe('6. step_name', () => {
    it('a start answers {id, status, step_id, step_name}; the client keeps the name', async () => {
      const started = await client.startStep(STEP, PDF);
      assert.deepEqual(started.raw, {
        id: started.id,
        status: 'ENQUEUED',
        step_id: STEP,
        step_name: 'Invoice Processing',
      });
      assert.equal(started.stepName, 'Invoice Processing');
    });

    it("the status answers the reference's snake_case record with conversion_id", async () => {
      const { id } = await client.startStep(STEP, PDF);
      const res = await fetch(`${standIn.url}/api/steps-async/status/${id}`, {
        headers: { authorization: `Bearer ${KEY}` },
      });
      const body = (await res.json()) as Record<string, unknown>;
      assert.deepEqual(Object.keys(body).sort(), [
        'conversion_id',
        'data',
        'error',
        'original_filename',
        'request_timestamp',
        'response_timestamp',
        'status',
      ]);
      assert.equal(body.conversion_id, id);
    });

    it("a run shows the user's name for a configured step, DocuTray's for an id typed by hand", () => {
      assert.equal(displayStepName({ id: STEP, name: STEP }, 'Invoice Processing'), 'Invoice Processing');
      assert.equal(displayStepName({ id: STEP, name: 'My invoices' }, 'Invoice Processing'), 'My invoices');
      assert.equal(displayStepName({ id: STEP, name: STEP }, undefined), STEP);
      assert.equal(displayStepName({ id: STEP, name: STEP }, '  '), STEP);
    });

    it('a hand-typed step id that DocuTray names is offered for docutray.steps under that name', () => {
      assert.deepEqual(stepToSave([], STEP, 'Invoice Processing'), { id: STEP, name: 'Invoice Processing' });
      assert.equal(
        stepToSave([{ id: STEP, name: 'Mine' }], STEP, 'Invoice Processing'),
        undefined,
        'configured already',
      );
      assert.equal(stepToSave([], STEP, STEP), undefined, 'no name of its own');
      assert.equal(stepToSave([], STEP, undefined), undefined);
    });
  });
});
