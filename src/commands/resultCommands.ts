import vscode = require('vscode');
import { l10n } from 'vscode';
import { resultFileName } from '../core/results/naming';
import { resultDocumentText } from '../core/results/storedResult';
import { ResultFileSystem } from '../results/resultFileSystem';
import { RESULT_SCHEME } from '../results/resultScheme';
import type { Services } from '../services';

function resultUri(arg: unknown): vscode.Uri | undefined {
  if (arg instanceof vscode.Uri && arg.scheme === RESULT_SCHEME) {
    return arg;
  }
  const active = vscode.window.activeTextEditor?.document.uri;
  return active?.scheme === RESULT_SCHEME ? active : undefined;
}

async function storedFor(s: Services, arg: unknown) {
  const uri = resultUri(arg);
  const parsed = uri && ResultFileSystem.parse(uri);
  const result = parsed && (await s.results.get(parsed.executionId));
  if (!result) {
    void vscode.window.showInformationMessage(l10n.t('Open a DocuTray result first.'));
  }
  return result;
}

/** `docutray.showExecutionRecord`: the whole execution record (ids, timestamps, status) of a result. */
export async function showExecutionRecord(s: Services, arg?: unknown): Promise<void> {
  const result = await storedFor(s, arg);
  if (result) {
    const doc = await vscode.workspace.openTextDocument(ResultFileSystem.uriFor(result, 'execution'));
    await vscode.window.showTextDocument(doc, { preview: false, viewColumn: vscode.ViewColumn.Active });
  }
}

/** `docutray.saveResultCopy`: saves the result's JSON where the user chooses (linked from the read-only message). */
export async function saveResultCopy(s: Services, arg?: unknown): Promise<vscode.Uri | undefined> {
  const result = await storedFor(s, arg);
  if (!result) {
    return undefined;
  }
  const folder = vscode.workspace.workspaceFolders?.[0]?.uri;
  // Named as saved results are (`<document>.<step id>.json`), not as the tab is.
  const name = resultFileName(result.sourceName, result.stepId);
  const target = await vscode.window.showSaveDialog({
    defaultUri: folder ? vscode.Uri.joinPath(folder, name) : undefined,
    filters: { JSON: ['json'] },
    saveLabel: l10n.t('Save Result'),
  });
  if (!target) {
    return undefined;
  }
  await vscode.workspace.fs.writeFile(target, Buffer.from(resultDocumentText(result), 'utf8'));
  await vscode.window.showTextDocument(target, { preview: false });
  return target;
}
