/**
 * Input boxes open without an error: the box of a value that must not be empty waits for something to be
 * typed (or for Enter on nothing) before it says what it needs. Configure Steps says where it saved the
 * step, in which file, with a button that opens it.
 */
import * as assert from 'assert';
import * as vscode from 'vscode';
import { activate, captureMessages, closeAllEditors, patch, useTestSteps } from './support';

/** The options of every input box shown while `run` runs; each is answered from `answers`, then Escape. */
async function inputBoxes(
  run: () => Thenable<unknown>,
  answers: Array<string | undefined> = [],
): Promise<vscode.InputBoxOptions[]> {
  const asked: vscode.InputBoxOptions[] = [];
  const restore = patch(vscode.window, 'showInputBox', (options: vscode.InputBoxOptions) => {
    asked.push(options);
    return Promise.resolve(answers.shift());
  });
  try {
    await run();
  } finally {
    restore();
  }
  return asked;
}

/** What the box shows for `value` (a message, or nothing). */
async function says(options: vscode.InputBoxOptions, value: string): Promise<string | undefined> {
  const m = await options.validateInput?.(value);
  return m === undefined || m === null ? undefined : typeof m === 'string' ? m : m.message;
}

describe('input boxes and what Configure Steps says', function () {
  this.timeout(60000);
  useTestSteps();
  before(async () => {
    await activate();
    // No editor that could take the keyboard back: the boxes are VS Code's showInputBox.
    await closeAllEditors();
  });

  it('every box that needs a value opens without an error, and says what it needs once something was typed', async () => {
    const boxes = [
      ...(await inputBoxes(() => vscode.commands.executeCommand('docutray.setApiKey'))),
      ...(await inputBoxes(() => vscode.commands.executeCommand('docutray.checkExecution'))),
      ...(await inputBoxes(() => vscode.commands.executeCommand('docutray.runStepOnUrl', { stepId: 'it-fast' }))),
    ];
    assert.strictEqual(boxes.length, 3, boxes.map(b => b.title ?? b.prompt).join(' | '));
    for (const box of boxes) {
      const name = box.title ?? box.prompt;
      assert.ok(box.validateInput, `${name} validates`);
      assert.strictEqual(box.value ?? '', '', `${name} opens empty`);
      assert.strictEqual(await says(box, ''), undefined, `${name} opens without an error`);
      // Typed, then erased: now it says what it needs, in words.
      await says(box, 'x');
      const needs = await says(box, '');
      assert.ok(needs && /^Enter /.test(needs), `${name} then says: ${needs}`);
    }
  });

  it('Configure Steps saves in the user settings and says so, naming the file, with a button that opens it', async () => {
    const config = vscode.workspace.getConfiguration('docutray');
    const before = config.inspect('steps');
    assert.strictEqual(before?.workspaceValue, undefined, 'the fixture workspace sets no steps of its own');
    await config.update('steps', [], vscode.ConfigurationTarget.Global);
    const messages = captureMessages();
    try {
      const boxes = await inputBoxes(
        () => vscode.commands.executeCommand('docutray.configureSteps'),
        ['it-words-step', 'Words test', ''],
      );
      assert.strictEqual(boxes.length, 3, 'the step id, its name, its description');
      assert.strictEqual(await says(boxes[0], ''), undefined, 'the step id box opens without an error');
      const saved = messages.shown.find(m => /Saved the DocuTray step/.test(m.message));
      assert.ok(saved, JSON.stringify(messages.shown));
      assert.strictEqual(
        saved.message,
        'Saved the DocuTray step "Words test" in docutray.steps of your user settings. ' +
          "They are in your profile's settings.json, not in the workspace.",
      );
      assert.deepStrictEqual(saved.items, ['Open Settings File']);
      assert.deepStrictEqual(vscode.workspace.getConfiguration('docutray').inspect('steps')?.globalValue, [
        { id: 'it-words-step', name: 'Words test' },
      ]);
    } finally {
      messages.restore();
      await config.update('steps', before?.globalValue, vscode.ConfigurationTarget.Global);
    }
  });
});
