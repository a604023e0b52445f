// The official extension bundling recipe (vscode-extension-samples/esbuild-sample): CommonJS
// bundles for Node with `vscode` external, minified without sourcemaps for production — split in three
// (see lazyRuntimePlugin and lazyMimeTypesPlugin).
import * as esbuild from 'esbuild';
import fs from 'node:fs';
import path from 'node:path';

const production = process.argv.includes('--production');
const watch = process.argv.includes('--watch');
/** `--outdir=<dir>` builds elsewhere than dist/; `--metafile=<file>` writes esbuild's metafile (tests read it). */
const option = name => process.argv.find(a => a.startsWith(`--${name}=`))?.slice(name.length + 3);
const outdir = option('outdir') ?? 'dist';
const metafile = option('metafile');

/**
 * Prints the lines the `$esbuild-watch` problem matcher reads: one "started" when the first build context
 * begins and one "finished" when the last ends, so a task that waits for "finished" (F5's preLaunchTask)
 * never starts VS Code on half-written bundles.
 * @type {import('esbuild').Plugin}
 */
let building = 0;
const esbuildProblemMatcherPlugin = {
  name: 'esbuild-problem-matcher',
  setup(build) {
    build.onStart(() => {
      if (building++ === 0) {
        console.log('[watch] build started');
      }
    });
    build.onEnd(result => {
      for (const { text, location } of result.errors) {
        console.error(`✘ [ERROR] ${text}`);
        if (location) {
          console.error(`    ${location.file}:${location.line}:${location.column}:`);
        }
      }
      if (--building === 0) {
        console.log('[watch] build finished');
      }
    });
  },
};

/**
 * Two bundles: dist/extension.js, what activation runs (it registers and nothing more), and
 * dist/runtime.js, the rest, which the first command or view loads. The entry's `require('./runtime')`
 * stays a require of the second bundle instead of being inlined.
 * @type {import('esbuild').Plugin}
 */
const lazyRuntimePlugin = {
  name: 'lazy-runtime',
  setup(build) {
    build.onResolve({ filter: /^\.\/runtime$/ }, args =>
      args.importer.endsWith(path.join('src', 'extension.ts')) ? { path: './runtime.js', external: true } : undefined,
    );
  },
};

/**
 * dist/walkthrough.js: the walkthrough's context keys (a key, steps configured, a result opened…), which the
 * entry requires just after activation, so that activation stays within its budget and first use is not loaded.
 * @type {import('esbuild').Plugin}
 */
const lazyWalkthroughPlugin = {
  name: 'lazy-walkthrough',
  setup(build) {
    build.onResolve({ filter: /^\.\/walkthrough\/walkthrough$/ }, args =>
      args.importer.endsWith(path.join('src', 'extension.ts'))
        ? { path: './walkthrough.js', external: true }
        : undefined,
    );
  },
};

/**
 * dist/review-page.js: a review panel's page and its restored fields (src/review/reviewPage.ts, some 5 KB),
 * which the entry's serializer requires to set a restored panel's page before the rest of the extension
 * loads: in the entry itself it would take activation over its budget.
 * @type {import('esbuild').Plugin}
 */
const lazyReviewPagePlugin = {
  name: 'lazy-review-page',
  setup(build) {
    build.onResolve({ filter: /^\.\/review\/reviewPage$/ }, args =>
      args.importer.endsWith(path.join('src', 'extension.ts'))
        ? { path: './review-page.js', external: true }
        : undefined,
    );
  },
};

/**
 * A third bundle, dist/mime-types.js: the full MIME database (mime-types + mime-db), which
 * src/core/documents/typeNames.ts `require`s only to name the type of a file it refuses. Some 70 KB
 * even trimmed: in the runtime bundle it would double it and break the size budget, and nothing on
 * the way to a run needs it. The runtime's `require('mime-types')` stays a require of that file.
 * @type {import('esbuild').Plugin}
 */
const lazyMimeTypesPlugin = {
  name: 'lazy-mime-types',
  setup(build) {
    build.onResolve({ filter: /^mime-types$/ }, () => ({ path: './mime-types.js', external: true }));
    // mime-types reads each type's `extensions` (and `source`, to choose between types sharing an
    // extension) and `charset` (which we never call): the rest of mime-db — compressible flags and
    // the types no extension maps to — is dropped, 160 KB → 68 KB.
    build.onLoad({ filter: /[\\/]mime-db[\\/]db\.json$/ }, async args => {
      const db = JSON.parse(await fs.promises.readFile(args.path, 'utf8'));
      const trimmed = Object.fromEntries(
        Object.entries(db)
          .filter(([, v]) => v.extensions)
          .map(([k, v]) => [k, { extensions: v.extensions, ...(v.source ? { source: v.source } : {}) }]),
      );
      return { contents: JSON.stringify(trimmed), loader: 'json' };
    });
  },
};

/**
 * A fourth bundle, dist/review.js: the review panel's glue (src/review/reviewPanel.ts), required by
 * src/review/reviews.ts the first time a review opens, so first use does not pay for it.
 * @type {import('esbuild').Plugin}
 */
const lazyReviewPlugin = {
  name: 'lazy-review',
  setup(build) {
    build.onResolve({ filter: /^\.\/reviewPanel$/ }, args =>
      args.importer.endsWith(path.join('src', 'review', 'reviews.ts'))
        ? { path: './review.js', external: true }
        : undefined,
    );
  },
};

/**
 * dist/batch-panel.js: the batch panel's glue (src/review/batchPanel.ts, a batch as a grid with its field
 * accuracy), required by src/review/batches.ts the first time a grid opens.
 * @type {import('esbuild').Plugin}
 */
const lazyBatchPanelPlugin = {
  name: 'lazy-batch-panel',
  setup(build) {
    build.onResolve({ filter: /^\.\/batchPanel$/ }, args =>
      args.importer.endsWith(path.join('src', 'review', 'batches.ts'))
        ? { path: './batch-panel.js', external: true }
        : undefined,
    );
  },
};

/**
 * A fifth bundle, dist/rare-commands.js: the table export and recording expected results
 * (src/commands/rareCommands.ts), required by src/commands/commandRunner.ts the first time one of
 * them runs. Data code only: the services they use come from the runtime bundle through `Services`.
 * @type {import('esbuild').Plugin}
 */
const lazyRareCommandsPlugin = {
  name: 'lazy-rare-commands',
  setup(build) {
    build.onResolve({ filter: /^\.\/rareCommands$/ }, args =>
      args.importer.endsWith(path.join('src', 'commands', 'commandRunner.ts'))
        ? { path: './rare-commands.js', external: true }
        : undefined,
    );
  },
};

/**
 * A sixth bundle, dist/check-run.js: the Test Explorer's run over the core's check pipeline
 * (src/testing/checkRun.ts, with compare, locate and the check itself), required by
 * src/testing/expectedTests.ts the first time tests run. The services it uses come from the runtime
 * bundle through its deps; it must not rely on `instanceof` of a class the runtime bundle defines.
 * @type {import('esbuild').Plugin}
 */
const lazyCheckRunPlugin = {
  name: 'lazy-check-run',
  setup(build) {
    build.onResolve({ filter: /^\.\/checkRun$/ }, args =>
      args.importer.endsWith(path.join('src', 'testing', 'expectedTests.ts'))
        ? { path: './check-run.js', external: true }
        : undefined,
    );
  },
};

/**
 * pdf.js (pdfjs-dist, pinned exactly) is not bundled: its legacy build, worker, wasm decoders and
 * standard fonts are copied to dist/webview/pdfjs/, which the review webview imports only when it shows
 * a PDF. The legacy build because the modern one calls Map.prototype.getOrInsertComputed and
 * Math.sumPrecise, which the Chromium of VS Code 1.99 lacks. Its Apache-2.0 licence goes with it.
 */
function copyPdfJs() {
  const from = 'node_modules/pdfjs-dist';
  const to = path.join(outdir, 'webview', 'pdfjs');
  fs.mkdirSync(to, { recursive: true });
  for (const f of ['pdf.min.mjs', 'pdf.worker.min.mjs']) {
    fs.copyFileSync(path.join(from, 'legacy', 'build', f), path.join(to, f));
  }
  fs.copyFileSync(path.join(from, 'LICENSE'), path.join(to, 'LICENSE'));
  for (const dir of ['wasm', 'standard_fonts']) {
    fs.cpSync(path.join(from, dir), path.join(to, dir), {
      recursive: true,
      // The Liberation fonts are GPL (with a font exception): left out, useSystemFonts covers them; and
      // quickjs runs a PDF's JavaScript, which this panel never does.
      filter: f => !/Liberation|quickjs/i.test(f),
    });
  }
}

const common = {
  bundle: true,
  format: 'cjs',
  minify: production,
  sourcemap: !production,
  sourcesContent: false,
  platform: 'node',
  target: 'node20',
  outdir,
  metafile: !!metafile,
  external: ['vscode'],
  // jsonc-parser's `main` is a UMD build that esbuild cannot follow; its ES module build bundles.
  mainFields: ['module', 'main'],
  logLevel: 'silent',
};
const contexts = [
  await esbuild.context({
    ...common,
    entryPoints: {
      extension: 'src/extension.ts',
      runtime: 'src/runtime.ts',
      'mime-types': 'node_modules/mime-types/index.js',
      review: 'src/review/reviewPanel.ts',
      'batch-panel': 'src/review/batchPanel.ts',
      'rare-commands': 'src/commands/rareCommands.ts',
      'check-run': 'src/testing/checkRun.ts',
      walkthrough: 'src/walkthrough/walkthrough.ts',
      'review-page': 'src/review/reviewPage.ts',
    },
    plugins: [
      lazyRuntimePlugin,
      lazyMimeTypesPlugin,
      lazyReviewPlugin,
      lazyBatchPanelPlugin,
      lazyRareCommandsPlugin,
      lazyCheckRunPlugin,
      lazyWalkthroughPlugin,
      lazyReviewPagePlugin,
      esbuildProblemMatcherPlugin,
    ],
  }),
  // The webviews' own code: for the browser, never loaded by the extension host. `elements` is the
  // vscode-elements components both pages use (webview/elements.ts), loaded before each page's script.
  await esbuild.context({
    bundle: true,
    format: 'iife',
    minify: production,
    sourcemap: !production,
    sourcesContent: false,
    platform: 'browser',
    target: 'chrome120',
    outdir: path.join(outdir, 'webview'),
    metafile: !!metafile,
    logLevel: 'silent',
    entryPoints: { review: 'webview/review/main.ts', grid: 'webview/grid/main.ts', elements: 'webview/elements.ts' },
    plugins: [esbuildProblemMatcherPlugin],
  }),
];
copyPdfJs();
if (watch) {
  await Promise.all(contexts.map(c => c.watch()));
} else {
  const results = await Promise.all(contexts.map(c => c.rebuild()));
  await Promise.all(contexts.map(c => c.dispose()));
  if (metafile) {
    const merged = { inputs: {}, outputs: {} };
    for (const r of results) {
      Object.assign(merged.inputs, r.metafile.inputs);
      Object.assign(merged.outputs, r.metafile.outputs);
    }
    fs.writeFileSync(metafile, JSON.stringify(merged));
  }
}
