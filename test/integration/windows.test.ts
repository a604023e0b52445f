/**
 * Several windows on one profile, in the real extension host: they share the extension's global
 * storage. Another window is played by a second store on the same directory (a RunHistory, as each
 * window builds one) or by its presence file; results are saved only where their source lives.
 */
import * as assert from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as vscode from 'vscode';
import { ScopedLog } from '../../src/log';
import { RunHistory } from '../../src/runs/runHistory';
import type { RunOutcome } from '../../src/runs/runService';
import {
  Api,
  TEST_STEPS,
  activate,
  captureMessages,
  closeAllEditors,
  pdfBytes,
  sleep,
  standIn,
  startElsewhere,
  waitFor,
  workspaceFile,
  writeWorkspaceFile,
} from './support';
import { workspaceSource } from '../../src/core/runs/source';

type Rec = {
  id: string;
  source: string;
  sourceName: string;
  stepId: string;
  stepName: string;
  state: string;
  startedAt: number;
  updatedAt: number;
  executionId?: string;
  owner?: string;
};

async function run(stepId: string, uri: vscode.Uri): Promise<RunOutcome> {
  const outcomes = await vscode.commands.executeCommand<RunOutcome[] | undefined>('docutray.runStep', {
    stepId,
    uris: [uri],
  });
  assert.ok(outcomes?.[0], 'the command returned an outcome');
  return outcomes[0];
}

function record(id: string, over: Partial<Rec>): Rec {
  const now = Date.now();
  return {
    id,
    source: 'https://example.com/elsewhere.pdf',
    sourceName: 'elsewhere.pdf',
    stepId: 'it-batch',
    stepName: 'Batch (test)',
    state: 'PROCESSING',
    startedAt: now,
    updatedAt: now,
    ...over,
  };
}

describe('several windows on one profile', function () {
  this.timeout(60000);
  let api: Api;
  const config = () => vscode.workspace.getConfiguration('docutray');
  const runsDir = () => path.join(api.storageUri.fsPath, 'runs');
  const windowsDir = () => path.join(api.storageUri.fsPath, 'windows');
  const writeRecord = (r: Rec) => {
    fs.mkdirSync(runsDir(), { recursive: true });
    fs.writeFileSync(path.join(runsDir(), `${r.id}.json`), JSON.stringify(r));
  };
  /** Another window, alive: its presence file, with this (live) process's id. */
  const otherWindow = (id: string, showing: string[] = []) => {
    fs.mkdirSync(windowsDir(), { recursive: true });
    const file = path.join(windowsDir(), `${id}.json`);
    fs.writeFileSync(
      file,
      JSON.stringify({ id, pid: process.pid, host: os.hostname(), heartbeatAt: Date.now(), showing }),
    );
    return { file, close: () => fs.rmSync(file, { force: true }) };
  };
  const statusRequestsFor = async (executionId: string) =>
    (await standIn.requests()).filter(r => r.method === 'GET' && r.path.includes(executionId)).length;

  before(async () => {
    api = await activate();
    await standIn.setSteps(TEST_STEPS);
  });
  afterEach(async () => {
    await closeAllEditors();
    for (const key of ['saveResults.mode', 'saveResults.overwrite', 'resultsFolder', 'history.maxRuns', 'openResult']) {
      await config().update(key, undefined, vscode.ConfigurationTarget.Global);
    }
  });

  it('two windows recording runs at the same moment keep every run of both', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'docutray-two-windows-'));
    const channel = vscode.window.createOutputChannel('DocuTray two windows (test)', { log: true });
    const windows = [0, 1].map(() => new RunHistory(vscode.Uri.file(dir), new ScopedLog(channel, 'w'), () => 200));
    const errors: string[] = [];
    const logError = channel.error.bind(channel);
    channel.error = (m: string | Error) => {
      errors.push(String(m));
      logError(m as string);
    };
    try {
      await Promise.all(
        windows.map((w, i) =>
          Promise.all(
            Array.from({ length: 15 }, async (_, n) => {
              const now = Date.now();
              const id = `w${i}-${n}`;
              await w.add({
                id,
                source: workspaceSource(`file:///ws/${id}.pdf`),
                sourceName: `${id}.pdf`,
                stepId: 's',
                stepName: 'S',
                state: 'starting',
                startedAt: now,
                updatedAt: now,
              });
              await w.update(id, { state: 'SUCCESS', executionId: `e-${id}`, finishedAt: Date.now() });
            }),
          ),
        ),
      );
      for (const w of windows) {
        const runs = await w.reload();
        assert.strictEqual(runs.length, 30, 'each window sees the 30 runs of both');
        assert.ok(runs.every(r => r.state === 'SUCCESS'));
      }
      assert.deepStrictEqual(errors, [], 'no "could not save"');
      // Each window's list follows the other's changes without a Refresh.
      const now = Date.now();
      await windows[0].add({
        id: 'late',
        source: workspaceSource('file:///ws/late.pdf'),
        sourceName: 'late.pdf',
        stepId: 's',
        stepName: 'S',
        state: 'SUCCESS',
        startedAt: now,
        updatedAt: now,
      });
      await waitFor(
        'the other window to see the new run',
        async () => (await windows[1].get('late')) ?? undefined,
        15000,
      );
      await windows[1].remove(['w0-0']);
      await waitFor(
        'the other window to see the removal',
        async () => ((await windows[0].get('w0-0')) ? undefined : true),
        15000,
      );
    } finally {
      windows.forEach(w => w.dispose());
      channel.dispose();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('leaves a run in flight to the live window that drives it, and takes it over once that window is gone', async () => {
    await standIn.clearFaults();
    const other = otherWindow('window-alive');
    const executionId = await startElsewhere('it-batch');
    writeRecord(record('owned-1', { executionId, owner: 'window-alive' }));
    writeRecord(record('owned-2', { state: 'starting', owner: 'window-alive', sourceName: 'uploading.pdf' }));
    try {
      const resumed = await vscode.commands.executeCommand<number>('docutray.runs.refresh');
      assert.strictEqual(resumed, 0, 'nothing to resume: a live window drives both');
      await sleep(1500);
      assert.strictEqual(await statusRequestsFor(executionId), 0, "this window never polled the other window's run");
      const runs = await api.runs();
      assert.strictEqual(
        runs.find(r => r.id === 'owned-2')?.state,
        'starting',
        'a run being uploaded by another window is not marked "may have started"',
      );
      assert.strictEqual(
        runs.find(r => r.id === 'owned-1')?.state,
        'PROCESSING',
        "the other window's run is listed here",
      );
    } finally {
      other.close();
    }
    // The window closes: within a heartbeat, this one takes both over.
    const done = await waitFor(
      'the run to be taken over and finished',
      async () => (await api.runs()).find(r => r.id === 'owned-1' && r.state === 'SUCCESS'),
      20000,
    );
    assert.strictEqual(done.executionId, executionId);
    assert.strictEqual((await api.runs()).find(r => r.id === 'owned-2')?.state, 'mayHaveStarted');
  });

  it("a refresh (re-reading every window's runs) during an upload leaves the run this window drives intact", async () => {
    await config().update('openResult', 'none', vscode.ConfigurationTarget.Global);
    const src = await writeWorkspaceFile(
      'refresh/big.pdf',
      Buffer.concat([pdfBytes('refresh'), Buffer.alloc(600 * 1024, 32)]),
    );
    await standIn.addFaults({
      kind: 'throttleBody',
      bytesPerSecond: 300 * 1024,
      count: 1,
      match: { method: 'POST', path: '/api/steps-async/it-fast' },
    });
    const running = run('it-fast', src);
    await waitFor('the run to be uploading', async () =>
      (await api.runs()).find(r => r.sourceName === 'big.pdf' && r.state === 'starting'),
    );
    for (let i = 0; i < 3; i++) {
      await vscode.commands.executeCommand('docutray.runs.refresh');
      await sleep(150);
    }
    const outcome = await running;
    assert.strictEqual(outcome.error, undefined, String(outcome.error));
    assert.ok(outcome.result, 'the run finished with its result');
    fs.rmSync(workspaceFile('refresh').fsPath, { recursive: true, force: true });
  });

  it('a run taken over while its start is on the wire records the execution id when the answer lands', async () => {
    // This window was thought gone while its start was on the wire: another window claimed the run and marked it
    // "may have started". The start is billed; its answer must be read and its id recorded for the new owner to
    // poll, not abandoned when this window learns it lost the run.
    await config().update('openResult', 'none', vscode.ConfigurationTarget.Global);
    const src = await writeWorkspaceFile('onwire/late.pdf', pdfBytes(`onwire-${Date.now()}`));
    const since = (await standIn.requests()).at(-1)?.seq ?? 0;
    await standIn.addFaults({
      kind: 'delay',
      ms: 4000,
      count: 1,
      match: { method: 'POST', path: '/api/steps-async/it-fast' },
    });
    const other = otherWindow('window-that-took-over');
    try {
      const running = run('it-fast', src);
      // On the wire: DocuTray has the request and holds its answer.
      await waitFor('the start to reach the stand-in', async () =>
        (await standIn.requests()).find(
          r => r.seq > since && r.method === 'POST' && (r as { handledStatus?: number }).handledStatus === 202,
        ),
      );
      const mine = (await api.runs()).find(r => r.sourceName === 'late.pdf');
      assert.ok(mine, 'the run is recorded');
      const file = path.join(runsDir(), `${mine.id}.json`);
      const stored = JSON.parse(fs.readFileSync(file, 'utf8'));
      assert.strictEqual(stored.state, 'starting');
      fs.writeFileSync(
        file,
        JSON.stringify({ ...stored, owner: 'window-that-took-over', state: 'mayHaveStarted', updatedAt: Date.now() }),
      );
      // This window reads it now: it has lost the run while the answer is still held.
      await vscode.commands.executeCommand('docutray.runs.refresh');
      const outcome = await running;
      assert.strictEqual(outcome.result, undefined, 'the new owner follows it, not this window');
      const receipt = JSON.parse(fs.readFileSync(`${file}.started`, 'utf8')) as { executionId?: string };
      assert.ok(receipt.executionId, 'the execution id is recorded for the new owner');
      const execution = (await standIn.executions()).find(e => e.id === receipt.executionId);
      assert.ok(execution, `DocuTray has execution ${receipt.executionId}`);
      const merged = (await api.runs()).find(r => r.id === mine.id);
      assert.strictEqual(merged?.executionId, receipt.executionId, 'the run reads with its id: polled, not uncertain');
    } finally {
      other.close();
      fs.rmSync(workspaceFile('onwire').fsPath, { recursive: true, force: true });
    }
  });

  it("saves a run resumed from another window only where its source is: not in this window's folder", async () => {
    await config().update('saveResults.mode', 'folder', vscode.ConfigurationTarget.Global);
    const elsewhere = fs.mkdtempSync(path.join(os.tmpdir(), 'docutray-other-workspace-'));
    const source = vscode.Uri.file(path.join(elsewhere, 'salary.pdf'));
    fs.writeFileSync(source.fsPath, pdfBytes('salary'));
    const executionId = await startElsewhere('it-fast');
    writeRecord(
      record('resumed-elsewhere', {
        executionId,
        owner: 'window-closed',
        source: source.toString(),
        sourceName: 'salary.pdf',
        stepId: 'it-fast',
        stepName: 'Fast (test)',
      }),
    );
    const messages = captureMessages();
    try {
      await vscode.commands.executeCommand('docutray.runs.refresh');
      // No folder of this window holds the source: it waits a grace for a window that does, then takes it.
      await waitFor(
        'the resumed run to finish',
        async () => (await api.runs()).find(r => r.id === 'resumed-elsewhere' && r.state === 'SUCCESS'),
        40000,
      );
      await sleep(500);
    } finally {
      messages.restore();
    }
    assert.strictEqual(
      fs.existsSync(workspaceFile('docutray-results/salary.pdf.it-fast.json').fsPath),
      false,
      "not in this window's folder",
    );
    assert.deepStrictEqual(fs.readdirSync(elsewhere), ['salary.pdf'], 'nor anywhere else');
    fs.rmSync(elsewhere, { recursive: true, force: true });
  });

  it("never writes through a symbolic link at the result's name, nor outside through docutray.resultsFolder", async function () {
    if (process.platform === 'win32') {
      this.skip();
    }
    await config().update('openResult', 'none', vscode.ConfigurationTarget.Global);
    await config().update('saveResults.mode', 'besideSource', vscode.ConfigurationTarget.Global);
    await config().update('saveResults.overwrite', 'overwrite', vscode.ConfigurationTarget.Global);
    const outside = fs.mkdtempSync(path.join(os.tmpdir(), 'docutray-outside-'));
    const victim = path.join(outside, 'elsewhere.json');
    fs.writeFileSync(victim, 'not yours');
    const src = await writeWorkspaceFile('linked/inv.pdf', pdfBytes('link'));
    const link = workspaceFile('linked/inv.pdf.it-fast.json').fsPath;
    fs.rmSync(link, { force: true });
    fs.symlinkSync(victim, link);
    const messages = captureMessages();
    try {
      await run('it-fast', src);
      await waitFor(
        'the result saved under another name',
        () => fs.existsSync(workspaceFile('linked/inv.pdf.it-fast (2).json').fsPath) || undefined,
      );
      assert.strictEqual(fs.readFileSync(victim, 'utf8'), 'not yours', 'the link was not followed');
      assert.ok(fs.lstatSync(link).isSymbolicLink(), 'nor replaced');

      await config().update('saveResults.mode', 'folder', vscode.ConfigurationTarget.Global);
      await config().update('resultsFolder', '../escaped', vscode.ConfigurationTarget.Global);
      const parent = path.dirname(workspaceFile('').fsPath);
      await run('it-fast', src);
      await waitFor(
        'a warning that nothing was saved',
        () => messages.shown.some(m => /not saved as a file/.test(m.message)) || undefined,
      );
      assert.strictEqual(fs.existsSync(path.join(parent, 'escaped')), false, 'nothing written outside the workspace');

      // A folder inside the workspace that is a link to outside is refused too.
      fs.symlinkSync(outside, workspaceFile('out-link').fsPath);
      await config().update('resultsFolder', 'out-link/results', vscode.ConfigurationTarget.Global);
      messages.shown.length = 0;
      await run('it-fast', src);
      await waitFor(
        'a warning that nothing was saved',
        () => messages.shown.some(m => /not saved as a file/.test(m.message)) || undefined,
      );
      assert.deepStrictEqual(fs.readdirSync(outside), ['elsewhere.json'], 'nothing created through the link');
    } finally {
      messages.restore();
      fs.rmSync(workspaceFile('out-link').fsPath, { force: true });
      fs.rmSync(workspaceFile('linked').fsPath, { recursive: true, force: true });
      fs.rmSync(outside, { recursive: true, force: true });
    }
  });

  it('the history bound never drops a result a window has open', async () => {
    await config().update('openResult', 'none', vscode.ConfigurationTarget.Global);
    const first = await run('it-fast', workspaceFile('sample.pdf'));
    const shownHere = await run('it-fast', workspaceFile('sample.png'));
    const shownThere = first.result?.executionId as string;
    await vscode.window.showTextDocument(
      await vscode.workspace.openTextDocument(
        vscode.Uri.from({
          scheme: 'docutray-result',
          path: `/${encodeURIComponent(shownHere.result?.executionId as string)}/sample.png.it-fast.json`,
        }),
      ),
    );
    const other = otherWindow('window-showing', [shownThere]);
    try {
      await config().update('history.maxRuns', 1, vscode.ConfigurationTarget.Global);
      await run('it-fast', workspaceFile('photo.jpg'));
      await run('it-fast', workspaceFile('photo.jpg'));
      const ids = (await api.runs()).map(r => r.executionId);
      assert.ok(ids.includes(shownThere), 'kept: another window shows it');
      assert.ok(ids.includes(shownHere.result?.executionId), 'kept: this window shows it');
      assert.ok(
        fs.existsSync(path.join(api.storageUri.fsPath, 'results', `${shownThere}.json`)),
        'with its stored result',
      );
    } finally {
      other.close();
    }
  });

  it('keeps a damaged run record aside as .bad-<time> and names it in a warning', async () => {
    fs.mkdirSync(runsDir(), { recursive: true });
    fs.writeFileSync(path.join(runsDir(), 'damaged.json'), '{"id": "damaged", "sta');
    const messages = captureMessages();
    try {
      await vscode.commands.executeCommand('docutray.runs.refresh');
      const warning = await waitFor('a warning naming the kept file', () =>
        messages.shown.find(m => /damaged\.json\.bad-/.test(m.message)),
      );
      assert.strictEqual(warning.severity, 'warning');
    } finally {
      messages.restore();
    }
    const kept = fs.readdirSync(runsDir()).filter(n => n.startsWith('damaged.json.bad-'));
    assert.strictEqual(kept.length, 1);
    assert.strictEqual(
      fs.readFileSync(path.join(runsDir(), kept[0]), 'utf8'),
      '{"id": "damaged", "sta',
      'the bytes are kept',
    );
    const outcome = await run('it-fast', workspaceFile('sample.pdf'));
    assert.ok(outcome.result, 'runs still work');
  });
});
