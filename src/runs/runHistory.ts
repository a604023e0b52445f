import vscode = require('vscode');
import { RunGroup, RunRecord, boundHistory, isInFlight } from '../core/runs/history';
import { ResumeDecision, mayClaimNow, resumeDecision } from '../core/runs/ownership';
import { RUNS_DIR, RunStore, StoreProblem } from '../core/runs/runStore';
import { ScopedLog } from '../log';
import type { FollowingQuery } from './following';
import { RunFilesWatch } from './runFilesWatch';
import { WindowPresenceKeeper } from './runOwnership';

export interface RunHistoryOptions {
  /** Execution ids whose results this window has open (the history bound keeps them). */
  showing?: () => string[];
  /** A store file that could not be read was moved aside (or could not be). */
  onProblem?: (p: StoreProblem) => void;
  /** Whether a workspace folder of this window holds the run's source (such a window takes an orphan over first). */
  holdsSource?: (run: RunRecord) => boolean;
  /**
   * The batches, whose runs the bound keeps or drops together; undefined while they have not been read (then
   * every run of a batch stays). Asked once per bound, with the runs it bounds.
   */
  groups?: (runs: readonly RunRecord[]) => RunGroup[] | undefined;
  /** Removes the batches the bound drops, before their runs go (a batch must never outlive its runs). */
  removeGroups?: (ids: string[]) => Promise<void>;
  /**
   * What this window follows now (runs it polls, batches it drives): a run it owns that nobody follows is taken
   * up again. Without it every run counts as followed.
   */
  following?: FollowingQuery;
}

/** A run this window may now drive, claimed from a window that is gone. */
export interface Resumable {
  run: RunRecord;
  action: Extract<ResumeDecision, 'poll' | 'markMayHaveStarted'>;
}

/**
 * Every run of every window, in the store they share (core/runs/runStore.ts: one file per run in
 * global storage). Loaded on first use, not at activation. This window keeps the records in memory
 * (the Runs view reads them) and follows the store (RunFilesWatch: a file watcher, and a listing on each
 * heartbeat), so another window's runs appear here; a record this window is driving stays as this window
 * has it (with its live stage) until it finishes. Only the records that change are written, so no window erases another's.
 */
export class RunHistory implements vscode.Disposable {
  readonly store: RunStore;
  readonly presence: WindowPresenceKeeper;
  private readonly runs = new Map<string, RunRecord>();
  private loading: Promise<void> | undefined;
  private readonly changed = new vscode.EventEmitter<RunRecord | undefined>();
  /** Fires with the run that changed, or undefined when the whole list did. */
  readonly onDidChange = this.changed.event;
  private readonly lost = new vscode.EventEmitter<string>();
  /** Fires with the id of a run this window was driving and another window has taken over. */
  readonly onDidLose = this.lost.event;
  private readonly orphans = new vscode.EventEmitter<void>();
  /** Fires when a run in flight has lost its window (closed, reloaded, crashed): someone should take it over. */
  readonly onDidFindOrphans = this.orphans.event;
  /** Keeps `runs` in step with what other windows write. */
  private readonly files: RunFilesWatch;
  /** When this window first saw each orphaned run (for the grace left to a window holding its source). */
  private readonly goneSince = new Map<string, number>();

  constructor(
    private readonly storageUri: vscode.Uri,
    private readonly log: ScopedLog,
    private readonly maxRuns: () => number,
    /** Told of runs removed by this window (Remove, Clear Finished, the bound), after their files went. */
    private readonly onRemoved: (removed: RunRecord[]) => void = () => undefined,
    private readonly options: RunHistoryOptions = {},
  ) {
    this.store = new RunStore(storageUri.fsPath, {
      onProblem: p => {
        this.log.warn(`${p.message}: ${p.movedTo ? `kept as ${p.movedTo}` : p.file}`);
        this.options.onProblem?.(p);
      },
    });
    this.files = new RunFilesWatch(
      storageUri,
      this.store,
      {
        held: () => this.runs.values(),
        take: d => this.merge(d),
        gone: id => {
          const r = this.runs.get(id);
          if (r && !this.drives(r)) {
            this.runs.delete(id);
          }
        },
        readAll: () => this.readAll(),
        changed: () => this.changed.fire(undefined),
      },
      log,
    );
    this.presence = new WindowPresenceKeeper(
      this.store,
      log,
      () => this.options.showing?.() ?? [],
      () => this.checkOwners(),
    );
  }

  /** This window's id: the owner of the runs it starts. */
  get me(): string {
    return this.presence.id;
  }

  async all(): Promise<RunRecord[]> {
    this.loading ??= this.load();
    await this.loading;
    return [...this.runs.values()];
  }

  private async load(): Promise<void> {
    await this.presence.start();
    try {
      const migrated = await this.store.migrateLegacy();
      if (migrated) {
        this.log.info(`moved ${migrated} run(s) from runs.json into the shared store`);
      }
    } catch (e) {
      this.log.warn(`could not migrate runs.json: ${(e as Error).message}`);
    }
    await this.readAll();
    // The folder must exist before it is watched: a watcher set on a missing folder never reports
    // anything, and a fresh profile has no runs/ until its first run.
    await vscode.workspace.fs
      .createDirectory(vscode.Uri.joinPath(this.storageUri, RUNS_DIR))
      .then(undefined, e => this.log.warn(`could not create the runs folder: ${(e as Error).message}`));
    this.files.start();
    void this.store.sweep().then(
      swept => swept.length && this.log.info(`swept ${swept.length} orphaned file(s): ${swept.join(', ')}`),
      () => undefined,
    );
  }

  /** Reads every record and merges it in. */
  private async readAll(): Promise<void> {
    const disk = await this.store.list().catch(e => {
      this.log.error(`could not read the runs: ${(e as Error).message}`);
      return undefined;
    });
    if (!disk) {
      return;
    }
    const seen = new Set<string>();
    for (const d of disk) {
      seen.add(d.id);
      this.merge(d);
    }
    for (const [id, r] of this.runs) {
      if (!seen.has(id) && !this.drives(r)) {
        this.runs.delete(id);
      }
    }
  }

  /** True while this window drives `r`: it is in flight and this window owns it. */
  private drives(r: RunRecord): boolean {
    return r.owner === this.me && isInFlight(r);
  }

  /** Takes a record read from disk, keeping the object the rest of the window holds. */
  private merge(d: RunRecord): void {
    const mine = this.runs.get(d.id);
    if (!mine) {
      this.runs.set(d.id, d);
      return;
    }
    if (d.updatedAt < mine.updatedAt) {
      // Read before a newer write (a watcher's read racing this window's own write): it says nothing new.
      return;
    }
    if (this.drives(mine)) {
      if (d.owner === this.me) {
        return; // this window's copy is the newer one
      }
      this.log.warn(`run ${d.id} (${d.sourceName}) was taken over by another window`);
      this.lost.fire(d.id);
    }
    for (const key of Object.keys(mine) as (keyof RunRecord)[]) {
      if (!(key in d)) {
        delete mine[key];
      }
    }
    Object.assign(mine, d);
  }

  /** Takes a record this window has just written: it is the newest, whoever drives the run. */
  private adopt(d: RunRecord): void {
    const mine = this.runs.get(d.id);
    if (!mine) {
      this.runs.set(d.id, d);
      return;
    }
    for (const key of Object.keys(mine) as (keyof RunRecord)[]) {
      if (!(key in d) && key !== 'stage') {
        delete mine[key];
      }
    }
    Object.assign(mine, d);
  }

  /** Reads the store again (the Refresh action): every window's runs, and damage moved aside. */
  async reload(): Promise<RunRecord[]> {
    await this.all();
    await this.readAll();
    this.changed.fire(undefined);
    return [...this.runs.values()];
  }

  /** The runs as this window holds them now (empty before the first read): for views and bounds that must not wait. */
  snapshot(): RunRecord[] {
    return [...this.runs.values()];
  }

  async get(id: string): Promise<RunRecord | undefined> {
    await this.all();
    return this.runs.get(id);
  }

  async findByExecution(executionId: string): Promise<RunRecord | undefined> {
    return (await this.all()).find(r => r.executionId === executionId);
  }

  /** Whether this window drives the run (after a takeover by another window, it no longer does). */
  isMine(id: string): boolean {
    const r = this.runs.get(id);
    return !!r && r.owner === this.me;
  }

  /**
   * Adds a run and saves it at once (a start must be on disk before its request leaves); a run in
   * flight is owned by this window. Then applies the history bound to the runs of all windows.
   */
  async add(run: RunRecord): Promise<void> {
    await this.all();
    if (isInFlight(run)) {
      run.owner ??= this.me;
    }
    this.runs.set(run.id, run);
    this.changed.fire(undefined);
    await this.store.write(run);
    await this.bound();
  }

  /**
   * Creates a run only where none is (the fence before a batch's start: exactly one window, once, may send
   * it); false when a record with that id exists already. The bound is applied later, when the batch ends.
   */
  async create(run: RunRecord): Promise<boolean> {
    await this.all();
    if (isInFlight(run)) {
      run.owner ??= this.me;
    }
    if (!(await this.store.create(run))) {
      const there = await this.store.read(run.id).catch(() => undefined);
      if (there) {
        this.merge(there);
        this.changed.fire(undefined);
      }
      return false;
    }
    this.runs.set(run.id, run);
    this.changed.fire(run);
    return true;
  }

  /**
   * Records the execution id of a start DocuTray answered, even when another window owns the run by now
   * (RunStore.recordStart): the answer of a start that was on the wire is never lost.
   */
  async recordStart(id: string, change: Partial<RunRecord> & { executionId: string }): Promise<RunRecord | undefined> {
    await this.all();
    const written = await this.store.recordStart(id, change).catch(e => {
      this.log.error(`could not record execution ${change.executionId} of run ${id}: ${(e as Error).message}`);
      return undefined;
    });
    if (written) {
      if (written.owner && written.owner !== this.me) {
        this.log.info(
          written.executionId === change.executionId
            ? `recorded execution ${change.executionId} of ${written.sourceName} for window ${written.owner}, which drives it now`
            : `execution ${change.executionId} of ${written.sourceName} not recorded: it has ${written.executionId ?? 'none'}`,
        );
      }
      this.adopt(written);
      this.changed.fire(this.runs.get(id));
    }
    return written;
  }

  /**
   * Updates a run this window may write, with the change worked out from the record as stored now;
   * undefined when the store did not take it (gone, or another window drives it).
   */
  async updateWith(
    id: string,
    change: (stored: RunRecord) => Partial<RunRecord> | undefined,
  ): Promise<RunRecord | undefined> {
    await this.all();
    const written = await this.store
      .updateWith(id, this.me, stored => {
        const c = change(stored);
        return c && { ...c, updatedAt: Date.now() };
      })
      .catch(e => {
        this.log.error(`could not save run ${id}: ${(e as Error).message}`);
        return undefined;
      });
    const now = written ?? (await this.store.read(id).catch(() => undefined));
    if (written) {
      this.adopt(written);
    } else if (now) {
      this.merge(now);
    }
    this.changed.fire(now ? this.runs.get(id) : undefined);
    return written;
  }

  /**
   * Whether this window still owns a run before it sends anything for it: certain while its lease is fresh;
   * after a freeze, the heartbeat is written again and the stored record says.
   */
  async stillOwns(id: string): Promise<boolean> {
    if (this.presence.leaseFresh()) {
      return this.runs.get(id)?.owner === this.me;
    }
    await this.presence.renew();
    const stored = await this.store.read(id).catch(() => undefined);
    if (stored) {
      this.merge(stored);
    }
    return stored?.owner === this.me;
  }

  /** Applies the history bound now (a batch applies it once it ends, not at each of its runs). */
  applyBound(): Promise<void> {
    return this.bound();
  }

  /**
   * Past `docutray.history.maxRuns`, the oldest finished runs go, with their results; never a run in
   * flight (some window is waiting for it) nor one whose result a live window has open. A batch goes whole,
   * its record first (see boundHistory).
   */
  private async bound(): Promise<void> {
    // The runs of all windows as this window follows them: one it has not seen yet is kept, never
    // dropped, and a removal of a run another window removed already is a no-op.
    const all = [...this.runs.values()];
    await this.presence.refresh();
    const showing = this.presence.showingAnywhere();
    const groups = this.options.groups?.(all);
    const { dropped, droppedGroups } = boundHistory(
      all,
      this.maxRuns(),
      // Before the batches were read, every batch's run stays: its batch may still need it.
      r => (!!r.executionId && showing.has(r.executionId)) || (!groups && !!r.batchId),
      groups ?? [],
    );
    if (droppedGroups.length) {
      try {
        await this.options.removeGroups?.(droppedGroups);
      } catch (e) {
        this.log.warn(`history bound: could not remove batches ${droppedGroups.join(', ')}: ${(e as Error).message}`);
        return; // their runs stay: a batch must never be left without them
      }
    }
    if (dropped.length) {
      this.log.info(`history bound (${this.maxRuns()}): dropping ${dropped.length} oldest finished run(s)`);
      await this.removeRecords(dropped);
    }
  }

  /**
   * Updates a run; `persist: false` for live stage text that need not survive a reload. Undefined when
   * the change was not stored: the run is gone, or another window drives it (the record here is then
   * set back to what the store holds).
   */
  async update(id: string, change: Partial<RunRecord>, persist = true): Promise<RunRecord | undefined> {
    await this.all();
    const run = this.runs.get(id);
    if (!run) {
      return undefined;
    }
    if (!persist) {
      // Live text only: not a new version of the record (a newer one read from disk must still win).
      Object.assign(run, change);
      this.changed.fire(run);
      return run;
    }
    const stamped = { ...change, updatedAt: Date.now() };
    const { stage: _stage, ...stored } = stamped;
    const written = await this.store.update(id, stored, this.me).catch(e => {
      this.log.error(`could not save run ${id}: ${(e as Error).message}`);
      return null;
    });
    if (written === undefined) {
      const now = await this.store.read(id).catch(() => undefined);
      if (now) {
        this.merge(now);
      } else {
        this.runs.delete(id);
      }
      this.changed.fire(undefined);
      this.log.info(`run ${id} not updated here: ${now ? 'another window drives it' : 'it was removed'}`);
      return undefined;
    }
    Object.assign(run, stamped);
    this.changed.fire(run);
    return run;
  }

  /** Removes runs with their stored results, in every window (the one delete operation). */
  async remove(ids: readonly string[]): Promise<RunRecord[]> {
    await this.all();
    const removed = ids.map(id => this.runs.get(id)).filter((r): r is RunRecord => !!r);
    await this.removeRecords(removed);
    return removed;
  }

  private async removeRecords(records: RunRecord[]): Promise<void> {
    await this.store.remove(records);
    for (const r of records) {
      this.runs.delete(r.id);
    }
    this.onRemoved(records);
    this.changed.fire(undefined);
  }

  /**
   * The runs in flight whose window is gone, each claimed for this window (exactly one window wins
   * each): those with an execution id to poll, those cut off while starting to mark. Runs a live
   * window drives are left to it; `active` ones this window drives already.
   */
  async takeOver(active: (id: string) => boolean): Promise<Resumable[]> {
    await this.all();
    await this.presence.refresh();
    await this.readAll();
    const found: Resumable[] = [];
    for (const run of [...this.runs.values()]) {
      if (run.batchId) {
        continue; // a batch's runs belong to the batch: the window that takes the batch over takes them
      }
      if (run.owner === this.me && isInFlight(run) && run.executionId && !active(run.id)) {
        // Taken over while it was starting, and its start answered since (in the window that sent it): poll it.
        found.push({ run, action: 'poll' });
        continue;
      }
      const action = resumeDecision(run, this.me, this.presence.alive);
      if ((action !== 'poll' && action !== 'markMayHaveStarted') || active(run.id)) {
        this.goneSince.delete(run.id);
        continue;
      }
      const now = Date.now();
      const since = this.goneSince.get(run.id) ?? now;
      this.goneSince.set(run.id, since);
      if (!mayClaimNow(this.options.holdsSource?.(run) ?? true, !!run.owner, since, now)) {
        continue; // a window that holds its source may take it first
      }
      this.goneSince.delete(run.id);
      if (await this.store.claim(run.id, this.me, run.owner, this.presence.alive).catch(() => false)) {
        this.log.info(
          `took over run ${run.id} (${run.sourceName}) from ${run.owner ? `window ${run.owner}, gone` : 'a window of an older version'}`,
        );
        run.owner = this.me;
        found.push({ run, action });
      }
    }
    if (found.length) {
      this.changed.fire(undefined);
    }
    return found;
  }

  /** Every heartbeat: notices a run this window lost, and runs whose window is gone. */
  private async checkOwners(): Promise<void> {
    await this.files.check();
    for (const r of [...this.runs.values()].filter(x => this.drives(x))) {
      const d = await this.store.read(r.id).catch(() => undefined);
      if (d && d.owner !== this.me) {
        this.merge(d);
        this.changed.fire(undefined);
      }
    }
    if (
      [...this.runs.values()].some(
        r =>
          resumeDecision(r, this.me, this.presence.alive) === 'poll' ||
          resumeDecision(r, this.me, this.presence.alive) === 'markMayHaveStarted' ||
          // Its start answered in the window that sent it after this one had taken it over: poll it here
          // (a batch's run, by driving its batch again).
          (r.owner === this.me &&
            isInFlight(r) &&
            !!r.executionId &&
            (r.batchId
              ? !(this.options.following?.drivesBatch(r.batchId) ?? false)
              : !(this.options.following?.followsRun(r.id) ?? true))),
      )
    ) {
      this.orphans.fire();
    }
  }

  dispose(): void {
    this.files.dispose();
    this.presence.dispose();
    this.changed.dispose();
    this.lost.dispose();
    this.orphans.dispose();
  }
}
