import vscode = require('vscode');
import type { BatchDocument, BatchRecord } from '../core/batches/record';
import type { RunRecord } from '../core/runs/history';
import type { ClientFactory } from '../api/clientFactory';
import type { ErrorPresenter } from '../errorPresenter';
import type { ScopedLog } from '../log';
import type { Following } from '../runs/following';
import type { RunService } from '../runs/runService';
import type { RunStatusBar } from '../runs/statusBar';
import { BatchActions } from './batchActions';
import { BatchDrives, type BatchRunRequest, type BatchWithin, type TogetherResult } from './batchDrives';
import type { BatchRecords } from './batchRecords';
import { BatchRows } from './batchRows';

export { StoppedWithError } from './batchDrives';
export type { BatchRunRequest, BatchWithin, TogetherResult } from './batchDrives';

/**
 * Batches: one step over many documents, paced by the key's request budget, with one notification, the
 * status bar counting its documents, each document's run in the history (its state), results stored before
 * a run is marked done, and one message at the end. The batch is kept as `batches/<id>.json`
 * (core/batches/store.ts) so a reload resumes it: pending documents are sent, started ones polled, and a
 * start that may have happened is never sent again without the user.
 *
 * Only the window that owns a batch drives it (batchDriver.ts); another window takes it over once that
 * window is gone, exactly one (a claim token), and a window that lost it while frozen stops before it sends.
 *
 * Three jobs, three classes, and this one face over them for the rest of the window: the driving
 * (batchDrives.ts), what the user does to a batch and what an end offers (batchActions.ts), and the rows the
 * Runs view lists (batchRows.ts).
 */
export class BatchService implements vscode.Disposable {
  private readonly drives: BatchDrives;
  private readonly actions: BatchActions;
  private readonly rows: BatchRows;
  readonly onDidChange: vscode.Event<void>;
  /** A batch this window drove ran to its end (not cancelled, not stopped); `quiet`: its caller says so (a check). */
  readonly onDidFinish: vscode.Event<{ batch: BatchRecord; quiet: boolean }>;

  constructor(
    readonly records: BatchRecords,
    clients: ClientFactory,
    runs: RunService,
    statusBar: RunStatusBar,
    errors: ErrorPresenter,
    log: ScopedLog,
    /** Told of the batches held here (driven or reserved) and while a drive runs (see BatchDriver). */
    following: Pick<Following, 'startDriving' | 'stopDriving' | 'hold' | 'release'>,
  ) {
    this.drives = new BatchDrives(records, clients, runs, statusBar, errors, log, following);
    this.actions = new BatchActions(records, runs.history, this.drives, errors, log);
    this.rows = new BatchRows(records, runs.history);
    this.onDidChange = this.drives.onDidChange;
    this.onDidFinish = this.drives.onDidFinish;
  }

  /** Every batch this window knows (loaded from the store on first use). */
  all(): Promise<BatchRecord[]> {
    return this.records.all();
  }

  isDriving(id: string): boolean {
    return this.drives.isDriving(id);
  }

  /** Whether a live window other than this one drives the batch. */
  drivenElsewhere(b: BatchRecord): boolean {
    return this.drives.drivenElsewhere(b);
  }

  isAlive(b: BatchRecord): boolean {
    return this.drives.isAlive(b);
  }

  /** "37 of 120 done · 2 failed · about 3 min left". */
  describe(b: BatchRecord): string {
    return this.drives.describe(b);
  }

  /** Starts a batch in this window and runs it to its end (resolves when it ends). */
  run(request: BatchRunRequest): Promise<BatchRecord> {
    return this.drives.run(request);
  }

  /** Batches that belong together (Compare Two Steps): each proves its step before any sends the rest. */
  runTogether(requests: readonly (BatchRunRequest & { within: BatchWithin })[]): Promise<TogetherResult> {
    return this.drives.runTogether(requests);
  }

  /** Cancels a batch this window drives (its requests under way settle first). */
  cancel(id: string): boolean {
    return this.drives.cancel(id);
  }

  cancelAll(): number {
    return this.drives.cancelAll();
  }

  /** Picks up batches whose window is gone; returns how many. */
  resume(): Promise<number> {
    return this.drives.resume();
  }

  /** Resume from the Runs view: false when another live window drives it, or nothing can go on. */
  resumeBatch(id: string): Promise<boolean> {
    return this.actions.resumeBatch(id);
  }

  /** Review…: the documents that may have started, sent again only after a modal; how many were sent. */
  review(id: string): Promise<number> {
    return this.actions.review(id);
  }

  /** Retry Failed, in the batch itself; resolves when the retried documents have ended. */
  retryFailed(id: string): Promise<BatchRecord | undefined> {
    return this.actions.retryFailed(id);
  }

  /** Removes batches (cancelled first when running here): the batch first, then its runs and results. */
  remove(ids: readonly string[]): Promise<void> {
    return this.actions.remove(ids);
  }

  /** Removes batch files only (the history bound removes their runs after). */
  removeRecords(ids: readonly string[]): Promise<void> {
    return this.actions.removeRecords(ids);
  }

  /** A run of a batch's document that a later attempt replaced (Retry Failed, Review…). */
  isEarlierAttempt(r: RunRecord): boolean {
    return this.rows.isEarlierAttempt(r);
  }

  /** A batch's documents as the Runs view lists them. */
  children(batch: BatchRecord): (RunRecord | BatchDocument)[] {
    return this.rows.children(batch);
  }

  dispose(): void {
    this.actions.dispose();
    this.drives.dispose();
  }
}
