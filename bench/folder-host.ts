/**
 * `npm run bench:folder`: a folder run of 1,000 documents in a real VS Code extension host (the
 * integration harness runs this file instead of the test suite), against the stand-in with a limit
 * high enough that the extension, not the limit, sets the pace. It prints what a user would feel:
 * how long until the confirmation, hashing, the whole batch, how late the extension host's event loop
 * ran meanwhile (a timer every 20 ms), the host's heap, and what the stand-in saw (starts per
 * document, 429s). Numbers only; nothing is asserted about time.
 */
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { activate, patch, pdfBytes, standIn, workspaceFile, writeWorkspaceFile } from '../test/integration/support';

const DOCS = Number(process.env.DOCUTRAY_BENCH_DOCS) || 1000;
const FOLDER = 'bench-folder';
const STEP = 'bench-fast';

export async function run(): Promise<void> {
  await activate();
  await standIn.setSteps([
    {
      id: STEP,
      name: 'Fast (bench)',
      enqueuedMs: 20,
      processingMs: 80,
      outcome: { status: 'SUCCESS', data: { ok: true } },
    },
  ]);
  await standIn.configure({ rateLimit: { perMinute: 100_000 } });
  const config = vscode.workspace.getConfiguration('docutray');
  await config.update('batch.reprocess', 'always', vscode.ConfigurationTarget.Global);
  await config.update('history.maxRuns', DOCS + 100, vscode.ConfigurationTarget.Global);

  const t = process.hrtime.bigint;
  const ms = (a: bigint, b: bigint) => Number(b - a) / 1e6;
  const made = t();
  for (let i = 0; i < DOCS; i++) {
    await writeWorkspaceFile(`${FOLDER}/${String(i).padStart(4, '0')}.pdf`, pdfBytes(`bench ${i} ${Date.now()}`));
  }
  const writtenMs = ms(made, t());

  // The event loop: a 20 ms timer, and how late each tick came.
  const lags: number[] = [];
  let heapPeak = 0;
  let expected = Date.now() + 20;
  const timer = setInterval(() => {
    const now = Date.now();
    lags.push(Math.max(0, now - expected));
    expected = now + 20;
    heapPeak = Math.max(heapPeak, process.memoryUsage().heapUsed);
  }, 20);

  let askedAt: bigint | undefined;
  const undo = patch(vscode.window, 'showInformationMessage', (message: string, ...rest: unknown[]) => {
    if (/documents\?/.test(message)) {
      askedAt ??= t();
      return Promise.resolve(rest.find(r => typeof r === 'string')); // the modal's "Run"
    }
    return Promise.resolve(undefined);
  });
  const before = (await standIn.requests()).at(-1)?.seq ?? 0;
  const heapBefore = process.memoryUsage().heapUsed;
  const t0 = t();
  let batch: { id: string } | undefined;
  try {
    batch = await vscode.commands.executeCommand('docutray.runStep', { stepId: STEP, folder: workspaceFile(FOLDER) });
  } finally {
    undo();
    clearInterval(timer);
  }
  const wallMs = ms(t0, t());
  const requests = (await standIn.requests()).filter(r => r.seq > before);
  const starts = requests.filter(r => r.method === 'POST' && r.path.startsWith('/api/steps-async/'));
  const refused = requests.filter(r => r.status === 429).length;
  const perDoc = await standIn.starts();
  const api = vscode.extensions.getExtension<{ runs(): Promise<{ batchId?: string; state: string }[]> }>(
    'docutray-community.docutray-steps',
  )?.exports;
  const done = ((await api?.runs()) ?? []).filter(r => r.batchId === batch?.id && r.state === 'SUCCESS').length;
  lags.sort((a, b) => a - b);
  const pct = (p: number) => lags[Math.min(lags.length - 1, Math.floor((p / 100) * lags.length))] ?? 0;
  const lines = [
    `folder run of ${DOCS} documents (${Math.round(writtenMs)} ms to write them), step "${STEP}" (~0.1 s jobs), stand-in limit 100,000/min`,
    `  until the confirmation: ${askedAt ? Math.round(ms(t0, askedAt)) : '?'} ms (findFiles with the exclude glob)`,
    `  whole batch: ${(wallMs / 1000).toFixed(1)} s; ${done} of ${DOCS} succeeded`,
    `  requests: ${requests.length} (${starts.length} starts, ${(requests.length / DOCS).toFixed(2)} per document), 429s: ${refused}, documents started twice: ${perDoc.filter(s => s.count > 1).length}`,
    `  event-loop lag (20 ms timer): median ${pct(50)} ms, p99 ${pct(99)} ms, max ${lags.at(-1) ?? 0} ms over ${lags.length} ticks`,
    `  extension-host heap: ${(heapBefore / 2 ** 20).toFixed(1)} MB before, peak ${(heapPeak / 2 ** 20).toFixed(1)} MB during`,
  ];
  console.log(lines.join('\n'));
  assert.equal(done, DOCS, 'every document ran (a bench that did not finish measures nothing)');
  await vscode.workspace.fs.delete(workspaceFile(FOLDER), { recursive: true, useTrash: false });
}
