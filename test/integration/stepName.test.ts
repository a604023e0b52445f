/**
 * DocuTray names the step in every start answer (`step_name`): the run and its result keep that name
 * (and show it for a step id typed by hand, which has no other), and a step id typed by hand is
 * offered, with one button, for docutray.steps under that name.
 */
import * as assert from 'assert';
import * as vscode from 'vscode';
import type { RunOutcome } from '../../src/runs/runService';
import { activate, patch, standIn, useTestSteps, waitFor, workspaceFile } from './support';

const HAND_TYPED = 'cm5vm9hx30001m5cgh0p9v8qa';

describe('the step name DocuTray gives', function () {
  this.timeout(60000);
  useTestSteps();

  it('shows it on the run and the result, and offers to add a hand-typed id under it', async () => {
    const api = await activate();
    await standIn.setSteps([
      {
        id: HAND_TYPED,
        name: 'Invoice Processing',
        enqueuedMs: 20,
        processingMs: 50,
        outcome: { status: 'SUCCESS', data: { ok: true } },
      },
    ]);
    const config = vscode.workspace.getConfiguration('docutray');
    const original = config.inspect('steps')?.globalValue;
    const offers: Array<{ message: string; items: string[] }> = [];
    const restore = patch(vscode.window, 'showInformationMessage', (message: string, ...items: unknown[]) => {
      const titles = items.filter((i): i is string => typeof i === 'string');
      offers.push({ message, items: titles });
      return Promise.resolve(/DocuTray calls step/.test(message) ? titles[0] : undefined);
    });
    try {
      const outcomes = await vscode.commands.executeCommand<RunOutcome[]>('docutray.runStep', {
        stepId: HAND_TYPED,
        uris: [workspaceFile('sample.pdf')],
      });
      assert.ok(outcomes?.[0].result, 'the run succeeded');
      assert.strictEqual(outcomes[0].result.stepName, 'Invoice Processing', "the result carries the service's name");
      const run = (await api.runs()).find(r => r.id === outcomes[0].run?.id);
      assert.strictEqual(run?.stepName, 'Invoice Processing', 'the run record too');
      const saved = await waitFor('the step saved in docutray.steps', () =>
        (vscode.workspace.getConfiguration('docutray').get<Array<{ id: string; name: string }>>('steps') ?? []).find(
          s => s.id === HAND_TYPED,
        ),
      );
      assert.strictEqual(saved.name, 'Invoice Processing');
      const offer = offers.find(o => /DocuTray calls step/.test(o.message));
      assert.ok(offer, JSON.stringify(offers));
      assert.deepStrictEqual(offer.items, ['Add to My Steps'], 'one click');

      assert.strictEqual((run as { serviceStepName?: string }).serviceStepName, 'Invoice Processing');

      // A configured step keeps the name the user picked it by; DocuTray's is kept beside it.
      const configured = await vscode.commands.executeCommand<RunOutcome[]>('docutray.runStep', {
        stepId: 'example-receipt',
        uris: [workspaceFile('sample.pdf')],
      });
      assert.strictEqual(configured?.[0].result?.stepName, 'Receipt (example)');
      assert.strictEqual(configured[0].result.serviceStepName, 'Example: receipt extraction');

      // Configured now: no second offer.
      offers.length = 0;
      await vscode.commands.executeCommand('docutray.runStep', {
        stepId: HAND_TYPED,
        uris: [workspaceFile('sample.pdf')],
      });
      assert.ok(!offers.some(o => /DocuTray calls step/.test(o.message)), JSON.stringify(offers));
    } finally {
      restore();
      await config.update('steps', original, vscode.ConfigurationTarget.Global);
    }
  });
});
