import vscode = require('vscode');
import { l10n } from 'vscode';
import type { StepDefinition } from '../core/runs/steps';
import { plainText } from '../core/text/plainText';

/** What a run is shown as: its document's name. */
export interface Named {
  name: string;
}

/**
 * The one cancellable notification of a batch (or a single run): its title, and each run's stage
 * ("uploading 40%", "processing") as the message. File and step names come from data: they are made
 * plain text, so a name like `[Open](command:…)` cannot become a link in the notification.
 */
export class RunProgress {
  private readonly stages = new Map<Named, string>();
  private finished = 0;

  private constructor(
    private readonly progress: vscode.Progress<{ message?: string }>,
    private readonly targets: readonly Named[],
  ) {}

  static title(targets: readonly Named[], step: Pick<StepDefinition, 'name'>): string {
    return targets.length === 1
      ? l10n.t('DocuTray: {0} on {1}', plainText(step.name), plainText(targets[0].name))
      : l10n.t('DocuTray: {0} on {1} documents', plainText(step.name), targets.length);
  }

  /** Runs `work` under the notification; its signal aborts when the user cancels the notification. */
  static async show<T>(
    targets: readonly Named[],
    step: Pick<StepDefinition, 'name'>,
    work: (p: RunProgress, signal: AbortSignal) => Promise<T>,
  ): Promise<T> {
    return vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: RunProgress.title(targets, step), cancellable: true },
      async (progress, token) => {
        const batch = new AbortController();
        const cancel = token.onCancellationRequested(() => batch.abort());
        try {
          return await work(new RunProgress(progress, targets), batch.signal);
        } finally {
          cancel.dispose();
        }
      },
    );
  }

  stage(target: Named, stage: string): void {
    this.stages.set(target, stage);
    this.report();
  }

  done(target: Named): void {
    this.stages.delete(target);
    this.finished++;
    this.report();
  }

  private report(): void {
    if (this.targets.length === 1) {
      this.progress.report({ message: this.stages.get(this.targets[0]) });
      return;
    }
    const active = [...this.stages.entries()]
      .map(([target, stage]) => `${plainText(target.name)}: ${stage}`)
      .join(' · ');
    this.progress.report({
      message: l10n.t('{0} of {1} done', this.finished, this.targets.length) + (active ? ` · ${active}` : ''),
    });
  }
}

/** A button on a message and what it does. */
export interface MessageAction {
  title: string;
  run: () => unknown;
}

/** Shows a message (not awaited: a command must not wait for someone to dismiss it) and runs the chosen action. */
export function showMessage(
  severity: 'info' | 'warning' | 'error',
  message: string,
  actions: readonly MessageAction[],
): void {
  const show =
    severity === 'error'
      ? vscode.window.showErrorMessage
      : severity === 'warning'
        ? vscode.window.showWarningMessage
        : vscode.window.showInformationMessage;
  void show(message, ...actions.map(a => a.title)).then(choice => actions.find(a => a.title === choice)?.run());
}
