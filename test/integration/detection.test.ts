/**
 * A single run's detection delay when DocuTray sends no rate-limit headers on ordinary answers, in the
 * real extension host: the request budget stays at its default (it is never told the limit), and a
 * person's runs in a row must still be polled on the fast schedule, not paced at the default's one
 * request every 2 s. Measured on the stand-in's side: its completion of each job, the status requests
 * it saw, and the one that told the extension.
 */
import * as assert from 'assert';
import * as vscode from 'vscode';
import type { RunOutcome } from '../../src/runs/runService';
import { ADAPTIVE_SCHEDULE, nextPollDelay } from '../../src/core/polling/schedule';
import { TEST_STEPS, closeAllEditors, standIn, useTestSteps, workspaceFile } from './support';

/** A one-second job, as in the runs that were seen 1.1–1.3 s late. */
const STEP = { id: 'it-second', name: 'One second (test)', enqueuedMs: 300, processingMs: 700 };
const RUNS = 8;
/**
 * Slack for a loaded machine (the extension host, the stand-in and other tests share two cores) on
 * top of the fast schedule's interval; still half the 2 s a budget pacing at its default would leave.
 */
const SLACK_MS = 600;

describe('single-run detection without rate-limit headers', function () {
  this.timeout(120_000);
  useTestSteps();
  const key = process.env.DOCUTRAY_API_KEY;
  // A key of its own: a new request budget, at its default, with no limit learned for it before.
  const fresh = `dt_detection_${Date.now().toString(36)}_0123456789`;

  let rateLimit: unknown;

  before(async () => {
    await standIn.setSteps([...TEST_STEPS, { ...STEP, outcome: { status: 'SUCCESS', data: { ok: true } } }]);
    rateLimit = ((await standIn.configure({})) as { rateLimit?: unknown }).rateLimit;
    // A real limit far above what the runs need, its headers on 429s only.
    await standIn.configure({ apiKeys: [key, fresh], rateLimit: { perMinute: 600, headers: '429' } });
    process.env.DOCUTRAY_API_KEY = fresh;
  });
  after(async () => {
    process.env.DOCUTRAY_API_KEY = key;
    await standIn.configure({ apiKeys: [key], rateLimit: rateLimit ?? false });
    await standIn.setSteps(TEST_STEPS);
    await closeAllEditors();
  });

  it('runs one after another are each polled on the fast schedule and seen soon after the stand-in completes them', async () => {
    const since = Date.now();
    for (let i = 0; i < RUNS; i++) {
      const outcomes = await vscode.commands.executeCommand<RunOutcome[]>('docutray.runStep', {
        stepId: STEP.id,
        uris: [workspaceFile('sample.pdf')],
      });
      assert.ok(outcomes?.[0]?.result, `run ${i + 1} succeeded: ${String(outcomes?.[0]?.error)}`);
    }
    const requests = (await standIn.requests()).filter(
      r => r.time >= since && r.headers['authorization'] === `Bearer ${fresh}`,
    );
    assert.ok(!requests.some(r => r.status === 429), 'no request was refused');
    // No ordinary answer told the budget anything: this is the budget at its default.
    const executions = (await standIn.executions()).filter(e => e.createdAt >= since && e.stepId === STEP.id);
    assert.strictEqual(executions.length, RUNS);
    const report: string[] = [];
    let slow = 0;
    for (const e of executions) {
      assert.ok(e.completedAt !== undefined && e.terminalServedAt !== undefined, `${e.id} completed and was seen`);
      const polls = requests
        .filter(r => r.method === 'GET' && r.path === `/api/steps-async/status/${e.id}`)
        .map(r => r.time)
        .sort((a, b) => a - b);
      // Every interval between two polls, and from the completion to the poll that saw it, against the
      // fast schedule's interval at that point of the run.
      const gaps = polls.slice(1).map((t, i) => ({
        gap: t - polls[i],
        allowed: nextPollDelay(ADAPTIVE_SCHEDULE, polls[i] - e.createdAt) + SLACK_MS,
      }));
      const seenAfter = e.terminalServedAt - e.completedAt;
      const seenAllowed = nextPollDelay(ADAPTIVE_SCHEDULE, e.completedAt - e.createdAt) + SLACK_MS;
      if (gaps.some(g => g.gap > g.allowed) || seenAfter > seenAllowed) {
        slow++;
      }
      report.push(`${e.id}: polls ${gaps.map(g => g.gap).join('/')} ms apart, seen ${seenAfter} ms after completion`);
    }
    assert.strictEqual(slow, 0, `runs polled slower than the fast schedule:\n${report.join('\n')}`);
  });

  it('once the step`s durations are known, each later run is looked at around its end: at most 3 status polls', async () => {
    // An Invoice-like 1.8 s job: the fast schedule alone polls it 7 or 8 times.
    const invoice = { id: 'it-invoice', name: 'Invoice (test)', enqueuedMs: 300, processingMs: 1500 };
    await standIn.setSteps([
      ...TEST_STEPS,
      { ...STEP, outcome: { status: 'SUCCESS', data: { ok: true } } },
      { ...invoice, outcome: { status: 'SUCCESS', data: { total: 1 } } },
    ]);
    const since = Date.now();
    for (let i = 0; i < 5; i++) {
      const outcomes = await vscode.commands.executeCommand<RunOutcome[]>('docutray.runStep', {
        stepId: invoice.id,
        uris: [workspaceFile('sample.pdf')],
      });
      assert.ok(outcomes?.[0]?.result, `run ${i + 1} succeeded: ${String(outcomes?.[0]?.error)}`);
    }
    const requests = (await standIn.requests()).filter(
      r => r.time >= since && r.headers['authorization'] === `Bearer ${fresh}`,
    );
    const executions = (await standIn.executions())
      .filter(e => e.createdAt >= since && e.stepId === invoice.id)
      .sort((a, b) => a.createdAt - b.createdAt);
    assert.strictEqual(executions.length, 5);
    const polls = executions.map(
      e => requests.filter(r => r.method === 'GET' && r.path === `/api/steps-async/status/${e.id}`).length,
    );
    // The first run knows nothing of the step yet: the fast schedule, more than 3 looks.
    assert.ok(polls[0] > 3, `the first run was polled ${polls.join(', ')} times`);
    assert.ok(
      polls.slice(1).every(p => p >= 1 && p <= 3),
      `runs after the first were polled ${polls.join(', ')} times (at most 3 each)`,
    );
  });
});
