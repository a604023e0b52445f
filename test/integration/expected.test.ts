/**
 * Expected results in the real extension host, against the stand-in: the Test Explorer's tests come from
 * the expected files (by folder); a run asks first, saying how many pages it bills, runs the step on each
 * document through the batch runner and passes; when the step's answer changes the run fails with a message
 * naming exactly the changed paths, at the first one's line in the expected file, and a diff; Accept as
 * Expected rewrites the file and the next run passes; a changed document is reported, not run; Create
 * Expected Result from a run in the Runs view; nothing is written through a link out of the workspace
 * folder; a cancelled run sends nothing more; Compare Two Steps names the documents whose results differ.
 */
import * as assert from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as vscode from 'vscode';
import { parseExpected, serializeExpected } from '../../src/core/expected/expectedFile';
import type { CheckRunReport, CheckedTest } from '../../src/testing/checkRun';
import type { StepComparison } from '../../src/testing/compareSteps';
import {
  Api,
  RunInfo,
  activate,
  answerMessages,
  closeAllEditors,
  patch,
  sha256,
  standIn,
  waitFor,
  workspaceFile,
  writeWorkspaceFile,
} from './support';

type TestingApi = Api & {
  testController(): vscode.TestController | undefined;
  lastTestRun(): CheckRunReport | undefined;
  runsTree: { getTreeItem(e: unknown): vscode.TreeItem | Thenable<vscode.TreeItem> };
};

const FOLDER = 'expected-it';
const STEP = 'it-expected';
const RESULTS: Record<string, unknown> = {
  'a.pdf': {
    currency: 'EUR',
    line_items: [{ amount: 210, description: 'Impresión offset' }],
    total: 683.53,
    vendor: { name: 'Ñandú S.A.', vat: 'B123' },
  },
  'b.pdf': { currency: 'USD', total: 99 },
  'c.png': { kind: 'receipt', total: 12.5 },
};
const DOCS = { a: `${FOLDER}/a.pdf`, b: `${FOLDER}/b.pdf`, c: `${FOLDER}/sub/c.png` };

const step = (id: string, byFile: Record<string, unknown>, processingMs = 100) => ({
  id,
  name: id,
  enqueuedMs: 20,
  processingMs,
  outcome: { status: 'SUCCESS', data: {} },
  outcomeByFile: Object.fromEntries(Object.entries(byFile).map(([f, data]) => [f, { status: 'SUCCESS', data }])),
});

/** Runs the first button of every modal (Run, Compare, Replace). */
const goAhead = () => answerMessages((_m, items) => items[0]);

async function docBytes(name: string, tag: string): Promise<Buffer> {
  const from = name.endsWith('.png') ? 'sample.png' : 'sample.pdf';
  const bytes = await vscode.workspace.fs.readFile(workspaceFile(from));
  // Bytes after the end: still a valid document, with its own hash.
  return Buffer.concat([Buffer.from(bytes), Buffer.from(`\n% ${tag}\n`, 'latin1')]);
}

function expectedPathOf(doc: string, stepId = STEP): string {
  return `${doc}.${stepId}.expected.json`;
}

async function writeExpected(doc: string, result: unknown): Promise<vscode.Uri> {
  const bytes = await vscode.workspace.fs.readFile(workspaceFile(doc));
  return writeWorkspaceFile(
    expectedPathOf(doc),
    serializeExpected({ stepId: STEP, document: path.basename(doc), sha256: sha256(bytes), result }),
  );
}

async function readExpected(doc: string) {
  return parseExpected(Buffer.from(await vscode.workspace.fs.readFile(workspaceFile(expectedPathOf(doc)))).toString());
}

interface Node {
  id: string;
  label: string;
  description?: string;
  error?: string;
  children: Node[];
}
function treeOf(items: vscode.TestItemCollection): Node[] {
  const out: Node[] = [];
  items.forEach(i =>
    out.push({
      id: i.id,
      label: i.label,
      description: i.description,
      error: typeof i.error === 'string' ? i.error : i.error?.value,
      children: treeOf(i.children),
    }),
  );
  return out.sort((a, b) => a.label.localeCompare(b.label));
}

describe('expected results: the Test Explorer, Accept as Expected, Compare Two Steps', function () {
  this.timeout(120000);
  let api: TestingApi;
  const config = () => vscode.workspace.getConfiguration();
  const starts = async () =>
    (await standIn.requests()).filter(r => r.method === 'POST' && r.path.includes('/steps-async/'));
  const startsOf = async (stepId: string, file: string) =>
    (await starts()).filter(r => r.path.endsWith(`/${stepId}`) && r.multipart?.files[0]?.filename === file).length;

  /** Runs the tests through VS Code (the Testing commands) and waits for the run's report. */
  async function runTests(command: string, ...args: unknown[]): Promise<CheckRunReport> {
    const before = api.lastTestRun();
    await vscode.commands.executeCommand(command, ...args);
    return waitFor('the test run to end', () => (api.lastTestRun() !== before ? api.lastTestRun() : undefined), 60000);
  }
  const testOf = (report: CheckRunReport, doc: string): CheckedTest => {
    const t = report.tests.find(x => x.id === workspaceFile(expectedPathOf(doc)).toString());
    assert.ok(t, `the run reported ${doc}: ${JSON.stringify(report.tests.map(x => [x.id, x.state]))}`);
    return t;
  };
  /** The listed test of this id. */
  const findItem = (id: string): vscode.TestItem | undefined => {
    let found: vscode.TestItem | undefined;
    const walk = (c: vscode.TestItemCollection): void =>
      c.forEach(i => {
        if (i.id === id) {
          found = i;
        } else {
          walk(i.children);
        }
      });
    walk(api.testController()!.items);
    return found;
  };
  /** Runs the tests of the expected file open in the editor (the gutter's test, "Run Tests in Current File"). */
  async function runOne(doc: string): Promise<CheckRunReport> {
    await vscode.window.showTextDocument(workspaceFile(expectedPathOf(doc)));
    return runTests('testing.runCurrentFile');
  }

  before(async () => {
    api = (await activate()) as TestingApi;
    await standIn.setSteps([step(STEP, RESULTS)]);
    await vscode.workspace.fs.delete(workspaceFile(FOLDER), { recursive: true, useTrash: false }).then(
      () => undefined,
      () => undefined,
    );
    await writeWorkspaceFile(DOCS.a, await docBytes('a.pdf', 'a'));
    await writeWorkspaceFile(DOCS.b, await docBytes('b.pdf', 'b'));
    await writeWorkspaceFile(DOCS.c, await docBytes('c.png', 'c'));
    await writeExpected(DOCS.a, RESULTS['a.pdf']);
    await writeExpected(DOCS.b, RESULTS['b.pdf']);
    await writeExpected(DOCS.c, RESULTS['c.png']);
    // Another tool's file of the same suffix is not ours; a damaged one of ours is listed with why.
    await writeWorkspaceFile(`${FOLDER}/jest.expected.json`, '{"snapshot": 1}');
    await writeWorkspaceFile(`${FOLDER}/broken.pdf.${STEP}.expected.json`, '{"docutrayExpected": 1, <<<<<<< HEAD');
  });
  after(async () => {
    await closeAllEditors();
    await config().update('docutray.expected.folder', undefined, vscode.ConfigurationTarget.Workspace);
    // The suites after this one run on the workspace's documents: these are none of theirs.
    await vscode.workspace.fs.delete(workspaceFile(FOLDER), { recursive: true, useTrash: false }).then(
      () => undefined,
      () => undefined,
    );
  });

  it('lists a test per document and step, by folder, discovered from the expected files', async () => {
    const controller = await waitFor('the test controller (made once an expected file exists)', () =>
      api.testController(),
    );
    await vscode.commands.executeCommand('testing.refreshTests');
    const tree = await waitFor('the tests to be listed', () => {
      const t = treeOf(controller.items);
      return t.find(n => n.label === FOLDER)?.children.length === 4 ? t : undefined;
    });
    const folder = tree.find(n => n.label === FOLDER) as Node;
    assert.deepStrictEqual(
      folder.children.map(n => [n.label, n.description, n.children.map(c => [c.label, c.description])]),
      [
        ['a.pdf', STEP, []],
        ['b.pdf', STEP, []],
        [`broken.pdf.${STEP}.expected.json`, undefined, []],
        ['sub', undefined, [['c.png', STEP]]],
      ],
    );
    const a = folder.children[0];
    assert.strictEqual(a.id, workspaceFile(expectedPathOf(DOCS.a)).toString(), "a test's id is its expected file");
    assert.match(folder.children[2].error ?? '', /cannot be used: it is not valid JSON/);
    assert.ok(!JSON.stringify(tree).includes('jest.expected.json'), "another tool's file is not listed");
  });

  it('a run asks first, saying how many pages it bills, runs the step on every document once, and passes', async () => {
    await vscode.workspace.fs.delete(workspaceFile(`${FOLDER}/broken.pdf.${STEP}.expected.json`));
    await waitFor('the damaged file to leave the tests', () =>
      treeOf(api.testController()!.items)
        .find(n => n.label === FOLDER)
        ?.children.every(n => !n.label.startsWith('broken'))
        ? true
        : undefined,
    );
    const before = { a: await startsOf(STEP, 'a.pdf'), c: await startsOf(STEP, 'c.png') };
    const messages = goAhead();
    let report: CheckRunReport;
    try {
      report = await runTests('testing.runAll');
    } finally {
      messages.restore();
    }
    const asked = messages.shown.find(m => m.modal);
    assert.ok(asked, `a modal asked first: ${JSON.stringify(messages.shown)}`);
    // Two one-page PDFs and an image.
    assert.match(
      asked.message,
      /^Check 3 documents against their expected results\? it-expected runs on each: DocuTray bills 3 pages\.$/,
    );
    assert.match(asked.detail ?? '', /always runs the step/);
    assert.deepStrictEqual(
      [DOCS.a, DOCS.b, DOCS.c].map(d => testOf(report, d).state),
      ['passed', 'passed', 'passed'],
      JSON.stringify(report),
    );
    assert.strictEqual(await startsOf(STEP, 'a.pdf'), before.a + 1, 'a.pdf was started once');
    assert.strictEqual(await startsOf(STEP, 'c.png'), before.c + 1, 'c.png was started once');
    // Recorded as runs of a batch (the Runs view shows them; Accept can use their results).
    const runs = (await api.runs()) as (RunInfo & { batchId?: string })[];
    const run = runs.find(r => r.executionId === testOf(report, DOCS.a).executionId);
    assert.ok(run?.batchId && run.state === 'SUCCESS', JSON.stringify(run));
  });

  it("fails when the step's answer changes, naming exactly the changed paths, each at its line, with a diff", async () => {
    const changed = structuredClone(RESULTS['a.pdf']) as Record<string, unknown>;
    changed.total = 690;
    (changed.vendor as Record<string, unknown>).name = 'Nandu SA';
    delete (changed.vendor as Record<string, unknown>).vat;
    changed.notes = 'new field';
    await standIn.setSteps([step(STEP, { ...RESULTS, 'a.pdf': changed })]);
    const report = await runOne(DOCS.a);
    assert.strictEqual(report.tests.length, 1, 'only the test of the open expected file ran');
    const a = testOf(report, DOCS.a);
    assert.strictEqual(a.state, 'failed', JSON.stringify(a));
    const text = Buffer.from(await vscode.workspace.fs.readFile(workspaceFile(expectedPathOf(DOCS.a)))).toString();
    const lineOf = (s: string) => text.split('\n').findIndex(l => l.includes(s));
    const uri = workspaceFile(expectedPathOf(DOCS.a)).toString();
    const summary = a.messages[a.messages.length - 1];
    const diff = a.messages[a.messages.length - 2];
    const fields = a.messages.slice(0, -2);
    // The summary is the last message (VS Code's peek opens on a failure's last located message), at the
    // first changed line: here the result's, where the added field is. Paths in the expected result's
    // order, then what was added.
    assert.strictEqual(
      summary.message.split('\n')[0],
      '4 fields differ: total, vendor.name, vendor.vat, notes',
      JSON.stringify(a.messages),
    );
    assert.match(summary.message, /^total: 683\.53 → 690$/m);
    assert.match(summary.message, /^vendor\.vat: removed \(was "B123"\)$/m);
    assert.match(summary.message, /^notes: added, "new field"$/m);
    assert.deepStrictEqual([summary.uri, summary.line], [uri, lineOf('"result"')]);
    // Not a diff (VS Code would show it inline as "actual != expected"), but Accept can read its result.
    assert.strictEqual(summary.expectedOutput, undefined);
    assert.deepStrictEqual(JSON.parse(summary.actualOutput as string), changed);
    // Each other path's own message at its line; none shares the summary's line (VS Code shows the first
    // message of a line inline, and that must be the summary).
    assert.deepStrictEqual(
      fields.map(m => [m.message.split(':')[0], m.uri, m.line]),
      [
        ['total', uri, lineOf('"total"')],
        ['vendor.name', uri, lineOf('"name"')],
        ['vendor.vat', uri, lineOf('"vat"')],
      ],
    );
    // The whole result's diff, under the first field's mark (VS Code shows the first message of a line
    // inline, and a diff as "actual != expected"): listed in Test Results, never inline.
    assert.deepStrictEqual([diff.uri, diff.line], [uri, lineOf('"total"')]);
    assert.match(diff.message, /^4 fields differ: total, vendor\.name, vendor\.vat, notes/);
    assert.ok(diff.expectedOutput && diff.actualOutput, 'it carries the diff');
    assert.deepStrictEqual(JSON.parse(diff.expectedOutput), RESULTS['a.pdf']);
    assert.deepStrictEqual(JSON.parse(diff.actualOutput), changed);
  });

  it("puts the summary at the first changed line when that is a field's, and that field's own message in it", async () => {
    const changed = structuredClone(RESULTS['a.pdf']) as Record<string, unknown>;
    (changed.vendor as Record<string, unknown>).name = 'Nandu SA';
    changed.total = 1;
    await standIn.setSteps([step(STEP, { ...RESULTS, 'a.pdf': changed })]);
    const a = testOf(await runOne(DOCS.a), DOCS.a);
    assert.strictEqual(a.state, 'failed', JSON.stringify(a));
    const text = Buffer.from(await vscode.workspace.fs.readFile(workspaceFile(expectedPathOf(DOCS.a)))).toString();
    const lineOf = (s: string) => text.split('\n').findIndex(l => l.includes(s));
    assert.ok(lineOf('"total"') < lineOf('"name"'), text);
    assert.deepStrictEqual(
      a.messages.map(m => [m.message.split('\n')[0], m.line]),
      [
        ['vendor.name: "Ñandú S.A." → "Nandu SA"', lineOf('"name"')],
        ['2 fields differ: total, vendor.name (the whole result, expected and actual)', lineOf('"name"')],
        ['2 fields differ: total, vendor.name', lineOf('"total"')],
      ],
    );
    // One difference: its line reads the field's path with expected → actual (the summary leads there), the
    // diff sits under it, and the summary is last there; nothing at the result's closing brace.
    const one = structuredClone(changed);
    (one.vendor as Record<string, unknown>).name = (RESULTS['a.pdf'] as { vendor: { name: string } }).vendor.name;
    await standIn.setSteps([step(STEP, { ...RESULTS, 'a.pdf': one })]);
    const single = testOf(await runOne(DOCS.a), DOCS.a);
    assert.deepStrictEqual(
      single.messages.map(m => [m.message, m.line, m.expectedOutput === undefined]),
      [
        ['total: 683.53 → 1', lineOf('"total"'), true],
        ['total: 683.53 → 1 (the whole result, expected and actual)', lineOf('"total"'), false],
        ['total: 683.53 → 1', lineOf('"total"'), true],
      ],
    );
    // The lead and the summary both carry the actual result and Accept.
    for (const m of [single.messages[0], single.messages[2]]) {
      assert.deepStrictEqual(JSON.parse(m.actualOutput as string), one);
      assert.strictEqual(m.contextValue, 'docutray.expected.failed');
    }
  });

  it('Accept as Expected (on the failure) rewrites the expected file; the next run passes', async () => {
    const failed = testOf(api.lastTestRun() as CheckRunReport, DOCS.a);
    const item = (() => {
      let found: vscode.TestItem | undefined;
      const walk = (c: vscode.TestItemCollection): void =>
        c.forEach(i => {
          if (i.id === failed.id) {
            found = i;
          } else {
            walk(i.children);
          }
        });
      walk(api.testController()!.items);
      return found;
    })();
    assert.ok(item, 'the failed test is listed');
    // The summary, where the peek opens, as VS Code hands it back to the menu's command.
    const first = failed.messages[failed.messages.length - 1];
    const message = new vscode.TestMessage(first.message);
    message.actualOutput = first.actualOutput;
    message.contextValue = first.contextValue;
    const before = await readExpected(DOCS.a);
    const messages = answerMessages(() => undefined);
    let outcome: { status: string; path: string } | undefined;
    try {
      outcome = await vscode.commands.executeCommand('docutray.expected.accept', { test: item, message });
    } finally {
      messages.restore();
    }
    assert.deepStrictEqual(outcome, { uri: failed.id, path: expectedPathOf(DOCS.a), status: 'updated' });
    const after = await readExpected(DOCS.a);
    assert.deepStrictEqual(after.result, JSON.parse(first.actualOutput as string));
    assert.strictEqual(after.sha256, before.sha256, 'the same document');
    const startsBefore = await startsOf(STEP, 'a.pdf');
    const report = await runOne(DOCS.a);
    assert.strictEqual(testOf(report, DOCS.a).state, 'passed', JSON.stringify(report));
    assert.strictEqual(await startsOf(STEP, 'a.pdf'), startsBefore + 1, 'the check ran the step again');
  });

  it('reports a changed document in its own state without running it; Record Again asks, then runs and records', async () => {
    const edited = await docBytes('b.pdf', 'b, edited');
    await writeWorkspaceFile(DOCS.b, edited);
    const startsBefore = await startsOf(STEP, 'b.pdf');
    const report = await runOne(DOCS.b);
    const b = testOf(report, DOCS.b);
    assert.strictEqual(b.state, 'errored', 'not the regression ✗ of a failure');
    assert.match(b.messages[0].message, /changed since its expected result was recorded.*not run/);
    assert.strictEqual(b.messages[0].contextValue, 'docutray.expected.documentChanged');
    assert.strictEqual(await startsOf(STEP, 'b.pdf'), startsBefore, 'nothing was sent');
    const item = findItem(b.id);
    assert.ok(item);
    const message = new vscode.TestMessage(b.messages[0].message);
    message.contextValue = b.messages[0].contextValue;
    const declined = answerMessages(() => undefined);
    try {
      await vscode.commands.executeCommand('docutray.expected.recordAgain', { test: item, message });
    } finally {
      declined.restore();
    }
    const asked = declined.shown.find(m => m.modal);
    assert.deepStrictEqual(
      [asked?.message, asked?.items],
      [
        'Run it-expected on expected-it/b.pdf again and record its result as the expected result? DocuTray bills 1 page.',
        ['Run and Record'],
      ],
    );
    assert.strictEqual(await startsOf(STEP, 'b.pdf'), startsBefore, 'declined: nothing was sent');
    const accepted = answerMessages((_m, items) => (items.includes('Run and Record') ? 'Run and Record' : undefined));
    let outcome: { status: string } | undefined;
    try {
      outcome = await vscode.commands.executeCommand('docutray.expected.recordAgain', { test: item, message });
    } finally {
      accepted.restore();
    }
    assert.strictEqual(outcome?.status, 'updated');
    assert.strictEqual(await startsOf(STEP, 'b.pdf'), startsBefore + 1, 'run once, after the answer');
    const after = await readExpected(DOCS.b);
    assert.strictEqual(after.sha256, sha256(edited), 'recorded for the document as it is now');
    assert.deepStrictEqual(after.result, RESULTS['b.pdf']);
  });

  it('Accept All Failures records every failure of the last run; an expected file edited by hand is out of date', async () => {
    const changedA = { ...(RESULTS['a.pdf'] as Record<string, unknown>), total: 700 };
    const changedC = { ...(RESULTS['c.png'] as Record<string, unknown>), total: 13 };
    await standIn.setSteps([step(STEP, { ...RESULTS, 'a.pdf': changedA, 'c.png': changedC })]);
    try {
      const run = goAhead();
      let report: CheckRunReport;
      try {
        report = await runTests('testing.runAll');
      } finally {
        run.restore();
      }
      assert.deepStrictEqual(
        [DOCS.a, DOCS.b, DOCS.c].map(d => testOf(report, d).state),
        ['failed', 'passed', 'failed'],
      );
      const answers = answerMessages((_m, items) => (items.includes('Accept All') ? 'Accept All' : undefined));
      let outcome: { recorded: { path: string }[]; failed: unknown[] } | undefined;
      try {
        outcome = await vscode.commands.executeCommand('docutray.expected.acceptAll');
      } finally {
        answers.restore();
      }
      assert.deepStrictEqual(
        answers.shown.filter(m => m.modal).map(m => m.message),
        ['Replace the expected results of 2 documents with what the last check got?'],
      );
      assert.deepStrictEqual(outcome?.recorded.map(r => r.path).sort(), [
        expectedPathOf(DOCS.a),
        expectedPathOf(DOCS.c),
      ]);
      assert.deepStrictEqual(outcome?.failed, []);
      assert.deepStrictEqual((await readExpected(DOCS.a)).result, changedA);
      assert.deepStrictEqual((await readExpected(DOCS.c)).result, changedC);
      assert.deepStrictEqual(api.lastTestRun()?.outdated, [], 'its own writes outdate nothing');
      // Edited by hand: the green it had is out of date.
      await writeExpected(DOCS.a, RESULTS['a.pdf']);
      const outdated = await waitFor('the edited test to be out of date', () =>
        api.lastTestRun()?.outdated.length ? api.lastTestRun()?.outdated : undefined,
      );
      assert.deepStrictEqual(outdated, [workspaceFile(expectedPathOf(DOCS.a)).toString()]);
    } finally {
      await standIn.setSteps([step(STEP, RESULTS)]);
      await writeExpected(DOCS.a, RESULTS['a.pdf']);
      await writeExpected(DOCS.c, RESULTS['c.png']);
    }
  });

  it('Create Expected Result from a run in the Runs view; its item offers Accept as Expected afterwards', async () => {
    const doc = `${FOLDER}/d.pdf`;
    await writeWorkspaceFile(doc, await docBytes('d.pdf', 'd'));
    await standIn.setSteps([step(STEP, { ...RESULTS, 'd.pdf': { total: 1 } })]);
    const messages = answerMessages(() => undefined);
    let run: RunInfo | undefined;
    try {
      await vscode.commands.executeCommand('docutray.runStep', { stepId: STEP, uris: [workspaceFile(doc)] });
      run = await waitFor('the run of d.pdf', async () =>
        (await api.runs()).find(r => r.sourceName === 'd.pdf' && r.state === 'SUCCESS'),
      );
      const flags = async () => (await api.runsTree.getTreeItem(run)).contextValue ?? '';
      assert.match(
        await waitFor('the run item to say it has no expected result', async () => {
          const f = await flags();
          return /\bnoExpected\b/.test(f) ? f : undefined;
        }),
        /\bnoExpected\b/,
      );
      const outcome = await vscode.commands.executeCommand<{ status: string }>('docutray.expected.create', run);
      assert.strictEqual(outcome?.status, 'created');
      assert.deepStrictEqual((await readExpected(doc)).result, { total: 1 });
      await waitFor('the run item to offer Accept as Expected', async () =>
        /\bexpected\b/.test(await flags()) ? true : undefined,
      );
      await waitFor('the new test to be listed', () =>
        treeOf(api.testController()!.items)
          .find(n => n.label === FOLDER)
          ?.children.some(n => n.label === 'd.pdf')
          ? true
          : undefined,
      );
    } finally {
      messages.restore();
    }
    assert.ok(
      messages.shown.some(m => /recorded the expected result of expected-it\/d\.pdf/.test(m.message)),
      JSON.stringify(messages.shown),
    );
  });

  it('Create Expected Result on two selected runs records both, and says so; again, it says they are there', async () => {
    const docs = [`${FOLDER}/e.pdf`, `${FOLDER}/f.pdf`];
    for (const d of docs) {
      await writeWorkspaceFile(d, await docBytes(path.basename(d), d));
    }
    await standIn.setSteps([step(STEP, { ...RESULTS, 'e.pdf': { total: 5 }, 'f.pdf': { total: 6 } })]);
    const messages = answerMessages(m => (/^Run .*\? 2 documents/.test(m) ? 'Run' : undefined));
    try {
      await vscode.commands.executeCommand('docutray.runStep', { stepId: STEP, uris: docs.map(d => workspaceFile(d)) });
      const runs = await waitFor('the runs of e.pdf and f.pdf', async () => {
        const all = await api.runs();
        const found = ['e.pdf', 'f.pdf'].map(n => all.find(r => r.sourceName === n && r.state === 'SUCCESS'));
        return found.every(Boolean) ? (found as RunInfo[]) : undefined;
      });
      const first = await vscode.commands.executeCommand<{ recorded: { path: string }[] }>(
        'docutray.expected.create',
        runs[0],
        runs,
      );
      assert.deepStrictEqual(
        first?.recorded.map(r => r.path).sort(),
        docs.map(d => expectedPathOf(d)),
      );
      assert.deepStrictEqual((await readExpected(docs[1])).result, { total: 6 });
      const again = await vscode.commands.executeCommand<{ recorded: unknown[]; existing: string[] }>(
        'docutray.expected.create',
        runs[0],
        runs,
      );
      assert.deepStrictEqual([again?.recorded, again?.existing.sort()], [[], docs.map(d => expectedPathOf(d))]);
    } finally {
      messages.restore();
      await standIn.setSteps([step(STEP, RESULTS)]);
      for (const d of docs) {
        await vscode.workspace.fs.delete(workspaceFile(expectedPathOf(d))).then(undefined, () => undefined);
        await vscode.workspace.fs.delete(workspaceFile(d)).then(undefined, () => undefined);
      }
    }
    const said = messages.shown
      .filter(m => /^DocuTray: (recorded|no expected result)/.test(m.message))
      .map(m => m.message);
    assert.deepStrictEqual(said, [
      `DocuTray: recorded ${docs.map(d => expectedPathOf(d)).join(', ')}.`,
      `DocuTray: no expected result recorded. Already recorded, left as they were: ${docs.map(d => expectedPathOf(d)).join(', ')}.`,
    ]);
  });

  it('Create Expected Result on a batch records its results and names the document it has none for', async () => {
    const folder = `${FOLDER}/batch-gh`;
    const docs = [`${folder}/g.pdf`, `${folder}/h.pdf`];
    for (const d of docs) {
      await writeWorkspaceFile(d, await docBytes(path.basename(d), d));
    }
    const withError = step(STEP, { ...RESULTS, 'g.pdf': { total: 7 } });
    withError.outcomeByFile['h.pdf'] = { status: 'ERROR', error: 'Unreadable scan' } as never;
    await standIn.setSteps([withError]);
    const messages = answerMessages(m => (/^Run .*\? 2 documents/.test(m) ? 'Run' : undefined));
    try {
      const started = await vscode.commands.executeCommand<{ id: string } | undefined>('docutray.runStep', {
        stepId: STEP,
        folder: workspaceFile(folder),
      });
      assert.ok(started, 'a batch');
      const stored = async () =>
        JSON.parse(
          Buffer.from(
            await vscode.workspace.fs.readFile(vscode.Uri.joinPath(api.storageUri, 'batches', `${started.id}.json`)),
          ).toString('utf8'),
        ) as { documents: { runId: string }[] };
      const batch = await waitFor('the batch of g.pdf and h.pdf, ended', async () => {
        const b = await stored();
        const runs = await api.runs();
        const states = b.documents.map(d => runs.find(r => r.id === d.runId)?.state).sort();
        return states.join() === 'ERROR,SUCCESS' ? b : undefined;
      });
      const outcome = await vscode.commands.executeCommand<{
        recorded: { path: string }[];
        failed: { name: string; reason: string }[];
      }>('docutray.expected.create', { kind: 'batch', batch });
      assert.deepStrictEqual(
        outcome?.recorded.map(r => r.path),
        [expectedPathOf(docs[0])],
      );
      assert.deepStrictEqual(
        outcome?.failed.map(f => f.name),
        [docs[1]],
      );
      await assert.rejects(Promise.resolve(vscode.workspace.fs.stat(workspaceFile(expectedPathOf(docs[1])))));
    } finally {
      messages.restore();
      await standIn.setSteps([step(STEP, RESULTS)]);
      await vscode.workspace.fs.delete(workspaceFile(folder), { recursive: true }).then(undefined, () => undefined);
    }
    const said = messages.shown.filter(m => /^DocuTray: recorded/.test(m.message)).map(m => m.message);
    assert.deepStrictEqual(said, [
      `DocuTray: recorded ${expectedPathOf(docs[0])}. Not recorded: ${docs[1]}: this batch has no result for it.`,
    ]);
  });

  it('writes nothing through a folder that links out of the workspace folder', async function () {
    if (process.platform === 'win32') {
      this.skip();
    }
    const outside = fs.mkdtempSync(path.join(os.tmpdir(), 'docutray-outside-'));
    const link = workspaceFile('expected-link');
    fs.rmSync(link.fsPath, { force: true, recursive: true });
    fs.symlinkSync(outside, link.fsPath, 'dir');
    await config().update('docutray.expected.folder', 'expected-link', vscode.ConfigurationTarget.Workspace);
    const messages = answerMessages(() => undefined);
    try {
      const run = (await api.runs()).find(r => r.sourceName === 'd.pdf' && r.state === 'SUCCESS');
      assert.ok(run);
      const outcome = await vscode.commands.executeCommand('docutray.expected.create', run);
      assert.strictEqual(outcome, undefined);
      const error = await waitFor('the error', () => messages.shown.find(m => m.severity === 'error'));
      assert.match(error.message, /was not written: the place it would go leads out of the workspace folder/);
      assert.deepStrictEqual(fs.readdirSync(outside), [], 'nothing was written outside');
    } finally {
      messages.restore();
      await config().update('docutray.expected.folder', undefined, vscode.ConfigurationTarget.Workspace);
      fs.rmSync(link.fsPath, { force: true });
      fs.rmSync(outside, { recursive: true, force: true });
    }
  });

  it('Cancel stops the run: what was not sent is never sent, nothing is sent twice', async () => {
    // The settings changed back: every test is listed again.
    await waitFor('the tests to be listed again', () =>
      treeOf(api.testController()!.items)
        .find(n => n.label === FOLDER)
        ?.children.filter(n => n.label.endsWith('.pdf')).length === 3
        ? true
        : undefined,
    );
    await standIn.setSteps([step(STEP, RESULTS, 60000)]);
    const seqBefore = (await standIn.requests()).at(-1)?.seq ?? 0;
    const messages = goAhead();
    try {
      const before = api.lastTestRun();
      void vscode.commands.executeCommand('testing.runAll');
      await waitFor('a document to be processing on the stand-in', async () =>
        (await standIn.executions()).some(e => e.stepId === STEP && e.status !== 'SUCCESS') ? true : undefined,
      );
      await vscode.commands.executeCommand('testing.cancelRun');
      const report = await waitFor(
        'the cancelled run to end',
        () => (api.lastTestRun() !== before ? api.lastTestRun() : undefined),
        30000,
      );
      assert.ok(report.cancelled);
      assert.ok(
        report.tests.every(t => t.state !== 'passed'),
        JSON.stringify(report.tests),
      );
      const sent = (await standIn.requests()).filter(r => r.seq > seqBefore && r.method === 'POST');
      const names = sent.map(r => r.multipart?.files[0]?.filename);
      assert.strictEqual(new Set(names).size, names.length, `nothing sent twice: ${names.join(', ')}`);
      await new Promise(r => setTimeout(r, 1500));
      const later = (await standIn.requests()).filter(r => r.seq > seqBefore && r.method === 'POST');
      assert.strictEqual(later.length, sent.length, 'nothing was sent after the cancel');
    } finally {
      messages.restore();
      await standIn.setSteps([step(STEP, RESULTS)]);
    }
  });

  it('Compare Two Steps runs both steps on each document and names the documents whose results differ', async () => {
    const draft = structuredClone(RESULTS) as Record<string, Record<string, unknown>>;
    draft['b.pdf'].total = 100;
    await standIn.setSteps([step('it-published', RESULTS), step('it-draft', draft)]);
    const messages = goAhead();
    let comparison: StepComparison | undefined;
    try {
      comparison = await vscode.commands.executeCommand<StepComparison>('docutray.expected.compareSteps', {
        folder: workspaceFile(FOLDER),
        stepA: 'it-published',
        stepB: 'it-draft',
      });
    } finally {
      messages.restore();
    }
    assert.ok(comparison);
    assert.deepStrictEqual(comparison.differ, [{ document: DOCS.b, paths: ['total'] }]);
    assert.deepStrictEqual(comparison.same.sort(), [DOCS.a, `${FOLDER}/d.pdf`, DOCS.c].sort());
    assert.deepStrictEqual(comparison.noResult, []);
    const asked = messages.shown.find(m => m.modal);
    assert.match(
      asked?.message ?? '',
      /^Compare it-published and it-draft on expected-it\/\? Both steps run on each of its 4 documents: DocuTray bills 8 pages\.$/,
    );
    assert.ok(
      messages.shown.some(m => /it-published ↔ it-draft on expected-it\/: 3 same, 1 differ/.test(m.message)),
      JSON.stringify(messages.shown),
    );
    for (const s of ['it-published', 'it-draft']) {
      assert.strictEqual(await startsOf(s, 'b.pdf'), 1, `${s} ran once on b.pdf`);
    }
  });

  it('Compare Two Steps with a step that cannot run: one start of each, one message naming it, both batches failed', async () => {
    // it-typo is unknown to DocuTray (404 "Step not found or access denied").
    await standIn.setSteps([step('it-published', RESULTS)]);
    const postsTo = async (stepId: string) => (await starts()).filter(r => r.path.endsWith(`/${stepId}`)).length;
    const before = { published: await postsTo('it-published'), typo: await postsTo('it-typo') };
    const since = Date.now();
    const messages = answerMessages((message, items) => (items.includes('Compare') ? 'Compare' : undefined));
    let comparison: StepComparison | undefined;
    try {
      comparison = await vscode.commands.executeCommand<StepComparison>('docutray.expected.compareSteps', {
        folder: workspaceFile(FOLDER),
        stepA: 'it-published',
        stepB: 'it-typo',
      });
    } finally {
      messages.restore();
      await standIn.setSteps([step(STEP, RESULTS)]);
    }
    assert.ok(comparison);
    assert.strictEqual(comparison.failed?.step, 'it-typo');
    assert.strictEqual(await postsTo('it-published'), before.published + 1, 'the first step: one start, no more');
    assert.strictEqual(await postsTo('it-typo'), before.typo + 1, 'the unknown step: one start');
    const told = messages.shown.filter(m => !m.modal);
    assert.strictEqual(told.length, 1, `one message: ${JSON.stringify(told)}`);
    assert.match(told[0].message, /it-typo/, 'it names the step');
    assert.doesNotMatch(told[0].message, /same|differ|not compared/);

    const dir = vscode.Uri.joinPath(api.storageUri, 'batches');
    const stored = async () =>
      (
        await Promise.all(
          (await Promise.resolve(vscode.workspace.fs.readDirectory(dir)).catch(() => [] as [string, vscode.FileType][]))
            .filter(([n]) => /^batch_[^.]+\.json$/.test(n))
            .map(async ([n]) =>
              JSON.parse(Buffer.from(await vscode.workspace.fs.readFile(vscode.Uri.joinPath(dir, n))).toString()),
            ),
        )
      ).filter(b => b.createdAt >= since) as {
        id: string;
        stepId: string;
        failure?: { kind: string; message: string };
      }[];
    const batches = await stored();
    assert.deepStrictEqual(batches.map(b => b.stepId).sort(), ['it-published', 'it-typo']);
    assert.strictEqual(batches.find(b => b.stepId === 'it-typo')?.failure?.kind, 'notFound', 'failed, with its reason');
    assert.ok(batches.find(b => b.stepId === 'it-published')?.failure, 'the other stopped with it');

    const tree = (
      api as unknown as {
        runsTree: {
          getChildren(): Promise<unknown[]>;
          getTreeItem(n: unknown): vscode.TreeItem | Thenable<vscode.TreeItem>;
        };
      }
    ).runsTree;
    for (const b of batches) {
      const node = (await tree.getChildren()).find(n => (n as { batch?: { id: string } }).batch?.id === b.id);
      assert.ok(node, `${b.stepId} in the Runs view`);
      const item = await tree.getTreeItem(node);
      assert.match(item.contextValue ?? '', /\bfailed\b/);
      assert.doesNotMatch(
        item.contextValue ?? '',
        /\bresumable\b/,
        'Resume is not offered: it would meet the same 404',
      );
      assert.match(String(item.description), /could not go on/);
      // Resume asked anyway (a keybinding, an old menu): it says why and sends nothing.
      const resumeMessages = answerMessages(() => undefined);
      try {
        const seq = (await standIn.requests()).at(-1)?.seq ?? 0;
        assert.strictEqual(await vscode.commands.executeCommand('docutray.batches.resume', node), false);
        assert.deepStrictEqual(
          (await standIn.requests()).filter(r => r.seq > seq && r.method === 'POST'),
          [],
          'nothing sent',
        );
        assert.ok(
          resumeMessages.shown.some(m => /cannot go on/.test(m.message)),
          JSON.stringify(resumeMessages.shown),
        );
      } finally {
        resumeMessages.restore();
      }
    }

    // Clear Finished removes them.
    const clear = answerMessages((_m, items) => (items.includes('Clear') ? 'Clear' : undefined));
    try {
      await vscode.commands.executeCommand('docutray.runs.clearFinished');
    } finally {
      clear.restore();
    }
    assert.deepStrictEqual(await stored(), [], 'both batches cleared');
  });

  it('Compare Two Steps: the second picker leaves out the first step', async () => {
    await config().update(
      'docutray.steps',
      [
        { id: 'it-published', name: 'Published' },
        { id: 'it-draft', name: 'Draft' },
      ],
      vscode.ConfigurationTarget.Workspace,
    );
    const offered: string[][] = [];
    const undo = patch(
      vscode.window,
      'showQuickPick',
      async (
        items:
          | readonly (vscode.QuickPickItem & { step?: { id: string } })[]
          | Thenable<readonly (vscode.QuickPickItem & { step?: { id: string } })[]>,
      ) => {
        offered.push((await items).flatMap(i => (i.step ? [i.step.id] : [])));
        return undefined;
      },
    );
    try {
      await closeAllEditors();
      const comparison = await vscode.commands.executeCommand('docutray.expected.compareSteps', {
        folder: workspaceFile(FOLDER),
        stepA: 'it-published',
      });
      assert.strictEqual(comparison, undefined, 'dismissed: nothing compared');
    } finally {
      undo();
      await config().update('docutray.steps', undefined, vscode.ConfigurationTarget.Workspace);
    }
    assert.deepStrictEqual(offered, [['it-draft']], 'only the other step');
  });

  it('a Test Explorer run over two steps, one unknown: one start of each, the rest not sent, one message', async () => {
    await standIn.setSteps([step(STEP, RESULTS)]);
    for (const doc of [DOCS.a, DOCS.b]) {
      const bytes = await vscode.workspace.fs.readFile(workspaceFile(doc));
      await writeWorkspaceFile(
        `${doc}.it-typo.expected.json`,
        serializeExpected({ stepId: 'it-typo', document: path.basename(doc), sha256: sha256(bytes), result: {} }),
      );
    }
    await waitFor('the it-typo tests to be listed', () =>
      treeOf(api.testController()!.items)
        .find(n => n.label === FOLDER)
        ?.children.filter(n => n.description === 'it-typo').length === 2
        ? true
        : undefined,
    );
    const postsTo = async (stepId: string) => (await starts()).filter(r => r.path.endsWith(`/${stepId}`)).length;
    const before = { expected: await postsTo(STEP), typo: await postsTo('it-typo') };
    const messages = answerMessages((_m, items) => (items.includes('Run') ? 'Run' : undefined));
    let report: CheckRunReport;
    try {
      report = await runTests('testing.runAll');
    } finally {
      messages.restore();
    }
    assert.strictEqual(await postsTo('it-typo'), before.typo + 1, 'the unknown step: one start');
    assert.strictEqual(await postsTo(STEP), before.expected + 1, `${STEP}: one start, not one per document`);
    const told = messages.shown.filter(m => !m.modal);
    assert.strictEqual(told.length, 1, `one message: ${JSON.stringify(told)}`);
    assert.match(told[0].message, /it-typo/);
    // One document of the known step ran; every test left was not sent, and says so as an error (not a skip).
    assert.strictEqual(report.tests.filter(t => t.executionId).length, 1, JSON.stringify(report.tests));
    const typo = report.tests.filter(t => t.id.includes('.it-typo.'));
    assert.deepStrictEqual(
      typo.map(t => t.state),
      ['errored', 'errored'],
    );
    assert.deepStrictEqual(
      report.tests.filter(t => t.state === 'skipped').map(t => t.id),
      [],
      'nothing reported as skipped (cancelled)',
    );
    const stopped = report.tests.find(t => !t.id.includes('.it-typo.') && t.state === 'errored');
    assert.match(stopped?.messages[0]?.message ?? '', /it-typo could not run/, JSON.stringify(report.tests));
  });
});
