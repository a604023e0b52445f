/**
 * Never a duplicate run, nothing lost (one window): lost start answers, status outages,
 * Retry and Rerun, names that look like command links, big and deeply nested results, Refresh during
 * an upload — in the real extension host, against the stand-in's faults.
 */
import * as assert from 'assert';
import * as vscode from 'vscode';
import type { RunOutcome } from '../../src/runs/runService';
import { hasNotificationLink } from '../../src/core/text/plainText';
import {
  Api,
  RunInfo,
  activate,
  captureMessages,
  closeAllEditors,
  patch,
  pdfBytes,
  sha256,
  sleep,
  standIn,
  useTestSteps,
  waitFor,
  writeWorkspaceFile,
} from './support';

/** Records the title and every message of the progress notifications shown. */
function captureProgress(): { texts: string[]; restore: () => void } {
  const texts: string[] = [];
  const original = vscode.window.withProgress;
  const restore = patch(
    vscode.window,
    'withProgress',
    (
      options: vscode.ProgressOptions,
      task: (p: vscode.Progress<{ message?: string }>, t: vscode.CancellationToken) => Thenable<unknown>,
    ) => {
      texts.push(options.title ?? '');
      return original(options, (progress, token) =>
        task(
          {
            report: v => {
              texts.push(v.message ?? '');
              progress.report(v);
            },
          },
          token,
        ),
      );
    },
  );
  return { texts, restore };
}

async function runStep(stepId: string, uris: vscode.Uri[]): Promise<RunOutcome[]> {
  const outcomes = await vscode.commands.executeCommand<RunOutcome[] | undefined>('docutray.runStep', { stepId, uris });
  assert.ok(outcomes, 'the command returned outcomes');
  return outcomes;
}

async function startsOf(bytes: Uint8Array): Promise<number> {
  const hash = sha256(bytes);
  return (await standIn.starts()).filter(s => s.hash === hash).reduce((n, s) => n + s.count, 0);
}

describe('run lifecycle: never a duplicate, nothing lost', function () {
  this.timeout(90000);
  let api: Api;
  const config = () => vscode.workspace.getConfiguration('docutray');

  useTestSteps();
  before(async () => {
    api = await activate();
  });
  afterEach(async () => {
    await standIn.clearFaults();
    await closeAllEditors();
    await config().update('pollTimeoutSeconds', undefined, vscode.ConfigurationTarget.Global);
  });

  async function runOf(outcome: RunOutcome): Promise<RunInfo> {
    const run = (await api.runs()).find(r => r.id === outcome.run?.id);
    assert.ok(run, 'the run is recorded');
    return run;
  }

  it('a batch where one start\'s answer was lost: "Retry Failed" never starts that document again', async () => {
    const a = pdfBytes(`lost-a-${Date.now()}`);
    const b = pdfBytes(`lost-b-${Date.now()}`);
    const ua = await writeWorkspaceFile('lost-a.pdf', a);
    const ub = await writeWorkspaceFile('lost-b.pdf', b);
    await config().update('maxConcurrentRuns', 1, vscode.ConfigurationTarget.Global);
    await standIn.addFaults({ kind: 'loseStartAnswer', count: 1 });
    const messages = captureMessages(m =>
      m.items.includes('Retry Failed') ? 'Retry Failed' : /^Run .*\? 2 documents/.test(m.message) ? 'Run' : undefined,
    );
    try {
      const outcomes = await runStep('it-fast', [ua, ub]);
      const lost = outcomes.find(o => !o.result);
      assert.ok(lost, 'one start lost its answer');
      assert.strictEqual((await runOf(lost)).state, 'mayHaveStarted');
      // Whatever the summary offered was taken; give a restart time to happen.
      await sleep(1500);
      assert.strictEqual(
        (await startsOf(a)) + (await startsOf(b)),
        2,
        'each document started once, the lost one never again',
      );
      const summary = messages.shown.find(m => /succeeded with/.test(m.message));
      assert.ok(summary, JSON.stringify(messages.shown));
      assert.match(summary.message, /May have started, so not retried/);
    } finally {
      messages.restore();
      await config().update('maxConcurrentRuns', undefined, vscode.ConfigurationTarget.Global);
    }
  });

  it('a status outage longer than pollTimeoutSeconds leaves the run unavailable with its id; Check Execution polls that execution, never starts', async () => {
    const bytes = pdfBytes(`outage-${Date.now()}`);
    const uri = await writeWorkspaceFile('outage.pdf', bytes);
    await config().update('pollTimeoutSeconds', 10, vscode.ConfigurationTarget.Global);
    await standIn.addFaults({ kind: 'statusOutage', ms: 120_000, mode: 'alternate' });
    const messages = captureMessages();
    let outcome: RunOutcome;
    try {
      [outcome] = await runStep('it-fast', [uri]);
    } finally {
      messages.restore();
    }
    const run = await runOf(outcome);
    assert.strictEqual(run.state, 'unavailable', 'not failed');
    assert.ok(run.executionId, 'the execution id is kept');
    const [m] = messages.shown.filter(x => x.severity !== 'info');
    assert.ok(m, JSON.stringify(messages.shown));
    assert.ok(m.items.includes('Check Execution'), JSON.stringify(m));
    assert.ok(!m.items.includes('Retry'), 'no Retry that would start again');
    // DocuTray is back; the user checks it again (from the message, or the Runs view).
    await standIn.clearFaults();
    const again = captureMessages();
    try {
      await vscode.commands.executeCommand('docutray.checkExecution', run);
    } finally {
      again.restore();
    }
    const after = await runOf(outcome);
    assert.strictEqual(after.state, 'SUCCESS');
    assert.strictEqual(after.executionId, run.executionId, 'the same execution');
    assert.strictEqual(await startsOf(bytes), 1, 'started once');
  });

  it('a few seconds of 503s and dropped connections while waiting: the run keeps waiting and succeeds', async () => {
    const bytes = pdfBytes(`blip-${Date.now()}`);
    const uri = await writeWorkspaceFile('blip.pdf', bytes);
    await standIn.addFaults({ kind: 'statusOutage', ms: 7000, mode: 'alternate' });
    const [outcome] = await runStep('it-fast', [uri]);
    assert.ok(outcome.result, `succeeded: ${String(outcome.error)}`);
    assert.strictEqual(await startsOf(bytes), 1);
  });

  it('Rerun of a run that may have started asks first, in a modal naming it; dismissed, nothing starts', async () => {
    const bytes = pdfBytes(`uncertain-${Date.now()}`);
    const uri = await writeWorkspaceFile('uncertain.pdf', bytes);
    await standIn.addFaults({ kind: 'loseStartAnswer', count: 1 });
    const first = captureMessages();
    let outcome: RunOutcome;
    try {
      [outcome] = await runStep('it-fast', [uri]);
    } finally {
      first.restore();
    }
    const run = await runOf(outcome);
    assert.strictEqual(run.state, 'mayHaveStarted');
    const error = first.shown.find(m => m.severity === 'error');
    assert.ok(error && !error.items.includes('Retry'), `no one-click Retry: ${JSON.stringify(first.shown)}`);
    const messages = captureMessages();
    try {
      await vscode.commands.executeCommand('docutray.runs.rerun', run);
    } finally {
      messages.restore();
    }
    const modal = messages.shown.find(m => m.modal);
    assert.ok(modal, `a modal was shown: ${JSON.stringify(messages.shown)}`);
    assert.match(modal.message, /may already have started.*bill it twice/);
    assert.match(modal.detail ?? '', /request id/);
    await sleep(500);
    assert.strictEqual(await startsOf(bytes), 1, 'not started again');
  });

  it('file and step names that look like command links are shown as text in every message and progress', async () => {
    const hostile = '[Open](command:workbench.action.quit).pdf';
    const uri = await writeWorkspaceFile(hostile, pdfBytes(`hostile-${Date.now()}`));
    const other = await writeWorkspaceFile('plain.pdf', pdfBytes(`plain-${Date.now()}`));
    const messages = captureMessages(m => (/^Run .*\? 2 documents/.test(m.message) ? 'Run' : undefined));
    const progress = captureProgress();
    try {
      await runStep('it-failing', [uri, other]);
      await runStep('[Go](command:workbench.action.quit)', [uri]);
      await sleep(100);
    } finally {
      messages.restore();
      progress.restore();
    }
    const texts = [
      ...messages.shown.map(m => m.message),
      ...messages.shown.map(m => m.detail ?? ''),
      ...progress.texts,
    ];
    assert.ok(
      messages.shown.some(m => m.message.includes('Open') && m.message.includes('command:workbench.action.quit')),
      `the name is in a message: ${JSON.stringify(messages.shown)}`,
    );
    for (const t of texts) {
      assert.ok(!hasNotificationLink(t), `rendered as a link: ${JSON.stringify(t)}`);
    }
  });

  it('a deeply nested result is stored and shown', async () => {
    await standIn.addFaults({ kind: 'nestedResult', depth: 20_000 });
    const [deep] = await runStep('it-fast', [await writeWorkspaceFile('deep.pdf', pdfBytes(`deep-${Date.now()}`))]);
    assert.ok(deep.result, `succeeded: ${String(deep.error)}`);
    const editor = await waitFor('the result editor', () => {
      const e = vscode.window.activeTextEditor;
      return e?.document.uri.scheme === 'docutray-result' ? e : undefined;
    });
    assert.ok(editor.document.getText().startsWith('[[[['), 'shown as it came');
  });

  it('a 3 MB result is stored once, compactly', async () => {
    await standIn.addFaults({ kind: 'hugeResult', bytes: 3_000_000 });
    const [big] = await runStep('it-fast', [await writeWorkspaceFile('big.pdf', pdfBytes(`big-${Date.now()}`))]);
    assert.ok(big.result, `succeeded: ${String(big.error)}`);
    const file = vscode.Uri.joinPath(api.storageUri, 'results', `${big.result.executionId}.json`);
    const size = (await vscode.workspace.fs.stat(file)).size;
    assert.ok(size > 3_000_000 && size < 3_300_000, `stored ${size} bytes for about 3 MB of data`);
  });

  it('a result that cannot be stored keeps its execution id: the run is unavailable, and checked again later', async () => {
    const bytes = pdfBytes(`nostore-${Date.now()}`);
    const uri = await writeWorkspaceFile('nostore.pdf', bytes);
    const results = vscode.Uri.joinPath(api.storageUri, 'results');
    const aside = vscode.Uri.joinPath(api.storageUri, 'results.aside');
    // A file where the results folder goes: writing any result fails.
    await vscode.workspace.fs.rename(results, aside, { overwrite: true }).then(undefined, () => undefined);
    await vscode.workspace.fs.writeFile(results, Buffer.from('not a folder'));
    const messages = captureMessages();
    let outcome: RunOutcome;
    try {
      [outcome] = await runStep('it-fast', [uri]);
    } finally {
      messages.restore();
      await vscode.workspace.fs.delete(results);
      await vscode.workspace.fs.rename(aside, results, { overwrite: true }).then(undefined, () => undefined);
    }
    const run = await runOf(outcome);
    assert.strictEqual(run.state, 'unavailable', JSON.stringify(messages.shown));
    assert.ok(run.executionId);
    assert.ok(
      messages.shown.some(m => m.items.includes('Check Execution') && /could not be stored/.test(m.message)),
      JSON.stringify(messages.shown),
    );
    const again = captureMessages();
    try {
      await vscode.commands.executeCommand('docutray.checkExecution', run);
    } finally {
      again.restore();
    }
    assert.strictEqual((await runOf(outcome)).state, 'SUCCESS');
    assert.strictEqual(await startsOf(bytes), 1);
  });

  it('Refresh during an upload leaves the run true: it gets its id and succeeds', async () => {
    const bytes = Buffer.concat([pdfBytes(`refresh-${Date.now()}`), Buffer.alloc(30_000, 0x20)]);
    const uri = await writeWorkspaceFile('refresh.pdf', bytes);
    await standIn.addFaults({ kind: 'throttleBody', bytesPerSecond: 15_000, match: { method: 'POST' } });
    const pending = vscode.commands.executeCommand<RunOutcome[]>('docutray.runStep', {
      stepId: 'it-fast',
      uris: [uri],
    });
    await waitFor('the upload to begin', async () =>
      (await api.runs()).find(r => r.sourceName === 'refresh.pdf' && r.state === 'starting'),
    );
    await vscode.commands.executeCommand('docutray.runs.refresh');
    await sleep(300);
    await vscode.commands.executeCommand('docutray.runs.refresh');
    const [outcome] = (await pending) ?? [];
    assert.ok(outcome?.result, `succeeded: ${String(outcome?.error)}`);
    const run = await runOf(outcome);
    assert.strictEqual(run.state, 'SUCCESS');
    assert.strictEqual(run.executionId, outcome.result.executionId);
    assert.strictEqual(await startsOf(bytes), 1);
  });
});
