import vscode = require('vscode');

/**
 * How long after a prompt opens a focus loss is taken for the active editor taking the keyboard back,
 * not for the user leaving: the prompt is shown again, once.
 */
const SETTLE_MS = 1500;

/**
 * Whether the active editor may take the keyboard back just after a command from the palette opened a
 * prompt over it. The Welcome page's walkthrough does: the Enter that ran the command is released over
 * its focused step, which selects that step again and focuses it 250 ms later. A webview or custom
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
 * Shows `input` so that it keeps the keyboard: while the editor settles, a focus loss closes it (that is
 * how the loss is seen) and it opens again at once, focused, with what it held; after that it follows
 * `ignoreFocusOut`. An Escape in that first moment closes it the second time only. Resolves with what
 * the `onAccept` listener hands to `done`, or undefined when it is closed; the input is disposed either way.
 * `beforeShowingAgain` gives back what the workbench drops when it hides an input.
 */
function showKeepingKeyboard<T>(
  input: vscode.QuickInput,
  ignoreFocusOut: boolean,
  onAccept: (resolve: (value: T) => void) => vscode.Disposable,
  beforeShowingAgain: () => void = () => undefined,
): Promise<T | undefined> {
  input.ignoreFocusOut = false;
  let shownAgain = false;
  const settle = setTimeout(() => {
    input.ignoreFocusOut = ignoreFocusOut;
    shownAgain = true;
  }, SETTLE_MS);
  return new Promise(resolve => {
    let settled = false;
    const done = (value: T | undefined) => {
      if (!settled) {
        settled = true;
        clearTimeout(settle);
        resolve(value);
        input.dispose();
      }
    };
    onAccept(done);
    input.onDidHide(() => {
      if (settled) {
        return;
      }
      if (!shownAgain) {
        shownAgain = true;
        input.ignoreFocusOut = ignoreFocusOut;
        beforeShowingAgain();
        input.show();
        return;
      }
      done(undefined);
    });
    input.show();
  });
}

/**
 * `showInputBox` that keeps the keyboard over an editor that takes it back (see `showKeepingKeyboard`), and
 * that opens empty without an error: "Enter an API key." waits until something is typed, or until Enter is
 * pressed on nothing (then the box opens again, saying what it needs).
 */
export async function askInput(options: vscode.InputBoxOptions): Promise<string | undefined> {
  const validate = options.validateInput;
  if (!validate || (options.value ?? '') !== '') {
    return askInputOnce(options);
  }
  let typed = false;
  const value = await askInputOnce({
    ...options,
    validateInput: v => {
      if (!typed && v === '') {
        return undefined;
      }
      typed = true;
      return validate(v);
    },
  });
  if (value === '' && (await validate(value))) {
    return askInputOnce(options); // Enter on nothing: now the box says what it needs
  }
  return value;
}

async function askInputOnce(options: vscode.InputBoxOptions): Promise<string | undefined> {
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
  let validations = 0;
  const validate = async (value: string): Promise<boolean> => {
    const n = ++validations;
    const message = (await options.validateInput?.(value)) ?? undefined;
    if (n === validations) {
      box.validationMessage = message;
    }
    return !message || (typeof message === 'object' && message.severity !== vscode.InputBoxValidationSeverity.Error);
  };
  box.onDidChangeValue(v => void validate(v));
  void validate(box.value);
  return showKeepingKeyboard<string>(box, !!options.ignoreFocusOut, done =>
    box.onDidAccept(async () => {
      const value = box.value;
      if (await validate(value)) {
        done(value);
      }
    }),
  );
}

/** What `askPick` takes: `showQuickPick`'s options, one item or several. */
export type AskPickOptions = Pick<
  vscode.QuickPickOptions,
  'title' | 'placeHolder' | 'matchOnDescription' | 'matchOnDetail' | 'ignoreFocusOut'
>;

/**
 * `showQuickPick` that keeps the keyboard over an editor that takes it back (see `showKeepingKeyboard`).
 * With `canPickMany`, the items marked `picked` start checked.
 */
export function askPick<T extends vscode.QuickPickItem>(
  items: readonly T[],
  options: AskPickOptions & { canPickMany: true },
): Promise<T[] | undefined>;
export function askPick<T extends vscode.QuickPickItem>(
  items: readonly T[],
  options: AskPickOptions & { canPickMany?: false },
): Promise<T | undefined>;
export async function askPick<T extends vscode.QuickPickItem>(
  items: readonly T[],
  options: AskPickOptions & { canPickMany?: boolean },
): Promise<T | T[] | undefined> {
  if (!mayTakeFocusBack()) {
    return options.canPickMany
      ? vscode.window.showQuickPick(items, { ...options, canPickMany: true })
      : vscode.window.showQuickPick(items, { ...options, canPickMany: false });
  }
  const pick = vscode.window.createQuickPick<T>();
  pick.title = options.title;
  pick.placeholder = options.placeHolder;
  pick.matchOnDescription = !!options.matchOnDescription;
  pick.matchOnDetail = !!options.matchOnDetail;
  pick.canSelectMany = !!options.canPickMany;
  pick.items = items;
  let checked: readonly T[] = options.canPickMany ? items.filter(i => i.picked) : [];
  pick.selectedItems = checked;
  pick.onDidChangeSelection(s => (checked = s));
  return showKeepingKeyboard<T | T[]>(
    pick,
    !!options.ignoreFocusOut,
    done =>
      pick.onDidAccept(() => {
        const chosen = pick.selectedItems[0] ?? pick.activeItems[0];
        if (options.canPickMany) {
          done([...pick.selectedItems]);
        } else if (chosen) {
          done(chosen);
        }
      }),
    // A quick pick hidden and shown again shows no items until they are set again.
    () => {
      pick.items = items;
      if (options.canPickMany) {
        pick.selectedItems = checked;
      }
    },
  );
}
