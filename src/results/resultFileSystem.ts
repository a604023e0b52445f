import vscode = require('vscode');
import { ResultView, StoredResult, executionRecordText, parseResultPath, resultDocumentText, resultPath } from '../core/results/storedResult';
import { ResultStore } from './resultStore';
import { RESULT_SCHEME } from './resultScheme';

/**
 * A file system provider without its change side: a stored result never changes, so the provider
 * activation registers answers onDidChangeFile and watch itself.
 */
export type ResultFileSystemReads = Omit<vscode.FileSystemProvider, 'onDidChangeFile' | 'watch'>;

/**
 * Serves results as read-only JSON documents under `docutray-result:`. A file system provider (not a
 * content provider) so VS Code shows our read-only message, with its link to save a copy, when someone
 * types into a result. Activation registers the scheme (activation/lazyProviders.ts) and builds this
 * on the first stat or read.
 */
export class ResultFileSystem implements ResultFileSystemReads {
  constructor(private readonly store: ResultStore) { }

  static uriFor(result: Pick<StoredResult, 'executionId' | 'sourceName' | 'stepId'>, view: ResultView = 'data'): vscode.Uri {
    return vscode.Uri.from({ scheme: RESULT_SCHEME, path: resultPath(result, view) });
  }

  private async text(uri: vscode.Uri): Promise<string> {
    const parsed = parseResultPath(uri.path);
    const result = parsed && await this.store.get(parsed.executionId);
    if (!parsed || !result) {
      throw vscode.FileSystemError.FileNotFound(uri);
    }
    return parsed.view === 'data' ? resultDocumentText(result) : executionRecordText(result);
  }

  async stat(uri: vscode.Uri): Promise<vscode.FileStat> {
    if (uri.path === '/' || /^\/[^/]+\/?$/.test(uri.path)) {
      return { type: vscode.FileType.Directory, ctime: 0, mtime: 0, size: 0 };
    }
    const text = await this.text(uri);
    const parsed = parseResultPath(uri.path);
    const result = parsed && await this.store.get(parsed.executionId);
    const time = result ? Date.parse(result.receivedAt) || 0 : 0;
    return { type: vscode.FileType.File, ctime: time, mtime: time, size: Buffer.byteLength(text), permissions: vscode.FilePermission.Readonly };
  }

  async readFile(uri: vscode.Uri): Promise<Uint8Array> {
    return Buffer.from(await this.text(uri), 'utf8');
  }

  readDirectory(): [string, vscode.FileType][] {
    return [];
  }

  createDirectory(uri: vscode.Uri): void {
    throw vscode.FileSystemError.NoPermissions(uri);
  }

  writeFile(uri: vscode.Uri): void {
    throw vscode.FileSystemError.NoPermissions(uri);
  }

  delete(uri: vscode.Uri): void {
    throw vscode.FileSystemError.NoPermissions(uri);
  }

  rename(uri: vscode.Uri): void {
    throw vscode.FileSystemError.NoPermissions(uri);
  }
}
