/**
 * `docutray-steps` at the size users run it: the built command line spawned as a process against the
 * stand-in on loopback, with 2 s steps, a real per-minute limiter that sends `X-RateLimit-*` only on its
 * 429s, a quota that runs out mid-run, Ctrl-C, and links out of the repository. Exit codes, stdout and
 * report files are compared; the stand-in counts starts per document hash, so a document billed twice
 * shows.
 */
import * as assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { StandIn, StepScript } from '../../../stand-in/server';
import { cliAndStandIn, filesUnder as files, pdf, runCli, type Run } from './support';

const KEY = 'dtENGINEKEY_4kQ9pLx2Vr7Tm1Wz8Nb3Hc6Jk0';

const step = (id: string, data: unknown, ms: { enqueuedMs: number; processingMs: number }): StepScript => ({
  id,
  ...ms,
  outcome: { status: 'SUCCESS', data },
});

describe('docutray-steps at scale: every promise kept', function () {
  this.timeout(300_000);
  const fixture = cliAndStandIn(KEY);
  let standIn: StandIn;
  let base: string;
  let ws: string;
  let outside: string;

  beforeEach(() => {
    standIn = fixture.standIn;
    standIn.reset();
    standIn.configure({ rateLimit: false as unknown as undefined, quotaExceeded: false });
    base = mkdtempSync(join(tmpdir(), 'docutray-engine-'));
    ws = join(base, 'repo');
    outside = join(base, 'outside');
    mkdirSync(join(ws, 'docs'), { recursive: true });
    mkdirSync(outside);
  });
  afterEach(() => rmSync(base, { recursive: true, force: true }));

  function addDocuments(n: number): string[] {
    const names = Array.from({ length: n }, (_, i) => `doc-${String(i + 1).padStart(2, '0')}.pdf`);
    for (const name of names) {
      writeFileSync(join(ws, 'docs', name), pdf(name));
    }
    return names;
  }

  /** Spawns the command line; `onSpawn` gets the child (to send it a signal). */
  function cli_(args: string[], onSpawn?: (child: ChildProcess) => void): Promise<Run> {
    return runCli(fixture.cli, args, { cwd: ws, key: KEY, baseUrl: standIn.url, onSpawn });
  }

  const startsPerDocument = () => standIn.starts().map(s => s.count);
  const everyExecutionRead = () => standIn.executions().every(e => e.terminalServedAt !== undefined);

  it('20 documents, 2 s steps, a per-minute limit that answers 429: complete reports, then exactly the one change', async () => {
    const names = addDocuments(20);
    standIn.setSteps(step('invoice', { total: 10, vendor: 'ACME' }, { enqueuedMs: 500, processingMs: 1500 }));
    // A real minute: the budget starts below it (30) and probes up until the limiter's 429 says the limit.
    // The run needs at least 40 requests (20 starts, at least one status each), all within the first
    // minute once the probe has grown: a limit of 34 is passed whatever the timing. (At 40, a run whose
    // documents all ended by their first status request fit exactly and met no 429.)
    const perMinute = 34;
    standIn.configure({ rateLimit: { perMinute, headers: '429' } });

    const update = await cli_(['check', 'docs', '--step', 'invoice', '-u', '--reporter', 'json=out/update.json']);
    assert.equal(update.code, 0, update.stdout + update.stderr);
    assert.match(update.stdout, /20 documents: 20 recorded/);
    assert.ok(standIn.rateLimit().refused >= 1, `at least one 429: ${JSON.stringify(standIn.rateLimit())}`);
    assert.deepEqual(startsPerDocument(), Array(20).fill(1));
    assert.ok(everyExecutionRead(), 'every billed start read to its end');
    const json = JSON.parse(readFileSync(join(ws, 'out', 'update.json'), 'utf8')) as {
      complete: boolean;
      exitCode: number;
      documents: { status: string }[];
    };
    assert.deepEqual([json.complete, json.exitCode, json.documents.length], [true, 0, 20]);
    assert.ok(!existsSync(join(ws, '.docutray', 'journal.jsonl')), 'the journal is emptied once all is reported');

    // One answer changes: exit 1, a JUnit report of 20 testcases holding exactly that failure.
    standIn.reset();
    standIn.setSteps({
      ...step('invoice', { total: 10, vendor: 'ACME' }, { enqueuedMs: 500, processingMs: 1500 }),
      outcomeByFile: { 'doc-07.pdf': { status: 'SUCCESS', data: { total: 11, vendor: 'ACME' } } },
    });
    const check = await cli_([
      'check',
      'docs',
      '--step',
      'invoice',
      '--reporter',
      'pretty',
      '--reporter',
      'junit=out/report.xml',
    ]);
    assert.equal(check.code, 1, check.stdout + check.stderr);
    assert.match(check.stdout, /FAIL\s+docs\/doc-07\.pdf/);
    assert.match(check.stdout, /total: 10 -> 11 \(line \d+\)/);
    assert.match(check.stdout, /20 documents: 19 passed, 1 differs/);
    const xml = readFileSync(join(ws, 'out', 'report.xml'), 'utf8');
    assert.equal((xml.match(/<testcase /g) ?? []).length, 20);
    assert.equal((xml.match(/<failure /g) ?? []).length, 1);
    assert.equal((xml.match(/<error /g) ?? []).length, 0);
    assert.match(
      xml,
      /<testcase name="docs\/doc-07\.pdf" classname="invoice" file="docs\/doc-07\.pdf\.invoice\.expected\.json" line="\d+"[^>]*>\s*<failure type="failed" message="1 field differs in [^"]*total: 10 -&gt; 11/,
    );
    assert.deepEqual(startsPerDocument(), Array(20).fill(1));
    assert.ok(everyExecutionRead());
    assert.equal(names.length, 20);
  });

  it('Ctrl-C once every document is billed: the report names them billed; the next check reads them, starting none again', async () => {
    addDocuments(6);
    standIn.setSteps(step('slow', { n: 1 }, { enqueuedMs: 500, processingMs: 4000 }));
    const journal = join(ws, '.docutray', 'journal.jsonl');
    const interrupted = await cli_(['check', 'docs', '--step', 'slow', '--update', '--concurrency', '6'], child => {
      // Once the journal holds every start (written before any is polled), Ctrl-C.
      const watch = setInterval(() => {
        const lines = existsSync(journal) ? readFileSync(journal, 'utf8').split('\n').filter(Boolean) : [];
        if (lines.length === 6) {
          clearInterval(watch);
          child.kill('SIGINT');
        }
      }, 20);
      child.on('close', () => clearInterval(watch));
    });
    assert.equal(interrupted.code, 2, interrupted.stdout + interrupted.stderr);
    assert.match(interrupted.stdout, /BILLED\s+docs\/doc-01\.pdf\s+started and billed, result not read yet/);
    assert.doesNotMatch(interrupted.stdout, /NOT RUN|NOT STARTED/);
    assert.match(interrupted.stdout, /6 documents were started and billed, result not read yet/);
    assert.equal(readFileSync(journal, 'utf8').split('\n').filter(Boolean).length, 6);
    assert.deepEqual(startsPerDocument(), Array(6).fill(1));

    const again = await cli_(['check', 'docs', '--step', 'slow', '--update']);
    assert.equal(again.code, 0, again.stdout + again.stderr);
    assert.match(again.stdout, /6 documents billed earlier were read, not run again/);
    assert.match(again.stdout, /6 documents: 6 recorded/);
    assert.deepEqual(startsPerDocument(), Array(6).fill(1), 'no document started twice');
    assert.ok(!existsSync(journal));
  });

  it('a 402 after 3 starts: no further start, the 3 read and reported, exit 2 naming the quota', async () => {
    addDocuments(6);
    standIn.setSteps(step('invoice', { total: 1 }, { enqueuedMs: 200, processingMs: 800 }));
    standIn.configure({ quotaExceeded: { quota: 100, used: 100, afterStarts: 3 } });
    const r = await cli_(['check', 'docs', '--step', 'invoice', '--update', '--concurrency', '1']);
    assert.equal(r.code, 2, r.stdout + r.stderr);
    assert.match(r.stderr, /quota is used up/);
    assert.match(r.stdout, /6 documents: 3 recorded, 3 not started/);
    assert.equal(files(join(ws, 'docs')).filter(f => f.endsWith('.expected.json')).length, 3);
    assert.equal(standIn.executions().length, 3);
    assert.ok(everyExecutionRead(), 'the billed documents are read to their end');
  });

  it('a 429 asking for 2 h: stops, naming the limit and when to retry (exit 2)', async () => {
    addDocuments(3);
    standIn.setSteps(step('invoice', {}, { enqueuedMs: 0, processingMs: 0 }));
    standIn.addFaults({ kind: 'rateLimit', retryAfterSeconds: 7200, count: 1, match: { method: 'POST' } });
    const r = await cli_(['check', 'docs', '--step', 'invoice', '--update']);
    assert.equal(r.code, 2, r.stdout + r.stderr);
    assert.match(
      r.stderr,
      /rate limit \(60 requests per minute\) asks to wait until .* \(retry at \d\d:\d\d local time\)/,
    );
    assert.match(r.stdout, /3 documents: 3 not started/);
    assert.equal(standIn.executions().length, 0);
  });

  it('an unknown step: the first start goes alone, nothing else is sent, exit 2 naming it', async () => {
    addDocuments(5);
    standIn.setSteps(step('invoice', {}, { enqueuedMs: 0, processingMs: 0 }));
    const r = await cli_(['check', 'docs', '--step', 'invoice-typo', '--update']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /DocuTray has no step `invoice-typo` that this key may use/);
    assert.equal(standIn.requests().filter(q => q.method === 'POST').length, 1);
  });

  it('never writes outside the repository: a report path or an expected folder that links out is refused (exit 2)', async () => {
    addDocuments(2);
    standIn.setSteps(step('invoice', { total: 1 }, { enqueuedMs: 0, processingMs: 100 }));
    writeFileSync(join(outside, 'report.xml'), 'precious');
    symlinkSync(join(outside, 'report.xml'), join(ws, 'report.xml'));
    const linkReport = await cli_(['check', 'docs', '--step', 'invoice', '-u', '--reporter', 'junit=report.xml']);
    assert.equal(linkReport.code, 2, linkReport.stdout + linkReport.stderr);
    assert.match(linkReport.stderr, /report\.xml was not written: .*symbolic link/);
    assert.equal(readFileSync(join(outside, 'report.xml'), 'utf8'), 'precious');
    assert.match(linkReport.stdout, /2 documents: 2 recorded/, 'the other writes are kept');

    symlinkSync(outside, join(ws, 'expected'));
    const linkFolder = await cli_(['check', 'docs', '--step', 'invoice', '-u', '--expected-folder', 'expected']);
    assert.equal(linkFolder.code, 2, linkFolder.stdout + linkFolder.stderr);
    assert.match(
      linkFolder.stdout,
      /ERROR\s+docs\/doc-01\.pdf\s+the result could not be recorded in expected\/docs\/doc-01\.pdf\.invoice\.expected\.json: .*leads out/,
    );
    assert.deepEqual(files(outside), ['report.xml']);

    const absolute = await cli_([
      'check',
      'docs',
      '--step',
      'invoice',
      '--reporter',
      `json=${join(outside, 'r.json')}`,
    ]);
    assert.equal(absolute.code, 2);
    assert.match(absolute.stderr, /r\.json was not written: .* is not inside /);
    assert.deepEqual(files(outside), ['report.xml']);
  });

  it('lists expected files whose document is gone; -u removes them', async () => {
    addDocuments(2);
    standIn.setSteps(step('invoice', { total: 1 }, { enqueuedMs: 0, processingMs: 100 }));
    assert.equal((await cli_(['check', 'docs', '--step', 'invoice', '-u'])).code, 0);
    rmSync(join(ws, 'docs', 'doc-02.pdf'));
    const listed = await cli_(['check', 'docs', '--step', 'invoice', '--reporter', 'json=r.json']);
    assert.equal(listed.code, 0, listed.stdout + listed.stderr);
    assert.match(listed.stdout, /OBSOLETE\s+docs\/doc-02\.pdf\.invoice\.expected\.json\s+its document is gone/);
    assert.deepEqual((JSON.parse(readFileSync(join(ws, 'r.json'), 'utf8')) as { obsolete: unknown }).obsolete, [
      { expectedFile: 'docs/doc-02.pdf.invoice.expected.json', removed: false },
    ]);
    const removed = await cli_(['check', 'docs', '--step', 'invoice', '-u']);
    assert.match(removed.stdout, /REMOVED\s+docs\/doc-02\.pdf\.invoice\.expected\.json/);
    assert.ok(!existsSync(join(ws, 'docs', 'doc-02.pdf.invoice.expected.json')));
  });
});
