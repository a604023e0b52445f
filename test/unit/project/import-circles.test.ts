/**
 * `npm run lint` fails on an import circle (eslint-rules/no-import-circles.mjs): ESLint's own command line,
 * with the project's eslint.config.mjs, on small projects (eslintFixture.ts) in lib/, outside the floors of src/ (layers.test.ts).
 */
import * as assert from 'node:assert/strict';
import { type Finding, lintFixture as lint } from './eslintFixture';

const RULE = 'local/no-import-circles';

const circles = (findings: Finding[]) => findings.filter(f => f.ruleId === RULE);
const others = (findings: Finding[]) => findings.filter(f => f.ruleId !== RULE);

describe('lint: import circles', function () {
  this.timeout(60000);

  it('fails on two modules that import each other through type-only imports, naming the circle', () => {
    const { status, findings } = lint({
      'lib/a.ts': "import type { B } from './b';\n\nexport interface A {\n  b?: B;\n}\n",
      'lib/b.ts': "import type { A } from './a';\n\nexport interface B {\n  a?: A;\n}\n",
    });
    assert.deepEqual(others(findings), []);
    assert.equal(status, 1);
    assert.deepEqual(
      circles(findings).map(f => [f.file, f.line]),
      [
        ['lib/a.ts', 1],
        ['lib/b.ts', 1],
      ],
    );
    assert.match(circles(findings)[0].message, /'\.\/b' closes an import circle: lib\/a\.ts → lib\/b\.ts → lib\/a\.ts/);
  });

  it('follows a lazy require() and typeof import() as well as export … from, through three modules', () => {
    const { status, findings } = lint({
      'lib/lazy.ts':
        "export function heavy(): typeof import('./heavy') {\n" +
        '  // eslint-disable-next-line @typescript-eslint/no-require-imports -- the lazy load under test\n' +
        "  return require('./heavy') as typeof import('./heavy');\n}\n",
      'lib/heavy.ts': "export { shared } from './shared';\n",
      'lib/shared.ts': "import { heavy } from './lazy';\n\nexport const shared = () => heavy;\n",
    });
    assert.deepEqual(others(findings), []);
    assert.equal(status, 1);
    const where = circles(findings)
      .map(f => `${f.file}:${f.line}`)
      .sort();
    assert.deepEqual(where, ['lib/heavy.ts:1', 'lib/lazy.ts:1', 'lib/lazy.ts:3', 'lib/lazy.ts:3', 'lib/shared.ts:1']);
    assert.match(
      circles(findings).find(f => f.file === 'lib/shared.ts')?.message ?? '',
      /lib\/shared\.ts → lib\/lazy\.ts → lib\/heavy\.ts → lib\/shared\.ts/,
    );
  });

  it('passes modules that share a third one without a way back, and ignores references in comments and strings', () => {
    const { status, findings } = lint({
      'lib/types.ts': 'export interface Shape {\n  size: number;\n}\n',
      'lib/left.ts':
        "import type { Shape } from './types';\n\nexport const left = (s: Shape) => s.size;\n" +
        "// see './right' for the other half: import { right } from './right';\n",
      'lib/right.ts':
        "import type { Shape } from './types';\nimport { left } from './left';\n\n" +
        'export const right = (s: Shape) => left(s) + 1;\nexport const note = "import(\'./right\')";\n',
    });
    assert.deepEqual(findings, []);
    assert.equal(status, 0);
  });
});
