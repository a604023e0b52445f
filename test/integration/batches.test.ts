/**
 * Batches (issue 14) in the real extension host against the stand-in: a folder run that leaves out
 * files.exclude, docutray.batch.exclude and non-documents; skip what is done (skip / always / ask);
 * the Runs view's batch node; and a batch resumed after a "reload" (a stored batch whose window is
 * gone) that sends nothing twice and loses nothing.
 */
import * as assert from 'assert';
import * as vscode from 'vscode';
import {
  Api,
  LoggedRequest,
  Shown,
  activate,
  closeAllEditors,
  patch,
  sha256,
  standIn,
  standInUrl,
  useTestSteps,
  waitFor,
  workspaceFile,
  writeWorkspaceFile,
} from './support';

interface BatchFileInfo {
  uri: string;
  label?: string;
  state: string;
  executionId?: string;
  runId?: string;
  reusedExecutionId?: string;
}
interface BatchInfo {
  id: string;
  stepId: string;
  files: BatchFileInfo[];
  cancelledAt?: number;
}
type TreeApi = Api & {
  runsTree: {
    getChildren(e?: unknown): Promise<unknown[]>;
    getTreeItem(e: unknown): vscode.TreeItem | Thenable<vscode.TreeItem>;
  };
};

const FOLDER = 'batch-it';
const RESUME_FOLDER = 'batch-resume-it';

/** Answers modals by their message (returns the button `answer` gives), records every message. */
function answerMessages(answer: (message: string, items: string[]) => string | undefined): {
  shown: Shown[];
  restore: () => void;
} {
  const shown: Shown[] = [];
  const fake =
    (severity: Shown['severity']) =>
    (message: string, ...rest: unknown[]) => {
      const items = rest.filter((r): r is string => typeof r === 'string');
      shown.push({ severity, message, items });
      return Promise.resolve(answer(message, items));
    };
  const undo = [
    patch(vscode.window, 'showErrorMessage', fake('error')),
    patch(vscode.window, 'showWarningMessage', fake('warning')),
    patch(vscode.window, 'showInformationMessage', fake('info')),
  ];
  return { shown, restore: () => undo.forEach(u => u()) };
}

/** The confirmation ("Run … on N documents?") answered Run; the skip question answered `skip`. */
function confirming(skipAnswer?: 'Skip' | 'Process Again') {
  return answerMessages((message, items) => {
    if (/^Run .* on \d+ documents\?/.test(message)) {
      return items.includes('Run') ? 'Run' : undefined;
    }
    if (/already processed by this step/.test(message)) {
      return skipAnswer;
    }
    return undefined;
  });
}

async function pdfVariant(name: string, tag: string): Promise<vscode.Uri> {
  const bytes = await vscode.workspace.fs.readFile(workspaceFile('sample.pdf'));
  // Bytes after %%EOF: still a valid PDF, with its own hash.
  return writeWorkspaceFile(name, Buffer.concat([Buffer.from(bytes), Buffer.from(`\n% ${tag}\n`, 'latin1')]));
}

async function pngVariant(name: string, tag: string): Promise<vscode.Uri> {
  const bytes = await vscode.workspace.fs.readFile(workspaceFile('sample.png'));
  return writeWorkspaceFile(name, Buffer.concat([Buffer.from(bytes), Buffer.from(tag, 'latin1')]));
}

async function removeFolder(name: string): Promise<void> {
  await Promise.resolve(vscode.workspace.fs.delete(workspaceFile(name), { recursive: true, useTrash: false })).catch(
    () => undefined,
  );
}

function postsSince(all: LoggedRequest[], seq: number): LoggedRequest[] {
  return all.filter(r => r.seq > seq && r.method === 'POST' && r.path.startsWith('/api/steps-async/'));
}

async function lastSeq(): Promise<number> {
  return (await standIn.requests()).at(-1)?.seq ?? 0;
}

async function runFolder(folder: vscode.Uri, stepId = 'it-fast'): Promise<BatchInfo | undefined> {
  return vscode.commands.executeCommand<BatchInfo | undefined>('docutray.runStep', { stepId, folder });
}

/** The fixture folder run with `docutray.batch.reprocess` set: the batch, what was shown, and the last request before it. */
async function runFixtureFolder(
  reprocess: 'ask' | 'skip' | 'always',
  skipAnswer?: 'Skip' | 'Process Again',
): Promise<{ batch: BatchInfo; shown: Shown[]; seq: number }> {
  await vscode.workspace
    .getConfiguration()
    .update('docutray.batch.reprocess', reprocess, vscode.ConfigurationTarget.Workspace);
  const seq = await lastSeq();
  const answers = confirming(skipAnswer);
  try {
    const batch = await runFolder(workspaceFile(FOLDER));
    assert.ok(batch, 'the command returned the batch');
    return { batch, shown: answers.shown, seq };
  } finally {
    answers.restore();
  }
}

describe('batches', function () {
  this.timeout(90000);
  useTestSteps();
  let api: TreeApi;
  const config = () => vscode.workspace.getConfiguration();

  before(async () => {
    api = (await activate()) as TreeApi;
    await removeFolder(FOLDER);
    await pdfVariant(`${FOLDER}/a.pdf`, 'a');
    await pngVariant(`${FOLDER}/b.png`, 'b');
    await pdfVariant(`${FOLDER}/sub/c.PDF`, 'c');
    await pdfVariant(`${FOLDER}/hidden/d.pdf`, 'd'); // files.exclude
    await pdfVariant(`${FOLDER}/skipme/e.pdf`, 'e'); // docutray.batch.exclude
    await pdfVariant(`${FOLDER}/node_modules/f.pdf`, 'f'); // docutray.batch.exclude
    await writeWorkspaceFile(`${FOLDER}/notes.txt`, 'not a document');
    await config().update(
      'files.exclude',
      { [`**/${FOLDER}/hidden`]: true, '**/never-there': false },
      vscode.ConfigurationTarget.Workspace,
    );
    await config().update(
      'docutray.batch.exclude',
      ['**/node_modules/**', `**/${FOLDER}/skipme/**`],
      vscode.ConfigurationTarget.Workspace,
    );
  });

  after(async () => {
    await config().update('files.exclude', undefined, vscode.ConfigurationTarget.Workspace);
    await config().update('docutray.batch.exclude', undefined, vscode.ConfigurationTarget.Workspace);
    await config().update('docutray.batch.reprocess', undefined, vscode.ConfigurationTarget.Workspace);
    await removeFolder(FOLDER);
    await removeFolder(RESUME_FOLDER);
    await closeAllEditors();
  });

  const expected = [`${FOLDER}/a.pdf`, `${FOLDER}/b.png`, `${FOLDER}/sub/c.PDF`];
  let firstBatch: BatchInfo;
  let resumed: { id: string; uris: Record<string, vscode.Uri> } | undefined;

  it('runs a folder: every document once, leaving out files.exclude, docutray.batch.exclude and non-documents', async () => {
    const { batch, shown, seq } = await runFixtureFolder('always');
    assert.deepStrictEqual(batch.files.map(f => f.label).sort(), [...expected].sort());
    const confirm = shown.find(m => /^Run .* on 3 documents\?/.test(m.message));
    assert.ok(confirm, `the confirmation names 3 documents: ${JSON.stringify(shown)}`);
    assert.match(confirm.message, /About 7 requests/);
    assert.deepStrictEqual(
      batch.files.map(f => f.state),
      ['succeeded', 'succeeded', 'succeeded'],
    );
    const posts = postsSince(await standIn.requests(), seq);
    const sent = posts.map(p => p.multipart?.files[0]?.filename).sort();
    assert.deepStrictEqual(sent, ['a.pdf', 'b.png', 'c.PDF'], 'each document started exactly once');
    for (const p of posts) {
      const name = p.multipart?.files[0]?.filename as string;
      const rel = expected.find(e => e.endsWith(`/${name}`)) as string;
      const bytes = await vscode.workspace.fs.readFile(workspaceFile(rel));
      assert.strictEqual(p.multipart?.files[0]?.sha256, sha256(bytes), `${name} sent whole`);
    }
    // One summary at the end, naming no failure.
    const summary = shown.filter(m => /finished on 3 documents/.test(m.message));
    assert.strictEqual(summary.length, 1, JSON.stringify(shown));
    // Each file's run is recorded, with the batch id, the document's hash and DocuTray's duration.
    const runs = (await api.runs()) as unknown as Array<{
      batchId?: string;
      sha256?: string;
      state: string;
      durationMs?: number;
      executionId?: string;
    }>;
    const mine = runs.filter(r => r.batchId === batch.id);
    assert.strictEqual(mine.length, 3);
    assert.ok(mine.every(r => r.state === 'SUCCESS' && /^[0-9a-f]{64}$/.test(r.sha256 ?? '')));
    assert.ok(
      mine.every(r => typeof r.durationMs === 'number'),
      'durations kept for the planner',
    );
    firstBatch = batch;
  });

  it('shows the batch as one node in the Runs view, its runs under it', async () => {
    assert.ok(firstBatch, 'the folder run ran');
    const top = await api.runsTree.getChildren();
    const node = top.find(n => (n as { kind?: string; batch?: BatchInfo }).batch?.id === firstBatch.id) as
      { kind: string; batch: BatchInfo } | undefined;
    assert.ok(node, 'a batch node at the top');
    assert.strictEqual(node.kind, 'batch');
    const item = await api.runsTree.getTreeItem(node);
    assert.strictEqual(item.label, 'it-fast');
    assert.match(String(item.description), /^3 of 3 done$/);
    assert.match(item.contextValue ?? '', /\bbatch\b/);
    assert.match(item.contextValue ?? '', /\bfinished\b/);
    assert.ok(
      !top.some(n => (n as { batchId?: string }).batchId === firstBatch.id),
      "the batch's runs are not at the top level",
    );
    const children = (await api.runsTree.getChildren(node)) as Array<{ id: string; state: string; batchId: string }>;
    assert.strictEqual(children.length, 3);
    assert.ok(children.every(c => c.batchId === firstBatch.id && c.state === 'SUCCESS' && 'id' in c));
    const childItem = await api.runsTree.getTreeItem(children[0]);
    assert.match(childItem.contextValue ?? '', /\brun\b.*\bresult\b/);
  });

  it('skips what this step already processed with reprocess: skip, and the skipped files say "reused"', async () => {
    const { batch, seq } = await runFixtureFolder('skip');
    assert.deepStrictEqual(
      batch.files.map(f => f.state),
      ['skipped', 'skipped', 'skipped'],
    );
    assert.deepStrictEqual(postsSince(await standIn.requests(), seq), [], 'nothing started');
    const executions = new Set(firstBatch.files.map(f => f.executionId));
    assert.ok(batch.files.every(f => f.reusedExecutionId && executions.has(f.reusedExecutionId)));
    const top = await api.runsTree.getChildren();
    const node = top.find(n => (n as { batch?: BatchInfo }).batch?.id === batch.id);
    assert.ok(node);
    const children = await api.runsTree.getChildren(node);
    assert.strictEqual(children.length, 3);
    for (const c of children) {
      const item = await api.runsTree.getTreeItem(c);
      assert.match(String(item.description), /^reused from /);
      assert.strictEqual(item.command?.command, 'docutray.runs.openResult', 'opens the earlier result');
    }
    // Opening a reused file opens the earlier result.
    const first = await api.runsTree.getTreeItem(children[0]);
    await vscode.commands.executeCommand(first.command?.command as string, ...(first.command?.arguments ?? []));
    const editor = await waitFor('the reused result', () => {
      const e = vscode.window.activeTextEditor;
      return e?.document.uri.scheme === 'docutray-result' ? e : undefined;
    });
    const opened = /([^/]+)\.json$/.exec(editor.document.uri.path)?.[1] ?? '';
    assert.deepStrictEqual(
      JSON.parse(editor.document.getText()),
      { invoice_number: 'INV-IT-1', total: 42.5, currency: 'EUR', vendor: { name: 'Ñandú S.A.' } },
      `the earlier result opened (${opened})`,
    );
  });

  it('runs everything again with reprocess: always', async () => {
    const { batch, seq, shown } = await runFixtureFolder('always');
    assert.ok(batch.files.every(f => f.state === 'succeeded'));
    assert.strictEqual(postsSince(await standIn.requests(), seq).length, 3);
    assert.ok(!shown.some(m => /already processed/.test(m.message)), 'not asked');
  });

  it('asks with reprocess: ask — Skip reuses, Process Again starts', async () => {
    await config().update('docutray.batch.reprocess', 'ask', vscode.ConfigurationTarget.Workspace);
    let seq = await lastSeq();
    let answers = confirming('Skip');
    try {
      const batch = await runFolder(workspaceFile(FOLDER));
      assert.ok(batch);
      assert.ok(batch.files.every(f => f.state === 'skipped'));
    } finally {
      answers.restore();
    }
    const asked = answers.shown.find(m => /already processed/.test(m.message));
    assert.ok(asked);
    assert.strictEqual(asked.message, '3 of 3 were already processed by this step — skip them?');
    assert.deepStrictEqual(asked.items, ['Skip', 'Process Again']);
    assert.strictEqual(postsSince(await standIn.requests(), seq).length, 0);

    seq = await lastSeq();
    answers = confirming('Process Again');
    try {
      const batch = await runFolder(workspaceFile(FOLDER));
      assert.ok(batch);
      assert.ok(batch.files.every(f => f.state === 'succeeded'));
    } finally {
      answers.restore();
    }
    assert.strictEqual(postsSince(await standIn.requests(), seq).length, 3);
  });

  it('Cancel Batch stops it: nothing more is sent or polled, its files say cancelled, and Resume is offered', async () => {
    const folder = `${FOLDER}-cancel`;
    await removeFolder(folder);
    try {
      await pdfVariant(`${folder}/s1.pdf`, `cancel-1-${Date.now()}`);
      await pdfVariant(`${folder}/s2.pdf`, `cancel-2-${Date.now()}`);
      const answers = confirming();
      let batch: BatchInfo | undefined;
      try {
        const pending = runFolder(workspaceFile(folder), 'it-slow');
        const node = await waitFor(
          'the running batch node with both files started',
          async () => {
            for (const n of await api.runsTree.getChildren()) {
              const b = (n as { batch?: BatchInfo }).batch;
              if (b?.stepId === 'it-slow' && b.files.every(f => f.state === 'waiting')) {
                const item = await api.runsTree.getTreeItem(n);
                return /\brunning\b/.test(item.contextValue ?? '') ? n : undefined;
              }
            }
            return undefined;
          },
          20000,
        );
        await vscode.commands.executeCommand('docutray.batches.cancel', node);
        batch = await pending;
      } finally {
        answers.restore();
      }
      assert.ok(batch);
      assert.ok(batch.cancelledAt, 'cancelled');
      assert.deepStrictEqual(
        batch.files.map(f => f.state),
        ['cancelled', 'cancelled'],
      );
      assert.ok(
        batch.files.every(f => f.executionId),
        'their execution ids are kept (a resume polls them)',
      );
      const seq = await lastSeq();
      await new Promise(r => setTimeout(r, 1500));
      const after = (await standIn.requests()).filter(r => r.seq > seq && r.path.startsWith('/api/steps-async/'));
      assert.deepStrictEqual(after, [], 'nothing sent or polled after the cancel');
      const summary = answers.shown.find(m => /cancelled, 0 of 2 done/.test(m.message));
      assert.ok(summary, JSON.stringify(answers.shown));
      assert.ok(summary.items.includes('Resume'));
      const runs = (await api.runs()).filter(r => (r as unknown as { batchId?: string }).batchId === batch?.id);
      assert.deepStrictEqual(
        runs.map(r => r.state),
        ['cancelled', 'cancelled'],
      );
      const node = (await api.runsTree.getChildren()).find(n => (n as { batch?: BatchInfo }).batch?.id === batch?.id);
      const item = await api.runsTree.getTreeItem(node);
      assert.match(item.contextValue ?? '', /\bbatch\b.*\bcancelled\b.*\bresumable\b/);
    } finally {
      await removeFolder(folder);
    }
  });

  it('resumes a batch after a reload: sends the unsent, polls the started, lists the uncertain, sends nothing twice', async () => {
    await removeFolder(RESUME_FOLDER);
    // r1, r2: the batch file (written debounced) still says pending, but their runs were written before
    // their starts left: r1 was starting (uncertain), r2 had started (polled).
    const names = ['p1.pdf', 'p2.pdf', 'u1.pdf', 'u2.pdf', 'w1.pdf', 'w2.pdf', 'r1.pdf', 'r2.pdf'];
    const uris: Record<string, vscode.Uri> = {};
    for (const n of names) {
      uris[n] = await pdfVariant(`${RESUME_FOLDER}/${n}`, `resume-${n}`);
    }
    // Two documents started directly on DocuTray: the batch's record knows their execution ids.
    const started: Record<string, string> = {};
    for (const n of ['w1.pdf', 'w2.pdf', 'r2.pdf']) {
      const form = new FormData();
      const bytes = await vscode.workspace.fs.readFile(uris[n]);
      form.append('image', new Blob([Buffer.from(bytes)], { type: 'application/pdf' }), n);
      const res = await fetch(`${standInUrl()}/api/steps-async/it-batch`, {
        method: 'POST',
        headers: { authorization: `Bearer ${process.env.DOCUTRAY_API_KEY}` },
        body: form,
      });
      assert.ok(res.ok, `direct start: ${res.status}`);
      const body = (await res.json()) as { execution_id?: string; id?: string };
      started[n] = (body.execution_id ?? body.id) as string;
      assert.ok(started[n], JSON.stringify(body));
    }
    const seq = await lastSeq();
    const now = Date.now();
    const gone = 'window-that-reloaded';
    const batchId = `batch_it_resume_${now.toString(36)}`;
    const runId = (n: string) => `run-it-resume-${now}-${n.replace('.pdf', '')}`;
    const run = (n: string, state: string, executionId?: string) => ({
      id: runId(n),
      source: uris[n].toString(),
      sourceName: n,
      stepId: 'it-batch',
      stepName: 'Batch (test)',
      state,
      startedAt: now - 1000,
      updatedAt: now - 1000,
      owner: gone,
      batchId,
      ...(executionId ? { executionId } : {}),
    });
    const batch = {
      version: 1,
      id: batchId,
      stepId: 'it-batch',
      stepName: 'Batch (test)',
      createdAt: now - 2000,
      startedAt: now - 1000,
      owner: gone,
      files: [
        { uri: uris['p1.pdf'].toString(), label: `${RESUME_FOLDER}/p1.pdf`, state: 'pending' },
        { uri: uris['p2.pdf'].toString(), label: `${RESUME_FOLDER}/p2.pdf`, state: 'pending' },
        ...['u1.pdf', 'u2.pdf'].map(n => ({
          uri: uris[n].toString(),
          label: `${RESUME_FOLDER}/${n}`,
          state: 'uploading',
          runId: runId(n),
          startedAt: now - 1000,
        })),
        ...['w1.pdf', 'w2.pdf'].map(n => ({
          uri: uris[n].toString(),
          label: `${RESUME_FOLDER}/${n}`,
          state: 'waiting',
          runId: runId(n),
          executionId: started[n],
          startedAt: now - 1000,
        })),
        ...['r1.pdf', 'r2.pdf'].map(n => ({
          uri: uris[n].toString(),
          label: `${RESUME_FOLDER}/${n}`,
          state: 'pending',
        })),
      ],
    };
    const storage = api.storageUri;
    const write = (path: string, value: unknown) =>
      vscode.workspace.fs.writeFile(vscode.Uri.joinPath(storage, path), Buffer.from(JSON.stringify(value), 'utf8'));
    await write(`runs/${runId('u1.pdf')}.json`, run('u1.pdf', 'starting'));
    await write(`runs/${runId('u2.pdf')}.json`, run('u2.pdf', 'starting'));
    await write(`runs/${runId('r1.pdf')}.json`, run('r1.pdf', 'starting'));
    await write(`runs/${runId('r2.pdf')}.json`, run('r2.pdf', 'ENQUEUED', started['r2.pdf']));
    await write(`runs/${runId('w1.pdf')}.json`, run('w1.pdf', 'ENQUEUED', started['w1.pdf']));
    await write(`runs/${runId('w2.pdf')}.json`, run('w2.pdf', 'ENQUEUED', started['w2.pdf']));
    await write(`batches/${batchId}.json`, batch);

    const messages = answerMessages(() => undefined);
    try {
      // What activation does when it finds a batch alive (and what Refresh does): take over and resume.
      await vscode.commands.executeCommand('docutray.runs.refresh');
      const stored = await waitFor(
        'the resumed batch to end',
        async () => {
          const text = Buffer.from(
            await vscode.workspace.fs.readFile(vscode.Uri.joinPath(storage, `batches/${batchId}.json`)),
          ).toString('utf8');
          const b = JSON.parse(text) as BatchInfo & { owner?: string };
          return b.files.every(f => ['succeeded', 'failed', 'uncertain'].includes(f.state)) ? b : undefined;
        },
        45000,
      );
      const state = (n: string) => stored.files.find(f => f.uri === uris[n].toString())?.state;
      assert.strictEqual(state('p1.pdf'), 'succeeded');
      assert.strictEqual(state('p2.pdf'), 'succeeded');
      assert.strictEqual(state('w1.pdf'), 'succeeded');
      assert.strictEqual(state('w2.pdf'), 'succeeded');
      assert.strictEqual(state('u1.pdf'), 'uncertain', 'a start that may have happened is not sent again');
      assert.strictEqual(state('u2.pdf'), 'uncertain');
      assert.strictEqual(state('r1.pdf'), 'uncertain', 'its run was starting: not sent again');
      assert.strictEqual(state('r2.pdf'), 'succeeded', 'its run had an execution: polled');
      assert.notStrictEqual(stored.owner, gone, 'this window took it over');

      // Nothing sent twice: only the two unsent documents were started, once each.
      const requests = await standIn.requests();
      const posts = postsSince(requests, seq).map(p => p.multipart?.files[0]?.filename);
      assert.deepStrictEqual(posts.sort(), ['p1.pdf', 'p2.pdf']);
      // The started ones were polled (not started again).
      for (const n of ['w1.pdf', 'w2.pdf', 'r2.pdf']) {
        assert.ok(
          requests.some(r => r.seq > seq && r.method === 'GET' && r.path.endsWith(`/status/${started[n]}`)),
          `${n} polled`,
        );
      }
      // Nothing lost: each file's run ended; the uncertain one is listed for the user.
      await waitFor('the runs to be recorded', async () => {
        const runs = (await api.runs()).filter(r => (r as unknown as { batchId?: string }).batchId === batchId);
        return runs.length === 8 && runs.filter(r => r.state === 'SUCCESS').length === 5 ? runs : undefined;
      });
      const runs = (await api.runs()).filter(r => (r as unknown as { batchId?: string }).batchId === batchId);
      assert.strictEqual(runs.find(r => r.sourceName === 'u1.pdf')?.state, 'mayHaveStarted');
      assert.strictEqual(runs.find(r => r.sourceName === 'u2.pdf')?.state, 'mayHaveStarted');
      const listed = messages.shown.find(m => m.severity === 'warning' && m.message.includes('u1.pdf'));
      assert.ok(listed, `the uncertain file is listed: ${JSON.stringify(messages.shown)}`);
      assert.ok(
        listed.items.every(i => !/send|start|retry/i.test(i)),
        `no one-click resend: ${listed.items.join(', ')}`,
      );
      // A second resume (another reload) sends nothing more.
      const seq2 = await lastSeq();
      await vscode.commands.executeCommand('docutray.runs.refresh');
      await new Promise(r => setTimeout(r, 1500));
      assert.deepStrictEqual(postsSince(await standIn.requests(), seq2), []);
      resumed = { id: batchId, uris };
    } finally {
      messages.restore();
    }
  });

  it('Resume Batch asks about each uncertain file: the one picked is sent once, the others are marked failed', async () => {
    assert.ok(resumed, 'the resume test ran');
    const { id, uris } = resumed;
    const node = (await api.runsTree.getChildren()).find(n => (n as { batch?: BatchInfo }).batch?.id === id);
    assert.ok(node, 'the batch node');
    const before = await api.runsTree.getTreeItem(node);
    assert.match(before.contextValue ?? '', /\bbatch\b.*\bresumable\b/, 'uncertain files left: resumable');
    const seq = await lastSeq();
    const picks: string[][] = [];
    const undo = patch(vscode.window, 'showQuickPick', (items: Array<{ label: string }>) => {
      picks.push(items.map(i => i.label));
      return Promise.resolve(items.filter(i => i.label.endsWith('u1.pdf')));
    });
    const messages = answerMessages(() => undefined);
    try {
      await vscode.commands.executeCommand('docutray.batches.resume', node);
      const stored = await waitFor(
        'u1 to run and u2 to be dismissed',
        async () => {
          const text = Buffer.from(
            await vscode.workspace.fs.readFile(vscode.Uri.joinPath(api.storageUri, `batches/${id}.json`)),
          ).toString('utf8');
          const b = JSON.parse(text) as BatchInfo;
          const st = (n: string) => b.files.find(f => f.uri === uris[n].toString())?.state;
          return st('u1.pdf') === 'succeeded' && st('u2.pdf') === 'failed' && st('r1.pdf') === 'failed' ? b : undefined;
        },
        30000,
      );
      assert.ok(stored.files.every(f => f.state === 'succeeded' || f.state === 'failed'));
    } finally {
      undo();
      messages.restore();
    }
    assert.deepStrictEqual(
      picks,
      [[`${RESUME_FOLDER}/u1.pdf`, `${RESUME_FOLDER}/u2.pdf`, `${RESUME_FOLDER}/r1.pdf`]],
      'each offered, once',
    );
    const posts = postsSince(await standIn.requests(), seq).map(p => p.multipart?.files[0]?.filename);
    assert.deepStrictEqual(posts, ['u1.pdf'], 'only the picked one was sent, once');
    const after = await api.runsTree.getTreeItem(
      (await api.runsTree.getChildren()).find(n => (n as { batch?: BatchInfo }).batch?.id === id),
    );
    assert.match(after.contextValue ?? '', /\bfinished\b/);
  });
  it('Retry Failed in the summary runs the failed files again as a new batch, each once more', async () => {
    const folder = 'batch-retry-it';
    await removeFolder(folder);
    await pdfVariant(`${folder}/f1.pdf`, 'retry-1');
    await pdfVariant(`${folder}/f2.pdf`, 'retry-2');
    const seq = await lastSeq();
    let retried = 0;
    const answers = answerMessages((message, items) => {
      if (/^Run .* on \d+ documents\?/.test(message)) {
        return 'Run';
      }
      if (/Failed: /.test(message) && items.includes('Retry Failed') && retried++ === 0) {
        return 'Retry Failed';
      }
      return undefined;
    });
    try {
      const first = await runFolder(workspaceFile(folder), 'it-failing');
      assert.deepStrictEqual(
        first?.files.map(f => f.state),
        ['failed', 'failed'],
      );
      // The retry is a batch of its own: wait for its summary.
      await waitFor(
        'the retried batch to end',
        () => answers.shown.filter(m => /Failed: /.test(m.message)).length >= 2 || undefined,
        30000,
      );
    } finally {
      answers.restore();
      await removeFolder(folder);
    }
    const summaries = answers.shown.filter(m => /Failed: /.test(m.message));
    assert.ok(summaries[0].items.includes('Retry Failed'), JSON.stringify(summaries[0]));
    const sent = postsSince(await standIn.requests(), seq).map(p => p.multipart?.files[0]?.filename);
    assert.deepStrictEqual(sent.sort(), ['f1.pdf', 'f1.pdf', 'f2.pdf', 'f2.pdf'], 'each started once per batch');
    const batches = (await api.runsTree.getChildren()).filter(n => (n as { kind?: string }).kind === 'batch');
    const forStep = batches.filter(n => (n as { batch: BatchInfo }).batch.stepId === 'it-failing');
    assert.ok(forStep.length >= 2, 'two batches in the Runs view');
  });
  it("shows another window's batch as it writes it, and drops it when that window removes it", async () => {
    const id = `batch_other_${Date.now().toString(36)}`;
    const file = vscode.Uri.joinPath(api.storageUri, 'batches', `${id}.json`);
    const other = {
      version: 1,
      id,
      stepId: 'it-fast',
      stepName: 'Fast (other window)',
      createdAt: Date.now(),
      startedAt: Date.now(),
      endedAt: Date.now(),
      owner: 'another-window',
      files: [
        { uri: workspaceFile('sample.pdf').toString(), label: 'sample.pdf', state: 'succeeded', endedAt: Date.now() },
      ],
    };
    const shown = async () =>
      (await api.runsTree.getChildren()).some(n => (n as { batch?: BatchInfo }).batch?.id === id);
    await vscode.workspace.fs.writeFile(file, Buffer.from(JSON.stringify(other), 'utf8'));
    try {
      await waitFor("the other window's batch in the Runs view", async () => (await shown()) || undefined, 10000);
    } finally {
      await vscode.workspace.fs.delete(file);
    }
    await waitFor('the batch to leave the Runs view', async () => !(await shown()) || undefined, 10000);
  });
});
