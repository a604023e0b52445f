/** The run lifecycle: what each state may offer, so a paid step is never started twice by our own buttons. */
import * as assert from 'assert';
import {
  CancelledError,
  ConnectionError,
  NotFoundError,
  ServerError,
  StartUncertainError,
  StepFailedError,
  TimeoutError,
} from '../../../../src/core/api/errors';
import { RunRecord, boundHistory } from '../../../../src/core/runs/history';
import {
  inlineRerun,
  mayRetryStart,
  planRetry,
  rerunMayDuplicate,
  resumeChange,
  retryOffer,
  transition,
} from '../../../../src/core/runs/lifecycle';
import {
  executionSource,
  formatRunSource,
  hasDocument,
  parseRunSource,
  urlSourceName,
  workspaceSource,
} from '../../../../src/core/runs/source';

function rec(state: RunRecord['state'], executionId?: string, extra: Partial<RunRecord> = {}): RunRecord {
  return {
    id: `r-${state}-${executionId ?? ''}`,
    source: workspaceSource('file:///ws/a.pdf'),
    sourceName: 'a.pdf',
    stepId: 's',
    stepName: 'S',
    state,
    startedAt: 1,
    updatedAt: 1,
    executionId,
    ...extra,
  };
}

describe('run lifecycle', () => {
  describe('transitions', () => {
    it('starting → ENQUEUED with the id → PROCESSING → SUCCESS', () => {
      let r = rec('starting');
      r = { ...r, ...transition(r, { type: 'started', executionId: 'e1' }) };
      assert.deepStrictEqual([r.state, r.executionId], ['ENQUEUED', 'e1']);
      r = { ...r, ...transition(r, { type: 'status', status: 'PROCESSING' }) };
      assert.strictEqual(r.state, 'PROCESSING');
      assert.strictEqual(transition(r, { type: 'status', status: 'PROCESSING' }), undefined, 'no change, no write');
      r = { ...r, ...transition(r, { type: 'succeeded' }, 5) };
      assert.deepStrictEqual([r.state, r.finishedAt], ['SUCCESS', 5]);
      assert.strictEqual(
        transition(r, { type: 'status', status: 'PROCESSING' }),
        undefined,
        'a late status does not reopen a finished run',
      );
    });

    it('an error once the id is known never fails the run: it is unavailable with the id kept', () => {
      for (const e of [
        new ServerError({ status: 503 }),
        new ConnectionError('http://x', 'ECONNRESET'),
        new TimeoutError('t', {}, 'e1'),
        new NotFoundError('execution', 'e1'),
        new RangeError('Maximum call stack size exceeded'),
      ]) {
        const change = transition(rec('PROCESSING', 'e1'), { type: 'error', error: e });
        assert.strictEqual(change?.state, 'unavailable', String(e));
        assert.ok(!('executionId' in (change ?? {})) || change?.executionId === 'e1');
      }
    });

    it('a service ERROR is ERROR; a cancel with an id is cancelled, id kept', () => {
      assert.strictEqual(
        transition(rec('PROCESSING', 'e1'), { type: 'error', error: new StepFailedError('e1', { message: 'no' }) })
          ?.state,
        'ERROR',
      );
      const c = transition(rec('PROCESSING', 'e1'), { type: 'error', error: new CancelledError() });
      assert.strictEqual(c?.state, 'cancelled');
      assert.ok(!('executionId' in (c ?? {})));
    });

    it('without an id: an uncertain start (or a cancel after the body left) may have started, with its request id; anything else failed', () => {
      const u = transition(rec('starting'), {
        type: 'error',
        error: new StartUncertainError('x', { requestId: 'req_9', status: 502 }),
      });
      assert.deepStrictEqual([u?.state, u?.requestId], ['mayHaveStarted', 'req_9']);
      assert.strictEqual(
        transition(rec('starting'), { type: 'error', error: new CancelledError({}, true) })?.state,
        'mayHaveStarted',
      );
      assert.strictEqual(
        transition(rec('starting'), { type: 'error', error: new CancelledError() })?.state,
        'cancelled',
      );
      assert.strictEqual(
        transition(rec('starting'), { type: 'error', error: new ConnectionError('http://x', 'ECONNREFUSED') })?.state,
        'failed',
      );
    });

    it('a window closed mid-start marks it "may have started"; mid-wait keeps waiting', () => {
      assert.strictEqual(transition(rec('starting'), { type: 'interrupted' })?.state, 'mayHaveStarted');
      assert.strictEqual(transition(rec('PROCESSING', 'e1'), { type: 'interrupted' }), undefined);
    });

    it('resuming an unavailable run polls it again', () => {
      assert.strictEqual(resumeChange(rec('unavailable', 'e1'))?.state, 'PROCESSING');
      assert.strictEqual(resumeChange(rec('mayHaveStarted')), undefined);
      assert.strictEqual(resumeChange(rec('SUCCESS', 'e1')), undefined);
    });
  });

  describe('offers', () => {
    it('Retry on anything with an execution id polls that execution, never starts', () => {
      for (const state of ['unavailable', 'cancelled', 'failed'] as const) {
        assert.deepStrictEqual(retryOffer(rec(state, 'e1')), { kind: 'poll', executionId: 'e1' }, state);
      }
    });
    it('Retry on an uncertain start needs the confirmation, naming the request id', () => {
      assert.deepStrictEqual(retryOffer(rec('mayHaveStarted', undefined, { requestId: 'req_7' })), {
        kind: 'confirmStart',
        requestId: 'req_7',
      });
    });
    it('Retry starts again only when nothing can have started; none for success, service ERROR, in flight, or no document', () => {
      assert.deepStrictEqual(retryOffer(rec('failed')), { kind: 'start' });
      assert.deepStrictEqual(retryOffer(rec('cancelled')), { kind: 'start' });
      for (const r of [
        rec('SUCCESS', 'e'),
        rec('ERROR', 'e'),
        rec('PROCESSING', 'e'),
        rec('starting'),
        rec('failed', undefined, { source: executionSource('e') }),
      ]) {
        assert.deepStrictEqual(retryOffer(r), { kind: 'none' }, r.state);
      }
    });
    it('batch Retry Failed never restarts an uncertain or started document', () => {
      const plan = planRetry([
        rec('failed'),
        rec('mayHaveStarted'),
        rec('unavailable', 'e1'),
        rec('SUCCESS', 'e2'),
        rec('cancelled', 'e3'),
      ]);
      assert.deepStrictEqual(
        plan.start.map(r => r.state),
        ['failed'],
      );
      assert.deepStrictEqual(
        plan.poll.map(r => r.executionId),
        ['e1', 'e3'],
      );
      assert.deepStrictEqual(
        plan.uncertain.map(r => r.state),
        ['mayHaveStarted'],
      );
    });
    it('no one-click inline Rerun on a run that may have started, is unavailable or in flight', () => {
      assert.ok(inlineRerun(rec('SUCCESS', 'e')));
      assert.ok(inlineRerun(rec('failed')));
      for (const r of [
        rec('mayHaveStarted'),
        rec('unavailable', 'e'),
        rec('PROCESSING', 'e'),
        rec('starting'),
        rec('cancelled', 'e'),
        rec('failed', 'e'),
      ]) {
        assert.ok(!inlineRerun(r), r.state);
        assert.ok(rerunMayDuplicate(r), r.state);
      }
      assert.ok(!inlineRerun(rec('SUCCESS', 'e', { source: executionSource('e') })));
    });
    it('a start is retried by itself only when no byte was sent', () => {
      assert.ok(mayRetryStart(0));
      assert.ok(!mayRetryStart(1));
    });
    it('the history bound keeps unavailable runs (their result is still to fetch)', () => {
      const runs = [
        rec('unavailable', 'old', { id: 'u', startedAt: 1 }),
        rec('SUCCESS', 'a', { id: 'a', startedAt: 2 }),
        rec('SUCCESS', 'b', { id: 'b', startedAt: 3 }),
      ];
      assert.deepStrictEqual(
        boundHistory(runs, 2).dropped.map(r => r.id),
        ['a'],
        'the unavailable run and the newest finished one stay',
      );
    });
  });

  describe('run sources', () => {
    it('parses and formats the three kinds, one place', () => {
      for (const s of [
        workspaceSource('file:///ws/a%20b.pdf'),
        workspaceSource('vscode-remote://ssh/x.pdf'),
        { kind: 'url', url: 'https://ex.com/a.pdf' } as const,
        executionSource('exec_1'),
      ]) {
        assert.deepStrictEqual(parseRunSource(formatRunSource(s)), s);
      }
      assert.deepStrictEqual(parseRunSource('HTTP://ex.com/x'), { kind: 'url', url: 'HTTP://ex.com/x' });
      assert.strictEqual(parseRunSource(''), undefined);
      assert.strictEqual(parseRunSource('no scheme'), undefined);
      assert.ok(hasDocument(parseRunSource('file:///a.pdf')));
      assert.ok(!hasDocument(parseRunSource('docutray-execution:e')));
      assert.strictEqual(urlSourceName('https://ex.com/docs/f%C3%B1.pdf?x=1'), 'fñ.pdf');
      assert.strictEqual(urlSourceName('https://ex.com/'), 'ex.com');
      assert.strictEqual(urlSourceName('https://ex.com/%zz'), '%zz');
    });
  });
});
