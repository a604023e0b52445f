/**
 * Exclude globs on hostile patterns (src/core/batches/folder.ts): a pattern of many `*` against names it
 * does not match was a backtracking regular expression (12 `*`: 3.7 s per path). The bound is far above
 * the cost (bench/hostile.ts prints it); the rules stay what they were (folder.test.ts).
 */
import * as assert from 'node:assert/strict';
import { compileGlob, excludeRules } from '../../../../src/core/batches/folder';
import { measure } from '../../hostile/measure';

describe('exclude globs without backtracking', function () {
  this.timeout(60_000);

  it('a glob with 12 * against 100 paths it does not match: < 1 s of processor time for all of them', async () => {
    const r = (await measure('globStars'))!;
    assert.equal(r.summary, 0, 'none of the paths matches');
    assert.ok(
      r.cpuMs < 1000,
      `${r.cpuMs.toFixed(0)} ms of processor time (${r.ms.toFixed(0)} ms on the clock) for 100 paths`,
    );
  });

  it('matches as the regular expression did: *, **, ?, classes, folders', () => {
    const cases: [string, string, boolean][] = [
      [`${'*a'.repeat(12)}b`, `${'a'.repeat(12)}b`, true],
      [`${'*a'.repeat(12)}b`, `${'a'.repeat(60)}`, false],
      ['**/*.pdf', 'a/b/c.pdf', true],
      ['**/*.pdf', 'c.pdf', true],
      ['a/**/b', 'a/b', true],
      ['a/**/b', 'a/x/y/b', true],
      ['a/**/b', 'a/xb', false],
      ['a/**', 'a/x/y', true],
      ['a/**', 'a', false],
      ['*.pdf', 'a/b.pdf', false],
      ['?.pdf', 'a.pdf', true],
      ['?.pdf', '/.pdf', false],
      ['[!a]b', 'cb', true],
      ['[!a]b', 'ab', false],
      ['[a-c]*', 'b/x', false],
      ['a**b', 'axxb', true],
      ['a**b', 'a/b', false],
    ];
    for (const [glob, path, expected] of cases) {
      assert.equal(compileGlob(glob)!(path), expected, `${glob} against ${path}`);
    }
    assert.equal(compileGlob('[z-a]'), undefined, 'a class that cannot be read');
    assert.deepEqual(excludeRules({}, ['x/[', 'ok/**']).unusable, ['x/[']);
  });
});
