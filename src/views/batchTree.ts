import vscode = require('vscode');
import { l10n } from 'vscode';
import {
  type BatchDocument,
  type BatchRecord,
  type RunLookup,
  batchTimes,
  canResume,
  documentsOf,
  summarizeBatch,
} from '../core/batches/record';
import { failureRetry } from '../core/runs/lifecycle';
import type { RunRecord } from '../core/runs/history';
import { escapeMarkdown, markdownCode } from '../core/text/plainText';
import { when } from '../core/text/when';
import { pathUnder, sharedFolder, sharedFolderLabel } from '../core/batches/names';
import { batchSubject, documentLabel, stepLabel } from '../batches/batchMessages';

/*
 * The Runs view's batch nodes: a batch, named by what it ran on ("invoices/", "sample.pdf + 1 more") and
 * described by its state first, then its time and step ("37 of 120 succeeded · 2 failed · about 3 min left ·
 * 14:02:03 · Invoice"), and its documents' runs under it, named inside the folder they share.
 */

/** A document of a batch that reused an earlier result (this step already processed the same content). */
export interface ReusedNode {
  kind: 'reused';
  batch: BatchRecord;
  doc: BatchDocument;
  /** The earlier run whose result is reused, when the history still holds it. */
  run?: RunRecord;
}

export function isReusedNode(v: unknown): v is ReusedNode {
  return !!v && typeof v === 'object' && (v as ReusedNode).kind === 'reused';
}

/** What the tree asks of the batches. */
export interface BatchTreeSource {
  describe(b: BatchRecord): string;
  isDriving(id: string): boolean;
  drivenElsewhere(b: BatchRecord): boolean;
  isAlive(b: BatchRecord): boolean;
}

const escape = escapeMarkdown;

export function batchItem(b: BatchRecord, runs: RunLookup, batches: BatchTreeSource): vscode.TreeItem {
  const subject = batchSubject(b);
  // What tells batches apart first (what it ran on, then how it stands); the time, the step and the folder
  // the selected files share after: a narrow side bar cuts those.
  const item = new vscode.TreeItem(subject, vscode.TreeItemCollapsibleState.Collapsed);
  const folder = sharedFolderLabel(b);
  item.id = `batch:${b.id}`;
  const driving = batches.isDriving(b.id);
  const elsewhere = batches.drivenElsewhere(b);
  const alive = batches.isAlive(b);
  const s = summarizeBatch(b, runs, Date.now());
  item.description = [
    batches.describe(b),
    when(b.createdAt),
    stepLabel(b),
    b.scope?.kind === 'folder' ? '' : (folder ?? ''),
  ]
    .filter(Boolean)
    .join(' · ');
  const paused = b.pausedUntil !== undefined && b.pausedUntil > Date.now();
  // Resume only where it can work: something left to send or to check, and nothing stopping it for good.
  const resumable = canResume(b, runs) ? ' resumable' : '';
  const state = driving
    ? 'running'
    : b.failure
      ? `failed${resumable}`
      : b.cancelledAt !== undefined
        ? `cancelled${resumable}`
        : alive
          ? elsewhere
            ? 'elsewhere'
            : paused
              ? 'paused resumable'
              : 'resumable'
          : 'finished';
  const docs = documentsOf(b, runs);
  const flags = [
    'batch',
    state,
    docs.some(d => d.run && failureRetry(d.run)) ? 'retryable' : '',
    s.uncertain ? 'uncertain' : '',
    b.scope?.kind === 'folder' ? 'folder' : '',
  ];
  item.contextValue = flags.filter(Boolean).join(' ');
  const failed = s.failed + s.unavailable;
  item.iconPath =
    driving || elsewhere
      ? new vscode.ThemeIcon('sync~spin')
      : b.failure
        ? new vscode.ThemeIcon('error', new vscode.ThemeColor('testing.iconFailed'))
        : b.cancelledAt !== undefined
          ? new vscode.ThemeIcon('circle-slash')
          : paused
            ? new vscode.ThemeIcon('debug-pause', new vscode.ThemeColor('list.warningForeground'))
            : failed && !s.done
              ? new vscode.ThemeIcon('error', new vscode.ThemeColor('testing.iconFailed'))
              : failed || s.uncertain
                ? new vscode.ThemeIcon('warning', new vscode.ThemeColor('list.warningForeground'))
                : alive
                  ? new vscode.ThemeIcon('files')
                  : new vscode.ThemeIcon('pass', new vscode.ThemeColor('testing.iconPassed'));
  const times = batchTimes(b, runs);
  const md = new vscode.MarkdownString(undefined, true);
  md.appendMarkdown(`**${escape(subject)}** · ${escape(stepLabel(b))} (${markdownCode(b.stepId)})\n\n`);
  if (folder) {
    md.appendMarkdown(`${escape(l10n.t('Folder'))}: ${escape(folder)}\n\n`);
  }
  md.appendMarkdown(
    `${escape(
      l10n.t(
        '{0} documents: {1} succeeded, {2} reused, {3} failed, {4} may have started, {5} not sent yet',
        s.total,
        s.succeeded,
        s.skipped,
        failed,
        s.uncertain,
        s.pending,
      ),
    )}\n\n`,
  );
  md.appendMarkdown(
    `${escape(l10n.t('Started'))}: ${escape(new Date(times.startedAt ?? b.createdAt).toLocaleString())}\n\n`,
  );
  if (times.endedAt !== undefined) {
    md.appendMarkdown(`${escape(l10n.t('Ended'))}: ${escape(new Date(times.endedAt).toLocaleString())}\n\n`);
  }
  if (paused) {
    md.appendMarkdown(
      `${escape(l10n.t("Paused by DocuTray's rate limit until {0}", new Date(b.pausedUntil as number).toLocaleString()))}\n\n`,
    );
  }
  if (b.failure) {
    md.appendMarkdown(`${escape(l10n.t('Could not go on: {0}', b.failure.message))}\n\n`);
  }
  item.tooltip = md;
  return item;
}

/** A skipped document: "reused from <date>", opening the earlier result. */
export function reusedItem(n: ReusedNode, hasResult: (r: RunRecord) => boolean): vscode.TreeItem {
  const folder = sharedFolder(n.batch);
  const name = (folder && pathUnder(folder, n.doc.uri)) || documentLabel(n.doc);
  const item = new vscode.TreeItem(name, vscode.TreeItemCollapsibleState.None);
  item.id = `reused:${n.batch.id}:${n.doc.uri}`;
  item.iconPath = new vscode.ThemeIcon('history', new vscode.ThemeColor('testing.iconPassed'));
  const at = n.run?.finishedAt ?? n.doc.reused?.finishedAt ?? n.run?.startedAt;
  item.description = at !== undefined ? l10n.t('reused from {0}', new Date(at).toLocaleString()) : l10n.t('reused');
  const md = new vscode.MarkdownString(undefined, true);
  md.appendMarkdown(
    `**${escape(documentLabel(n.doc))}** · ${escape(l10n.t('already processed by this step (same content): its earlier result is reused'))}\n\n`,
  );
  if (n.doc.reused) {
    md.appendMarkdown(`${escape(l10n.t('Execution'))}: ${markdownCode(n.doc.reused.executionId)}\n\n`);
  }
  item.tooltip = md;
  item.contextValue = n.run && hasResult(n.run) ? 'reused result' : 'reused';
  if (n.run && hasResult(n.run)) {
    item.command = { command: 'docutray.runs.openResult', title: l10n.t('Open Result'), arguments: [n.run] };
  }
  return item;
}
