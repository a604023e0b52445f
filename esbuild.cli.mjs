// The command line, `docutray-steps` (package.json `bin`): one CommonJS file for Node, dist/cli.js,
// built by `npm ci` (the `prepare` script) so `npx docutray-steps` works in a fresh clone. It bundles
// the VS Code-free core it shares with the extension (and jsonc-parser, mime-types: devDependencies, as
// every bundle holds what it runs); nothing of VS Code. `npm pack` runs `prepare` too, so the tarball
// holds this one file, and installing the tarball builds, fetches and runs nothing.
import * as esbuild from 'esbuild';
import fs from 'node:fs';

/** `--outfile=<file>` builds elsewhere than dist/cli.js (tests build their own copy). */
const outfile = process.argv.find(a => a.startsWith('--outfile='))?.slice('--outfile='.length) ?? 'dist/cli.js';

await esbuild.build({
  entryPoints: ['src/cli/main.ts'],
  outfile,
  bundle: true,
  format: 'cjs',
  platform: 'node',
  target: 'node20',
  banner: { js: '#!/usr/bin/env node' },
  // jsonc-parser's `main` is a UMD build whose inner requires esbuild cannot follow; its `module` is plain ESM.
  mainFields: ['module', 'main'],
  external: ['vscode'],
  logLevel: 'warning',
});
fs.chmodSync(outfile, 0o755);
