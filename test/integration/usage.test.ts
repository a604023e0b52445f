/**
 * This month's usage (GET /api/usage) where a user looks for it: the line above the Runs view's runs
 * (fetched when the view is shown and this window has no figures, and again after a run or a batch
 * ends) and the status-bar item's tooltip while it shows; fetched once per batch, never as a run.
 */
import * as assert from 'assert';
import * as vscode from 'vscode';
import type { RunOutcome } from '../../src/runs/runService';
import {
  activate,
  answerMessages,
  patch,
  pdfBytes,
  standIn,
  standInUrl,
  useTestSteps,
  waitFor,
  workspaceFile,
  writeWorkspaceFile,
} from './support';

interface UsageAnswer {
  successful_pages: number;
  year: number;
  month: number;
}

/** This month's figures as the stand-in answers them now (this request is not the extension's). */
async function usageNow(): Promise<UsageAnswer> {
  const res = await fetch(`${standInUrl()}/api/usage`, {
    headers: { authorization: `Bearer ${process.env.DOCUTRAY_API_KEY}` },
  });
  return res.json() as Promise<UsageAnswer>;
}

/** The line the extension shows for these figures: "November 2026: 1,234 pages processed". */
function usageLine(u: UsageAnswer): string {
  const month = new Intl.DateTimeFormat(vscode.env.language, {
    month: 'long',
    year: 'numeric',
    timeZone: 'UTC',
  }).format(Date.UTC(u.year, u.month - 1, 1));
  return `${month}: ${new Intl.NumberFormat(vscode.env.language).format(u.successful_pages)} pages processed`;
}

/** The extension's own GET /api/usage requests since the stand-in's request number `since`. */
async function usageGets(since: number) {
  return (await standIn.requests())
    .slice(since)
    .filter(
      r => r.method === 'GET' && r.path === '/api/usage' && /^docutray-vscode\//.test(r.headers['user-agent'] ?? ''),
    );
}

describe("this month's usage", function () {
  this.timeout(60000);
  useTestSteps();

  it('appears in the status-bar tooltip and above the runs after a batch, from one GET /api/usage, counting the batch', async () => {
    const api = await activate();
    const files = await Promise.all(
      [1, 2, 3].map(i => writeWorkspaceFile(`usage/doc-${i}.pdf`, pdfBytes(`usage-${i}-${Date.now()}`))),
    );
    const before = (await standIn.requests()).length;
    const runsBefore = (await api.runs()).length;
    // Several documents ask first, in pages: answered as a person would.
    const answers = answerMessages(message => (/^Run .*\? 3 documents/.test(message) ? 'Run' : undefined));
    let outcomes: RunOutcome[] | undefined;
    try {
      outcomes = await vscode.commands.executeCommand<RunOutcome[]>('docutray.runStep', {
        stepId: 'it-fast',
        uris: files,
      });
    } finally {
      answers.restore();
    }
    assert.ok(
      answers.shown.some(m => m.modal && /^Run .*\? 3 documents/.test(m.message)),
      JSON.stringify(answers.shown),
    );
    assert.strictEqual(outcomes?.filter(o => o.result).length, 3);
    // Shown now, the view has the figures the batch's end fetched (or is fetching): no second request.
    await vscode.commands.executeCommand('docutray.runs.focus');
    // The stand-in counts every execution that succeeded this month: these three included.
    const line = usageLine(await usageNow());
    await waitFor(
      `"${line}" in the tooltip (it shows ${JSON.stringify(api.status().tooltip)})`,
      () => api.status().tooltip.includes(line) || undefined,
    );
    await waitFor(
      `"${line}" above the runs (the view shows ${JSON.stringify(api.runsMessage())})`,
      () => api.runsMessage() === line || undefined,
    );
    assert.strictEqual((await usageGets(before)).length, 1, 'one usage request for the batch of three');
    assert.strictEqual((await api.runs()).length, runsBefore + 3, 'the usage request is not a run');
  });

  it('is fetched when the Runs view is shown and this window has no figures; a key removed takes them away', async () => {
    const api = await activate();
    const key = process.env.DOCUTRAY_API_KEY;
    assert.ok(key);
    await vscode.commands.executeCommand('docutray.runs.focus');
    await vscode.commands.executeCommand<RunOutcome[]>('docutray.runStep', {
      stepId: 'it-fast',
      uris: [workspaceFile('sample.pdf')],
    });
    await waitFor('the usage line above the runs', () => api.runsMessage());
    // A stored key, then none: the figures belonged to it and go with it.
    delete process.env.DOCUTRAY_API_KEY;
    const undo = [
      patch(vscode.window, 'showInputBox', () => Promise.resolve(key)),
      patch(vscode.window, 'showInformationMessage', () => Promise.resolve(undefined)),
    ];
    try {
      assert.strictEqual(await vscode.commands.executeCommand('docutray.setApiKey'), true);
      await vscode.commands.executeCommand('docutray.clearApiKey');
      await waitFor(
        `no usage line once the key is gone (the view shows ${JSON.stringify(api.runsMessage())})`,
        () => api.runsMessage() === undefined || undefined,
      );
    } finally {
      undo.forEach(u => u());
      process.env.DOCUTRAY_API_KEY = key;
    }
    // The view hidden, then shown again: this window has no figures, so showing it fetches them.
    await vscode.commands.executeCommand('workbench.view.explorer');
    const before = (await standIn.requests()).length;
    await vscode.commands.executeCommand('docutray.runs.focus');
    const line = usageLine(await usageNow());
    await waitFor(
      `"${line}" above the runs once the view is shown (it shows ${JSON.stringify(api.runsMessage())})`,
      async () => ((await usageGets(before)).length > 0 && api.runsMessage() === line) || undefined,
    );
    assert.strictEqual((await usageGets(before)).length, 1, 'one usage request when the view is shown');
    assert.ok((await api.runs()).length > 0, 'the view lists runs (an empty view shows its welcome instead)');
  });
});
