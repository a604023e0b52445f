import vscode = require('vscode');
import { StoredResult, parseStoredResult } from '../core/results/storedResult';
import { safeFileNamePart } from '../core/results/naming';

/**
 * Results on disk, in the extension's global storage: `results/<executionId>.json`. Written before a
 * result is shown; read back by the result editor after a reload.
 */
export class ResultStore {
  private readonly cache = new Map<string, StoredResult>();

  constructor(private readonly storageUri: vscode.Uri) { }

  private fileFor(executionId: string): vscode.Uri {
    return vscode.Uri.joinPath(this.storageUri, 'results', `${safeFileNamePart(executionId)}.json`);
  }

  async save(result: StoredResult): Promise<void> {
    await vscode.workspace.fs.createDirectory(vscode.Uri.joinPath(this.storageUri, 'results'));
    await vscode.workspace.fs.writeFile(this.fileFor(result.executionId), Buffer.from(JSON.stringify(result, null, 2), 'utf8'));
    this.cache.set(result.executionId, result);
  }

  async get(executionId: string): Promise<StoredResult | undefined> {
    const cached = this.cache.get(executionId);
    if (cached) {
      return cached;
    }
    try {
      const bytes = await vscode.workspace.fs.readFile(this.fileFor(executionId));
      const parsed = parseStoredResult(Buffer.from(bytes).toString('utf8'));
      if (parsed) {
        this.cache.set(executionId, parsed);
      }
      return parsed;
    } catch {
      return undefined;
    }
  }

  async remove(executionId: string): Promise<void> {
    this.cache.delete(executionId);
    try {
      await vscode.workspace.fs.delete(this.fileFor(executionId));
    } catch {
      // already gone
    }
  }
}
