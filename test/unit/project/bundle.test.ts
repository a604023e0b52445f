import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import { COMMAND_IDS } from '../../../src/commands/commandIds';
import { REPO } from '../../repo';

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
    assert.ok(Object.keys(output('runtime.js').inputs).includes('src/core/client/client.ts'));
  });

  it('keeps the HTTP client, polling, documents, runs and result storage out of the entry', () => {
    const inputs = Object.keys(output('extension.js').inputs);
    const heavy = inputs.filter(i =>
      /^src\/(core\/(api|client|polling|documents|results|store)\/|documents\/|runs\/|views\/|results\/result(Store|FileSystem|Saver)|commands\/(?!commandIds)|services|errorPresenter)/.test(
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

  it('stays within the size budget: activation at most 8 KB, first use (entry + runtime) at most 250 KB', () => {
    const entry = fs.statSync(path.join(dir, 'extension.js')).size;
    const total = entry + fs.statSync(path.join(dir, 'runtime.js')).size;
    assert.ok(entry <= 8 * 1024, `extension.js = ${entry} bytes`);
    assert.ok(total <= 250 * 1024, `extension.js + runtime.js = ${total} bytes`);
    // Batches are part of the runtime: no loader threaded through the code for them.
    const runtime = Object.keys(output('runtime.js').inputs);
    for (const needed of ['src/batches/batchService.ts', 'src/core/batches/runner.ts']) {
      assert.ok(runtime.includes(needed), `runtime.js lacks ${needed}`);
    }
  });

  it('keeps the export and the expected-result commands in their own bundle, required on their first use, shipped', () => {
    const runtime = output('runtime.js');
    assert.ok(
      runtime.imports.some(i => i.path === './rare-commands.js' && i.external),
      `runtime.js imports: ${JSON.stringify(runtime.imports)}`,
    );
    for (const name of ['extension.js', 'runtime.js']) {
      const rare = Object.keys(output(name).inputs).filter(i =>
        /^src\/(commands\/exportCommand|testing\/acceptCommands|core\/results\/export)/.test(i),
      );
      assert.deepEqual(rare, [], `${name} includes ${rare.join(', ')}`);
    }
    const inputs = Object.keys(output('rare-commands.js').inputs);
    assert.ok(inputs.includes('src/commands/exportCommand.ts') && inputs.includes('src/testing/acceptCommands.ts'));
    assert.ok(
      fs.readFileSync(path.join(REPO, '.vscodeignore'), 'utf8').split('\n').includes('!dist/rare-commands.js'),
      'the VSIX ships dist/rare-commands.js',
    );
  });

  it("keeps the Test Explorer's run over the check pipeline in its own bundle, required when tests first run, shipped", () => {
    const runtime = output('runtime.js');
    assert.ok(
      runtime.imports.some(i => i.path === './check-run.js' && i.external),
      `runtime.js imports: ${JSON.stringify(runtime.imports)}`,
    );
    for (const name of ['extension.js', 'runtime.js']) {
      const check = Object.keys(output(name).inputs).filter(i => /^src\/testing\/checkRun\.ts$/.test(i));
      assert.deepEqual(check, [], `${name} includes ${check.join(', ')}`);
    }
    const inputs = Object.keys(output('check-run.js').inputs);
    assert.ok(inputs.includes('src/testing/checkRun.ts') && inputs.includes('src/core/expected/check.ts'));
    assert.ok(
      fs.readFileSync(path.join(REPO, '.vscodeignore'), 'utf8').split('\n').includes('!dist/check-run.js'),
      'the VSIX ships dist/check-run.js',
    );
  });

  it('keeps the review panel (glue, webview, pdf.js) out of activation and first use, in bundles that ship', () => {
    const runtime = output('runtime.js');
    assert.ok(
      runtime.imports.some(i => i.path === './review.js' && i.external),
      `runtime.js imports: ${JSON.stringify(runtime.imports)}`,
    );
    for (const name of ['extension.js', 'runtime.js']) {
      const review = Object.keys(output(name).inputs).filter(
        i => /^(src\/review\/reviewPanel|webview\/)/.test(i) || i.includes('pdfjs-dist'),
      );
      assert.deepEqual(review, [], `${name} includes ${review.join(', ')}`);
    }
    assert.ok(Object.keys(output('review.js').inputs).includes('src/review/reviewPanel.ts'));
    // The webview's own code (without pdf.js, which is copied, not bundled) stays small.
    const webview = fs.readFileSync(path.join(dir, 'webview', 'review.js'));
    const gz = zlib.gzipSync(webview).length;
    assert.ok(gz <= 60 * 1024, `webview/review.js = ${gz} bytes gzipped`);
    // pdf.js's legacy build: the modern one calls APIs the Chromium of VS Code 1.99 lacks.
    const pdf = fs.readFileSync(path.join(dir, 'webview', 'pdfjs', 'pdf.min.mjs'), 'utf8');
    assert.equal(
      pdf,
      fs.readFileSync(path.join(REPO, 'node_modules', 'pdfjs-dist', 'legacy', 'build', 'pdf.min.mjs'), 'utf8'),
    );
    assert.ok(!fs.existsSync(path.join(dir, 'webview', 'pdfjs', 'wasm', 'quickjs-eval.wasm')));
    const ignore = fs.readFileSync(path.join(REPO, '.vscodeignore'), 'utf8');
    for (const line of ['!dist/review.js', '!dist/webview/*.js', '!dist/webview/pdfjs/**', '!ThirdPartyNotices.txt']) {
      assert.ok(ignore.split('\n').includes(line), `.vscodeignore lacks ${line}`);
    }
  });

  it("sets a restored review panel's page from a small bundle of its own, without the review's or the runtime's code", () => {
    const entry = output('extension.js');
    assert.ok(
      entry.imports.some(i => i.path === './review-page.js' && i.external),
      `extension.js imports: ${JSON.stringify(entry.imports)}`,
    );
    const inputs = Object.keys(output('review-page.js').inputs);
    assert.ok(inputs.includes('src/review/reviewPage.ts'), inputs.join(', '));
    const heavy = inputs.filter(
      i =>
        !/^src\/review\/(reviewPage|reviewHtml|webviewPage)\.ts$|^src\/core\/(review\/snapshotMarkup|text\/plainText)\.ts$/.test(
          i,
        ),
    );
    assert.deepEqual(heavy, [], `review-page.js includes ${heavy.join(', ')}`);
    const size = fs.statSync(path.join(dir, 'review-page.js')).size;
    // It draws the restored fields (snapshotMarkup) too: about 5 KB, read only when a review comes back.
    assert.ok(size <= 6 * 1024, `review-page.js = ${size} bytes`);
    assert.ok(
      fs.readFileSync(path.join(REPO, '.vscodeignore'), 'utf8').split('\n').includes('!dist/review-page.js'),
      'the VSIX ships dist/review-page.js',
    );
  });

  it('keeps the batch panel (grid and accuracy: glue and webview) out of activation and first use, in bundles that ship', () => {
    const runtime = output('runtime.js');
    assert.ok(
      runtime.imports.some(i => i.path === './batch-panel.js' && i.external),
      `runtime.js imports: ${JSON.stringify(runtime.imports)}`,
    );
    for (const name of ['extension.js', 'runtime.js']) {
      const grid = Object.keys(output(name).inputs).filter(i =>
        /^(src\/review\/batchPanel|src\/core\/review\/grid|webview\/)/.test(i),
      );
      assert.deepEqual(grid, [], `${name} includes ${grid.join(', ')}`);
    }
    const inputs = Object.keys(output('batch-panel.js').inputs);
    assert.ok(inputs.includes('src/review/batchPanel.ts') && inputs.includes('src/core/review/grid.ts'));
    // The review panels are the runtime's one set, handed in: the batch bundle makes none of its own.
    assert.ok(!inputs.includes('src/review/reviewPanel.ts') && !inputs.includes('src/review/reviews.ts'));
    // The grid's webview code is small (a hand-written grid, no library).
    const gz = zlib.gzipSync(fs.readFileSync(path.join(dir, 'webview', 'grid.js'))).length;
    assert.ok(gz <= 12 * 1024, `webview/grid.js = ${gz} bytes gzipped`);
    assert.ok(fs.readFileSync(path.join(REPO, '.vscodeignore'), 'utf8').split('\n').includes('!dist/batch-panel.js'));
  });

  it('keeps vscode-elements (only tabs and the split layout) and Lit in their own webview bundle, shipped', () => {
    const fromElements = (i: string) => /node_modules\/(@vscode-elements|lit|lit-html|lit-element|@lit)\//.test(i);
    // Only the webviews' shared bundle holds them: not the extension host's bundles, nor the pages' own.
    for (const [key, out] of Object.entries(meta.outputs)) {
      if (key.endsWith('.js') && !key.endsWith('/webview/elements.js')) {
        const found = Object.keys(out.inputs).filter(fromElements);
        assert.deepEqual(found, [], `${key} includes ${found.join(', ')}`);
      }
    }
    const inputs = Object.keys(output('webview/elements.js').inputs);
    const components = new Set(
      inputs
        .flatMap(i => /@vscode-elements\/elements\/dist\/([^/]+)\//.exec(i)?.[1] ?? [])
        .filter(c => c !== 'includes'),
    );
    assert.deepEqual(
      [...components].sort(),
      ['vscode-split-layout', 'vscode-tab-header', 'vscode-tab-panel', 'vscode-tabs'],
      'only the components the pages use, each by its own module (not the main module of the library)',
    );
    assert.ok(!inputs.some(i => /codicon/i.test(i)), 'no icon font: none of these components shows an icon');
    const gz = zlib.gzipSync(fs.readFileSync(path.join(dir, 'webview', 'elements.js'))).length;
    assert.ok(gz <= 16 * 1024, `webview/elements.js = ${gz} bytes gzipped`);
    assert.ok(fs.readFileSync(path.join(REPO, '.vscodeignore'), 'utf8').split('\n').includes('!dist/webview/*.js'));
    assert.match(
      fs.readFileSync(path.join(REPO, 'ThirdPartyNotices.txt'), 'utf8'),
      /@vscode-elements\/elements 2\.5\.1/,
    );
  });

  it('calls no API the Chromium of VS Code 1.99 (132) lacks, in any webview bundle', () => {
    // Newer than Chromium 132, and what a library might call without a fallback. Syntax is lowered by
    // esbuild (target chrome120); APIs are not, so a name here fails the oldest VS Code at run time.
    const newer =
      /\b(getOrInsert(Computed)?|sumPrecise|RegExp\.escape|Error\.isError|Float16Array|f16round|fromBase64|toBase64|setFromBase64|fromHex|setFromHex|Iterator\.concat|Atomics\.pause|Math\.clamp)\b/g;
    for (const name of ['elements.js', 'review.js', 'grid.js']) {
      const found = fs.readFileSync(path.join(dir, 'webview', name), 'utf8').match(newer);
      assert.equal(found, null, `webview/${name} calls ${found?.join(', ')}`);
    }
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
