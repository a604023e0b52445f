import vscode = require('vscode');
import { l10n } from 'vscode';
import { randomUUID } from 'node:crypto';
import { CancelledError, DocuTrayError, StepFailedError, TimeoutError } from '../core/api/errors';
import type { Execution } from '../core/api/types';
import type { DocuTrayClient } from '../core/client/client';
import { followExecution, startDocument } from '../core/runs/engine';
import { RunRecord, executionDurationMs, recentDurations } from '../core/runs/history';
import { RunEvent, resumeChange, transition } from '../core/runs/lifecycle';
import { expandMetadata } from '../core/runs/metadata';
import { runPool } from '../core/async/pool';
import { type StepDefinition, displayStepName } from '../core/runs/steps';
import { StoredResult, toStoredResult } from '../core/results/storedResult';
import { plainText } from '../core/text/plainText';
import { ClientFactory } from '../api/clientFactory';
import { ErrorPresenter } from '../errorPresenter';
import { ScopedLog } from '../log';
import { RunStatusBar } from './statusBar';
import { ResultStore } from '../results/resultStore';
import * as settings from '../settings';
import { metadataVariables } from '../documents/documentSource';
import { openResult } from '../results/resultOpener';
import { RunHistory } from './runHistory';
import { announce, confirmDuplicate } from './runMessages';
import type { Following } from './following';
import { RunProgress, showMessage } from './runProgress';
import { RunOutcome, RunTarget, targetFromSource } from './runTargets';
import { statusText, unknownStatusLogger } from './statusText';

export type { RunOutcome, RunTarget } from './runTargets';

/** Hooks other parts of the extension add to a finished result (saving it as a file, say). */
export type ResultHook = (result: StoredResult) => Promise<void>;

/** A result DocuTray sent that could not be written to storage: the run keeps its execution id. */
class ResultNotStoredError extends Error {
  constructor(executionId: string, cause: unknown) {
    super(
      `The result of execution ${executionId} could not be stored (${cause instanceof Error ? cause.message : String(cause)}); the execution id is kept, check it again later.`,
    );
    this.name = 'ResultNotStoredError';
  }
}

/**
 * Drives runs through their lifecycle (core/runs/lifecycle.ts decides; this is the VS Code side):
 * one cancellable notification per batch, the status bar, bounded concurrency, every run recorded
 * before its request leaves, results written to storage before they are shown, and one message at
 * the end whose buttons never start a paid step twice.
 *
 * Each run's record is held here while it runs, and changes are applied to it and then to the
 * history: a Refresh (which reads the history again) can never leave a run without its execution id.
 */
export class RunService {
  /** Abort controllers of runs in flight in this window, by run id. */
  private readonly active = new Map<string, AbortController>();
  /** Runs whose start has gone out and not been answered yet: billed, so only a cancel abandons them. */
  private readonly onWire = new Set<string>();
  private readonly hooks: ResultHook[] = [];

  constructor(
    private readonly clients: ClientFactory,
    private readonly store: ResultStore,
    readonly history: RunHistory,
    private readonly statusBar: RunStatusBar,
    private readonly errors: ErrorPresenter,
    private readonly log: ScopedLog,
    /** Told of each run polled (or started) here, for the history to tell it from one nobody follows. */
    private readonly following: Following,
  ) {
    // Another window took over a run this one was driving (this one was thought gone): stop polling it. A start
    // on the wire is let finish: its answer is recorded for the new owner to poll (else it would be billed and
    // left "may have started"), and the run stops there.
    history.onDidLose(id => {
      if (!this.onWire.has(id)) {
        this.active.get(id)?.abort();
      }
    });
  }

  onResult(hook: ResultHook): void {
    this.hooks.push(hook);
  }

  async run(targets: RunTarget[], step: StepDefinition): Promise<RunOutcome[]> {
    const outcomes = await this.tracked(targets.length, () =>
      RunProgress.show(targets, step, async (progress, signal) => {
        const client = this.clients.create();
        const settled = await runPool(targets, settings.maxConcurrentRuns(), async target => {
          try {
            if (signal.aborted) {
              return { target, error: new CancelledError() };
            }
            return await this.runOne(client, target, step, signal, s => progress.stage(target, s));
          } finally {
            progress.done(target);
          }
        });
        return settled.map((s, i): RunOutcome =>
          s.status === 'fulfilled' ? s.value : { target: targets[i], error: s.reason },
        );
      }),
    );
    await this.announce(outcomes, step);
    return outcomes;
  }

  /** Counts `n` runs on the status bar while `body` runs, each ended as it succeeded or not. */
  private async tracked(n: number, body: () => Promise<RunOutcome[]>): Promise<RunOutcome[]> {
    const end = this.statusBar.begin(n);
    let pending = n;
    try {
      const outcomes = await body();
      for (const o of outcomes) {
        pending--;
        end(o.result !== undefined);
      }
      return outcomes;
    } finally {
      // A run that failed before it could report still leaves the status bar.
      while (pending-- > 0) {
        end(false);
      }
    }
  }

  /**
   * Applies a lifecycle event to the run held here, then to the history. False when the history did not
   * take it: another window drives the run now (or it was removed).
   */
  private async apply(run: RunRecord, event: RunEvent, also: Partial<RunRecord> = {}): Promise<boolean> {
    const transitioned = transition(run, event);
    const change = transitioned && { ...transitioned, ...also };
    if (!change) {
      return true;
    }
    Object.assign(run, change, { updatedAt: Date.now() });
    return (await this.history.update(run.id, change)) !== undefined;
  }

  private async runOne(
    client: DocuTrayClient,
    target: RunTarget,
    step: StepDefinition,
    batchSignal: AbortSignal,
    stage: (s: string) => void,
  ): Promise<RunOutcome> {
    const now = Date.now();
    const run: RunRecord = {
      id: randomUUID(),
      source: target.source,
      sourceName: target.name,
      stepId: step.id,
      stepName: step.name,
      state: 'starting',
      startedAt: now,
      updatedAt: now,
    };
    const abort = new AbortController();
    const onBatchAbort = () => abort.abort();
    batchSignal.addEventListener('abort', onBatchAbort, { once: true });
    this.active.set(run.id, abort);
    this.following.followRun(run.id);
    const show = this.stageReporter(run, stage);
    const timings: string[] = [];
    const mark = (name: string) => timings.push(`${name} ${Date.now() - now} ms`);
    try {
      // On disk before the request leaves: a reload mid-upload then shows "may have started". A copy:
      // the history's objects are replaced when it is read again; this one is the run's own.
      await this.history.add({ ...run });
      show(l10n.t('reading'));
      const input = await target.input();
      const template = target.metadataFor ? settings.documentMetadata(target.metadataFor) : undefined;
      const metadata = target.metadataFor ? expandMetadata(template, metadataVariables(target.metadataFor)) : undefined;
      this.log.info(
        `run ${run.id}: ${target.name} with step ${step.id}${metadata ? ` (metadata keys: ${Object.keys(metadata).join(', ')})` : ''}`,
      );
      show(l10n.t('uploading'));
      let lastPercent = -1;
      let recorded: RunRecord | undefined;
      const started = await startDocument(
        client,
        {
          stepId: step.id,
          input,
          metadata,
          priority: 'interactive',
          signal: abort.signal,
          onUploadProgress: (sent, total) => {
            const percent = total ? Math.floor((sent / total) * 100) : undefined;
            if (percent !== undefined && percent !== lastPercent && percent % 5 === 0) {
              lastPercent = percent;
              show(l10n.t('uploading {0}%', percent));
            }
          },
        },
        {
          // A window frozen past its lease (a debugger pause, a busy machine) may have lost the run meanwhile:
          // it looks immediately before the request goes out, and sends nothing if so.
          fence: async () => {
            if (!(await this.history.stillOwns(run.id))) {
              this.log.warn(
                `run ${run.id} (${target.name}) was taken over by another window before it was sent: not sent`,
              );
              throw new CancelledError();
            }
            this.onWire.add(run.id);
          },
          // DocuTray names the step in its answer: kept with the run and its result, and shown for a step id
          // typed by hand. The hash is of the bytes sent (a later folder run skips only content that was
          // processed). Recorded whoever owns the run by now: a start that was on the wire is never lost.
          record: async answer => {
            const also = {
              stepName: displayStepName(step, answer.stepName),
              serviceStepName: answer.stepName,
              ...(answer.documentSha256 ? { sha256: answer.documentSha256 } : {}),
            };
            Object.assign(run, transition(run, { type: 'started', executionId: answer.id }), also);
            recorded = await this.history.recordStart(run.id, { executionId: answer.id, ...also });
          },
        },
      );
      this.onWire.delete(run.id);
      mark('started');
      this.log.info(`${target.name}: execution ${started.id} started for step ${step.id}`);
      if (recorded && recorded.owner !== this.history.me) {
        this.log.info(`${target.name}: execution ${started.id} recorded; another window follows it now`);
        return { target, run, error: new CancelledError() };
      }
      show(l10n.t('queued'));
      const execution = await this.follow(client, run, abort.signal, show, now, mark);
      const result = await this.finish(run, execution, timings);
      show(l10n.t('succeeded'));
      return { target, run, result };
    } catch (e) {
      await this.fail(run, e, timings);
      return { target, run, error: e };
    } finally {
      batchSignal.removeEventListener('abort', onBatchAbort);
      this.onWire.delete(run.id);
      this.active.delete(run.id);
      this.following.unfollowRun(run.id);
    }
  }

  /** Live stage text: in the notification and the Runs view (not saved: it does not outlive the run). */
  private stageReporter(run: RunRecord, stage: (s: string) => void = () => undefined): (s: string) => void {
    return s => {
      stage(s);
      void this.history.update(run.id, { stage: s }, false);
    };
  }

  /** Polls the run's execution to its end, keeping the run's state and stage current. */
  private follow(
    client: DocuTrayClient,
    run: RunRecord,
    signal: AbortSignal,
    show: (s: string) => void,
    startedAt: number,
    mark: (n: string) => void,
  ): Promise<Execution> {
    const executionId = run.executionId;
    if (!executionId) {
      // Never reached: only a run with an id is followed. Kept as a guard, with the run's own words.
      return Promise.reject(new Error(`run ${run.id} has no execution id to follow`));
    }
    let last = run.state as string;
    const unknown = unknownStatusLogger(this.log);
    return followExecution(client, executionId, {
      // Looked at around the end the step's earlier runs predict (their durations are DocuTray's own).
      durations: recentDurations(this.history.snapshot(), run.stepId),
      signal,
      startedAt,
      timeoutMs: settings.pollTimeoutMs(),
      onStatus: e => {
        unknown(e);
        if (e.status !== last) {
          last = e.status;
          mark(e.status);
          this.log.trace(`${run.sourceName}: execution ${e.id} is ${e.status}`);
          void this.apply(run, { type: 'status', status: e.status });
        }
        show(statusText(e));
      },
      onTransient: (e, retryInMs) => {
        this.log.warn(
          `${run.sourceName}: status of execution ${executionId} failed (${e.kind}${e.status ? ` ${e.status}` : ''}); still waiting, next check in ${retryInMs} ms`,
        );
        show(l10n.t('DocuTray not answering, checking again in {0} s', Math.max(1, Math.round(retryInMs / 1000))));
      },
    });
  }

  /**
   * Writes a finished execution's result to storage (before its run is marked done and anything is
   * shown). Shared by single runs and batches; throws when it could not be stored.
   */
  async storeResult(
    run: Pick<RunRecord, 'stepId' | 'stepName' | 'serviceStepName' | 'source' | 'sourceName'>,
    execution: Execution,
  ): Promise<StoredResult> {
    try {
      const result = toStoredResult(execution, {
        stepId: run.stepId,
        stepName: run.stepName,
        serviceStepName: run.serviceStepName,
        source: run.source,
        sourceName: run.sourceName,
      });
      await this.store.save(result);
      return result;
    } catch (e) {
      throw new ResultNotStoredError(execution.id, e);
    }
  }

  /** Runs the hooks on a stored result (saving it as a file, say); not awaited by the run. */
  afterResult(result: StoredResult, label: string): void {
    // Hooks may ask the user something (overwrite?): they must not hold the run open meanwhile.
    for (const hook of this.hooks) {
      void hook(result).catch(e => this.errors.report(e, `after ${label}`));
    }
  }

  /** Stores the result, then records the run as done: a result is on disk before anyone sees it. */
  private async finish(run: RunRecord, execution: Execution, timings: string[]): Promise<StoredResult> {
    const result = await this.storeResult(run, execution);
    const durationMs = executionDurationMs(execution);
    if (!(await this.apply(run, { type: 'succeeded' }, durationMs === undefined ? {} : { durationMs }))) {
      // Another window drives this run now (or it was removed): it saves and announces, not this one.
      this.log.info(`${run.sourceName}: execution ${execution.id} succeeded; left to the window that drives it`);
      return result;
    }
    this.log.info(`${run.sourceName}: execution ${execution.id} succeeded (${timings.join(', ')})`);
    this.afterResult(result, run.sourceName);
    return result;
  }

  private async fail(run: RunRecord, e: unknown, timings: string[]): Promise<void> {
    const failed = e instanceof StepFailedError ? e.execution : undefined;
    if (failed) {
      // An ERROR execution is kept too, so its record can be looked at later.
      await this.store
        .save(
          toStoredResult(failed, {
            stepId: run.stepId,
            stepName: run.stepName,
            serviceStepName: run.serviceStepName,
            source: run.source,
            sourceName: run.sourceName,
          }),
        )
        .catch(() => undefined);
    }
    const waitedS = Math.round(settings.pollTimeoutMs() / 1000);
    const message =
      e instanceof ResultNotStoredError
        ? e.message
        : // Waited out with the id kept: say which way (an outage, or a step still running).
          e instanceof TimeoutError && e.executionId
          ? e.cause
            ? l10n.t('DocuTray did not answer for {0} s.', waitedS)
            : l10n.t('DocuTray had not finished it after {0} s.', waitedS)
          : this.errors.present(e).message || (e as Error).message;
    await this.apply(run, { type: 'error', error: e, message });
    const kind = e instanceof DocuTrayError ? e.kind : 'error';
    const requestId = e instanceof DocuTrayError && e.requestId ? ` request ${e.requestId}` : '';
    this.log.warn(
      `${run.sourceName}: ${kind} → ${run.state}${run.executionId ? ` (execution ${run.executionId})` : ''}${requestId} after ${Date.now() - run.startedAt} ms (${timings.join(', ') || 'no stages'})`,
    );
  }

  /**
   * Picks up runs in flight whose window is gone (closed, reloaded, crashed), each by exactly one
   * window: those with an execution id are polled to their end (nothing is started again); those
   * whose start was cut off are marked "may have started", never restarted. Runs a live window drives
   * are left to it.
   */
  async resume(): Promise<number> {
    const runs = (await this.history.takeOver(id => this.active.has(id))).map(({ run, action }) => ({
      run: { ...run },
      action,
    }));
    if (!runs.length) {
      return 0;
    }
    const client = this.clients.create();
    let resumed = 0;
    for (const { run, action } of runs) {
      if (action === 'markMayHaveStarted') {
        await this.apply(run, { type: 'interrupted' });
        this.log.warn(`run ${run.id} (${run.sourceName}) was interrupted while starting: marked "may have started"`);
        continue;
      }
      resumed++;
      this.log.info(`resuming execution ${run.executionId} (${run.sourceName}, step ${run.stepId})`);
      void this.tracked(1, async () => [await this.pollToEnd(client, run)]).then(async ([o]) => {
        if (!this.history.isMine(run.id)) {
          // Another window drives it now: that window says how it ended.
          return;
        }
        if (o.result) {
          // Not opened by itself: the user is doing something else since the reload.
          const result = o.result;
          showMessage(
            'info',
            l10n.t('DocuTray: {0} on {1} finished.', plainText(run.stepName), plainText(run.sourceName)),
            [{ title: l10n.t('Open Result'), run: () => this.open(result, 'active') }],
          );
        } else {
          // A failure says so as a run's would, naming the document and the step, with its next steps.
          await this.announce([o], { id: run.stepId, name: run.stepName });
        }
      });
    }
    return resumed;
  }

  /** Follows a run that has an execution id to its end (in the background of whoever awaits it). */
  private async pollToEnd(client: DocuTrayClient, run: RunRecord, stage?: (s: string) => void): Promise<RunOutcome> {
    const abort = new AbortController();
    this.active.set(run.id, abort);
    this.following.followRun(run.id);
    const timings: string[] = [];
    const target = targetFromSource(run.source) ?? {
      name: run.sourceName,
      source: { kind: 'execution', executionId: run.executionId ?? '' },
      input: () => Promise.reject(new Error('no document')),
    };
    try {
      const execution = await this.follow(client, run, abort.signal, this.stageReporter(run, stage), run.startedAt, n =>
        timings.push(n),
      );
      return { target, run, result: await this.finish(run, execution, timings) };
    } catch (e) {
      await this.fail(run, e, timings);
      return { target, run, error: e };
    } finally {
      this.active.delete(run.id);
      this.following.unfollowRun(run.id);
    }
  }

  /**
   * "Retry" or "Check Again" on a run that has an execution id: polls that same execution again (never
   * a new start), with the run's notification, and says how it ended. Undefined when the run has no
   * execution to check, or is already being followed in this window.
   */
  async checkAgain(runId: string): Promise<RunOutcome | undefined> {
    const stored = await this.history.get(runId);
    if (!stored?.executionId || this.active.has(runId)) {
      return undefined;
    }
    const run = { ...stored };
    const change = resumeChange(run);
    if (!change) {
      return undefined;
    }
    // This window takes the run: the store refuses when another live window drives it, and then only
    // that window polls, saves and announces it.
    const claimed = { ...change, owner: this.history.me };
    if (!(await this.history.update(run.id, claimed))) {
      this.log.info(`execution ${run.executionId} (${run.sourceName}) is followed by another window: not checked here`);
      return undefined;
    }
    Object.assign(run, claimed, { updatedAt: Date.now() });
    this.log.info(
      `checking execution ${run.executionId} again (${run.sourceName}, step ${run.stepId}); nothing is started`,
    );
    const client = this.clients.create();
    const step = { id: run.stepId, name: run.stepName };
    const [outcome] = await this.tracked(1, () =>
      RunProgress.show([{ name: run.sourceName }], step, async (progress, signal) => {
        const onCancel = () => this.cancel(run.id);
        signal.addEventListener('abort', onCancel, { once: true });
        try {
          return [await this.pollToEnd(client, run, s => progress.stage({ name: run.sourceName }, s))];
        } finally {
          signal.removeEventListener('abort', onCancel);
        }
      }),
    );
    await this.announce([outcome], step);
    return outcome;
  }

  /** The modal before starting again a document whose earlier run may have started: true to go ahead. */
  confirmDuplicate(run: RunRecord): Promise<boolean> {
    this.log.info(
      `asking before starting ${run.sourceName} again (run ${run.id}${run.requestId ? `, request ${run.requestId}` : ''}${run.executionId ? `, execution ${run.executionId}` : ''})`,
    );
    return confirmDuplicate(run);
  }

  private announce(outcomes: RunOutcome[], step: StepDefinition): Promise<void> {
    return announce(outcomes, step, this.errors, {
      open: result => this.open(result),
      openActive: result => this.open(result, 'active'),
      start: (targets, s) => this.run(targets, s),
      checkAgain: runId => this.checkAgain(runId),
      confirmDuplicate: run => this.confirmDuplicate(run),
    });
  }

  /** Cancels one run, or every run in progress in this window (uploads and polling stop at once). */
  cancel(runId?: string): number {
    const targets = runId
      ? [this.active.get(runId)].filter((a): a is AbortController => !!a)
      : [...this.active.values()];
    targets.forEach(a => a.abort());
    return targets.length;
  }

  isActive(runId: string): boolean {
    return this.active.has(runId);
  }

  /** Opens a stored result, as `docutray.openResult` says (or as asked). */
  open(result: StoredResult, mode?: settings.OpenResultMode): Promise<vscode.TextEditor | undefined> {
    return openResult(result, mode);
  }
}
