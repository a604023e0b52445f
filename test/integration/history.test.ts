/**
 * Runs that last: the history, resume, rerun, compare, saving results as files, the bound, and
 * recovery from a damaged history file — in the real extension host, against the stand-in.
 */
import * as assert from 'assert';
import * as vscode from 'vscode';
import { parseResultLocation } from '../../src/core/results/storedResult';
import { RunState, isKept } from '../../src/core/runs/history';
import { ScopedLog } from '../../src/log';
import { exists } from '../../src/results/resultSaver';
import { RunHistory } from '../../src/runs/runHistory';
import type { RunOutcome } from '../../src/runs/runService';
import {
  Api,
  RunInfo,
  TEST_STEPS,
  activate,
  captureMessages,
  closeAllEditors,
  patch,
  pdfBytes,
  sleep,
  standIn,
  startElsewhere,
  waitFor,
  workspaceFile,
  writeWorkspaceFile,
} from './support';

async function run(stepId: string, uri: vscode.Uri): Promise<RunOutcome> {
  const outcomes = await vscode.commands.executeCommand<RunOutcome[] | undefined>('docutray.runStep', {
    stepId,
    uris: [uri],
  });
  assert.ok(outcomes?.[0], 'the command returned an outcome');
  return outcomes[0];
}

type TreeApi = Api & {
  runsTree: {
    getChildren(e?: unknown): Promise<unknown[]>;
    getTreeItem(e: unknown): vscode.TreeItem | Thenable<vscode.TreeItem>;
  };
};

/** The Runs view's row of a run at its top level, as VS Code gets it. */
async function topRow(api: Api, runId: string): Promise<vscode.TreeItem> {
  const tree = (api as TreeApi).runsTree;
  const node = (await tree.getChildren()).find(n => (n as { id?: string }).id === runId);
  assert.ok(node, `the run ${runId} is at the top of the Runs view`);
  return tree.getTreeItem(node);
}

/** A tooltip as its hover shows it: Markdown's backslash escapes taken off. */
const tooltipText = (item: vscode.TreeItem) =>
  (item.tooltip as vscode.MarkdownString).value.replace(/\\([^\w\s])/g, '$1');

async function readText(uri: vscode.Uri): Promise<string> {
  return Buffer.from(await vscode.workspace.fs.readFile(uri)).toString('utf8');
}

describe('runs that last', function () {
  this.timeout(60000);
  let api: Api;
  const config = () => vscode.workspace.getConfiguration('docutray');
  /** Writes a run record as a window since closed left it. */
  const writeRun = (r: { id: string }) =>
    vscode.workspace.fs.writeFile(
      vscode.Uri.joinPath(api.storageUri, 'runs', `${r.id}.json`),
      Buffer.from(JSON.stringify(r)),
    );

  before(async () => {
    api = await activate();
    await standIn.setSteps(TEST_STEPS);
  });
  afterEach(async () => {
    await closeAllEditors();
    for (const key of ['saveResults.mode', 'saveResults.overwrite', 'history.maxRuns', 'openResult']) {
      await config().update(key, undefined, vscode.ConfigurationTarget.Global);
    }
  });

  it('records every run, and writes its result to storage before the editor opens it', async () => {
    const seen: boolean[] = [];
    const original = vscode.workspace.openTextDocument;
    const undo = patch(vscode.workspace, 'openTextDocument', async (...args: unknown[]) => {
      const uri = args[0];
      if (uri instanceof vscode.Uri && uri.scheme === 'docutray-result') {
        const executionId = parseResultLocation(uri.path, uri.query)?.executionId;
        seen.push(await exists(vscode.Uri.joinPath(api.storageUri, 'results', `${executionId}.json`)));
      }
      return (original as (...a: unknown[]) => Promise<vscode.TextDocument>)(...args);
    });
    let outcome: RunOutcome;
    try {
      outcome = await run('it-fast', workspaceFile('sample.pdf'));
    } finally {
      undo();
    }
    assert.deepStrictEqual(seen, [true], 'the result file existed when the editor asked for it');
    const [latest] = await api.runs();
    assert.strictEqual(latest.executionId, outcome.result?.executionId);
    assert.strictEqual(latest.state, 'SUCCESS');
    assert.strictEqual(latest.stepId, 'it-fast');
    assert.strictEqual(latest.sourceName, 'sample.pdf');
    const stored = JSON.parse(
      await readText(vscode.Uri.joinPath(api.storageUri, 'runs', `${latest.id}.json`)),
    ) as RunInfo;
    assert.strictEqual(stored.executionId, latest.executionId, 'the run is on disk, in its own file');
    // Its row: the document, then its state (with DocuTray's duration), its time, and the step last.
    const row = await topRow(api, latest.id);
    assert.strictEqual(String(row.label), 'sample.pdf');
    assert.match(String(row.description), /^succeeded in \d+(\.\d+)? (ms|s) · [^·]+ · Fast \(test\)$/);
    assert.ok(!/\bdone\b/.test(String(row.description)), 'says "succeeded", not "done"');
    const tip = tooltipText(row);
    for (const part of [
      'Fast (test)',
      '`it-fast`',
      'Status: succeeded in ',
      'Started: ',
      'Ended: ',
      'Took on DocuTray: ',
    ]) {
      assert.ok(tip.includes(part), `the tooltip keeps ${part}: ${tip}`);
    }
    assert.ok(tip.includes(`\`${latest.executionId}\``), 'and the execution id');
  });

  it('resumes a run left in flight by a closed window: polls it to the end, starts nothing again', async () => {
    // A start made before "the reload", as the extension would have made it.
    const executionId = await startElsewhere('it-batch', 'https://example.com/resume.pdf');
    const now = Date.now();
    // Started half a minute before this window took it over: that half minute is not the step's duration.
    // (Not longer: a run is polled more slowly the longer ago it started.)
    const startedAt = now - 30_000;
    // Recorded by a window since closed (no presence file: it is gone).
    for (const r of [
      {
        id: 'resume-1',
        source: 'https://example.com/resume.pdf',
        sourceName: 'resume.pdf',
        stepId: 'it-batch',
        stepName: 'Batch (test)',
        executionId,
        state: 'PROCESSING',
        startedAt,
        updatedAt: startedAt,
        owner: 'closed-window',
      },
      {
        id: 'resume-2',
        source: workspaceFile('sample.png').toString(),
        sourceName: 'sample.png',
        stepId: 'it-fast',
        stepName: 'Fast (test)',
        state: 'starting',
        startedAt: now - 1,
        updatedAt: now - 1,
        owner: 'closed-window',
      },
    ]) {
      await writeRun(r);
    }
    const before = (await standIn.starts()).reduce((n, s) => n + s.count, 0);
    const messages = captureMessages();
    try {
      const resumed = await vscode.commands.executeCommand<number>('docutray.runs.refresh');
      assert.strictEqual(resumed, 1, 'one run to poll');
      const done = await waitFor('the resumed run to finish', async () =>
        (await api.runs()).find(r => r.id === 'resume-1' && r.state === 'SUCCESS'),
      );
      assert.strictEqual(done.executionId, executionId);
      // The recovered run reports the step's own duration, from DocuTray's timestamps: not the hour since
      // its recorded start, nor the time since the takeover.
      const { durationMs, finishedAt } = done as RunInfo & { durationMs?: number; finishedAt?: number };
      assert.ok(typeof durationMs === 'number' && durationMs < 60_000, `DocuTray's duration: ${durationMs}`);
      assert.ok((finishedAt ?? 0) - startedAt >= 30_000, 'the record keeps its start');
      const row = await topRow(api, 'resume-1');
      assert.match(String(row.description), /^succeeded in \d+(\.\d+)? (ms|s) · /);
      const shown = /^succeeded in (\d+(?:\.\d+)?) (ms|s)/.exec(String(row.description)) as RegExpExecArray;
      const shownMs = Number(shown[1]) * (shown[2] === 's' ? 1000 : 1);
      assert.ok(Math.abs(shownMs - durationMs) <= 500, `${row.description} is ${durationMs} ms`);
    } finally {
      messages.restore();
    }
    const interrupted = (await api.runs()).find(r => r.id === 'resume-2');
    assert.strictEqual(
      interrupted?.state,
      'mayHaveStarted',
      'a start cut off before DocuTray answered is never restarted',
    );
    assert.strictEqual(
      (await standIn.starts()).reduce((n, s) => n + s.count, 0),
      before,
      'no new start',
    );
  });

  it('says how a resumed run failed, naming the document and the step, with its next steps', async () => {
    const executionId = await startElsewhere('it-failing');
    const now = Date.now();
    const r = {
      id: 'resume-failing',
      source: workspaceFile('sample.pdf').toString(),
      sourceName: 'sample.pdf',
      stepId: 'it-failing',
      stepName: 'Failing (test)',
      executionId,
      state: 'ENQUEUED',
      startedAt: now,
      updatedAt: now,
      owner: 'closed-window',
    };
    await writeRun(r);
    const messages = captureMessages();
    try {
      assert.strictEqual(await vscode.commands.executeCommand<number>('docutray.runs.refresh'), 1, 'one run to poll');
      const message = await waitFor('the failure message', async () =>
        messages.shown.find(m => m.message.includes('Failing (test)')),
      );
      assert.strictEqual(message.severity, 'error');
      assert.strictEqual(message.message, 'DocuTray: Failing (test) failed on sample.pdf: No invoice found on page 1');
      assert.deepStrictEqual(message.items, ['Rerun with Another Step…', 'Show Execution Record', 'Show Log']);
    } finally {
      messages.restore();
    }
    assert.strictEqual((await api.runs()).find(x => x.id === r.id)?.state, 'ERROR');
  });

  it('reruns a run, and reruns it with another step', async () => {
    const first = await run('it-fast', workspaceFile('photo.jpg'));
    const runInfo = (await api.runs()).find(r => r.executionId === first.result?.executionId);
    assert.ok(runInfo);
    const again = await vscode.commands.executeCommand<RunOutcome[]>('docutray.runs.rerun', runInfo);
    assert.ok(again?.[0].result, 'rerun succeeded');
    assert.notStrictEqual(again[0].result.executionId, first.result?.executionId);
    assert.strictEqual(again[0].result.stepId, 'it-fast');
    assert.deepStrictEqual(again[0].result.source, runInfo.source);
    const undo = patch(
      vscode.window,
      'showQuickPick',
      async (items: readonly (vscode.QuickPickItem & { step?: { id: string } })[]) =>
        (await items).find(i => i.step?.id === 'example-receipt'),
    );
    let other: RunOutcome[] | undefined;
    try {
      other = await vscode.commands.executeCommand<RunOutcome[]>('docutray.runs.rerunWithStep', runInfo);
    } finally {
      undo();
    }
    assert.strictEqual(other?.[0].result?.stepId, 'example-receipt');
    assert.deepStrictEqual(other?.[0].result?.source, runInfo.source);
  });

  it('compares two results in a diff editor', async () => {
    const a = await run('it-fast', workspaceFile('sample.pdf'));
    const b = await run('it-batch', workspaceFile('sample.pdf'));
    const runs = await api.runs();
    const ra = runs.find(r => r.executionId === a.result?.executionId);
    const rb = runs.find(r => r.executionId === b.result?.executionId);
    await vscode.commands.executeCommand('docutray.runs.compareWith', ra, rb);
    const tab = await waitFor('a diff tab', () => {
      const input = vscode.window.tabGroups.activeTabGroup.activeTab?.input;
      return input instanceof vscode.TabInputTextDiff ? input : undefined;
    });
    assert.strictEqual(tab.original.path, '/sample.pdf · Fast (test).json');
    assert.strictEqual(tab.modified.path, '/sample.pdf · Batch (test).json');
  });

  it('saves results beside the source under each overwrite policy, never losing data under ask or numbered', async () => {
    const src = await writeWorkspaceFile('saved/invoice.pdf', pdfBytes('save'));
    const target = workspaceFile('saved/invoice.pdf.it-fast.json');
    const numbered = workspaceFile('saved/invoice.pdf.it-fast (2).json');
    await config().update('saveResults.mode', 'besideSource', vscode.ConfigurationTarget.Global);
    await config().update('openResult', 'none', vscode.ConfigurationTarget.Global);
    await config().update('saveResults.overwrite', 'numbered', vscode.ConfigurationTarget.Global);
    const expected = JSON.stringify(TEST_STEPS[0].outcome.data);
    /** The file's JSON, compact, or undefined while it is missing. */
    const content = async (uri: vscode.Uri) =>
      (await exists(uri)) ? JSON.stringify(JSON.parse(await readText(uri))) : undefined;
    await run('it-fast', src);
    await waitFor('the saved result', async () => (await content(target)) === expected || undefined);
    await run('it-fast', src);
    await waitFor('numbered: a second file', async () => (await content(numbered)) === expected || undefined);
    await vscode.workspace.fs.writeFile(target, Buffer.from('{"mine": true}'));
    await config().update('saveResults.overwrite', 'ask', vscode.ConfigurationTarget.Global);
    const messages = captureMessages();
    try {
      await run('it-fast', src);
      await waitFor(
        'the overwrite question',
        () => messages.shown.some(m => /exists already/.test(m.message)) || undefined,
      );
    } finally {
      messages.restore();
    }
    await sleep(300);
    assert.strictEqual(await readText(target), '{"mine": true}', 'ask, not answered: not overwritten');
    assert.strictEqual(
      await exists(workspaceFile('saved/invoice.pdf.it-fast (3).json')),
      false,
      'and no other copy made',
    );
    await config().update('saveResults.overwrite', 'overwrite', vscode.ConfigurationTarget.Global);
    await run('it-fast', src);
    await waitFor('overwrite: replaced', async () => (await content(target)) === expected || undefined);
  });

  it('keeps at most docutray.history.maxRuns runs, dropping the oldest finished first', async () => {
    // Batches are kept or dropped whole: earlier suites' batches go first, so that only single runs count.
    const tree = (api as unknown as { runsTree: { getChildren(): Promise<unknown[]> } }).runsTree;
    const batches = (await tree.getChildren()).filter(n => (n as { kind?: string }).kind === 'batch');
    if (batches.length) {
      await vscode.commands.executeCommand('docutray.runs.remove', batches[0], batches);
    }
    // Runs the bound always keeps (earlier suites leave some unavailable or "may have started"): they take
    // slots first, so the bound is set to leave room for three more.
    const bound = (r: { state: string }) => isKept({ state: r.state as RunState });
    const kept = (await api.runs()).filter(bound).length;
    await config().update('history.maxRuns', kept + 3, vscode.ConfigurationTarget.Global);
    await config().update('openResult', 'none', vscode.ConfigurationTarget.Global);
    const outcomes: RunOutcome[] = [];
    for (let i = 0; i < 4; i++) {
      outcomes.push(await run('it-fast', workspaceFile('sample.png')));
    }
    const runs = await api.runs();
    assert.strictEqual(runs.filter(bound).length, kept, 'the runs the bound keeps stay');
    assert.strictEqual(runs.length, kept + 3);
    assert.deepStrictEqual(
      runs.filter(r => !bound(r)).map(r => r.executionId),
      outcomes
        .slice(1)
        .reverse()
        .map(o => o.result?.executionId),
    );
    const dropped = outcomes[0].result?.executionId as string;
    assert.strictEqual(
      await exists(vscode.Uri.joinPath(api.storageUri, 'results', `${dropped}.json`)),
      false,
      'its stored result went too',
    );
  });

  it("migrates an older version's runs.json, and keeps a damaged one aside instead of overwriting it", async () => {
    const file = vscode.Uri.joinPath(api.storageUri, 'runs.json');
    const now = Date.now();
    await vscode.workspace.fs.writeFile(
      file,
      Buffer.from(
        JSON.stringify({
          version: 1,
          runs: [
            {
              id: 'legacy-1',
              source: 'https://example.com/old.pdf',
              sourceName: 'old.pdf',
              stepId: 'it-fast',
              stepName: 'Fast (test)',
              state: 'failed',
              startedAt: now,
              updatedAt: now,
            },
          ],
        }),
      ),
    );
    // The store migrates when a window loads it; a fresh one stands for the next window.
    const channel = vscode.window.createOutputChannel('DocuTray migration (test)', { log: true });
    const next = new RunHistory(api.storageUri, new ScopedLog(channel, 'h'), () => 200);
    try {
      assert.ok(
        (await next.all()).some(r => r.id === 'legacy-1'),
        'the old run is in the shared store',
      );
      assert.strictEqual(await exists(file), false, 'runs.json was renamed (kept as runs.json.migrated-…)');
      await vscode.workspace.fs.writeFile(file, Buffer.from('{"version": 1, "runs": [ {broken'));
      await next.store.migrateLegacy();
      const kept = (await vscode.workspace.fs.readDirectory(api.storageUri)).map(([n]) => n);
      assert.ok(
        kept.some(n => n.startsWith('runs.json.bad-')),
        `a damaged runs.json is kept aside: ${kept.join(', ')}`,
      );
    } finally {
      next.dispose();
      channel.dispose();
    }
    await vscode.commands.executeCommand('docutray.runs.refresh');
    const outcome = await run('it-fast', workspaceFile('sample.pdf'));
    assert.ok(outcome.result, 'runs still work');
  });
});
