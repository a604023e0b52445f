import vscode = require('vscode');
import { l10n } from 'vscode';
import { StoredResult, resultDocumentText } from '../core/results/storedResult';
import { sourceUri } from '../documents/documentSource';
import { plainText } from '../core/text/plainText';
import { join } from 'node:path';
import { SaveRefusedError, ensureFolderInside, entryAt, writeResultFile } from '../core/files/containment';
import { OverwritePolicy, numberedName, planSaveFolder, savedResultName } from '../core/results/saveTarget';
import { ScopedLog } from '../log';
import * as settings from '../settings';

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
 * `docutray.saveResults.mode`: writes each successful result as `<source name>.<step>.json` beside its
 * source or into `docutray.resultsFolder`, never overwriting without leave
 * (`docutray.saveResults.overwrite`: ask, overwrite, numbered). Only inside the workspace folder, open
 * in this window, that holds the source — never another window's folder, never the first folder for a
 * source in none — on real paths, never through a symbolic link (core/results/saveTarget.ts).
 */
export class ResultSaver {
  constructor(private readonly log: ScopedLog) {}

  /** The workspace file a result came from and the folder of this window that holds it, if any. */
  private placeOf(result: StoredResult): { source: vscode.Uri; folder?: vscode.WorkspaceFolder } | undefined {
    // A URL or an execution looked up by id: there is no file to save beside.
    const source = result.source.kind === 'workspace' ? sourceUri(result.source)?.uri : undefined;
    return source?.scheme === 'file' ? { source, folder: vscode.workspace.getWorkspaceFolder(source) } : undefined;
  }

  async save(result: StoredResult): Promise<vscode.Uri | undefined> {
    const place = this.placeOf(result);
    const workspaceFolder = place?.folder;
    const mode = settings.saveResultsMode(workspaceFolder?.uri);
    if (mode === 'never' || result.status !== 'SUCCESS' || !place) {
      return undefined;
    }
    const plan = planSaveFolder(
      mode,
      place.source.fsPath,
      workspaceFolder?.uri.fsPath,
      settings.resultsFolder(workspaceFolder?.uri),
    );
    if ('refused' in plan) {
      this.log.warn(
        `the result of ${result.executionId} was not saved as a file: ${plan.refused} (it is kept in DocuTray's storage)`,
      );
      if (workspaceFolder) {
        // a setting to fix, not a run from another window's folder
        void vscode.window.showWarningMessage(
          l10n.t(
            'DocuTray: the result of {0} was not saved as a file: docutray.resultsFolder must be a folder inside the workspace folder.',
            plainText(result.sourceName),
          ),
        );
      }
      return undefined;
    }
    try {
      return await this.write(
        result,
        plan.folder,
        (workspaceFolder as vscode.WorkspaceFolder).uri.fsPath,
        settings.overwritePolicy(workspaceFolder?.uri),
      );
    } catch (e) {
      if (e instanceof SaveRefusedError) {
        this.log.warn(`the result of ${result.executionId} was not saved as a file: ${e.message}`);
        void vscode.window.showWarningMessage(
          l10n.t(
            'DocuTray: the result of {0} was not saved as a file: the place it would go leads out of the workspace folder.',
            plainText(result.sourceName),
          ),
        );
        return undefined;
      }
      throw e;
    }
  }

  private async write(
    result: StoredResult,
    plannedFolder: string,
    root: string,
    policy: OverwritePolicy,
  ): Promise<vscode.Uri | undefined> {
    const folder = await ensureFolderInside(root, plannedFolder);
    const name = savedResultName(result.sourceName, result.stepId);
    const taken = async (n: string) => (await entryAt(join(folder, n))) !== 'none';
    const numbered = async () => join(folder, await numberedName(name, taken));
    let target = join(folder, name);
    let how: 'create' | 'replace' = 'create';
    const at = await entryAt(target);
    if (at === 'link' || at === 'other') {
      // Never followed, never replaced: the result goes under the next free name.
      this.log.warn(`${target} is ${at === 'link' ? 'a symbolic link' : 'not a file'}: not followed or overwritten`);
      target = await numbered();
    } else if (at === 'file') {
      if (policy === 'numbered') {
        target = await numbered();
      } else if (policy === 'overwrite') {
        how = 'replace';
      } else {
        const overwrite = l10n.t('Overwrite');
        const keepBoth = l10n.t('Keep Both');
        const choice = await vscode.window.showWarningMessage(
          l10n.t(
            '{0} exists already. Overwrite it with the new result?',
            plainText(vscode.workspace.asRelativePath(vscode.Uri.file(target))),
          ),
          overwrite,
          keepBoth,
        );
        if (choice === keepBoth) {
          target = await numbered();
        } else if (choice === overwrite) {
          how = 'replace';
        } else {
          this.log.info(`kept ${target}: not overwritten`);
          return undefined;
        }
      }
    }
    if (!(await writeResultFile(target, resultDocumentText(result), how))) {
      this.log.info(`kept ${target}: it appeared meanwhile, not overwritten`);
      return undefined;
    }
    const uri = vscode.Uri.file(target);
    this.log.info(`saved the result of ${result.executionId} to ${vscode.workspace.asRelativePath(uri)}`);
    return uri;
  }
}
