/**
 * The review panel in the real extension host, against the stand-in: Review Beside Document opens from a
 * run (as the Runs view passes it) with the verdicts of the Testing view's comparison and settings;
 * Next/Previous Difference step through the differing fields; Accept Field writes only that path into the
 * expected file, in the canonical format, and Undo takes it back; Keep Expected writes nothing; Edit
 * Value… writes a corrected value; a list paired by position is accepted whole.
 */
import * as assert from 'assert';
import * as path from 'path';
import * as vscode from 'vscode';
import { compareResults } from '../../src/core/expected/compare';
import { parseExpected, serializeExpected } from '../../src/core/expected/expectedFile';
import {
  Api,
  RunInfo,
  activate,
  answerMessages,
  closeAllEditors,
  sha256,
  standIn,
  waitFor,
  workspaceFile,
  writeWorkspaceFile,
} from './support';

type ReviewApi = Api & {
  review():
    { document: string; selected?: string; rows: { path: string; verdict: string; kept: boolean }[] } | undefined;
};

const FOLDER = 'review-it';
const STEP = 'it-review';
const DOC = `${FOLDER}/inv.pdf`;
const ACTUAL = {
  currency: 'EUR',
  line_items: [
    { amount: 11, description: 'Bolts' },
    { amount: 5, description: 'Nuts' },
  ],
  tags: ['b', 'a'],
  total: 1160.5,
  vendor: { name: 'ACME Corp' },
};
const EXPECTED = {
  line_items: [
    { amount: 10, description: 'Bolts' },
    { amount: 5, description: 'Nuts' },
  ],
  tags: ['a', 'b'],
  total: 1160,
  vendor: { name: 'ACME Corp', tax_id: 'X1' },
};
const EXPECTED_FILE = `${DOC}.${STEP}.expected.json`;

describe('review panel: the document beside its fields', function () {
  this.timeout(120000);
  let api: ReviewApi;
  let run: RunInfo;
  let docSha: string;
  const config = () => vscode.workspace.getConfiguration('docutray', workspaceFile(FOLDER));
  const readExpected = async () =>
    parseExpected(Buffer.from(await vscode.workspace.fs.readFile(workspaceFile(EXPECTED_FILE))).toString());
  const rowsOf = () => api.review()?.rows.map(r => `${r.verdict} ${r.path}`) ?? [];

  before(async () => {
    api = (await activate()) as ReviewApi;
    await standIn.setSteps([
      {
        id: STEP,
        name: STEP,
        enqueuedMs: 20,
        processingMs: 100,
        outcome: { status: 'SUCCESS', data: ACTUAL },
      },
    ]);
    const bytes = Buffer.concat([
      Buffer.from(await vscode.workspace.fs.readFile(workspaceFile('sample.pdf'))),
      Buffer.from('\n% review\n', 'latin1'),
    ]);
    docSha = sha256(bytes);
    await writeWorkspaceFile(DOC, bytes);
    await writeWorkspaceFile(
      EXPECTED_FILE,
      serializeExpected({ stepId: STEP, document: 'inv.pdf', sha256: docSha, result: EXPECTED }),
    );
    await config().update(
      'expected.arrayKeys',
      { [STEP]: { line_items: 'description' } },
      vscode.ConfigurationTarget.Workspace,
    );
    const messages = answerMessages(() => undefined);
    try {
      await vscode.commands.executeCommand('docutray.runStep', { stepId: STEP, uris: [workspaceFile(DOC)] });
      run = await waitFor('the run of inv.pdf', async () =>
        (await api.runs()).find(r => r.sourceName === 'inv.pdf' && r.state === 'SUCCESS'),
      );
    } finally {
      messages.restore();
    }
  });
  after(async () => {
    await closeAllEditors();
    await config().update('expected.arrayKeys', undefined, vscode.ConfigurationTarget.Workspace);
    await vscode.workspace.fs.delete(workspaceFile(FOLDER), { recursive: true, useTrash: false }).then(
      () => undefined,
      () => undefined,
    );
  });

  it('opens from a run with the verdicts of the comparison and the settings', async () => {
    await vscode.commands.executeCommand('docutray.review.open', run);
    const review = await waitFor('the review panel', () => api.review());
    assert.strictEqual(path.basename(vscode.Uri.parse(review.document).path), 'inv.pdf');
    assert.deepStrictEqual(rowsOf(), [
      'extra currency',
      'differs line_items[description="Bolts"].amount',
      'equal line_items[description="Bolts"].description',
      'equal line_items[description="Nuts"].amount',
      'equal line_items[description="Nuts"].description',
      'differs tags[0]',
      'differs tags[1]',
      'differs total',
      'equal vendor.name',
      'missing vendor.tax_id',
    ]);
    // Exactly the differences the Testing view reports, with the same settings.
    const arrayKeys = [{ path: [{ key: 'line_items' }], field: 'description' }];
    const diffs = compareResults(EXPECTED, ACTUAL, { arrayKeys }).map(d => d.path);
    assert.deepStrictEqual(
      api
        .review()!
        .rows.filter(r => r.verdict !== 'equal')
        .map(r => r.path)
        .sort(),
      diffs.sort(),
    );
  });

  it('steps through the differences, accepts one field (only that path, canonical) and Undo takes it back', async () => {
    await vscode.commands.executeCommand('docutray.review.open', run);
    await waitFor('the review panel', () => api.review());
    const first = await vscode.commands.executeCommand<string>('docutray.review.nextDifference');
    assert.strictEqual(first, 'currency');
    const second = await vscode.commands.executeCommand<string>('docutray.review.nextDifference');
    assert.strictEqual(second, 'line_items[description="Bolts"].amount');
    const back = await vscode.commands.executeCommand<string>('docutray.review.previousDifference');
    assert.strictEqual(back, 'currency');
    await vscode.commands.executeCommand('docutray.review.nextDifference');

    const before = Buffer.from(await vscode.workspace.fs.readFile(workspaceFile(EXPECTED_FILE))).toString();
    const accepted = await vscode.commands.executeCommand<string>('docutray.review.acceptField');
    assert.strictEqual(accepted, 'line_items[description="Bolts"].amount');
    const after = await readExpected();
    const expectedNow = JSON.parse(JSON.stringify(EXPECTED)) as typeof EXPECTED;
    expectedNow.line_items[0].amount = 11;
    assert.deepStrictEqual(after.result, expectedNow, 'only that path changed');
    const text = Buffer.from(await vscode.workspace.fs.readFile(workspaceFile(EXPECTED_FILE))).toString();
    assert.strictEqual(
      text,
      serializeExpected({ stepId: STEP, document: 'inv.pdf', sha256: docSha, result: expectedNow }),
    );
    await waitFor('the row to be equal now', () =>
      rowsOf().includes('equal line_items[description="Bolts"].amount') ? true : undefined,
    );

    // Undo in the expected file's editor takes the change back.
    const doc = await vscode.workspace.openTextDocument(workspaceFile(EXPECTED_FILE));
    await vscode.window.showTextDocument(doc);
    await vscode.commands.executeCommand('undo');
    assert.strictEqual(doc.getText(), before);
    await doc.save();
    await waitFor('the row to differ again', () =>
      rowsOf().includes('differs line_items[description="Bolts"].amount') ? true : undefined,
    );
  });

  it('Keep Expected writes nothing; Edit Value… writes a corrected value; a list by position goes whole', async () => {
    await vscode.commands.executeCommand('docutray.review.open', run);
    await waitFor('the review panel', () => api.review());
    const before = Buffer.from(await vscode.workspace.fs.readFile(workspaceFile(EXPECTED_FILE))).toString();
    // Select total, keep it.
    let at = '';
    for (let i = 0; i < 10 && at !== 'total'; i++) {
      at = (await vscode.commands.executeCommand<string>('docutray.review.nextDifference')) ?? '';
    }
    assert.strictEqual(at, 'total');
    assert.strictEqual(await vscode.commands.executeCommand('docutray.review.keepExpected'), 'total');
    assert.strictEqual(
      Buffer.from(await vscode.workspace.fs.readFile(workspaceFile(EXPECTED_FILE))).toString(),
      before,
    );
    assert.ok(api.review()!.rows.find(r => r.path === 'total')!.kept);

    // Edit the missing tax id's expected value.
    while (at !== 'vendor.tax_id') {
      at = (await vscode.commands.executeCommand<string>('docutray.review.nextDifference')) ?? '';
    }
    await vscode.commands.executeCommand('docutray.review.editValue', '"X2"');
    assert.deepStrictEqual(((await readExpected()) as { result: typeof EXPECTED }).result.vendor, {
      name: 'ACME Corp',
      tax_id: 'X2',
    });

    // tags are paired by position: accepting one element writes the whole list.
    while (at !== 'tags[0]') {
      at = (await vscode.commands.executeCommand<string>('docutray.review.nextDifference')) ?? '';
    }
    await vscode.commands.executeCommand('docutray.review.acceptField');
    assert.deepStrictEqual(((await readExpected()) as { result: typeof EXPECTED }).result.tags, ['b', 'a']);
  });
});
