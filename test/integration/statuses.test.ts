/**
 * Statuses beyond the reference's four: `completed`/`failed` (step webhook words) end a run; an
 * unknown one is shown in the progress text, logged once, and polled on until the run ends.
 */
import * as assert from 'assert';
import * as vscode from 'vscode';
import type { RunOutcome } from '../../src/runs/runService';
import { patch, readExtensionLog, sleep, standIn, useTestSteps, waitFor, workspaceFile } from './support';

describe('statuses the reference does not list', function () {
  this.timeout(60000);
  useTestSteps();

  it('"completed" ends the run with its result, "failed" as a failed step', async () => {
    await standIn.setSteps([
      {
        id: 'it-webhook-ok',
        name: 'Webhook words',
        enqueuedMs: 20,
        processingMs: 50,
        statusWords: { SUCCESS: 'completed' },
        outcome: { status: 'SUCCESS', data: { ok: 1 } },
      },
      {
        id: 'it-webhook-failed',
        name: 'Webhook words',
        enqueuedMs: 20,
        processingMs: 50,
        statusWords: { ERROR: 'failed' },
        outcome: { status: 'ERROR', error: 'Unreadable scan' },
      },
    ]);
    const restore = patch(vscode.window, 'showErrorMessage', () => Promise.resolve(undefined));
    try {
      const ok = await vscode.commands.executeCommand<RunOutcome[]>('docutray.runStep', {
        stepId: 'it-webhook-ok',
        uris: [workspaceFile('sample.pdf')],
      });
      assert.deepStrictEqual(ok?.[0].result?.data, { ok: 1 });
      const failed = await vscode.commands.executeCommand<RunOutcome[]>('docutray.runStep', {
        stepId: 'it-webhook-failed',
        uris: [workspaceFile('sample.pdf')],
      });
      assert.strictEqual((failed?.[0].error as { kind?: string }).kind, 'stepFailed');
      assert.strictEqual(failed?.[0].run?.state, 'ERROR');
    } finally {
      restore();
    }
  });

  it('an unknown status is shown in the progress text, logged once, and polled on until the end', async () => {
    await standIn.setSteps([
      {
        id: 'it-validating',
        name: 'Validating',
        enqueuedMs: 20,
        processingMs: 2500,
        statusWords: { PROCESSING: 'VALIDATING' },
        outcome: { status: 'SUCCESS', data: { checked: true } },
      },
    ]);
    const stages: string[] = [];
    const restore = patch(
      vscode.window,
      'withProgress',
      (
        options: vscode.ProgressOptions,
        task: (p: vscode.Progress<{ message?: string }>, t: vscode.CancellationToken) => Thenable<unknown>,
      ) =>
        task(
          {
            report: v => {
              if (v.message) {
                stages.push(v.message);
              }
            },
          },
          new vscode.CancellationTokenSource().token,
        ),
    );
    const before = (await standIn.requests()).length;
    try {
      const outcomes = await vscode.commands.executeCommand<RunOutcome[]>('docutray.runStep', {
        stepId: 'it-validating',
        uris: [workspaceFile('sample.pdf')],
      });
      assert.deepStrictEqual(outcomes?.[0].result?.data, { checked: true });
      assert.ok(
        stages.some(s => /VALIDATING/.test(s)),
        JSON.stringify(stages),
      );
      const polls = (await standIn.requests())
        .slice(before)
        .filter(r => r.path.startsWith('/api/steps-async/status/')).length;
      assert.ok(polls > 2, `polled on (${polls} status requests)`);
      await sleep(200);
      const lines = await waitFor('the log line', () => {
        const found = readExtensionLog()
          .split('\n')
          .filter(l => l.includes('"VALIDATING"') && l.includes(outcomes[0].run?.executionId ?? '?'));
        return found.length ? found : undefined;
      });
      assert.strictEqual(lines.length, 1, `logged once: ${lines.join('\n')}`);
    } finally {
      restore();
    }
  });
});
