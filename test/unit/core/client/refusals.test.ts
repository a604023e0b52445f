/**
 * Local refusals: everything DocuTray would refuse (or that would go to the wrong place) is refused
 * before a byte is sent. The stand-in's request log stays empty in every case.
 */
import * as assert from 'node:assert/strict';
import { mkdirSync, openSync, closeSync, ftruncateSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { DocuTrayClient } from '../../../../src/core/client/client';
import {
  InsecureBaseUrlError,
  InvalidInputError,
  InvalidInputReason,
  MissingApiKeyError,
} from '../../../../src/core/api/errors';
import { DocumentInput } from '../../../../src/core/documents/input';
import { MAX_UPLOAD_BYTES } from '../../../../src/core/documents/mime';
import { StandIn } from '../../../../stand-in/server';
import { KEY, SAMPLES, TempDir, assertNoKey, loopbackFetch, makeClient, rejection, useStandInClient } from './support';

const STEP = 'step_ok';
const PDF: DocumentInput = { kind: 'bytes', data: SAMPLES.pdf, fileName: 'a.pdf' };

describe('local refusals (nothing is sent)', () => {
  let standIn: StandIn;
  let client: DocuTrayClient;
  let logs: string[];
  const tmp = new TempDir();

  useStandInClient(
    { steps: [{ id: STEP, outcome: { status: 'SUCCESS', data: {} } }] },
    f => ({ standIn, client, logs } = f),
  );
  after(() => tmp.remove());
  afterEach(function () {
    // Checked after every test, refusal or not: a refused request must not have reached the server.
    if (this.currentTest?.state === 'passed') {
      assert.deepEqual(
        standIn.requests().map(r => `${r.method} ${r.path}`),
        [],
        'nothing reached the stand-in',
      );
    }
  });

  async function refused(
    p: Promise<unknown>,
    reason: InvalidInputReason,
    pattern?: RegExp,
  ): Promise<InvalidInputError> {
    const err = await rejection(p);
    assert.ok(err instanceof InvalidInputError, `${err?.name}: ${err?.message}`);
    assert.equal(err.kind, 'invalidInput');
    assert.equal(err.reason, reason, err.message);
    assert.equal(err.status, undefined);
    if (pattern) {
      assert.match(err.message, pattern);
    }
    assertNoKey(err, logs);
    assert.deepEqual(logs, [], 'no request was logged');
    return err;
  }

  describe('documents', () => {
    it('an unsupported type (by name)', () =>
      refused(
        client.startStep(STEP, { kind: 'path', path: tmp.file('notes.txt', SAMPLES.text) }),
        'unsupportedType',
        /notes\.txt.*text\/plain/,
      ));
    it('a text file named .pdf', () =>
      refused(
        client.startStep(STEP, { kind: 'path', path: tmp.file('fake.pdf', SAMPLES.text) }),
        'unsupportedType',
        /fake\.pdf/,
      ));
    it('a file of an unknown type', () =>
      refused(client.startStep(STEP, { kind: 'bytes', data: SAMPLES.text, fileName: 'README' }), 'unsupportedType'));
    it('an empty file', () =>
      refused(
        client.startStep(STEP, { kind: 'path', path: tmp.file('empty.pdf', '') }),
        'emptyFile',
        /empty\.pdf is empty/,
      ));
    it('empty bytes', () =>
      refused(client.startStep(STEP, { kind: 'bytes', data: new Uint8Array(0), fileName: 'e.png' }), 'emptyFile'));
    it('an empty stream', () =>
      refused(client.startStep(STEP, { kind: 'stream', stream: Readable.from([]), fileName: 'e.pdf' }), 'emptyFile'));
    it('a stream declared empty', () =>
      refused(
        client.startStep(STEP, { kind: 'stream', stream: Readable.from([SAMPLES.pdf]), fileName: 'e.pdf', size: 0 }),
        'emptyFile',
      ));
    it('empty base64', () =>
      refused(client.startStep(STEP, { kind: 'base64', data: 'data:application/pdf;base64,' }), 'emptyFile'));
    it('invalid base64', () =>
      refused(client.startStep(STEP, { kind: 'base64', data: 'not base64 at all!' }), 'badBase64'));
    it('base64 of a text document', () =>
      refused(
        client.startStep(STEP, { kind: 'base64', data: SAMPLES.text.toString('base64'), fileName: 'x.pdf' }),
        'unsupportedType',
      ));

    it('a file over 100 MB (sparse)', async () => {
      const path = join(tmp.path, 'huge.pdf');
      const fd = openSync(path, 'w');
      ftruncateSync(fd, MAX_UPLOAD_BYTES + 1);
      closeSync(fd);
      await refused(client.startStep(STEP, { kind: 'path', path }), 'tooLarge', /huge\.pdf is 100(\.0)? MB.*100 MB/);
    });
    it('a stream declared over 100 MB', async () => {
      await refused(
        client.startStep(STEP, {
          kind: 'stream',
          stream: Readable.from([SAMPLES.pdf]),
          fileName: 'big.pdf',
          size: MAX_UPLOAD_BYTES + 1,
        }),
        'tooLarge',
      );
    });
    it('base64 over 100 MB', async () => {
      const b64 = 'A'.repeat(Math.ceil((MAX_UPLOAD_BYTES + 3) / 3) * 4);
      await refused(client.startStep(STEP, { kind: 'base64', data: b64, contentType: 'application/pdf' }), 'tooLarge');
    });

    it('a directory', () => {
      const dir = join(tmp.path, 'folder.pdf');
      mkdirSync(dir);
      return refused(client.startStep(STEP, { kind: 'path', path: dir }), 'notAFile');
    });
    it('a missing file', () =>
      refused(client.startStep(STEP, { kind: 'path', path: join(tmp.path, 'missing.pdf') }), 'notAFile', /ENOENT/));

    it('a URL that is not http(s)', () =>
      refused(client.startStep(STEP, { kind: 'url', url: 'file:///etc/passwd' }), 'badUrl'));
    it('something that is not a URL', () =>
      refused(client.startStep(STEP, { kind: 'url', url: 'documents/a.pdf' }), 'badUrl'));
    it('a URL declared as an unsupported type', () =>
      refused(
        client.startStep(STEP, { kind: 'url', url: 'https://x.example/a', contentType: 'text/html' }),
        'unsupportedType',
      ));
    it('a URL with a malformed escape is not a crash', async () => {
      // Accepted and sent: only checked here for not throwing a URIError while naming it.
      await client.startStep(STEP, { kind: 'url', url: 'https://x.example/file%zz.pdf' });
      standIn.reset();
    });
    it('an input of no known kind', () =>
      refused(client.startStep(STEP, { kind: 'folder' } as unknown as DocumentInput), 'noInput'));
  });

  describe('step and execution ids', () => {
    for (const [id, reason] of [
      ['', 'emptyStepId'],
      ['   ', 'emptyStepId'],
      ['.', 'badStepId'],
      ['..', 'badStepId'],
      ['a\nb', 'badStepId'],
      ['x'.repeat(201), 'badStepId'],
    ] as const) {
      it(`step id ${JSON.stringify(id.length > 20 ? `${id.slice(0, 5)}…(${id.length})` : id)}`, () =>
        refused(client.startStep(id, PDF), reason));
    }
    for (const id of ['', '.', '..', 'a/b', 'a?b', 'a b', 'a#b', 'a\\b']) {
      it(`execution id ${JSON.stringify(id)}`, () => refused(client.getStatus(id), 'badExecutionId'));
    }
  });

  describe('metadata', () => {
    for (const [what, metadata] of [
      ['an array', [1, 2]],
      ['a string', '{"a":1}'],
      ['a number', 42],
      ['a boolean', true],
    ] as const) {
      it(`${what}`, () =>
        refused(
          client.startStep(STEP, PDF, { metadata: metadata as unknown as Record<string, unknown> }),
          'badMetadata',
          /JSON object/,
        ));
    }
    it('an object with a cycle', () => {
      const cyclic: Record<string, unknown> = { a: 1 };
      cyclic.self = cyclic;
      return refused(client.startStep(STEP, PDF, { metadata: cyclic }), 'badMetadata');
    });
  });

  describe('configuration', () => {
    it('an http base URL for a non-loopback host', () => {
      assert.throws(
        () => makeClient('http://app.docutray.com'),
        (e: unknown) => e instanceof InsecureBaseUrlError && /https/.test(e.message),
      );
    });

    for (const [what, apiKey] of [
      ['absent', undefined],
      ['empty', ''],
      ['blank', '  \n'],
      ['a function returning nothing', () => undefined],
      ['an async function returning nothing', async () => undefined],
    ] as const) {
      it(`an API key that is ${what}`, async () => {
        const { client: c, logs: l } = makeClient(standIn.url, { apiKey });
        for (const run of [
          () => c.checkKey(),
          () => c.startStep(STEP, PDF),
          () => c.getStatus('exec_1'),
          () => c.runStep(STEP, PDF),
        ]) {
          const err = await rejection(run());
          assert.ok(err instanceof MissingApiKeyError, `${err?.name}: ${err?.message}`);
          assert.equal(err.kind, 'missingApiKey');
        }
        assert.deepEqual(l, []);
      });
    }

    it('an API key with a line break in it, without showing the key', async () => {
      const pasted = `${KEY}\nsecond line`;
      const { client: c, logs: l } = makeClient(standIn.url, { apiKey: pasted });
      const err = await rejection(c.checkKey());
      assert.ok(err instanceof InvalidInputError);
      assert.equal(err.reason, 'badApiKey');
      assertNoKey(err, l);
      assertNoKey(err, l, 'second line');
    });

    it('reads the key from a function on every request (a changed key is used)', async () => {
      let key = 'dtOLDKEY_000000000000000000000000';
      const c = new DocuTrayClient({
        baseUrl: standIn.url,
        apiKey: () => key,
        fetch: loopbackFetch,
        retry: { maxRetries: 0 },
      });
      await assert.rejects(c.checkKey(), { kind: 'authentication' });
      key = KEY;
      await c.checkKey();
      standIn.reset();
    });
  });
});
