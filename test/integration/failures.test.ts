/**
 * A single run's failure names its document and its step, and offers the next step where one helps: Rerun
 * with Another Step for the step's own ERROR or a step DocuTray does not know, Show Execution Record for an
 * ERROR. A cancel says what it means for billing and how to fetch the result later.
 */
import * as assert from 'assert';
import * as vscode from 'vscode';
import type { RunOutcome } from '../../src/runs/runService';
import {
  Shown,
  TEST_STEPS,
  activate,
  captureMessages,
  closeAllEditors,
  patch,
  pdfBytes,
  sleep,
  standIn,
  useTestSteps,
  waitFor,
  writeWorkspaceFile,
} from './support';
import { isDeepStrictEqual } from 'node:util';

/** Records every message, answering the first one whose buttons include `answer` with it. */
function answering(answer?: string): { shown: Shown[]; restore: () => void } {
  let answered = false;
  return captureMessages(m => {
    const pick = !answered && answer && m.items.includes(answer) ? answer : undefined;
    answered ||= !!pick;
    return pick;
  });
}

function runStep(stepId: string, uri: vscode.Uri): Thenable<RunOutcome[] | undefined> {
  return vscode.commands.executeCommand<RunOutcome[] | undefined>('docutray.runStep', { stepId, uris: [uri] });
}

/** The one message a run ended with (a skipped-file warning or the like would be a second). */
function theMessage(shown: Shown[]): Shown {
  assert.strictEqual(shown.length, 1, `exactly one message: ${JSON.stringify(shown)}`);
  return shown[0];
}

describe('failures name their document and step, and the next step', function () {
  this.timeout(60000);
  const key = process.env.DOCUTRAY_API_KEY;
  let doc: vscode.Uri;

  const config = () => vscode.workspace.getConfiguration('docutray');
  let steps: unknown;

  useTestSteps();
  before(async () => {
    doc = await writeWorkspaceFile('failures/scan-0042.pdf', pdfBytes(`failures-${Date.now()}`));
    // Steps as a user has them: configured, with names (a step DocuTray does not know keeps its id).
    steps = config().inspect('steps')?.globalValue;
    await config().update(
      'steps',
      TEST_STEPS.map(s => ({ id: s.id, name: s.name })),
      vscode.ConfigurationTarget.Global,
    );
  });
  after(async () => {
    await config().update('steps', steps, vscode.ConfigurationTarget.Global);
  });
  afterEach(async () => {
    process.env.DOCUTRAY_API_KEY = key;
    await standIn.clearFaults();
    await standIn.configure({ maxUploadBytes: 100 * 1024 * 1024 });
    await closeAllEditors();
  });

  async function failWith(stepId: string, answer?: string) {
    const messages = answering(answer);
    try {
      const outcomes = await runStep(stepId, doc);
      await sleep(50); // the message is shown without waiting for the user
      return { outcomes, message: theMessage(messages.shown) };
    } finally {
      messages.restore();
    }
  }

  const cases: Array<{ what: string; step: string; stepName: string; arrange?: () => Promise<unknown> }> = [
    { what: "the step's own ERROR", step: 'it-failing', stepName: 'Failing (test)' },
    { what: 'an unknown step (404)', step: 'no-such-step', stepName: 'no-such-step' },
    {
      what: 'a refused key (401)',
      step: 'it-fast',
      stepName: 'Fast (test)',
      arrange: async () => (process.env.DOCUTRAY_API_KEY = 'dt_wrong_key_0123456789abcdef'),
    },
    {
      what: 'a document too large (413)',
      step: 'it-fast',
      stepName: 'Fast (test)',
      arrange: () => standIn.configure({ maxUploadBytes: 64 }),
    },
    {
      what: 'a start DocuTray could not make (500)',
      step: 'it-fast',
      stepName: 'Fast (test)',
      arrange: () =>
        standIn.addFaults({ kind: 'serverError', notInitiated: true, count: 1, match: { method: 'POST' } }),
    },
  ];
  for (const c of cases) {
    it(`${c.what}: the message names scan-0042.pdf and ${c.stepName}`, async () => {
      await c.arrange?.();
      const { outcomes, message } = await failWith(c.step);
      assert.ok(outcomes?.[0].error, 'the run failed');
      assert.ok(message.message.includes('scan-0042.pdf'), `names the document: ${message.message}`);
      assert.ok(message.message.includes(c.stepName), `names the step: ${message.message}`);
    });
  }

  it("the step's own ERROR: the service's words, Rerun with Another Step and Show Execution Record", async () => {
    const { message } = await failWith('it-failing');
    assert.strictEqual(message.severity, 'error');
    assert.strictEqual(message.message, 'DocuTray: Failing (test) failed on scan-0042.pdf: No invoice found on page 1');
    assert.deepStrictEqual(message.items, ['Rerun with Another Step…', 'Show Execution Record', 'Show Log']);
  });

  it('an unknown step: Rerun with Another Step beside Configure Steps', async () => {
    const { message } = await failWith('no-such-step');
    assert.ok(message.items.includes('Rerun with Another Step…'), JSON.stringify(message.items));
    assert.ok(message.items.includes('Configure Steps'), JSON.stringify(message.items));
  });

  it('a failure another step cannot mend offers no Rerun with Another Step', async () => {
    await standIn.configure({ maxUploadBytes: 64 });
    const { message } = await failWith('it-fast');
    assert.ok(!message.items.includes('Rerun with Another Step…'), JSON.stringify(message.items));
    assert.ok(!message.items.includes('Show Execution Record'), JSON.stringify(message.items));
  });

  it('Rerun with Another Step asks for a step and runs the same document with it', async () => {
    const api = await activate();
    const asked: string[] = [];
    const undo = patch(
      vscode.window,
      'showQuickPick',
      async (
        items: readonly (vscode.QuickPickItem & { step?: { id: string } })[],
        options?: vscode.QuickPickOptions,
      ) => {
        asked.push(options?.title ?? '');
        return (await items).find(i => i.step?.id === 'it-fast');
      },
    );
    try {
      const before = (await api.runs()).length;
      const { outcomes } = await failWith('it-failing', 'Rerun with Another Step…');
      const rerun = await waitFor(
        'the rerun',
        async () =>
          (await api.runs()).find(
            r =>
              r.stepId === 'it-fast' && r.state === 'SUCCESS' && isDeepStrictEqual(r.source, outcomes?.[0].run?.source),
          ),
        20000,
      );
      assert.ok((await api.runs()).length > before);
      assert.deepStrictEqual(asked, ['Rerun scan-0042.pdf with another step']);
      assert.strictEqual(rerun.sourceName, 'scan-0042.pdf');
    } finally {
      undo();
    }
  });

  it('Show Execution Record opens the ERROR execution DocuTray kept', async () => {
    const { outcomes } = await failWith('it-failing', 'Show Execution Record');
    const executionId = outcomes?.[0].run?.executionId;
    assert.ok(executionId);
    const record = await waitFor('the execution record', () => {
      const e = vscode.window.activeTextEditor;
      return e?.document.uri.path.endsWith('.execution.json') ? e : undefined;
    });
    assert.strictEqual(record.document.uri.path, '/scan-0042.pdf · Failing (test).execution.json');
    const parsed = JSON.parse(record.document.getText());
    assert.strictEqual(parsed.executionId, executionId);
    assert.strictEqual(parsed.execution.status, 'ERROR');
  });

  it('a cancel while DocuTray processes: it may still finish and bill it; Check Execution fetches it later', async () => {
    const messages = answering('Check Execution');
    try {
      const since = Date.now();
      const pending = runStep('it-slow', doc);
      const execution = await waitFor('the execution', async () =>
        (await standIn.executions()).find(e => e.stepId === 'it-slow' && e.createdAt >= since),
      );
      await waitFor('a status request', async () =>
        (await standIn.requests()).some(r => r.path === `/api/steps-async/status/${execution.id}`),
      );
      await vscode.commands.executeCommand('docutray.cancelRuns');
      const [outcome] = (await pending) ?? [];
      assert.strictEqual(outcome.run?.state, 'cancelled');
      const m = await waitFor('the message', () => messages.shown.find(s => /cancelled/.test(s.message)));
      assert.strictEqual(m.severity, 'info');
      assert.ok(m.message.includes('Slow (test)') && m.message.includes('scan-0042.pdf'), m.message);
      assert.match(m.message, /may still finish it, and bill it/);
      assert.match(m.message, /Check Execution fetches its result later/);
      assert.ok(m.message.includes(execution.id), 'names the execution');
      assert.deepStrictEqual(m.items, ['Check Execution']);
      // The button checks that same execution again: a status request, never a second start.
      const posts = (await standIn.requests()).filter(r => r.method === 'POST').length;
      const polls = (await standIn.requests()).filter(r => r.path.endsWith(execution.id)).length;
      await waitFor(
        'the execution checked again',
        async () => (await standIn.requests()).filter(r => r.path.endsWith(execution.id)).length > polls,
      );
      assert.strictEqual((await standIn.requests()).filter(r => r.method === 'POST').length, posts, 'nothing started');
      await vscode.commands.executeCommand('docutray.cancelRuns');
    } finally {
      messages.restore();
    }
  });

  it('a cancel before DocuTray had the whole document: nothing started, nothing billed', async () => {
    // Larger than what loopback socket buffers can absorb, so the upload is really in progress at the cancel.
    const big = Buffer.alloc(24 * 1024 * 1024, 0x20);
    pdfBytes(`failures-big-${Date.now()}`).copy(big);
    const uri = await writeWorkspaceFile('failures/large.pdf', big);
    await standIn.addFaults({
      kind: 'throttleBody',
      bytesPerSecond: 256 * 1024,
      count: 1,
      match: { method: 'POST', path: '/api/steps-async/it-fast' },
    });
    const messages = answering();
    try {
      const pending = runStep('it-fast', uri);
      await sleep(1500);
      await vscode.commands.executeCommand('docutray.cancelRuns');
      const [outcome] = (await pending) ?? [];
      assert.strictEqual(outcome.run?.state, 'cancelled');
      const m = await waitFor('the message', () => messages.shown.find(s => /cancelled/.test(s.message)));
      assert.strictEqual(m.severity, 'info');
      assert.ok(m.message.includes('Fast (test)') && m.message.includes('large.pdf'), m.message);
      assert.strictEqual(outcome.run?.executionId, undefined, 'DocuTray gave no execution');
      assert.match(m.message, /nothing started, nothing is billed/);
    } finally {
      messages.restore();
    }
  });
});
