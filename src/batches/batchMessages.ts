import vscode = require('vscode');
import { l10n } from 'vscode';
import {
  type BatchDocument,
  type BatchRecord,
  type RunLookup,
  canResume,
  etaParts,
  failureGroups,
  summarizeBatch,
} from '../core/batches/record';
import { failureRetry } from '../core/runs/lifecycle';
import { plainText } from '../core/text/plainText';
import { askPick } from '../ask';
import { withinSentence } from '../core/text/sentence';

/*
 * What a batch says to the user: its one-line description, what it ran on, the message at its end, and
 * the questions about documents that may have started. Each question returns the user's answer; the
 * batch service acts on it (nothing here holds on to a batch or sends anything).
 */

/** What a batch ran on: `invoices/`, or its first document and a count, "sample.pdf + 1 more". */
export function batchSubject(batch: BatchRecord): string {
  const scope = batch.scope;
  if (scope?.kind === 'folder') {
    return scope.label.endsWith('/') ? scope.label : `${scope.label}/`;
  }
  const n = batch.documents.length;
  const first = batch.documents[0];
  if (!first) {
    return l10n.t('{0} documents', scope?.kind === 'files' ? scope.count : 0);
  }
  const name = documentLabel(first).replace(/^.*\//, '');
  return n > 1 ? l10n.t('{0} + {1} more', name, n - 1) : name;
}

export function stepLabel(batch: BatchRecord): string {
  return batch.stepName ?? batch.stepId;
}

/**
 * "37 of 120 succeeded · 2 failed · about 3 min left" (the time left only while this window drives it; a
 * reused result counts as succeeded: this step processed the same content before).
 */
export function describeBatch(
  batch: BatchRecord,
  runs: RunLookup,
  opts: { driving: boolean; ratePerMs?: number; now?: number },
): string {
  const now = opts.now ?? Date.now();
  const s = summarizeBatch(batch, runs, now, { ratePerMs: opts.ratePerMs });
  const parts = [l10n.t('{0} of {1} succeeded', s.done, s.total)];
  if (s.failed + s.unavailable > 0) {
    parts.push(l10n.t('{0} failed', s.failed + s.unavailable));
  }
  if (s.uncertain > 0) {
    parts.push(l10n.t('{0} may have started', s.uncertain));
  }
  if (batch.failure) {
    parts.push(l10n.t('could not go on'));
  } else if (batch.cancelledAt !== undefined) {
    parts.push(l10n.t('cancelled'));
  } else if (batch.pausedUntil !== undefined && batch.pausedUntil > now && s.pending + s.running > 0) {
    parts.push(l10n.t('resumes at {0}', new Date(batch.pausedUntil).toLocaleTimeString()));
  } else if (s.etaMs !== undefined && s.etaMs > 0 && opts.driving) {
    const eta = etaParts(s.etaMs);
    parts.push('minutes' in eta ? l10n.t('about {0} min left', eta.minutes) : l10n.t('about {0} s left', eta.seconds));
  }
  return parts.join(' · ');
}

/** "a.pdf, b.pdf, c.pdf and 4 more" (plain text). */
export function listNames(names: readonly string[], max = 5): string {
  const shown = names.slice(0, max).map(n => plainText(n));
  return names.length > max ? l10n.t('{0} and {1} more', shown.join(', '), names.length - max) : shown.join(', ');
}

export function documentLabel(doc: BatchDocument): string {
  return doc.label ?? doc.uri.slice(doc.uri.lastIndexOf('/') + 1);
}

/** The buttons a batch's end may offer. */
export type EndChoice = 'showRuns' | 'resume' | 'retryFailed' | 'review';

function ask<T extends string>(
  severity: 'info' | 'warning',
  message: string,
  offers: readonly { choice: T; title: string }[],
): Promise<T | undefined> {
  const show = severity === 'warning' ? vscode.window.showWarningMessage : vscode.window.showInformationMessage;
  return Promise.resolve(show(message, ...offers.map(o => o.title))).then(
    picked => offers.find(o => o.title === picked)?.choice,
  );
}

/**
 * The one message at a batch's end. Retry Failed only where a retry can help (a passing failure: never the
 * step's own ERROR, never a start that may have happened); Review… for those that may have started.
 */
export function announceEnd(batch: BatchRecord, runs: RunLookup): Promise<EndChoice | undefined> {
  const s = summarizeBatch(batch, runs, Date.now());
  const step = plainText(stepLabel(batch));
  const subject = plainText(batchSubject(batch));
  const showRuns = { choice: 'showRuns' as const, title: l10n.t('Show Runs') };
  if (batch.cancelledAt !== undefined) {
    // Started and cancelled here while DocuTray ran them: it may still finish (and bill) them.
    const running = batch.documents.filter(d => {
      const run = d.reused ? undefined : runs(d.runId);
      return (
        !!run?.executionId && (run.state === 'cancelled' || run.state === 'ENQUEUED' || run.state === 'PROCESSING')
      );
    }).length;
    // Resume only where it can do something: something left to send or to check.
    return ask('info', cancelledText(step, subject, s.done, s.total, running), [
      showRuns,
      ...(canResume(batch, runs) ? [{ choice: 'resume' as const, title: l10n.t('Resume') }] : []),
    ]);
  }
  if (s.failed + s.unavailable === 0 && s.uncertain === 0) {
    const reused = s.skipped ? ' ' + l10n.t('{0} reused earlier results.', s.skipped) : '';
    const finished =
      s.total === 1
        ? l10n.t('DocuTray: {0} finished on {1} (1 document).', step, subject)
        : l10n.t('DocuTray: {0} finished on {1} ({2} documents).', step, subject, s.total);
    return ask('info', finished + reused, [showRuns]);
  }
  const parts = [l10n.t('DocuTray: {0} on {1}: {2} of {3} succeeded.', step, subject, s.done, s.total)];
  const groups = failureGroups(batch, runs);
  if (groups.length) {
    const shown = groups
      .slice(0, 3)
      .map(g =>
        g.labels.length === 1
          ? l10n.t('{0}: {1}', plainText(g.labels[0]), plainText(withinSentence(g.reason)))
          : l10n.t('{0} × {1}', g.labels.length, plainText(withinSentence(g.reason))),
      );
    const more = groups.length > 3 ? ' ' + l10n.t('(and {0} other reasons)', groups.length - 3) : '';
    parts.push(l10n.t('Failed: {0}.', shown.join('; ')) + more);
  }
  const uncertain = batch.documents.filter(d => !d.reused && runs(d.runId)?.state === 'mayHaveStarted');
  if (uncertain.length) {
    parts.push(l10n.t('May have started (not sent again): {0}.', listNames(uncertain.map(documentLabel))));
  }
  const offers: { choice: EndChoice; title: string }[] = [showRuns];
  if (batch.documents.some(d => !d.reused && retryable(runs(d.runId)))) {
    offers.push({ choice: 'retryFailed', title: l10n.t('Retry Failed') });
  }
  if (uncertain.length) {
    offers.push({ choice: 'review', title: l10n.t('Review…') });
  }
  return ask('warning', parts.join(' '), offers);
}

function retryable(run: Parameters<typeof failureRetry>[0] | undefined): boolean {
  return !!run && failureRetry(run) !== undefined;
}

function cancelledText(step: string, subject: string, done: number, total: number, running: number): string {
  const head = l10n.t('DocuTray: {0} on {1} cancelled, {2} of {3} succeeded.', step, subject, done, total);
  return running
    ? `${head} ${l10n.t(
        '{0} had started: DocuTray may still finish them (and bill them). Resume checks them again without sending them twice.',
        running,
      )}`
    : `${head} ${l10n.t('Nothing more was sent.')}`;
}

/** After a takeover: documents whose start may have happened before the window closed. */
export function offerReview(batch: BatchRecord, docs: readonly BatchDocument[]): Promise<'review' | undefined> {
  return ask(
    'warning',
    l10n.t(
      'DocuTray: {0} of {1} on {2} may have started before the window closed: {3}. They were not sent again.',
      docs.length,
      plainText(stepLabel(batch)),
      plainText(batchSubject(batch)),
      listNames(docs.map(documentLabel)),
    ),
    [{ choice: 'review' as const, title: l10n.t('Review…') }],
  );
}

/**
 * Which documents that may have started to send again: a pick list, then a modal that says each may be
 * billed twice. Undefined (or empty) changes nothing: they stay "may have started".
 */
export async function pickToResend(
  batch: BatchRecord,
  docs: readonly BatchDocument[],
  reason: (doc: BatchDocument) => string | undefined,
): Promise<BatchDocument[] | undefined> {
  const picked = await askPick(
    docs.map(doc => ({ label: documentLabel(doc), description: reason(doc), doc })),
    {
      title: l10n.t('Send again? Each may have started already and may be billed twice'),
      placeHolder: l10n.t('Check the documents to send again; the others stay as they are'),
      canPickMany: true,
      ignoreFocusOut: true,
    },
  );
  if (!picked?.length) {
    return undefined;
  }
  const send = l10n.t('Send Again');
  const answer = await vscode.window.showWarningMessage(
    picked.length === 1
      ? l10n.t('Send {0} again with {1}?', plainText(picked[0].label), plainText(stepLabel(batch)))
      : l10n.t('Send {0} documents again with {1}?', picked.length, plainText(stepLabel(batch))),
    {
      modal: true,
      detail: l10n.t(
        'DocuTray may have started each of them already: sending again may bill them twice. {0}',
        listNames(picked.map(p => p.label)),
      ),
    },
    send,
  );
  return answer === send ? picked.map(p => p.doc) : undefined;
}
