import vscode = require('vscode');
import { basename } from 'node:path';
import type { RunRecord } from '../core/runs/history';
import { RUNS_DIR, type RunStore } from '../core/runs/runStore';
import type { ScopedLog } from '../log';

/** The window's copy of the runs, as the watch keeps it in step with the disk (RunHistory). */
export interface HeldRuns {
  /** The runs held now. */
  held(): Iterable<RunRecord>;
  /** Takes a record read from disk (RunHistory's merge: the copy a window is driving may stay). */
  take(record: RunRecord): void;
  /** A held run whose file is gone (removed by some window); its holder decides whether it goes. */
  gone(id: string): void;
  /** Reads every record again. */
  readAll(): Promise<void>;
  /** The copy changed (the whole list). */
  changed(): void;
}

/**
 * Keeps a window's copy of the shared runs folder in step with what other windows write there. A file
 * watcher is the fast path: it names the record files (and start receipts, `<run>.json.started`, which change
 * what their record reads as) and they are read after a short pause. Watchers drop events (seen in the
 * extension host's test runs), so on every heartbeat `check` also lists the folder: when the files are not the
 * runs held, or a held run lacks the execution id its receipt records, they are read again.
 */
export class RunFilesWatch implements vscode.Disposable {
  private watcher: vscode.Disposable | undefined;
  private pending = new Set<string>();
  private debounce: ReturnType<typeof setTimeout> | undefined;

  constructor(
    private readonly storageUri: vscode.Uri,
    private readonly store: RunStore,
    private readonly copy: HeldRuns,
    private readonly log: ScopedLog,
  ) {}

  /** Watches the runs folder (which must exist: a watcher set on a missing folder never reports). */
  start(): void {
    if (this.watcher) {
      return;
    }
    const watcher = vscode.workspace.createFileSystemWatcher(
      new vscode.RelativePattern(vscode.Uri.joinPath(this.storageUri, RUNS_DIR), '*.{json,started}'),
    );
    const onFile = (uri: vscode.Uri) => {
      this.pending.add(uri.fsPath.replace(/\.started$/, ''));
      if (this.debounce) {
        clearTimeout(this.debounce);
      }
      this.debounce = setTimeout(() => void this.readPending(), 150);
    };
    this.watcher = vscode.Disposable.from(
      watcher,
      watcher.onDidCreate(onFile),
      watcher.onDidChange(onFile),
      watcher.onDidDelete(onFile),
    );
  }

  /** Reads the files the watcher named: another window's new, changed or removed runs. */
  private async readPending(): Promise<void> {
    const files = [...this.pending];
    this.pending.clear();
    for (const file of files) {
      const id = [...this.copy.held()].find(r => this.store.fileOf(r.id) === file)?.id;
      const record = await this.store.readAt(file).catch(() => undefined);
      if (record) {
        this.copy.take(record);
      } else if (id) {
        this.copy.gone(id);
      }
    }
    this.copy.changed();
  }

  /** What the watcher may have missed, read again (see the class comment). */
  async check(): Promise<void> {
    const listing = await this.store.listing().catch(() => undefined);
    if (!listing) {
      return;
    }
    const held = new Set([...this.copy.held()].map(r => basename(this.store.fileOf(r.id))));
    if (listing.files.length !== held.size || listing.files.some(f => !held.has(f))) {
      await this.copy.readAll();
      this.copy.changed();
    }
    // A start receipt whose event was dropped: the run held here still lacks the execution id it records
    // (a start another window sent before this one took the run over), and nobody would poll it.
    const byFile = new Map([...this.copy.held()].map(r => [basename(this.store.fileOf(r.id)), r]));
    const unseen = listing.receipted.flatMap(f => {
      const run = byFile.get(f);
      return run && !run.executionId ? [run] : [];
    });
    for (const run of unseen) {
      const d = await this.store.readAt(this.store.fileOf(run.id)).catch(() => undefined);
      if (d?.executionId) {
        this.copy.take(d);
        if (run.executionId) {
          this.log.info(`read the start receipt of ${run.sourceName}: execution ${run.executionId}`);
        }
      }
    }
    if (unseen.length) {
      this.copy.changed();
    }
  }

  dispose(): void {
    if (this.debounce) {
      clearTimeout(this.debounce);
    }
    this.watcher?.dispose();
  }
}
