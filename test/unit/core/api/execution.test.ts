import * as assert from 'node:assert/strict';
import { InvalidResponseError } from '../../../../src/core/api/errors';
import { isTerminal, normalizeExecution, normalizeExecutionError } from '../../../../src/core/api/execution';

describe('execution normalisation', () => {
  it('reads the Node SDK shape (id, camelCase timestamps, flat)', () => {
    const e = normalizeExecution({
      id: 'exec_1',
      status: 'SUCCESS',
      step_id: 'step_a',
      step_name: 'Invoices',
      requestTimestamp: '2024-01-15T10:30:00.000Z',
      responseTimestamp: '2024-01-15T10:30:45.000Z',
      originalFilename: 'a.pdf',
      data: { total: 1160 },
      error: null,
    });
    assert.equal(e.id, 'exec_1');
    assert.equal(e.status, 'SUCCESS');
    assert.equal(e.stepId, 'step_a');
    assert.equal(e.stepName, 'Invoices');
    assert.equal(e.requestTimestamp, '2024-01-15T10:30:00.000Z');
    assert.equal(e.responseTimestamp, '2024-01-15T10:30:45.000Z');
    assert.equal(e.originalFilename, 'a.pdf');
    assert.deepEqual(e.data, { total: 1160 });
    assert.equal(e.error, undefined);
  });

  it('reads the Python SDK shape (execution_id, snake_case)', () => {
    const e = normalizeExecution({
      execution_id: 'exec_2',
      status: 'PROCESSING',
      request_timestamp: 't0',
      response_timestamp: null,
      original_filename: 'b.png',
      stepId: 's',
    });
    assert.equal(e.id, 'exec_2');
    assert.equal(e.status, 'PROCESSING');
    assert.equal(e.requestTimestamp, 't0');
    assert.equal(e.responseTimestamp, undefined);
    assert.equal(e.originalFilename, 'b.png');
    assert.equal(e.stepId, 's');
  });

  it('reads conversion_id (what status answers carry, per the Python SDK #15)', () => {
    assert.equal(normalizeExecution({ conversion_id: 'exec_3', status: 'ENQUEUED' }).id, 'exec_3');
  });

  it('prefers id, then execution_id, then conversion_id', () => {
    assert.equal(normalizeExecution({ conversion_id: 'c', execution_id: 'e', id: 'i', status: 'ENQUEUED' }).id, 'i');
    assert.equal(normalizeExecution({ conversion_id: 'c', execution_id: 'e', status: 'ENQUEUED' }).id, 'e');
    assert.equal(normalizeExecution({ executionId: 'camel', status: 'ENQUEUED' }).id, 'camel');
  });

  it('uses the id that was asked for when a status carries none', () => {
    assert.equal(normalizeExecution({ status: 'PROCESSING' }, 'exec_asked').id, 'exec_asked');
    // …but an id in the record wins.
    assert.equal(normalizeExecution({ id: 'exec_sent', status: 'PROCESSING' }, 'exec_asked').id, 'exec_sent');
  });

  it('unwraps a data envelope, and keeps the inner record as raw', () => {
    const inner = {
      execution_id: 'exec_4',
      status: 'SUCCESS',
      result: { data: { n: 1 } },
      progress: { percentage: 100, current_step: 3 },
    };
    const e = normalizeExecution({ data: inner });
    assert.equal(e.id, 'exec_4');
    assert.deepEqual(e.data, { n: 1 });
    assert.equal(e.progress, 100);
    assert.equal(e.raw, inner);
  });

  it('does not mistake a flat record whose data has a status for an envelope', () => {
    const e = normalizeExecution({ id: 'exec_5', status: 'SUCCESS', data: { status: 'paid', id: 'INV-1' } });
    assert.equal(e.id, 'exec_5');
    assert.deepEqual(e.data, { status: 'paid', id: 'INV-1' });
  });

  it('keeps unknown fields in raw', () => {
    const body = { id: 'exec_6', status: 'SUCCESS', data: {}, billing: { credits: 2 }, newField: 'x' };
    const e = normalizeExecution(body);
    assert.deepEqual(e.raw.billing, { credits: 2 });
    assert.equal(e.raw.newField, 'x');
  });

  it('upper-cases the status and keeps an unknown one', () => {
    assert.equal(normalizeExecution({ id: 'x', status: 'success' }).status, 'SUCCESS');
    assert.equal(normalizeExecution({ id: 'x', status: 'PAUSED' }).status, 'PAUSED');
    assert.equal(isTerminal('PAUSED'), false);
    assert.equal(isTerminal('SUCCESS'), true);
    assert.equal(isTerminal('ERROR'), true);
  });

  it('reads a numeric progress', () => {
    assert.equal(normalizeExecution({ id: 'x', status: 'PROCESSING', progress: 40 }).progress, 40);
    assert.equal(normalizeExecution({ id: 'x', status: 'PROCESSING' }).progress, undefined);
  });

  it('accepts a numeric id as a string', () => {
    assert.equal(normalizeExecution({ id: 42, status: 'ENQUEUED' }).id, '42');
  });

  describe('error', () => {
    it('as a string', () => {
      const e = normalizeExecution({ id: 'x', status: 'ERROR', error: 'Extraction failed', data: null });
      assert.deepEqual(e.error, { message: 'Extraction failed' });
      assert.equal(e.data, undefined);
    });
    it('as an object with code and step', () => {
      const e = normalizeExecution({
        id: 'x',
        status: 'ERROR',
        error: { step: 'extract', code: 'EXTRACTION_FAILED', message: 'No total' },
      });
      assert.deepEqual(e.error, { message: 'No total', code: 'EXTRACTION_FAILED', step: 'extract' });
    });
    it('as an object without a message', () => {
      assert.deepEqual(normalizeExecutionError({ code: 'TIMEOUT' }), {
        message: 'TIMEOUT',
        code: 'TIMEOUT',
        step: undefined,
      });
      assert.deepEqual(normalizeExecutionError({ detail: 'It broke' }), {
        message: 'It broke',
        code: undefined,
        step: undefined,
      });
      assert.equal(normalizeExecutionError({ foo: 1 })?.message, '{"foo":1}');
    });
    it('absent', () => {
      assert.equal(normalizeExecutionError(null), undefined);
      assert.equal(normalizeExecutionError(''), undefined);
    });
  });

  describe('refusals', () => {
    for (const [what, body] of [
      ['an array', []],
      ['a string', 'ok'],
      ['null', null],
      ['no status', { id: 'x' }],
      ['no id', { status: 'ENQUEUED' }],
    ] as const) {
      it(`refuses ${what}`, () => {
        assert.throws(() => normalizeExecution(body), InvalidResponseError);
      });
    }
  });
});
