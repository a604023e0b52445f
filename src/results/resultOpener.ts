import vscode = require('vscode');
import type { StoredResult } from '../core/results/storedResult';
import { ResultFileSystem } from './resultFileSystem';
import * as settings from '../settings';

/** Opens a stored result, as `docutray.openResult` says (or as asked). */
export async function openResult(
  result: StoredResult,
  mode: settings.OpenResultMode = settings.openResultMode(),
): Promise<vscode.TextEditor | undefined> {
  if (mode === 'none') {
    return undefined;
  }
  const doc = await vscode.workspace.openTextDocument(ResultFileSystem.uriFor(result));
  // Beside what is open. With nothing open there is nothing to be beside, and Beside would leave an
  // empty group on the left and the result in half the window.
  const beside = mode === 'beside' && vscode.window.tabGroups.activeTabGroup.tabs.length > 0;
  return vscode.window.showTextDocument(doc, {
    viewColumn: beside ? vscode.ViewColumn.Beside : vscode.ViewColumn.Active,
    preview: false,
    preserveFocus: false,
  });
}
