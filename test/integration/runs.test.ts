/** Running steps on workspace files and URLs against the DocuTray stand-in, in the real extension host. */
import * as assert from 'assert';
import * as vscode from 'vscode';
import type { RunOutcome } from '../../src/runs/runService';
import {
  EXTENSION_ID,
  TEST_STEPS,
  activate,
  captureMessages,
  closeAllEditors,
  pdfBytes,
  sha256,
  sleep,
  standIn,
  useTestSteps,
  waitFor,
  workspaceFile,
  writeWorkspaceFile,
} from './support';

type TreeApi = {
  runsTree: {
    getChildren(e?: unknown): Promise<unknown[]>;
    getTreeItem(e: unknown): vscode.TreeItem | Thenable<vscode.TreeItem>;
  };
};

/** A run's row at the top of the Runs view, and whether a menu entry of the view shows on it. */
async function rowOf(runId: string) {
  const tree = ((await activate()) as unknown as TreeApi).runsTree;
  const node = (await tree.getChildren()).find(n => (n as { id?: string }).id === runId);
  assert.ok(node, `the run ${runId} is in the Runs view`);
  const item = await tree.getTreeItem(node);
  const menus = (
    vscode.extensions.getExtension(EXTENSION_ID)?.packageJSON as {
      contributes: { menus: Record<string, { command: string; when?: string; group?: string }[]> };
    }
  ).contributes.menus['view/item/context'];
  /** The groups `command` is offered in on this row (only the `viewItem =~ /…/` clauses are read). */
  const offered = (command: string) =>
    menus
      .filter(m => m.command === command && m.when?.includes('view == docutray.runs'))
      .filter(m =>
        [...(m.when ?? '').matchAll(/(!\()?viewItem =~ \/(.+?)\/\)?/g)].every(
          ([, not, re]) => new RegExp(re).test(item.contextValue ?? '') !== !!not,
        ),
      )
      .map(m => m.group ?? '');
  return { item, offered };
}

async function run(stepId: string, uris: vscode.Uri[]): Promise<RunOutcome[]> {
  const outcomes = await vscode.commands.executeCommand<RunOutcome[] | undefined>('docutray.runStep', { stepId, uris });
  assert.ok(outcomes, 'the command returned outcomes');
  return outcomes;
}

describe('runs', function () {
  this.timeout(60000);

  useTestSteps();
  afterEach(async () => {
    await closeAllEditors();
  });

  for (const [name, mime] of [
    ['sample.pdf', 'application/pdf'],
    ['sample.png', 'image/png'],
    ['photo.jpg', 'image/jpeg'],
    ['factura-ñandú 請求書.pdf', 'application/pdf'],
  ] as const) {
    it(`runs a step on ${name} and sends exactly that file as multipart "image" (${mime})`, async () => {
      const uri = workspaceFile(name);
      const bytes = await vscode.workspace.fs.readFile(uri);
      const before = (await standIn.requests()).length;
      const [outcome] = await run('it-fast', [uri]);
      assert.ok(outcome.result, `succeeded: ${String(outcome.error)}`);
      const posts = (await standIn.requests()).slice(before).filter(r => r.method === 'POST');
      assert.strictEqual(posts.length, 1, 'one start request');
      const post = posts[0];
      assert.strictEqual(post.path, '/api/steps-async/it-fast');
      assert.match(post.headers['content-type'], /^multipart\/form-data; boundary=/);
      assert.strictEqual(post.headers['authorization'], `Bearer ${process.env.DOCUTRAY_API_KEY}`);
      assert.ok(post.multipart, 'parsed as multipart');
      assert.deepStrictEqual(
        post.multipart.files.map(f => ({ ...f })),
        [
          {
            field: 'image',
            filename: name,
            contentType: mime,
            size: bytes.byteLength,
            sha256: sha256(bytes),
          },
        ],
      );
      assert.strictEqual(outcome.result.executionId, (await standIn.executions()).at(-1)?.id);
    });
  }

  it('opens the result as a read-only JSON document beside the source, named after document and step name', async () => {
    const [outcome] = await run('it-fast', [workspaceFile('sample.pdf')]);
    const editor = await waitFor('the result editor', () => {
      const e = vscode.window.activeTextEditor;
      return e?.document.uri.scheme === 'docutray-result' ? e : undefined;
    });
    // The tab and the breadcrumb read the path: the document and the step's name, no ids.
    assert.strictEqual(editor.document.uri.path, '/sample.pdf · Fast (test).json');
    assert.strictEqual(editor.document.uri.query, `execution=${outcome.result?.executionId}`);
    assert.strictEqual(editor.document.languageId, 'json');
    assert.deepStrictEqual(JSON.parse(editor.document.getText()), TEST_STEPS[0].outcome.data);
    assert.strictEqual(outcome.result?.executionId !== undefined, true);
    assert.strictEqual(vscode.workspace.fs.isWritableFileSystem('docutray-result'), false);
    await assert.rejects(
      Promise.resolve(vscode.workspace.fs.writeFile(editor.document.uri, Buffer.from('{}'))),
      'writing a result fails',
    );
    const stat = await vscode.workspace.fs.stat(editor.document.uri);
    assert.strictEqual(
      stat.permissions,
      vscode.FilePermission.Readonly,
      'the file system says read-only (the browser test types into it)',
    );
    // The whole execution record is one command away.
    await vscode.commands.executeCommand('docutray.showExecutionRecord');
    const record = await waitFor('the execution record', () => {
      const e = vscode.window.activeTextEditor;
      return e?.document.uri.path.endsWith('.execution.json') ? e : undefined;
    });
    const parsed = JSON.parse(record.document.getText());
    assert.strictEqual(parsed.executionId, outcome.result?.executionId);
    assert.strictEqual(parsed.execution.status, 'SUCCESS');
  });

  it('refreshes the Runs view only when a row changes: reading the same runs again keeps every row (and its handle)', async () => {
    // VS Code forgets the rows' handles on each refresh until it has read them again; a context-menu command
    // chosen then gets no row. So a change of the history that changes no row must not refresh the view.
    const tree = ((await activate()) as unknown as { runsTree: { onDidChangeTreeData: vscode.Event<unknown> } })
      .runsTree;
    let fired = 0;
    const subscription = tree.onDidChangeTreeData(() => fired++);
    try {
      await run('it-fast', [workspaceFile('sample.pdf')]);
      // The run's own changes settle (each refresh is sent at most every 100 ms).
      for (let last = -1; last !== fired;) {
        last = fired;
        await sleep(500);
      }
      assert.ok(fired > 0, 'the run refreshed the view');
      const before = fired;
      await vscode.commands.executeCommand('docutray.runs.refresh');
      await sleep(500);
      assert.strictEqual(fired, before, 'reading the same runs again sent no refresh');
      await run('it-fast', [workspaceFile('sample.pdf')]);
      await waitFor('a refresh for the new run', () => fired > before || undefined);
    } finally {
      subscription.dispose();
    }
  });

  it('opens the result beside an open editor, and in the only group when nothing is open', async () => {
    const resultEditor = (name: string) =>
      waitFor(`the ${name} result`, () => {
        const e = vscode.window.activeTextEditor;
        return e?.document.uri.scheme === 'docutray-result' && e.document.uri.path.endsWith(name) ? e : undefined;
      });
    await vscode.commands.executeCommand('workbench.action.closeAllGroups');
    await run('it-fast', [workspaceFile('sample.png')]);
    const alone = await resultEditor('/sample.png · Fast (test).json');
    assert.strictEqual(alone.viewColumn, vscode.ViewColumn.One, 'nothing was open: the result takes the window');
    assert.strictEqual(vscode.window.tabGroups.all.length, 1, 'no empty group left beside it');

    await vscode.commands.executeCommand('workbench.action.closeAllGroups');
    await vscode.window.showTextDocument(workspaceFile('notes.txt'), { viewColumn: vscode.ViewColumn.One });
    await run('it-fast', [workspaceFile('sample.pdf')]);
    const beside = await resultEditor('/sample.pdf · Fast (test).json');
    assert.strictEqual(beside.viewColumn, vscode.ViewColumn.Two, 'the result opens beside the open editor');
    assert.strictEqual(vscode.window.tabGroups.all.length, 2);
  });

  it('runs a step on a URL: DocuTray gets image_url, nothing is downloaded here', async () => {
    const url = 'https://example.com/docs/invoice-42.pdf';
    const before = (await standIn.requests()).length;
    const outcomes = await vscode.commands.executeCommand<RunOutcome[]>('docutray.runStepOnUrl', {
      stepId: 'it-fast',
      url,
    });
    assert.ok(outcomes?.[0].result, 'succeeded');
    assert.strictEqual(outcomes[0].result.sourceName, 'invoice-42.pdf');
    const post = (await standIn.requests()).slice(before).find(r => r.method === 'POST');
    assert.deepStrictEqual(post?.json, { image_url: url });
    assert.match(post?.headers['content-type'] ?? '', /^application\/json/);
  });

  it('runs a batch of 5 with at most docutray.maxConcurrentRuns (2) in flight, and sums it up', async () => {
    const config = vscode.workspace.getConfiguration('docutray');
    await config.update('maxConcurrentRuns', 2, vscode.ConfigurationTarget.Global);
    const messages = captureMessages(m => (/^Run .*\? 5 documents/.test(m.message) ? 'Run' : undefined));
    try {
      const uris = await Promise.all(
        [1, 2, 3, 4, 5].map(i => writeWorkspaceFile(`batch/doc-${i}.pdf`, pdfBytes(`batch ${i}`))),
      );
      const since = Date.now();
      const outcomes = await run('it-batch', [...uris, workspaceFile('notes.txt')]);
      assert.strictEqual(outcomes.length, 5, 'notes.txt is skipped');
      const asked = messages.shown.filter(m => m.modal);
      assert.deepStrictEqual(
        asked.map(m => m.message),
        // Their pages cannot be read for sure (the test PDFs are minimal): "about".
        ['Run it-batch on doc-1.pdf + 4 more? 5 documents: DocuTray bills about 5 pages.'],
        'several documents run after one question, in pages',
      );
      assert.ok(
        outcomes.every(o => o.result),
        'all succeeded',
      );
      const executions = (await standIn.executions()).filter(
        e => e.stepId === 'it-batch' && e.createdAt >= since - 1000,
      );
      assert.strictEqual(executions.length, 5);
      const events = executions
        .flatMap(
          e =>
            [
              [e.createdAt, 1],
              [e.terminalServedAt ?? Infinity, -1],
            ] as Array<[number, number]>,
        )
        .sort((a, b) => a[0] - b[0] || a[1] - b[1]);
      let inFlight = 0;
      let most = 0;
      for (const [, d] of events) {
        inFlight += d;
        most = Math.max(most, inFlight);
      }
      assert.strictEqual(most, 2, 'two in flight at the most, and two were used');
      assert.ok(
        messages.shown.some(m => m.severity === 'warning' && m.message.includes('notes.txt')),
        `says notes.txt was skipped: ${JSON.stringify(messages.shown)}`,
      );
      assert.ok(
        messages.shown.some(m => /5 of 5 succeeded/.test(m.message)),
        `a summary: ${JSON.stringify(messages.shown)}`,
      );
    } finally {
      messages.restore();
      await config.update('maxConcurrentRuns', undefined, vscode.ConfigurationTarget.Global);
    }
  });

  it('cancels during processing: no status request after the cancel, no error shown', async () => {
    const api = await activate();
    const messages = captureMessages();
    try {
      const since = Date.now();
      const pending = vscode.commands.executeCommand<RunOutcome[]>('docutray.runStep', {
        stepId: 'it-slow',
        uris: [workspaceFile('sample.png')],
      });
      const execution = await waitFor('a status request', async () => {
        const exec = (await standIn.executions()).find(e => e.stepId === 'it-slow' && e.createdAt >= since);
        const polled = exec && (await standIn.requests()).some(r => r.path === `/api/steps-async/status/${exec.id}`);
        return polled ? exec : undefined;
      });
      assert.strictEqual(api.status().state, 'running');
      assert.match(api.status().text, /\$\(sync~spin\) DocuTray/);
      await vscode.commands.executeCommand('docutray.cancelRuns');
      const [outcome] = await pending;
      assert.strictEqual((outcome.error as { kind?: string }).kind, 'cancelled');
      const polls = async () =>
        (await standIn.requests()).filter(r => r.path === `/api/steps-async/status/${execution.id}`).length;
      const after = await polls();
      await sleep(1500);
      assert.strictEqual(await polls(), after, 'no status request after the cancel');
      assert.deepStrictEqual(
        messages.shown.filter(m => m.severity !== 'info'),
        [],
        'a cancel shows no error',
      );
      // DocuTray accepted it: its row says it may still finish, and offers Check Execution, inline too.
      const { item, offered } = await rowOf((outcome.run as { id: string }).id);
      assert.match(String(item.description), /^cancelled — may still finish · [^·]+ · Slow \(test\)$/);
      assert.match(item.contextValue ?? '', /\bcheckable\b/);
      assert.match(item.contextValue ?? '', /\bmayStillFinish\b/);
      assert.ok(
        offered('docutray.checkExecution').some(g => g.startsWith('inline')),
        'Check Execution inline',
      );
      assert.match(
        (item.tooltip as vscode.MarkdownString).value.replace(/\\([^\w\s])/g, '$1'),
        /may still finish it, and bill it\. Check Execution fetches its result/,
      );
    } finally {
      messages.restore();
    }
  });

  it('cancels during the upload: the stand-in never gets a whole request, nothing starts', async () => {
    // Larger than what loopback socket buffers can absorb, so the upload is really in progress at the cancel.
    const big = Buffer.alloc(24 * 1024 * 1024, 0x20);
    pdfBytes('big').copy(big);
    const uri = await writeWorkspaceFile('big/large.pdf', big);
    await standIn.addFaults({
      kind: 'throttleBody',
      bytesPerSecond: 256 * 1024,
      count: 1,
      match: { method: 'POST', path: '/api/steps-async/it-fast' },
    });
    const before = (await standIn.executions()).length;
    const pending = vscode.commands.executeCommand<RunOutcome[]>('docutray.runStep', {
      stepId: 'it-fast',
      uris: [uri],
    });
    await sleep(1500);
    await vscode.commands.executeCommand('docutray.cancelRuns');
    const [outcome] = await pending;
    assert.strictEqual((outcome.error as { kind?: string }).kind, 'cancelled');
    assert.strictEqual((outcome.error as { mayHaveStarted?: boolean }).mayHaveStarted, false);
    await sleep(500);
    assert.strictEqual((await standIn.executions()).length, before, 'no execution was created');
    // Nothing started: the row says cancelled, and no more.
    const { item, offered } = await rowOf((outcome.run as { id: string }).id);
    // (The step's id: DocuTray never answered with its name.)
    assert.match(String(item.description), /^cancelled · [^·]+ · (Fast \(test\)|it-fast)$/);
    assert.ok(!/\b(checkable|mayStillFinish)\b/.test(item.contextValue ?? ''), item.contextValue);
    assert.deepStrictEqual(offered('docutray.checkExecution'), [], 'no Check Execution');
  });

  it('shows the run in the status bar, then its outcome', async () => {
    const api = await activate();
    await run('it-fast', [workspaceFile('sample.png')]);
    assert.strictEqual(api.status().state, 'succeeded');
    assert.strictEqual(api.status().text, '$(check) DocuTray');
    const messages = captureMessages();
    try {
      await run('it-failing', [workspaceFile('sample.png')]);
    } finally {
      messages.restore();
    }
    assert.strictEqual(api.status().state, 'failed');
    assert.strictEqual(api.status().text, '$(error) DocuTray');
  });
});
