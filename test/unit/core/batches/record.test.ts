/**
 * A batch and its documents: one state vocabulary (the run's), what a stored batch file may hold and what
 * happens to what it may not, and the folder run's exclude rules.
 */
import * as assert from 'node:assert/strict';
import {
  batchFailure,
  batchTimes,
  canResume,
  createBatch,
  documentsOf,
  failureGroups,
  isBatchAlive,
  lookupIn,
  nextRunId,
  runIdFor,
  summarizeBatch,
} from '../../../../src/core/batches/record';
import { parseBatch } from '../../../../src/core/batches/file';
import { documentGlob, excludeRules, expandBraces, searchExcludeGlob } from '../../../../src/core/batches/folder';
import { SUPPORTED_EXTENSIONS } from '../../../../src/core/documents/mime';
import type { RunRecord } from '../../../../src/core/runs/history';
import { runRecord } from '../../run-records';

const HASH = 'a'.repeat(64);

function batchOf(n: number) {
  return createBatch({
    id: 'batch_t',
    stepId: 's',
    stepName: 'S',
    files: Array.from({ length: n }, (_, i) => ({ uri: `file:///ws/${i}.pdf`, label: `${i}.pdf` })),
    now: 100,
  });
}

describe('a batch: documents whose state is their run', () => {
  it('names each document its run before anything is sent, once per URI', () => {
    const b = createBatch({
      id: 'batch_x',
      stepId: 's',
      files: [{ uri: 'file:///a' }, { uri: 'file:///b' }, { uri: 'file:///a' }],
      now: 1,
    });
    assert.deepEqual(
      b.documents.map(d => [d.uri, d.runId]),
      [
        ['file:///a', 'batch_x.0'],
        ['file:///b', 'batch_x.1'],
      ],
    );
  });

  it('a document is pending without a run, skipped when reused, else what its run says', () => {
    const b = batchOf(4);
    b.documents[3].reused = { executionId: 'e-old', sha256: HASH };
    const runs: RunRecord[] = [
      runRecord('batch_t.0', 'SUCCESS', { executionId: 'e0', batchId: 'batch_t' }),
      runRecord('batch_t.1', 'mayHaveStarted', { batchId: 'batch_t' }),
    ];
    assert.deepEqual(
      documentsOf(b, lookupIn(runs)).map(d => d.state),
      ['SUCCESS', 'mayHaveStarted', 'pending', 'skipped'],
    );
  });

  it('is alive while a document is pending, starting or waiting — not for one that may have started', () => {
    const b = batchOf(2);
    const done = runRecord('batch_t.0', 'SUCCESS', { executionId: 'e0' });
    assert.equal(isBatchAlive(b, lookupIn([done])), true, 'the second is pending');
    const uncertain = runRecord('batch_t.1', 'mayHaveStarted');
    assert.equal(isBatchAlive(b, lookupIn([done, uncertain])), false, 'it waits for the user, not the batch');
    const waiting = runRecord('batch_t.1', 'ENQUEUED', { executionId: 'e1' });
    assert.equal(isBatchAlive(b, lookupIn([done, waiting])), true);
    assert.equal(isBatchAlive({ ...b, cancelledAt: 5 }, lookupIn([done, waiting])), false, 'cancelled');
  });

  it('summarises from the runs: done, failed, uncertain, pending, running', () => {
    const b = batchOf(7);
    b.documents[6].reused = { executionId: 'e-old', sha256: HASH };
    const runs = lookupIn([
      runRecord('batch_t.0', 'SUCCESS', { executionId: 'e0' }),
      runRecord('batch_t.1', 'ERROR', { executionId: 'e1' }),
      runRecord('batch_t.2', 'failed'),
      runRecord('batch_t.3', 'unavailable', { executionId: 'e3' }),
      runRecord('batch_t.4', 'PROCESSING', { executionId: 'e4' }),
    ]);
    const s = summarizeBatch(b, runs, 1000);
    assert.deepEqual(
      { done: s.done, succeeded: s.succeeded, skipped: s.skipped, failed: s.failed, unavailable: s.unavailable },
      { done: 2, succeeded: 1, skipped: 1, failed: 2, unavailable: 1 },
    );
    assert.deepEqual(
      { pending: s.pending, running: s.running, uncertain: s.uncertain },
      { pending: 1, running: 1, uncertain: 0 },
    );
  });

  it('a document sent again (the user chose it) gets the next attempt, never its old run', () => {
    const b = batchOf(2);
    const again = nextRunId(b, b.documents[1], 1);
    assert.equal(again, runIdFor('batch_t', 1, 2));
    assert.equal(nextRunId(b, { ...b.documents[1], runId: again }, 1), 'batch_t.1.3');
    assert.equal(nextRunId(b, { ...b.documents[1], runId: 'legacy-uuid' }, 1), 'batch_t.1.2');
  });

  it('groups failures by reason, most common first', () => {
    const b = batchOf(4);
    const error = (id: string) =>
      runRecord(id, 'ERROR', { executionId: id, error: { kind: 'stepFailed', message: 'No invoice found' } });
    const runs = lookupIn([
      error('batch_t.0'),
      error('batch_t.1'),
      runRecord('batch_t.2', 'failed', { error: { kind: 'connection', message: 'offline' } }),
      runRecord('batch_t.3', 'SUCCESS', { executionId: 'e' }),
    ]);
    assert.deepEqual(
      failureGroups(b, runs).map(g => [g.reason, g.labels]),
      [
        ['No invoice found', ['0.pdf', '1.pdf']],
        ['offline', ['2.pdf']],
      ],
    );
  });

  it('starts at its first run and ends when no document is open', () => {
    const b = batchOf(2);
    const runs = [
      runRecord('batch_t.0', 'SUCCESS', { startedAt: 200, finishedAt: 300, executionId: 'e0' }),
      runRecord('batch_t.1', 'PROCESSING', { startedAt: 250, executionId: 'e1' }),
    ];
    assert.deepEqual(batchTimes(b, lookupIn(runs)), { startedAt: 200 });
    runs[1] = { ...runs[1], state: 'SUCCESS', finishedAt: 400 };
    assert.deepEqual(batchTimes(b, lookupIn(runs)), { startedAt: 200, endedAt: 400 });
  });
});

describe('a batch that cannot go on (an unknown step, a refused key)', () => {
  const unknownStep = Object.assign(new Error('DocuTray has no step "typo"'), { kind: 'notFound' });
  const refusedKey = Object.assign(new Error('DocuTray refused the API key'), { kind: 'authentication' });

  it('has ended: not alive, its unsent documents keep it open no more, and it says when it ended', () => {
    const b = { ...batchOf(3), failure: batchFailure(unknownStep, 500) };
    assert.deepEqual(b.failure, { at: 500, kind: 'notFound', message: 'DocuTray has no step "typo"' });
    const runs = lookupIn([runRecord('batch_t.0', 'SUCCESS', { executionId: 'e0', finishedAt: 400 })]);
    assert.equal(isBatchAlive(batchOf(3), runs), true, 'without the failure: two pending');
    assert.equal(isBatchAlive(b, runs), false);
    assert.deepEqual(batchTimes(b, runs), { startedAt: 1000, endedAt: 500 });
    const s = summarizeBatch(b, runs, 600, { ratePerMs: 1 });
    assert.equal(s.pending, 2, 'not sent, and said so');
    assert.equal(s.etaMs, undefined, 'no time left to promise');
  });

  it('offers Resume only where it can work: a mended key, never an unknown step, never with nothing left', () => {
    const runs = lookupIn([runRecord('batch_t.0', 'SUCCESS', { executionId: 'e0' })]);
    assert.equal(canResume({ ...batchOf(2), failure: batchFailure(unknownStep, 1) }, runs), false, 'the same 404');
    assert.equal(canResume({ ...batchOf(2), failure: batchFailure(refusedKey, 1) }, runs), true, 'after a new key');
    const notRecorded = Object.assign(new Error('not recorded'), { name: 'NotRecordedError' });
    assert.equal(batchFailure(notRecorded, 1).kind, 'notRecorded');
    assert.equal(canResume({ ...batchOf(2), failure: batchFailure(notRecorded, 1) }, runs), true);
    assert.equal(canResume({ ...batchOf(2), cancelledAt: 1 }, runs), true, 'cancelled with one unsent');
    assert.equal(canResume({ ...batchOf(1), cancelledAt: 1 }, runs), false, 'cancelled with nothing left');
    const cancelledWhileRunning = lookupIn([runRecord('batch_t.0', 'cancelled', { executionId: 'e0' })]);
    assert.equal(canResume({ ...batchOf(1), cancelledAt: 1 }, cancelledWhileRunning), true, 'polled again');
  });

  it('keeps its failure in its file, and drops a failure it cannot read', () => {
    const b = { ...batchOf(1), failure: batchFailure(refusedKey, 7) };
    assert.deepEqual(parseBatch(JSON.parse(JSON.stringify(b)))?.batch, b);
    const odd = parseBatch(JSON.parse(JSON.stringify({ ...b, failure: { at: 'x', kind: 1 } })));
    assert.equal(odd?.batch.failure, undefined);
  });
});

describe('a stored batch file, checked before it is trusted', () => {
  const base = { version: 2, id: 'batch_f', stepId: 's', createdAt: 1 };

  it('reads the current layout and round-trips', () => {
    const b = batchOf(2);
    const parsed = parseBatch(JSON.parse(JSON.stringify({ ...b, owner: 'w1' })));
    assert.ok(parsed);
    assert.deepEqual(parsed.batch, { ...b, owner: 'w1' });
    assert.deepEqual(parsed.problems, []);
  });

  it('a document listed twice is one document: one run, one start', () => {
    const parsed = parseBatch({
      ...base,
      documents: [
        { uri: 'file:///a', runId: 'batch_f.0' },
        { uri: 'file:///a', runId: 'batch_f.1' },
        { uri: 'file:///b', runId: 'batch_f.0' },
      ],
    });
    assert.ok(parsed);
    assert.deepEqual(
      parsed.batch.documents.map(d => d.uri),
      ['file:///a'],
      'the same URI, or the same run, stands once',
    );
    assert.match(parsed.problems.join(), /twice/);
  });

  it('an entry that cannot be read is set aside alone; the rest goes on', () => {
    const bad = { uri: 42 };
    const parsed = parseBatch({
      ...base,
      documents: [{ uri: 'file:///a', runId: 'batch_f.0' }, bad, 'junk', { uri: 'file:///c', runId: 'batch_f.2' }],
    });
    assert.ok(parsed);
    assert.deepEqual(
      parsed.batch.documents.map(d => d.uri),
      ['file:///a', 'file:///c'],
    );
    assert.deepEqual(parsed.setAside, [bad, 'junk']);
  });

  it('is no batch without its id, step or list', () => {
    assert.equal(parseBatch({ ...base, id: '', documents: [] }), undefined);
    assert.equal(parseBatch({ ...base, documents: 'x' }), undefined);
    assert.equal(parseBatch({ ...base, version: 3, documents: [] }), undefined);
    assert.equal(parseBatch(null), undefined);
  });

  describe('an older file (a state per file)', () => {
    const v1 = (files: unknown[]) => parseBatch({ version: 1, id: 'batch_o', stepId: 's', createdAt: 1, files });

    it("turns each file's state into its run record, and keeps its run id", () => {
      const parsed = v1([
        { uri: 'file:///p', state: 'pending' },
        { uri: 'file:///w', state: 'waiting', executionId: 'e1', runId: 'uuid-w' },
        { uri: 'file:///s', state: 'succeeded', executionId: 'e2' },
        { uri: 'file:///k', state: 'skipped', reusedExecutionId: 'e0', sha256: HASH },
      ]);
      assert.ok(parsed);
      assert.deepEqual(
        parsed.batch.documents.map(d => d.runId),
        ['batch_o.0', 'uuid-w', 'batch_o.2', 'batch_o.3'],
      );
      assert.deepEqual(parsed.batch.documents[3].reused, { executionId: 'e0', sha256: HASH });
      assert.deepEqual(
        parsed.legacyRuns.map(r => [r.id, r.state, r.executionId]),
        [
          ['uuid-w', 'ENQUEUED', 'e1'],
          ['batch_o.2', 'SUCCESS', 'e2'],
        ],
      );
    });

    it('a waiting entry without an execution id, or a start under way, becomes "may have started"', () => {
      const parsed = v1([
        { uri: 'file:///w', state: 'waiting' },
        { uri: 'file:///u', state: 'uploading' },
      ]);
      assert.ok(parsed);
      assert.deepEqual(
        parsed.legacyRuns.map(r => r.state),
        ['mayHaveStarted', 'mayHaveStarted'],
      );
    });

    it('an entry in an unknown state is set aside alone', () => {
      const flying = { uri: 'file:///x', state: 'flying' };
      const parsed = v1([{ uri: 'file:///a', state: 'pending' }, flying]);
      assert.ok(parsed);
      assert.deepEqual(parsed.setAside, [flying]);
      assert.equal(parsed.batch.documents.length, 1);
    });
  });
});

describe('folder runs: what they take and leave out', () => {
  it('matches every supported extension in lower and upper case', () => {
    const glob = documentGlob(SUPPORTED_EXTENSIONS);
    for (const e of SUPPORTED_EXTENSIONS) {
      assert.ok(glob.includes(e.replace(/^\./, '')), e);
      assert.ok(glob.includes(e.replace(/^\./, '').toUpperCase()), e);
    }
    assert.equal(documentGlob(['.pdf', 'PDF']), '**/*.{pdf,PDF}');
  });

  it('expands braces, nested ones too; refuses what does not balance', () => {
    assert.deepEqual(expandBraces('**/*.{bak,old}.pdf'), ['**/*.bak.pdf', '**/*.old.pdf']);
    assert.deepEqual(expandBraces('{a,b{c,d}}/x'), ['a/x', 'bc/x', 'bd/x']);
    assert.deepEqual(expandBraces('[{]x'), ['[{]x'], 'a brace in a character class is literal');
    assert.equal(expandBraces('{a,b'), undefined);
    assert.equal(expandBraces('a}'), undefined);
  });

  it('leaves out what every pattern names, braces included, and folders with what is inside', () => {
    const rules = excludeRules({ '**/.git': true, '**/tmp': false, drafts: true }, [
      '**/*.{bak,old}.pdf',
      '**/node_modules/**',
      'scans/[0-9]*.png',
    ]);
    const out = (p: string) => rules.excludes(p);
    assert.equal(out('invoices/a.bak.pdf'), true, 'a pattern with braces excludes');
    assert.equal(out('invoices/a.old.pdf'), true);
    assert.equal(out('invoices/a.pdf'), false);
    assert.equal(out('drafts/x.pdf'), true, 'a folder pattern leaves out what is inside');
    assert.equal(out('sub/drafts/x.pdf'), false, 'a pattern without **/ is anchored at the folder');
    assert.equal(out('a/node_modules/b/c.pdf'), true);
    assert.equal(out('tmp/x.pdf'), false, 'files.exclude set to false excludes nothing');
    assert.equal(out('scans/7.png'), true);
    assert.equal(out('scans/x.png'), false);
    assert.deepEqual(rules.unusable, []);
  });

  it('names the patterns it cannot read instead of dropping them in silence', () => {
    const rules = excludeRules({}, ['**/*.{bak', 'ok/**', '[x']);
    assert.deepEqual(rules.unusable, ['**/*.{bak', '[x']);
    assert.deepEqual(rules.patterns, ['ok/**']);
  });

  it('gives the search one brace-free exclude, folders with their contents', () => {
    assert.equal(
      searchExcludeGlob(['**/.git', '**/out/**', '**/*.bak.pdf']),
      '{**/.git,**/.git/**,**/out/**,**/*.bak.pdf,**/*.bak.pdf/**}',
    );
    assert.equal(searchExcludeGlob(['a,b']), undefined, 'a comma cannot sit in a group: matched after the search');
    assert.equal(searchExcludeGlob([]), undefined);
  });
});
