/**
 * Where a result lives in the `docutray-result` scheme: a path a person reads in the tab and the
 * breadcrumb (document and step name, no execution id), the execution in the query, and the older
 * layout still read for editors restored from an earlier session.
 */
import * as assert from 'node:assert/strict';
import { parseResultLocation, resultLocation } from '../../../../src/core/results/storedResult';

const RESULT = { executionId: 'exec_1', sourceName: 'invoice.pdf', stepId: 'example-invoice', stepName: 'Invoice' };

describe('result locations', () => {
  it('names the tab after the document and the step name, never the step id or the execution', () => {
    const { path, query } = resultLocation(RESULT);
    assert.equal(path, '/invoice.pdf · Invoice.json');
    assert.ok(!path.includes('exec_1') && !path.includes('example-invoice'), path);
    assert.equal(query, 'execution=exec_1');
    assert.equal(resultLocation(RESULT, 'execution').path, '/invoice.pdf · Invoice.execution.json');
  });

  it('has one path segment: the breadcrumb shows only the name', () => {
    assert.equal(resultLocation({ ...RESULT, sourceName: 'a/b.pdf', stepName: 'x/y' }).path.split('/').length, 2);
  });

  it('falls back to the step id when a result has no step name', () => {
    assert.equal(resultLocation({ ...RESULT, stepName: undefined }).path, '/invoice.pdf · example-invoice.json');
    assert.equal(resultLocation({ ...RESULT, stepName: '  ' }).path, '/invoice.pdf · example-invoice.json');
  });

  it('reads back the execution and the view, whatever characters the id has', () => {
    for (const executionId of ['exec_1', 'a+b c&d=e/f%g', 'ñ']) {
      for (const view of ['data', 'execution'] as const) {
        const { path, query } = resultLocation({ ...RESULT, executionId }, view);
        assert.deepEqual(parseResultLocation(path, query), { executionId, view });
      }
    }
  });

  it('still reads the older layout, /<executionId>/<document>.<step id>.json', () => {
    assert.deepEqual(parseResultLocation('/exec_7/invoice.pdf.example-invoice.json'), {
      executionId: 'exec_7',
      view: 'data',
    });
    assert.deepEqual(parseResultLocation('/exec_7/invoice.pdf.example-invoice.execution.json'), {
      executionId: 'exec_7',
      view: 'execution',
    });
  });

  it('names nothing for other paths', () => {
    assert.equal(parseResultLocation('/'), undefined);
    assert.equal(parseResultLocation('/invoice.pdf · Invoice.json'), undefined, 'no execution in the query');
    assert.equal(parseResultLocation('/a/b/c.json', 'execution=exec_1'), undefined);
    assert.equal(parseResultLocation('/x.json', 'execution=%E0%A4%A'), undefined, 'a damaged id');
  });
});
