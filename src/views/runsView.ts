import vscode = require('vscode');
import { l10n } from 'vscode';
import { RunRecord, RunState, formatDuration, isInFlight, stepDurationMs } from '../core/runs/history';
import { inlineRerun, retryOffer } from '../core/runs/lifecycle';
import { hasDocument } from '../core/runs/source';
import { escapeMarkdown, markdownCode } from '../core/text/plainText';
import { when } from '../core/text/when';
import { type BatchRecord, lookupIn } from '../core/batches/record';
import { documentOfRun, pathUnder, sharedFolder, sharedFolderLabel } from '../core/batches/names';
import { batchSubject } from '../batches/batchMessages';
import { RunHistory } from '../runs/runHistory';
import type { BatchService } from '../batches/batchService';
import { type BatchNode, isBatchNode } from '../batches/batchNode';
import { ReusedNode, batchItem, isReusedNode, reusedItem } from './batchTree';

export type { BatchNode } from '../batches/batchNode';
export type { ReusedNode } from './batchTree';
export { isBatchNode } from '../batches/batchNode';

export type RunsNode = RunRecord | BatchNode | ReusedNode;

/** The rows as shown: their ids in order (with their depth), and each row's look by its node. */
interface Shown {
  order: string;
  rows: Map<RunsNode, string>;
}

/** What the view needs of the batches. */
type BatchSource = Pick<
  BatchService,
  | 'all'
  | 'onDidChange'
  | 'describe'
  | 'isDriving'
  | 'drivenElsewhere'
  | 'isAlive'
  | 'children'
  | 'isEarlierAttempt'
  | 'records'
>;

/**
 * The expected results (the Test Explorer's glue, made before the view): whether a run's document has one for
 * the run's step (undefined: not a result that could be one), which gives a run's item `expected` or
 * `noExpected`; and when that may have changed.
 */
export interface ExpectedSource {
  expectedFor(r: RunRecord): boolean | undefined;
  readonly onDidChange: vscode.Event<void>;
}

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
 * ("37 of 120 succeeded · 2 failed · about 3 min left") with its files' runs under it.
 */
export class RunsView implements vscode.TreeDataProvider<RunsNode>, vscode.Disposable {
  private readonly emitter = new vscode.EventEmitter<RunsNode | RunsNode[] | undefined>();
  readonly onDidChangeTreeData = this.emitter.event;
  private readonly subscription: vscode.Disposable;
  private refreshTimer: ReturnType<typeof setTimeout> | undefined;
  /** Settles when the rows have been compared after the latest `refresh` call (see `showChanges`). */
  private nextRefresh: { promise: Promise<void>; resolve: () => void } | undefined;
  private disposed = false;
  /** The rows last shown (see `refresh`): which rows, in what order, and how each looked. */
  private lastShown: Shown | undefined;
  /** One node per batch, kept across reads: VS Code knows a row by its node, so a row can be refreshed alone. */
  private readonly batchNodes = new Map<string, BatchNode>();
  /** Batches whose runs VS Code has read (their rows count in what is shown). */
  private readonly opened = new Set<string>();
  /** The batches last listed, by id: a run under one is named and described inside it. */
  private readonly parents = new Map<string, BatchRecord>();
  constructor(
    private readonly history: RunHistory,
    private readonly batches: BatchSource,
    private readonly expected?: ExpectedSource,
  ) {
    // Fires for the whole list (at most every 100 ms: a batch changes often); ids are stable.
    const refresh = () => void this.refresh();
    this.subscription = vscode.Disposable.from(
      history.onDidChange(refresh),
      batches.onDidChange(refresh),
      ...(expected ? [expected.onDidChange(refresh)] : []),
    );
  }

  /**
   * Shows what changed again, at most every 100 ms, and only the rows that changed. A refresh is not free
   * for the person at the view: VS Code forgets every row's handle when the whole list refreshes, until it
   * has read the rows again, and a context-menu command chosen in that moment gets no row (a running
   * batch's row changes every few seconds). So the whole list is refreshed only when rows come, go or move;
   * a row that only looks different (a batch's count, a run's state) is refreshed alone, and keeps its
   * handle. Most changes of the history (another window's lease, a record merged again) change no row.
   * Settles once the rows have been compared.
   */
  refresh(): Promise<void> {
    if (!this.nextRefresh) {
      let resolve = () => {};
      const promise = new Promise<void>(r => (resolve = r));
      this.nextRefresh = { promise, resolve };
    }
    this.refreshTimer ??= setTimeout(() => void this.showChanges(), 100);
    return this.nextRefresh.promise;
  }

  /**
   * Compares the rows with those last shown and fires what changed. One at a time: a change while the rows are
   * being read (they are read asynchronously) is shown by the next one, never lost.
   */
  private async showChanges(): Promise<void> {
    const done = this.nextRefresh;
    this.nextRefresh = undefined;
    try {
      const shown = await this.shown();
      const before = this.lastShown;
      this.lastShown = shown;
      // A row whose node VS Code does not hold (a record read anew) cannot be refreshed alone.
      const unknown = (n: RunsNode) => !isReusedNode(n) && !before?.rows.has(n);
      if (!before || before.order !== shown.order || [...shown.rows.keys()].some(unknown)) {
        this.emitter.fire(undefined);
      } else {
        const changed = [...shown.rows]
          .filter(([node, look]) => !isReusedNode(node) && before.rows.get(node) !== look)
          .map(([n]) => n);
        if (changed.length) {
          this.emitter.fire(changed);
        }
      }
    } catch {
      this.lastShown = undefined;
      this.emitter.fire(undefined);
    } finally {
      this.refreshTimer =
        this.nextRefresh && !this.disposed ? setTimeout(() => void this.showChanges(), 100) : undefined;
      done?.resolve();
    }
  }

  /** The rows as VS Code would show them: the top level and the runs of every batch it has opened. */
  private async shown(): Promise<Shown> {
    const order: string[] = [];
    const rows = new Map<RunsNode, string>();
    const add = async (nodes: RunsNode[], depth: number) => {
      for (const n of nodes) {
        const i = this.getTreeItem(n);
        const icon = i.iconPath instanceof vscode.ThemeIcon ? [i.iconPath.id, i.iconPath.color?.id] : [];
        const tip = typeof i.tooltip === 'string' ? i.tooltip : i.tooltip?.value;
        // A row VS Code can refresh alone is one whose node it holds again at the next read: a run record (the
        // history keeps its object) or a batch's node (kept here). A reused document's node is made at each
        // read: its look goes into the order, so a change of it refreshes the list.
        const look = JSON.stringify([i.label, i.description, i.contextValue, i.collapsibleState, icon, tip]);
        order.push(`${depth}:${i.id}${isReusedNode(n) ? look : ''}`);
        rows.set(n, look);
        if (isBatchNode(n) && this.opened.has(n.batch.id)) {
          await add(await this.getChildren(n), depth + 1);
        }
      }
    };
    await add(await this.getChildren(), 0);
    return { order: order.join('\n'), rows };
  }

  async getChildren(element?: RunsNode): Promise<RunsNode[]> {
    const runs = await this.history.all();
    if (isBatchNode(element)) {
      const batch = element.batch;
      this.parents.set(batch.id, batch);
      this.opened.add(batch.id);
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
    this.parents.clear();
    for (const b of batches) {
      this.parents.set(b.id, b);
    }
    for (const id of [...this.batchNodes.keys()].filter(id => !known.has(id))) {
      this.batchNodes.delete(id);
    }
    const nodeOf = (b: BatchRecord): BatchNode => {
      const node = this.batchNodes.get(b.id) ?? { kind: 'batch', batch: b };
      node.batch = b;
      this.batchNodes.set(b.id, node);
      return node;
    };
    const top: { at: number; node: RunsNode }[] = [
      ...batches.map(b => ({ at: b.createdAt, node: nodeOf(b) as RunsNode })),
      ...runs.filter(r => !r.batchId || !known.has(r.batchId)).map(r => ({ at: r.startedAt, node: r })),
    ];
    return top.sort((a, b) => b.at - a.at).map(t => t.node);
  }

  getTreeItem(node: RunsNode): vscode.TreeItem {
    if (isBatchNode(node)) {
      // A row refreshed alone is read by the node VS Code holds: bring its batch up to date (a command given the
      // node reads it too).
      node.batch = this.batches.records.get(node.batch.id) ?? node.batch;
      return batchItem(node.batch, lookupIn(this.history.snapshot()), this.batches);
    }
    if (isReusedNode(node)) {
      return reusedItem(node, hasResult);
    }
    return this.runItem(node);
  }

  private runItem(r: RunRecord): vscode.TreeItem {
    // Under its batch, a run shows only what differs from its siblings: its path in the batch's folder,
    // its state and its time (the step and the folder are the batch's). At the top, the document first,
    // then its state, its time and the step: a narrow side bar cuts the end, never what tells rows apart.
    const parent = r.batchId ? this.parents.get(r.batchId) : undefined;
    const name = parent ? nameInBatch(parent, r) : r.sourceName;
    const item = new vscode.TreeItem(name, vscode.TreeItemCollapsibleState.None);
    item.id = r.id;
    const [icon, color] = ICONS[r.state];
    item.iconPath = new vscode.ThemeIcon(icon, color ? new vscode.ThemeColor(color) : undefined);
    const ms = r.state === 'SUCCESS' || r.state === 'ERROR' ? stepDurationMs(r) : undefined;
    const took = ms === undefined ? undefined : formatDuration(ms);
    item.description = [runStatus(r, took), when(r.startedAt), parent ? '' : r.stepName].filter(Boolean).join(' · ');
    const md = new vscode.MarkdownString(undefined, true);
    md.appendMarkdown(`**${escape(r.sourceName)}** · ${escape(r.stepName)} (${markdownCode(r.stepId)})\n\n`);
    if (r.serviceStepName && r.serviceStepName !== r.stepName) {
      md.appendMarkdown(`${l10n.t('Named by DocuTray')}: ${escape(r.serviceStepName)}\n\n`);
    }
    const place = documentPlace(r);
    if (place && place !== r.sourceName) {
      md.appendMarkdown(`${escape(l10n.t('Document'))}: ${escape(place)}\n\n`);
    }
    const folder = parent ? sharedFolderLabel(parent) : undefined;
    if (parent) {
      md.appendMarkdown(`${escape(l10n.t('Batch'))}: ${escape(batchSubject(parent))}\n\n`);
    }
    if (folder) {
      md.appendMarkdown(`${escape(l10n.t('Folder'))}: ${escape(folder)}\n\n`);
    }
    md.appendMarkdown(`${escape(l10n.t('Status'))}: ${escape(runStatus(r, took))}\n\n`);
    md.appendMarkdown(`${escape(l10n.t('Started'))}: ${escape(new Date(r.startedAt).toLocaleString())}\n\n`);
    if (r.finishedAt !== undefined && !isInFlight(r)) {
      md.appendMarkdown(`${escape(l10n.t('Ended'))}: ${escape(new Date(r.finishedAt).toLocaleString())}\n\n`);
    }
    if (took) {
      md.appendMarkdown(
        `${escape(r.durationMs !== undefined ? l10n.t('Took on DocuTray') : l10n.t('Took'))}: ${escape(took)}\n\n`,
      );
    }
    if (r.executionId) {
      md.appendMarkdown(`${escape(l10n.t('Execution'))}: ${markdownCode(r.executionId)}\n\n`);
    }
    if (mayStillFinish(r)) {
      md.appendMarkdown(
        `${escape(l10n.t('DocuTray may still finish it, and bill it. Check Execution fetches its result.'))}\n\n`,
      );
    }
    if (r.error) {
      md.appendMarkdown(`${escape(r.error.message)}\n\n`);
    }
    item.tooltip = md;
    // `rerunnable`: Rerun is in the context menu (it asks first when the run may have started);
    // `oneClickRerun`: also inline, only when a rerun cannot bill a step that may already be running;
    // `checkable`: it has an execution id and no result (unavailable, cancelled): Check Execution, inline too;
    // `mayStillFinish`: cancelled here after DocuTray accepted it, so it may still finish (and bill);
    // `expected` / `noExpected`: Accept as Expected / Create Expected Result.
    const expected = r.state === 'SUCCESS' && hasResult(r) ? this.expected?.expectedFor(r) : undefined;
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
      mayStillFinish(r) ? 'mayStillFinish' : '',
      // A batch's own run goes only with its batch (Remove on the batch): its document would look never sent.
      r.batchId && this.batches.records.get(r.batchId) ? 'batchRun' : '',
      expected === undefined ? '' : expected ? 'expected' : 'noExpected',
    ];
    item.contextValue = flags.filter(Boolean).join(' ');
    if (hasResult(r)) {
      item.command = { command: 'docutray.runs.openResult', title: l10n.t('Open Result'), arguments: [r] };
    }
    return item;
  }

  dispose(): void {
    this.disposed = true;
    clearTimeout(this.refreshTimer);
    this.nextRefresh?.resolve();
    this.subscription.dispose();
    this.emitter.dispose();
  }
}

/** Cancelled here after DocuTray accepted the start: the execution may run on to its end, and be billed. */
function mayStillFinish(r: RunRecord): boolean {
  return r.state === 'cancelled' && !!r.executionId;
}

/** The state a row shows first: the live stage, "succeeded in 1.2 s", "cancelled — may still finish"… */
function runStatus(r: RunRecord, took: string | undefined): string {
  if (isInFlight(r)) {
    return r.stage ?? stateText(r.state);
  }
  if (r.state === 'SUCCESS') {
    return took ? l10n.t('succeeded in {0}', took) : stateText(r.state);
  }
  if (mayStillFinish(r)) {
    return l10n.t('cancelled — may still finish');
  }
  return stateText(r.state);
}

/** Where a run's document is: its workspace-relative path, or its URL. */
function documentPlace(r: RunRecord): string | undefined {
  switch (r.source.kind) {
    case 'workspace':
      try {
        return vscode.workspace.asRelativePath(vscode.Uri.parse(r.source.uri, true));
      } catch {
        return r.source.uri;
      }
    case 'url':
      return r.source.url;
    case 'execution':
      return undefined;
  }
}

/** A run's name under its batch: its path inside the folder the batch's documents share. */
function nameInBatch(batch: BatchRecord, r: RunRecord): string {
  const folder = sharedFolder(batch);
  const doc = documentOfRun(batch, { id: r.id, sourceUri: r.source.kind === 'workspace' ? r.source.uri : undefined });
  return (folder && doc && pathUnder(folder, doc.uri)) || r.sourceName;
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
