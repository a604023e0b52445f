import vscode = require('vscode');
import { l10n } from 'vscode';
import { randomUUID } from 'node:crypto';
import { CancelledError, DocuTrayError, StepFailedError } from '../core/api/errors';
import { Execution } from '../core/api/execution';
import type { DocuTrayClient } from '../core/api/client';
import type { DocumentInput } from '../core/documents/input';
import { RunRecord, RunState, resumeAction } from '../core/runs/history';
import { expandMetadata } from '../core/runs/metadata';
import { runPool } from '../core/runs/pool';
import { type StepDefinition, displayStepName } from '../core/runs/steps';
import { StoredResult, toStoredResult } from '../core/results/storedResult';
import { ClientFactory } from '../api/clientFactory';
import { ErrorPresenter } from '../errors/errorPresenter';
import { ScopedLog } from '../logging/log';
import { RunStatusBar } from '../progress/statusBar';
import { ResultFileSystem } from '../results/resultFileSystem';
import { ResultStore } from '../results/resultStore';
import * as settings from '../settings/settings';
import { documentInput, fileName, metadataVariables } from './documentSource';
import { RunHistory } from './runHistory';
import { statusText, unknownStatusLogger } from './statusText';

/** One document to run a step on: a workspace file or a URL. */
export interface RunTarget {
  /** Shown to the user and used to name the result. */
  name: string;
  /** A workspace URI string or an http(s) URL. */
  source: string;
  input: () => Promise<DocumentInput>;
  metadataFor?: vscode.Uri;
}

export interface RunOutcome {
  target: RunTarget;
  run?: RunRecord;
  result?: StoredResult;
  error?: unknown;
}

export function fileTarget(uri: vscode.Uri): RunTarget {
  return { name: fileName(uri), source: uri.toString(), input: () => documentInput(uri), metadataFor: uri };
}

export function urlTarget(url: string): RunTarget {
  const parsed = new URL(url);
  const last = decodeURIComponent(parsed.pathname.split('/').filter(Boolean).pop() ?? '') || parsed.hostname;
  return { name: last, source: url, input: async () => ({ kind: 'url', url }) };
}

/** The target a recorded run came from, for a rerun; undefined when it had no source to rerun. */
export function targetFromSource(source: string): RunTarget | undefined {
  if (/^https?:\/\//i.test(source)) {
    return urlTarget(source);
  }
  try {
    const uri = vscode.Uri.parse(source, true);
    return uri.scheme === 'docutray-execution' ? undefined : fileTarget(uri);
  } catch {
    return undefined;
  }
}

/** Hooks other parts of the extension add to a finished result (saving it as a file, say). */
export type ResultHook = (result: StoredResult) => Promise<void>;

/**
 * Runs a step on one or more documents: one cancellable notification per batch with stage text, the
 * status-bar item, bounded concurrency, every run recorded before its request leaves, results written
 * to storage before they are shown, and a summary at the end of a batch.
 */
export class RunService {
  /** Abort controllers of runs in flight, by run id. */
  private readonly active = new Map<string, AbortController>();
  private readonly hooks: ResultHook[] = [];

  constructor(
    private readonly clients: ClientFactory,
    private readonly store: ResultStore,
    readonly history: RunHistory,
    private readonly statusBar: RunStatusBar,
    private readonly errors: ErrorPresenter,
    private readonly log: ScopedLog,
  ) { }

  onResult(hook: ResultHook): void {
    this.hooks.push(hook);
  }

  async run(targets: RunTarget[], step: StepDefinition): Promise<RunOutcome[]> {
    const single = targets.length === 1;
    const title = single ? l10n.t('DocuTray: {0} on {1}', step.name, targets[0].name) : l10n.t('DocuTray: {0} on {1} files', step.name, targets.length);
    const end = this.statusBar.begin(targets.length);
    let pending = targets.length;
    const ended = (ok: boolean) => {
      pending--;
      end(ok);
    };
    let outcomes: RunOutcome[];
    try {
      outcomes = await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title, cancellable: true }, async (progress, token) => {
      const batch = new AbortController();
      const cancel = token.onCancellationRequested(() => batch.abort());
      const stages = new Map<RunTarget, string>();
      let finished = 0;
      const report = () => {
        if (single) {
          progress.report({ message: stages.get(targets[0]) });
        } else {
          const active = [...stages.entries()].map(([target, stage]) => `${target.name}: ${stage}`).join(' · ');
          progress.report({ message: l10n.t('{0} of {1} done', finished, targets.length) + (active ? ` · ${active}` : '') });
        }
      };
      try {
        const client = this.clients.create();
        const settled = await runPool(targets, settings.maxConcurrentRuns(), async target => {
          try {
            if (batch.signal.aborted) {
              return { target, error: new CancelledError() };
            }
            return await this.runOne(client, target, step, batch.signal, stage => {
              stages.set(target, stage);
              report();
            });
          } finally {
            stages.delete(target);
            finished++;
            report();
          }
        });
        return settled.map((s, i): RunOutcome => {
          const outcome: RunOutcome = s.status === 'fulfilled' ? s.value : { target: targets[i], error: s.reason };
          ended(outcome.result !== undefined);
          return outcome;
        });
      } finally {
        cancel.dispose();
      }
    });
    } finally {
      // A run that failed before it could report still leaves the status bar.
      while (pending > 0) {
        ended(false);
      }
    }
    await this.announce(outcomes, step);
    return outcomes;
  }

  private async runOne(client: DocuTrayClient, target: RunTarget, step: StepDefinition, batchSignal: AbortSignal, stage: (s: string) => void): Promise<RunOutcome> {
    const now = Date.now();
    const run: RunRecord = { id: randomUUID(), source: target.source, sourceName: target.name, stepId: step.id, stepName: step.name, state: 'starting', startedAt: now, updatedAt: now };
    const abort = new AbortController();
    const onBatchAbort = () => abort.abort();
    batchSignal.addEventListener('abort', onBatchAbort, { once: true });
    this.active.set(run.id, abort);
    const show = (s: string) => {
      stage(s);
      void this.history.update(run.id, { stage: s }, false);
    };
    const timings: string[] = [];
    const mark = (name: string) => timings.push(`${name} ${Date.now() - now} ms`);
    try {
      // On disk before the request leaves: a reload mid-upload then shows "may have started".
      await this.history.add(run);
      show(l10n.t('reading'));
      const input = await target.input();
      const template = target.metadataFor ? settings.documentMetadata(target.metadataFor) : undefined;
      const metadata = target.metadataFor ? expandMetadata(template, metadataVariables(target.metadataFor)) : undefined;
      this.log.info(`run ${run.id}: ${target.name} with step ${step.id}${metadata ? ` (metadata keys: ${Object.keys(metadata).join(', ')})` : ''}`);
      show(l10n.t('uploading'));
      let lastPercent = -1;
      const started = await client.startStep(step.id, input, {
        metadata,
        signal: abort.signal,
        onUploadProgress: (sent, total) => {
          const percent = total ? Math.floor((sent / total) * 100) : undefined;
          if (percent !== undefined && percent !== lastPercent && percent % 5 === 0) {
            lastPercent = percent;
            show(l10n.t('uploading {0}%', percent));
          }
        },
      });
      mark('started');
      this.log.info(`${target.name}: execution ${started.id} started for step ${step.id}`);
      // DocuTray names the step in its answer: kept with the run and its result, and shown for a step id typed by hand.
      run.serviceStepName = started.stepName;
      run.stepName = displayStepName(step, started.stepName);
      await this.history.update(run.id, { executionId: started.id, state: 'ENQUEUED', stepName: run.stepName, serviceStepName: run.serviceStepName });
      show(l10n.t('queued'));
      const execution = await this.follow(client, run, abort.signal, show, now, mark);
      const result = await this.finish(run, execution, timings);
      show(l10n.t('done'));
      return { target, run, result };
    } catch (e) {
      await this.fail(run, e, timings);
      return { target, run, error: e };
    } finally {
      batchSignal.removeEventListener('abort', onBatchAbort);
      this.active.delete(run.id);
    }
  }

  /** Polls an execution to its end, keeping the run's state and stage current. */
  private follow(client: DocuTrayClient, run: RunRecord, signal: AbortSignal, show: (s: string) => void, startedAt: number, mark: (n: string) => void): Promise<Execution> {
    let last = run.state as string;
    const unknown = unknownStatusLogger(this.log);
    return client.waitForCompletion(run.executionId as string, {
      signal,
      startedAt,
      timeoutMs: settings.pollTimeoutMs(),
      onStatus: e => {
        unknown(e);
        if (e.status !== last) {
          last = e.status;
          mark(e.status);
          this.log.trace(`${run.sourceName}: execution ${e.id} is ${e.status}`);
          if (e.status === 'ENQUEUED' || e.status === 'PROCESSING') {
            void this.history.update(run.id, { state: e.status as RunState });
          }
        }
        show(statusText(e));
      },
    });
  }

  /** Saves the result, then records the run as done: a result is on disk before anyone sees it. */
  private async finish(run: RunRecord, execution: Execution, timings: string[]): Promise<StoredResult> {
    const result = toStoredResult(execution, { stepId: run.stepId, stepName: run.stepName, serviceStepName: run.serviceStepName, source: run.source, sourceName: run.sourceName });
    await this.store.save(result);
    await this.history.update(run.id, { state: 'SUCCESS', finishedAt: Date.now(), stage: undefined, executionId: execution.id });
    this.log.info(`${run.sourceName}: execution ${execution.id} succeeded (${timings.join(', ')})`);
    // Hooks may ask the user something (overwrite?): they must not hold the run open meanwhile.
    for (const hook of this.hooks) {
      void hook(result).catch(e => this.errors.report(e, `after ${run.sourceName}`));
    }
    return result;
  }

  private async fail(run: RunRecord, e: unknown, timings: string[]): Promise<void> {
    const failed = e instanceof StepFailedError ? e.execution : undefined;
    if (failed) {
      // An ERROR execution is kept too, so its record can be looked at later.
      await this.store.save(toStoredResult(failed, { stepId: run.stepId, stepName: run.stepName, serviceStepName: run.serviceStepName, source: run.source, sourceName: run.sourceName })).catch(() => undefined);
    }
    const kind = e instanceof DocuTrayError ? e.kind : 'error';
    const state: RunState = e instanceof StepFailedError ? 'ERROR'
      : kind === 'startUncertain' || (kind === 'cancelled' && !run.executionId && (e as { mayHaveStarted?: boolean }).mayHaveStarted) ? 'mayHaveStarted'
        : kind === 'cancelled' ? 'cancelled' : 'failed';
    await this.history.update(run.id, {
      state, finishedAt: Date.now(), stage: undefined,
      error: kind === 'cancelled' && state === 'cancelled' ? undefined : { kind, message: this.errors.present(e).message || (e as Error).message },
    });
    const requestId = e instanceof DocuTrayError && e.requestId ? ` request ${e.requestId}` : '';
    this.log.warn(`${run.sourceName}: ${kind}${run.executionId ? ` (execution ${run.executionId})` : ''}${requestId} after ${Date.now() - run.startedAt} ms (${timings.join(', ') || 'no stages'})`);
  }

  /**
   * Picks up runs that were in flight when the window closed: those with an execution id are polled
   * to their end (nothing is started again); those whose start was cut off are marked "may have
   * started", never restarted.
   */
  async resume(): Promise<number> {
    const runs = (await this.history.all()).filter(r => resumeAction(r) !== 'none' && !this.active.has(r.id));
    if (!runs.length) {
      return 0;
    }
    const client = this.clients.create();
    let resumed = 0;
    for (const run of runs) {
      if (resumeAction(run) === 'markMayHaveStarted') {
        await this.history.update(run.id, { state: 'mayHaveStarted', finishedAt: Date.now(), error: { kind: 'startUncertain', message: l10n.t('The window closed while this run was starting: it may have started on DocuTray. It was not started again.') } });
        this.log.warn(`run ${run.id} (${run.sourceName}) was interrupted while starting: marked "may have started"`);
        continue;
      }
      resumed++;
      this.log.info(`resuming execution ${run.executionId} (${run.sourceName}, step ${run.stepId})`);
      const ended = this.statusBar.begin(1);
      const abort = new AbortController();
      this.active.set(run.id, abort);
      const timings: string[] = [];
      void this.follow(client, run, abort.signal, s => void this.history.update(run.id, { stage: s }, false), run.startedAt, n => timings.push(n))
        .then(async execution => {
          const result = await this.finish(run, execution, timings);
          ended(true);
          void vscode.window.showInformationMessage(l10n.t('DocuTray: {0} on {1} finished.', run.stepName, run.sourceName), l10n.t('Open Result'))
            .then(c => (c ? this.open(result, 'active') : undefined));
        }, async e => {
          await this.fail(run, e, timings);
          ended(false);
        })
        .finally(() => this.active.delete(run.id));
    }
    return resumed;
  }

  private async announce(outcomes: RunOutcome[], step: StepDefinition): Promise<void> {
    const ok = outcomes.filter(o => o.result);
    const failed = outcomes.filter(o => o.error !== undefined);
    if (outcomes.length === 1) {
      const [o] = outcomes;
      if (o.result) {
        await this.open(o.result);
      } else {
        this.errors.report(o.error, `run ${step.id} on ${o.target.name}`, () => this.run([o.target], step));
      }
      return;
    }
    const cancelled = failed.filter(o => o.error instanceof DocuTrayError && o.error.kind === 'cancelled');
    const realFailures = failed.filter(o => !cancelled.includes(o));
    const openAll = { title: l10n.t('Open Results'), run: async () => { for (const o of ok) { await this.open(o.result as StoredResult, 'active'); } } };
    const retryFailed = { title: l10n.t('Retry Failed'), run: () => this.run(realFailures.map(o => o.target), step) };
    const summary = l10n.t('DocuTray: {0} of {1} succeeded with {2}.', ok.length, outcomes.length, step.name)
      + (realFailures.length ? ' ' + l10n.t('Failed: {0}.', realFailures.map(o => `${o.target.name} (${this.errors.present(o.error).message})`).join('; ')) : '')
      + (cancelled.length ? ' ' + l10n.t('Cancelled: {0}.', cancelled.length) : '');
    const actions = [...(ok.length ? [openAll] : []), ...(realFailures.length ? [retryFailed] : []), { title: l10n.t('Show Log'), run: () => vscode.commands.executeCommand('docutray.showLog') }];
    const show = realFailures.length ? vscode.window.showWarningMessage : vscode.window.showInformationMessage;
    void show(summary, ...actions.map(a => a.title)).then(choice => actions.find(a => a.title === choice)?.run());
  }

  /** Cancels one run, or every run in progress in this window (uploads and polling stop at once). */
  cancel(runId?: string): number {
    const targets = runId ? [this.active.get(runId)].filter((a): a is AbortController => !!a) : [...this.active.values()];
    targets.forEach(a => a.abort());
    return targets.length;
  }

  isActive(runId: string): boolean {
    return this.active.has(runId);
  }

  /** Opens a stored result, as `docutray.openResult` says (or as asked). */
  async open(result: StoredResult, mode: settings.OpenResultMode = settings.openResultMode()): Promise<vscode.TextEditor | undefined> {
    if (mode === 'none') {
      return undefined;
    }
    const doc = await vscode.workspace.openTextDocument(ResultFileSystem.uriFor(result));
    // Beside what is open. With nothing open there is nothing to be beside, and Beside would leave an
    // empty group on the left and the result in half the window.
    const beside = mode === 'beside' && vscode.window.tabGroups.activeTabGroup.tabs.length > 0;
    return vscode.window.showTextDocument(doc, {
      viewColumn: beside ? vscode.ViewColumn.Beside : vscode.ViewColumn.Active,
      preview: false,
      preserveFocus: false,
    });
  }
}
