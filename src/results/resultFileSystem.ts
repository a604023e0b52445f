import vscode = require('vscode');
import { ByteCache } from '../core/results/byteCache';
import {
  ResultNaming,
  ResultView,
  StoredResult,
  executionRecordText,
  parseResultLocation,
  resultDocumentText,
  resultLocation,
} from '../core/results/storedResult';
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
 * types into a result. Activation registers the scheme (lazyProviders.ts) and builds this
 * on the first stat or read.
 */
export class ResultFileSystem implements ResultFileSystemReads {
  /** Rendered documents, so a stat and the read that follows render once (bounded by bytes). */
  private readonly rendered = new ByteCache<Uint8Array>(16 * 1024 * 1024);
  /** The size of each document rendered (numbers only): stat never renders a result twice. */
  private readonly sizes = new Map<string, { size: number; time: number }>();

  constructor(private readonly store: ResultStore) {}

  static uriFor(result: ResultNaming, view: ResultView = 'data'): vscode.Uri {
    return vscode.Uri.from({ scheme: RESULT_SCHEME, ...resultLocation(result, view) });
  }

  /** The execution (and view) a `docutray-result:` URI shows; undefined for any other URI. */
  static parse(uri: vscode.Uri): { executionId: string; view: ResultView } | undefined {
    return uri.scheme === RESULT_SCHEME ? parseResultLocation(uri.path, uri.query) : undefined;
  }

  /** The stored result behind a URI; its receivedAt tells one stored copy from a later one. */
  private async resultFor(uri: vscode.Uri): Promise<{ result: StoredResult; view: ResultView; key: string }> {
    const parsed = parseResultLocation(uri.path, uri.query);
    const result = parsed && (await this.store.get(parsed.executionId));
    if (!parsed || !result) {
      throw vscode.FileSystemError.FileNotFound(uri);
    }
    // Two runs of one document and step share a path: the execution tells them apart.
    return { result, view: parsed.view, key: `${parsed.executionId}|${parsed.view}|${result.receivedAt}` };
  }

  private async render(uri: vscode.Uri): Promise<{ bytes: Uint8Array; key: string }> {
    const { result, view, key } = await this.resultFor(uri);
    const cached = this.rendered.get(key);
    if (cached) {
      return { bytes: cached, key };
    }
    const bytes = Buffer.from(view === 'data' ? resultDocumentText(result) : executionRecordText(result), 'utf8');
    this.rendered.set(key, bytes, bytes.byteLength);
    if (this.sizes.size >= 10_000) {
      this.sizes.clear();
    }
    this.sizes.set(key, { size: bytes.byteLength, time: Date.parse(result.receivedAt) || 0 });
    this.renders++;
    return { bytes, key };
  }

  async stat(uri: vscode.Uri): Promise<vscode.FileStat> {
    // The root, and the folders of the older layout (`/<executionId>/…`); a result names its execution.
    if (uri.path === '/' || (/^\/[^/]+\/?$/.test(uri.path) && !parseResultLocation(uri.path, uri.query))) {
      return { type: vscode.FileType.Directory, ctime: 0, mtime: 0, size: 0 };
    }
    const { key } = await this.resultFor(uri);
    const known =
      this.sizes.get(key) ?? (this.sizes.get((await this.render(uri)).key) as { size: number; time: number });
    return {
      type: vscode.FileType.File,
      ctime: known.time,
      mtime: known.time,
      size: known.size,
      permissions: vscode.FilePermission.Readonly,
    };
  }

  async readFile(uri: vscode.Uri): Promise<Uint8Array> {
    return (await this.render(uri)).bytes;
  }

  /** How many times a document was rendered (for tests): a stat after the first costs nothing. */
  renders = 0;

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
