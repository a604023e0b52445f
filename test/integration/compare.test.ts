/**
 * Compare with… from every place it is offered: the result editor's title bar (VS Code passes the editor's
 * URI and its group), the palette (the active result editor), the Runs view with one run (a picker) and with
 * two runs selected (no picker). The picker lists the same document's results first, each group newest
 * first; the diff shows two different results, titled with both.
 */
import * as assert from 'assert';
import * as vscode from 'vscode';
import { when } from '../../src/core/text/when';
import type { RunOutcome } from '../../src/runs/runService';
import {
  RunInfo,
  activate,
  closeAllEditors,
  patch,
  pdfBytes,
  standIn,
  TEST_STEPS,
  waitFor,
  writeWorkspaceFile,
} from './support';
import { isDeepStrictEqual } from 'node:util';

type PickItem = vscode.QuickPickItem & { run?: RunInfo };

async function run(stepId: string, uri: vscode.Uri): Promise<RunInfo> {
  const outcomes = await vscode.commands.executeCommand<RunOutcome[] | undefined>('docutray.runStep', {
    stepId,
    uris: [uri],
  });
  const executionId = outcomes?.[0].result?.executionId;
  assert.ok(executionId, `the run succeeded: ${String(outcomes?.[0].error)}`);
  const api = await activate();
  return waitFor('the run in the history', async () => (await api.runs()).find(r => r.executionId === executionId));
}

/** Runs `body` with the picker answered by `choose`, and returns what it offered (separators included). */
async function withPicker(
  choose: (items: readonly PickItem[]) => PickItem | undefined,
  body: () => Thenable<unknown>,
): Promise<{ items: PickItem[]; options?: vscode.QuickPickOptions }> {
  const seen: { items: PickItem[]; options?: vscode.QuickPickOptions } = { items: [] };
  const undo = patch(
    vscode.window,
    'showQuickPick',
    async (items: readonly PickItem[] | Thenable<readonly PickItem[]>, options?: vscode.QuickPickOptions) => {
      seen.items = [...(await items)];
      seen.options = options;
      return choose(seen.items);
    },
  );
  try {
    await body();
  } finally {
    undo();
  }
  return seen;
}

function diffTab(): Promise<{ tab: vscode.Tab; input: vscode.TabInputTextDiff }> {
  return waitFor('a diff tab', () => {
    const tab = vscode.window.tabGroups.activeTabGroup.activeTab;
    return tab?.input instanceof vscode.TabInputTextDiff ? { tab, input: tab.input } : undefined;
  });
}

async function text(uri: vscode.Uri): Promise<string> {
  return (await vscode.workspace.openTextDocument(uri)).getText();
}

const stepName = (id: string) => TEST_STEPS.find(s => s.id === id)?.name as string;
const label = (r: RunInfo) => `${r.sourceName} · ${r.stepName} · ${when(r.startedAt)}`;

describe('Compare with…', function () {
  this.timeout(60000);
  /** On a.pdf: fast (oldest), then batch, then fast again (the one compared); on b.pdf: fast, in between. */
  let aFastOld: RunInfo;
  let bFast: RunInfo;
  let aBatch: RunInfo;
  let aFast: RunInfo;

  before(async () => {
    await activate();
    await standIn.setSteps(TEST_STEPS);
    const tag = Date.now();
    const a = await writeWorkspaceFile('compare/a.pdf', pdfBytes(`compare-a-${tag}`));
    const b = await writeWorkspaceFile('compare/b.pdf', pdfBytes(`compare-b-${tag}`));
    aFastOld = await run('it-fast', a);
    bFast = await run('it-fast', b);
    aBatch = await run('it-batch', a);
    aFast = await run('it-fast', a);
  });
  afterEach(async () => {
    await closeAllEditors();
  });

  /** The result editor of `r`, opened as a user opens it (from the Runs view). */
  async function openResultEditor(r: RunInfo): Promise<vscode.Uri> {
    await vscode.commands.executeCommand('docutray.runs.openResult', r);
    const editor = await waitFor('the result editor', () => {
      const e = vscode.window.activeTextEditor;
      return e?.document.uri.scheme === 'docutray-result' && e.document.uri.query.includes(r.executionId as string)
        ? e
        : undefined;
    });
    return editor.document.uri;
  }

  function assertPickerOrder(items: PickItem[]): void {
    const runs = items.filter(i => i.kind !== vscode.QuickPickItemKind.Separator);
    const separators = items.filter(i => i.kind === vscode.QuickPickItemKind.Separator).map(i => i.label);
    assert.deepStrictEqual(separators, ['Same document', 'Other documents']);
    assert.strictEqual(items[0].label, 'Same document', 'the same document comes first');
    const offered = runs.map(i => i.run?.executionId);
    assert.ok(!offered.includes(aFast.executionId), 'never the result itself');
    const same = runs.filter(i => isDeepStrictEqual(i.run?.source, aFast.source)).map(i => i.run?.executionId);
    assert.deepStrictEqual(same, [aBatch.executionId, aFastOld.executionId], "a.pdf's other results, newest first");
    assert.deepStrictEqual(offered.slice(0, 2), same, 'before any other document');
    assert.strictEqual(offered[2], bFast.executionId, 'then the other documents, newest first');
    const others = runs.slice(2).map(i => i.run?.startedAt ?? 0);
    assert.deepStrictEqual(
      others,
      [...others].sort((x, y) => y - x),
      'every other document newest first',
    );
  }

  async function assertDiff(left: RunInfo, right: RunInfo): Promise<void> {
    const { tab, input } = await diffTab();
    assert.ok(input.original.query.includes(left.executionId as string), input.original.toString());
    assert.ok(input.modified.query.includes(right.executionId as string), input.modified.toString());
    assert.notStrictEqual(input.original.toString(), input.modified.toString(), 'two different results');
    if (left.stepId !== right.stepId) {
      assert.notStrictEqual(await text(input.original), await text(input.modified), 'two steps: their contents differ');
    }
    assert.strictEqual(tab.label, `${label(left)} ↔ ${label(right)}`, 'the title names both');
  }

  it('from the result editor title bar: a picker of the other results (not a diff with itself)', async () => {
    const uri = await openResultEditor(aFast);
    const group = vscode.window.tabGroups.activeTabGroup;
    // What VS Code passes an editor/title command: the editor's URI, then its group and index.
    const seen = await withPicker(
      items => items.find(i => i.run?.executionId === aBatch.executionId),
      () =>
        vscode.commands.executeCommand('docutray.runs.compareWith', uri, { groupId: group.viewColumn, editorIndex: 0 }),
    );
    assertPickerOrder(seen.items);
    assert.match(
      seen.options?.title ?? '',
      new RegExp(`Compare a\\.pdf · ${stepName('it-fast').replace(/[()]/g, '\\$&')}`),
    );
    await assertDiff(aFast, aBatch);
  });

  it('from the palette, on the active result editor', async () => {
    await openResultEditor(aFast);
    const seen = await withPicker(
      items => items.find(i => i.run?.executionId === bFast.executionId),
      () => vscode.commands.executeCommand('docutray.runs.compareWith'),
    );
    assertPickerOrder(seen.items);
    await assertDiff(aFast, bFast);
  });

  it('from the Runs view on one run: the same picker', async () => {
    const seen = await withPicker(
      items => items.find(i => i.run?.executionId === aFastOld.executionId),
      () => vscode.commands.executeCommand('docutray.runs.compareWith', aFast, [aFast]),
    );
    assertPickerOrder(seen.items);
    await assertDiff(aFast, aFastOld);
  });

  it('from the Runs view with two runs selected: those two, no picker', async () => {
    const seen = await withPicker(
      () => undefined,
      () => vscode.commands.executeCommand('docutray.runs.compareWith', bFast, [aBatch, bFast]),
    );
    assert.deepStrictEqual(seen.items, [], 'no picker');
    await assertDiff(bFast, aBatch);
  });
});
