import vscode = require('vscode');
import { l10n } from 'vscode';
import { stat } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { BATCHES_DIR } from '../core/batches/file';
import type { KnownBatches } from '../core/batches/known';
import type { BatchRecord } from '../core/batches/record';
import { BatchStore } from '../core/batches/store';
import { plainText } from '../core/text/plainText';
import type { ScopedLog } from '../log';
import type { RunHistory } from '../runs/runHistory';

/** The store of the batches in global storage; a file that could not be read is set aside and said. */
export function openBatchStore(storageUri: vscode.Uri, log: ScopedLog): BatchStore {
  return new BatchStore(storageUri.fsPath, {
    onProblem: p => log.warn(`${p.message}: ${p.movedTo ? `kept as ${p.movedTo}` : p.file}`),
    onSetAside: (id, problems, keptAs) => {
      log.warn(`batch ${id}: ${problems.join('; ')} (kept as ${keptAs})`);
      void vscode.window.showWarningMessage(
        l10n.t(
          'DocuTray: a stored batch had entries that could not be read; they were set aside in {0} and the rest of the batch goes on.',
          plainText(basename(keptAs)),
        ),
      );
    },
  });
}

/**
 * The batches of every window, as this window follows them: read from the store on first use, then kept
 * current by a watcher on `batches/` that reads each file it names (a file is dropped only once it is seen
 * gone, never because a listing started before it was written). A batch read from an older file gets the
 * run records its states stand for (created where none exists; any window may, they are the same).
 */
export class BatchRecords implements vscode.Disposable {
  private loading: Promise<void> | undefined;
  private readonly changed = new vscode.EventEmitter<void>();
  readonly onDidChange = this.changed.event;
  private readonly unlisten: () => void;
  private watching: vscode.Disposable | undefined;
  private disposed = false;
  /**
   * How many times this window has written each batch: a read that began before one of its writes holds what
   * it wrote before, and must not replace the newer record it holds.
   */
  private readonly writes = new Map<string, number>();

  constructor(
    private readonly storageUri: vscode.Uri,
    readonly store: BatchStore,
    /** What this window holds of them (the history's bound reads it too). */
    private readonly batches: KnownBatches,
    private readonly history: RunHistory,
    private readonly log: ScopedLog,
  ) {
    this.unlisten = batches.onChange(() => this.changed.fire());
  }

  /** Every batch of every window (read from the store the first time). */
  async all(): Promise<BatchRecord[]> {
    this.loading ??= this.load();
    await this.loading;
    return this.batches.list();
  }

  /** The batches as last read; undefined before the first read (the history bound then keeps every batch run). */
  known(): BatchRecord[] | undefined {
    return this.batches.known();
  }

  get(id: string): BatchRecord | undefined {
    return this.batches.get(id);
  }

  /** Holds a batch this window has just written. */
  set(batch: BatchRecord): void {
    this.writes.set(batch.id, this.written(batch.id) + 1);
    this.batches.set(batch);
  }

  private written(id: string): number {
    return this.writes.get(id) ?? 0;
  }

  forget(ids: readonly string[]): void {
    this.batches.forget(ids);
  }

  private async load(): Promise<void> {
    await this.history.all();
    await this.reload();
    void this.watch();
  }

  /** Reads every stored batch again; a batch missing from the listing is dropped only once its file is gone. */
  async reload(): Promise<void> {
    const before = new Map(this.writes);
    const stored = await this.store.list().catch(e => {
      this.log.error(`could not read the batches: ${(e as Error).message}`);
      return undefined;
    });
    if (!stored) {
      return;
    }
    const seen = new Set<string>();
    for (const b of stored) {
      seen.add(b.id);
      await this.take(b, before.get(b.id) ?? 0);
    }
    for (const id of this.batches.ids()) {
      if (!seen.has(id) && !(await exists(this.store.fileOf(id)))) {
        this.batches.drop(id, true);
      }
    }
    this.batches.loaded();
  }

  /** Reads one batch file again (the one a watcher named, or one about to be acted on). */
  async refresh(id: string): Promise<BatchRecord | undefined> {
    for (;;) {
      const before = this.written(id);
      const b = await this.store.read(id).catch(() => undefined);
      if (b) {
        if (!(await this.take(b, before))) {
          continue; // written here while it was read: read what was written
        }
      } else if (!(await exists(this.store.fileOf(id))) && this.written(id) === before) {
        this.batches.drop(id, true);
      }
      this.changed.fire();
      return b;
    }
  }

  /**
   * Holds a batch read from the store, unless this window wrote it since the read began (`writesBefore`: how
   * many times it had then): what it holds is newer. Returns whether it took it.
   */
  private async take(b: BatchRecord, writesBefore: number): Promise<boolean> {
    const legacy = this.store.notesOf(b)?.legacyRuns ?? [];
    for (const run of legacy) {
      // An older file's states as run records: created once (whoever comes first), never over a newer record.
      await this.history.create({ ...run }).catch(() => false);
    }
    if (this.written(b.id) !== writesBefore) {
      return false;
    }
    this.batches.set(b, true);
    return true;
  }

  /**
   * Other windows' batches, as they write them. The folder is made first: a watcher on a folder that does
   * not exist yet hears nothing.
   */
  private async watch(): Promise<void> {
    const dir = vscode.Uri.joinPath(this.storageUri, BATCHES_DIR);
    await Promise.resolve(vscode.workspace.fs.createDirectory(dir)).catch(e =>
      this.log.warn(`could not create the batches folder: ${(e as Error).message}`),
    );
    if (this.disposed) {
      return;
    }
    const watcher = vscode.workspace.createFileSystemWatcher(new vscode.RelativePattern(dir, '*.json'));
    const pending = new Set<string>();
    let timer: ReturnType<typeof setTimeout> | undefined;
    const onFile = (uri: vscode.Uri) => {
      const name = basename(uri.fsPath);
      if (!name.endsWith('.json') || name.includes('.json.')) {
        return; // set-aside entries and takeover tokens are not batches
      }
      pending.add(name.slice(0, -'.json'.length));
      clearTimeout(timer);
      timer = setTimeout(() => {
        const ids = [...pending];
        pending.clear();
        void Promise.all(ids.map(id => this.refresh(id)));
      }, 100);
    };
    this.watching = vscode.Disposable.from(
      watcher,
      watcher.onDidCreate(onFile),
      watcher.onDidChange(onFile),
      watcher.onDidDelete(onFile),
      { dispose: () => clearTimeout(timer) },
    );
  }

  /** The folder the batches live in (activation lists it without loading anything). */
  static dir(storageUri: vscode.Uri): string {
    return join(storageUri.fsPath, BATCHES_DIR);
  }

  dispose(): void {
    this.disposed = true;
    this.unlisten();
    this.watching?.dispose();
    this.changed.dispose();
  }
}

async function exists(file: string): Promise<boolean> {
  return stat(file).then(
    () => true,
    () => false,
  );
}
