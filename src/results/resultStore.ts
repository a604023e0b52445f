import vscode = require('vscode');
import { ByteCache } from '../core/results/byteCache';
import { StoredResult, parseStoredResult, serializeStoredResult } from '../core/results/storedResult';
import { safeFileNamePart } from '../core/store/fileNames';

/** Results kept in memory, by the size of their files: about this much at most. */
export const RESULT_CACHE_BYTES = 32 * 1024 * 1024;

/**
 * Results on disk, in the extension's global storage: `results/<executionId>.json`, compact, with one
 * copy of the data. Written before a result is shown; read back by the result editor after a reload.
 * The ones in use are kept in memory, bounded by bytes (least recently used go first).
 */
export class ResultStore {
  private readonly cache: ByteCache<StoredResult>;

  constructor(
    private readonly storageUri: vscode.Uri,
    cacheBytes = RESULT_CACHE_BYTES,
  ) {
    this.cache = new ByteCache(cacheBytes);
  }

  private fileFor(executionId: string): vscode.Uri {
    return vscode.Uri.joinPath(this.storageUri, 'results', `${safeFileNamePart(executionId)}.json`);
  }

  async save(result: StoredResult): Promise<void> {
    const bytes = Buffer.from(serializeStoredResult(result), 'utf8');
    await vscode.workspace.fs.createDirectory(vscode.Uri.joinPath(this.storageUri, 'results'));
    await vscode.workspace.fs.writeFile(this.fileFor(result.executionId), bytes);
    this.cache.set(result.executionId, result, bytes.byteLength);
  }

  async get(executionId: string): Promise<StoredResult | undefined> {
    return this.cache.get(executionId) ?? (await this.read(executionId, true));
  }

  /**
   * A result for one look (an export reads hundreds, once each): from memory when it is there, else
   * from disk without keeping it, so it neither stays alive nor pushes out the results in use.
   */
  async peek(executionId: string): Promise<StoredResult | undefined> {
    return this.cache.get(executionId) ?? (await this.read(executionId, false));
  }

  private async read(executionId: string, keep: boolean): Promise<StoredResult | undefined> {
    try {
      const bytes = await vscode.workspace.fs.readFile(this.fileFor(executionId));
      const parsed = parseStoredResult(Buffer.from(bytes).toString('utf8'));
      if (parsed && keep) {
        this.cache.set(executionId, parsed, bytes.byteLength);
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
