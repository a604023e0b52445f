import vscode = require('vscode');
import { l10n } from 'vscode';
import { StoredResult, resultDocumentText } from '../core/results/storedResult';
import { numberedName, savedResultName } from '../core/results/saveTarget';
import { ScopedLog } from '../logging/log';
import * as settings from '../settings/settings';

/** Whether anything is at `uri` (in any file system VS Code knows). */
export async function exists(uri: vscode.Uri): Promise<boolean> {
  try {
    await vscode.workspace.fs.stat(uri);
    return true;
  } catch {
    return false;
  }
}

/**
 * `docutray.saveResults`: writes each successful result as `<source name>.<step>.json` beside its
 * source or into `docutray.resultsFolder`, never overwriting without leave
 * (`docutray.saveResults.overwrite`: ask, overwrite, numbered).
 */
export class ResultSaver {
  constructor(private readonly log: ScopedLog) { }

  /** Where the result would go, or undefined when saving is off or the source is not a file. */
  folderFor(result: StoredResult): vscode.Uri | undefined {
    const mode = settings.saveResultsMode();
    if (mode === 'never' || result.status !== 'SUCCESS') {
      return undefined;
    }
    let source: vscode.Uri | undefined;
    try {
      source = /^https?:/i.test(result.source) ? undefined : vscode.Uri.parse(result.source, true);
    } catch {
      source = undefined;
    }
    if (mode === 'besideSource') {
      return source && source.scheme !== 'docutray-execution' ? vscode.Uri.joinPath(source, '..') : undefined;
    }
    const folder = (source && vscode.workspace.getWorkspaceFolder(source)) ?? vscode.workspace.workspaceFolders?.[0];
    return folder ? vscode.Uri.joinPath(folder.uri, settings.resultsFolder()) : undefined;
  }

  async save(result: StoredResult): Promise<vscode.Uri | undefined> {
    const folder = this.folderFor(result);
    if (!folder) {
      return undefined;
    }
    const name = savedResultName(result.sourceName, result.stepId);
    let target = vscode.Uri.joinPath(folder, name);
    if (await exists(target)) {
      const policy = settings.overwritePolicy();
      if (policy === 'numbered') {
        target = vscode.Uri.joinPath(folder, await numberedName(name, n => exists(vscode.Uri.joinPath(folder, n))));
      } else if (policy === 'ask') {
        const overwrite = l10n.t('Overwrite');
        const keepBoth = l10n.t('Keep Both');
        const choice = await vscode.window.showWarningMessage(l10n.t('{0} exists already. Overwrite it with the new result?', vscode.workspace.asRelativePath(target)), overwrite, keepBoth);
        if (choice === keepBoth) {
          target = vscode.Uri.joinPath(folder, await numberedName(name, n => exists(vscode.Uri.joinPath(folder, n))));
        } else if (choice !== overwrite) {
          this.log.info(`kept ${target.fsPath}: not overwritten`);
          return undefined;
        }
      }
    }
    await vscode.workspace.fs.createDirectory(folder);
    await vscode.workspace.fs.writeFile(target, Buffer.from(resultDocumentText(result), 'utf8'));
    this.log.info(`saved the result of ${result.executionId} to ${vscode.workspace.asRelativePath(target)}`);
    return target;
  }
}
