import vscode = require('vscode');
import { l10n } from 'vscode';

export type StatusBarState = 'idle' | 'running' | 'succeeded' | 'failed';

/**
 * One status-bar item for every run in this window: a spinner with counts while anything runs, then a
 * brief success or failure mark. Clicking it shows the Runs view.
 */
export class RunStatusBar implements vscode.Disposable {
  private readonly item: vscode.StatusBarItem;
  private running = 0;
  private done = 0;
  private total = 0;
  private failedSinceIdle = 0;
  private hideTimer: ReturnType<typeof setTimeout> | undefined;
  private usageLine: string | undefined;
  private baseTooltip = '';
  private readonly idle = new vscode.EventEmitter<void>();
  /** Fires when the last run in this window ends: once per batch (or per batches that overlap). */
  readonly onDidBecomeIdle = this.idle.event;
  state: StatusBarState = 'idle';

  constructor(private readonly lingerMs = 5000) {
    this.item = vscode.window.createStatusBarItem('docutray.runs', vscode.StatusBarAlignment.Left, 50);
    this.item.name = l10n.t('DocuTray Runs');
    this.item.command = 'docutray.runs.focus';
  }

  /** Registers `count` runs; returns a function to call as each one ends. */
  begin(count: number): (ok: boolean) => void {
    if (this.running === 0) {
      this.done = 0;
      this.total = 0;
      this.failedSinceIdle = 0;
    }
    this.running += count;
    this.total += count;
    this.render();
    return ok => {
      this.running = Math.max(0, this.running - 1);
      this.done++;
      if (!ok) {
        this.failedSinceIdle++;
      }
      this.render();
      if (this.running === 0) {
        this.idle.fire();
      }
    };
  }

  /** A line about this month's usage under the tooltip's text (undefined removes it). */
  setUsage(line: string | undefined): void {
    this.usageLine = line;
    this.setTooltip(this.baseTooltip);
  }

  private setTooltip(text: string): void {
    this.baseTooltip = text;
    this.item.tooltip = this.usageLine ? `${text}\n\n${this.usageLine}` : text;
  }

  get text(): string {
    return this.item.text;
  }

  get tooltip(): string {
    return typeof this.item.tooltip === 'string' ? this.item.tooltip : (this.item.tooltip?.value ?? '');
  }

  private render(): void {
    clearTimeout(this.hideTimer);
    void vscode.commands.executeCommand('setContext', 'docutray.isRunning', this.running > 0);
    if (this.running > 0) {
      this.state = 'running';
      this.item.text = this.total > 1 ? `$(sync~spin) DocuTray ${this.done}/${this.total}` : '$(sync~spin) DocuTray';
      this.setTooltip(
        this.total > 1
          ? l10n.t('DocuTray: {0} of {1} runs finished. Click to show the runs.', this.done, this.total)
          : l10n.t('DocuTray: a step is running. Click to show the runs.'),
      );
      this.item.show();
      return;
    }
    this.state = this.failedSinceIdle > 0 ? 'failed' : 'succeeded';
    this.item.text = this.failedSinceIdle > 0 ? '$(error) DocuTray' : '$(check) DocuTray';
    this.setTooltip(
      this.failedSinceIdle > 0
        ? l10n.t('DocuTray: {0} of {1} runs failed. Click to show the runs.', this.failedSinceIdle, this.total)
        : l10n.t('DocuTray: done. Click to show the runs.'),
    );
    this.item.show();
    this.hideTimer = setTimeout(() => {
      this.state = 'idle';
      this.item.hide();
    }, this.lingerMs);
  }

  dispose(): void {
    clearTimeout(this.hideTimer);
    this.idle.dispose();
    this.item.dispose();
  }
}
