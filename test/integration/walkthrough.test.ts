/**
 * The getting-started walkthrough ticks each step on what happened, whatever path led there: the extension
 * sets the step's context key (its `completionEvents`) and completes the step. Each path below starts from a
 * walkthrough that was told nothing (`forget`) and must tell it again. The browser test
 * (test/e2e/walkthrough.js) sees the ticks themselves.
 */
import * as assert from 'assert';
import * as vscode from 'vscode';
import {
  activate,
  answerMessages,
  patch,
  useTestSteps,
  waitFor,
  workspaceFile,
  writeWorkspaceFile,
  pdfBytes,
} from './support';

interface WalkthroughApi {
  walkthrough(): {
    state(): { contextKeys: Record<string, boolean>; done: string[] };
    forget(): void;
  };
}

const SETTINGS = '.vscode/settings.json';

describe('walkthrough: each step ticks on what happened', function () {
  this.timeout(90000);
  useTestSteps();
  let api: WalkthroughApi;
  const state = () => api.walkthrough().state();
  const done = (step: string) => waitFor(`the walkthrough's ${step} step done`, () => state().done.includes(step));

  before(async () => {
    api = (await activate()) as unknown as WalkthroughApi;
  });

  it('a key from the environment: the API key step is done with no key stored', async () => {
    assert.ok(process.env.DOCUTRAY_API_KEY, 'the runner gives the extension host a key in its environment');
    api.walkthrough().forget();
    const messages = answerMessages(() => undefined);
    try {
      await vscode.commands.executeCommand('docutray.clearApiKey');
    } finally {
      messages.restore();
    }
    assert.match(
      messages.shown.map(m => m.message).join('\n'),
      /DOCUTRAY_API_KEY environment variable still provides one/,
    );
    await done('apiKey');
  });

  it('Set API Key (its command, as the palette runs it): the API key step is done', async () => {
    api.walkthrough().forget();
    const undo = patch(vscode.window, 'showInputBox', () => Promise.resolve(process.env.DOCUTRAY_API_KEY));
    const messages = answerMessages(() => undefined);
    try {
      assert.strictEqual(await vscode.commands.executeCommand('docutray.setApiKey'), true, 'the key is saved');
    } finally {
      undo();
      messages.restore();
    }
    await done('apiKey');
  });

  it('a step added by hand in the settings file: docutray.hasSteps and the steps step', async () => {
    const uri = workspaceFile(SETTINGS);
    const before = await Promise.resolve(vscode.workspace.fs.readFile(uri)).then(
      b => new TextDecoder().decode(b),
      () => undefined,
    );
    const settings = (before ? JSON.parse(before) : {}) as Record<string, unknown>;
    const steps = vscode.workspace.getConfiguration('docutray').get<unknown[]>('steps') ?? [];
    try {
      await writeWorkspaceFile(SETTINGS, JSON.stringify({ ...settings, 'docutray.steps': [] }, null, 2));
      await waitFor('no step configured', () => state().contextKeys['docutray.hasSteps'] === false);
      api.walkthrough().forget();
      assert.ok(!state().done.includes('steps'));
      // Typed into the file, as a person does: no command, no settings editor.
      const added = [{ id: 'it-fast', name: 'Fast (test)' }];
      await writeWorkspaceFile(SETTINGS, JSON.stringify({ ...settings, 'docutray.steps': added }, null, 2));
      await waitFor('docutray.hasSteps', () => state().contextKeys['docutray.hasSteps'] === true);
      await done('steps');
    } finally {
      if (before === undefined) {
        await vscode.workspace.fs.delete(uri);
      } else {
        await writeWorkspaceFile(SETTINGS, before);
      }
      await waitFor(
        'the settings back',
        () =>
          JSON.stringify(vscode.workspace.getConfiguration('docutray').get('steps') ?? []) === JSON.stringify(steps),
      );
    }
  });

  it("a folder run from the Explorer's menu: the run and the folder steps are done", async () => {
    const folder = `walkthrough-it-${Date.now()}`;
    await writeWorkspaceFile(`${folder}/w1.pdf`, pdfBytes(`w1-${Date.now()}`));
    await writeWorkspaceFile(`${folder}/w2.pdf`, pdfBytes(`w2-${Date.now()}`));
    await vscode.workspace
      .getConfiguration('docutray')
      .update('steps', [{ id: 'it-fast', name: 'Fast (test)' }], vscode.ConfigurationTarget.Workspace);
    api.walkthrough().forget();
    // The menu passes the folder and the selection; the step is picked; the question is answered Run.
    const undoPick = patch(vscode.window, 'showQuickPick', (items: readonly unknown[]) =>
      Promise.resolve(items.find(i => /Fast \(test\)/.test(JSON.stringify(i)))),
    );
    const messages = answerMessages(message => (/^Run .* on .*\? \d+ documents?/.test(message) ? 'Run' : undefined));
    const uri = workspaceFile(folder);
    try {
      await vscode.commands.executeCommand('docutray.runStep', uri, [uri]);
      await done('batch');
      await done('run');
    } finally {
      undoPick();
      messages.restore();
      await Promise.resolve(vscode.workspace.fs.delete(uri, { recursive: true, useTrash: false })).catch(
        () => undefined,
      );
    }
    const keys = state().contextKeys;
    assert.strictEqual(keys['docutray.didRunBatch'], true);
    assert.strictEqual(keys['docutray.didRunStep'], true);
  });

  it('Copy Command Line for CI: the docutray-steps check line on the clipboard, and the command line step', async () => {
    api.walkthrough().forget();
    await vscode.env.clipboard.writeText('');
    const messages = answerMessages(() => undefined);
    try {
      assert.strictEqual(await vscode.commands.executeCommand('docutray.copyCommandLine'), true);
    } finally {
      messages.restore();
    }
    const line = await vscode.env.clipboard.readText();
    assert.match(line, /^npx --yes --package=https:\/\/\S+\/docutray-steps-[\d.]+\.tgz docutray-steps check \S/);
    assert.ok(!line.includes(process.env.DOCUTRAY_API_KEY ?? '\0'), 'no key in the line');
    await done('cli');
    assert.strictEqual(state().contextKeys['docutray.didCopyCommandLine'], true);
  });
});
