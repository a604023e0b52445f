/**
 * Batches in the real extension host against the stand-in: a folder run that leaves out what files.exclude
 * and docutray.batch.exclude name (braces included) and non-documents, after one question that counts what
 * it sends; the Runs view's batch node; skip what is done; Cancel and Resume; a batch resumed after a
 * "reload" (a stored batch whose window is gone) that sends nothing twice and loses nothing; Review…;
 * Retry Failed only where a retry helps; a status 403 that ends a batch; a document that may have started,
 * through every button; a batch file that lists a document twice; and a start prepared here, then lost with
 * its batch before it was sent, handed back as not sent.
 */
import * as assert from 'assert';
import * as os from 'os';
import * as vscode from 'vscode';
import {
  EXTENSION_ID,
  Api,
  LoggedRequest,
  RunInfo,
  Shown,
  activate,
  answerMessages,
  captureMessages,
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

interface DocInfo {
  uri: string;
  label?: string;
  runId: string;
  reused?: { executionId: string };
}
interface BatchInfo {
  id: string;
  stepId: string;
  documents: DocInfo[];
  cancelledAt?: number;
  owner?: string;
}
type Run = RunInfo & { batchId?: string; sha256?: string; durationMs?: number; error?: { kind: string } };
type TreeApi = Api & {
  runsTree: {
    getChildren(e?: unknown): Promise<unknown[]>;
    getTreeItem(e: unknown): vscode.TreeItem | Thenable<vscode.TreeItem>;
  };
};

const FOLDER = 'batch-it';
/** What a folder batch is named by: the folder, workspace-relative (after the workspace folder's name when there are several). */
const folderName = (f: string) => `(?:[^/]+/)?${f}/`;

/** The one question before a folder run, answered: Run, or (when some were processed) `skipAnswer`. */
function confirming(skipAnswer: 'skip' | 'all' = 'skip') {
  return answerMessages((message, items) => {
    if (/^Run .* on .*\? \d+ documents?/.test(message)) {
      return items.find(i => (skipAnswer === 'skip' ? /^Skip Them/.test(i) : /^Process All/.test(i))) ?? 'Run';
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

const sentNames = async (seq: number) =>
  postsSince(await standIn.requests(), seq).map(p => p.multipart?.files[0]?.filename as string);

async function lastSeq(): Promise<number> {
  return (await standIn.requests()).at(-1)?.seq ?? 0;
}

async function runFolder(folder: vscode.Uri, stepId = 'it-fast'): Promise<BatchInfo | undefined> {
  return vscode.commands.executeCommand<BatchInfo | undefined>('docutray.runStep', { stepId, folder });
}

describe('batches', function () {
  this.timeout(90000);
  useTestSteps();
  let api: TreeApi;
  const config = () => vscode.workspace.getConfiguration();
  const runsOf = async (batch: { id: string }) => ((await api.runs()) as Run[]).filter(r => r.batchId === batch.id);
  /** Each document's state: its run's, `skipped` or `pending` (the one vocabulary). */
  const statesOf = async (batch: BatchInfo) => {
    const runs = (await api.runs()) as Run[];
    return batch.documents.map(d => (d.reused ? 'skipped' : (runs.find(r => r.id === d.runId)?.state ?? 'pending')));
  };
  const nodeOf = async (id: string) =>
    (await api.runsTree.getChildren()).find(n => (n as { batch?: BatchInfo }).batch?.id === id);
  const storedBatch = async (id: string) =>
    JSON.parse(
      Buffer.from(
        await vscode.workspace.fs.readFile(vscode.Uri.joinPath(api.storageUri, `batches/${id}.json`)),
      ).toString('utf8'),
    ) as BatchInfo;

  /** The fixture folder run with `docutray.batch.reprocess` set. */
  async function runFixtureFolder(
    reprocess: 'ask' | 'skip' | 'always',
    skipAnswer: 'skip' | 'all' = 'skip',
  ): Promise<{ batch: BatchInfo | undefined; shown: Shown[]; seq: number }> {
    await config().update('docutray.batch.reprocess', reprocess, vscode.ConfigurationTarget.Workspace);
    const seq = await lastSeq();
    const answers = confirming(skipAnswer);
    try {
      return { batch: await runFolder(workspaceFile(FOLDER)), shown: answers.shown, seq };
    } finally {
      answers.restore();
    }
  }

  before(async () => {
    api = (await activate()) as TreeApi;
    await removeFolder(FOLDER);
    await pdfVariant(`${FOLDER}/a.pdf`, 'a');
    await pngVariant(`${FOLDER}/b.png`, 'b');
    await pdfVariant(`${FOLDER}/sub/c.PDF`, 'c');
    await pdfVariant(`${FOLDER}/hidden/d.pdf`, 'd'); // files.exclude
    await pdfVariant(`${FOLDER}/skipme/e.pdf`, 'e'); // docutray.batch.exclude
    await pdfVariant(`${FOLDER}/node_modules/f.pdf`, 'f'); // docutray.batch.exclude
    await pdfVariant(`${FOLDER}/g.bak.pdf`, 'g'); // docutray.batch.exclude, a pattern with braces
    await pdfVariant(`${FOLDER}/h.old.pdf`, 'h'); // the same pattern's other branch
    await writeWorkspaceFile(`${FOLDER}/notes.txt`, 'not a document');
    await config().update(
      'files.exclude',
      { [`**/${FOLDER}/hidden`]: true, '**/never-there': false },
      vscode.ConfigurationTarget.Workspace,
    );
    await config().update(
      'docutray.batch.exclude',
      ['**/node_modules/**', `**/${FOLDER}/skipme/**`, '**/*.{bak,old}.pdf'],
      vscode.ConfigurationTarget.Workspace,
    );
  });

  after(async () => {
    await config().update('files.exclude', undefined, vscode.ConfigurationTarget.Workspace);
    await config().update('docutray.batch.exclude', undefined, vscode.ConfigurationTarget.Workspace);
    await config().update('docutray.batch.reprocess', undefined, vscode.ConfigurationTarget.Workspace);
    await removeFolder(FOLDER);
    await closeAllEditors();
  });

  const expected = [`${FOLDER}/a.pdf`, `${FOLDER}/b.png`, `${FOLDER}/sub/c.PDF`];
  let firstBatch: BatchInfo;

  it('runs a folder after one question: every document once, leaving out every exclude pattern and non-documents', async () => {
    const { batch, shown, seq } = await runFixtureFolder('always');
    assert.ok(batch, 'the command returned the batch');
    assert.deepStrictEqual(batch.documents.map(d => d.label).sort(), [...expected].sort());
    const questions = shown.filter(m => /^Run /.test(m.message));
    assert.strictEqual(questions.length, 1, `one question: ${JSON.stringify(shown)}`);
    assert.match(
      questions[0].message,
      new RegExp(`^Run it-fast on ${folderName(FOLDER)}\\? 3 documents: DocuTray bills 3 pages\\.$`),
    );
    assert.deepStrictEqual(await statesOf(batch), ['SUCCESS', 'SUCCESS', 'SUCCESS']);
    const posts = postsSince(await standIn.requests(), seq);
    assert.deepStrictEqual(
      posts.map(p => p.multipart?.files[0]?.filename).sort(),
      ['a.pdf', 'b.png', 'c.PDF'],
      'each document started exactly once; the excluded ones (braces included) never',
    );
    for (const p of posts) {
      const name = p.multipart?.files[0]?.filename as string;
      const rel = expected.find(e => e.endsWith(`/${name}`)) as string;
      const bytes = await vscode.workspace.fs.readFile(workspaceFile(rel));
      assert.strictEqual(p.multipart?.files[0]?.sha256, sha256(bytes), `${name} sent whole`);
    }
    const summary = shown.filter(m =>
      new RegExp(`finished on ${folderName(FOLDER)} \\(3 documents\\)`).test(m.message),
    );
    assert.strictEqual(summary.length, 1, JSON.stringify(shown));
    // Each document's run is its state: the batch id, the hash of the bytes sent, DocuTray's duration.
    const runs = await runsOf(batch);
    assert.strictEqual(runs.length, 3);
    for (const r of runs) {
      const rel = expected.find(e => e.endsWith(`/${r.sourceName.split('/').pop()}`)) as string;
      const bytes = await vscode.workspace.fs.readFile(workspaceFile(rel));
      assert.strictEqual(r.sha256, sha256(bytes), 'the hash is of what was uploaded');
      assert.strictEqual(typeof r.durationMs, 'number');
    }
    firstBatch = batch;
  });

  it('shows the batch as one node named by its folder, its runs under it', async () => {
    assert.ok(firstBatch, 'the folder run ran');
    const top = await api.runsTree.getChildren();
    const node = await nodeOf(firstBatch.id);
    assert.ok(node, 'a batch node at the top');
    const item = await api.runsTree.getTreeItem(node);
    // What tells batches apart first: the folder, then how it stands; its time and step after.
    assert.match(String(item.label), new RegExp(`^${folderName(FOLDER)}$`));
    assert.match(String(item.description), /^3 of 3 succeeded · [^·]+ · it-fast$/);
    assert.match(item.contextValue ?? '', /\bbatch\b.*\bfinished\b/);
    assert.match(item.contextValue ?? '', /\bfolder\b/);
    const tooltip = (item.tooltip as vscode.MarkdownString).value;
    assert.match(tooltip, /Started/);
    assert.match(tooltip, /Ended/);
    // Inside a code span a backslash escape shows as a backslash: ids are shown as they are.
    assert.ok(!/`[^`]*\\[^`]*`/.test(tooltip), `no escapes shown as text: ${tooltip}`);
    assert.match(tooltip, /`it-fast`/);
    assert.match(
      tooltip.replace(/\\([^\w\s])/g, '$1'),
      new RegExp(`Folder: ${folderName(FOLDER)}`),
      'the folder in the tooltip',
    );
    assert.ok(
      !top.some(n => (n as { batchId?: string }).batchId === firstBatch.id),
      "the batch's runs are not at the top level",
    );
    const children = (await api.runsTree.getChildren(node)) as Run[];
    assert.strictEqual(children.length, 3);
    assert.ok(children.every(c => c.batchId === firstBatch.id && c.state === 'SUCCESS'));
    const childItem = await api.runsTree.getTreeItem(children[0]);
    assert.match(childItem.contextValue ?? '', /\brun\b.*\bresult\b/);
    // Remove is not offered on a batch's own run (it goes with its batch), as the manifest's menu says.
    const removeWhen = (
      vscode.extensions.getExtension(EXTENSION_ID)?.packageJSON as {
        contributes: { menus: Record<string, { command: string; when?: string }[]> };
      }
    ).contributes.menus['view/item/context'].find(m => m.command === 'docutray.runs.remove')?.when;
    const excluded = /!\(viewItem =~ \/(.+?)\/\)/.exec(removeWhen ?? '')?.[1];
    assert.ok(excluded && new RegExp(excluded).test(childItem.contextValue ?? ''), `Remove hidden: ${removeWhen}`);
    // Under the batch, a run shows only what differs: its path inside the folder, its state, its time.
    const childRows = await Promise.all(children.map(async c => api.runsTree.getTreeItem(c)));
    assert.deepStrictEqual(childRows.map(i => String(i.label)).sort(), ['a.pdf', 'b.png', 'sub/c.PDF']);
    for (const [i, row] of childRows.entries()) {
      assert.match(String(row.description), /^succeeded in \d+(\.\d+)? (ms|s) · [^·]+$/, 'no step, no folder');
      // As the hover shows it: Markdown's backslash escapes taken off.
      const tip = (row.tooltip as vscode.MarkdownString).value.replace(/\\([^\w\s])/g, '$1');
      // The tooltip keeps what the row leaves to its parent: the whole name, the folder, the step, the times.
      assert.ok(tip.includes(children[i].sourceName), tip);
      assert.match(tip, new RegExp(`Folder: ${folderName(FOLDER)}`));
      assert.match(tip, /it-fast/);
      assert.match(tip, /Started: .+\n\nEnded: .+\n\nTook on DocuTray: /);
    }
  });

  it('a running batch refreshes its own row, not the whole list, so every row keeps its handle', async () => {
    // VS Code forgets every row's handle while the whole list refreshes; a command picked from a row's menu in
    // that moment gets no row ("Open as Grid" on a batch whose count just changed). A batch's count or state
    // changes its row alone; only rows that come, go or move refresh the list.
    const folder = `${FOLDER}-rows`;
    await removeFolder(folder);
    await pdfVariant(`${folder}/r1.pdf`, `rows-1-${Date.now()}`);
    await pdfVariant(`${folder}/r2.pdf`, `rows-2-${Date.now()}`);
    const events: unknown[] = [];
    const tree = api.runsTree as unknown as { onDidChangeTreeData: vscode.Event<unknown> };
    const subscription = tree.onDidChangeTreeData(e => events.push(e));
    const answers = confirming();
    let pending: Thenable<BatchInfo | undefined> | undefined;
    let node: unknown;
    try {
      pending = runFolder(workspaceFile(folder), 'it-slow');
      node = await waitFor('the running batch with both documents started', async () => {
        for (const n of await api.runsTree.getChildren()) {
          const b = (n as { batch?: BatchInfo }).batch;
          if (b?.stepId === 'it-slow' && (await statesOf(b)).every(s => s === 'ENQUEUED' || s === 'PROCESSING')) {
            return n;
          }
        }
        return undefined;
      });
      // The view has compared its rows since the batch's row came: from here on the row only changes its look.
      await api.runsCompared();
      const since = events.length;
      await vscode.commands.executeCommand('docutray.batches.cancel', node);
      const batch = await pending;
      pending = undefined;
      assert.ok(batch);
      assert.match(String((await api.runsTree.getTreeItem(node)).description), /cancelled/);
      await api.runsCompared();
      const after = events.slice(since);
      const kinds = after.map(e => (Array.isArray(e) ? `${e.length} row(s)` : 'the whole list'));
      assert.ok(!after.includes(undefined), `no whole-list refresh for a row's change: ${kinds.join(', ')}`);
      assert.ok(
        after.some(e => Array.isArray(e) && e.includes(node)),
        `the batch's row, by the node VS Code holds, was refreshed: ${kinds.join(', ')}`,
      );
    } finally {
      if (pending) {
        // A slow batch left running would be another test's.
        const running = async () =>
          (await api.runsTree.getChildren()).find(n => (n as { batch?: BatchInfo }).batch?.stepId === 'it-slow');
        await vscode.commands.executeCommand('docutray.batches.cancel', node ?? (await running()));
        await pending;
      }
      subscription.dispose();
      answers.restore();
      await removeFolder(folder);
    }
  });

  it('asks one question that counts what it sends: Skip Them reuses, Process All starts', async () => {
    await pdfVariant(`${FOLDER}/new.pdf`, `new-${Date.now()}`);
    try {
      let { batch, shown, seq } = await runFixtureFolder('ask', 'skip');
      assert.ok(batch);
      const asked = shown.filter(m => /^Run /.test(m.message));
      assert.strictEqual(asked.length, 1, `one question: ${JSON.stringify(shown)}`);
      assert.match(
        asked[0].message,
        new RegExp(`^Run it-fast on ${folderName(FOLDER)}\\? 4 documents, 3 already processed`),
      );
      assert.deepStrictEqual(asked[0].items, ['Skip Them (1 to send, 1 page)', 'Process All 4']);
      assert.match(asked[0].detail ?? '', /Processing all: DocuTray bills 4 pages\./);
      assert.deepStrictEqual((await statesOf(batch)).sort(), ['SUCCESS', 'skipped', 'skipped', 'skipped']);
      assert.deepStrictEqual(await sentNames(seq), ['new.pdf']);
      const executions = new Set((await runsOf(firstBatch)).map(r => r.executionId));
      assert.ok(batch.documents.filter(d => d.reused).every(d => executions.has(d.reused?.executionId)));
      const node = await nodeOf(batch.id);
      for (const c of await api.runsTree.getChildren(node)) {
        const item = await api.runsTree.getTreeItem(c);
        if ((c as { kind?: string }).kind === 'reused') {
          assert.match(String(item.description), /^reused from /);
          assert.strictEqual(item.command?.command, 'docutray.runs.openResult', 'opens the earlier result');
        }
      }

      ({ batch, shown, seq } = await runFixtureFolder('ask', 'all'));
      assert.ok(batch);
      assert.deepStrictEqual(await statesOf(batch), ['SUCCESS', 'SUCCESS', 'SUCCESS', 'SUCCESS']);
      assert.strictEqual((await sentNames(seq)).length, 4);
    } finally {
      await removeFolder(`${FOLDER}/new.pdf`);
    }
  });

  it('with everything processed already and reprocess: skip, says so and makes no batch', async () => {
    const before = (await api.runsTree.getChildren()).length;
    const { batch, shown, seq } = await runFixtureFolder('skip');
    assert.strictEqual(batch, undefined);
    assert.ok(
      shown.some(m => /all 3 documents were already processed by it-fast: nothing to send/.test(m.message)),
      JSON.stringify(shown),
    );
    assert.deepStrictEqual(await sentNames(seq), []);
    assert.strictEqual((await api.runsTree.getChildren()).length, before, 'no empty batch');
  });

  it('Cancel Batch stops it: nothing more is sent or polled, started ones keep their ids, Resume is offered', async () => {
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
          'the running batch node with both documents started',
          async () => {
            for (const n of await api.runsTree.getChildren()) {
              const b = (n as { batch?: BatchInfo }).batch;
              if (b?.stepId === 'it-slow' && (await statesOf(b)).every(s => s === 'ENQUEUED' || s === 'PROCESSING')) {
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
      assert.ok((await storedBatch(batch.id)).cancelledAt, 'cancelled');
      const runs = await runsOf(batch);
      assert.deepStrictEqual(
        runs.map(r => r.state),
        ['cancelled', 'cancelled'],
      );
      assert.ok(
        runs.every(r => r.executionId),
        'their execution ids are kept (a resume polls them)',
      );
      const seq = await lastSeq();
      await new Promise(r => setTimeout(r, 1500));
      const after = (await standIn.requests()).filter(r => r.seq > seq && r.path.startsWith('/api/steps-async/'));
      assert.deepStrictEqual(after, [], 'nothing sent or polled after the cancel');
      const summary = answers.shown.find(m => /cancelled, 0 of 2 succeeded/.test(m.message));
      assert.ok(summary, JSON.stringify(answers.shown));
      assert.match(summary.message, /may still finish them \(and bill them\)/, 'says what a cancel means for billing');
      assert.ok(summary.items.includes('Resume'));
      const item = await api.runsTree.getTreeItem(await nodeOf(batch.id));
      assert.match(item.contextValue ?? '', /\bbatch\b.*\bcancelled\b.*\bresumable\b/);
    } finally {
      await removeFolder(folder);
    }
  });

  describe('a batch whose window went away', () => {
    const folder = 'batch-resume-it';
    const names = ['p1.pdf', 'p2.pdf', 'u1.pdf', 'w1.pdf', 'w2.pdf', 'dup.pdf'];
    const uris: Record<string, vscode.Uri> = {};
    let batchId: string;
    const gone = 'window-that-reloaded';

    before(async () => {
      await removeFolder(folder);
      for (const n of names) {
        uris[n] = await pdfVariant(`${folder}/${n}`, `resume-${n}-${Date.now()}`);
      }
    });
    after(() => removeFolder(folder));

    it('resumes after a reload: sends the unsent once, polls the started, never resends the uncertain', async () => {
      // Two documents started directly on DocuTray: their runs know their execution ids.
      const started: Record<string, string> = {};
      for (const n of ['w1.pdf', 'w2.pdf']) {
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
      }
      const seq = await lastSeq();
      const now = Date.now();
      batchId = `batch_it_resume_${now.toString(36)}`;
      const order = ['p1.pdf', 'p2.pdf', 'u1.pdf', 'w1.pdf', 'w2.pdf', 'dup.pdf'];
      const runId = (n: string) => `${batchId}.${order.indexOf(n)}`;
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
      const doc = (n: string) => ({ uri: uris[n].toString(), label: `${folder}/${n}`, runId: runId(n) });
      const batch = {
        version: 2,
        id: batchId,
        stepId: 'it-batch',
        stepName: 'Batch (test)',
        createdAt: now - 2000,
        scope: { kind: 'folder', uri: workspaceFile(folder).toString(), label: `${folder}/` },
        owner: gone,
        // dup.pdf listed twice (a merge gone wrong): it must run once.
        documents: [...order.map(doc), { ...doc('dup.pdf'), runId: `${batchId}.9` }],
      };
      const write = (path: string, value: unknown) =>
        vscode.workspace.fs.writeFile(vscode.Uri.joinPath(api.storageUri, path), Buffer.from(JSON.stringify(value)));
      await write(`runs/${runId('u1.pdf')}.json`, run('u1.pdf', 'starting'));
      await write(`runs/${runId('w1.pdf')}.json`, run('w1.pdf', 'ENQUEUED', started['w1.pdf']));
      // Waiting on DocuTray without its id (a damaged record): may have started, never sent again.
      await write(`runs/${runId('w2.pdf')}.json`, run('w2.pdf', 'PROCESSING'));
      await write(`batches/${batchId}.json`, batch);

      const messages = answerMessages(() => undefined);
      try {
        // What activation does when it finds a batch alive (and what Refresh does): take over and resume.
        // Twice at once (Refresh while the heartbeat resumes): one drive, each document sent once.
        await Promise.all([
          vscode.commands.executeCommand('docutray.runs.refresh'),
          vscode.commands.executeCommand('docutray.runs.refresh'),
        ]);
        const b = await waitFor('the batch, taken over', async () => {
          const s = await storedBatch(batchId);
          return s.owner !== gone ? s : undefined;
        });
        await waitFor(
          'the resumed batch to end',
          async () =>
            (await statesOf(b)).every(s => !['pending', 'starting', 'ENQUEUED', 'PROCESSING'].includes(s))
              ? true
              : undefined,
          45000,
        );
        const state = async (n: string) => (await statesOf(b))[order.indexOf(n)];
        assert.strictEqual(await state('p1.pdf'), 'SUCCESS');
        assert.strictEqual(await state('p2.pdf'), 'SUCCESS');
        assert.strictEqual(await state('dup.pdf'), 'SUCCESS');
        assert.strictEqual(await state('w1.pdf'), 'SUCCESS', 'its run had an execution: polled');
        assert.strictEqual(await state('u1.pdf'), 'mayHaveStarted', 'a start that may have happened is not sent again');
        assert.strictEqual(await state('w2.pdf'), 'mayHaveStarted', 'waiting without an id: never sent again');
        assert.strictEqual(b.documents.length, 6, 'the document listed twice is one');

        const requests = await standIn.requests();
        assert.deepStrictEqual(
          (await sentNames(seq)).sort(),
          ['dup.pdf', 'p1.pdf', 'p2.pdf'],
          'only the unsent, once each',
        );
        assert.ok(
          requests.some(r => r.seq > seq && r.method === 'GET' && r.path.endsWith(`/status/${started['w1.pdf']}`)),
        );
        const listed = messages.shown.find(m => m.severity === 'warning' && m.message.includes('u1.pdf'));
        assert.ok(listed, `the uncertain document is listed: ${JSON.stringify(messages.shown)}`);
        assert.ok(
          listed.items.every(i => !/send|start|retry/i.test(i)),
          `no one-click resend: ${listed.items.join(', ')}`,
        );
        // A second resume (another reload) sends nothing more.
        const seq2 = await lastSeq();
        await vscode.commands.executeCommand('docutray.runs.refresh');
        await new Promise(r => setTimeout(r, 1500));
        assert.deepStrictEqual(await sentNames(seq2), []);
      } finally {
        messages.restore();
      }
    });

    it('a document that may have started is never sent again without a modal, whatever button leads there', async () => {
      assert.ok(batchId, 'the resume test ran');
      const seq = await lastSeq();
      const uncertainRun = ((await api.runs()) as Run[]).find(r => r.batchId === batchId && r.sourceName === 'u1.pdf');
      assert.ok(uncertainRun);
      const picks: string[][] = [];
      const undoPick = patch(vscode.window, 'showQuickPick', (items: Array<{ label: string }>) => {
        picks.push(items.map(i => i.label));
        return Promise.resolve(undefined); // dismissed
      });
      const modals: string[] = [];
      const messages = answerMessages((message, items) => {
        if (/billed twice|bill it twice/i.test(message) || items.includes('Send Again')) {
          modals.push(message);
        }
        return undefined; // every question dismissed
      });
      try {
        const node = await nodeOf(batchId);
        // Review… dismissed: it stays as it is.
        await vscode.commands.executeCommand('docutray.batches.review', node);
        // Retry Failed: never the uncertain ones.
        await vscode.commands.executeCommand('docutray.batches.retryFailed', node);
        // Resume: sends what was never sent (nothing), asks about the uncertain (dismissed).
        await vscode.commands.executeCommand('docutray.batches.resume', node);
        // The Runs view's Rerun on its run: a modal first (dismissed).
        await vscode.commands.executeCommand('docutray.runs.rerun', uncertainRun);
        // A reload: taken over again, not sent.
        await vscode.commands.executeCommand('docutray.runs.refresh');
        await new Promise(r => setTimeout(r, 1000));
      } finally {
        undoPick();
        messages.restore();
      }
      assert.deepStrictEqual(await sentNames(seq), [], 'nothing sent');
      assert.ok(modals.length >= 1, `the rerun asked first: ${JSON.stringify(messages.shown)}`);
      assert.ok(picks.length >= 1, 'Review offered the documents to choose from');
      const runs = (await api.runs()) as Run[];
      assert.strictEqual(
        runs.find(r => r.id === uncertainRun.id)?.state,
        'mayHaveStarted',
        'dismissing leaves it uncertain, not failed',
      );
      const item = await api.runsTree.getTreeItem(uncertainRun);
      assert.ok(!/\boneClickRerun\b/.test(item.contextValue ?? ''), 'no inline one-click Rerun');
    });

    it('Review… sends a picked document once, after the modal; the others stay as they are', async () => {
      assert.ok(batchId, 'the resume test ran');
      const seq = await lastSeq();
      const undo = patch(vscode.window, 'showQuickPick', (items: Array<{ label: string }>) =>
        Promise.resolve(items.filter(i => i.label.endsWith('u1.pdf'))),
      );
      const messages = answerMessages((message, items) => (items.includes('Send Again') ? 'Send Again' : undefined));
      try {
        await vscode.commands.executeCommand('docutray.batches.review', await nodeOf(batchId));
        await waitFor(
          'u1 to run again',
          async () => {
            const b = await storedBatch(batchId);
            const d = b.documents.find(x => x.uri === uris['u1.pdf'].toString());
            const r = ((await api.runs()) as Run[]).find(x => x.id === d?.runId);
            return r?.state === 'SUCCESS' ? true : undefined;
          },
          30000,
        );
      } finally {
        undo();
        messages.restore();
      }
      assert.deepStrictEqual(await sentNames(seq), ['u1.pdf'], 'only the picked one, once');
      assert.ok(
        messages.shown.some(m => m.modal && /^Send batch-resume-it\/u1\.pdf again with /.test(m.message)),
        `a modal asked first: ${JSON.stringify(messages.shown)}`,
      );
      const runs = (await api.runs()) as Run[];
      assert.strictEqual(runs.find(r => r.batchId === batchId && r.sourceName === 'w2.pdf')?.state, 'mayHaveStarted');
      assert.ok(
        runs.some(r => r.batchId === batchId && r.sourceName === 'u1.pdf' && r.state === 'mayHaveStarted'),
        'the first attempt keeps its record (it may have been billed)',
      );
    });
  });

  it('Retry Failed sends them again in the batch itself: their state follows, and it is offered no more', async () => {
    const folder = 'batch-retry-it';
    await removeFolder(folder);
    const tag = Date.now();
    const f1 = await pdfVariant(`${folder}/f1.pdf`, `retry-1-${tag}`);
    const f2 = await pdfVariant(`${folder}/f2.pdf`, `retry-2-${tag}`);
    const hashes = [sha256(await vscode.workspace.fs.readFile(f1)), sha256(await vscode.workspace.fs.readFile(f2))];
    const startsOf = async () =>
      Promise.all(
        hashes.map(async h => (await standIn.starts()).find(x => x.stepId === 'it-fast' && x.hash === h)?.count ?? 0),
      );
    const batchFiles = async () =>
      (
        await Promise.resolve(vscode.workspace.fs.readDirectory(vscode.Uri.joinPath(api.storageUri, 'batches'))).catch(
          () => [] as [string, vscode.FileType][],
        )
      )
        .map(([name]) => name)
        .filter(n => n.endsWith('.json'));
    const filesBefore = await batchFiles();
    await standIn.addFaults({ kind: 'serverError', notInitiated: true, count: 2, match: { method: 'POST' } });
    let retried = 0;
    const answers = answerMessages((message, items) => {
      if (/^Run .* on .*\? \d+ documents?/.test(message)) {
        return 'Run';
      }
      if (items.includes('Retry Failed') && retried++ === 0) {
        return 'Retry Failed';
      }
      return undefined;
    });
    let first: BatchInfo | undefined;
    try {
      first = await runFolder(workspaceFile(folder), 'it-fast');
      assert.ok(first);
      assert.deepStrictEqual(await statesOf(first), ['failed', 'failed']);
      const id = first.id;
      await waitFor(
        'the retried documents to end in their batch',
        async () => ((await statesOf(await storedBatch(id))).every(s => s === 'SUCCESS') ? true : undefined),
        30000,
      );
      await waitFor(
        "the batch's own end message",
        () =>
          answers.shown.some(m => new RegExp(`finished on ${folderName(folder)} \\(2 documents\\)`).test(m.message)) ||
          undefined,
        30000,
      );
      assert.deepStrictEqual(
        await startsOf(),
        [1, 1],
        'each started once by its retry (the refused starts count none)',
      );

      const stored = await storedBatch(id);
      assert.deepStrictEqual(
        stored.documents.map(d => d.runId),
        [`${id}.0.2`, `${id}.1.2`],
        'each document names its second attempt',
      );
      const runs = await runsOf(stored);
      assert.deepStrictEqual(
        runs.map(r => `${r.id.slice(id.length)} ${r.state}`).sort(),
        ['.0 failed', '.0.2 SUCCESS', '.1 failed', '.1.2 SUCCESS'],
        'the first attempts are kept beside the retries',
      );
      assert.deepStrictEqual(
        (await batchFiles()).filter(n => !filesBefore.includes(n)),
        [`${id}.json`],
        'no second batch',
      );
      const earlier = runs.find(r => r.id === `${id}.0`);
      assert.ok(earlier);
      const earlierItem = await api.runsTree.getTreeItem(earlier);
      assert.ok(
        !/\boneClickRerun\b/.test(earlierItem.contextValue ?? ''),
        `the replaced attempt has no one-click Rerun: ${earlierItem.contextValue}`,
      );
      const item = await api.runsTree.getTreeItem(await nodeOf(id));
      assert.ok(!/\bretryable\b/.test(item.contextValue ?? ''), `Retry Failed offered no more: ${item.contextValue}`);
      assert.ok(!/\bresumable\b/.test(item.contextValue ?? ''), `nothing to resume: ${item.contextValue}`);
      const summary = answers.shown.find(m => m.items.includes('Retry Failed'));
      assert.ok(summary, JSON.stringify(answers.shown));
      assert.match(summary.message, /2 × DocuTray could not start the step/, 'grouped by reason');
      assert.ok(
        !answers.shown.some(m => m !== summary && m.items.includes('Retry Failed')),
        'no later message offers it again',
      );

      // The first message's button once more, twice at once: nothing is started again.
      const seq = await lastSeq();
      const node = await nodeOf(id);
      await Promise.all([
        vscode.commands.executeCommand('docutray.batches.retryFailed', node),
        vscode.commands.executeCommand('docutray.batches.retryFailed', node),
      ]);
      assert.deepStrictEqual(await sentNames(seq), [], 'nothing sent');
      assert.deepStrictEqual(await startsOf(), [1, 1], 'still one start each');
      assert.ok(
        answers.shown.some(m => /nothing in .* to retry now/.test(m.message)),
        `it says why: ${JSON.stringify(answers.shown.map(m => m.message))}`,
      );
    } finally {
      answers.restore();
      await removeFolder(folder);
    }
  });

  it('Retry Failed asks first, in pages; clicked twice at once it asks once and sends each failed document once', async () => {
    const folder = 'batch-retry-twice-it';
    await removeFolder(folder);
    const tag = Date.now();
    await pdfVariant(`${folder}/t1.pdf`, `twice-1-${tag}`);
    await pdfVariant(`${folder}/t2.pdf`, `twice-2-${tag}`);
    await standIn.addFaults({ kind: 'serverError', notInitiated: true, count: 2, match: { method: 'POST' } });
    const retryQuestion = /^Run .* again\? 2 documents failed before DocuTray started them: it bills \d+ pages?\.$/;
    let dismiss = true;
    const answers = answerMessages(message =>
      retryQuestion.test(message) && dismiss
        ? undefined
        : /^Run .* on .*\? \d+ documents?/.test(message)
          ? 'Run'
          : undefined,
    );
    try {
      const batch = await runFolder(workspaceFile(folder), 'it-fast');
      assert.ok(batch);
      assert.deepStrictEqual(await statesOf(batch), ['failed', 'failed']);
      const seq = await lastSeq();
      const node = await nodeOf(batch.id);
      // Dismissed: nothing is sent, and the documents are still there to retry.
      await vscode.commands.executeCommand('docutray.batches.retryFailed', node);
      const asked = () => answers.shown.filter(m => retryQuestion.test(m.message));
      assert.equal(asked().length, 1, JSON.stringify(answers.shown.map(m => m.message)));
      assert.equal(asked()[0].modal, true, 'a modal question');
      assert.deepStrictEqual(await sentNames(seq), [], 'nothing sent when the question is dismissed');
      assert.deepStrictEqual(await statesOf(await storedBatch(batch.id)), ['failed', 'failed']);
      dismiss = false;
      await Promise.all([
        vscode.commands.executeCommand('docutray.batches.retryFailed', node),
        vscode.commands.executeCommand('docutray.batches.retryFailed', node),
      ]);
      await waitFor(
        'both to succeed',
        async () => ((await statesOf(await storedBatch(batch.id))).every(s => s === 'SUCCESS') ? true : undefined),
        30000,
      );
      assert.deepStrictEqual((await sentNames(seq)).sort(), ['t1.pdf', 't2.pdf'], 'once each');
      assert.equal(asked().length, 2, 'the second click found nothing left to ask about');
    } finally {
      answers.restore();
      await removeFolder(folder);
    }
  });

  it('a selection of files asks first, in pages; dismissed, nothing is sent; run, its batch is named by its first file', async () => {
    const folder = 'batch-selection-it';
    await removeFolder(folder);
    const one = await pdfVariant(`${folder}/sel-1.pdf`, `sel-1-${Date.now()}`);
    const two = await pngVariant(`${folder}/sel-2.png`, `sel-2-${Date.now()}`);
    await config().update('docutray.batch.reprocess', 'always', vscode.ConfigurationTarget.Workspace);
    const selection = { stepId: 'it-fast', uris: [one, two], batch: true };
    const seq = await lastSeq();
    try {
      const dismissed = captureMessages();
      let none: BatchInfo | undefined;
      try {
        none = await vscode.commands.executeCommand<BatchInfo | undefined>('docutray.runStep', selection);
      } finally {
        dismissed.restore();
      }
      assert.strictEqual(none, undefined, 'dismissing the question runs nothing');
      const asked = dismissed.shown.filter(m => m.modal);
      assert.deepStrictEqual(
        asked.map(m => [m.message, m.items]),
        [['Run it-fast on sel-1.pdf + 1 more? 2 documents: DocuTray bills 2 pages.', ['Run']]],
      );
      assert.deepStrictEqual(await sentNames(seq), [], 'nothing sent before the answer');
      const answers = confirming();
      let batch: BatchInfo | undefined;
      try {
        batch = await vscode.commands.executeCommand<BatchInfo | undefined>('docutray.runStep', selection);
      } finally {
        answers.restore();
      }
      assert.ok(batch);
      assert.deepStrictEqual((await sentNames(seq)).sort(), ['sel-1.pdf', 'sel-2.png']);
      const item = await api.runsTree.getTreeItem(await nodeOf(batch.id));
      assert.strictEqual(String(item.label), 'sel-1.pdf + 1 more');
      // The files share a folder: it ends the description (after the state, the time and the step).
      assert.match(String(item.description), new RegExp(`^2 of 2 succeeded · [^·]+ · it-fast · ${folder}/$`));
      const rows = await Promise.all(
        (await api.runsTree.getChildren(await nodeOf(batch.id))).map(c => api.runsTree.getTreeItem(c)),
      );
      assert.deepStrictEqual(
        rows.map(r => String(r.label)).sort(),
        ['sel-1.pdf', 'sel-2.png'],
        'named inside their folder',
      );
    } finally {
      await config().update('docutray.batch.reprocess', undefined, vscode.ConfigurationTarget.Workspace);
      await removeFolder(folder);
    }
  });

  it("offers no Retry Failed for the step's own ERROR", async () => {
    const folder = 'batch-error-it';
    await removeFolder(folder);
    await pdfVariant(`${folder}/x1.pdf`, `err-1-${Date.now()}`);
    const answers = answerMessages(message => (/^Run .* on .*\? \d+ documents?/.test(message) ? 'Run' : undefined));
    try {
      const batch = await runFolder(workspaceFile(folder), 'it-failing');
      assert.ok(batch);
      assert.deepStrictEqual(await statesOf(batch), ['ERROR']);
    } finally {
      answers.restore();
      await removeFolder(folder);
    }
    const summary = answers.shown.find(m => /Failed: /.test(m.message));
    assert.ok(summary, JSON.stringify(answers.shown));
    assert.match(summary.message, /No invoice found on page 1/);
    assert.ok(!summary.items.includes('Retry Failed'), summary.items.join(', '));
  });

  it('a status 403 ends the batch: its documents unavailable with their ids, never in Retry Failed', async () => {
    const folder = 'batch-403-it';
    await removeFolder(folder);
    await pdfVariant(`${folder}/k1.pdf`, `k1-${Date.now()}`);
    await pdfVariant(`${folder}/k2.pdf`, `k2-${Date.now()}`);
    await standIn.addFaults({ kind: 'statusForbidden', count: 1000 });
    const answers = answerMessages(message => (/^Run .* on .*\? \d+ documents?/.test(message) ? 'Run' : undefined));
    let batch: BatchInfo | undefined;
    try {
      batch = await runFolder(workspaceFile(folder), 'it-fast');
    } finally {
      answers.restore();
      await standIn.clearFaults();
      await removeFolder(folder);
    }
    assert.ok(batch, 'the batch ended');
    const runs = await runsOf(batch);
    assert.deepStrictEqual(
      runs.map(r => r.state),
      ['unavailable', 'unavailable'],
    );
    assert.ok(
      runs.every(r => r.executionId),
      'ids kept: Check Execution can look again',
    );
    const summary = answers.shown.find(m => /Failed: /.test(m.message));
    assert.ok(summary, JSON.stringify(answers.shown));
    assert.ok(!summary.items.includes('Retry Failed'));
  });

  it('a window that loses its batch while a start waits to be sent hands the document back, not sent', async () => {
    // This window prepared a start (its run record made) and DocuTray refused it with a 429; while the budget holds
    // it, another window takes the batch over and marks that run "may have started", as a takeover does. Only this
    // window knows the start never left: its fence, before the resend, finds the batch lost, sends nothing, and
    // removes the record, so the document is pending again for the new owner to send once.
    const folder = `${FOLDER}-handback`;
    const other = 'window-that-took-over';
    const heldKey = 'dt_handback_key_0123456789abcdef';
    const PAUSE_S = 10;
    const key = process.env.DOCUTRAY_API_KEY as string;
    const config = vscode.workspace.getConfiguration('docutray');
    const presence = vscode.Uri.joinPath(api.storageUri, `windows/${other}.json`);
    const write = (uri: vscode.Uri, value: unknown) =>
      vscode.workspace.fs.writeFile(uri, Buffer.from(JSON.stringify(value)));
    await removeFolder(folder);
    await pdfVariant(`${folder}/h1.pdf`, `handback-1-${Date.now()}`);
    await pdfVariant(`${folder}/h2.pdf`, `handback-2-${Date.now()}`);
    // A key of its own: the 429 holds every request of its key.
    await standIn.configure({ apiKeys: [key, heldKey] });
    process.env.DOCUTRAY_API_KEY = heldKey;
    await config.update('maxConcurrentRuns', 1, vscode.ConfigurationTarget.Global);
    const seq = await lastSeq();
    await standIn.addFaults({
      kind: 'rateLimit',
      retryAfter: PAUSE_S,
      count: 1,
      match: { method: 'POST', path: '/api/steps-async/it-fast' },
    });
    const answers = confirming();
    try {
      const pending = runFolder(workspaceFile(folder));
      const refused = await waitFor('the first start refused with a 429', async () =>
        (await standIn.requests()).find(r => r.seq > seq && r.method === 'POST' && r.status === 429),
      );
      const batchRef = await waitFor('the batch file', async () => {
        for (const n of await api.runsTree.getChildren()) {
          const b = (n as { batch?: BatchInfo }).batch;
          if (b?.documents.some(d => d.uri.endsWith('/h1.pdf') || d.uri.endsWith('/h2.pdf'))) {
            return b;
          }
        }
        return undefined;
      });
      const runs = await runsOf(batchRef);
      assert.strictEqual(runs.length, 1, `one start prepared: ${JSON.stringify(runs.map(r => r.state))}`);
      const prepared = runs[0] as Run & { startedAt: number };
      assert.strictEqual(prepared.state, 'starting');
      // The other window: alive, owner of the batch, and of the prepared run, which it marked "may have started".
      await write(presence, { id: other, pid: process.pid, host: os.hostname(), heartbeatAt: Date.now(), showing: [] });
      const runFile = vscode.Uri.joinPath(api.storageUri, `runs/${prepared.id}.json`);
      const stored = JSON.parse(Buffer.from(await vscode.workspace.fs.readFile(runFile)).toString('utf8'));
      await write(runFile, {
        ...stored,
        owner: other,
        state: 'mayHaveStarted',
        updatedAt: Date.now(),
        error: { kind: 'startUncertain', message: 'The window closed while this run was starting.' },
      });
      const batchFile = vscode.Uri.joinPath(api.storageUri, `batches/${batchRef.id}.json`);
      await write(batchFile, { ...(await storedBatch(batchRef.id)), owner: other });
      // Read the store again now (as Refresh does), well before the 429's pause is over.
      await vscode.commands.executeCommand('docutray.runs.refresh');
      assert.ok(
        Date.now() - refused.time < PAUSE_S * 1000,
        'the store was read again before the resend (else this test proves nothing)',
      );
      const batch = await pending;
      assert.ok(batch);
      await waitFor('the prepared run handed back (its record removed)', async () =>
        (await runsOf(batch)).length === 0 ? true : undefined,
      );
      const posts = postsSince(await standIn.requests(), seq);
      assert.deepStrictEqual(
        posts.map(p => p.status),
        [429],
        'nothing was sent after the batch was lost: only the refused start',
      );
      assert.strictEqual((await storedBatch(batch.id)).owner, other, "the batch stays the other window's");
    } finally {
      answers.restore();
      process.env.DOCUTRAY_API_KEY = key;
      await standIn.configure({ apiKeys: [key] });
      await config.update('maxConcurrentRuns', undefined, vscode.ConfigurationTarget.Global);
      await Promise.resolve(vscode.workspace.fs.delete(presence)).catch(() => undefined);
      await removeFolder(folder);
    }
  });

  it("shows another window's batch as it writes it, and drops it when that window removes it", async () => {
    const id = `batch_other_${Date.now().toString(36)}`;
    const file = vscode.Uri.joinPath(api.storageUri, 'batches', `${id}.json`);
    const other = {
      version: 2,
      id,
      stepId: 'it-fast',
      stepName: 'Fast (other window)',
      createdAt: Date.now(),
      endedAt: Date.now(),
      owner: 'another-window',
      documents: [{ uri: workspaceFile('sample.pdf').toString(), label: 'sample.pdf', runId: `${id}.0` }],
    };
    const shown = async () => !!(await nodeOf(id));
    await vscode.workspace.fs.writeFile(file, Buffer.from(JSON.stringify(other), 'utf8'));
    try {
      await waitFor("the other window's batch in the Runs view", async () => (await shown()) || undefined, 10000);
    } finally {
      await vscode.workspace.fs.delete(file);
    }
    await waitFor('the batch to leave the Runs view', async () => !(await shown()) || undefined, 10000);
  });
});
