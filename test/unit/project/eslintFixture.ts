/**
 * Lints a small project written to a temp folder with ESLint's own command line, as `npm run lint` does:
 * with the project's eslint.config.mjs, or with a config of the test's own. Its tsconfig.json extends the
 * project's, so modules resolve as tsc resolves them here.
 */
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { REPO } from '../../repo';

export interface Finding {
  file: string;
  line: number;
  ruleId: string | null;
  message: string;
}

export interface LintResult {
  status: number | null;
  findings: Finding[];
  stderr: string;
}

/**
 * Writes `files` into a fresh project and lints it; `config` is the text of its eslint.config.mjs (the
 * project's own when absent). Unless `configError` is expected, ESLint must have run: exit 0, or findings.
 */
export function lintFixture(
  files: Record<string, string>,
  opts: { config?: string; configError?: boolean } = {},
): LintResult {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'docutray-lint-'));
  try {
    fs.writeFileSync(
      path.join(dir, 'tsconfig.json'),
      JSON.stringify({ extends: path.join(REPO, 'tsconfig.json'), include: ['src/**/*.ts', 'lib/**/*.ts'] }),
    );
    for (const [name, text] of Object.entries(files)) {
      fs.mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
      fs.writeFileSync(path.join(dir, name), text);
    }
    let configFile = path.join(REPO, 'eslint.config.mjs');
    if (opts.config !== undefined) {
      configFile = path.join(dir, 'eslint.config.mjs');
      fs.writeFileSync(configFile, opts.config);
    }
    const eslint = path.join(REPO, 'node_modules', 'eslint', 'bin', 'eslint.js');
    const r = spawnSync(process.execPath, [eslint, '--config', configFile, '--format', 'json', '.'], {
      cwd: dir,
      encoding: 'utf8',
    });
    const results = JSON.parse(r.stdout || '[]') as Array<{
      filePath: string;
      messages: Array<{ line: number; ruleId: string | null; message: string }>;
    }>;
    const findings = results.flatMap(f =>
      f.messages.map(m => ({ file: path.relative(dir, f.filePath).split(path.sep).join('/'), ...m })),
    );
    if (!opts.configError) {
      assert.ok(r.status === 0 || findings.length > 0, `eslint exited ${r.status}: ${r.stderr}`);
    }
    return { status: r.status, findings, stderr: r.stderr };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
