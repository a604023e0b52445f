import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { COMMAND_IDS } from '../../src/commands/commandIds';

const REPO = path.resolve(__dirname, '..', '..', '..');

interface Metafile {
  outputs: Record<string, { inputs: Record<string, unknown>; imports: Array<{ path: string; external?: boolean }> }>;
}

describe('bundle: what activation loads', function () {
  this.timeout(60000);
  let dir: string;
  let meta: Metafile;
  const output = (name: string) => {
    const key = Object.keys(meta.outputs).find(k => k.endsWith(`/${name}`));
    assert.ok(key, `esbuild produced no ${name}: ${Object.keys(meta.outputs).join(', ')}`);
    return { key, ...meta.outputs[key] };
  };

  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'docutray-bundle-'));
    execFileSync(
      process.execPath,
      ['esbuild.mjs', '--production', `--outdir=${dir}`, `--metafile=${path.join(dir, 'meta.json')}`],
      { cwd: REPO, stdio: 'pipe' },
    );
    meta = JSON.parse(fs.readFileSync(path.join(dir, 'meta.json'), 'utf8')) as Metafile;
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('builds an entry that requires the runtime bundle instead of inlining it', () => {
    const entry = output('extension.js');
    assert.ok(
      entry.imports.some(i => i.path === './runtime.js' && i.external),
      `extension.js imports: ${JSON.stringify(entry.imports)}`,
    );
    assert.ok(fs.existsSync(path.join(dir, 'runtime.js')));
    assert.ok(Object.keys(output('runtime.js').inputs).includes('src/core/api/client.ts'));
  });

  it('keeps the HTTP client, polling, documents, runs and result storage out of the entry', () => {
    const inputs = Object.keys(output('extension.js').inputs);
    const heavy = inputs.filter(i =>
      /^src\/(core\/(api|polling|documents|results)\/|runs\/|results\/result(Store|FileSystem|Saver)|commands\/(?!commandIds)|services|errorPresenter)/.test(
        i,
      ),
    );
    assert.deepEqual(heavy, [], `the entry bundle includes ${heavy.join(', ')}`);
  });

  it('keeps the MIME database (mime-types, mime-db) in its own bundle, required only when a file is refused', () => {
    const runtime = output('runtime.js');
    assert.ok(
      runtime.imports.some(i => i.path === './mime-types.js' && i.external),
      `runtime.js imports: ${JSON.stringify(runtime.imports)}`,
    );
    for (const name of ['extension.js', 'runtime.js']) {
      const db = Object.keys(output(name).inputs).filter(i => i.includes('node_modules/mime-'));
      assert.deepEqual(db, [], `${name} includes ${db.join(', ')}`);
    }
    const mime = output('mime-types.js');
    assert.ok(Object.keys(mime.inputs).some(i => i.endsWith('mime-db/db.json')));
    // Trimmed to the types that have extensions (160 KB → under 80 KB).
    assert.ok(fs.statSync(path.join(dir, 'mime-types.js')).size < 80_000);
    // It works as the runtime uses it.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const lookup = (require(path.join(dir, 'mime-types.js')) as { lookup(n: string): string | false }).lookup;
    assert.equal(lookup('notes.docx'), 'application/vnd.openxmlformats-officedocument.wordprocessingml.document');
    assert.equal(lookup('scan.tif'), 'image/tiff');
    // …and ships in the VSIX.
    assert.match(fs.readFileSync(path.join(REPO, '.vscodeignore'), 'utf8'), /^!dist\/mime-types\.js$/m);
  });

  it('keeps batches and exports in their own bundle, required only by lazyBatches()', () => {
    const runtime = output('runtime.js');
    assert.ok(
      runtime.imports.some(i => i.path === './batches.js' && i.external),
      `runtime.js imports: ${JSON.stringify(runtime.imports)}`,
    );
    const batchOnly =
      /^src\/(core\/(runs\/(batchRunner|skip)|polling\/planner|documents\/hash|results\/export(Rows)?)|commands\/exportCommand)\.ts$/;
    for (const name of ['extension.js', 'runtime.js']) {
      const inputs = Object.keys(output(name).inputs).filter(i => batchOnly.test(i));
      assert.deepEqual(inputs, [], `${name} includes ${inputs.join(', ')}`);
    }
    const batches = Object.keys(output('batches.js').inputs);
    for (const needed of [
      'src/core/runs/batchRunner.ts',
      'src/commands/exportCommand.ts',
      'src/core/results/export.ts',
    ]) {
      assert.ok(batches.includes(needed), `batches.js lacks ${needed}: ${batches.join(', ')}`);
    }
    // The API errors are the runtime's classes, not a second copy (instanceof must agree).
    assert.ok(!batches.includes('src/core/api/errors.ts'), 'batches.js has its own copy of the API errors');
    assert.match(fs.readFileSync(path.join(REPO, '.vscodeignore'), 'utf8'), /^!dist\/batches\.js$/m);
  });

  it("the batch bundle's runner tells the runtime's errors apart: an uncertain start is kept, a refused key stops the batch", async () => {
    // Load both bundles as VS Code would (with a stand-in `vscode` module: nothing here calls it).
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const Module = require('node:module') as { _load: (request: string, ...rest: unknown[]) => unknown };
    const load = Module._load;
    const inert: object = new Proxy(function () {}, {
      get: (_t, k) => (k === '__esModule' ? false : inert),
      apply: () => inert,
      construct: () => inert,
    });
    Module._load = function (this: unknown, request: string, ...rest: unknown[]) {
      return request === 'vscode' ? inert : load.call(this, request, ...rest);
    };
    try {
      /* eslint-disable @typescript-eslint/no-require-imports */
      const runtime = require(path.join(dir, 'runtime.js')) as {
        errorClasses: typeof import('../../src/core/api/errors');
      };
      const batches = require(path.join(dir, 'batches.js')) as typeof import('../../src/batches');
      /* eslint-enable @typescript-eslint/no-require-imports */
      const { StartUncertainError, AuthenticationError } = runtime.errorClasses;
      const budget = {
        whenAvailable: async () => undefined,
        afterNextGrant: () => new Promise<void>(() => undefined),
        ratePerMs: Infinity,
      };
      const batch = {
        version: 1 as const,
        id: 'batch_test',
        stepId: 'invoice',
        createdAt: 0,
        files: [
          { uri: 'file:///a.pdf', state: 'pending' as const },
          { uri: 'file:///b.pdf', state: 'pending' as const },
        ],
      };
      const refused = new AuthenticationError();
      const outcome = await batches
        .runBatch(
          batch,
          {
            budget,
            start: async f => {
              throw f.uri.endsWith('a.pdf') ? new StartUncertainError('connection reset') : refused;
            },
            status: () => Promise.reject(new Error('no status expected')),
          },
          { maxUploads: 1 },
        )
        .then(
          () => undefined,
          (e: unknown) => e,
        );
      assert.equal(outcome, refused, 'a refused key stops the batch with that error');
      assert.equal(batch.files[0].state, 'uncertain', 'the start that may have happened is kept as uncertain');
    } finally {
      Module._load = load;
    }
  });

  it('stays within the size budget: both first bundles together at most 120 KB minified', () => {
    const total = fs.statSync(path.join(dir, 'extension.js')).size + fs.statSync(path.join(dir, 'runtime.js')).size;
    assert.ok(total <= 120 * 1024, `extension.js + runtime.js = ${total} bytes`);
  });

  it('registers exactly the commands package.json contributes', () => {
    const pkg = JSON.parse(fs.readFileSync(path.join(REPO, 'package.json'), 'utf8')) as {
      contributes: { commands: Array<{ command: string }> };
    };
    const contributed = pkg.contributes.commands.map(c => c.command).sort();
    assert.deepEqual([...COMMAND_IDS].sort(), contributed);
    assert.equal(new Set(COMMAND_IDS).size, COMMAND_IDS.length, 'a command id is listed twice');
  });
});
