/**
 * `npm run lint` fails on an import that points up a floor or across one (eslint-rules/layers.mjs): the rule
 * on small projects with a floor plan of their own, then the project's own plan (eslint.config.mjs) on small
 * projects laid out as src/ is, then the plan itself against the folders on disk.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { REPO } from '../../repo';
import { type Finding, lintFixture } from './eslintFixture';

const RULE = 'local/layers';

interface Allowed {
  from: string;
  to: string;
  why: string;
}

interface LayersOptions {
  floors: Record<string, string[][]>;
  allow?: Allowed[];
}

/** A flat config with only local/layers, on the given options (or raw options text). */
function configWith(options: LayersOptions | string): string {
  const parser = require.resolve('@typescript-eslint/parser', { paths: [REPO] });
  const rule = pathToFileURL(path.join(REPO, 'eslint-rules', 'layers.mjs')).href;
  return (
    "import { createRequire } from 'node:module';\n" +
    `import layers from ${JSON.stringify(rule)};\n` +
    `const parser = createRequire(import.meta.url)(${JSON.stringify(parser)});\n` +
    'export default [{\n' +
    "  files: ['**/*.ts'],\n" +
    '  languageOptions: { parser },\n' +
    '  plugins: { local: { rules: { layers } } },\n' +
    `  rules: { '${RULE}': ['error', ${typeof options === 'string' ? options : JSON.stringify(options)}] },\n` +
    '}];\n'
  );
}

const layerFindings = (findings: Finding[]) => findings.filter(f => f.ruleId === RULE);
const where = (findings: Finding[]) =>
  layerFindings(findings)
    .map(f => `${f.file}:${f.line}`)
    .sort();

/** A small source tree: `src` has three floors, and `src/base` a plan of its own. */
const FLOORS: LayersOptions['floors'] = {
  src: [['base'], ['feature', 'other'], ['top.ts']],
  'src/base': [['low'], ['high']],
};

const TREE: Record<string, string> = {
  'src/base/low/a.ts': "export const a = 1;\n// the way up is only mentioned: import { b } from '../high/b';\n",
  'src/base/low/typeUp.ts': "import type { Shape } from '../high/shape';\n\nexport const size = (s: Shape) => s.x;\n",
  'src/base/low/glueUp.ts': "import { f } from '../../feature/f';\n\nexport const g = f;\n",
  'src/base/high/shape.ts': 'export interface Shape {\n  x: number;\n}\n',
  'src/base/high/b.ts':
    "import { a } from '../low/a';\n\nexport const b = a + 1;\nexport const s = \"import('../../top')\";\n",
  'src/feature/f.ts': "import { b } from '../base/high/b';\n\nexport const f = b;\n",
  'src/feature/lazy.ts':
    "export function other(): typeof import('../top') {\n" +
    "  return require('../other/o') as typeof import('../top');\n}\n",
  'src/other/o.ts': 'export const o = 1;\n',
  'src/stray/s.ts': "import { a } from '../base/low/a';\n\nexport const s = a;\n",
  'src/top.ts': "import { f } from './feature/f';\nimport { o } from './other/o';\n\nexport const top = f + o;\n",
};

describe('lint: floors that only point down', function () {
  this.timeout(60000);

  it('fails on an import up or across a floor, type-only, require() and typeof import() included; passes the way down', () => {
    const { status, findings } = lintFixture(TREE, { config: configWith({ floors: FLOORS }) });
    assert.equal(status, 1);
    assert.deepEqual(findings.length, layerFindings(findings).length, JSON.stringify(findings));
    assert.deepEqual(where(findings), [
      'src/base/low/glueUp.ts:1', // base → feature, up a floor of src
      'src/base/low/typeUp.ts:1', // low → high inside src/base, by a type-only import
      'src/feature/lazy.ts:1', // typeof import() up to top.ts
      'src/feature/lazy.ts:2', // require() across the floor to other/
      'src/feature/lazy.ts:2', // typeof import() up to top.ts
      'src/stray/s.ts:1', // a room on no floor
    ]);
    const message = (file: string, line = 1) => findings.find(f => f.file === file && f.line === line)?.message ?? '';
    assert.match(
      message('src/base/low/typeUp.ts'),
      /^'\.\.\/high\/shape' imports up: low is on floor 1 of src\/base, high on floor 2\./,
    );
    assert.match(
      message('src/base/low/glueUp.ts'),
      /imports up: base is on floor 1 of src, feature on floor 2 \(feature, other\)/,
    );
    assert.match(
      message('src/feature/lazy.ts', 2),
      /'\.\.\/other\/o': feature and other are both on floor 2 \(feature, other\) of src and may not import each other/,
    );
    assert.match(message('src/stray/s.ts'), /the room 'stray' in src is on no floor/);
  });

  it('lets an allow-listed import up through, file to file only, and reports an entry that allows nothing', () => {
    const why = 'to be moved';
    const { status, findings } = lintFixture(TREE, {
      config: configWith({
        floors: FLOORS,
        allow: [
          { from: 'src/feature/lazy.ts', to: 'src/other/o.ts', why },
          { from: 'src/base/low/typeUp.ts', to: 'src/base/high/shape.ts', why },
          // Allows nothing: the import is down, or there is no such import.
          { from: 'src/top.ts', to: 'src/feature/f.ts', why },
          { from: 'src/feature/f.ts', to: 'src/top.ts', why },
        ],
      }),
    });
    assert.equal(status, 1);
    assert.deepEqual(where(findings), [
      'src/base/low/glueUp.ts:1',
      'src/feature/f.ts:1', // the unneeded entry
      'src/feature/lazy.ts:1', // typeof import('../top') is not on the list: only the require() of other/o is
      'src/feature/lazy.ts:2',
      'src/stray/s.ts:1',
      'src/top.ts:1', // the unneeded entry
    ]);
    assert.match(
      findings.find(f => f.file === 'src/top.ts')?.message ?? '',
      /allow-list entry src\/top\.ts → src\/feature\/f\.ts allows nothing any more: delete it/,
    );
  });

  it('refuses an allow-list entry that does not say why', () => {
    const { status, stderr } = lintFixture(TREE, {
      config: configWith(
        `{ floors: ${JSON.stringify(FLOORS)}, allow: [{ from: 'src/feature/lazy.ts', to: 'src/other/o.ts' }] }`,
      ),
      configError: true,
    });
    assert.equal(status, 2);
    assert.match(stderr, /local\/layers/);
    assert.match(stderr, /why/);
  });

  it("the project's plan: core rooms below features, the core below the glue, glue features below the commands", () => {
    const { status, findings } = lintFixture({
      // Down: fine.
      'src/core/json/fields.ts': 'export const isObject = (v: unknown) => typeof v === "object" && v !== null;\n',
      'src/core/api/errors.ts': "import { isObject } from '../json/fields';\n\nexport const e = isObject;\n",
      'src/core/client/client.ts':
        "import { e } from '../api/errors';\nimport { d } from '../documents/input';\n\nexport const c = [e, d];\n",
      // Up and across inside the core.
      'src/core/documents/input.ts': "import { w } from '../polling/wait';\n\nexport const d = w;\n",
      'src/core/polling/wait.ts':
        "import type { Fake } from '../client/fake';\n\nexport const w = 1;\nexport type F = Fake;\n",
      'src/core/client/fake.ts': 'export interface Fake {\n  x: number;\n}\n',
      'src/core/runs/runStore.ts': "import { name } from '../results/naming';\n\nexport const r = name;\n",
      'src/core/results/naming.ts': 'export const name = 1;\n',
      // The core never imports the glue.
      'src/core/batches/record.ts': "import { view } from '../../runs/runsList';\n\nexport const b = view;\n",
      // Glue: runs above results, the command line sees only the core.
      'src/runs/runsList.ts': 'export const view = 1;\n',
      'src/results/saved.ts':
        "import { view } from '../runs/runsList';\n\nexport const saved = 1;\nexport const v = () => view;\n",
      'src/cli/entry.ts': "import { saved } from '../results/saved';\n\nexport const x = saved;\n",
    });
    assert.equal(status, 1);
    const layers = layerFindings(findings);
    assert.deepEqual(
      layers.map(f => `${f.file}:${f.line}`).sort(),
      [
        'src/cli/entry.ts:1',
        'src/core/batches/record.ts:1',
        'src/core/documents/input.ts:1',
        'src/core/polling/wait.ts:1',
        'src/core/runs/runStore.ts:1',
        'src/results/saved.ts:1',
      ],
      JSON.stringify(findings),
    );
    assert.match(layers.find(f => f.file === 'src/core/documents/input.ts')?.message ?? '', /both on floor/);
    assert.match(
      layers.find(f => f.file === 'src/core/batches/record.ts')?.message ?? '',
      /core is on floor 1 of src,/,
    );
  });

  it("the project's plan puts every room on disk on exactly one floor; its allow-list names real files, none in the core", async () => {
    const { default: config } = (await import(pathToFileURL(path.join(REPO, 'eslint.config.mjs')).href)) as {
      default: Array<{ rules?: Record<string, unknown> }>;
    };
    const entries = config.filter(c => c.rules?.[RULE] !== undefined);
    assert.equal(entries.length, 1);
    const [severity, options] = entries[0].rules?.[RULE] as ['error', LayersOptions];
    assert.equal(severity, 'error');
    for (const [root, floors] of Object.entries(options.floors)) {
      const placed = floors.flat();
      assert.deepEqual(placed.length, new Set(placed).size, `a room of ${root} is on two floors`);
      const onDisk = fs
        .readdirSync(path.join(REPO, root), { withFileTypes: true })
        .filter(e => e.isDirectory() || /\.ts$/.test(e.name))
        .map(e => e.name);
      const unplaced = onDisk.filter(room => !placed.includes(room));
      assert.deepEqual(unplaced, [], `rooms of ${root} on no floor`);
    }
    assert.deepEqual(
      Object.keys(options.floors).sort(),
      ['src', 'src/core'],
      'the glue (src) and the core (src/core) each have a plan',
    );
    for (const entry of options.allow ?? []) {
      for (const file of [entry.from, entry.to]) {
        assert.ok(
          fs.existsSync(path.join(REPO, file)),
          `the allow-list names ${file}, which is gone: delete the entry`,
        );
        assert.ok(!file.startsWith('src/core/'), `the core has no allow-listed import up: ${entry.from} → ${entry.to}`);
      }
      assert.ok(entry.why.length > 10, `say why ${entry.from} → ${entry.to} is allowed, and where it is to go`);
    }
  });
});
