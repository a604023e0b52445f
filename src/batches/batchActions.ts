import vscode = require('vscode');
import { l10n } from 'vscode';
import {
  type BatchRecord,
  type RunLookup,
  canResume,
  documentsOf,
  isBatchAlive,
  lookupIn,
  nextRunId,
} from '../core/batches/record';
import { failureRetry, resumeChange } from '../core/runs/lifecycle';
import { plainText } from '../core/text/plainText';
import { documentPages, pagesText } from '../documents/pages';
import type { ErrorPresenter } from '../errorPresenter';
import type { ScopedLog } from '../log';
import type { RunHistory } from '../runs/runHistory';
import { announceEnd, batchSubject, offerReview, pickToResend, stepLabel } from './batchMessages';
import type { BatchRecords } from './batchRecords';
import type { BatchDrives } from './batchDrives';

/**
 * What the user does to a batch, and what an end offers: Resume, Review… (the documents that may have
 * started, sent again only after a modal), Retry Failed (in the batch itself), Remove. Each decides here and
 * hands the drive to the driving (batchDrives.ts); what a drive's end, a takeover or a pause's end asks of
 * the user comes from the driving's events.
 */
export class BatchActions implements vscode.Disposable {
  private readonly subscriptions: vscode.Disposable[];

  constructor(
    private readonly records: BatchRecords,
    private readonly history: RunHistory,
    private readonly drives: BatchDrives,
    private readonly errors: ErrorPresenter,
    private readonly log: ScopedLog,
  ) {
    this.subscriptions = [
      drives.onDidAnnounce(b => void announceEnd(b, this.lookup()).then(c => this.act(b.id, c))),
      drives.onDidFindUncertain(
        ({ batch, documents }) => void offerReview(batch, documents).then(c => c && this.review(batch.id)),
      ),
      drives.onDidEndPause(id => void this.resumeBatch(id).catch(e => this.errors.report(e, 'resume batch'))),
    ];
  }

  private lookup(): RunLookup {
    return lookupIn(this.history.snapshot());
  }

  /**
   * Resume from the Runs view (or a pause that is over): a cancelled or paused batch sends its unsent
   * documents and polls its started ones; a batch whose window is gone is taken over first. False when
   * another live window drives it.
   */
  async resumeBatch(id: string): Promise<boolean> {
    await this.records.all();
    await this.drives.resumed();
    const b = (await this.records.refresh(id)) ?? this.records.get(id);
    if (!b || this.drives.isDriving(id)) {
      return false;
    }
    if (this.drives.drivenElsewhere(b)) {
      void vscode.window.showInformationMessage(l10n.t('DocuTray: another window is running this batch.'));
      return false;
    }
    const resumable = canResume(b, this.lookup());
    // Documents that may have started wait for Review…, which Resume leads to even where nothing else can go on.
    const review = documentsOf(b, this.lookup()).some(d => d.state === 'mayHaveStarted');
    if (!resumable && !review) {
      void vscode.window.showInformationMessage(
        b.failure
          ? l10n.t(
              'DocuTray: {0} on {1} cannot go on: {2}',
              plainText(stepLabel(b)),
              plainText(batchSubject(b)),
              plainText(b.failure.message),
            )
          : l10n.t('DocuTray: nothing is left to send or to check in {0}.', plainText(batchSubject(b))),
      );
      return false;
    }
    const uncertain = await this.drives.takeOver(b);
    if (!uncertain) {
      return false;
    }
    if (!resumable) {
      await this.review(id);
      return true;
    }
    const me = this.history.me;
    const updated = await this.records.store.update(id, me, stored => {
      const next = { ...stored };
      delete next.cancelledAt;
      delete next.pausedUntil;
      delete next.endedAt;
      delete next.failure;
      return next;
    });
    const batch = updated ?? b;
    this.records.set(batch);
    // Cancelled while DocuTray ran them: polled again (never started again).
    for (const d of documentsOf(batch, this.lookup())) {
      if (d.run?.state === 'cancelled' && d.run.executionId) {
        await this.history.updateWith(d.run.id, stored => resumeChange(stored));
      }
    }
    const mayHaveStarted = documentsOf(batch, this.lookup()).filter(d => d.state === 'mayHaveStarted');
    if (mayHaveStarted.length) {
      await this.review(id);
    }
    if (isBatchAlive(batch, this.lookup()) && !this.drives.drivesNow(id)) {
      await this.drives.drive(batch);
    }
    return true;
  }

  /**
   * Review…: the documents of a batch that may have started; those the user picks (after a modal that says
   * each may be billed twice) are sent again under a new run, the others stay as they are. The batch must
   * be this window's: Resume claims it first, or says another window runs it.
   */
  async review(id: string): Promise<number> {
    const b = this.records.get(id);
    if (!b) {
      return 0;
    }
    if (b.owner !== this.history.me && !this.drives.drivesNow(id)) {
      await this.resumeBatch(id);
      return 0;
    }
    const runs = this.lookup();
    const uncertain = documentsOf(b, runs).filter(d => d.state === 'mayHaveStarted');
    if (!uncertain.length) {
      return 0;
    }
    const picked = await pickToResend(
      b,
      uncertain.map(d => d.doc),
      doc => runs(doc.runId)?.error?.message,
    );
    if (!picked?.length) {
      return 0;
    }
    const send = new Set(picked.map(d => d.uri));
    const updated = await this.records.store.update(id, this.history.me, stored => {
      const next: BatchRecord = {
        ...stored,
        documents: stored.documents.map((d, i) => (send.has(d.uri) ? { ...d, runId: nextRunId(stored, d, i) } : d)),
      };
      delete next.endedAt;
      return next;
    });
    if (!updated) {
      void vscode.window.showInformationMessage(l10n.t('DocuTray: another window is running this batch.'));
      return 0;
    }
    this.records.set(updated);
    this.log.info(`batch ${id}: sending ${send.size} document(s) again, as the user chose`);
    if (!this.drives.drivesNow(id)) {
      // A batch that stopped (cancelled, or unable to go on) sends only the documents picked, nothing else.
      const stopped = updated.cancelledAt !== undefined || updated.failure !== undefined;
      const only = stopped ? new Set(updated.documents.filter(d => send.has(d.uri)).map(d => d.runId)) : undefined;
      void this.drives.drive(updated, undefined, { only }).catch(e => this.errors.report(e, 'batch'));
    }
    return send.size;
  }

  /**
   * Retry Failed, in the batch itself: each document that failed for a passing reason (it surely never
   * started) is sent again under its next run id (`<batch>.<index>.<attempt>`), so the document's state
   * follows the new run and it is no longer offered for a retry; those whose result did not come in time are
   * polled again (never started again). Only those documents are driven. Resolves when they have ended.
   */
  async retryFailed(id: string): Promise<BatchRecord | undefined> {
    // One decision at a time: a second click finds the documents already sent again, and sends nothing.
    const planned = this.retrying.then(
      () => this.planRetry(id),
      () => this.planRetry(id),
    );
    this.retrying = planned.catch(() => undefined);
    const plan = await planned;
    if (!plan) {
      return undefined;
    }
    try {
      await this.drives.drive(plan.batch, undefined, { only: plan.only, reserved: true });
    } finally {
      this.drives.release(id);
    }
    return this.records.get(id) ?? plan.batch;
  }

  private retrying: Promise<unknown> = Promise.resolve();

  /** Moves the retried documents to their next attempt in the stored batch; undefined when nothing is to retry. */
  private async planRetry(id: string): Promise<{ batch: BatchRecord; only: Set<string> } | undefined> {
    let found = await this.retryable(id);
    if (found && found.start.size > 1) {
      const asked = found.start;
      if (
        !(await this.confirmRetry(
          found.batch,
          found.docs.filter(d => asked.has(d.doc.runId)),
        ))
      ) {
        return undefined;
      }
      // The question took its time: read the batch again (another window, or this one, may have moved it on)
      // and send no more than was asked about.
      found = await this.retryable(id);
      if (found) {
        found.start = new Set([...found.start].filter(runId => asked.has(runId)));
      }
    }
    if (!found) {
      return undefined;
    }
    const me = this.history.me;
    this.drives.reserve(id);
    try {
      const plan = await this.moveToNextAttempt(found.batch, found.start, found.poll, me);
      if (!plan) {
        this.drives.release(id);
      }
      return plan;
    } catch (e) {
      this.drives.release(id);
      throw e;
    }
  }

  /**
   * The batch as stored and what in it a retry can mend: the documents to start again and the runs to poll
   * again. Undefined (and says why) when it is running here or nothing can be retried.
   */
  private async retryable(id: string): Promise<
    | {
        batch: BatchRecord;
        docs: ReturnType<typeof documentsOf>;
        start: Set<string>;
        poll: string[];
      }
    | undefined
  > {
    await this.records.all();
    const b = (await this.records.refresh(id)) ?? this.records.get(id);
    if (!b) {
      return undefined;
    }
    const subject = plainText(batchSubject(b));
    if (this.drives.isDriving(id)) {
      void vscode.window.showInformationMessage(
        l10n.t('DocuTray: {0} is still running. Retry its failed documents when it has ended.', subject),
      );
      return undefined;
    }
    const docs = documentsOf(b, this.lookup());
    const start = new Set(docs.filter(d => d.run && failureRetry(d.run) === 'start').map(d => d.doc.runId));
    const poll = docs.filter(d => d.run && failureRetry(d.run) === 'poll').map(d => d.doc.runId);
    if (!start.size && !poll.length) {
      void vscode.window.showInformationMessage(
        l10n.t('DocuTray: nothing in {0} to retry now: a retry cannot mend what is left.', subject),
      );
      return undefined;
    }
    return { batch: b, docs, start, poll };
  }

  /**
   * Every run over several documents asks first, in pages: a retry sends them again, and DocuTray bills them
   * (they never started, so nothing is billed twice).
   */
  private async confirmRetry(b: BatchRecord, docs: readonly { doc: { uri: string } }[]): Promise<boolean> {
    const pages = pagesText(await documentPages(docs.map(d => vscode.Uri.parse(d.doc.uri))));
    const run = l10n.t('Run');
    const answer = await vscode.window.showInformationMessage(
      l10n.t(
        'Run {0} on {1} again? {2} documents failed before DocuTray started them: it bills {3}.',
        plainText(stepLabel(b)),
        plainText(batchSubject(b)),
        docs.length,
        pages,
      ),
      { modal: true },
      run,
    );
    return answer === run;
  }

  private async moveToNextAttempt(
    b: BatchRecord,
    start: ReadonlySet<string>,
    poll: readonly string[],
    me: string,
  ): Promise<{ batch: BatchRecord; only: Set<string> } | undefined> {
    const id = b.id;
    const ownedElsewhere = () =>
      void vscode.window.showInformationMessage(
        l10n.t('DocuTray: another open window owns {0}. Use Retry Failed in that window.', plainText(batchSubject(b))),
      );
    if (b.owner !== me && (this.drives.drivenElsewhere(b) || !(await this.drives.takeOver(b)))) {
      return ownedElsewhere();
    }
    const moved: string[] = [];
    const updated = await this.records.store.update(id, me, stored => {
      const next: BatchRecord = {
        ...stored,
        documents: stored.documents.map((d, i) => {
          // Only a document still on the run that failed: one another click moved on is left as it is.
          if (!start.has(d.runId)) {
            return d;
          }
          const runId = nextRunId(stored, d, i);
          moved.push(runId);
          return { ...d, runId };
        }),
      };
      delete next.endedAt;
      return next;
    });
    if (!updated) {
      return ownedElsewhere();
    }
    this.records.set(updated);
    for (const runId of poll) {
      await this.history.updateWith(runId, stored => resumeChange(stored));
    }
    this.log.info(`batch ${id}: retrying ${moved.length} document(s) that never started, polling ${poll.length} again`);
    return { batch: updated, only: new Set([...moved, ...poll]) };
  }

  /** Removes batches (cancelled first when running here): the batch first, then its runs and results. */
  async remove(ids: readonly string[]): Promise<void> {
    for (const id of ids) {
      this.drives.cancel(id);
    }
    await this.removeRecords(ids);
    const runIds = (await this.history.all()).filter(r => r.batchId && ids.includes(r.batchId)).map(r => r.id);
    await this.history.remove(runIds);
  }

  /** Removes batch files only (the history bound removes their runs after). */
  async removeRecords(ids: readonly string[]): Promise<void> {
    await this.records.store.remove(ids);
    this.records.forget(ids);
  }

  private act(id: string, choice: Awaited<ReturnType<typeof announceEnd>>): unknown {
    switch (choice) {
      case 'showRuns':
        return vscode.commands.executeCommand('docutray.runs.focus');
      case 'resume':
        return this.resumeBatch(id).catch(e => this.errors.report(e, 'resume batch'));
      case 'retryFailed':
        return this.retryFailed(id).catch(e => this.errors.report(e, 'retry failed'));
      case 'review':
        return this.review(id).catch(e => this.errors.report(e, 'review'));
      default:
        return undefined;
    }
  }

  dispose(): void {
    this.subscriptions.forEach(s => s.dispose());
  }
}
