/**
 * `npm run lint` fails on an import circle (eslint-rules/no-import-circles.mjs): ESLint's own command line,
 * with the project's eslint.config.mjs, on small projects written to a temp folder whose tsconfig.json
 * extends the project's (so modules resolve as tsc resolves them here).
 */
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { REPO } from '../../repo';

const RULE = 'local/no-import-circles';

interface Finding {
  file: string;
  line: number;
  ruleId: string | null;
  message: string;
}

/** Writes `files` into a fresh project and lints it; returns ESLint's exit code and the findings. */
function lint(files: Record<string, string>): { status: number | null; findings: Finding[] } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'docutray-circles-'));
  try {
    fs.writeFileSync(
      path.join(dir, 'tsconfig.json'),
      JSON.stringify({ extends: path.join(REPO, 'tsconfig.json'), include: ['src/**/*.ts'] }),
    );
    for (const [name, text] of Object.entries(files)) {
      fs.mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
      fs.writeFileSync(path.join(dir, name), text);
    }
    const eslint = path.join(REPO, 'node_modules', 'eslint', 'bin', 'eslint.js');
    const r = spawnSync(
      process.execPath,
      [eslint, '--config', path.join(REPO, 'eslint.config.mjs'), '--format', 'json', '.'],
      { cwd: dir, encoding: 'utf8' },
    );
    const results = JSON.parse(r.stdout || '[]') as Array<{
      filePath: string;
      messages: Array<{ line: number; ruleId: string | null; message: string }>;
    }>;
    const findings = results.flatMap(f =>
      f.messages.map(m => ({ file: path.relative(dir, f.filePath).split(path.sep).join('/'), ...m })),
    );
    assert.ok(r.status === 0 || findings.length > 0, `eslint exited ${r.status}: ${r.stderr}`);
    return { status: r.status, findings };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

const circles = (findings: Finding[]) => findings.filter(f => f.ruleId === RULE);
const others = (findings: Finding[]) => findings.filter(f => f.ruleId !== RULE);

describe('lint: import circles', function () {
  this.timeout(60000);

  it('fails on two modules that import each other through type-only imports, naming the circle', () => {
    const { status, findings } = lint({
      'src/a.ts': "import type { B } from './b';\n\nexport interface A {\n  b?: B;\n}\n",
      'src/b.ts': "import type { A } from './a';\n\nexport interface B {\n  a?: A;\n}\n",
    });
    assert.deepEqual(others(findings), []);
    assert.equal(status, 1);
    assert.deepEqual(
      circles(findings).map(f => [f.file, f.line]),
      [
        ['src/a.ts', 1],
        ['src/b.ts', 1],
      ],
    );
    assert.match(circles(findings)[0].message, /'\.\/b' closes an import circle: src\/a\.ts → src\/b\.ts → src\/a\.ts/);
  });

  it('follows a lazy require() and typeof import() as well as export … from, through three modules', () => {
    const { status, findings } = lint({
      'src/lazy.ts':
        "export function heavy(): typeof import('./heavy') {\n" +
        '  // eslint-disable-next-line @typescript-eslint/no-require-imports -- the lazy load under test\n' +
        "  return require('./heavy') as typeof import('./heavy');\n}\n",
      'src/heavy.ts': "export { shared } from './shared';\n",
      'src/shared.ts': "import { heavy } from './lazy';\n\nexport const shared = () => heavy;\n",
    });
    assert.deepEqual(others(findings), []);
    assert.equal(status, 1);
    const where = circles(findings)
      .map(f => `${f.file}:${f.line}`)
      .sort();
    assert.deepEqual(where, ['src/heavy.ts:1', 'src/lazy.ts:1', 'src/lazy.ts:3', 'src/lazy.ts:3', 'src/shared.ts:1']);
    assert.match(
      circles(findings).find(f => f.file === 'src/shared.ts')?.message ?? '',
      /src\/shared\.ts → src\/lazy\.ts → src\/heavy\.ts → src\/shared\.ts/,
    );
  });

  it('passes modules that share a third one without a way back, and ignores references in comments and strings', () => {
    const { status, findings } = lint({
      'src/types.ts': 'export interface Shape {\n  size: number;\n}\n',
      'src/left.ts':
        "import type { Shape } from './types';\n\nexport const left = (s: Shape) => s.size;\n" +
        "// see './right' for the other half: import { right } from './right';\n",
      'src/right.ts':
        "import type { Shape } from './types';\nimport { left } from './left';\n\n" +
        'export const right = (s: Shape) => left(s) + 1;\nexport const note = "import(\'./right\')";\n',
    });
    assert.deepEqual(findings, []);
    assert.equal(status, 0);
  });
});
