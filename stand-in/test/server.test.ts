/**
 * The DocuTray stand-in itself, over real HTTP with plain fetch: what it accepts and refuses, how
 * scripted executions play out, each injected fault, and what the control API reports.
 */
import * as assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { MultipartParser, type PartInfo } from '../multipart';
import { DEFAULT_STEPS, LEGACY_WIRE, startStandIn, type StandIn, type StepScript } from '../server';

type Json = Record<string, unknown>;

const KEY = 'unit-key';
const AUTH = { authorization: `Bearer ${KEY}` };

const STEPS: StepScript[] = [
  {
    id: 'polls',
    name: 'Poll-scripted',
    enqueuedPolls: 1,
    processingPolls: 2,
    progress: true,
    outcome: { status: 'SUCCESS', data: { total: 42, currency: 'EUR' } },
  },
  { id: 'instant', outcome: { status: 'SUCCESS', data: { ok: true } } },
  { id: 'timed', enqueuedMs: 200, processingMs: 200, outcome: { status: 'SUCCESS', data: { timed: true } } },
  {
    id: 'fails',
    outcome: { status: 'ERROR', error: { step: 'extract', code: 'EXTRACTION_FAILED', message: 'No invoice found' } },
  },
  { id: 'fails-text', outcome: { status: 'ERROR', error: 'The document could not be processed' } },
  { id: 'never', processingMs: 1000, progress: 'object', outcome: { status: 'NEVER' } },
  { id: 'a b/c', name: 'Odd id', outcome: { status: 'SUCCESS', data: {} } },
];

function pdf(tag: string): Buffer {
  return Buffer.from(
    `%PDF-1.4\n% ${tag}\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n`,
    'latin1',
  );
}
const PNG = Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), Buffer.alloc(32, 7)]);
const TIFF = Buffer.concat([Buffer.from([0x49, 0x49, 0x2a, 0x00]), Buffer.alloc(32, 1)]);

function sha256(data: string | Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

function sleep(ms: number): Promise<void> {
  return new Promise(r => setTimeout(r, ms));
}

interface RawPart {
  name: string;
  data: Buffer | string;
  filename?: string;
  filenameStar?: string;
  type?: string;
}

/** A multipart body built by hand, for what FormData cannot express (no part type, RFC 5987 names). */
function multipart(parts: RawPart[]): { body: Buffer; type: string } {
  const boundary = 'unitBoundary7MA4YWxkTrZu0gW';
  const chunks: Buffer[] = [];
  for (const p of parts) {
    let head = `--${boundary}\r\nContent-Disposition: form-data; name="${p.name}"`;
    if (p.filename !== undefined) {
      head += `; filename="${p.filename}"`;
    }
    if (p.filenameStar !== undefined) {
      head += `; filename*=UTF-8''${encodeURIComponent(p.filenameStar)}`;
    }
    head += p.type ? `\r\nContent-Type: ${p.type}\r\n\r\n` : '\r\n\r\n';
    chunks.push(Buffer.from(head, 'utf8'), Buffer.from(p.data), Buffer.from('\r\n'));
  }
  chunks.push(Buffer.from(`--${boundary}--\r\n`));
  return { body: Buffer.concat(chunks), type: `multipart/form-data; boundary=${boundary}` };
}

function form(file: Buffer, filename: string, type = 'application/pdf', fields: Record<string, string> = {}): FormData {
  const f = new FormData();
  for (const [k, v] of Object.entries(fields)) {
    f.append(k, v);
  }
  f.append('image', new Blob([new Uint8Array(file)], { type }), filename);
  return f;
}

interface Answer {
  status: number;
  headers: Headers;
  body: Json;
  text: string;
}

function uploadStream(
  url: string,
  contentType: string,
  length: number,
  source: AsyncIterable<Buffer>,
): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      { method: 'POST', headers: { ...AUTH, 'content-type': contentType, 'content-length': String(length) } },
      res => {
        const parts: Buffer[] = [];
        res.on('data', (c: Buffer) => parts.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(parts).toString('utf8') }));
        res.on('error', reject);
      },
    );
    pipeline(Readable.from(source), req).catch(reject);
  });
}

describe('DocuTray stand-in', function () {
  this.timeout(20000);
  let si: StandIn;

  async function call(
    method: string,
    path: string,
    init: { body?: BodyInit; headers?: Record<string, string> } = {},
  ): Promise<Answer> {
    const res = await fetch(`${si.url}${path}`, { method, body: init.body, headers: init.headers });
    const text = await res.text();
    let body: Json = {};
    try {
      body = JSON.parse(text) as Json;
    } catch {
      // Left empty: the html and malformed-JSON faults are asserted through `text`.
    }
    return { status: res.status, headers: res.headers, body, text };
  }

  const startForm = (stepId: string, f: FormData) =>
    call('POST', `/api/steps-async/${stepId}`, { body: f, headers: AUTH });
  const startRaw = (stepId: string, m: { body: Buffer; type: string }) =>
    call('POST', `/api/steps-async/${stepId}`, {
      body: new Uint8Array(m.body),
      headers: { ...AUTH, 'content-type': m.type },
    });
  const startJson = (stepId: string, json: unknown) =>
    call('POST', `/api/steps-async/${encodeURIComponent(stepId)}`, {
      body: JSON.stringify(json),
      headers: { ...AUTH, 'content-type': 'application/json' },
    });
  const status = (id: string) => call('GET', `/api/steps-async/status/${id}`, { headers: AUTH });

  before(async () => {
    si = await startStandIn({ port: 0, apiKeys: [KEY, 'second-key'], config: { steps: STEPS } });
  });
  after(async () => {
    await si.close();
  });
  beforeEach(() => {
    si.reset();
    // These tests pin the older wire shapes, which stay as switches (the reference's are tested in stand-in-reference.test.ts).
    si.configure({ ...LEGACY_WIRE, maxUploadBytes: 100 * 1024 * 1024 });
  });

  describe('auth', () => {
    it('refuses a missing or wrong key with 401, accepts every configured key', async () => {
      const none = await call('GET', '/api/usage');
      assert.equal(none.status, 401);
      assert.deepEqual(none.body, { message: 'Unauthorized', error: 'Unauthorized' });
      const wrong = await call('GET', '/api/usage', { headers: { authorization: 'Bearer nope' } });
      assert.equal(wrong.status, 401);
      for (const key of [KEY, 'second-key']) {
        const ok = await call('GET', '/api/usage', { headers: { authorization: `Bearer ${key}` } });
        assert.equal(ok.status, 200);
        assert.deepEqual(Object.keys(ok.body).sort(), ['month', 'successful_conversions', 'successful_pages', 'year']);
      }
      assert.equal((await startJson('instant', { image_url: 'https://x.test/a.pdf' })).status, 202);
      const noKey = await call('POST', '/api/steps-async/instant', {
        body: '{}',
        headers: { 'content-type': 'application/json' },
      });
      assert.equal(noKey.status, 401);
      assert.deepEqual(noKey.body, { message: 'Invalid API key', error: 'Invalid API key' });
    });

    it('labels every response: application/json and X-Request-ID req_<n>', async () => {
      const a = await call('GET', '/api/usage', { headers: AUTH });
      const b = await call('GET', '/api/nothing-here', { headers: AUTH });
      assert.equal(a.headers.get('content-type'), 'application/json');
      assert.match(a.headers.get('x-request-id') ?? '', /^req_\d+$/);
      assert.equal(b.status, 404);
      assert.notEqual(a.headers.get('x-request-id'), b.headers.get('x-request-id'));
      assert.deepEqual(
        si.requests().map(r => r.requestId),
        [a.headers.get('x-request-id'), b.headers.get('x-request-id')],
      );
    });

    it('answers nested error bodies with errorStyle "nested"', async () => {
      si.configure({ errorStyle: 'nested' });
      const res = await call('POST', '/api/steps-async/instant', {
        body: '{}',
        headers: { 'content-type': 'application/json' },
      });
      assert.deepEqual(res.body, { error: { code: 'INVALID_API_KEY', message: 'Invalid API key' } });
      const missing = await startRaw('instant', multipart([{ name: 'file', filename: 'a.pdf', data: pdf('n') }]));
      assert.deepEqual(missing.body, {
        error: { code: 'INVALID_REQUEST', message: 'Validation error', errors: ['Image file is required'] },
      });
    });
  });

  describe('starting and polling', () => {
    it('starts from multipart (202), then plays ENQUEUED → PROCESSING → SUCCESS poll by poll', async () => {
      const file = pdf('flow');
      const started = await startForm(
        'polls',
        form(file, 'factura-ñandú 請求書.pdf', 'application/pdf', {
          document_metadata: '{"source":"unit"}',
          webhook_url: 'https://hook.test/x',
          wait: 'false',
        }),
      );
      assert.equal(started.status, 202);
      const id = started.body.id as string;
      assert.match(id, /^exec_\d+$/);
      assert.deepEqual(
        { ...started.body, requestTimestamp: undefined },
        {
          id,
          status: 'ENQUEUED',
          step_id: 'polls',
          step_name: 'Poll-scripted',
          requestTimestamp: undefined,
          responseTimestamp: null,
          originalFilename: 'factura-ñandú 請求書.pdf',
          data: null,
          error: null,
        },
      );
      assert.ok(!Number.isNaN(Date.parse(started.body.requestTimestamp as string)));

      const seen = [];
      for (let i = 0; i < 5; i++) {
        const s = await status(id);
        assert.equal(s.status, 200);
        assert.equal(s.body.id, id);
        assert.equal(s.body.conversion_id, id);
        seen.push([s.body.status, s.body.progress]);
        if (s.body.status === 'SUCCESS') {
          assert.deepEqual(s.body.data, { total: 42, currency: 'EUR' });
          assert.equal(s.body.error, null);
          assert.ok(typeof s.body.responseTimestamp === 'string');
        }
      }
      assert.deepEqual(seen, [
        ['ENQUEUED', 0],
        ['PROCESSING', 50],
        ['PROCESSING', 99],
        ['SUCCESS', 100],
        ['SUCCESS', 100],
      ]);

      const [exec] = si.executions();
      assert.equal(exec.id, id);
      assert.equal(exec.status, 'SUCCESS');
      assert.equal(exec.polls, 5);
      assert.ok(
        exec.completedAt !== undefined &&
          exec.terminalServedAt !== undefined &&
          exec.terminalServedAt >= exec.completedAt,
      );
      assert.equal(exec.sha256, sha256(file));

      const post = si.requests()[0];
      assert.equal(post.method, 'POST');
      assert.equal(post.path, '/api/steps-async/polls');
      assert.equal(post.headers.authorization, `Bearer ${KEY}`);
      assert.match(post.headers['content-type'], /^multipart\/form-data; boundary=/);
      assert.deepEqual(post.multipart, {
        fields: { document_metadata: '{"source":"unit"}', webhook_url: 'https://hook.test/x', wait: 'false' },
        files: [
          {
            field: 'image',
            filename: 'factura-ñandú 請求書.pdf',
            contentType: 'application/pdf',
            size: file.length,
            sha256: sha256(file),
          },
        ],
      });
    });

    it('runs time-scripted steps on the clock from the start request, with exact completedAt', async () => {
      const started = await startJson('timed', { image_url: 'https://x.test/t.pdf' });
      const id = started.body.id as string;
      const createdAt = si.executions()[0].createdAt;
      const until = (ms: number) => sleep(Math.max(0, createdAt + ms - Date.now()));
      assert.equal((await status(id)).body.status, 'ENQUEUED');
      await until(300);
      assert.equal((await status(id)).body.status, 'PROCESSING');
      await until(420);
      assert.equal(si.executions()[0].status, 'SUCCESS', 'the control API sees it done before any poll');
      const done = await status(id);
      assert.equal(done.body.status, 'SUCCESS');
      const exec = si.executions()[0];
      assert.equal(exec.completedAt, createdAt + 400);
      assert.equal(done.body.responseTimestamp, new Date(createdAt + 400).toISOString());
    });

    it('reports ERROR with an object or a string error, and NEVER stays PROCESSING', async () => {
      const failed = await status((await startJson('fails', { image_url: 'https://x.test/a.pdf' })).body.id as string);
      assert.equal(failed.body.status, 'ERROR');
      assert.deepEqual(failed.body.error, { step: 'extract', code: 'EXTRACTION_FAILED', message: 'No invoice found' });
      assert.equal(failed.body.data, null);
      assert.ok(typeof failed.body.responseTimestamp === 'string');
      const text = await status(
        (await startJson('fails-text', { image_url: 'https://x.test/a.pdf' })).body.id as string,
      );
      assert.equal(text.body.error, 'The document could not be processed');
      const never = (await startJson('never', { image_url: 'https://x.test/a.pdf' })).body.id as string;
      for (let i = 0; i < 3; i++) {
        const s = await status(never);
        assert.equal(s.body.status, 'PROCESSING');
        assert.equal(s.body.responseTimestamp, null);
        assert.deepEqual(Object.keys(s.body.progress as Json), [
          'current_step',
          'total_steps',
          'step_name',
          'percentage',
        ]);
      }
    });

    it('starts from JSON image_url without fetching it; the start is counted by the URL hash', async () => {
      const url = 'https://example.com/docs/invoice%2042.pdf?sig=1';
      const res = await startJson('instant', { image_url: url, document_metadata: { a: 1 } });
      assert.equal(res.status, 202);
      assert.equal(res.body.originalFilename, 'invoice 42.pdf');
      assert.deepEqual(si.starts(), [{ stepId: 'instant', hash: sha256(url), count: 1 }]);
      assert.deepEqual(si.requests()[0].json, { image_url: url, document_metadata: { a: 1 } });
      assert.equal(si.executions()[0].contentType, 'application/pdf');
      const png = await startJson('instant', {
        image_url: 'https://example.com/scan',
        image_content_type: 'image/png',
      });
      assert.equal(png.status, 202);
      assert.equal(si.executions()[1].contentType, 'image/png');
      assert.equal((await startJson('instant', { image_url: 'ftp://example.com/a.pdf' })).status, 400);
      assert.equal((await startJson('instant', { image_url: 'https://example.com/notes.txt' })).status, 415);
    });

    it('starts from JSON image_base64 (with or without a data: prefix), typed by its bytes', async () => {
      const file = pdf('b64');
      for (const b64 of [file.toString('base64'), `data:application/pdf;base64,${file.toString('base64')}`]) {
        const res = await startJson('instant', { image_base64: b64 });
        assert.equal(res.status, 202, res.text);
        assert.equal(res.body.originalFilename, null);
      }
      assert.deepEqual(si.starts(), [{ stepId: 'instant', hash: sha256(file), count: 2 }]);
      assert.equal(
        (await startJson('instant', { image_base64: PNG.toString('base64'), image_content_type: 'application/pdf' }))
          .status,
        202,
      );
      assert.equal(si.executions()[2].contentType, 'image/png', 'magic bytes win over the declared type');
      const bad = await startJson('instant', { image_base64: 'not base64!!' });
      assert.deepEqual(bad.body, { message: 'Validation error', errors: ['image_base64 is not valid base64'] });
      const unknown = await startJson('instant', { image_base64: Buffer.from('plain text').toString('base64') });
      assert.equal(unknown.status, 415);
    });

    it('decodes the step id from the path', async () => {
      const res = await startJson('a b/c', { image_url: 'https://x.test/a.pdf' });
      assert.equal(res.status, 202);
      assert.equal(res.body.step_id, 'a b/c');
      assert.equal(si.requests()[0].path, '/api/steps-async/a%20b%2Fc');
    });

    it('serves the status id as configured, optionally enveloped, optionally snake_case', async () => {
      const id = (await startJson('instant', { image_url: 'https://x.test/a.pdf' })).body.id as string;
      si.configure({ statusIdField: 'conversion_id' });
      let s = await status(id);
      assert.equal(s.body.conversion_id, id);
      assert.ok(!('id' in s.body));
      si.configure({ statusIdField: 'execution_id', envelope: true, timestampStyle: 'snake' });
      s = await status(id);
      const inner = s.body.data as Json;
      assert.deepEqual(Object.keys(s.body), ['data']);
      assert.equal(inner.execution_id, id);
      assert.equal(inner.original_filename, 'a.pdf');
      assert.equal(inner.step_id, 'instant');
      assert.ok(typeof inner.request_timestamp === 'string' && typeof inner.response_timestamp === 'string');
      assert.ok(!('requestTimestamp' in inner));
    });
  });

  describe('refusals', () => {
    it('400 when there is no image part (a part named "file")', async () => {
      const res = await startRaw(
        'instant',
        multipart([{ name: 'file', filename: 'a.pdf', type: 'application/pdf', data: pdf('f') }]),
      );
      assert.equal(res.status, 400);
      assert.deepEqual(res.body, { message: 'Validation error', errors: ['Image file is required'] });
      assert.equal(si.executions().length, 0);
      assert.equal(si.requests()[0].multipart?.files[0].field, 'file');
    });

    it('400 for document_metadata that is not a JSON object, and for an empty file', async () => {
      for (const meta of ['[1,2]', 'not json', '"text"']) {
        const res = await startForm('instant', form(pdf('m'), 'a.pdf', 'application/pdf', { document_metadata: meta }));
        assert.deepEqual(res.body, {
          message: 'Validation error',
          errors: ['document_metadata must be a JSON object'],
        });
      }
      const json = await startJson('instant', { image_url: 'https://x.test/a.pdf', document_metadata: 'x' });
      assert.deepEqual(json.body, { message: 'Validation error', errors: ['document_metadata must be a JSON object'] });
      const empty = await startForm('instant', form(Buffer.alloc(0), 'a.pdf'));
      assert.deepEqual(empty.body, { message: 'Validation error', errors: ['Image file is empty'] });
      const both = await startJson('instant', { image_url: 'https://x.test/a.pdf', image_base64: 'AAAA' });
      assert.equal(both.status, 400);
      const neither = await startJson('instant', { document_metadata: {} });
      assert.deepEqual(neither.body, { message: 'Validation error', errors: ['Image file is required'] });
    });

    it('404 for an unknown step or execution', async () => {
      const step = await startForm('no-such-step', form(pdf('x'), 'a.pdf'));
      assert.equal(step.status, 404);
      assert.deepEqual(step.body, { message: 'Step not found', error: 'STEP_NOT_FOUND' });
      const exec = await status('exec_999999');
      assert.equal(exec.status, 404);
      assert.deepEqual(exec.body, { message: 'Execution not found', error: 'EXECUTION_NOT_FOUND' });
    });

    it('413 above maxUploadBytes (multipart and base64)', async () => {
      si.configure({ maxUploadBytes: 1000 });
      const big = Buffer.concat([pdf('big'), Buffer.alloc(2000, 0x20)]);
      const res = await startForm('instant', form(big, 'big.pdf'));
      assert.equal(res.status, 413);
      assert.deepEqual(res.body, { message: 'File too large', error: 'FILE_TOO_LARGE' });
      assert.equal((await startJson('instant', { image_base64: big.toString('base64') })).status, 413);
      assert.equal((await startForm('instant', form(pdf('small'), 'small.pdf'))).status, 202);
      assert.equal(si.requests()[0].multipart?.files[0].size, big.length);
    });

    it('415 for types other than pdf/jpeg/png/gif/bmp/webp(/tiff)', async () => {
      const text = await startForm('instant', form(Buffer.from('just some notes'), 'notes.txt', 'text/plain'));
      assert.equal(text.status, 415);
      assert.deepEqual(text.body, { message: 'Unsupported format', error: 'UNSUPPORTED_FORMAT' });
      assert.equal((await startForm('instant', form(TIFF, 'scan.tiff', 'image/tiff'))).status, 202);
      si.configure({ allowTiff: false });
      assert.equal((await startForm('instant', form(TIFF, 'scan.tiff', 'image/tiff'))).status, 415);
      const other = await call('POST', '/api/steps-async/instant', {
        body: 'x',
        headers: { ...AUTH, 'content-type': 'text/plain' },
      });
      assert.equal(other.status, 415);
    });

    it('detects the type from magic bytes, then a specific part type, then the file name', async () => {
      // No part Content-Type, and octet-stream (what the Node SDK and CLI send): bytes or name decide.
      const cases: Array<[RawPart, number]> = [
        [{ name: 'image', filename: 'x.bin', data: PNG }, 202],
        [
          {
            name: 'image',
            filename: 'doc.pdf',
            type: 'application/octet-stream',
            data: Buffer.from('not really a pdf'),
          },
          202,
        ],
        [{ name: 'image', filename: 'doc.pdf', type: 'text/plain', data: Buffer.from('not really a pdf') }, 415],
        [{ name: 'image', filename: 'doc', type: 'application/octet-stream', data: Buffer.from('???') }, 415],
      ];
      for (const [part, expected] of cases) {
        const res = await startRaw('instant', multipart([part]));
        assert.equal(res.status, expected, `${part.filename} ${part.type ?? '(no type)'}: ${res.text}`);
      }
    });

    it('reads RFC 5987 filename*= (it wins over filename=)', async () => {
      const res = await startRaw(
        'instant',
        multipart([
          {
            name: 'image',
            filename: 'fallback.pdf',
            filenameStar: 'résumé 履歴書.pdf',
            type: 'application/pdf',
            data: pdf('r'),
          },
        ]),
      );
      assert.equal(res.status, 202);
      assert.equal(res.body.originalFilename, 'résumé 履歴書.pdf');
      assert.equal(si.requests()[0].multipart?.files[0].filename, 'résumé 履歴書.pdf');
    });

    it('400 for a truncated multipart body', async () => {
      const { body, type } = multipart([{ name: 'image', filename: 'a.pdf', data: pdf('t') }]);
      const res = await startRaw('instant', { body: body.subarray(0, body.length - 20), type });
      assert.equal(res.status, 400);
      assert.match((res.body.errors as string[])[0], /closing boundary/);
    });
  });

  describe('faults', () => {
    it('rateLimit: 429 with Retry-After and the X-RateLimit headers and body', async () => {
      si.addFaults({ kind: 'rateLimit', retryAfter: 7 });
      const before = Math.floor(Date.now() / 1000);
      const res = await call('GET', '/api/usage', { headers: AUTH });
      assert.equal(res.status, 429);
      assert.equal(res.headers.get('retry-after'), '7');
      assert.equal(res.headers.get('x-ratelimit-limit'), '60');
      assert.equal(res.headers.get('x-ratelimit-remaining'), '0');
      assert.equal(res.headers.get('x-ratelimit-limit-type'), 'minute');
      const reset = Number(res.headers.get('x-ratelimit-reset'));
      assert.ok(reset >= before + 7 && reset <= before + 9);
      assert.deepEqual(res.body, {
        message: 'Rate limit exceeded',
        error: 'Rate limit exceeded',
        limitType: 'minute',
        limit: 60,
        remaining: 0,
        resetTime: reset,
        retryAfter: 7,
      });
      assert.equal(
        (await call('GET', '/api/usage', { headers: AUTH })).status,
        200,
        'count 1: the next request is normal',
      );

      si.addFaults({ kind: 'rateLimit', retryAfter: 'http-date', retryAfterSeconds: 30 });
      const dated = await call('GET', '/api/usage', { headers: AUTH });
      const at = Date.parse(dated.headers.get('retry-after') ?? '');
      assert.ok(Math.abs(at - (Date.now() + 30000)) < 2000, dated.headers.get('retry-after') ?? '');
      assert.equal(si.requests()[0].fault, 'rateLimit');
    });

    it('serverError: that status count times, only for matching requests, then normal', async () => {
      si.addFaults({
        kind: 'serverError',
        status: 503,
        retryAfter: 2,
        count: 2,
        match: { method: 'POST', path: '/api/steps-async/' },
      });
      assert.equal((await call('GET', '/api/usage', { headers: AUTH })).status, 200, 'a GET does not match');
      for (let i = 0; i < 2; i++) {
        const res = await startJson('instant', { image_url: 'https://x.test/a.pdf' });
        assert.equal(res.status, 503);
        assert.equal(res.headers.get('retry-after'), '2');
        assert.deepEqual(res.body, { message: 'Error processing request', error: 'Error processing request' });
      }
      assert.equal((await startJson('instant', { image_url: 'https://x.test/a.pdf' })).status, 202);
      assert.equal(si.executions().length, 1, 'the failed starts created nothing');
      si.addFaults({ kind: 'serverError', status: 501 });
      assert.equal((await call('GET', '/api/usage', { headers: AUTH })).status, 501);
    });

    it("serverError notInitiated: DocuTray's own answer to a start it could not create; nothing starts", async () => {
      si.addFaults({ kind: 'serverError', notInitiated: true, match: { method: 'POST' } });
      const res = await startJson('instant', { image_url: 'https://x.test/a.pdf' });
      assert.equal(res.status, 500);
      assert.equal(
        (res.body as { message?: string }).message,
        'Internal server error: Failed to initiate step processing',
      );
      assert.equal(si.executions().length, 0);
    });

    it('statusForbidden: status checks answer 403 "Access denied to this execution" for `count` requests', async () => {
      const started = await startJson('instant', { image_url: 'https://x.test/a.pdf' });
      const id = (started.body as { id: string }).id;
      si.addFaults({ kind: 'statusForbidden', count: 2 });
      for (let i = 0; i < 2; i++) {
        const res = await call('GET', `/api/steps-async/status/${id}`, { headers: AUTH });
        assert.equal(res.status, 403);
        assert.equal((res.body as { message?: string }).message, 'Access denied to this execution');
      }
      assert.equal((await call('GET', `/api/steps-async/status/${id}`, { headers: AUTH })).status, 200);
    });

    it('delay: the request is handled (execution created) but answered late', async () => {
      si.addFaults({ kind: 'delay', ms: 400 });
      const t0 = Date.now();
      const res = await startJson('instant', { image_url: 'https://x.test/a.pdf' });
      assert.equal(res.status, 202);
      const answeredAt = Date.now();
      assert.ok(answeredAt - t0 >= 395);
      assert.ok(answeredAt - si.executions()[0].createdAt >= 395, 'created before the delay');
    });

    it('dropBeforeBody: the connection is cut, nothing starts', async () => {
      si.addFaults({ kind: 'dropBeforeBody' });
      await assert.rejects(startForm('instant', form(pdf('d'), 'a.pdf')));
      assert.equal(si.executions().length, 0);
      assert.equal(si.requests()[0].status, 'dropped');
    });

    it('dropAfterBody: the start happens (and counts) but no answer comes', async () => {
      si.addFaults({ kind: 'dropAfterBody' });
      const file = pdf('dab');
      await assert.rejects(startForm('instant', form(file, 'a.pdf')));
      assert.equal(si.executions().length, 1);
      assert.deepEqual(si.starts(), [{ stepId: 'instant', hash: sha256(file), count: 1 }]);
      const entry = si.requests()[0];
      assert.equal(entry.status, 'dropped');
      assert.equal(entry.handledStatus, 202);
    });

    it('html and malformedJson: bodies a JSON parser chokes on', async () => {
      si.addFaults([{ kind: 'html' }, { kind: 'malformedJson' }]);
      const html = await call('GET', '/api/usage', { headers: AUTH });
      assert.equal(html.status, 502);
      assert.equal(html.headers.get('content-type'), 'text/html');
      assert.match(html.text, /<title>502 Bad Gateway<\/title>/);
      const bad = await call('GET', '/api/usage', { headers: AUTH });
      assert.equal(bad.status, 200);
      assert.equal(bad.headers.get('content-type'), 'application/json');
      assert.throws(() => JSON.parse(bad.text));
    });

    it('throttleBody: the upload is read no faster than bytesPerSecond', async () => {
      si.addFaults({ kind: 'throttleBody', bytesPerSecond: 200 * 1024, match: { method: 'POST' } });
      const file = Buffer.concat([pdf('slow'), Buffer.alloc(100 * 1024, 0x20)]);
      const t0 = Date.now();
      const res = await startForm('instant', form(file, 'slow.pdf'));
      assert.equal(res.status, 202);
      assert.ok(Date.now() - t0 >= 400, `took ${Date.now() - t0} ms`);
      assert.equal(si.executions()[0].sha256, sha256(file));
    });

    it('a client that gives up mid-upload starts nothing (logged as aborted)', async () => {
      const { body, type } = multipart([
        {
          name: 'image',
          filename: 'a.pdf',
          type: 'application/pdf',
          data: Buffer.concat([pdf('cut'), Buffer.alloc(64 * 1024)]),
        },
      ]);
      const req = request(`${si.url}/api/steps-async/instant`, {
        method: 'POST',
        headers: { ...AUTH, 'content-type': type, 'content-length': String(body.length) },
      });
      req.on('error', () => undefined);
      req.write(body.subarray(0, body.length / 2));
      await sleep(50);
      req.destroy();
      const t0 = Date.now();
      while (si.requests()[0]?.status !== 'aborted' && Date.now() - t0 < 2000) {
        await sleep(10);
      }
      assert.equal(si.requests()[0].status, 'aborted');
      assert.equal(si.executions().length, 0);
    });

    it('arms, lists and clears faults over the control API; bad ones are refused', async () => {
      const added = await call('POST', '/__stand-in/faults', {
        body: JSON.stringify([
          { kind: 'serverError', count: 3 },
          { kind: 'delay', ms: 5 },
        ]),
      });
      assert.equal(added.status, 200);
      const pending = await call('GET', '/__stand-in/faults');
      assert.deepEqual(JSON.parse(pending.text), [
        { kind: 'serverError', count: 3 },
        { kind: 'delay', ms: 5, count: 1 },
      ]);
      assert.equal((await call('GET', '/api/usage', { headers: AUTH })).status, 500);
      assert.equal(si.pendingFaults()[0].count, 2);
      assert.equal((await call('DELETE', '/__stand-in/faults')).status, 200);
      assert.deepEqual(si.pendingFaults(), []);
      const bad = await call('POST', '/__stand-in/faults', { body: JSON.stringify({ kind: 'explode' }) });
      assert.equal(bad.status, 400);
      assert.match(bad.body.message as string, /kind must be one of/);
    });
  });

  describe('bookkeeping', () => {
    it('counts starts per (step, file hash)', async () => {
      const a = pdf('a');
      const b = pdf('b');
      await startForm('instant', form(a, 'a.pdf'));
      await startForm('instant', form(a, 'renamed.pdf'));
      await startForm('instant', form(b, 'b.pdf'));
      await startForm('polls', form(a, 'a.pdf'));
      const starts = si.starts();
      assert.deepEqual(starts.find(s => s.stepId === 'instant' && s.hash === sha256(a))?.count, 2);
      assert.deepEqual(starts.find(s => s.stepId === 'instant' && s.hash === sha256(b))?.count, 1);
      assert.deepEqual(starts.find(s => s.stepId === 'polls')?.count, 1);
    });

    it('tracks the most executions in flight (created, terminal not yet served)', async () => {
      const ids: string[] = [];
      for (let i = 0; i < 3; i++) {
        ids.push((await startJson('instant', { image_url: `https://x.test/${i}.pdf` })).body.id as string);
      }
      await status(ids[0]);
      await status(ids[0]);
      await status(ids[1]);
      ids.push((await startJson('instant', { image_url: 'https://x.test/3.pdf' })).body.id as string);
      assert.equal(si.maxConcurrentExecutions(), 3);
      si.addFaults({ kind: 'dropAfterBody' });
      await assert.rejects(status(ids[2]));
      assert.equal(si.executions()[2].terminalServedAt, undefined, 'a dropped answer was not served');
      assert.equal((await call('GET', '/__stand-in/stats')).body.maxConcurrentExecutions, 3);
    });

    it('control API: steps, executions, requests (control calls not logged), config, reset', async () => {
      const steps = await call('POST', '/__stand-in/steps', {
        body: JSON.stringify([{ id: 'added', outcome: { status: 'SUCCESS', data: { x: 1 } } }]),
      });
      assert.equal(steps.status, 200);
      assert.ok(
        si.steps().some(s => s.id === 'added') && si.steps().some(s => s.id === 'instant'),
        'added, not replaced all',
      );
      const id = (await startJson('added', { image_url: 'https://x.test/a.pdf' })).body.id as string;
      const execs = await call('GET', '/__stand-in/executions');
      assert.deepEqual(
        (JSON.parse(execs.text) as Json[]).map(e => [e.id, e.stepId, e.status]),
        [[id, 'added', 'SUCCESS']],
      );
      const config = await call('POST', '/__stand-in/config', {
        body: JSON.stringify({ statusIdField: 'conversion_id' }),
      });
      assert.equal(config.body.statusIdField, 'conversion_id');
      assert.equal((await status(id)).body.id, undefined);
      const log = JSON.parse((await call('GET', '/__stand-in/requests')).text) as Json[];
      assert.deepEqual(
        log.map(r => r.path),
        ['/api/steps-async/added', `/api/steps-async/status/${id}`],
      );
      assert.equal((await call('POST', '/__stand-in/reset')).status, 200);
      assert.deepEqual(si.requests(), []);
      assert.deepEqual(si.executions(), []);
      assert.deepEqual(si.starts(), []);
      assert.ok(
        si.steps().some(s => s.id === 'added'),
        'reset keeps steps',
      );
      const refused = await call('POST', '/__stand-in/config', { body: JSON.stringify({ statusIdField: 'nope' }) });
      assert.equal(refused.status, 400);
    });

    it('control API: the reference switches (recordShape, quotaExceeded, urlDownloadTimeout, usageBase, step keys and status words) are checked', async () => {
      const ok = await call('POST', '/__stand-in/config', {
        body: JSON.stringify({
          recordShape: 'reference',
          errorStyle: 'reference',
          quotaExceeded: { quota: 10, used: 10 },
          urlDownloadTimeout: true,
          usageBase: { successful_pages: 7 },
        }),
      });
      assert.equal(ok.status, 200);
      assert.deepEqual(ok.body.quotaExceeded, { quota: 10, used: 10 });
      assert.deepEqual(ok.body.usageBase, { successful_pages: 7, successful_conversions: 0 });
      const quota = await startJson('instant', { image_url: 'https://x.test/a.pdf' });
      assert.equal(quota.status, 402);
      assert.deepEqual(quota.body, { error: 'Quota exceeded', quota: 10, used: 10 });
      si.configure({ quotaExceeded: false });
      const slow = await startJson('instant', { image_url: 'https://x.test/a.pdf' });
      assert.deepEqual([slow.status, slow.body], [408, { message: 'URL download timeout (30000ms)' }]);
      assert.equal((await call('GET', '/api/usage', { headers: AUTH })).body.successful_pages, 7);
      for (const bad of [
        { recordShape: 'full' },
        { errorStyle: 'pretty' },
        { quotaExceeded: 'yes' },
        { usageBase: 3 },
      ]) {
        assert.equal(
          (await call('POST', '/__stand-in/config', { body: JSON.stringify(bad) })).status,
          400,
          JSON.stringify(bad),
        );
      }
      for (const bad of [
        { id: 'k', keys: 'one', outcome: { status: 'NEVER' } },
        { id: 'w', statusWords: { DONE: 'x' }, outcome: { status: 'NEVER' } },
      ]) {
        assert.equal(
          (await call('POST', '/__stand-in/steps', { body: JSON.stringify(bad) })).status,
          400,
          JSON.stringify(bad),
        );
      }
    });

    it('streams a 100 MB upload: right size and hash, memory stays flat', async function () {
      this.timeout(60000);
      const { body: empty, type } = multipart([
        { name: 'image', filename: 'huge.pdf', type: 'application/pdf', data: '' },
      ]);
      // The hand-built body ends "<data>\r\n--b--\r\n": split it around the (empty) data.
      const tail = Buffer.from(`\r\n--${/boundary=(.*)$/.exec(type)?.[1]}--\r\n`);
      const head = empty.subarray(0, empty.length - tail.length);
      const chunk = Buffer.alloc(1024 * 1024, 0x41);
      pdf('huge').copy(chunk);
      const chunks = 100;
      const expected = createHash('sha256');
      for (let i = 0; i < chunks; i++) {
        expected.update(chunk);
      }
      // Garbage is not retention: collect before each sample so only live memory is measured. Sampled at
      // fixed points of the upload (every 10 MB sent, and once answered), not on a timer: a full collection
      // costs in proportion to this process's heap, which holds every other test file's modules in a
      // whole-suite run, and collecting every few milliseconds there starved the upload itself.
      setFlagsFromString('--expose-gc');
      const gc = runInNewContext('gc') as () => void;
      gc();
      const baseline = process.memoryUsage();
      let peak = 0;
      const sample = () => {
        gc();
        const m = process.memoryUsage();
        peak = Math.max(peak, m.heapUsed + m.arrayBuffers - baseline.heapUsed - baseline.arrayBuffers);
      };
      // node:http with a piped stream: the client side keeps to backpressure too, so what is
      // measured is the stand-in (fetch with a stream body buffers ahead on its own).
      const res = await uploadStream(
        `${si.url}/api/steps-async/instant`,
        type,
        head.length + chunks * chunk.length + tail.length,
        (async function* () {
          yield head;
          for (let i = 0; i < chunks; i++) {
            yield chunk;
            if (i % 10 === 9) {
              sample();
            }
          }
          yield tail;
        })(),
      );
      sample();
      assert.equal(res.status, 202, res.text);
      const [file] = si.requests()[0].multipart?.files ?? [];
      assert.equal(file.size, chunks * chunk.length);
      assert.equal(file.sha256, expected.digest('hex'));
      assert.ok(peak < 32 * 1024 * 1024, `peak growth ${Math.round(peak / 1024 / 1024)} MB`);
    });
  });

  describe('the multipart parser', () => {
    it('gives the same parts however the body is split into chunks', () => {
      const { body, type } = multipart([
        { name: 'document_metadata', data: '{"k":"v"}' },
        {
          name: 'image',
          filename: 'x.pdf',
          type: 'application/pdf',
          data: Buffer.concat([pdf('split'), Buffer.from('\r\n--unitBoundary7MA4 not a boundary\r\n')]),
        },
      ]);
      const boundary = /boundary=(.*)$/.exec(type)?.[1] ?? '';
      const parse = (sizes: number): Array<[string | null, string]> => {
        const parts: Array<[string | null, string]> = [];
        let current: PartInfo | undefined;
        let data: Buffer[] = [];
        const parser = new MultipartParser(boundary, {
          onPartStart: p => {
            current = p;
            data = [];
          },
          onPartData: c => data.push(Buffer.from(c)),
          onPartEnd: () =>
            parts.push([current?.filename ?? current?.name ?? null, Buffer.concat(data).toString('latin1')]),
        });
        for (let at = 0; at < body.length; at += sizes) {
          parser.write(body.subarray(at, at + sizes));
        }
        parser.end();
        return parts;
      };
      const whole = parse(body.length);
      assert.equal(whole.length, 2);
      assert.equal(whole[0][1], '{"k":"v"}');
      for (const size of [1, 2, 3, 7, 13, 64]) {
        assert.deepEqual(parse(size), whole, `chunks of ${size}`);
      }
    });
  });
});

describe('DocuTray stand-in startup', function () {
  this.timeout(20000);

  it('serves the example steps when no config is given', async () => {
    const si = await startStandIn();
    try {
      assert.match(si.url, /^http:\/\/127\.0\.0\.1:\d+$/);
      assert.deepEqual(
        si.steps().map(s => s.id),
        [
          'example-invoice',
          'example-receipt',
          'example-slow',
          'example-failing',
          'example-failing-text',
          'example-never',
        ],
      );
      assert.deepEqual(si.steps(), DEFAULT_STEPS);
      const res = await fetch(`${si.url}/api/usage`, { headers: { authorization: 'Bearer test-key' } });
      assert.equal(res.status, 200);
      await res.arrayBuffer();
    } finally {
      await si.close();
    }
  });

  it('loads a config file, and close() leaves nothing listening', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'stand-in-'));
    try {
      const file = join(dir, 'config.json');
      writeFileSync(
        file,
        JSON.stringify({
          steps: [{ id: 'only', outcome: { status: 'NEVER' } }],
          statusIdField: 'conversion_id',
          faults: [{ kind: 'serverError' }],
        }),
      );
      const si = await startStandIn({ configFile: file, apiKeys: ['k'] });
      assert.deepEqual(
        si.steps().map(s => s.id),
        ['only'],
      );
      assert.equal(si.config().statusIdField, 'conversion_id');
      assert.equal(si.pendingFaults().length, 1);
      // A keep-alive connection must not keep the server up.
      const res = await fetch(`${si.url}/__stand-in/stats`);
      await res.arrayBuffer();
      await si.close();
      await assert.rejects(fetch(`${si.url}/__stand-in/stats`));
      writeFileSync(file, JSON.stringify({ faults: [{ kind: 'teleport' }] }));
      await assert.rejects(startStandIn({ configFile: file }), /faults\[0\]\.kind/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('close() does not wait for delayed answers', async () => {
    const si = await startStandIn({ config: { faults: [{ kind: 'delay', ms: 30000 }] } });
    const pending = fetch(`${si.url}/api/usage`, { headers: { authorization: 'Bearer test-key' } });
    await sleep(100);
    const t0 = Date.now();
    await si.close();
    assert.ok(Date.now() - t0 < 1000);
    await assert.rejects(pending);
    assert.equal(si.requests()[0].status, 'aborted');
  });

  it('runs from the CLI: one listening line, then stops on SIGTERM', async () => {
    const child = spawn(process.execPath, [join(__dirname, '..', 'cli.js'), '--port', '0', '--api-key', 'cli-key'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    try {
      const lines = createInterface({ input: child.stdout });
      const first = await new Promise<string>((resolve, reject) => {
        lines.once('line', resolve);
        child.once('exit', code => reject(new Error(`exited ${code}`)));
      });
      const m = /^DocuTray stand-in listening on (http:\/\/127\.0\.0\.1:\d+)$/.exec(first);
      assert.ok(m, first);
      const res = await fetch(`${m[1]}/api/usage`, { headers: { authorization: 'Bearer cli-key' } });
      assert.equal(res.status, 200);
      await res.arrayBuffer();
      const exited = new Promise<number | null>(resolve => child.once('exit', code => resolve(code)));
      child.kill('SIGTERM');
      assert.equal(await exited, 0);
    } finally {
      if (child.exitCode === null) {
        child.kill('SIGKILL');
      }
    }
  });
});
