import vscode = require('vscode');
import { l10n } from 'vscode';
import { RunRecord, RunState, formatDuration, isInFlight } from '../core/runs/history';
import { inlineRerun, retryOffer } from '../core/runs/lifecycle';
import { hasDocument, parseRunSource } from '../core/runs/source';
import { escapeMarkdown } from '../core/text/plainText';
import { RunHistory } from './runHistory';

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
  return hasDocument(parseRunSource(r.source));
}

/** "DocuTray Runs": newest first, with live stage text while a run is in flight. */
export class RunsView implements vscode.TreeDataProvider<RunRecord>, vscode.Disposable {
  private readonly emitter = new vscode.EventEmitter<RunRecord | undefined>();
  readonly onDidChangeTreeData = this.emitter.event;
  private readonly subscription: vscode.Disposable;

  constructor(private readonly history: RunHistory) {
    // Fires for the whole list: a run's stage changes also reorder nothing, but ids are stable.
    this.subscription = history.onDidChange(() => this.emitter.fire(undefined));
  }

  async getChildren(element?: RunRecord): Promise<RunRecord[]> {
    if (element) {
      return [];
    }
    return [...(await this.history.all())].sort((a, b) => b.startedAt - a.startedAt);
  }

  getTreeItem(r: RunRecord): vscode.TreeItem {
    const item = new vscode.TreeItem(r.sourceName, vscode.TreeItemCollapsibleState.None);
    item.id = r.id;
    const [icon, color] = ICONS[r.state];
    item.iconPath = new vscode.ThemeIcon(icon, color ? new vscode.ThemeColor(color) : undefined);
    const took = r.finishedAt ? formatDuration(r.finishedAt - r.startedAt) : undefined;
    const status = isInFlight(r) ? (r.stage ?? stateText(r.state)) : r.state === 'SUCCESS' ? took : stateText(r.state);
    item.description = `${r.stepName}${status ? ` · ${status}` : ''}`;
    const md = new vscode.MarkdownString(undefined, true);
    md.appendMarkdown(`**${escape(r.sourceName)}** · ${escape(r.stepName)} (\`${escape(r.stepId)}\`)\n\n`);
    if (r.serviceStepName && r.serviceStepName !== r.stepName) {
      md.appendMarkdown(`${l10n.t('Named by DocuTray')}: ${escape(r.serviceStepName)}\n\n`);
    }
    md.appendMarkdown(`${l10n.t('Status')}: ${stateText(r.state)}${took ? ` · ${took}` : ''}\n\n`);
    md.appendMarkdown(`${l10n.t('Started')}: ${new Date(r.startedAt).toLocaleString()}\n\n`);
    if (r.executionId) {
      md.appendMarkdown(`${l10n.t('Execution')}: \`${escape(r.executionId)}\`\n\n`);
    }
    if (r.error) {
      md.appendMarkdown(`${escape(r.error.message)}\n\n`);
    }
    item.tooltip = md;
    // `rerunnable`: Rerun is in the context menu (it asks first when the run may have started);
    // `oneClickRerun`: also inline, only when a rerun cannot bill a step that may already be running;
    // `checkable`: it has an execution id and no result (unavailable, cancelled): Check Execution.
    const flags = [
      'run',
      isInFlight(r) ? 'running' : 'finished',
      hasResult(r) ? 'result' : '',
      r.executionId ? 'execution' : '',
      canRerun(r) ? 'rerunnable' : '',
      inlineRerun(r) ? 'oneClickRerun' : '',
      retryOffer(r).kind === 'poll' ? 'checkable' : '',
    ];
    item.contextValue = flags.filter(Boolean).join(' ');
    if (hasResult(r)) {
      item.command = { command: 'docutray.runs.openResult', title: l10n.t('Open Result'), arguments: [r] };
    }
    return item;
  }

  dispose(): void {
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
