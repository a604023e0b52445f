import type { RequestBudget } from '../core/api/budget';
import type { DocuTrayClient } from '../core/client/client';
import { CancelledError, DocuTrayError, InvalidInputError, StepFailedError } from '../core/api/errors';
import type { Execution } from '../core/api/types';
import { type BatchRecord, documentsOf, lookupIn } from '../core/batches/record';
import {
  BatchRunner,
  LostBatchError,
  type RunnerEnd,
  type RunnerEvent,
  type RunnerJob,
  NotRecordedError,
} from '../core/batches/runner';
import { startDocument } from '../core/runs/engine';
import { type RunRecord, executionDurationMs, isInFlight, recentDurations } from '../core/runs/history';
import { type RunEvent, transition } from '../core/runs/lifecycle';
import { expandMetadata } from '../core/runs/metadata';
import { workspaceSource } from '../core/runs/source';
import { displayStepName } from '../core/runs/steps';
import type { StoredResult } from '../core/results/storedResult';
import type { ScopedLog } from '../log';
import { documentInput, documentUri, fileName, metadataVariables } from '../documents/documentSource';
import type { Following } from '../runs/following';
import type { RunHistory } from '../runs/runHistory';
import type { RunService } from '../runs/runService';
import * as settings from '../settings';
import type { BatchRecords } from './batchRecords';

/** What a drive needs from the rest of the window. */
export interface DriverContext {
  history: RunHistory;
  /** Told while this drive runs (the history then leaves the batch's runs to it). */
  following: Pick<Following, 'startDriving' | 'stopDriving'>;
  records: BatchRecords;
  runs: Pick<RunService, 'storeResult' | 'afterResult'>;
  client: DocuTrayClient;
  budget: RequestBudget;
  log: ScopedLog;
}

/**
 * One drive of one batch this window owns: the batch runner (core/batches/runner.ts) decides what to send;
 * this keeps each document's run record, which is the document's state (core/batches/record.ts).
 *
 * The fence before every start: this window still owns the batch (looked up on disk after a freeze), and
 * the document's run record is created exclusively — if any window created it first, nothing is sent. The
 * execution id of a start DocuTray answered is recorded whoever owns the batch by then. A result is stored
 * before its run says SUCCESS; nothing is held for the whole batch.
 */
export class BatchDriver {
  private readonly abort = new AbortController();
  private runner: BatchRunner | undefined;
  /** Documents (run ids) this drive saw end: never followed again. */
  private readonly ended = new Set<string>();
  /** Results stored by a status answer, until its event records the run (then dropped). */
  private readonly stored = new Map<string, StoredResult>();
  private readonly uris = new Map<string, string>();
  /** Run records this drive created, by run id, with their `startedAt`: nothing else of theirs is removed. */
  private readonly created = new Map<string, number>();

  constructor(
    private readonly batch: BatchRecord,
    private readonly ctx: DriverContext,
  ) {}

  get id(): string {
    return this.batch.id;
  }

  cancel(): void {
    this.abort.abort();
  }

  get cancelled(): boolean {
    return this.abort.signal.aborted;
  }

  /**
   * Follows the batch's runs that learnt their execution id since the drive began (a start another window
   * sent before this one took the batch over, whose answer came afterwards).
   */
  sync(runs: readonly RunRecord[]): void {
    if (!this.runner) {
      return;
    }
    const byId = lookupIn(runs);
    for (const d of documentsOf(this.batch, byId)) {
      if (d.run && isInFlight(d.run) && d.run.executionId && !this.ended.has(d.run.id)) {
        if (this.runner.follow({ key: d.run.id, executionId: d.run.executionId })) {
          this.ctx.log.info(`batch ${this.batch.id}: follows execution ${d.run.executionId} of ${d.run.sourceName}`);
        }
      } else if (d.state === 'pending' && !this.ended.has(d.doc.runId) && !this.abort.signal.aborted) {
        // Handed back by a window that lost the batch before its start left: sent from here.
        this.runner.send({ key: d.doc.runId, uri: d.doc.uri });
      }
    }
  }

  /**
   * Runs the batch to its end (or until cancelled, paused, stopped by an error every document would meet,
   * or lost to another window). `onChange` is told after each document's change; `onDocumentEnded` when a
   * document the drive began with ends (for the status bar).
   */
  async run(hooks: { onChange(): void; onDocumentEnded(ok: boolean): void }): Promise<RunnerEnd> {
    const { history, budget, following } = this.ctx;
    const all = await history.all();
    const docs = documentsOf(this.batch, lookupIn(all));
    const pending = docs.filter(d => d.state === 'pending').map(d => ({ key: d.doc.runId, uri: d.doc.uri }));
    const waiting = docs
      .filter(d => d.run && isInFlight(d.run) && d.run.executionId)
      .map(d => ({ key: d.doc.runId, executionId: d.run?.executionId as string }));
    docs.forEach(d => this.uris.set(d.doc.runId, d.doc.uri));
    const open = new Set([...pending.map(p => p.key), ...waiting.map(w => w.key)]);
    const end = (key: string, ok: boolean) => {
      this.ended.add(key);
      if (open.delete(key)) {
        hooks.onDocumentEnded(ok);
      }
    };
    this.runner = new BatchRunner(
      this.batch.stepId,
      pending,
      waiting,
      {
        budget,
        durations: recentDurations(all, this.batch.stepId),
        stillOwned: () => this.owned(),
        start: (doc, signal, sending) => this.start(doc.key, doc.uri, signal, sending),
        status: (job, signal) => this.status(job, signal),
        onEvent: event => {
          void this.record(event, end).finally(() => hooks.onChange());
        },
      },
      {
        maxUploads: settings.maxConcurrentRuns(),
        pollTimeoutMs: settings.pollTimeoutMs(),
        signal: this.abort.signal,
      },
    );
    following.startDriving(this.batch.id);
    try {
      const result = await this.runner.run();
      await this.writes;
      if (result.kind === 'cancelled') {
        await this.cancelWaiting();
      }
      if (result.kind === 'lost') {
        await this.handOver();
      }
      return result;
    } finally {
      following.stopDriving(this.batch.id);
      // What did not end (cancelled, paused, lost) leaves the status bar too, as not done.
      for (const key of [...open]) {
        open.delete(key);
        hooks.onDocumentEnded(false);
      }
    }
  }

  /**
   * After a cancel: the documents DocuTray was still running are cancelled here (it may still finish and bill
   * them; their ids are kept, so Resume polls them again and never starts them).
   */
  private async cancelWaiting(): Promise<void> {
    const { history } = this.ctx;
    for (const d of documentsOf(this.batch, lookupIn(history.snapshot()))) {
      if (d.run && isInFlight(d.run) && d.run.executionId && d.run.owner === history.me) {
        await history.updateWith(d.run.id, stored =>
          transition(stored, { type: 'error', error: new CancelledError() }),
        );
      }
    }
  }

  /**
   * After finding the batch driven by another window now: the runs this window still owns that DocuTray
   * has (their ids recorded) go to the batch's owner, which polls them; this window sends nothing more.
   */
  private async handOver(): Promise<void> {
    const { history, records, log } = this.ctx;
    const owner = (await records.refresh(this.batch.id))?.owner;
    if (!owner || owner === history.me) {
      return;
    }
    for (const d of documentsOf(this.batch, lookupIn(await history.reload()))) {
      if (d.run && d.run.owner === history.me && isInFlight(d.run) && d.run.executionId) {
        const given = await history.updateWith(d.run.id, stored =>
          stored.owner === history.me && stored.executionId ? { owner } : undefined,
        );
        if (given?.owner === owner) {
          log.info(`batch ${this.batch.id}: execution ${d.run.executionId} handed over to window ${owner}`);
        }
      }
    }
  }

  /**
   * A start this window prepared and then did not send (its fence found the batch lost): the window that
   * took the batch over has marked it "may have started", which only this one knows is not so. Its record
   * goes, so the document is pending again and the new owner sends it — once: the record is the one this
   * drive created (same `startedAt`), with no execution id even in its start receipt.
   */
  private async handBack(key: string): Promise<void> {
    const { history, log } = this.ctx;
    const stored = await history.store.read(key).catch(() => undefined);
    if (
      stored &&
      !stored.executionId &&
      stored.startedAt === this.created.get(key) &&
      (stored.state === 'starting' || stored.state === 'mayHaveStarted')
    ) {
      await history.remove([key]);
      log.info(`batch ${this.batch.id}: ${stored.sourceName} was not sent here; handed back as not sent`);
    }
  }

  /** Every run-record write of this drive, in order. */
  private writes: Promise<void> = Promise.resolve();

  /** Whether this window still owns the batch: certain while its lease is fresh, else looked up on disk. */
  private async owned(): Promise<boolean> {
    const { history, records } = this.ctx;
    if (history.presence.leaseFresh()) {
      return records.get(this.batch.id)?.owner === history.me;
    }
    await history.presence.renew();
    const b = await records.refresh(this.batch.id);
    return b?.owner === history.me;
  }

  private async start(key: string, uriText: string, signal: AbortSignal, sending: () => void): Promise<Execution> {
    const { history, client, log } = this.ctx;
    if (!(await this.owned())) {
      throw new LostBatchError(this.batch.id);
    }
    const uri = documentUri(uriText);
    const doc = this.batch.documents.find(d => d.runId === key);
    const now = Date.now();
    const run: RunRecord = {
      id: key,
      source: workspaceSource(uriText),
      sourceName: doc?.label ?? (uri ? fileName(uri) : uriText),
      stepId: this.batch.stepId,
      stepName: this.batch.stepName ?? this.batch.stepId,
      state: 'starting',
      startedAt: now,
      updatedAt: now,
      batchId: this.batch.id,
      owner: history.me,
    };
    let created: boolean;
    try {
      created = await history.create(run);
    } catch (e) {
      // A run that cannot be recorded is not started: after a reload nothing would say it may have.
      throw new NotRecordedError(`${run.sourceName}: ${(e as Error).message}`);
    }
    if (created) {
      this.created.set(key, run.startedAt);
    } else {
      log.warn(`batch ${this.batch.id}: ${run.sourceName} has a run already (another window): not sent here`);
      throw new LostBatchError(this.batch.id);
    }
    if (!uri) {
      // Recorded first, so that the document ends (failed) instead of staying "not sent" for ever.
      throw new InvalidInputError('notAFile', `${run.sourceName} is not a document address VS Code can read.`);
    }
    const input = await documentInput(uri);
    const metadata = expandMetadata(settings.documentMetadata(uri), metadataVariables(uri));
    return startDocument(
      client,
      { stepId: this.batch.stepId, input, metadata, priority: 'batch', signal },
      {
        // Again immediately before the request goes out: the read and the budget's wait may have taken a
        // freeze, and a window that lost the batch meanwhile sends nothing.
        fence: async () => {
          if (!(await this.owned())) {
            throw new LostBatchError(this.batch.id);
          }
          sending();
        },
        // Recorded at once, whoever owns the batch by now: a start that was on the wire is never lost.
        record: async e => {
          await history.recordStart(key, {
            executionId: e.id,
            ...(e.stepName
              ? {
                  serviceStepName: e.stepName,
                  stepName: displayStepName(
                    { id: this.batch.stepId, name: this.batch.stepName ?? this.batch.stepId },
                    e.stepName,
                  ),
                }
              : {}),
            ...(e.documentSha256 ? { sha256: e.documentSha256 } : {}),
          });
        },
      },
    );
  }

  private async status(job: RunnerJob, signal: AbortSignal): Promise<Execution> {
    const e = await this.ctx.client.getStatus(job.executionId, { signal, priority: 'batch' });
    if (e.status === 'SUCCESS' || e.status === 'ERROR') {
      // On disk before the run says it ended (a failure to store: looked at again later).
      const run = await this.ctx.history.get(job.key);
      const result = await this.ctx.runs.storeResult(run ?? this.shape(job.key), e);
      this.stored.set(job.key, result);
    }
    return e;
  }

  /** What a document's run says when its record could not be read back. */
  private shape(key: string) {
    const uri = this.uris.get(key) ?? key;
    return {
      stepId: this.batch.stepId,
      stepName: this.batch.stepName ?? this.batch.stepId,
      source: workspaceSource(uri),
      sourceName: this.batch.documents.find(d => d.runId === key)?.label ?? uri.slice(uri.lastIndexOf('/') + 1),
    };
  }

  /** Keeps the document's run record in line with what happened (in order, one write after another). */
  private record(event: RunnerEvent, end: (key: string, ok: boolean) => void): Promise<void> {
    const next = this.writes
      .then(() => this.write(event, end))
      .catch(e => this.ctx.log.warn(`batch ${this.batch.id}: could not record a run: ${(e as Error).message}`));
    this.writes = next;
    return next;
  }

  private async write(event: RunnerEvent, end: (key: string, ok: boolean) => void): Promise<void> {
    const { history } = this.ctx;
    const apply = (key: string, ev: RunEvent, also: Partial<RunRecord> = {}) =>
      history.updateWith(key, stored => {
        const change = transition(stored, ev);
        return change && { ...change, ...also };
      });
    switch (event.type) {
      case 'started':
        return;
      case 'notSent': {
        // Called back before a byte went out: the run record goes, and the document is pending again — only
        // the record this drive created (one another drive created may be on the wire).
        const run = await history.get(event.doc.key);
        if (
          run?.state === 'starting' &&
          !run.executionId &&
          run.owner === history.me &&
          this.created.get(event.doc.key) === run.startedAt
        ) {
          await history.remove([run.id]);
        } else if (event.error instanceof LostBatchError && this.created.has(event.doc.key)) {
          await this.handBack(event.doc.key);
        }
        return;
      }
      case 'startFailed': {
        await apply(event.doc.key, { type: 'error', error: event.error });
        end(event.doc.key, false);
        return;
      }
      case 'status':
        await apply(event.job.key, { type: 'status', status: event.execution.status });
        return;
      case 'finished': {
        const result = this.stored.get(event.job.key);
        this.stored.delete(event.job.key);
        const e = event.execution;
        if (e.status === 'SUCCESS') {
          const durationMs = executionDurationMs(e);
          const written = await apply(
            event.job.key,
            { type: 'succeeded' },
            durationMs === undefined ? {} : { durationMs },
          );
          end(event.job.key, true);
          if (written && result) {
            this.ctx.runs.afterResult(result, written.sourceName);
          }
        } else {
          const failure = e.error ?? { message: 'DocuTray reported an error.' };
          const durationMs = executionDurationMs(e);
          await apply(
            event.job.key,
            { type: 'error', error: new StepFailedError(e.id, failure, {}, e) },
            durationMs === undefined ? {} : { durationMs },
          );
          end(event.job.key, false);
        }
        return;
      }
      case 'unavailable': {
        const error: DocuTrayError = event.error;
        await apply(event.job.key, { type: 'error', error });
        end(event.job.key, false);
        return;
      }
    }
  }
}
