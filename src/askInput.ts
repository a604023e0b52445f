import vscode = require('vscode');

/**
 * How long after an input box opens a focus loss is taken for the active editor taking the keyboard back,
 * not for the user leaving: the box is shown again, once.
 */
const SETTLE_MS = 1500;

/**
 * Whether the active editor may take the keyboard back just after a command from the palette opened an
 * input box over it. The Welcome page's walkthrough does: the Enter that ran the command is released
 * over its focused step, which selects that step again and focuses it 250 ms later. A webview or custom
 * editor (the image preview) does too (microsoft/vscode#93950). Text editors do not.
 */
function mayTakeFocusBack(): boolean {
  const tab = vscode.window.tabGroups.activeTabGroup.activeTab;
  const input = tab?.input;
  return (
    !!tab &&
    !(
      input instanceof vscode.TabInputText ||
      input instanceof vscode.TabInputTextDiff ||
      input instanceof vscode.TabInputNotebook ||
      input instanceof vscode.TabInputNotebookDiff ||
      input instanceof vscode.TabInputTerminal
    )
  );
}

/**
 * `showInputBox` that keeps the keyboard: over an editor that takes the focus back just after the box
 * opens, the box closes on that focus loss and opens again at once, focused (what it held is kept); an
 * Escape in that first moment closes it the second time only. Over any other editor it is
 * `showInputBox` itself.
 */
export async function askInput(options: vscode.InputBoxOptions): Promise<string | undefined> {
  if (!mayTakeFocusBack()) {
    return vscode.window.showInputBox(options);
  }
  const box = vscode.window.createInputBox();
  box.title = options.title;
  box.prompt = options.prompt;
  box.placeholder = options.placeHolder;
  box.password = !!options.password;
  box.value = options.value ?? '';
  if (options.valueSelection) {
    box.valueSelection = options.valueSelection;
  }
  // A focus loss while the editor settles must close the box: that is how it is seen (and the box shown again).
  box.ignoreFocusOut = false;
  let shownAgain = false;
  const settle = setTimeout(() => {
    box.ignoreFocusOut = !!options.ignoreFocusOut;
    shownAgain = true;
  }, SETTLE_MS);
  let validations = 0;
  const validate = async (value: string): Promise<boolean> => {
    const n = ++validations;
    const message = (await options.validateInput?.(value)) ?? undefined;
    if (n === validations) {
      box.validationMessage = message;
    }
    return !message || (typeof message === 'object' && message.severity !== vscode.InputBoxValidationSeverity.Error);
  };
  return new Promise(resolve => {
    let settled = false;
    const done = (value: string | undefined) => {
      if (!settled) {
        settled = true;
        clearTimeout(settle);
        resolve(value);
        box.dispose();
      }
    };
    box.onDidChangeValue(v => void validate(v));
    box.onDidAccept(async () => {
      const value = box.value;
      if (await validate(value)) {
        done(value);
      }
    });
    box.onDidHide(() => {
      if (!shownAgain) {
        shownAgain = true;
        box.ignoreFocusOut = !!options.ignoreFocusOut;
        box.show();
        return;
      }
      done(undefined);
    });
    void validate(box.value);
    box.show();
  });
}
