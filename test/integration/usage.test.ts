/**
 * This month's usage (GET /api/usage) where a user looks for it: after a run or a batch ends, the
 * status-bar item's tooltip (and the Runs view's description) show the pages processed, with the
 * month; fetched once per batch, never as a run.
 */
import * as assert from 'assert';
import * as vscode from 'vscode';
import type { RunOutcome } from '../../src/runs/runService';
import { activate, pdfBytes, standIn, standInUrl, useTestSteps, waitFor, writeWorkspaceFile } from './support';

describe("this month's usage", function () {
  this.timeout(60000);
  useTestSteps();

  it('appears in the status-bar tooltip after a batch, from one GET /api/usage, counting the batch', async () => {
    const api = await activate();
    const files = await Promise.all(
      [1, 2, 3].map(i => writeWorkspaceFile(`usage/doc-${i}.pdf`, pdfBytes(`usage-${i}-${Date.now()}`))),
    );
    const usage = async () =>
      (
        await fetch(`${standInUrl()}/api/usage`, {
          headers: { authorization: `Bearer ${process.env.DOCUTRAY_API_KEY}` },
        })
      ).json() as Promise<{ successful_pages: number; year: number; month: number }>;
    const before = (await standIn.requests()).length;
    const runsBefore = (await api.runs()).length;
    const outcomes = await vscode.commands.executeCommand<RunOutcome[]>('docutray.runStep', {
      stepId: 'it-fast',
      uris: files,
    });
    assert.strictEqual(outcomes?.filter(o => o.result).length, 3);
    // The stand-in counts every execution that succeeded this month: these three included.
    const expected = await usage();
    const month = new Intl.DateTimeFormat(vscode.env.language, {
      month: 'long',
      year: 'numeric',
      timeZone: 'UTC',
    }).format(Date.UTC(expected.year, expected.month - 1, 1));
    const pages = new Intl.NumberFormat(vscode.env.language).format(expected.successful_pages);
    await waitFor(
      `"${month}: ${pages} pages processed" in the tooltip (it shows ${JSON.stringify(api.status().tooltip)})`,
      () => api.status().tooltip.includes(`${month}: ${pages} pages processed`) || undefined,
    );
    // The extension's own requests (this test's check above is not one).
    const gets = (await standIn.requests())
      .slice(before)
      .filter(
        r => r.method === 'GET' && r.path === '/api/usage' && /^docutray-vscode\//.test(r.headers['user-agent'] ?? ''),
      );
    assert.strictEqual(gets.length, 1, 'one usage request for the batch of three');
    assert.strictEqual((await api.runs()).length, runsBefore + 3, 'the usage request is not a run');
  });
});
