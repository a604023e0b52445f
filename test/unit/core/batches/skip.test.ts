import * as assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { createWriteStream, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { once } from 'node:events';
import { sha256OfFile, sha256OfStream } from '../../../../src/core/documents/hash';
import { createBatch, documentState } from '../../../../src/core/batches/record';
import {
  applySkipAnswer,
  buildDoneIndex,
  decideSkips,
  markSkipped,
  type DoneRun,
} from '../../../../src/core/batches/skip';

const H = (s: string) => createHash('sha256').update(s).digest('hex');

describe('skip what is done', () => {
  const runs: DoneRun[] = [
    { sha256: H('a'), stepId: 'invoice', executionId: 'e-old', status: 'SUCCESS', finishedAt: 1 },
    { sha256: H('a'), stepId: 'invoice', executionId: 'e-new', status: 'SUCCESS', finishedAt: 5 },
    { sha256: H('b'), stepId: 'invoice', executionId: 'e-failed', status: 'ERROR', finishedAt: 9 },
    { sha256: H('c'), stepId: 'receipt', executionId: 'e-other-step', status: 'SUCCESS', finishedAt: 3 },
  ];
  const index = buildDoneIndex(runs);
  const files = [
    { uri: 'a.pdf', sha256: H('a') },
    { uri: 'b.pdf', sha256: H('b') },
    { uri: 'c.pdf', sha256: H('c') },
    { uri: 'unhashed.pdf' },
  ];

  it('only a success by the same step counts, the newest one', () => {
    const d = decideSkips(files, 'invoice', index, 'skip');
    assert.deepEqual(
      d.alreadyDone.map(x => [x.uri, x.run.executionId]),
      [['a.pdf', 'e-new']],
    );
    assert.deepEqual(d.run, ['b.pdf', 'c.pdf', 'unhashed.pdf']);
    assert.deepEqual(
      d.skip.map(s => s.uri),
      ['a.pdf'],
    );
    assert.equal(d.needsAnswer, false);
  });

  it('ask: says how many, runs nothing yet, then follows the answer', () => {
    const d = decideSkips(files, 'invoice', index, 'ask');
    assert.equal(d.needsAnswer, true);
    assert.equal(d.alreadyDone.length, 1);
    assert.deepEqual(applySkipAnswer(d, 'skip').run, ['b.pdf', 'c.pdf', 'unhashed.pdf']);
    assert.deepEqual(applySkipAnswer(d, 'reprocess').run, ['a.pdf', 'b.pdf', 'c.pdf', 'unhashed.pdf']);
    assert.equal(decideSkips(files, 'receipt', index, 'ask').alreadyDone.length, 1);
    assert.equal(decideSkips([files[1]], 'invoice', index, 'ask').needsAnswer, false, 'nothing done: no question');
  });

  it('always runs everything; a single explicit run always runs', () => {
    assert.deepEqual(decideSkips(files, 'invoice', index, 'always').skip, []);
    const single = decideSkips([files[0]], 'invoice', index, 'skip', { explicitSingle: true });
    assert.deepEqual(single.run, ['a.pdf']);
    assert.equal(single.needsAnswer, false);
  });

  it('hash case does not matter', () => {
    assert.equal(
      decideSkips([{ uri: 'a.pdf', sha256: H('a').toUpperCase() }], 'invoice', index, 'skip').skip.length,
      1,
    );
  });

  it('marks skipped files in the batch with the reused execution', () => {
    const b = createBatch({ stepId: 'invoice', files: files.map(f => ({ uri: f.uri })), now: 0 });
    markSkipped(b, decideSkips(files, 'invoice', index, 'skip'));
    assert.deepEqual(
      b.documents.map(d => documentState(d, undefined)),
      ['skipped', 'pending', 'pending', 'pending'],
    );
    assert.equal(b.documents[0].reused?.executionId, 'e-new');
    assert.equal(b.documents[0].reused?.sha256, H('a'));
  });

  describe('streaming SHA-256', () => {
    let dir: string;
    before(() => {
      dir = mkdtempSync(join(tmpdir(), 'docutray-hash-'));
    });
    after(() => rmSync(dir, { recursive: true, force: true }));

    it('hashes a 256 MB file without reading it into memory', async function () {
      this.timeout(60_000);
      const path = join(dir, 'big.pdf');
      const chunk = Buffer.alloc(4 * 1024 * 1024);
      const expected = createHash('sha256');
      const out = createWriteStream(path);
      for (let i = 0; i < 64; i++) {
        chunk.fill(i % 251);
        chunk.write(`%PDF chunk ${i}`, 0, 'latin1');
        expected.update(chunk);
        if (!out.write(chunk)) {
          await once(out, 'drain');
        }
      }
      out.end();
      await once(out, 'finish');
      if (global.gc) {
        global.gc();
      }
      const before = process.memoryUsage();
      let peak = 0;
      const sampler = setInterval(() => {
        const m = process.memoryUsage();
        peak = Math.max(peak, m.rss - before.rss, m.arrayBuffers - before.arrayBuffers);
      }, 5);
      const digest = await sha256OfFile(path);
      clearInterval(sampler);
      assert.equal(digest, expected.digest('hex'));
      assert.ok(peak < 64 * 1024 * 1024, `memory grew by ${Math.round(peak / 1e6)} MB for a 268 MB file`);
    });

    it('hashes a Node stream, a web stream, and an empty file; stops on abort', async () => {
      assert.equal(await sha256OfStream(Readable.from([Buffer.from('ab'), Buffer.from('c')])), H('abc'));
      assert.equal(await sha256OfStream(new Blob(['abc']).stream()), H('abc'));
      const empty = join(dir, 'empty.pdf');
      writeFileSync(empty, '');
      assert.equal(await sha256OfFile(empty), H(''));
      await assert.rejects(sha256OfFile(empty, { signal: AbortSignal.abort(new Error('stop')) }));
    });
  });
});
