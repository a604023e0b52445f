/**
 * The command line installs in CI without building: `npm pack` gives a tarball holding the built
 * `dist/cli.js` (one self-contained file) and nothing that installing it must fetch or run. Packed here
 * (npm runs the `prepare` build for it), then run with `npx --yes ./docutray-steps-<version>.tgz` in a
 * folder holding only the tarball, offline: an empty npm cache, `offline` on, and the registry a closed port — a fetch of
 * anything would fail the run.
 */
import * as assert from 'node:assert/strict';
import { execFile, execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { USAGE } from '../../../src/cli/args';
import { closedPort } from '../core/client/support';
import { REPO } from '../../repo';

interface PackResult {
  filename: string;
  size: number;
  files: { path: string }[];
}

describe('the command line’s npm package', function () {
  this.timeout(120_000);
  let dir: string;
  let tarball: string;
  let packed: PackResult;
  const pkg = JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')) as {
    name: string;
    version: string;
    bin: Record<string, string>;
    scripts: Record<string, string>;
    dependencies?: Record<string, string>;
    bundleDependencies?: unknown;
  };

  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'docutray-pack-'));
    const out = execFileSync('npm', ['pack', '--json', '--pack-destination', dir], {
      cwd: REPO,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, npm_config_update_notifier: 'false' },
    });
    packed = (JSON.parse(out) as PackResult[])[0];
    tarball = join(dir, packed.filename);
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('holds the built command line and the manifest, nothing else to build or fetch', () => {
    assert.equal(packed.filename, `${pkg.name}-${pkg.version}.tgz`);
    assert.deepEqual(packed.files.map(f => f.path).sort(), ['LICENSE', 'README.md', 'dist/cli.js', 'package.json']);
    assert.deepEqual(pkg.bin, { 'docutray-steps': './dist/cli.js' });
    // Installing a tarball runs only these: none may exist (the build is `prepare`, which npm runs when
    // packing and in a clone, never when installing a tarball).
    for (const script of ['preinstall', 'install', 'postinstall']) {
      assert.equal(pkg.scripts[script], undefined, script);
    }
    assert.equal(pkg.scripts.prepare, 'node esbuild.cli.mjs');
    // Everything the command line runs is bundled into dist/cli.js: nothing for npm to install.
    assert.deepEqual(pkg.dependencies ?? {}, {});
    assert.equal(pkg.bundleDependencies, undefined);
    const cli = readFileSync(join(REPO, 'dist', 'cli.js'), 'utf8');
    const required = [...cli.matchAll(/require\("([^"]+)"\)/g)].map(m => m[1]);
    assert.ok(required.length > 0);
    for (const m of required) {
      assert.ok(m.startsWith('node:') || ['path', 'fs', 'crypto', 'os', 'util'].includes(m), `requires ${m}`);
    }
  });

  it('runs with npx from the tarball in an empty folder, offline, without fetching anything', async () => {
    // As a CI job has it: the release asset downloaded into an otherwise empty folder.
    const empty = join(dir, 'empty');
    mkdirSync(empty);
    copyFileSync(tarball, join(empty, packed.filename));
    const env = {
      PATH: process.env.PATH,
      HOME: join(dir, 'home'),
      npm_config_cache: join(dir, 'npm-cache'),
      npm_config_offline: 'true',
      npm_config_registry: `http://127.0.0.1:${await closedPort()}/`,
      npm_config_update_notifier: 'false',
      npm_config_audit: 'false',
      npm_config_fund: 'false',
    };
    const npx = (args: string[]) =>
      new Promise<{ code: number; stdout: string; stderr: string; ms: number }>(done => {
        const t0 = Date.now();
        execFile(
          'npx',
          ['--yes', `./${packed.filename}`, ...args],
          { cwd: empty, env, timeout: 100_000 },
          (err, stdout, stderr) =>
            done({
              code: err ? Number((err as { code?: number }).code ?? -1) : 0,
              stdout,
              stderr,
              ms: Date.now() - t0,
            }),
        );
      });
    const help = await npx(['--help']);
    assert.equal(help.code, 0, help.stderr);
    assert.equal(help.stdout, USAGE);
    const version = await npx(['--version']);
    assert.equal(version.code, 0, version.stderr);
    assert.equal(version.stdout.trim(), pkg.version);
    const usage = await npx(['check']);
    assert.equal(usage.code, 2, 'a usage error exits 2 from the installed command line too');
    assert.deepEqual(readdirSync(empty), [packed.filename], 'nothing written in the folder it ran in');
    // Not a timed assertion: the numbers go to the log (docs/benchmarks.md has them).
    console.log(
      `      npx --yes ${packed.filename} (${(packed.size / 1024).toFixed(0)} KB): --help ${help.ms} ms from an empty cache, --version ${version.ms} ms`,
    );
  });
});
