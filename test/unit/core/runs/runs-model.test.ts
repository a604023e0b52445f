/** The pure run and result models behind the VS Code glue: steps, metadata, history, names. */
import * as assert from 'assert';
import {
  boundHistory,
  formatDuration,
  parseHistory,
  resumeAction,
  serializeHistory,
  RunRecord,
} from '../../../../src/core/runs/history';
import { expandMetadata } from '../../../../src/core/runs/metadata';
import { orderByLastUsed, parseSteps, upsertStep } from '../../../../src/core/runs/steps';
import { resultFileName } from '../../../../src/core/results/naming';
import { numberedName } from '../../../../src/core/results/saveTarget';
import {
  parseResultLocation,
  parseStoredResult,
  serializeStoredResult,
  resultDocumentText,
  resultLocation,
  toStoredResult,
} from '../../../../src/core/results/storedResult';
import { InvalidInputError } from '../../../../src/core/api/errors';
import { runRecord } from '../../run-records';
import { workspaceSource } from '../../../../src/core/runs/source';

function rec(id: string, state: RunRecord['state'], startedAt: number, executionId?: string): RunRecord {
  return runRecord(id, state, { startedAt, executionId });
}

describe('core run models', () => {
  describe('steps', () => {
    it('reads the setting leniently, naming what it skipped', () => {
      const { steps, problems } = parseSteps([
        { id: ' inv ', name: 'Invoices' },
        { name: 'no id' },
        'receipt',
        { id: 'inv' },
      ]);
      assert.deepStrictEqual(steps, [
        { id: 'inv', name: 'Invoices', description: undefined },
        { id: 'receipt', name: 'receipt', description: undefined },
      ]);
      assert.strictEqual(problems.length, 2);
      assert.deepStrictEqual(parseSteps({}).steps, []);
      assert.match(parseSteps({}).problems[0], /must be an array/);
    });
    it('puts the last used step first and upserts by id', () => {
      const list = [
        { id: 'a', name: 'A' },
        { id: 'b', name: 'B' },
        { id: 'c', name: 'C' },
      ];
      assert.deepStrictEqual(
        orderByLastUsed(list, 'c').map(s => s.id),
        ['c', 'a', 'b'],
      );
      assert.deepStrictEqual(
        orderByLastUsed(list, 'zz').map(s => s.id),
        ['a', 'b', 'c'],
      );
      assert.deepStrictEqual(
        upsertStep(list, { id: 'd', name: 'D' }).map(s => s.id),
        ['a', 'b', 'c', 'd'],
      );
      assert.deepStrictEqual(
        upsertStep(list, { id: 'b2', name: 'B2' }, 'b').map(s => s.id),
        ['a', 'b2', 'c'],
      );
    });
  });

  describe('document metadata', () => {
    it('expands ${fileName}, ${relativePath} and ${workspaceFolder} in string values, deeply', () => {
      const out = expandMetadata(
        { source: '${relativePath}', tags: ['${fileName}', 3], nested: { ws: '${workspaceFolder}', keep: '${other}' } },
        { fileName: 'a.pdf', relativePath: 'docs/a.pdf', workspaceFolder: 'proj' },
      );
      assert.deepStrictEqual(out, {
        source: 'docs/a.pdf',
        tags: ['a.pdf', 3],
        nested: { ws: 'proj', keep: '${other}' },
      });
    });
    it('sends nothing for an empty object and refuses what is not an object', () => {
      const vars = { fileName: '', relativePath: '', workspaceFolder: '' };
      assert.strictEqual(expandMetadata({}, vars), undefined);
      assert.strictEqual(expandMetadata(undefined, vars), undefined);
      assert.throws(() => expandMetadata(['x'], vars), InvalidInputError);
      assert.throws(() => expandMetadata('x', vars), InvalidInputError);
    });
  });

  describe('history', () => {
    it('bounds to maxRuns dropping the oldest finished runs, never one in flight', () => {
      const runs = [
        rec('old-running', 'PROCESSING', 1, 'e1'),
        rec('old', 'SUCCESS', 2),
        rec('mid', 'ERROR', 3),
        rec('new', 'SUCCESS', 4),
      ];
      const { kept, dropped } = boundHistory(runs, 2);
      assert.deepStrictEqual(
        kept.map(r => r.id),
        ['new', 'old-running'],
      );
      assert.deepStrictEqual(
        dropped.map(r => r.id),
        ['mid', 'old'],
      );
    });
    it('round-trips, and recovers from damage with a description', () => {
      const runs = [rec('a', 'SUCCESS', 1), { ...rec('b', 'PROCESSING', 2, 'e2'), stage: 'uploading' }];
      const parsed = parseHistory(serializeHistory(runs));
      assert.strictEqual(parsed.problem, undefined);
      assert.deepStrictEqual(
        parsed.runs.map(r => [r.id, r.state, r.stage]),
        [
          ['a', 'SUCCESS', undefined],
          ['b', 'PROCESSING', undefined],
        ],
      );
      assert.deepStrictEqual(parseHistory(undefined), { runs: [] });
      assert.match(parseHistory('{"runs": [').problem ?? '', /not valid JSON/);
      assert.match(parseHistory('{"x": 1}').problem ?? '', /no list of runs/);
      const mixed = parseHistory(
        JSON.stringify({
          version: 1,
          runs: [rec('ok', 'SUCCESS', 1), { id: 'bad' }, { ...rec('bad2', 'SUCCESS', 1), state: 'WAT' }],
        }),
      );
      assert.deepStrictEqual(
        mixed.runs.map(r => r.id),
        ['ok'],
      );
      assert.match(mixed.problem ?? '', /dropped 2 damaged entries/);
    });
    it('resumes by polling when there is an execution id, never by starting again', () => {
      assert.strictEqual(resumeAction(rec('a', 'PROCESSING', 1, 'e')), 'poll');
      assert.strictEqual(resumeAction(rec('a', 'ENQUEUED', 1, 'e')), 'poll');
      assert.strictEqual(resumeAction(rec('a', 'starting', 1)), 'markMayHaveStarted');
      assert.strictEqual(resumeAction(rec('a', 'SUCCESS', 1, 'e')), 'none');
      assert.strictEqual(resumeAction(rec('a', 'mayHaveStarted', 1)), 'none');
    });
    it('formats durations', () => {
      assert.strictEqual(formatDuration(420), '420 ms');
      assert.strictEqual(formatDuration(2500), '2.5 s');
      assert.strictEqual(formatDuration(42_000), '42 s');
      assert.strictEqual(formatDuration(125_000), '2 min 5 s');
    });
  });

  describe('result names and storage format', () => {
    it('names results <source>.<step>.json, safe on every platform', () => {
      assert.strictEqual(
        resultFileName('factura-ñandú 請求書.pdf', 'invoice'),
        'factura-ñandú 請求書.pdf.invoice.json',
      );
      assert.strictEqual(resultFileName('a/b:c*?.pdf', '..'), 'a_b_c__.pdf._.json');
    });
    it('numbers a name until it is free', async () => {
      const taken = new Set(['x.s.json', 'x.s (2).json']);
      assert.strictEqual(await numberedName('x.s.json', async n => taken.has(n)), 'x.s (3).json');
      assert.strictEqual(await numberedName('y.s.json', async n => taken.has(n)), 'y.s.json');
    });
    it('stores a result, shows data on SUCCESS and the error on ERROR, and maps paths both ways', () => {
      const stored = toStoredResult(
        { id: 'exec_1', status: 'SUCCESS', data: { total: 1 }, raw: { id: 'exec_1', status: 'SUCCESS', extra: true } },
        { stepId: 'inv', stepName: 'Invoices', source: workspaceSource('file:///a.pdf'), sourceName: 'a.pdf' },
        new Date(0),
      );
      assert.deepStrictEqual(JSON.parse(resultDocumentText(stored)), { total: 1 });
      assert.deepStrictEqual(
        parseStoredResult(serializeStoredResult(stored)),
        // As written: fields left undefined are not stored; the source comes back parsed.
        { ...JSON.parse(JSON.stringify(stored)), source: stored.source },
        'parsed back as written',
      );
      assert.strictEqual(parseStoredResult('{nope'), undefined);
      const failed = {
        ...stored,
        status: 'ERROR',
        data: undefined,
        error: { message: 'no invoice', code: 'EXTRACTION_FAILED' },
      };
      assert.deepStrictEqual(JSON.parse(resultDocumentText(failed)), {
        status: 'ERROR',
        error: { message: 'no invoice', code: 'EXTRACTION_FAILED' },
      });
      const data = resultLocation(stored);
      assert.deepStrictEqual(data, { path: '/a.pdf · Invoices.json', query: 'execution=exec_1' });
      assert.deepStrictEqual(parseResultLocation(data.path, data.query), { executionId: 'exec_1', view: 'data' });
      const record = resultLocation(stored, 'execution');
      assert.deepStrictEqual(parseResultLocation(record.path, record.query), {
        executionId: 'exec_1',
        view: 'execution',
      });
    });
  });
});
