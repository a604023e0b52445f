import vscode = require('vscode');
import { l10n } from 'vscode';
import type { ResultFileSystemReads } from './results/resultFileSystem';
import { RESULT_SCHEME } from './results/resultScheme';

/*
 * What activation registers before the rest of the extension is loaded: the `docutray-result:` file
 * system and the runs tree answer VS Code at once, and build the real provider on the first call.
 */

/** Registers `docutray-result:` as read-only; `provider()` is built on the first stat or read. */
export function registerResultFileSystem(provider: () => ResultFileSystemReads): vscode.Disposable {
  const message = new vscode.MarkdownString(
    l10n.t('DocuTray results are read-only. [Save a copy](command:docutray.saveResultCopy) to edit one.'),
  );
  message.isTrusted = { enabledCommands: ['docutray.saveResultCopy'] };
  const unchanging = new vscode.EventEmitter<vscode.FileChangeEvent[]>(); // a stored result never changes
  const lazy: vscode.FileSystemProvider = {
    onDidChangeFile: unchanging.event,
    watch: () => new vscode.Disposable(() => undefined),
    stat: uri => provider().stat(uri),
    readDirectory: uri => provider().readDirectory(uri),
    createDirectory: uri => provider().createDirectory(uri),
    readFile: uri => provider().readFile(uri),
    writeFile: (uri, content, options) => provider().writeFile(uri, content, options),
    delete: (uri, options) => provider().delete(uri, options),
    rename: (from, to, options) => provider().rename(from, to, options),
  };
  return vscode.Disposable.from(
    vscode.workspace.registerFileSystemProvider(RESULT_SCHEME, lazy, { isCaseSensitive: true, isReadonly: message }),
    unchanging,
  );
}

/** A tree data provider that builds `provider()` when the view first asks for its items. */
export function lazyTreeDataProvider<T>(
  provider: () => vscode.TreeDataProvider<T>,
  changed: vscode.Event<T | T[] | undefined>,
): vscode.TreeDataProvider<T> {
  return {
    onDidChangeTreeData: changed,
    getChildren: element => provider().getChildren(element),
    getTreeItem: element => provider().getTreeItem(element),
  };
}
