/**
 * `--shard i/n` and `--files-from` as a CI matrix uses them: the built command line spawned with plain Node
 * against the stand-in over loopback. The n jobs record disjoint parts that together are every document,
 * each document started once; a list on stdin; an empty part; the job's budget takes 1/n of the key.
 */
import * as assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect } from '../../../src/cli/service';
import { shardOf } from '../../../src/core/batches/shard';
import type { StandIn } from '../../../stand-in/server';
import { cliAndStandIn, filesUnder, pdf, runCli, type Run } from './support';

const KEY = 'dtSHARDKEY_4mQ8vLx2Pr7Tn3Wz9Kb5Hc6Jd1';
const DOCUMENTS = Array.from({ length: 7 }, (_, i) => `samples/${i % 3 === 0 ? 'scans/' : ''}doc-${i}.pdf`);

/** The expected files under `dir`, as their documents' workspace-relative paths. */
function recorded(dir: string): string[] {
  const suffix = '.invoice.expected.json';
  return filesUnder(dir)
    .filter(f => f.endsWith(suffix))
    .map(f => f.slice(0, -suffix.length))
    .sort();
}

describe('docutray-steps --shard and --files-from', function () {
  // A job of n starts at 1/n of the default limit (30 a minute) until it learns more: a few seconds a document.
  this.timeout(120_000);
  const fixture = cliAndStandIn(KEY);
  let standIn: StandIn;
  let ws: string;

  beforeEach(() => {
    standIn = fixture.standIn;
    standIn.reset();
    standIn.setSteps([{ id: 'invoice', outcome: { status: 'SUCCESS', data: { total: 1 } } }]);
    ws = mkdtempSync(join(tmpdir(), 'docutray-shard-ws-'));
    for (const d of DOCUMENTS) {
      mkdirSync(join(ws, d, '..'), { recursive: true });
      writeFileSync(join(ws, d), pdf(d));
    }
  });
  afterEach(() => rmSync(ws, { recursive: true, force: true }));

  function cliRun(args: string[], stdin?: string): Promise<Run> {
    return runCli(fixture.cli, args, { cwd: ws, key: KEY, baseUrl: standIn.url, stdin });
  }

  const starts = () => standIn.starts().reduce((n, s) => n + s.count, 0);

  it('three jobs record disjoint parts that together are every document, each started once', async () => {
    const parts: string[][] = [];
    for (const i of [1, 2, 3]) {
      const before = recorded(ws);
      const r = await cliRun(['check', 'samples', '--step', 'invoice', '--update', '--shard', `${i}/3`]);
      assert.equal(r.code, 0, r.stderr);
      const part = recorded(ws).filter(d => !before.includes(d));
      assert.deepEqual(
        part,
        DOCUMENTS.filter(d => shardOf(d, 3) === i).sort(),
        `part ${i}/3 is the documents whose path hashes there`,
      );
      parts.push(part);
    }
    assert.deepEqual(parts.flat().sort(), [...DOCUMENTS].sort());
    assert.equal(starts(), DOCUMENTS.length, 'no document started twice, none left out');
    // Checked whole: every document passes (one more start each, for this check).
    const whole = await cliRun(['check', 'samples', '--step', 'invoice']);
    assert.equal(whole.code, 0, whole.stderr);
    assert.equal(starts(), 2 * DOCUMENTS.length);
  });

  it('takes the paths listed on stdin (comments and blank lines skipped), with a shard too', async () => {
    const listed = DOCUMENTS.slice(0, 4);
    const list = `# changed in this pull request\n\n${listed.join('\n')}\n`;
    const r = await cliRun(['run', '--step', 'invoice', '--files-from', '-'], list);
    assert.equal(r.code, 0, r.stderr);
    const lines = r.stdout
      .trim()
      .split('\n')
      .map(l => (JSON.parse(l) as { document: string }).document);
    assert.deepEqual(lines.sort(), [...listed].sort());
    assert.equal(starts(), 4);
    const part = listed.filter(d => shardOf(d, 2) === 2);
    const r2 = await cliRun(['run', '--step', 'invoice', '--files-from', '-', '--shard', '2/2'], list);
    assert.equal(r2.code, 0, r2.stderr);
    assert.equal(r2.stdout.trim().split('\n').filter(Boolean).length, part.length);
    const outside = await cliRun(['run', '--step', 'invoice', '--files-from', '-'], '../elsewhere.pdf\n');
    assert.equal(outside.code, 2);
    assert.match(outside.stderr, /line 1: \.\.\/elsewhere\.pdf is not inside the workspace root/);
  });

  it('a part with no document checks nothing and passes', async () => {
    const only = DOCUMENTS[0];
    const empty = shardOf(only, 2) === 1 ? 2 : 1;
    const r = await cliRun(['check', only, '--step', 'invoice', '--update', '--shard', `${empty}/2`]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(starts(), 0);
    assert.deepEqual(recorded(ws), []);
  });

  it('gives each job a budget for 1/n of the key', async () => {
    const env = { DOCUTRAY_API_KEY: KEY, DOCUTRAY_BASE_URL: standIn.url };
    const { budget } = await connect(env, 'test', { share: 1 / 4 });
    assert.deepEqual([budget.state().share, budget.state().limit, budget.state().allowance], [0.25, 30, 7]);
    const whole = await connect(env, 'test');
    assert.equal(whole.budget.state().share, 1);
  });
});
