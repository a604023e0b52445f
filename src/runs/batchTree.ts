import vscode = require('vscode');
import { l10n } from 'vscode';
import type { BatchRecord } from '../core/runs/batch';
import type { StoredBatch } from '../core/runs/batchFiles';
import type { RunRecord } from '../core/runs/history';
import { escapeMarkdown } from '../core/text/plainText';
import type { ReusedNode } from './batchNode';
import type { Batches } from './batches';

/*
 * The Runs view's batch nodes: a batch ("37 of 120 done · 2 failed · about 3 min left") and its
 * files. In dist/batches.js with the rest of the batch code; runsView.ts asks for them.
 */

type BatchSource = Pick<Batches, 'describe' | 'isDriving' | 'drivenElsewhere' | 'isAlive'>;

const escape = escapeMarkdown;

/** A batch's files that have a run (or reuse one), in the batch's order. */
export function batchChildren(batch: BatchRecord, runs: readonly RunRecord[]): (RunRecord | ReusedNode)[] {
  const byId = new Map(runs.filter(r => r.batchId === batch.id).map(r => [r.id, r]));
  const children: (RunRecord | ReusedNode)[] = [];
  for (const f of batch.files) {
    if (f.state === 'skipped') {
      const run = f.reusedExecutionId ? runs.find(r => r.executionId === f.reusedExecutionId) : undefined;
      children.push({ kind: 'reused', batch, file: f, ...(run ? { run } : {}) });
    } else if (f.runId && byId.has(f.runId)) {
      children.push(byId.get(f.runId) as RunRecord);
    }
  }
  return children;
}

export function batchItem(b: StoredBatch, batches: BatchSource): vscode.TreeItem {
  const item = new vscode.TreeItem(b.stepName ?? b.stepId, vscode.TreeItemCollapsibleState.Collapsed);
  item.id = `batch:${b.id}`;
  const driving = batches.isDriving(b.id);
  const elsewhere = batches.drivenElsewhere(b);
  item.description = batches.describe(b);
  const state = driving
    ? 'running'
    : b.cancelledAt !== undefined
      ? 'cancelled resumable'
      : batches.isAlive(b)
        ? elsewhere
          ? 'elsewhere'
          : 'resumable'
        : 'finished';
  item.contextValue = `batch ${state}`;
  item.iconPath = new vscode.ThemeIcon(
    driving || elsewhere ? 'sync~spin' : b.cancelledAt !== undefined ? 'circle-slash' : 'files',
  );
  const md = new vscode.MarkdownString(undefined, true);
  md.appendMarkdown(`**${escape(b.stepName ?? b.stepId)}** (\`${escape(b.stepId)}\`)\n\n`);
  md.appendMarkdown(`${escape(item.description)}\n\n`);
  md.appendMarkdown(`${l10n.t('Started')}: ${new Date(b.startedAt ?? b.createdAt).toLocaleString()}\n\n`);
  item.tooltip = md;
  return item;
}

/** A skipped file: "reused from <date>", opening the earlier result. */
export function reusedItem(n: ReusedNode, hasResult: (r: RunRecord) => boolean): vscode.TreeItem {
  const name = n.file.label ?? n.file.uri.split('/').pop() ?? n.file.uri;
  const item = new vscode.TreeItem(name, vscode.TreeItemCollapsibleState.None);
  item.id = `reused:${n.batch.id}:${n.file.uri}`;
  item.iconPath = new vscode.ThemeIcon('history', new vscode.ThemeColor('testing.iconPassed'));
  const when = n.run ? new Date(n.run.finishedAt ?? n.run.startedAt).toLocaleString() : undefined;
  item.description = when ? l10n.t('reused from {0}', when) : l10n.t('reused');
  const md = new vscode.MarkdownString(undefined, true);
  md.appendMarkdown(
    `**${escape(name)}** · ${escape(l10n.t('already processed by this step (same content): its earlier result is reused'))}\n\n`,
  );
  if (n.file.reusedExecutionId) {
    md.appendMarkdown(`${l10n.t('Execution')}: \`${escape(n.file.reusedExecutionId)}\`\n\n`);
  }
  item.tooltip = md;
  item.contextValue = n.run && hasResult(n.run) ? 'reused result' : 'reused';
  if (n.run && hasResult(n.run)) {
    item.command = { command: 'docutray.runs.openResult', title: l10n.t('Open Result'), arguments: [n.run] };
  }
  return item;
}
