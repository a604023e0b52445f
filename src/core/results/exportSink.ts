/**
 * Where an export is written as it is made. Node's fs only; no `vscode`.
 */
import { open, rm, type FileHandle } from 'node:fs/promises';
import { renameRetrying, uniqueTemp } from '../store/recordFolder';
import type { ExportSink } from './export';

/** Text is written to the file in pieces of about this many characters. */
const PIECE_CHARS = 64 * 1024;

/**
 * An export written into a file as it is made: into a temporary file beside it, then renamed over it
 * (commit), so a cancelled or failed export leaves whatever was there as it was (abort).
 */
export class FileSink implements ExportSink {
  private pending: string[] = [];
  private pendingChars = 0;

  private constructor(
    readonly file: string,
    private readonly tmp: string,
    private readonly handle: FileHandle,
  ) {}

  static async open(file: string): Promise<FileSink> {
    const tmp = uniqueTemp(file);
    return new FileSink(file, tmp, await open(tmp, 'wx'));
  }

  async write(text: string): Promise<void> {
    this.pending.push(text);
    this.pendingChars += text.length;
    if (this.pendingChars >= PIECE_CHARS) {
      await this.flush();
    }
  }

  private async flush(): Promise<void> {
    const text = this.pending.join('');
    this.pending = [];
    this.pendingChars = 0;
    if (text) {
      await this.handle.write(text, null, 'utf8');
    }
  }

  async commit(): Promise<void> {
    try {
      await this.flush();
      await this.handle.close();
      await renameRetrying(this.tmp, this.file);
    } catch (e) {
      await this.abort();
      throw e;
    }
  }

  async abort(): Promise<void> {
    await this.handle.close().catch(() => undefined);
    await rm(this.tmp, { force: true });
  }
}

/** An export kept as text: for a file system that cannot be written in pieces, and for tests. */
export class TextSink implements ExportSink {
  private readonly parts: string[] = [];

  write(text: string): Promise<void> {
    this.parts.push(text);
    return Promise.resolve();
  }

  text(): string {
    return this.parts.join('');
  }
}
