/**
 * The batches of every window, in global storage beside the runs: one file per batch,
 * `batches/<batch id>.json`, kept as the runs are (core/store/recordFolder.ts): written atomically, so a
 * reader never sees half a batch and two windows never collide; damaged files moved aside, never deleted.
 *
 * A batch has an owner window (`owner`, the window id of ownership.ts): only it writes the batch while it
 * is alive, and only while it still owns it (`update`). When that window is gone, one other window claims
 * the batch (`claim`) and resumes it. Entries of a batch file that cannot be read are set aside in a file
 * beside it (`<id>.json.set-aside-<digest>.json`), once, whichever window reads it first.
 */
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { RecordFolder, type RecordFolderOptions, createExclusive } from '../store/recordFolder';
import type { RunRecord } from '../runs/history';
import { BATCHES_DIR, parseBatch, serializeBatch } from './file';
import type { BatchRecord } from './record';

export interface BatchNotes {
  /** What the file had wrong (duplicates merged, entries set aside). */
  problems: string[];
  /** Run records an older file's states stand for. */
  legacyRuns: RunRecord[];
}

export interface BatchStoreOptions extends RecordFolderOptions {
  /** Told once per damaged batch file, by the window that set its entries aside. */
  onSetAside?: (batchId: string, problems: string[], keptAs: string) => void;
}

export class BatchStore {
  private readonly folder: RecordFolder<BatchRecord>;
  private readonly notes = new WeakMap<BatchRecord, BatchNotes>();
  private readonly setAside = new WeakMap<BatchRecord, unknown[]>();

  constructor(root: string, options: BatchStoreOptions = {}) {
    this.folder = new RecordFolder<BatchRecord>(
      join(root, BATCHES_DIR),
      {
        noun: 'batch',
        parse: v => {
          const parsed = parseBatch(v);
          if (parsed && (parsed.problems.length || parsed.legacyRuns.length)) {
            this.notes.set(parsed.batch, { problems: parsed.problems, legacyRuns: parsed.legacyRuns });
          }
          if (parsed?.setAside.length) {
            this.setAside.set(parsed.batch, parsed.setAside);
          }
          return parsed?.batch;
        },
        serialize: serializeBatch,
        afterRead: async (batch, file) => {
          const entries = this.setAside.get(batch);
          if (!entries) {
            return;
          }
          const text = JSON.stringify(entries, null, 2);
          const keptAs = `${file}.set-aside-${createHash('sha256').update(text).digest('hex').slice(0, 12)}.json`;
          // Created once: the window that creates it is the one that says so.
          if (await createExclusive(keptAs, text).catch(() => false)) {
            options.onSetAside?.(batch.id, this.notes.get(batch)?.problems ?? [], keptAs);
          }
        },
      },
      options,
    );
  }

  get dir(): string {
    return this.folder.dir;
  }

  /** What reading this batch found wrong, and the run records an older file stands for. */
  notesOf(batch: BatchRecord): BatchNotes | undefined {
    return this.notes.get(batch);
  }

  read(id: string): Promise<BatchRecord | undefined> {
    return this.folder.read(id);
  }

  readAt(file: string): Promise<BatchRecord | undefined> {
    return this.folder.readAt(file);
  }

  list(): Promise<BatchRecord[]> {
    return this.folder.list();
  }

  fileNames(): Promise<string[]> {
    return this.folder.fileNames();
  }

  fileOf(id: string): string {
    return this.folder.fileOf(id);
  }

  /** Writes a new batch (the window that creates it owns it). */
  create(batch: BatchRecord): Promise<boolean> {
    return this.folder.create(batch);
  }

  /** Changes a batch while `me` owns it; undefined when it does not (any more) — see RecordFolder.updateOwned. */
  update(id: string, me: string, change: (stored: BatchRecord) => BatchRecord | undefined) {
    return this.folder.updateOwned(id, me, change);
  }

  /** Takes over a batch whose owner `from` is gone: exactly one window wins. */
  claim(id: string, me: string, from: string | undefined, claimerAlive: (windowId: string) => boolean) {
    return this.folder.claim(id, me, from, claimerAlive);
  }

  remove(ids: readonly string[]): Promise<void> {
    return this.folder.remove(ids);
  }
}
