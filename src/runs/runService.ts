import * as vscode from 'vscode';
import { DocuTrayError } from '../core/api/errors';
import { Execution } from '../core/api/execution';
import type { DocumentInput } from '../core/documents/input';
import { expandMetadata } from '../core/runs/metadata';
import { runPool } from '../core/runs/pool';
import type { StepDefinition } from '../core/runs/steps';
import { StoredResult, toStoredResult } from '../core/results/storedResult';
import { ClientFactory } from '../api/clientFactory';
import { ErrorPresenter } from '../errors/errorPresenter';
import { ScopedLog } from '../logging/log';
import { RunStatusBar } from '../progress/statusBar';
import { ResultFileSystem } from '../results/resultFileSystem';
import { ResultStore } from '../results/resultStore';
import * as settings from '../settings/settings';
import { documentInput, fileName, metadataVariables } from './documentSource';

export type Stage = 'reading' | 'uploading' | 'queued' | 'processing' | 'saving' | 'done';

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
  result?: StoredResult;
  error?: unknown;
}

export function fileTarget(uri: vscode.Uri): RunTarget {
  return { name: fileName(uri), source: uri.toString(), input: () => documentInput(uri), metadataFor: uri };
}

export function urlTarget(url: string): RunTarget {
  const last = decodeURIComponent(new URL(url).pathname.split('/').filter(Boolean).pop() ?? '') || new URL(url).hostname;
  return { name: last, source: url, input: async () => ({ kind: 'url', url }) };
}

/**
 * Runs a step on one or more documents: one cancellable notification per batch with stage text, the
 * status-bar item, bounded concurrency, results written to storage before they are shown, and a
 * summary at the end of a batch.
 */
export class RunService {
  private readonly active = new Set<AbortController>();

  constructor(
    private readonly clients: ClientFactory,
    private readonly store: ResultStore,
    private readonly statusBar: RunStatusBar,
    private readonly errors: ErrorPresenter,
    private readonly log: ScopedLog,
  ) { }

  async run(targets: RunTarget[], step: StepDefinition): Promise<RunOutcome[]> {
    const t = vscode.l10n.t;
    const single = targets.length === 1;
    const title = single ? t('DocuTray: {0} on {1}', step.name, targets[0].name) : t('DocuTray: {0} on {1} files', step.name, targets.length);
    const ended = this.statusBar.begin(targets.length);
    const outcomes = await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title, cancellable: true }, async (progress, token) => {
      const abort = new AbortController();
      this.active.add(abort);
      const cancel = token.onCancellationRequested(() => abort.abort());
      const stages = new Map<RunTarget, string>();
      let finished = 0;
      const report = () => {
        if (single) {
          progress.report({ message: stages.get(targets[0]) });
        } else {
          const active = [...stages.entries()].map(([target, stage]) => `${target.name}: ${stage}`).join(' · ');
          progress.report({ message: t('{0} of {1} done', finished, targets.length) + (active ? ` · ${active}` : '') });
        }
      };
      try {
        const client = this.clients.create();
        const limit = settings.maxConcurrentRuns();
        const settled = await runPool(targets, limit, async target => {
          try {
            return await this.runOne(client, target, step, abort.signal, stage => {
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
          const ok = s.status === 'fulfilled';
          ended(ok);
          return ok ? { target: targets[i], result: s.value } : { target: targets[i], error: s.reason };
        });
      } finally {
        cancel.dispose();
        this.active.delete(abort);
      }
    });
    await this.announce(outcomes, step);
    return outcomes;
  }

  private async runOne(client: ReturnType<ClientFactory['create']>, target: RunTarget, step: StepDefinition, signal: AbortSignal, stage: (s: string) => void): Promise<StoredResult> {
    const t = vscode.l10n.t;
    const started = Date.now();
    const timings: string[] = [];
    const mark = (name: string) => timings.push(`${name} ${Date.now() - started} ms`);
    stage(t('reading'));
    const input = await target.input();
    const template = target.metadataFor ? settings.documentMetadata(target.metadataFor) : undefined;
    const metadata = target.metadataFor ? expandMetadata(template, metadataVariables(target.metadataFor)) : undefined;
    this.log.info(`run ${target.name} with step ${step.id}${metadata ? ` (metadata keys: ${Object.keys(metadata).join(', ')})` : ''}`);
    stage(t('uploading'));
    let executionId: string | undefined;
    let lastStatus = '';
    let lastPercent = -1;
    try {
      const execution = await client.runStep(step.id, input, {
        metadata,
        signal,
        timeoutMs: settings.pollTimeoutMs(),
        onUploadProgress: (sent, total) => {
          const percent = total ? Math.floor((sent / total) * 100) : undefined;
          if (percent !== undefined && percent !== lastPercent && percent % 5 === 0) {
            lastPercent = percent;
            stage(t('uploading {0}%', percent));
          }
        },
        onStarted: e => {
          executionId = e.id;
          mark('started');
          this.log.info(`${target.name}: execution ${e.id} started for step ${step.id}`);
        },
        onStatus: (e: Execution) => {
          if (e.status !== lastStatus) {
            lastStatus = e.status;
            mark(e.status);
            this.log.trace(`${target.name}: execution ${e.id} is ${e.status}`);
          }
          stage(e.status === 'ENQUEUED' ? t('queued') : e.progress !== undefined ? t('processing {0}%', Math.round(e.progress)) : t('processing'));
        },
      });
      stage(t('saving'));
      const result = toStoredResult(execution, { stepId: step.id, stepName: step.name, source: target.source, sourceName: target.name });
      await this.store.save(result);
      mark('saved');
      this.log.info(`${target.name}: execution ${execution.id} succeeded (${timings.join(', ')})`);
      stage(t('done'));
      return result;
    } catch (e) {
      const failed = (e as { execution?: Execution }).execution;
      if (failed) {
        // An ERROR execution is kept too, so its record can be looked at later.
        await this.store.save(toStoredResult(failed, { stepId: step.id, stepName: step.name, source: target.source, sourceName: target.name })).catch(() => undefined);
      }
      const kind = e instanceof DocuTrayError ? e.kind : 'error';
      const requestId = e instanceof DocuTrayError && e.requestId ? ` request ${e.requestId}` : '';
      this.log.warn(`${target.name}: ${kind}${executionId ? ` (execution ${executionId})` : ''}${requestId} after ${Date.now() - started} ms (${timings.join(', ') || 'no stages'})`);
      throw e;
    }
  }

  private async announce(outcomes: RunOutcome[], step: StepDefinition): Promise<void> {
    const t = vscode.l10n.t;
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
    for (const o of realFailures) {
      this.log.warn(`${o.target.name}: ${o.error instanceof Error ? o.error.message : String(o.error)}`);
    }
    const openAll = { title: t('Open Results'), run: async () => { for (const o of ok) { await this.open(o.result as StoredResult, 'active'); } } };
    const summary = t('DocuTray: {0} of {1} succeeded with {2}.', ok.length, outcomes.length, step.name)
      + (realFailures.length ? ' ' + t('Failed: {0}.', realFailures.map(o => `${o.target.name} (${this.errors.present(o.error).message})`).join('; ')) : '')
      + (cancelled.length ? ' ' + t('Cancelled: {0}.', cancelled.length) : '');
    const actions = [...(ok.length ? [openAll] : []), { title: t('Show Log'), run: () => vscode.commands.executeCommand('docutray.showLog') }];
    const show = realFailures.length ? vscode.window.showWarningMessage : vscode.window.showInformationMessage;
    void show(summary, ...actions.map(a => a.title)).then(choice => actions.find(a => a.title === choice)?.run());
  }

  /** Cancels every run in progress in this window (uploads and polling stop at once). */
  cancelAll(): number {
    const n = this.active.size;
    for (const abort of this.active) {
      abort.abort();
    }
    return n;
  }

  get running(): boolean {
    return this.active.size > 0;
  }

  /** Opens a stored result, as `docutray.openResult` says (or as asked). */
  async open(result: StoredResult, mode: settings.OpenResultMode = settings.openResultMode()): Promise<vscode.TextEditor | undefined> {
    if (mode === 'none') {
      return undefined;
    }
    const doc = await vscode.workspace.openTextDocument(ResultFileSystem.uriFor(result));
    return vscode.window.showTextDocument(doc, {
      viewColumn: mode === 'beside' ? vscode.ViewColumn.Beside : vscode.ViewColumn.Active,
      preview: false,
      preserveFocus: false,
    });
  }
}
