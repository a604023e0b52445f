import vscode = require('vscode');
import { l10n } from 'vscode';
import {
  type BatchDocument,
  type BatchRecord,
  type BatchScope,
  type RunLookup,
  batchFailure,
  createBatch,
  documentsOf,
  isBatchAlive,
  isOpen,
  lookupIn,
} from '../core/batches/record';
import { MAX_TIMER_MS } from '../core/async/sleep';
import type { RunnerEnd } from '../core/batches/runner';
import { type SkipDecision, markSkipped } from '../core/batches/skip';
import { isInFlight } from '../core/runs/history';
import { transition } from '../core/runs/lifecycle';
import type { StepDefinition } from '../core/runs/steps';
import { plainText } from '../core/text/plainText';
import type { ClientFactory } from '../api/clientFactory';
import type { ErrorPresenter } from '../errorPresenter';
import type { ScopedLog } from '../log';
import type { Following } from '../runs/following';
import type { RunHistory } from '../runs/runHistory';
import type { RunService } from '../runs/runService';
import type { RunStatusBar } from '../runs/statusBar';
import { BatchDriver } from './batchDriver';
import { batchSubject, describeBatch, stepLabel } from './batchMessages';
import type { BatchRecords } from './batchRecords';

/** A batch to run: one step over many workspace documents, read only when their turn comes. */
export interface BatchRunRequest {
  step: StepDefinition;
  files: { uri: vscode.Uri; label: string }[];
  scope?: BatchScope;
  /** The skip rule's decision (core/batches/skip.ts): its `skip` documents reuse earlier results. */
  skip?: SkipDecision;
  /** Run under the caller's progress instead of the batch's own notification and end message. */
  within?: BatchWithin;
}

/**
 * A batch that is one part of something the caller shows (a Test Explorer run, Compare Two Steps): the
 * caller's token cancels it as the notification's Cancel would, the caller hears of each change, and the
 * caller says how it ended (nothing is announced; a long rate-limit pause is still announced, as it
 * resumes the batch later on its own).
 */
export interface BatchWithin {
  token: vscode.CancellationToken;
  /** The batch was recorded, or one of its documents changed. */
  onChange(batch: BatchRecord): void;
  /** How this drive ended: the caller reports a fatal error itself. */
  onEnd?(end: RunnerEnd): void;
}

/** How a drive goes: see BatchService.drive. */
interface DriveOptions {
  only?: ReadonlySet<string>;
  /** The caller reserved the batch for this drive (see BatchService.reserved). */
  reserved?: boolean;
  record?: boolean;
  /** Told when the drive stops for good (before it is recorded). */
  onFatal?: () => void;
}

/** How batches run together ended: each one's end, and the first that could not go on (and why). */
export interface TogetherResult {
  batches: BatchRecord[];
  ends: RunnerEnd[];
  failed?: { index: number; error: unknown };
}

/** Why a batch of a group stopped: another batch of the group could not go on (its step named). */
export class StoppedWithError extends Error {
  readonly kind = 'stoppedWith';
  constructor(readonly step: string) {
    super(`Stopped with ${step}, which could not run.`);
    this.name = 'StoppedWithError';
  }
}

/**
 * The driving of batches in this window: recording a new one, running it to its end under one notification
 * (or its caller's progress), taking over one whose window is gone, resuming after a reload or a long pause,
 * and recording how each drive ended. What the user is asked or told after an end is the actions' job
 * (batchActions.ts), which listens to `onDidAnnounce`, `onDidFindUncertain` and `onDidEndPause`.
 */
export class BatchDrives implements vscode.Disposable {
  private readonly drivers = new Map<string, BatchDriver>();
  /** Batches about to be driven here (Retry Failed between its decision and its drive): not resumed meanwhile. */
  private readonly reserved = new Set<string>();
  /**
   * Batches whose drive has begun and has not made its driver yet (it waits for the budget first): a second
   * drive asked meanwhile (a resume on the heartbeat and one from Refresh) finds the batch driven, so no two
   * drives of one batch ever run in a window.
   */
  private readonly entering = new Set<string>();
  private readonly changed = new vscode.EventEmitter<void>();
  readonly onDidChange = this.changed.event;
  private readonly finished = new vscode.EventEmitter<{ batch: BatchRecord; quiet: boolean }>();
  /** A batch this window drove ran to its end (not cancelled, not stopped); `quiet`: its caller says so (a check). */
  readonly onDidFinish = this.finished.event;
  private readonly announce = new vscode.EventEmitter<BatchRecord>();
  /** A drive ended (done or cancelled) with nobody else to say so: the user is told, and offered what is next. */
  readonly onDidAnnounce = this.announce.event;
  private readonly uncertain = new vscode.EventEmitter<{ batch: BatchRecord; documents: BatchDocument[] }>();
  /** A batch taken over here has documents that may have started: the user decides about them. */
  readonly onDidFindUncertain = this.uncertain.event;
  private readonly pauseOver = new vscode.EventEmitter<string>();
  /** A long rate-limit pause of a batch this window holds is over: it resumes. */
  readonly onDidEndPause = this.pauseOver.event;
  private readonly subscriptions: vscode.Disposable[] = [];
  private readonly pauseTimers = new Map<string, ReturnType<typeof setTimeout>>();
  private resuming: Promise<number> = Promise.resolve(0);
  private syncTimer: ReturnType<typeof setTimeout> | undefined;
  private ratePerMsSeen: number | undefined;

  constructor(
    readonly records: BatchRecords,
    private readonly clients: ClientFactory,
    private readonly runs: RunService,
    private readonly statusBar: RunStatusBar,
    private readonly errors: ErrorPresenter,
    private readonly log: ScopedLog,
    /** Told of the batches held here (driven or reserved) and while a drive runs (see BatchDriver). */
    private readonly following: Pick<Following, 'startDriving' | 'stopDriving' | 'hold' | 'release'>,
  ) {
    this.subscriptions.push(
      this.finished,
      this.announce,
      this.uncertain,
      this.pauseOver,
      records.onDidChange(() => this.changed.fire()),
      // A start another window sent before this one took the batch over may answer now: follow it.
      this.history.onDidChange(() => {
        this.syncTimer ??= setTimeout(() => {
          this.syncTimer = undefined;
          const runs = this.history.snapshot();
          this.drivers.forEach(d => d.sync(runs));
        }, 200);
      }),
    );
  }

  private get history(): RunHistory {
    return this.runs.history;
  }

  private lookup(): RunLookup {
    return lookupIn(this.history.snapshot());
  }

  /** Driven here now, or reserved for a drive about to start. */
  isDriving(id: string): boolean {
    return this.drivers.has(id) || this.entering.has(id) || this.reserved.has(id);
  }

  /** A drive of the batch runs in this window now. */
  drivesNow(id: string): boolean {
    return this.drivers.has(id);
  }

  /** Whether a live window other than this one drives the batch. */
  drivenElsewhere(b: BatchRecord): boolean {
    return !this.drivers.has(b.id) && !!b.owner && b.owner !== this.history.me && this.history.presence.alive(b.owner);
  }

  isAlive(b: BatchRecord): boolean {
    return isBatchAlive(b, this.lookup());
  }

  /** "37 of 120 done · 2 failed · about 3 min left". */
  describe(b: BatchRecord): string {
    return describeBatch(b, this.lookup(), { driving: this.drivers.has(b.id), ratePerMs: this.ratePerMsSeen });
  }

  /** Reserves a batch for a drive about to start (no resume takes it meanwhile); `release` gives it back. */
  reserve(id: string): void {
    this.reserved.add(id);
    this.following.hold(id, 'reserve');
  }

  release(id: string): void {
    this.reserved.delete(id);
    this.following.release(id, 'reserve');
  }

  /** Settles when the resumes asked so far have been decided. */
  resumed(): Promise<unknown> {
    return this.resuming;
  }

  /**
   * Starts a batch in this window: the batch is recorded (owned by this window), then run to its end under
   * one notification (resolves when it ends).
   */
  async run(request: BatchRunRequest): Promise<BatchRecord> {
    const batch = await this.record(request);
    const end = await this.drive(batch, request.within);
    request.within?.onEnd?.(end);
    return this.records.get(batch.id) ?? batch;
  }

  /** Records a new batch, owned by this window (nothing is sent yet). */
  private async record(request: BatchRunRequest): Promise<BatchRecord> {
    await this.records.all();
    const batch = createBatch({
      stepId: request.step.id,
      stepName: request.step.name,
      scope: request.scope,
      files: request.files.map(f => ({ uri: f.uri.toString(), label: f.label })),
      now: Date.now(),
    });
    batch.owner = this.history.me;
    if (request.skip) {
      markSkipped(batch, request.skip);
    }
    await this.records.store.create(batch);
    this.records.set(batch);
    const skipped = batch.documents.filter(d => d.reused).length;
    this.log.info(
      `batch ${batch.id}: step ${batch.stepId} on ${batch.documents.length} document(s), ${skipped} skipped`,
    );
    request.within?.onChange(batch);
    return batch;
  }

  /**
   * Batches that belong together (Compare Two Steps: one step each over the same documents), each under its
   * caller's `within`. Each proves its step with one start before any of them sends the rest, so a step that
   * cannot run (unknown, refused) costs at most one start of each other step; when one cannot go on, none
   * sends more, and each ends failed with the reason. Resolves when all have ended.
   */
  async runTogether(requests: readonly (BatchRunRequest & { within: BatchWithin })[]): Promise<TogetherResult> {
    const batches: BatchRecord[] = [];
    for (const request of requests) {
      batches.push(await this.record(request));
    }
    // One document of each first: the first still to send.
    const firsts = await Promise.all(
      batches.map((b, i) => {
        const first = documentsOf(b, this.lookup()).find(d => d.state === 'pending');
        return first
          ? this.drive(b, requests[i].within, { only: new Set([first.doc.runId]), record: false })
          : Promise.resolve<RunnerEnd>({ kind: 'done' });
      }),
    );
    const failed = firsts.findIndex(e => e.kind === 'fatal');
    const stopped = failed >= 0 ? new StoppedWithError(stepLabel(batches[failed])) : undefined;
    // Then the rest; a batch that stops for good stops the others with it.
    const ends = await Promise.all(
      batches.map(async (b, i): Promise<RunnerEnd> => {
        let end: RunnerEnd = stopped && i !== failed ? { kind: 'fatal', error: stopped } : firsts[i];
        if (end.kind === 'done') {
          end = await this.drive(this.records.get(b.id) ?? b, requests[i].within, {
            onFatal: () => batches.forEach(other => other.id !== b.id && this.cancel(other.id)),
          });
        } else {
          await this.ended(b, end, true);
        }
        requests[i].within.onEnd?.(end);
        return end;
      }),
    );
    // The batch that could not go on (the others stopped with it).
    const first = failed >= 0 ? failed : ends.findIndex(e => e.kind === 'fatal');
    return {
      batches: batches.map(b => this.records.get(b.id) ?? b),
      ends,
      ...(first >= 0 ? { failed: { index: first, error: (ends[first] as { error: unknown }).error } } : {}),
    };
  }

  /** Cancels a batch this window drives (its requests under way settle first). */
  cancel(id: string): boolean {
    const d = this.drivers.get(id);
    d?.cancel();
    return !!d;
  }

  cancelAll(): number {
    const all = [...this.drivers.values()];
    all.forEach(d => d.cancel());
    return all.length;
  }

  /**
   * Picks up batches whose window is gone (closed, reloaded, crashed), each by exactly one window: unsent
   * documents are sent, started ones polled, and documents whose start may have happened are listed for the
   * user (never sent again by themselves). Runs in the background; returns how many.
   */
  resume(): Promise<number> {
    // One at a time: the heartbeat, the activation and Refresh may all ask at once.
    const next = this.resuming.then(
      () => this.resumeOnce(),
      () => this.resumeOnce(),
    );
    this.resuming = next.catch(() => 0);
    return next;
  }

  private async resumeOnce(): Promise<number> {
    await this.records.all();
    await this.records.reload();
    await this.history.all();
    await this.history.presence.refresh();
    let resumed = 0;
    for (const b of await this.records.all()) {
      if (this.isDriving(b.id) || !this.isAlive(b) || this.drivenElsewhere(b) || this.waitsForPause(b)) {
        continue;
      }
      const uncertain = await this.takeOver(b);
      if (!uncertain) {
        continue;
      }
      if (uncertain.length) {
        this.uncertain.fire({ batch: b, documents: uncertain });
      }
      resumed++;
      void this.drive(b).catch(e => this.errors.report(e, 'resume batch'));
    }
    return resumed;
  }

  /** A batch paused by a long rate-limit pause resumes by itself when it is over (a timer in its owner). */
  private waitsForPause(b: BatchRecord): boolean {
    if (b.pausedUntil === undefined || b.pausedUntil <= Date.now()) {
      return false;
    }
    if (b.owner === this.history.me || !b.owner || !this.history.presence.alive(b.owner)) {
      this.schedulePauseEnd(b);
    }
    return true;
  }

  private schedulePauseEnd(b: BatchRecord): void {
    if (this.pauseTimers.has(b.id) || b.pausedUntil === undefined) {
      return;
    }
    const wait = Math.min(MAX_TIMER_MS, Math.max(0, b.pausedUntil - Date.now()));
    const timer = setTimeout(() => {
      this.pauseTimers.delete(b.id);
      if (b.pausedUntil !== undefined && b.pausedUntil > Date.now()) {
        this.schedulePauseEnd(b); // a pause longer than a timer can wait
        return;
      }
      this.pauseOver.fire(b.id);
    }, wait);
    timer.unref?.();
    this.pauseTimers.set(b.id, timer);
  }

  /**
   * Makes a batch this window's: claims it when its owner is gone (one window wins), and its runs in flight
   * whose window is gone; a run that was starting there may have started: it becomes "may have started".
   * Returns the documents that may have started (for the user), or undefined when this window did not get it.
   */
  async takeOver(b: BatchRecord): Promise<BatchDocument[] | undefined> {
    const me = this.history.me;
    const from = b.owner;
    if (from !== me) {
      if (!(await this.records.store.claim(b.id, me, from, this.history.presence.alive))) {
        return undefined;
      }
      this.log.info(`took over batch ${b.id} from ${from ? `window ${from}, gone` : 'a window'}`);
    }
    const fresh = (await this.records.refresh(b.id)) ?? b;
    if (fresh.owner !== me) {
      return undefined;
    }
    const alive = this.history.presence.alive;
    const uncertain: BatchDocument[] = [];
    for (const d of documentsOf(fresh, this.lookup())) {
      const run = d.run;
      if (!run || !isInFlight(run) || run.owner === me || (run.owner && alive(run.owner))) {
        continue;
      }
      if (!(await this.history.store.claim(run.id, me, run.owner, alive).catch(() => false))) {
        continue;
      }
      // Decided on the record as stored now: a start that answered meanwhile keeps its id and is polled.
      const written = await this.history.updateWith(run.id, stored => transition(stored, { type: 'interrupted' }));
      if (written?.state === 'mayHaveStarted') {
        uncertain.push(d.doc);
      }
      this.log.info(
        `batch ${fresh.id}: ${run.sourceName} taken over ${written?.executionId ? `as execution ${written.executionId}` : `as ${written?.state ?? 'unwritten'}`}`,
      );
    }
    await this.history.reload();
    return uncertain;
  }

  /**
   * Runs a batch this window owns to its end, under its one notification (or the caller's progress), and
   * records how it ended (`record` false: the caller does). `only`: the run ids this drive sends or follows
   * (the rest of the batch is left as it is). Resolves with how the drive ended.
   */
  async drive(batch: BatchRecord, within?: BatchWithin, opts: DriveOptions = {}): Promise<RunnerEnd> {
    if (this.drivers.has(batch.id) || this.entering.has(batch.id) || (this.reserved.has(batch.id) && !opts.reserved)) {
      return { kind: 'lost' };
    }
    this.entering.add(batch.id);
    const budget = await this.clients.currentBudget().finally(() => this.entering.delete(batch.id));
    if (!budget) {
      throw new Error(l10n.t('Set your DocuTray API key first (DocuTray: Set API Key).'));
    }
    this.ratePerMsSeen = Number.isFinite(budget.ratePerMs) ? budget.ratePerMs : undefined;
    const only = opts.only;
    const part = only ? { ...batch, documents: batch.documents.filter(d => only.has(d.runId)) } : batch;
    const driver = new BatchDriver(part, {
      history: this.history,
      following: this.following,
      records: this.records,
      runs: this.runs,
      client: this.clients.create(),
      budget,
      log: this.log,
    });
    this.drivers.set(batch.id, driver);
    this.following.hold(batch.id, 'drive');
    const open = documentsOf(part, this.lookup()).filter(d => isOpen(d.state)).length;
    const endOne = open ? this.statusBar.begin(open) : () => undefined;
    let end: RunnerEnd | undefined;
    const work = async (progress: vscode.Progress<{ message?: string }>, token: vscode.CancellationToken) => {
      const sub = token.onCancellationRequested(() => driver.cancel());
      let reportTimer: ReturnType<typeof setTimeout> | undefined;
      const report = () => {
        reportTimer ??= setTimeout(() => {
          reportTimer = undefined;
          progress.report({ message: this.describe(this.records.get(batch.id) ?? batch) });
        }, 100);
      };
      progress.report({ message: this.describe(batch) });
      try {
        end = await driver.run({
          onChange: () => {
            report();
            this.changed.fire();
            within?.onChange(this.records.get(batch.id) ?? batch);
          },
          onDocumentEnded: ok => endOne(ok),
        });
        if (end.kind === 'fatal') {
          opts.onFatal?.();
        }
      } finally {
        clearTimeout(reportTimer);
        sub.dispose();
      }
    };
    try {
      if (within) {
        if (within.token.isCancellationRequested) {
          driver.cancel();
        }
        await work({ report: () => undefined }, within.token);
      } else {
        await vscode.window.withProgress(
          {
            location: vscode.ProgressLocation.Notification,
            title: l10n.t('DocuTray: {0} on {1}', plainText(stepLabel(batch)), plainText(batchSubject(batch))),
            cancellable: true,
          },
          work,
        );
      }
    } finally {
      this.drivers.delete(batch.id);
      this.following.release(batch.id, 'drive');
      this.changed.fire();
    }
    const how = end ?? { kind: 'cancelled' };
    if (opts.record !== false) {
      await this.ended(batch, how, !!within);
    }
    return how;
  }

  /** Records how a drive ended, and says so once (`quiet`: the caller says it). */
  private async ended(batch: BatchRecord, end: RunnerEnd, quiet = false): Promise<void> {
    const me = this.history.me;
    const now = Date.now();
    const write = async (change: (b: BatchRecord) => BatchRecord) => {
      const updated = await this.records.store.update(batch.id, me, change).catch(e => {
        this.log.error(`could not save batch ${batch.id}: ${(e as Error).message}`);
        return undefined;
      });
      if (updated) {
        this.records.set(updated);
      }
      return updated ?? batch;
    };
    switch (end.kind) {
      case 'lost':
        this.log.warn(
          `batch ${batch.id}: another window took it over while this one was not answering; it drives it now`,
        );
        await this.records.refresh(batch.id);
        return;
      case 'fatal': {
        // It cannot go on: it ends failed, with the reason in words the user reads, and sends nothing more.
        const message =
          end.error instanceof StoppedWithError
            ? l10n.t('stopped with {0}, which could not run', end.error.step)
            : this.errors.present(end.error).message;
        const failure = { ...batchFailure(end.error, now), message };
        await write(b => ({ ...b, failure, endedAt: now }));
        this.log.warn(`batch ${batch.id}: stopped for good: ${failure.kind}: ${failure.message}`);
        void this.history.applyBound();
        if (!quiet) {
          this.errors.report(end.error, `batch ${stepLabel(batch)}`);
        }
        return;
      }
      case 'paused': {
        const paused = await write(b => ({ ...b, pausedUntil: end.until }));
        this.log.warn(`batch ${batch.id}: DocuTray asked to wait until ${new Date(end.until).toISOString()}`);
        this.schedulePauseEnd(paused);
        void vscode.window
          .showWarningMessage(
            l10n.t(
              "DocuTray: {0} on {1} is paused: DocuTray's rate limit asks to wait until {2}. It resumes then by itself.",
              plainText(stepLabel(batch)),
              plainText(batchSubject(batch)),
              new Date(end.until).toLocaleTimeString(),
            ),
            l10n.t('Show Runs'),
          )
          .then(c => c && vscode.commands.executeCommand('docutray.runs.focus'));
        return;
      }
      case 'cancelled': {
        const cancelled = await write(b => ({ ...b, cancelledAt: now, endedAt: now }));
        this.log.info(`batch ${batch.id}: cancelled`);
        void this.history.applyBound();
        if (!quiet) {
          this.announce.fire(cancelled);
        }
        return;
      }
      case 'done': {
        const done = await write(b => ({ ...b, endedAt: now }));
        void this.history.applyBound();
        this.finished.fire({ batch: done, quiet });
        if (!quiet) {
          this.announce.fire(done);
        }
        return;
      }
    }
  }

  dispose(): void {
    clearTimeout(this.syncTimer);
    this.pauseTimers.forEach(t => clearTimeout(t));
    this.subscriptions.forEach(s => s.dispose());
    this.changed.dispose();
  }
}
