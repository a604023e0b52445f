/** Results stored once and bounded: one compact copy of the data, deep data still stored, a cache by bytes. */
import * as assert from 'assert';
import { normalizeExecution } from '../../../../src/core/api/execution';
import { ByteCache } from '../../../../src/core/results/byteCache';
import {
  deepJson,
  executionRecordText,
  fitsStringify,
  parseStoredResult,
  resultDocumentText,
  serializeStoredResult,
  toStoredResult,
} from '../../../../src/core/results/storedResult';
import { workspaceSource } from '../../../../src/core/runs/source';

const CTX = { stepId: 's', stepName: 'S', source: workspaceSource('file:///ws/a.pdf'), sourceName: 'a.pdf' };

describe('stored results', () => {
  it('keep one copy of the data: not again inside the execution record', () => {
    const data = { rows: Array.from({ length: 1000 }, (_, i) => ({ i, text: 'x'.repeat(50) })) };
    const e = normalizeExecution({ id: 'e1', status: 'SUCCESS', step_id: 's', data });
    const text = serializeStoredResult(toStoredResult(e, CTX));
    const once = JSON.stringify(data).length;
    assert.ok(text.length < once * 1.1, `stored ${text.length} bytes for ${once} bytes of data`);
    assert.ok(!/\n/.test(text), 'compact');
    const back = parseStoredResult(text);
    assert.deepStrictEqual(back?.data, data);
    assert.strictEqual(back?.execution.data, undefined);
    assert.deepStrictEqual(JSON.parse(resultDocumentText(back!)), data);
    // The execution record view still shows the data where DocuTray sent it.
    assert.deepStrictEqual(JSON.parse(executionRecordText(back!)).execution.data, data);
  });

  it("drops SK's result.data too", () => {
    const e = normalizeExecution({ id: 'e1', status: 'SUCCESS', result: { data: { a: 1 }, meta: 2 } });
    const s = toStoredResult(e, CTX);
    assert.deepStrictEqual(s.data, { a: 1 });
    assert.deepStrictEqual(s.execution.result, { meta: 2 });
  });

  it('a result too deeply nested to pretty-print is still stored (as text) and shown', () => {
    const depth = 100_000;
    const text = `{"id":"e1","status":"SUCCESS","data":${'['.repeat(depth)}${']'.repeat(depth)}}`;
    const e = normalizeExecution(JSON.parse(text));
    assert.throws(() => JSON.stringify(e.data), RangeError, 'JSON.stringify cannot (the bug this guards against)');
    const stored = toStoredResult(e, CTX);
    const file = serializeStoredResult(stored);
    const back = parseStoredResult(file);
    assert.ok(back?.dataText?.startsWith('[[[['));
    assert.strictEqual(resultDocumentText(back!).trim(), `${'['.repeat(depth)}${']'.repeat(depth)}`);
    assert.match(executionRecordText(back!), /too deeply nested/);
  });

  it('deepJson matches JSON.stringify where both work', () => {
    for (const v of [
      null,
      1,
      'a"b\n',
      [1, undefined, 'x'],
      { a: undefined, b: [true, { c: NaN }], 'd"': {} },
      [],
      {},
    ]) {
      assert.strictEqual(deepJson(v), JSON.stringify(v));
    }
    assert.ok(fitsStringify({ a: [[1]] }));
    assert.ok(!fitsStringify([[[[]]]], 3));
  });

  it('the in-memory cache is bounded by bytes, least recently used first', () => {
    const c = new ByteCache<string>(10);
    c.set('a', 'A', 4);
    c.set('b', 'B', 4);
    assert.strictEqual(c.get('a'), 'A');
    c.set('c', 'C', 4);
    assert.strictEqual(c.get('b'), undefined, 'b was least recently used');
    assert.strictEqual(c.get('a'), 'A');
    assert.strictEqual(c.bytes, 8);
    c.set('huge', 'H', 11);
    assert.strictEqual(c.get('huge'), undefined, 'larger than the budget: not kept');
    // 12 results of 3 MB in a 32 MB cache: at most 32 MB kept.
    const big = new ByteCache<number>(32 * 1024 * 1024);
    for (let i = 0; i < 12; i++) {
      big.set(String(i), i, 3 * 1024 * 1024);
    }
    assert.ok(big.bytes <= 32 * 1024 * 1024);
    assert.strictEqual(big.size, 10);
  });
});
