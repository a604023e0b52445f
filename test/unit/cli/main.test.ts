/**
 * `docutray-steps`, the command line, as users run it: built by its own build script (what `npm ci`
 * runs), spawned with plain Node against the stand-in over loopback HTTP. Exit codes 0/1/2, --update,
 * the JUnit and JSON reports, a wrong key, an unknown step, an unreachable service, no expected files,
 * expected files untouched by a failing check, settings from .vscode/settings.json, and the key never
 * printed. Also the one module that drives the batch runner for it (runDocuments), directly.
 */
import * as assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { RequestBudget } from '../../../src/core/api/budget';
import { DocuTrayClient } from '../../../src/core/client/client';
import { AuthenticationError, ConnectionError, NotFoundError } from '../../../src/core/api/errors';
import { parseExpected } from '../../../src/core/expected/expectedFile';
import {
  runDocuments,
  type DocumentOutcome,
  type DocumentToRun,
  type RunDocumentsDeps,
  type RunDocumentsOptions,
} from '../../../src/core/expected/runDocuments';

/** runDocuments' outcomes gathered by document, with its summary. */
async function collect(docs: DocumentToRun[], deps: RunDocumentsDeps, opts: Omit<RunDocumentsOptions, 'onOutcome'>) {
  const outcomes = new Map<string, DocumentOutcome>();
  const summary = await runDocuments(docs, deps, { ...opts, onOutcome: (id, o) => void outcomes.set(id, o) });
  return Object.assign(outcomes, { summary });
}
import { startStandIn, type StandIn, type StepScript } from '../../../stand-in/server';
import { SAMPLES, closedPort } from '../core/client/support';
import { cliAndStandIn, pdf, runCli, type Run } from './support';

const KEY = 'dtCLIKEY_7fQ2pLx9Vr4Tm8Wz3Nb6Hc1Jk5';

const INVOICE = {
  total: 683.53,
  vendor: { name: 'Ñandú Servicios Gráficos S.A.' },
  line_items: [
    { description: 'Impresión offset', amount: 210 },
    { description: 'Envío urgente', amount: 24.9 },
  ],
};

const STEPS: StepScript[] = [
  { id: 'invoice', name: 'Invoice', outcome: { status: 'SUCCESS', data: INVOICE } },
  { id: 'fails', outcome: { status: 'ERROR', error: { code: 'EXTRACTION_FAILED', message: 'No invoice found' } } },
  { id: 'never', outcome: { status: 'NEVER' } },
];

/** Every file under `dir` with its bytes, relative paths sorted: to see that nothing changed. */
function snapshot(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const full = join(d, e.name);
      if (e.isDirectory()) {
        walk(full);
      } else {
        out[relative(dir, full)] = readFileSync(full).toString('base64');
      }
    }
  };
  walk(dir);
  return out;
}

describe('docutray-steps (the command line)', function () {
  this.timeout(60_000);
  const fixture = cliAndStandIn(KEY);
  let standIn: StandIn;
  let ws: string;

  beforeEach(() => {
    standIn = fixture.standIn;
    standIn.reset();
    standIn.setSteps(STEPS);
    ws = mkdtempSync(join(tmpdir(), 'docutray-cli-ws-'));
    mkdirSync(join(ws, 'samples', 'more'), { recursive: true });
    writeFileSync(join(ws, 'samples', 'a.pdf'), pdf('a'));
    writeFileSync(join(ws, 'samples', 'more', 'b.png'), SAMPLES.png);
    writeFileSync(join(ws, 'samples', 'notes.txt'), 'not a document');
  });
  afterEach(() => rmSync(ws, { recursive: true, force: true }));

  function cliRun(args: string[], env: Record<string, string | undefined> = {}): Promise<Run> {
    return runCli(fixture.cli, args, { cwd: ws, key: KEY, baseUrl: standIn.url, env });
  }

  const starts = () => standIn.starts().reduce((n, s) => n + s.count, 0);

  it('prints its usage with --help and exits 0', async () => {
    const r = await cliRun(['--help']);
    assert.equal(r.code, 0);
    assert.match(r.stdout, /docutray-steps check <paths…> --step <id>/);
    assert.match(r.stdout, /DOCUTRAY_API_KEY/);
  });

  it('exits 2 on a usage error, naming it', async () => {
    for (const args of [
      ['check', 'samples'],
      ['check', '--step', 'invoice'],
      ['frobnicate', 'samples', '--step', 'invoice'],
      ['check', 'samples', '--step', 'invoice', '--reporter', 'xml'],
      ['check', 'samples', '--step', 'invoice', '--bogus'],
      ['run', 'samples', '--step', 'invoice', '--update'],
      ['check', 'samples', '--step', 'invoice', '--ignore', 'a b'],
      ['check', 'samples', '--step', 'invoice', '--absolute-tolerance', '-1'],
      ['check', 'samples/notes.txt', '--step', 'invoice'],
      ['check', 'nowhere', '--step', 'invoice'],
    ]) {
      const r = await cliRun(args);
      assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, /^docutray-steps: /, args.join(' '));
    }
    assert.equal(starts(), 0);
  });

  it('exits 1 when no document has an expected result, runs nothing and writes nothing', async () => {
    const before = snapshot(ws);
    const r = await cliRun(['check', 'samples', '--step', 'invoice']);
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stdout, /MISSING\s+samples\/a\.pdf\s+no expected result: run with --update/);
    assert.match(r.stdout, /MISSING\s+samples\/more\/b\.png/);
    assert.equal(starts(), 0);
    assert.deepEqual(snapshot(ws), before);
  });

  it('records expected files with --update (exit 0), then passes a check (exit 0)', async () => {
    const update = await cliRun(['check', 'samples', '--step', 'invoice', '--update']);
    assert.equal(update.code, 0, update.stdout + update.stderr);
    assert.match(update.stdout, /CREATED\s+samples\/a\.pdf/);
    const file = join(ws, 'samples', 'a.pdf.invoice.expected.json');
    const text = readFileSync(file, 'utf8');
    const recorded = parseExpected(text, 'invoice');
    assert.deepEqual(recorded.result, INVOICE);
    assert.equal(recorded.sha256, createHash('sha256').update(pdf('a')).digest('hex'));
    assert.equal(recorded.document, 'a.pdf');
    assert.ok(text.endsWith('}\n') && text.includes('\n  "result": {\n'));
    assert.ok(statSync(join(ws, 'samples', 'more', 'b.png.invoice.expected.json')).isFile());
    assert.equal(starts(), 2);

    const check = await cliRun(['check', 'samples', '--step', 'invoice']);
    assert.equal(check.code, 0, check.stdout + check.stderr);
    assert.match(check.stdout, /PASS\s+samples\/a\.pdf/);
    assert.match(check.stdout, /2 documents: 2 passed/);
    assert.equal(readFileSync(file, 'utf8'), text);
  });

  it('exits 1 with a JUnit failure naming the changed paths when the step’s answer changes; expected files untouched', async () => {
    assert.equal((await cliRun(['check', 'samples', '--step', 'invoice', '--update'])).code, 0);
    const before = snapshot(ws);
    standIn.setSteps({
      id: 'invoice',
      outcome: {
        status: 'SUCCESS',
        data: { ...INVOICE, total: 683.35, vendor: { name: 'Nandu', vat: null } },
      },
      outcomeByFile: { 'b.png': { status: 'SUCCESS', data: INVOICE } },
    });
    const r = await cliRun([
      'check',
      'samples',
      '--step',
      'invoice',
      '--reporter',
      'junit',
      '--output',
      'out/junit.xml',
    ]);
    assert.equal(r.code, 1, r.stderr);
    const xml = readFileSync(join(ws, 'out', 'junit.xml'), 'utf8');
    assert.match(xml, /<testsuite name="docutray-steps check invoice" tests="2" failures="1" errors="0"/);
    assert.match(
      xml,
      /<testcase name="samples\/a\.pdf" classname="invoice" file="samples\/a\.pdf\.invoice\.expected\.json" line="\d+" time="[\d.]+">\s*<failure type="failed" message="3 fields differ in samples\/a\.pdf\.invoice\.expected\.json: total: 683\.53 -&gt; 683\.35; vendor\.name: &quot;Ñandú Servicios Gráficos S\.A\.&quot; -&gt; &quot;Nandu&quot;; vendor\.vat: \(missing\) -&gt; null">/,
    );
    assert.match(xml, /total: 683\.53 -&gt; 683\.35 \(line \d+\)/);
    assert.match(
      xml,
      /<testcase name="samples\/more\/b\.png" classname="invoice" file="samples\/more\/b\.png" time="[\d.]+"\/>/,
    );
    // The pretty report goes to stdout as well.
    assert.match(r.stdout, /FAIL\s+samples\/a\.pdf/);
    assert.match(r.stdout, /vendor\.name: "Ñandú Servicios Gráficos S\.A\." -> "Nandu"/);
    assert.match(r.stdout, /vendor\.vat: \(missing\) -> null/);
    const after = snapshot(ws);
    delete after[join('out', 'junit.xml')];
    assert.deepEqual(after, before, 'a failing check changed the workspace');
  });

  it('compares with the workspace’s settings (JSONC), and flags override them', async () => {
    assert.equal((await cliRun(['check', 'samples', '--step', 'invoice', '--update'])).code, 0);
    standIn.setSteps({
      id: 'invoice',
      outcome: {
        status: 'SUCCESS',
        data: { ...INVOICE, total: 683.531, line_items: [INVOICE.line_items[1], INVOICE.line_items[0]] },
      },
    });
    assert.equal((await cliRun(['check', 'samples', '--step', 'invoice'])).code, 1);
    mkdirSync(join(ws, '.vscode'));
    writeFileSync(
      join(ws, '.vscode', 'settings.json'),
      `{
        // what the editor uses too
        "docutray.expected.absoluteTolerance": 0.01,
        "docutray.expected.arrayKeys": { "invoice": { "line_items": "description" } },
      }`,
    );
    const r = await cliRun(['check', 'samples', '--step', 'invoice', '--reporter', 'json']);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.deepEqual(JSON.parse(r.stdout).summary, { documents: 2, passed: 2 });
    const strict = await cliRun([
      'check',
      'samples',
      '--step',
      'invoice',
      '--absolute-tolerance',
      '0',
      '--reporter',
      'json',
    ]);
    assert.equal(strict.code, 1);
    assert.deepEqual(
      JSON.parse(strict.stdout).documents[0].differences.map((d: { path: string }) => d.path),
      ['total'],
    );
    assert.equal((await cliRun(['check', 'samples', '--step', 'invoice', '--no-settings'])).code, 1);
    writeFileSync(join(ws, '.vscode', 'settings.json'), '{ "docutray.expected.strings": "fuzzy" }');
    const bad = await cliRun(['check', 'samples', '--step', 'invoice']);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /docutray\.expected\.strings must be one of/);
  });

  it('keeps expected files under the folder setting', async () => {
    const r = await cliRun([
      'check',
      'samples/a.pdf',
      '--step',
      'invoice',
      '--update',
      '--expected-folder',
      'expected',
    ]);
    assert.equal(r.code, 0, r.stderr);
    assert.ok(statSync(join(ws, 'expected', 'samples', 'a.pdf.invoice.expected.json')).isFile());
    const check = await cliRun(['check', 'samples/a.pdf', '--step', 'invoice', '--expected-folder', 'expected']);
    assert.equal(check.code, 0, check.stdout);
  });

  it('reports a changed document as such, without running it', async () => {
    assert.equal((await cliRun(['check', 'samples', '--step', 'invoice', '--update'])).code, 0);
    writeFileSync(join(ws, 'samples', 'a.pdf'), pdf('a, edited'));
    const startsBefore = starts();
    const r = await cliRun(['check', 'samples', '--step', 'invoice', '--reporter', 'json']);
    assert.equal(r.code, 1);
    const [a, b] = JSON.parse(r.stdout).documents;
    assert.equal(a.status, 'documentChanged');
    assert.equal(b.status, 'passed');
    assert.equal(starts(), startsBefore + 1, 'only the unchanged document ran');
  });

  it('exits 2 for a wrong key, an unknown step, a missing key, an unreachable or insecure service; writes nothing', async () => {
    const before = snapshot(ws);
    const wrongKey = await cliRun(['check', 'samples', '--step', 'invoice', '--update'], {
      DOCUTRAY_API_KEY: 'dtWRONG_key_0000000000',
    });
    assert.equal(wrongKey.code, 2);
    assert.match(wrongKey.stderr, /refused the API key \(401\)\. Check DOCUTRAY_API_KEY/);
    assert.ok(!wrongKey.stderr.includes('dtWRONG_key_0000000000'));

    const unknown = await cliRun(['check', 'samples', '--step', 'no-such-step', '--update']);
    assert.equal(unknown.code, 2);
    assert.match(unknown.stderr, /no step `no-such-step` that this key may use/);

    const noKey = await cliRun(['check', 'samples', '--step', 'invoice'], { DOCUTRAY_API_KEY: undefined });
    assert.equal(noKey.code, 2);
    assert.match(noKey.stderr, /Set DOCUTRAY_API_KEY/);

    const down = await cliRun(['check', 'samples', '--step', 'invoice'], {
      DOCUTRAY_BASE_URL: `http://127.0.0.1:${await closedPort()}`,
    });
    assert.equal(down.code, 2);
    assert.match(down.stderr, /Could not reach DocuTray .*ECONNREFUSED.*DOCUTRAY_BASE_URL/);

    const insecure = await cliRun(['check', 'samples', '--step', 'invoice'], {
      DOCUTRAY_BASE_URL: 'http://docutray.example',
    });
    assert.equal(insecure.code, 2);
    assert.match(insecure.stderr, /must use https/);

    assert.deepEqual(snapshot(ws), before);
  });

  it('exits 2 (could not check) for a step that reports ERROR, writing nothing even with --update', async () => {
    const r = await cliRun(['check', 'samples/a.pdf', '--step', 'fails', '--update']);
    assert.equal(r.code, 2);
    assert.match(
      r.stdout,
      /STEP ERROR\s+samples\/a\.pdf\s+the step reported an error: No invoice found \(execution exec_\d+\)/,
    );
    assert.deepEqual(readdirSync(join(ws, 'samples')).sort(), ['a.pdf', 'more', 'notes.txt']);
  });

  it('never sends a start twice: an answer lost is reported as uncertain (exit 2: not checked)', async () => {
    assert.equal((await cliRun(['check', 'samples', '--step', 'invoice', '--update'])).code, 0);
    standIn.reset();
    standIn.addFaults({ kind: 'loseStartAnswer', count: 1 });
    const r = await cliRun(['check', 'samples', '--step', 'invoice', '--concurrency', '1', '--reporter', 'junit']);
    assert.equal(r.code, 2);
    assert.match(r.stdout, /<error type="uncertain" message="The step may have started/);
    assert.equal(starts(), 2, 'each document started once');
    assert.ok(standIn.starts().every(s => s.count === 1));
  });

  it('run: writes each result as JSON, to files with --out or as JSON lines', async () => {
    const lines = await cliRun(['run', 'samples', '--step', 'invoice']);
    assert.equal(lines.code, 0, lines.stderr);
    const parsed = lines.stdout
      .trim()
      .split('\n')
      .map(l => JSON.parse(l));
    assert.deepEqual(
      parsed.map(p => [p.document, p.status]),
      [
        ['samples/a.pdf', 'result'],
        ['samples/more/b.png', 'result'],
      ],
    );
    assert.deepEqual(parsed[0].result, INVOICE);

    const files = await cliRun(['run', 'samples', '--step', 'invoice', '--out', 'results']);
    assert.equal(files.code, 0, files.stderr);
    assert.deepEqual(
      JSON.parse(readFileSync(join(ws, 'results', 'samples', 'more', 'b.png.invoice.json'), 'utf8')),
      INVOICE,
    );

    // An --out outside the root is refused before anything is started (and billed), not after.
    const startsBefore = starts();
    const outside = mkdtempSync(join(tmpdir(), 'docutray-cli-out-'));
    try {
      const refused = await cliRun(['run', 'samples', '--step', 'invoice', '--out', outside]);
      assert.equal(refused.code, 2, refused.stdout);
      assert.match(refused.stderr, /--out .* is not inside the workspace root .*: pick a folder inside it/);
      assert.equal(starts(), startsBefore);
      assert.deepEqual(readdirSync(outside), []);
    } finally {
      rmSync(outside, { recursive: true, force: true });
    }

    const failing = await cliRun(['run', 'samples/a.pdf', '--step', 'fails']);
    assert.equal(failing.code, 2);
    assert.equal(JSON.parse(failing.stdout).status, 'stepError');
  });
});

describe('runDocuments: one step over many documents, through one budget', function () {
  this.timeout(30_000);
  let standIn: StandIn;
  let dir: string;
  const doc = (name: string, bytes: Buffer = pdf(name)) => {
    const path = join(dir, name);
    writeFileSync(path, bytes);
    return { id: name, input: { kind: 'path' as const, path } };
  };
  const service = (baseUrl = standIn.url, key = KEY) => {
    const budget = new RequestBudget();
    const client = new DocuTrayClient({
      baseUrl,
      apiKey: key,
      fetch: (u, i) => fetch(u, i),
      budget,
      retry: { baseDelayMs: 5, maxDelayMs: 20 },
    });
    return { client, budget };
  };

  before(async () => {
    standIn = await startStandIn({ port: 0, apiKeys: [KEY] });
  });
  after(() => standIn.close());
  beforeEach(() => {
    standIn.reset();
    standIn.setSteps(STEPS);
    dir = mkdtempSync(join(tmpdir(), 'docutray-run-docs-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('gives each document its outcome: result, unreadable, a start that may have happened', async () => {
    standIn.setSteps({
      id: 'invoice',
      outcome: { status: 'SUCCESS', data: { n: 0 } },
      outcomeByFile: { 'two.pdf': { status: 'SUCCESS', data: { n: 2 } } },
    });
    standIn.addFaults({ kind: 'loseStartAnswer', match: { method: 'POST' } });
    const states: string[] = [];
    const outcomes = await collect(
      [doc('lost.pdf'), doc('one.pdf'), doc('two.pdf'), doc('text.pdf', Buffer.from('plain text'))],
      service(),
      { stepId: 'invoice', maxUploads: 1, onProgress: (id, state) => states.push(`${id} ${state}`) },
    );
    assert.equal(outcomes.get('lost.pdf')?.kind, 'uncertain');
    assert.deepEqual(outcomes.get('one.pdf'), { ...outcomes.get('one.pdf'), kind: 'result', data: { n: 0 } });
    assert.deepEqual((outcomes.get('two.pdf') as { data: unknown }).data, { n: 2 });
    assert.equal(outcomes.get('text.pdf')?.kind, 'unavailable');
    assert.ok(states.includes('one.pdf ENQUEUED') && states.includes('one.pdf SUCCESS'));
    assert.deepEqual(
      standIn.starts().map(s => s.count),
      [1, 1, 1],
    );
  });

  it('says a step ERROR and a result that did not come in time apart', async () => {
    const failed = await collect([doc('a.pdf')], service(), { stepId: 'fails' });
    assert.deepEqual(
      { ...failed.get('a.pdf'), executionId: undefined, durationMs: undefined },
      {
        kind: 'stepError',
        message: 'No invoice found',
        code: 'EXTRACTION_FAILED',
        executionId: undefined,
        durationMs: undefined,
        sha256: createHash('sha256')
          .update(readFileSync(join(dir, 'a.pdf')))
          .digest('hex'),
      },
      'the hash of the bytes sent comes with the outcome',
    );
    const late = await collect([doc('b.pdf')], service(), { stepId: 'never', timeoutMs: 500 });
    assert.equal(late.get('b.pdf')?.kind, 'timedOut');
    assert.match((late.get('b.pdf') as { message: string }).message, /no result within 1 s \(execution exec_\d+/);
  });

  it('stops at what every document would meet, after one start: a refused key, an unknown step, an unreachable service', async () => {
    const fatal = (r: { summary: { stop?: object } }) => (r.summary.stop as { error?: unknown } | undefined)?.error;
    const wrongKey = await collect([doc('a.pdf'), doc('b.pdf')], service(standIn.url, 'dtWRONG'), {
      stepId: 'invoice',
    });
    assert.ok(fatal(wrongKey) instanceof AuthenticationError);
    const before = standIn.requests().filter(r => r.method === 'POST').length;
    const unknown = await collect([doc('a.pdf'), doc('b.pdf'), doc('c.pdf')], service(), { stepId: 'nope' });
    assert.ok(fatal(unknown) instanceof NotFoundError);
    assert.equal(standIn.requests().filter(r => r.method === 'POST').length - before, 1, 'the first start goes alone');
    assert.deepEqual(
      [...unknown.values()].map(o => o.kind),
      ['notRun', 'notRun', 'notRun'],
    );
    const port = await closedPort();
    const down = await collect([doc('a.pdf'), doc('b.pdf')], service(`http://127.0.0.1:${port}`), {
      stepId: 'invoice',
    });
    assert.ok(fatal(down) instanceof ConnectionError);
  });

  it('stops when cancelled, saying what was not run', async () => {
    const abort = new AbortController();
    const outcomes = await collect([doc('a.pdf'), doc('b.pdf')], service(), {
      stepId: 'never',
      signal: abort.signal,
      onProgress: (_id, state) => state === 'ENQUEUED' && abort.abort(),
    });
    assert.deepEqual(
      ['a.pdf', 'b.pdf'].map(d => outcomes.get(d)?.kind),
      ['billed', 'notRun'],
      'the document started is named billed, never not run',
    );
    assert.equal(outcomes.summary.stop?.kind, 'cancelled');
  });
});
