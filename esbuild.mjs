// The official extension bundling recipe (vscode-extension-samples/esbuild-sample): CommonJS
// bundles for Node with `vscode` external, minified without sourcemaps for production — split in two
// (see lazyRuntimePlugin).
import * as esbuild from 'esbuild';
import fs from 'node:fs';
import path from 'node:path';

const production = process.argv.includes('--production');
const watch = process.argv.includes('--watch');
/** `--outdir=<dir>` builds elsewhere than dist/; `--metafile=<file>` writes esbuild's metafile (tests read it). */
const option = (name) => process.argv.find(a => a.startsWith(`--${name}=`))?.slice(name.length + 3);
const outdir = option('outdir') ?? 'dist';
const metafile = option('metafile');

/** Prints the lines the `$esbuild-watch` problem matcher reads. @type {import('esbuild').Plugin} */
const esbuildProblemMatcherPlugin = {
  name: 'esbuild-problem-matcher',
  setup(build) {
    build.onStart(() => {
      console.log('[watch] build started');
    });
    build.onEnd((result) => {
      for (const { text, location } of result.errors) {
        console.error(`✘ [ERROR] ${text}`);
        if (location) {
          console.error(`    ${location.file}:${location.line}:${location.column}:`);
        }
      }
      console.log('[watch] build finished');
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
    build.onResolve({ filter: /^\.\/runtime$/ }, (args) =>
      args.importer.endsWith(path.join('src', 'extension.ts')) ? { path: './runtime.js', external: true } : undefined);
  },
};

const ctx = await esbuild.context({
  entryPoints: { extension: 'src/extension.ts', runtime: 'src/runtime.ts' },
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
  logLevel: 'silent',
  plugins: [lazyRuntimePlugin, esbuildProblemMatcherPlugin],
});
if (watch) {
  await ctx.watch();
} else {
  const result = await ctx.rebuild();
  await ctx.dispose();
  if (metafile) {
    fs.writeFileSync(metafile, JSON.stringify(result.metafile));
  }
}
