/**
 * What the command line's process tests share: the command line built by its own build script (what
 * `npm ci` runs) into a temporary folder, a stand-in on loopback, a way to spawn one and read what it
 * said, and the files a run left.
 */
import * as assert from 'node:assert/strict';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { startStandIn, type StandIn } from '../../../stand-in/server';
import { SAMPLES } from '../core/client/support';
import { REPO } from '../../repo';

export interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

export interface CliFixture {
  /** The built command line (a file to run with `node`). */
  cli: string;
  standIn: StandIn;
}

/**
 * Registers mocha `before`/`after` hooks: builds the command line once and starts a stand-in that takes
 * `key`; both are there (in the returned object) from the first test on, and gone after the last.
 */
export function cliAndStandIn(key: string): CliFixture {
  const fixture = {} as CliFixture;
  let buildDir: string;
  before(async () => {
    buildDir = mkdtempSync(join(tmpdir(), 'docutray-cli-build-'));
    fixture.cli = join(buildDir, 'cli.js');
    execFileSync(process.execPath, ['esbuild.cli.mjs', `--outfile=${fixture.cli}`], { cwd: REPO, stdio: 'pipe' });
    fixture.standIn = await startStandIn({ port: 0, apiKeys: [key] });
  });
  after(async () => {
    await fixture.standIn?.close();
    rmSync(buildDir, { recursive: true, force: true });
  });
  return fixture;
}

export interface SpawnOptions {
  cwd: string;
  /** The key, given as DOCUTRAY_API_KEY: it must never be printed. */
  key: string;
  baseUrl: string;
  /** More environment (undefined removes a variable). */
  env?: Record<string, string | undefined>;
  /** Written to the process's stdin, then closed. */
  stdin?: string;
  /** Gets the child as soon as it runs (to send it a signal). */
  onSpawn?: (child: ChildProcess) => void;
}

/** Runs the built command line to its end; asserts the key was never printed. */
export function runCli(cli: string, args: readonly string[], opts: SpawnOptions): Promise<Run> {
  return new Promise(done => {
    const env: NodeJS.ProcessEnv = {
      PATH: process.env.PATH,
      DOCUTRAY_API_KEY: opts.key,
      DOCUTRAY_BASE_URL: opts.baseUrl,
      ...opts.env,
    };
    const child = spawn(process.execPath, [cli, ...args], { cwd: opts.cwd, env });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', d => (stdout += d));
    child.stderr.on('data', d => (stderr += d));
    child.stdin.end(opts.stdin ?? '');
    opts.onSpawn?.(child);
    child.on('close', code => {
      assert.ok(!stdout.includes(opts.key) && !stderr.includes(opts.key), 'the API key was printed');
      done({ code, stdout, stderr });
    });
  });
}

/** Every file under `dir`: relative, `/`-separated, sorted. */
export function filesUnder(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const full = join(d, e.name);
      if (e.isDirectory()) {
        walk(full);
      } else {
        out.push(relative(dir, full).split('\\').join('/'));
      }
    }
  };
  walk(dir);
  return out.sort();
}

/** A valid PDF whose bytes (and so SHA-256) differ by `tag`. */
export const pdf = (tag: string): Buffer => Buffer.concat([SAMPLES.pdf, Buffer.from(`\n% ${tag}\n%%EOF\n`, 'latin1')]);
