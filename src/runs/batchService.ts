import vscode = require('vscode');
import { l10n } from 'vscode';
import { randomUUID } from 'node:crypto';
import { CancelledError } from '../core/api/errors';
import type { RequestBudget } from '../core/api/budget';
import {
  BatchFile,
  TERMINAL_FILE_STATES,
  cancelBatch,
  createBatch,
  etaParts,
  isBatchAlive,
  prepareResume,
  resolveUncertain,
  resumeCancelled,
  summarizeBatch,
} from '../core/runs/batch';
import { BATCHES_DIR, StoredBatch, fileStateOf, runStateOf } from '../core/runs/batchFiles';
import { runBatch } from '../core/runs/batchRunner';
import { BatchStore } from '../core/runs/batchStore';
import { RunRecord, executionDurationMs, isInFlight, recentDurations } from '../core/runs/history';
import { expandMetadata } from '../core/runs/metadata';
import { SkipDecision, markSkipped } from '../core/runs/skip';
import { formatRunSource, workspaceSource } from '../core/runs/source';
import type { StepDefinition } from '../core/runs/steps';
import type { StoredResult } from '../core/results/storedResult';
import { plainText } from '../core/text/plainText';
import type { ClientFactory } from '../api/clientFactory';
import type { ErrorPresenter } from '../errorPresenter';
import type { ScopedLog } from '../log';
import * as settings from '../settings';
import { documentInput, fileName, metadataVariables } from './documentSource';
import type { RunService } from './runService';
import { MessageAction, showMessage } from './runProgress';
import type { RunStatusBar } from './statusBar';

/** A batch to run: one step over many workspace files, read only when their turn comes. */
export interface BatchRunRequest {
  step: StepDefinition;
  files: { uri: vscode.Uri; label: string; sha256?: string }[];
  /** The skip rule's decision (core/runs/skip.ts): its `skip` files reuse earlier results. */
  skip?: SkipDecision;
  /**
   * Work before the batch exists, inside its notification (cancellable): hashing the files and the
   * skip rule. Gives each file's hash (in `files` order) and the decision, or undefined to stop.
   */
  prepare?: (
    report: (message: string) => void,
    signal: AbortSignal,
  ) => Promise<{ hashes: (string | undefined)[]; skip?: SkipDecision } | undefined>;
}

/** The batch's one notification, when the caller opened it already. */
interface BatchUi {
  progress: vscode.Progress<{ message?: string }>;
  token: vscode.CancellationToken;
}

/** How long the batch's record may wait before it is written (a 1,000-file batch changes often). */
const PERSIST_DEBOUNCE_MS = 500;

/**
 * Batches (issue 14): one step over many files, paced by the key's request budget through the batch
 * runner (core/runs/batchRunner.ts), with one notification, the status bar counting its files, each
 * file's run in the history (with the batch's id), results stored before a run is marked done, and
 * one summary at the end. The batch itself is kept as `batches/<id>.json` (core/runs/batchStore.ts)
 * so a reload resumes it: pending files are sent, started ones polled, and a start that may have
 * happened is never sent again without the user.
 *
 * Only the window that started (or took over) a batch drives it; another window takes it over once
 * that window is gone, exactly one (a claim token, as for runs).
 */
export class BatchService implements vscode.Disposable {
  readonly store: BatchStore;
  private readonly batches = new Map<string, StoredBatch>();
  private loading: Promise<void> | undefined;
  /** The batches this window drives, with the controller that cancels each. */
  private readonly driving = new Map<string, AbortController>();
  private readonly changed = new vscode.EventEmitter<StoredBatch | undefined>();
  readonly onDidChange = this.changed.event;
  private readonly persistTimers = new Map<string, ReturnType<typeof setTimeout>>();
  private readonly writing = new Map<string, Promise<void>>();
  /** Per file (uri in a batch): the run-record work in order. */
  private readonly fileChains = new Map<string, Promise<void>>();
  private budget: RequestBudget | undefined;
  private resuming: Promise<number> = Promise.resolve(0);
  private watching: vscode.Disposable | undefined;
  private disposed = false;

  constructor(
    storageUri: vscode.Uri,
    private readonly clients: ClientFactory,
    private readonly runs: RunService,
    private readonly statusBar: RunStatusBar,
    private readonly errors: ErrorPresenter,
    private readonly log: ScopedLog,
  ) {
    this.store = new BatchStore(storageUri.fsPath, {
      onProblem: p => this.log.warn(`${p.message}: ${p.movedTo ? `kept as ${p.movedTo}` : p.file}`),
    });
    void this.watch(storageUri);
  }

  /**
   * Other windows' batches, as they write them: a change in `batches/` reads the batches again
   * (debounced; the ones this window drives stay as held here). The folder is made first: a watcher on
   * a folder that does not exist yet hears nothing.
   */
  private async watch(storageUri: vscode.Uri): Promise<void> {
    const dir = vscode.Uri.joinPath(storageUri, BATCHES_DIR);
    await Promise.resolve(vscode.workspace.fs.createDirectory(dir)).catch(e =>
      this.log.warn(`could not create the batches folder: ${(e as Error).message}`),
    );
    if (this.disposed) {
      return;
    }
    const watcher = vscode.workspace.createFileSystemWatcher(new vscode.RelativePattern(dir, '*.json'));
    let timer: ReturnType<typeof setTimeout> | undefined;
    const changed = new Set<string>();
    const onFile = (uri: vscode.Uri) => {
      changed.add(uri.path.slice(uri.path.lastIndexOf('/') + 1, -'.json'.length));
      clearTimeout(timer);
      timer = setTimeout(() => {
        // This window's own writes of the batches it drives change nothing here.
        const others = [...changed].some(id => !this.driving.has(id));
        changed.clear();
        if (others) {
          this.loading = this.reload();
        }
      }, 150);
    };
    this.watching = vscode.Disposable.from(
      watcher,
      watcher.onDidCreate(onFile),
      watcher.onDidChange(onFile),
      watcher.onDidDelete(onFile),
      { dispose: () => clearTimeout(timer) },
    );
  }

  private get history() {
    return this.runs.history;
  }

  /** Every batch this window knows (loaded from the store on first use). */
  async all(): Promise<StoredBatch[]> {
    this.loading ??= this.reload();
    await this.loading;
    return [...this.batches.values()];
  }

  /** The batches as last loaded (for the history bound, which must not wait). */
  known(): StoredBatch[] {
    return [...this.batches.values()];
  }

  /** Reads every stored batch again (those this window drives stay as held here). */
  async reload(): Promise<void> {
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
      if (!this.driving.has(b.id)) {
        this.batches.set(b.id, b);
      }
    }
    for (const id of [...this.batches.keys()]) {
      if (!seen.has(id) && !this.driving.has(id)) {
        this.batches.delete(id);
      }
    }
    this.changed.fire(undefined);
  }

  get(id: string): StoredBatch | undefined {
    return this.batches.get(id);
  }

  /** Not cancelled and some file not terminal (core/runs/batch.ts). */
  isAlive(b: StoredBatch): boolean {
    return isBatchAlive(b);
  }

  isDriving(id: string): boolean {
    return this.driving.has(id);
  }

  /** Whether a live window other than this one drives the batch. */
  drivenElsewhere(b: StoredBatch): boolean {
    return !this.driving.has(b.id) && !!b.owner && b.owner !== this.history.me && this.history.presence.alive(b.owner);
  }

  /** Requests per ms the key's budget allows, as last seen (for the ETA). */
  ratePerMs(): number | undefined {
    const r = this.budget?.ratePerMs;
    return r !== undefined && Number.isFinite(r) && r > 0 ? r : undefined;
  }

  /** "37 of 120 done · 2 failed · about 3 min left". */
  describe(b: StoredBatch, now = Date.now()): string {
    const s = summarizeBatch(b, now, { ratePerMs: this.ratePerMs() });
    const parts = [l10n.t('{0} of {1} done', s.done, s.total)];
    if (s.failed > 0) {
      parts.push(l10n.t('{0} failed', s.failed));
    }
    if (s.uncertain > 0) {
      parts.push(l10n.t('{0} may have started', s.uncertain));
    }
    if (b.cancelledAt !== undefined) {
      parts.push(l10n.t('cancelled'));
    } else if (s.etaMs !== undefined && s.etaMs > 0 && this.driving.has(b.id)) {
      const eta = etaParts(s.etaMs);
      parts.push(
        'minutes' in eta ? l10n.t('about {0} min left', eta.minutes) : l10n.t('about {0} s left', eta.seconds),
      );
    }
    return parts.join(' · ');
  }

  /**
   * Starts a batch in this window, under one notification: `prepare` (hashing, the skip rule), then the
   * batch is recorded, then run to its end (resolves when it ends; undefined when stopped before).
   */
  async run(request: BatchRunRequest): Promise<StoredBatch | undefined> {
    await this.all();
    await this.history.all();
    return vscode.window.withProgress(
      {
        location: vscode.ProgressLocation.Notification,
        title: l10n.t('DocuTray: {0} on {1} files', plainText(request.step.name), request.files.length),
        cancellable: true,
      },
      async (progress, token) => {
        let skip = request.skip;
        const hashes = request.files.map(f => f.sha256);
        if (request.prepare) {
          const abort = new AbortController();
          const sub = token.onCancellationRequested(() => abort.abort());
          try {
            const prepared = await request.prepare(message => progress.report({ message }), abort.signal);
            if (!prepared || abort.signal.aborted) {
              return undefined;
            }
            prepared.hashes.forEach((h, i) => (hashes[i] = h ?? hashes[i]));
            skip = prepared.skip;
          } finally {
            sub.dispose();
          }
        }
        const now = Date.now();
        const batch: StoredBatch = createBatch({
          stepId: request.step.id,
          stepName: request.step.name,
          files: request.files.map(f => ({ uri: f.uri.toString(), label: f.label })),
          now,
        });
        batch.owner = this.history.me;
        request.files.forEach((f, i) => {
          const file = batch.files.find(x => x.uri === f.uri.toString());
          if (file && hashes[i]) {
            file.sha256 = hashes[i];
          }
        });
        if (skip) {
          markSkipped(batch, skip, now);
        }
        this.batches.set(batch.id, batch);
        await this.store.write(batch);
        this.log.info(
          `batch ${batch.id}: step ${batch.stepId} on ${batch.files.length} file(s), ${skip?.skip.length ?? 0} skipped`,
        );
        this.changed.fire(batch);
        await this.drive(batch, { progress, token });
        return batch;
      },
    );
  }

  /** Cancels a batch this window drives (its requests under way settle first). */
  cancel(id: string): boolean {
    const c = this.driving.get(id);
    c?.abort();
    return !!c;
  }

  /** Cancels every batch this window drives. */
  cancelAll(): number {
    const all = [...this.driving.values()];
    all.forEach(c => c.abort());
    return all.length;
  }

  /**
   * Resumes a batch from the Runs view: a cancelled one sends its unsent files again and polls the
   * started ones; uncertain files are offered for the user to decide first. False when another live
   * window drives it.
   */
  async resumeBatch(id: string): Promise<boolean> {
    await this.all();
    await this.resuming;
    const b = this.batches.get(id);
    if (!b || this.driving.has(id)) {
      return false;
    }
    if (this.drivenElsewhere(b)) {
      void vscode.window.showInformationMessage(l10n.t('DocuTray: another window is running this batch.'));
      return false;
    }
    if (b.owner !== this.history.me && !(await this.takeOver(b))) {
      return false;
    }
    resumeCancelled(b);
    const plan = prepareResume(b, Date.now());
    await this.syncRuns(b);
    await this.flush(b);
    if (plan.uncertain.length) {
      await this.reviewUncertain(b.id);
    }
    if (isBatchAlive(b)) {
      await this.drive(b);
    }
    return true;
  }

  /**
   * Picks up batches whose window is gone (closed, reloaded, crashed), each by exactly one window:
   * unsent files are sent, started ones polled, and files whose start may have happened are listed
   * for the user (never sent again by themselves). Runs in the background; returns how many.
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
    await this.all();
    await this.reload();
    await this.history.all();
    await this.history.presence.refresh();
    let resumed = 0;
    for (const b of [...this.batches.values()]) {
      if (!isBatchAlive(b) || this.driving.has(b.id) || b.owner === this.history.me || this.drivenElsewhere(b)) {
        continue;
      }
      if (!(await this.takeOver(b))) {
        continue;
      }
      const plan = prepareResume(b, Date.now());
      await this.syncRuns(b);
      await this.flush(b);
      this.log.info(
        `batch ${b.id}: resumed (${plan.send.length} to send, ${plan.poll.length} to poll, ${plan.uncertain.length} uncertain)`,
      );
      if (plan.uncertain.length) {
        this.offerUncertain(b, plan.uncertain);
      }
      resumed++;
      void this.drive(b).catch(e => this.errors.report(e, 'resume batch'));
    }
    return resumed;
  }

  /** Claims a batch (and its runs in flight) whose window is gone; reconciles it with its runs. */
  private async takeOver(b: StoredBatch): Promise<boolean> {
    const from = b.owner;
    if (
      from !== this.history.me &&
      !(await this.store.claim(b.id, this.history.me, from, this.history.presence.alive))
    ) {
      return false;
    }
    const fresh = (await this.store.read(b.id)) ?? b;
    Object.assign(b, fresh, { owner: this.history.me });
    this.batches.set(b.id, b);
    const runs = (await this.history.all()).filter(r => r.batchId === b.id);
    // Its runs in flight become this window's too (one window wins each, as for the batch), so it may update them.
    const alive = this.history.presence.alive;
    for (const run of runs.filter(r => isInFlight(r) && r.owner !== this.history.me && !(r.owner && alive(r.owner)))) {
      await this.history.store.claim(run.id, this.history.me, run.owner, alive).catch(() => false);
    }
    await this.history.reload();
    // The batch file is written debounced; its runs are written before each start leaves. Trust the runs
    // (found by id, or by document when the batch file did not get the run's id before the window went).
    const byId = new Map(runs.map(r => [r.id, r]));
    const bySource = new Map(runs.map(r => [r.source, r]));
    for (const f of b.files) {
      const run = f.runId ? byId.get(f.runId) : bySource.get(formatRunSource(workspaceSource(f.uri)));
      if (run && !f.runId) {
        f.runId = run.id;
      }
      if (!run || TERMINAL_FILE_STATES.has(f.state) || f.state === 'uncertain') {
        continue;
      }
      const fromRun = fileStateOf(run);
      if (fromRun) {
        f.state = fromRun;
        if (run.executionId) {
          f.executionId = run.executionId;
        }
        if (TERMINAL_FILE_STATES.has(fromRun)) {
          f.endedAt ??= run.finishedAt ?? Date.now();
        }
      }
    }
    this.log.info(`took over batch ${b.id} from ${from ? `window ${from}, gone` : 'a window'}`);
    return true;
  }

  /** The message after a reload that lists files whose start may have happened. */
  private offerUncertain(b: StoredBatch, uncertain: readonly BatchFile[]): void {
    const names = listNames(uncertain.map(f => f.label ?? fileName(vscode.Uri.parse(f.uri))));
    showMessage(
      'warning',
      l10n.t(
        'DocuTray: {0} of batch {1} may have started before the window closed: {2}. They were not sent again.',
        uncertain.length,
        plainText(b.stepName ?? b.stepId),
        names,
      ),
      [{ title: l10n.t('Review…'), run: () => this.reviewUncertain(b.id) }],
    );
  }

  /**
   * A quick pick of the batch's uncertain files: the ones picked are sent again (the user chose it,
   * knowing each may be billed twice); the others are marked failed. Escape changes nothing.
   */
  async reviewUncertain(id: string): Promise<number> {
    const b = this.batches.get(id);
    const uncertain = b?.files.filter(f => f.state === 'uncertain') ?? [];
    if (!b || !uncertain.length) {
      return 0;
    }
    if (b.owner !== this.history.me && !this.driving.has(id)) {
      // Answered after another window took the batch over (or its window went): Resume claims it
      // first and then asks here, or says another window runs it. Never a write over its record.
      await this.resumeBatch(id);
      return 0;
    }
    const picked = await vscode.window.showQuickPick(
      uncertain.map(f => ({
        label: f.label ?? fileName(vscode.Uri.parse(f.uri)),
        description: f.error,
        file: f,
      })),
      {
        title: l10n.t('Send again? Each may have started already and may be billed twice'),
        placeHolder: l10n.t('Check the documents to send again; the others are marked failed'),
        canPickMany: true,
        ignoreFocusOut: true,
      },
    );
    if (!picked) {
      return 0;
    }
    const send = new Set(picked.map(p => p.file.uri));
    const now = Date.now();
    for (const f of uncertain) {
      resolveUncertain(b, f.uri, send.has(f.uri) ? 'send' : 'dismiss', now);
    }
    await this.syncRuns(b);
    await this.flush(b);
    this.changed.fire(b);
    if (send.size && !this.driving.has(b.id) && b.owner === this.history.me) {
      void this.drive(b).catch(e => this.errors.report(e, 'batch'));
    }
    return send.size;
  }

  /** Removes batches (cancelled first when running here) with their runs and stored results. */
  async remove(ids: readonly string[]): Promise<void> {
    for (const id of ids) {
      this.cancel(id);
      const runIds = (await this.history.all()).filter(r => r.batchId === id).map(r => r.id);
      await this.history.remove(runIds);
      await this.store.remove([id]);
      this.batches.delete(id);
    }
    this.changed.fire(undefined);
  }

  /** Runs a batch this window owns to its end, under one notification (`ui`'s, or its own). */
  private async drive(batch: StoredBatch, ui?: BatchUi): Promise<void> {
    if (this.driving.has(batch.id)) {
      return;
    }
    const abort = new AbortController();
    this.driving.set(batch.id, abort);
    const step: StepDefinition = { id: batch.stepId, name: batch.stepName ?? batch.stepId };
    const counted = new Set<string>();
    const open = batch.files.filter(f => !TERMINAL_FILE_STATES.has(f.state) && f.state !== 'uncertain');
    const end = open.length ? this.statusBar.begin(open.length) : () => undefined;
    const ended = (f: BatchFile) => {
      if (open.some(o => o.uri === f.uri) && !counted.has(f.uri) && TERMINAL_FILE_STATES.has(f.state)) {
        counted.add(f.uri);
        end(f.state === 'succeeded' || f.state === 'skipped');
      }
    };
    let failure: unknown;
    try {
      this.budget = await this.clients.currentBudget();
      const budget = this.budget;
      if (!budget) {
        throw new Error(l10n.t('Set your DocuTray API key first (DocuTray: Set API Key).'));
      }
      const client = this.clients.create();
      const durations = recentDurations(await this.history.all(), batch.stepId);
      const results = new Map<string, { result: StoredResult; durationMs?: number }>();
      const serviceNames = new Map<string, string | undefined>();
      const work = async (progress: BatchUi['progress'], token: vscode.CancellationToken) => {
        const cancel = token.onCancellationRequested(() => abort.abort());
        const report = () => progress.report({ message: this.describe(batch) });
        report();
        try {
          await runBatch(
            batch,
            {
              budget,
              start: async (file, signal) => {
                // The run is on disk (state `starting`) before the request leaves: after a reload it says the
                // start may have happened, whatever the batch file (written debounced) says.
                await this.fileChains.get(this.chainKey(batch, file));
                const uri = vscode.Uri.parse(file.uri, true);
                const input = await documentInput(uri);
                const metadata = expandMetadata(settings.documentMetadata(uri), metadataVariables(uri));
                const e = await client.startStep(batch.stepId, input, { signal, priority: 'batch', metadata });
                serviceNames.set(e.id, e.stepName);
                return e;
              },
              status: async (id, signal) => {
                const e = await client.getStatus(id, { signal, priority: 'batch' });
                if (e.status === 'SUCCESS' || e.status === 'ERROR') {
                  // Stored before the runner marks the file done (a failure here: looked at again later).
                  const file = batch.files.find(f => f.executionId === id);
                  const run = file?.runId ? await this.history.get(file.runId) : undefined;
                  const result = await this.runs.storeResult(run ?? this.runShape(batch, file, id), e);
                  results.set(id, { result, durationMs: executionDurationMs(e) });
                }
                return e;
              },
              durations,
              onChange: file => {
                ended(file);
                report();
                this.schedulePersist(batch);
                this.recordFile(batch, file, results, serviceNames);
                this.changed.fire(batch);
              },
            },
            { maxUploads: settings.maxConcurrentRuns(), signal: abort.signal },
          );
        } finally {
          cancel.dispose();
        }
      };
      await (ui
        ? work(ui.progress, ui.token)
        : vscode.window.withProgress(
            {
              location: vscode.ProgressLocation.Notification,
              title: l10n.t('DocuTray: {0} on {1} files', plainText(step.name), batch.files.length),
              cancellable: true,
            },
            work,
          ));
    } catch (e) {
      if (e instanceof CancelledError || abort.signal.aborted) {
        cancelBatch(batch, Date.now());
        this.log.info(`batch ${batch.id}: cancelled`);
      } else {
        failure = e;
      }
    } finally {
      this.driving.delete(batch.id);
      await Promise.allSettled(
        [...this.fileChains.entries()].filter(([k]) => k.startsWith(`${batch.id}\n`)).map(([, p]) => p),
      );
      await this.syncRuns(batch);
      await this.flush(batch);
      for (const f of batch.files) {
        ended(f);
      }
      // What never ended (uncertain, left by an error) leaves the status bar too, as not done.
      for (let i = counted.size; i < open.length; i++) {
        end(false);
      }
      this.changed.fire(batch);
    }
    if (failure !== undefined) {
      this.errors.report(failure, `batch ${step.name}`);
      return;
    }
    this.announce(batch);
  }

  private chainKey(batch: StoredBatch, file: BatchFile): string {
    return `${batch.id}\n${file.uri}`;
  }

  /** What a run record of a batch file says, when its record could not be read back. */
  private runShape(batch: StoredBatch, file: BatchFile | undefined, executionId: string) {
    const uri = file?.uri ?? executionId;
    return {
      stepId: batch.stepId,
      stepName: batch.stepName ?? batch.stepId,
      source: formatRunSource(workspaceSource(uri)),
      sourceName: file?.label ?? fileName(vscode.Uri.parse(uri)),
    };
  }

  /** Creates or updates the file's run record, in order per file. */
  private recordFile(
    batch: StoredBatch,
    file: BatchFile,
    results: Map<string, { result: StoredResult; durationMs?: number }>,
    serviceNames: Map<string, string | undefined>,
  ): void {
    const key = this.chainKey(batch, file);
    const snapshot = { ...file };
    const previous = this.fileChains.get(key) ?? Promise.resolve();
    const next = previous
      .then(() => this.writeRun(batch, file, snapshot, results, serviceNames))
      .catch(e => this.log.warn(`batch ${batch.id}: could not record ${snapshot.uri}: ${(e as Error).message}`));
    this.fileChains.set(key, next);
    void next.then(() => {
      if (this.fileChains.get(key) === next) {
        this.fileChains.delete(key);
      }
    });
  }

  private async writeRun(
    batch: StoredBatch,
    file: BatchFile,
    snapshot: BatchFile,
    results: Map<string, { result: StoredResult; durationMs?: number }>,
    serviceNames: Map<string, string | undefined>,
  ): Promise<void> {
    const state = runStateOf(snapshot);
    const now = Date.now();
    if (snapshot.state === 'uploading' && !file.runId) {
      const uri = vscode.Uri.parse(snapshot.uri);
      const run: RunRecord = {
        id: randomUUID(),
        source: formatRunSource(workspaceSource(snapshot.uri)),
        sourceName: snapshot.label ?? fileName(uri),
        stepId: batch.stepId,
        stepName: batch.stepName ?? batch.stepId,
        state: 'starting',
        startedAt: now,
        updatedAt: now,
        batchId: batch.id,
        ...(snapshot.sha256 ? { sha256: snapshot.sha256 } : {}),
      };
      file.runId = run.id;
      this.schedulePersist(batch);
      await this.history.add(run);
      return;
    }
    if (!file.runId) {
      return;
    }
    if (snapshot.state === 'pending') {
      // Its start was called back before it was sent: nothing started.
      await this.history.update(file.runId, { state: 'cancelled', finishedAt: now, owner: this.history.me });
      return;
    }
    if (!state) {
      return;
    }
    const change: Partial<RunRecord> = { state, owner: this.history.me };
    if (snapshot.state === 'uploading') {
      Object.assign(change, { executionId: undefined, error: undefined, finishedAt: undefined });
    }
    if (snapshot.executionId) {
      change.executionId = snapshot.executionId;
      const named = serviceNames.get(snapshot.executionId);
      if (named) {
        change.serviceStepName = named;
      }
    }
    if (TERMINAL_FILE_STATES.has(snapshot.state) || snapshot.state === 'uncertain') {
      change.finishedAt = snapshot.endedAt ?? now;
    }
    if (snapshot.error && snapshot.state !== 'succeeded') {
      change.error = {
        kind: snapshot.state === 'uncertain' ? 'startUncertain' : snapshot.state,
        message: snapshot.error,
      };
    } else if (snapshot.state === 'succeeded') {
      change.error = undefined;
    }
    const stored = snapshot.executionId ? results.get(snapshot.executionId) : undefined;
    if (stored?.durationMs !== undefined) {
      change.durationMs = stored.durationMs;
    }
    await this.history.update(file.runId, change);
    if (snapshot.state === 'succeeded' && stored) {
      this.runs.afterResult(stored.result, snapshot.label ?? snapshot.uri);
    }
  }

  /** Brings every run record of the batch in line with its file's state (after a cancel, a resume, a decision). */
  private async syncRuns(batch: StoredBatch): Promise<void> {
    const runs = new Map((await this.history.all()).filter(r => r.batchId === batch.id).map(r => [r.id, r]));
    for (const f of batch.files) {
      const run = f.runId ? runs.get(f.runId) : undefined;
      const state = runStateOf(f);
      if (!run || !state || run.state === state) {
        continue;
      }
      const change: Partial<RunRecord> = { state, owner: this.history.me };
      if (!isInFlight({ state })) {
        change.finishedAt = f.endedAt ?? Date.now();
      }
      if (f.state === 'uncertain') {
        change.error = {
          kind: 'startUncertain',
          message: f.error ?? 'The start may have reached DocuTray; it was not sent again.',
        };
      }
      await this.history.update(run.id, change);
    }
  }

  private schedulePersist(batch: StoredBatch): void {
    if (this.persistTimers.has(batch.id)) {
      return;
    }
    this.persistTimers.set(
      batch.id,
      setTimeout(() => {
        this.persistTimers.delete(batch.id);
        void this.flush(batch);
      }, PERSIST_DEBOUNCE_MS),
    );
  }

  /** Writes the batch now (after any write under way: the last one carries the latest state). */
  private async flush(batch: StoredBatch): Promise<void> {
    const timer = this.persistTimers.get(batch.id);
    if (timer) {
      clearTimeout(timer);
      this.persistTimers.delete(batch.id);
    }
    const previous = this.writing.get(batch.id) ?? Promise.resolve();
    const next = previous.then(() =>
      this.store.write(batch).catch(e => this.log.error(`could not save batch ${batch.id}: ${(e as Error).message}`)),
    );
    this.writing.set(batch.id, next);
    await next;
    if (this.writing.get(batch.id) === next) {
      this.writing.delete(batch.id);
    }
  }

  /** One message at the end of a batch; its buttons never start an uncertain file again in one click. */
  private announce(batch: StoredBatch): void {
    const s = summarizeBatch(batch, Date.now());
    const step = plainText(batch.stepName ?? batch.stepId);
    const show: MessageAction = {
      title: l10n.t('Show Runs'),
      run: () => vscode.commands.executeCommand('docutray.runs.focus'),
    };
    if (batch.cancelledAt !== undefined) {
      showMessage('info', l10n.t('DocuTray: {0} cancelled, {1} of {2} done.', step, s.done, s.total), [
        show,
        { title: l10n.t('Resume'), run: () => this.resumeBatch(batch.id) },
      ]);
      return;
    }
    if (s.failed === 0 && s.uncertain === 0) {
      const reused = s.skipped ? ' ' + l10n.t('{0} reused earlier results.', s.skipped) : '';
      showMessage('info', l10n.t('DocuTray: {0} finished on {1} documents.', step, s.total) + reused, [show]);
      return;
    }
    const failed = batch.files.filter(f => f.state === 'failed' || f.state === 'unavailable');
    const uncertain = batch.files.filter(f => f.state === 'uncertain');
    const name = (f: BatchFile) => f.label ?? fileName(vscode.Uri.parse(f.uri));
    const parts = [l10n.t('DocuTray: {0} on {1} documents: {2} done.', step, s.total, s.done)];
    if (failed.length) {
      parts.push(l10n.t('Failed: {0}.', listNames(failed.map(name))));
    }
    if (uncertain.length) {
      parts.push(l10n.t('May have started (not sent again): {0}.', listNames(uncertain.map(name))));
    }
    const actions: MessageAction[] = [show];
    if (failed.length) {
      // A new batch of the files that failed (refused, or ERROR on DocuTray): never the uncertain ones.
      actions.push({ title: l10n.t('Retry Failed'), run: () => this.retryFailed(batch, failed) });
    }
    if (uncertain.length) {
      actions.push({ title: l10n.t('Review…'), run: () => this.reviewUncertain(batch.id) });
    }
    showMessage('warning', parts.join(' '), actions);
  }

  /** "Retry Failed": the failed files of a batch as a new batch, with the same step (hashes kept). */
  retryFailed(batch: StoredBatch, failed: readonly BatchFile[]): Promise<StoredBatch | undefined> {
    this.log.info(`retrying ${failed.length} failed files of batch ${batch.id} as a new batch`);
    return this.run({
      step: { id: batch.stepId, name: batch.stepName ?? batch.stepId },
      files: failed.map(f => {
        const uri = vscode.Uri.parse(f.uri);
        return { uri, label: f.label ?? fileName(uri), sha256: f.sha256 };
      }),
    });
  }

  dispose(): void {
    for (const t of this.persistTimers.values()) {
      clearTimeout(t);
    }
    for (const [id] of this.persistTimers) {
      const b = this.batches.get(id);
      if (b) {
        void this.store.write(b);
      }
    }
    this.persistTimers.clear();
    this.disposed = true;
    this.watching?.dispose();
    this.changed.dispose();
  }
}

/** "a.pdf, b.pdf, c.pdf and 4 more" (plain text). */
function listNames(names: readonly string[], max = 5): string {
  const shown = names.slice(0, max).map(n => plainText(n));
  return names.length > max ? l10n.t('{0} and {1} more', shown.join(', '), names.length - max) : shown.join(', ');
}
