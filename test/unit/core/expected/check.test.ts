/**
 * Checking documents against expected results (src/core/expected/check.ts) over an in-memory
 * workspace and a scripted runner: what runs, what is written (never anything without `update`), and
 * the status and exit code of each case.
 */
import * as assert from 'node:assert/strict';
import {
  checkDocuments,
  checkExitCode,
  type CheckIo,
  type CheckOptions,
  type DocumentCheck,
} from '../../../../src/core/expected/check';
import { parseExpected, serializeExpected } from '../../../../src/core/expected/expectedFile';
import type { DocumentOutcome } from '../../../../src/core/expected/runDocuments';

const SHA_A = 'a'.repeat(64);
const SHA_B = 'b'.repeat(64);

class MemoryWorkspace implements CheckIo {
  readonly files = new Map<string, string>();
  readonly hashes = new Map<string, string>();
  readonly writes: string[] = [];

  async readText(path: string) {
    return this.files.get(path);
  }
  async writeText(path: string, text: string) {
    this.writes.push(path);
    this.files.set(path, text);
  }
  async sha256(document: string) {
    const h = this.hashes.get(document);
    if (h === undefined) {
      throw Object.assign(new Error('no such file'), { code: 'ENOENT' });
    }
    return h;
  }
}

/** A runner that answers from `outcomes` and remembers what it was asked to run. */
function runner(outcomes: Record<string, DocumentOutcome>) {
  const ran: string[][] = [];
  return {
    ran,
    run: async (documents: string[], onOutcome: (d: string, o: DocumentOutcome) => Promise<void>) => {
      ran.push(documents);
      for (const d of documents) {
        await onOutcome(d, outcomes[d] ?? { kind: 'notRun', message: 'not started' });
      }
      return undefined;
    },
  };
}

const result = (data: unknown): DocumentOutcome => ({ kind: 'result', data, executionId: 'exec_1', durationMs: 1200 });

function expected(result: unknown, sha256 = SHA_A, stepId = 'inv'): string {
  return serializeExpected({ stepId, document: 'a.pdf', sha256, result });
}

async function check(
  ws: MemoryWorkspace,
  docs: string[],
  r: ReturnType<typeof runner>,
  opts: Partial<CheckOptions> = {},
) {
  // Checks are handed over as they are final; the report orders them as the documents were given.
  const checks: DocumentCheck[] = [];
  await checkDocuments(docs, ws, {
    stepId: 'inv',
    update: false,
    folder: '',
    compare: {},
    run: r.run,
    onCheck: c => void checks.push(c),
    ...opts,
  });
  return checks.sort((a, b) => docs.indexOf(a.document) - docs.indexOf(b.document));
}

const statuses = (checks: DocumentCheck[]) => checks.map(c => `${c.document} ${c.status}`);

describe('expected results: checking documents', () => {
  let ws: MemoryWorkspace;
  beforeEach(() => {
    ws = new MemoryWorkspace();
    ws.hashes.set('s/a.pdf', SHA_A);
    ws.hashes.set('s/b.pdf', SHA_B);
  });

  it('passes a result equal to the expected one, and fails one that differs, with the paths and their lines', async () => {
    ws.files.set('s/a.pdf.inv.expected.json', expected({ total: 1, vendor: { name: 'A' } }));
    ws.files.set('s/b.pdf.inv.expected.json', expected({ total: 2 }, SHA_B));
    const r = runner({ 's/a.pdf': result({ vendor: { name: 'A' }, total: 1 }), 's/b.pdf': result({ total: 3 }) });
    const checks = await check(ws, ['s/a.pdf', 's/b.pdf'], r);
    assert.deepEqual(statuses(checks), ['s/a.pdf passed', 's/b.pdf failed']);
    const [d] = checks[1].differences!;
    assert.deepEqual(
      { kind: d.kind, path: d.path, expected: d.expected, actual: d.actual },
      { kind: 'changed', path: 'total', expected: 2, actual: 3 },
    );
    assert.equal(ws.files.get('s/b.pdf.inv.expected.json')!.split('\n')[d.line! - 1].trim(), '"total": 2');
    assert.equal(checks[1].executionId, 'exec_1');
    assert.equal(checks[1].durationMs, 1200);
    assert.equal(checkExitCode(checks.map(c => c.status)), 1);
    assert.deepEqual(ws.writes, []);
  });

  it('applies the comparison options it is given', async () => {
    ws.files.set('s/a.pdf.inv.expected.json', expected({ total: 1, at: 'monday' }));
    const r = runner({ 's/a.pdf': result({ total: 1.004, at: 'tuesday' }) });
    const loose = await check(ws, ['s/a.pdf'], r, {
      compare: { absoluteTolerance: 0.01, ignore: [[{ key: 'at' }]] },
    });
    assert.deepEqual(statuses(loose), ['s/a.pdf passed']);
    assert.equal(checkExitCode(loose.map(c => c.status)), 0);
  });

  it('does not run a document without an expected result, and fails it as missing', async () => {
    const r = runner({ 's/a.pdf': result({}) });
    const checks = await check(ws, ['s/a.pdf'], r);
    assert.deepEqual(statuses(checks), ['s/a.pdf missing']);
    assert.equal(checks[0].expectedFile, 's/a.pdf.inv.expected.json');
    assert.deepEqual(r.ran, []);
    assert.equal(checkExitCode(checks.map(c => c.status)), 1);
    assert.deepEqual(ws.writes, []);
  });

  it('reports a changed document as such, not as a step regression, and does not run it', async () => {
    ws.files.set('s/a.pdf.inv.expected.json', expected({ total: 1 }, SHA_B));
    const r = runner({ 's/a.pdf': result({ total: 99 }) });
    const checks = await check(ws, ['s/a.pdf'], r);
    assert.deepEqual(statuses(checks), ['s/a.pdf documentChanged']);
    assert.equal(checks[0].expectedSha256, SHA_B);
    assert.equal(checks[0].sha256, SHA_A);
    assert.equal(checks[0].differences, undefined);
    assert.deepEqual(r.ran, []);
    assert.equal(checkExitCode(checks.map(c => c.status)), 1);
  });

  it('does not run against an unusable expected file, and names it', async () => {
    ws.files.set('s/a.pdf.inv.expected.json', '{"oops": ');
    ws.files.set('s/b.pdf.inv.expected.json', expected({}, SHA_B, 'another-step'));
    const r = runner({});
    const checks = await check(ws, ['s/a.pdf', 's/b.pdf'], r);
    assert.deepEqual(statuses(checks), ['s/a.pdf invalidExpected', 's/b.pdf invalidExpected']);
    assert.match(checks[1].message!, /of step "another-step", not "inv"/);
    assert.deepEqual(r.ran, []);
  });

  it('reports a document that cannot be read without running it', async () => {
    const r = runner({});
    const checks = await check(ws, ['s/gone.pdf'], r);
    assert.deepEqual(statuses(checks), ['s/gone.pdf unavailable']);
    assert.match(checks[0].message!, /ENOENT/);
    assert.deepEqual(r.ran, []);
  });

  it('passes on what a run without a result says, and fails the check', async () => {
    for (const d of ['s/c.pdf', 's/d.pdf', 's/e.pdf', 's/f.pdf', 's/g.pdf', 's/h.pdf']) {
      ws.hashes.set(d, SHA_A);
      ws.files.set(`${d}.inv.expected.json`, expected({}));
    }
    const r = runner({
      's/c.pdf': { kind: 'stepError', message: 'No invoice found', code: 'EXTRACTION_FAILED', executionId: 'exec_3' },
      's/d.pdf': { kind: 'refused', message: 'too large', status: 413, requestId: 'req_9' },
      's/e.pdf': { kind: 'uncertain', message: 'answer lost', requestId: 'req_10' },
      's/f.pdf': { kind: 'unavailable', message: 'not a PDF' },
      's/g.pdf': { kind: 'timedOut', message: 'no result within 300 s', executionId: 'exec_7' },
      's/h.pdf': { kind: 'notRun', message: 'cancelled' },
    });
    const checks = await check(ws, ['s/c.pdf', 's/d.pdf', 's/e.pdf', 's/f.pdf', 's/g.pdf', 's/h.pdf'], r);
    assert.deepEqual(
      checks.map(c => c.status),
      ['stepError', 'refused', 'uncertain', 'unavailable', 'timedOut', 'notRun'],
    );
    assert.equal(checks[0].executionId, 'exec_3');
    assert.equal(checks[2].requestId, 'req_10');
    assert.equal(checkExitCode(checks.map(c => c.status)), 2, 'no result: the document could not be checked');
    assert.deepEqual(ws.writes, []);
  });

  describe('with update', () => {
    it('records missing results in canonical files, and passes', async () => {
      const r = runner({ 's/a.pdf': result({ b: 1, a: [2, 1] }), 's/b.pdf': result(null) });
      const checks = await check(ws, ['s/a.pdf', 's/b.pdf'], r, { update: true });
      assert.deepEqual(statuses(checks), ['s/a.pdf created', 's/b.pdf created']);
      assert.deepEqual(r.ran, [['s/a.pdf', 's/b.pdf']]);
      const text = ws.files.get('s/a.pdf.inv.expected.json')!;
      assert.equal(
        text,
        serializeExpected({ stepId: 'inv', document: 'a.pdf', sha256: SHA_A, result: { a: [2, 1], b: 1 } }),
      );
      assert.equal(parseExpected(ws.files.get('s/b.pdf.inv.expected.json')!).result, null);
      assert.equal(checkExitCode(checks.map(c => c.status)), 0);
    });

    it('leaves an equal expected file as it is, even written differently', async () => {
      const handWritten = `${JSON.stringify({ docutrayExpected: 1, stepId: 'inv', document: 'a.pdf', sha256: SHA_A, result: { total: 1 } })}\n`;
      ws.files.set('s/a.pdf.inv.expected.json', handWritten);
      const checks = await check(ws, ['s/a.pdf'], runner({ 's/a.pdf': result({ total: 1.001 }) }), {
        update: true,
        compare: { absoluteTolerance: 0.01 },
      });
      assert.deepEqual(statuses(checks), ['s/a.pdf passed']);
      assert.deepEqual(ws.writes, []);
      assert.equal(ws.files.get('s/a.pdf.inv.expected.json'), handWritten);
    });

    it('rewrites what differs, what belongs to a changed document and what was unusable', async () => {
      ws.hashes.set('s/c.pdf', SHA_A);
      ws.files.set('s/a.pdf.inv.expected.json', expected({ total: 1 }));
      ws.files.set('s/b.pdf.inv.expected.json', expected({ total: 1 }, SHA_A));
      ws.files.set('s/c.pdf.inv.expected.json', 'not json');
      const r = runner({
        's/a.pdf': result({ total: 2 }),
        's/b.pdf': result({ total: 1 }),
        's/c.pdf': result({ total: 3 }),
      });
      const checks = await check(ws, ['s/a.pdf', 's/b.pdf', 's/c.pdf'], r, { update: true });
      assert.deepEqual(statuses(checks), ['s/a.pdf updated', 's/b.pdf updated', 's/c.pdf updated']);
      assert.deepEqual(
        checks[0].differences?.map(d => d.path),
        ['total'],
      );
      const total = (path: string) => (parseExpected(ws.files.get(path)!).result as { total: number }).total;
      assert.equal(total('s/a.pdf.inv.expected.json'), 2);
      assert.equal(parseExpected(ws.files.get('s/b.pdf.inv.expected.json')!).sha256, SHA_B);
      assert.match(checks[1].message!, /changed document/);
      assert.equal(total('s/c.pdf.inv.expected.json'), 3);
      assert.equal(checkExitCode(checks.map(c => c.status)), 0);
    });

    it('writes nothing for a document that got no result, and fails', async () => {
      ws.files.set('s/a.pdf.inv.expected.json', expected({ total: 1 }));
      const before = ws.files.get('s/a.pdf.inv.expected.json');
      const r = runner({
        's/a.pdf': { kind: 'stepError', message: 'boom', executionId: 'exec_2' },
        's/b.pdf': { kind: 'uncertain', message: 'lost' },
      });
      const checks = await check(ws, ['s/a.pdf', 's/b.pdf'], r, { update: true });
      assert.deepEqual(statuses(checks), ['s/a.pdf stepError', 's/b.pdf uncertain']);
      assert.deepEqual(ws.writes, []);
      assert.equal(ws.files.get('s/a.pdf.inv.expected.json'), before);
      assert.equal(checkExitCode(checks.map(c => c.status)), 2, 'no result: the document could not be checked');
    });

    it('writes under the folder setting when one is set', async () => {
      const checks = await check(ws, ['s/a.pdf'], runner({ 's/a.pdf': result({}) }), {
        update: true,
        folder: 'expected',
      });
      assert.equal(checks[0].expectedFile, 'expected/s/a.pdf.inv.expected.json');
      assert.deepEqual(ws.writes, ['expected/s/a.pdf.inv.expected.json']);
    });
  });
});
