/**
 * What the client puts on the wire, as the stand-in received it: one test per input kind.
 */
import * as assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { DocuTrayClient } from '../../../../src/core/client/client';
import { StandIn } from '../../../../stand-in/server';
import { KEY, MIMES, SAMPLES, TempDir, makeClient, useStandInClient } from './support';

const STEP = 'step_invoice';
const NON_ASCII = 'factura-ñandú 請求書.pdf';

const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

describe('client wire format (stand-in)', () => {
  let standIn: StandIn;
  let client: DocuTrayClient;
  let logs: string[];
  const tmp = new TempDir();

  useStandInClient(
    {
      steps: [{ id: STEP, name: 'Invoices', outcome: { status: 'SUCCESS', data: { total: 1160 } } }],
      client: { userAgent: 'docutray-vscode-tests/1' },
    },
    f => ({ standIn, client, logs } = f),
  );
  after(() => tmp.remove());

  function onlyRequest() {
    const reqs = standIn.requests();
    assert.equal(reqs.length, 1, `requests: ${JSON.stringify(reqs.map(r => `${r.method} ${r.path}`))}`);
    return reqs[0];
  }

  it('checks the key with GET /api/usage, Bearer auth and Accept: application/json', async () => {
    await client.checkKey();
    const r = onlyRequest();
    assert.equal(r.method, 'GET');
    assert.equal(r.path, '/api/usage');
    assert.equal(r.headers.authorization, `Bearer ${KEY}`);
    assert.equal(r.headers.accept, 'application/json');
    assert.equal(r.headers['user-agent'], 'docutray-vscode-tests/1');
    assert.equal(logs.length, 1);
    assert.match(logs[0], /^GET \/api\/usage → 200 \[req_\d+\] in \d+ ms$/);
  });

  it('uploads a path as multipart: part "image", real MIME type, UTF-8 file name, metadata as JSON text, content-length', async () => {
    const path = tmp.file(NON_ASCII, SAMPLES.pdf);
    const metadata = { source: 'email', customer: { id: 'cust_456', name: 'Ñandú & Co "quoted"' }, tags: ['a', 'b'] };
    const progress: [number, number | undefined][] = [];
    const started = await client.startStep(
      STEP,
      { kind: 'path', path },
      { metadata, onUploadProgress: (s, t) => progress.push([s, t]) },
    );

    const r = onlyRequest();
    assert.equal(r.method, 'POST');
    assert.equal(r.path, `/api/steps-async/${STEP}`);
    assert.equal(r.headers.authorization, `Bearer ${KEY}`);
    assert.match(r.headers['content-type'], /^multipart\/form-data; boundary=\S+$/);
    assert.equal(r.headers['content-length'], String(r.bodyBytes));
    assert.equal(r.headers['transfer-encoding'], undefined);
    assert.ok(r.multipart, 'a multipart body');
    assert.deepEqual(r.multipart.files, [
      {
        field: 'image',
        filename: NON_ASCII,
        contentType: 'application/pdf',
        size: SAMPLES.pdf.length,
        sha256: sha(SAMPLES.pdf),
      },
    ]);
    assert.equal(typeof r.multipart.fields.document_metadata, 'string');
    assert.deepEqual(JSON.parse(r.multipart.fields.document_metadata), metadata);
    assert.equal(r.status, 202);

    assert.equal(started.status, 'ENQUEUED');
    assert.match(started.id, /^exec_\d+$/);
    assert.equal(started.stepId, STEP);
    // The reference's start answer: {id, status, step_id, step_name}.
    assert.equal(started.stepName, 'Invoices');
    assert.deepEqual(Object.keys(started.raw).sort(), ['id', 'status', 'step_id', 'step_name']);
    assert.deepEqual(standIn.starts(), [{ stepId: STEP, hash: sha(SAMPLES.pdf), count: 1 }]);

    // Progress reaches the whole body, whose size was known up front.
    const last = progress[progress.length - 1];
    assert.equal(last[1], r.bodyBytes);
    assert.equal(last[0], r.bodyBytes);
  });

  it('sends no metadata part when there is no metadata', async () => {
    await client.startStep(STEP, { kind: 'path', path: tmp.file('plain.pdf', SAMPLES.pdf) });
    assert.deepEqual(onlyRequest().multipart?.fields, {});
  });

  it('escapes quotes and line breaks in the file name (WHATWG form encoding, decoded back by the server)', async () => {
    await client.startStep(STEP, { kind: 'bytes', data: SAMPLES.pdf, fileName: 'a "b"\r\nc.pdf' });
    const r = onlyRequest();
    assert.equal(r.multipart?.files.length, 1, 'the quote did not end the header early');
    assert.equal(r.multipart?.files[0].filename, 'a "b"\r\nc.pdf');
  });

  for (const [kind, mime] of Object.entries(MIMES)) {
    it(`uploads ${kind} bytes as ${mime}`, async () => {
      const data = SAMPLES[kind as keyof typeof MIMES];
      await client.startStep(STEP, { kind: 'bytes', data, fileName: `scan.${kind}` });
      const f = onlyRequest().multipart?.files[0];
      assert.equal(f?.field, 'image');
      assert.equal(f?.contentType, mime);
      assert.equal(f?.sha256, sha(data));
      assert.equal(standIn.executions()[0].contentType, mime);
    });
  }

  it('sends a mislabelled file as what its bytes are, keeping its name', async () => {
    await client.startStep(STEP, { kind: 'path', path: tmp.file('photo.pdf', SAMPLES.png) });
    const f = onlyRequest().multipart?.files[0];
    assert.equal(f?.filename, 'photo.pdf');
    assert.equal(f?.contentType, 'image/png');
  });

  it("uses the given file name over the path's", async () => {
    await client.startStep(STEP, {
      kind: 'path',
      path: tmp.file('tmp-1234.bin', SAMPLES.jpeg),
      fileName: 'receipt.jpg',
    });
    const f = onlyRequest().multipart?.files[0];
    assert.equal(f?.filename, 'receipt.jpg');
    assert.equal(f?.contentType, 'image/jpeg');
  });

  it('streams a Node stream of known size with content-length', async () => {
    const data = Buffer.concat([SAMPLES.pdf, Buffer.alloc(300_000, 0x41)]);
    const stream = Readable.from([data.subarray(0, 10), data.subarray(10, 70_000), data.subarray(70_000)]);
    await client.startStep(STEP, { kind: 'stream', stream, fileName: NON_ASCII, size: data.length });
    const r = onlyRequest();
    assert.equal(r.headers['content-length'], String(r.bodyBytes));
    assert.deepEqual(r.multipart?.files, [
      { field: 'image', filename: NON_ASCII, contentType: 'application/pdf', size: data.length, sha256: sha(data) },
    ]);
  });

  it('streams a web stream of unknown size (chunked)', async () => {
    const data = Buffer.concat([SAMPLES.gif, Buffer.alloc(5000, 1)]);
    const stream = new ReadableStream<Uint8Array>({
      start(c) {
        c.enqueue(new Uint8Array(data.subarray(0, 3)));
        c.enqueue(new Uint8Array(data.subarray(3)));
        c.close();
      },
    });
    await client.startStep(STEP, { kind: 'stream', stream, fileName: 'anim.gif' });
    const r = onlyRequest();
    assert.equal(r.headers['content-length'], undefined);
    assert.equal(r.multipart?.files[0].sha256, sha(data));
    assert.equal(r.multipart?.files[0].contentType, 'image/gif');
  });

  it('streams a reader-only stream (no async iterator)', async () => {
    const chunks = [SAMPLES.webp.subarray(0, 6), SAMPLES.webp.subarray(6)];
    const readerOnly = {
      getReader: () => ({
        read: async () =>
          chunks.length
            ? { done: false as const, value: new Uint8Array(chunks.shift() as Buffer) }
            : { done: true as const, value: undefined },
      }),
    } as unknown as ReadableStream<Uint8Array>;
    await client.startStep(STEP, {
      kind: 'stream',
      stream: readerOnly,
      fileName: 'pic.webp',
      size: SAMPLES.webp.length,
    });
    const f = onlyRequest().multipart?.files[0];
    assert.equal(f?.sha256, sha(SAMPLES.webp));
    assert.equal(f?.contentType, 'image/webp');
  });

  it('sends a URL as JSON image_url with metadata as an object', async () => {
    const metadata = { source: 'crm', n: 3 };
    const started = await client.startStep(
      STEP,
      { kind: 'url', url: 'https://files.example.com/docs/factura%20ma%C3%B1ana.pdf?sig=abc' },
      { metadata },
    );
    const r = onlyRequest();
    assert.match(r.headers['content-type'], /^application\/json/);
    assert.deepEqual(r.json, {
      image_url: 'https://files.example.com/docs/factura%20ma%C3%B1ana.pdf?sig=abc',
      document_metadata: metadata,
    });
    assert.equal(started.status, 'ENQUEUED');
  });

  it('sends image_content_type with a URL when one is given', async () => {
    await client.startStep(STEP, {
      kind: 'url',
      url: 'https://files.example.com/download?id=7',
      contentType: 'image/png',
    });
    assert.deepEqual(onlyRequest().json, {
      image_url: 'https://files.example.com/download?id=7',
      image_content_type: 'image/png',
    });
  });

  it('sends base64 with the data-URI prefix stripped and image_content_type set', async () => {
    const b64 = SAMPLES.png.toString('base64');
    await client.startStep(STEP, { kind: 'base64', data: `data:image/png;base64,${b64}` }, { metadata: { a: 1 } });
    const r = onlyRequest();
    assert.deepEqual(r.json, { image_base64: b64, image_content_type: 'image/png', document_metadata: { a: 1 } });
    assert.deepEqual(standIn.starts(), [{ stepId: STEP, hash: sha(SAMPLES.png), count: 1 }]);
  });

  it('sets image_content_type from the bytes for plain base64, and drops line breaks', async () => {
    const b64 = SAMPLES.jpeg.toString('base64');
    const wrapped = b64.replace(/(.{20})/g, '$1\n');
    await client.startStep(STEP, { kind: 'base64', data: wrapped });
    assert.deepEqual(onlyRequest().json, { image_base64: b64, image_content_type: 'image/jpeg' });
  });

  it('encodes a step id with "/", "?" and spaces into one path segment', async () => {
    const odd = 'team a/step?x=1 #2';
    standIn.setSteps([{ id: odd, outcome: { status: 'SUCCESS', data: {} } }]);
    const started = await client.startStep(odd, { kind: 'bytes', data: SAMPLES.pdf, fileName: 'a.pdf' });
    const r = onlyRequest();
    assert.equal(r.path, '/api/steps-async/team%20a%2Fstep%3Fx%3D1%20%232');
    assert.deepEqual(r.query, {});
    assert.equal(started.stepId, odd);
  });

  it('keeps a base URL path prefix', async () => {
    // The stand-in serves /api at its root, so a prefix shows up as a 404 for that path.
    const { client: prefixed } = makeClient(`${standIn.url}/proxy/`);
    await assert.rejects(prefixed.checkKey());
    assert.equal(onlyRequest().path, '/proxy/api/usage');
  });

  it('trims white space around the key (a pasted key)', async () => {
    const { client: c } = makeClient(standIn.url, { apiKey: `  ${KEY}\n` });
    await c.checkKey();
    assert.equal(onlyRequest().headers.authorization, `Bearer ${KEY}`);
  });

  describe('normalises the wire variants', () => {
    async function statusOf(): Promise<{ id: string; e: Awaited<ReturnType<DocuTrayClient['getStatus']>> }> {
      const { id } = await client.startStep(STEP, { kind: 'bytes', data: SAMPLES.pdf, fileName: NON_ASCII });
      return { id, e: await client.getStatus(id) };
    }
    afterEach(() => standIn.configure({ statusIdField: 'both', envelope: false, timestampStyle: 'camel' }));

    for (const field of ['conversion_id', 'execution_id'] as const) {
      it(`a status that names the id ${field} only`, async () => {
        standIn.configure({ statusIdField: field });
        const { id, e } = await statusOf();
        assert.equal(e.id, id);
        assert.equal(e.raw[field], id);
        assert.equal(e.raw.id, undefined);
      });
    }

    it('a status in a data envelope with snake_case timestamps', async () => {
      standIn.configure({ envelope: true, timestampStyle: 'snake', recordShape: 'record' });
      const { id, e } = await statusOf();
      assert.equal(e.id, id);
      assert.equal(e.status, 'SUCCESS');
      assert.deepEqual(e.data, { total: 1160 });
      assert.equal(e.originalFilename, NON_ASCII);
      assert.match(e.requestTimestamp ?? '', /^\d{4}-\d\d-\d\dT/);
      assert.match(e.responseTimestamp ?? '', /^\d{4}-\d\d-\d\dT/);
      assert.equal(e.stepName, 'Invoices');
      assert.ok('request_timestamp' in e.raw, 'raw is the inner record, as sent');
    });

    it('progress as a number and as the object of the skills docs', async () => {
      standIn.setSteps([
        { id: STEP, processingPolls: 4, progress: 'object', outcome: { status: 'SUCCESS', data: {} } },
      ]);
      const { id } = await client.startStep(STEP, { kind: 'bytes', data: SAMPLES.pdf, fileName: 'a.pdf' });
      await client.getStatus(id);
      const e = await client.getStatus(id);
      assert.equal(typeof e.progress, 'number');
      assert.ok((e.progress ?? 0) > 0 && (e.progress ?? 0) < 100, String(e.progress));
      assert.equal(typeof e.raw.progress, 'object');
    });
  });

  it('runs a step end to end: start, polls, SUCCESS data', async () => {
    standIn.setSteps([
      { id: STEP, enqueuedPolls: 1, processingPolls: 2, outcome: { status: 'SUCCESS', data: { total: 1160 } } },
    ]);
    const statuses: string[] = [];
    let startedId = '';
    const result = await client.runStep(
      STEP,
      { kind: 'bytes', data: SAMPLES.pdf, fileName: 'a.pdf' },
      {
        onStarted: e => (startedId = e.id),
        onStatus: e => statuses.push(e.status),
      },
    );
    assert.equal(result.status, 'SUCCESS');
    assert.equal(result.id, startedId);
    assert.deepEqual(result.data, { total: 1160 });
    assert.equal(statuses[0], 'ENQUEUED');
    assert.equal(statuses[statuses.length - 1], 'SUCCESS');
    assert.ok(statuses.includes('PROCESSING'));
    const reqs = standIn.requests();
    assert.equal(reqs.filter(r => r.method === 'POST').length, 1);
    assert.ok(reqs.slice(1).every(r => r.method === 'GET' && r.path === `/api/steps-async/status/${startedId}`));
  });
});
