/**
 * Expected results on hostile input: matching ignore patterns (jsonPath.ts), locating differences
 * (locate.ts), comparing and serialising deep or large results (compare.ts, expectedFile.ts). Each is
 * measured in a process of its own (test/unit/hostile/worker.ts) against a bound of processor time far
 * above its cost (the clock of a shared machine also counts others' time);
 * before, they took 75.7 s (`**.**.**.**.x` on a 200-deep result), 68.7 s (20,000 keyed differences),
 * 24 s (a 38 MB result) or overflowed the stack near 2,070 levels. bench/hostile.ts prints the numbers.
 */
import * as assert from 'node:assert/strict';
import { compareResults } from '../../../../src/core/expected/compare';
import { MAX_INDENTED_LEVELS, stableStringify } from '../../../../src/core/expected/expectedFile';
import { matchesPattern, parsePath, parsePattern } from '../../../../src/core/expected/jsonPath';
import { resultLocator } from '../../../../src/core/expected/locate';
import { deepArray, deepObject } from '../../hostile/inputs';
import { measure } from '../../hostile/measure';

describe('expected results on hostile input', function () {
  this.timeout(120_000);

  it('ignorePaths **.**.**.**.x on a result 200 deep: < 1 s of processor time per comparison', async () => {
    const r = (await measure('ignoreDeep'))!;
    // The leaf changed and no key is named x: one difference, 200 levels down (`a.a.….leaf`).
    assert.deepEqual(r.summary, [2 * 199 + 4]);
    assert.ok(r.cpuMs < 1000, `${r.cpuMs.toFixed(0)} ms of processor time (${r.ms.toFixed(0)} ms on the clock)`);
  });

  it('20,000 keyed differences located in the expected file: < 5 s of processor time for all', async () => {
    const r = (await measure('locateKeyed'))!;
    const { differences, lines } = r.summary as { differences: number; lines: number };
    assert.equal(differences, 20_000);
    // Item i's amount is on line 8 + 5i (0-based) of the canonical file (5 lines an item): their sum.
    assert.equal(
      lines,
      Array.from({ length: 20_000 }, (_, i) => 8 + 5 * i).reduce((a, b) => a + b, 0),
    );
    assert.ok(r.cpuMs < 5000, `${r.cpuMs.toFixed(0)} ms of processor time (${r.ms.toFixed(0)} ms on the clock)`);
  });

  it('a result 10,000 levels deep is compared, written, read back and located: < 10 s of processor time, no RangeError', async () => {
    const r = (await measure('deep'))!;
    assert.deepEqual(
      { ...(r.summary as object), bytes: undefined, listBytes: undefined },
      {
        differences: 1,
        depth: 10_000,
        readBack: 0,
        line: 4 + MAX_INDENTED_LEVELS + 1,
        exact: true,
        bytes: undefined,
        listBytes: undefined,
      },
    );
    assert.ok(r.cpuMs < 10_000, `${r.cpuMs.toFixed(0)} ms of processor time (${r.ms.toFixed(0)} ms on the clock)`);
  });

  // About 0.7 s and 200 MB here (JSON.stringify of it: 0.3 s, 70 MB); the recursive writer took 2.3 s and 500 MB.
  it('a 38 MB result is written as an expected file in < 5 s of processor time, < 320 MB more memory', async () => {
    const r = (await measure('serialize38'))!;
    assert.ok((r.summary as { bytes: number }).bytes > 38 * 1024 * 1024);
    assert.ok(r.extraMB < 320, `${r.extraMB.toFixed(0)} MB more at the peak`);
    assert.ok(r.cpuMs < 5_000, `${r.cpuMs.toFixed(0)} ms of processor time (${r.ms.toFixed(0)} ms on the clock)`);
  });

  it('writes levels past the indented ones on one line, still canonical (keys sorted) and the same JSON', () => {
    const deep = deepObject(MAX_INDENTED_LEVELS + 3, { b: [1, { d: null, c: 'x' }], a: {} });
    const text = stableStringify(deep);
    assert.ok(text.includes(`"a":{"a":{"leaf":{"a":{},"b":[1,{"c":"x","d":null}]}}}`), text.slice(-200));
    assert.equal(compareResults(JSON.parse(text), deep).length, 0);
    // Shallow results are written exactly as before: one member a line.
    assert.equal(stableStringify({ b: [1], a: {} }), '{\n  "a": {},\n  "b": [\n    1\n  ]\n}');
    const list = stableStringify(deepArray(3, 1));
    assert.equal(list, '[\n  [\n    [\n      1\n    ]\n  ]\n]');
  });

  it('locates in a file with comments and trailing commas as before, and in a deep one', () => {
    const text = '{\n  // note\n  "result": {\n    "a": [1, {"k": "p", "v": 2},],\n    "b": {"c": null,},\n  },\n}';
    const locate = resultLocator(text);
    assert.deepEqual(locate(parsePath('b.c')), {
      offset: text.indexOf('"c"'),
      length: 9,
      line: 4,
      character: 10,
      exact: true,
    });
    assert.equal(locate(parsePath('a[k="p"].v'))!.line, 3);
    assert.equal(locate(parsePath('a[k="q"]'))!.exact, false);
  });

  it('pattern matching is the same language: ** any number of levels, * one key, [*] one element', () => {
    const path = parsePath('a.b[2].c');
    const yes = ['a.b[2].c', '**', '**.c', 'a.**', '*.b[*].c', '**.b.**', 'a.**.c', '**.**.**.**.c'];
    const no = ['a.b', '*.c', '**.x', 'a.b[1].c', '[*]', 'a.**.b'];
    for (const p of yes) {
      assert.ok(matchesPattern(parsePattern(p), path), p);
    }
    for (const p of no) {
      assert.ok(!matchesPattern(parsePattern(p), path), p);
    }
    assert.ok(matchesPattern(parsePattern('a.b'), path, { prefix: true }));
    assert.ok(!matchesPattern(parsePattern('a.c'), path, { prefix: true }));
  });
});
