import vscode = require('vscode');
import { l10n } from 'vscode';
import { RunRecord, RunState, formatDuration, isInFlight } from '../core/runs/history';
import { inlineRerun, retryOffer } from '../core/runs/lifecycle';
import { hasDocument } from '../core/runs/source';
import { escapeMarkdown, markdownCode } from '../core/text/plainText';
import { when } from '../core/text/when';
import { lookupIn } from '../core/batches/record';
import { RunHistory } from '../runs/runHistory';
import type { BatchService } from '../batches/batchService';
import { type BatchNode, isBatchNode } from '../batches/batchNode';
import { ReusedNode, batchItem, isReusedNode, reusedItem } from './batchTree';

export type { BatchNode } from '../batches/batchNode';
export type { ReusedNode } from './batchTree';
export { isBatchNode } from '../batches/batchNode';

export type RunsNode = RunRecord | BatchNode | ReusedNode;

/** What the view needs of the batches. */
type BatchSource = Pick<
  BatchService,
  'all' | 'onDidChange' | 'describe' | 'isDriving' | 'drivenElsewhere' | 'isAlive' | 'children' | 'isEarlierAttempt'
>;

const ICONS: Record<RunState, [string, string?]> = {
  starting: ['cloud-upload'],
  ENQUEUED: ['clock'],
  PROCESSING: ['sync~spin'],
  SUCCESS: ['pass', 'testing.iconPassed'],
  ERROR: ['error', 'testing.iconFailed'],
  failed: ['error', 'testing.iconFailed'],
  cancelled: ['circle-slash'],
  mayHaveStarted: ['warning', 'list.warningForeground'],
  unavailable: ['debug-disconnect', 'list.warningForeground'],
};

/** True when a run has a stored result (or ERROR record) to open. */
export function hasResult(r: RunRecord): boolean {
  return !!r.executionId && (r.state === 'SUCCESS' || r.state === 'ERROR');
}

function canRerun(r: RunRecord): boolean {
  return hasDocument(r.source);
}

/**
 * "DocuTray Runs": newest first, with live stage text while a run is in flight. A batch is one node
 * ("37 of 120 done · 2 failed · about 3 min left") with its files' runs under it.
 */
export class RunsView implements vscode.TreeDataProvider<RunsNode>, vscode.Disposable {
  private readonly emitter = new vscode.EventEmitter<RunsNode | undefined>();
  readonly onDidChangeTreeData = this.emitter.event;
  private readonly subscription: vscode.Disposable;
  private refreshTimer: ReturnType<typeof setTimeout> | undefined;
  /**
   * Whether a run's document has an expected result for the run's step (set by the expected-results glue;
   * undefined: not a result that could be one). It gives a run's item `expected` or `noExpected`.
   */
  expectedFor: ((r: RunRecord) => boolean | undefined) | undefined;

  constructor(
    private readonly history: RunHistory,
    private readonly batches: BatchSource,
  ) {
    // Fires for the whole list (at most every 100 ms: a batch changes often); ids are stable.
    const refresh = () => {
      this.refreshTimer ??= setTimeout(() => {
        this.refreshTimer = undefined;
        this.emitter.fire(undefined);
      }, 100);
    };
    this.subscription = vscode.Disposable.from(history.onDidChange(refresh), batches.onDidChange(refresh));
  }

  /** Shows every item again (what an item's flags depend on changed). */
  refresh(): void {
    this.emitter.fire(undefined);
  }

  async getChildren(element?: RunsNode): Promise<RunsNode[]> {
    const runs = await this.history.all();
    if (isBatchNode(element)) {
      const batch = element.batch;
      return this.batches.children(batch).map(c =>
        'state' in c
          ? c
          : ({
              kind: 'reused',
              batch,
              doc: c,
              run: runs.find(r => r.executionId === c.reused?.executionId),
            } as ReusedNode),
      );
    }
    if (element) {
      return [];
    }
    const batches = await this.batches.all();
    const known = new Set(batches.map(b => b.id));
    const top: { at: number; node: RunsNode }[] = [
      ...batches.map(b => ({ at: b.createdAt, node: { kind: 'batch', batch: b } as BatchNode })),
      ...runs.filter(r => !r.batchId || !known.has(r.batchId)).map(r => ({ at: r.startedAt, node: r })),
    ];
    return top.sort((a, b) => b.at - a.at).map(t => t.node);
  }

  getTreeItem(node: RunsNode): vscode.TreeItem {
    if (isBatchNode(node)) {
      return batchItem(node.batch, lookupIn(this.history.snapshot()), this.batches);
    }
    if (isReusedNode(node)) {
      return reusedItem(node, hasResult);
    }
    return this.runItem(node);
  }

  private runItem(r: RunRecord): vscode.TreeItem {
    const item = new vscode.TreeItem(r.sourceName, vscode.TreeItemCollapsibleState.None);
    item.id = r.id;
    const [icon, color] = ICONS[r.state];
    item.iconPath = new vscode.ThemeIcon(icon, color ? new vscode.ThemeColor(color) : undefined);
    const took = r.finishedAt ? formatDuration(r.finishedAt - r.startedAt) : undefined;
    const status = isInFlight(r) ? (r.stage ?? stateText(r.state)) : r.state === 'SUCCESS' ? took : stateText(r.state);
    item.description = [r.stepName, status, when(r.startedAt)].filter(Boolean).join(' · ');
    const md = new vscode.MarkdownString(undefined, true);
    md.appendMarkdown(`**${escape(r.sourceName)}** · ${escape(r.stepName)} (${markdownCode(r.stepId)})\n\n`);
    if (r.serviceStepName && r.serviceStepName !== r.stepName) {
      md.appendMarkdown(`${l10n.t('Named by DocuTray')}: ${escape(r.serviceStepName)}\n\n`);
    }
    md.appendMarkdown(`${l10n.t('Status')}: ${stateText(r.state)}${took ? ` · ${took}` : ''}\n\n`);
    md.appendMarkdown(`${l10n.t('Started')}: ${new Date(r.startedAt).toLocaleString()}\n\n`);
    if (r.executionId) {
      md.appendMarkdown(`${escape(l10n.t('Execution'))}: ${markdownCode(r.executionId)}\n\n`);
    }
    if (r.error) {
      md.appendMarkdown(`${escape(r.error.message)}\n\n`);
    }
    item.tooltip = md;
    // `rerunnable`: Rerun is in the context menu (it asks first when the run may have started);
    // `oneClickRerun`: also inline, only when a rerun cannot bill a step that may already be running;
    // `checkable`: it has an execution id and no result (unavailable, cancelled): Check Execution;
    // `expected` / `noExpected`: Accept as Expected / Create Expected Result.
    const expected = r.state === 'SUCCESS' && hasResult(r) ? this.expectedFor?.(r) : undefined;
    const flags = [
      'run',
      // A batch's file is cancelled with its batch (Cancel Batch), not on its own.
      isInFlight(r) ? (r.batchId ? 'inBatch' : 'running') : 'finished',
      hasResult(r) ? 'result' : '',
      r.executionId ? 'execution' : '',
      canRerun(r) ? 'rerunnable' : '',
      // An earlier attempt of a batch's document (a retry replaced it) has no one-click Rerun: that
      // document was sent again already.
      inlineRerun(r) && !this.batches.isEarlierAttempt(r) ? 'oneClickRerun' : '',
      retryOffer(r).kind === 'poll' ? 'checkable' : '',
      expected === undefined ? '' : expected ? 'expected' : 'noExpected',
    ];
    item.contextValue = flags.filter(Boolean).join(' ');
    if (hasResult(r)) {
      item.command = { command: 'docutray.runs.openResult', title: l10n.t('Open Result'), arguments: [r] };
    }
    return item;
  }

  dispose(): void {
    clearTimeout(this.refreshTimer);
    this.subscription.dispose();
    this.emitter.dispose();
  }
}

function stateText(s: RunState): string {
  switch (s) {
    case 'starting':
      return l10n.t('starting');
    case 'ENQUEUED':
      return l10n.t('queued');
    case 'PROCESSING':
      return l10n.t('processing');
    case 'SUCCESS':
      return l10n.t('succeeded');
    case 'ERROR':
      return l10n.t('failed on DocuTray');
    case 'failed':
      return l10n.t('failed');
    case 'cancelled':
      return l10n.t('cancelled');
    case 'mayHaveStarted':
      return l10n.t('may have started');
    case 'unavailable':
      return l10n.t('unavailable — check later');
  }
}

const escape = escapeMarkdown;
