import vscode = require('vscode');
import { l10n } from 'vscode';
import { DocuTrayError, NotFoundError, StepFailedError } from '../core/api/errors';
import type { RunRecord } from '../core/runs/history';
import { planRetry, retryOffer } from '../core/runs/lifecycle';
import { hasDocument } from '../core/runs/source';
import type { StepDefinition } from '../core/runs/steps';
import type { StoredResult } from '../core/results/storedResult';
import { plainText } from '../core/text/plainText';
import type { ErrorPresenter } from '../errorPresenter';
import { ResultFileSystem } from '../results/resultFileSystem';
import { MessageAction, showMessage } from './runProgress';
import type { RunOutcome, RunTarget } from './runTargets';

/**
 * What the user is told when runs end, and the buttons on it, as the run lifecycle allows them
 * (core/runs/lifecycle.ts): "Retry" polls a run that has an execution id, starts again only what
 * certainly never started, and goes through a modal for what may have started. Names and the
 * service's words are plain text.
 */

/** What the buttons do (the run service's own operations). */
export interface RunActions {
  open(result: StoredResult): Promise<unknown>;
  openActive(result: StoredResult): Promise<unknown>;
  start(targets: RunTarget[], step: StepDefinition): Promise<unknown>;
  checkAgain(runId: string): Promise<unknown>;
  confirmDuplicate(run: RunRecord): Promise<boolean>;
}

/** What "Retry" does for a run that did not succeed, as the lifecycle allows; undefined for none. */
function retryFor(
  run: RunRecord | undefined,
  target: RunTarget,
  step: StepDefinition,
  d: RunActions,
): (() => unknown) | undefined {
  const offer = run ? retryOffer(run) : { kind: 'start' as const };
  switch (offer.kind) {
    case 'poll':
      return () => d.checkAgain((run as RunRecord).id);
    case 'start':
      return () => d.start([target], step);
    case 'confirmStart':
      return async () => ((await d.confirmDuplicate(run as RunRecord)) ? d.start([target], step) : undefined);
    case 'none':
      return undefined;
  }
}

/**
 * The modal before starting again a document whose earlier run may have started (or may still be
 * running): it says it may be billed twice and names the request id. True to go ahead.
 */
export async function confirmDuplicate(run: RunRecord): Promise<boolean> {
  const again = l10n.t('Start Again');
  const name = plainText(run.sourceName);
  const message = run.executionId
    ? l10n.t(
        '{0} has an execution on DocuTray ({1}) that may still be running. Starting it again will be billed again.',
        name,
        plainText(run.executionId),
      )
    : l10n.t(
        '{0} may already have started on DocuTray: its answer was lost. Starting it again may bill it twice.',
        name,
      );
  const detail = run.requestId
    ? l10n.t(
        'Request id of the first start: {0}. Look it up in the DocuTray dashboard (or the DocuTray log) before starting again.',
        plainText(run.requestId),
      )
    : run.executionId
      ? l10n.t('Check Execution looks the first one up without starting anything.')
      : l10n.t(
          'DocuTray sent no request id (its answer never arrived); the first start was sent at {0}. Look for it in the DocuTray dashboard before starting again.',
          new Date(run.startedAt).toLocaleString(),
        );
  return (await vscode.window.showWarningMessage(message, { modal: true, detail }, again)) === again;
}

/** A cancel by the user (not a run another window took over: that one is still running, elsewhere). */
function isUserCancel(o: RunOutcome): boolean {
  return (
    o.error instanceof DocuTrayError &&
    o.error.kind === 'cancelled' &&
    (!o.run || o.run.state === 'cancelled' || o.run.state === 'mayHaveStarted')
  );
}

/**
 * What a cancelled run means: DocuTray may still finish (and bill) what it started, and Check Execution
 * fetches the result later; a document cancelled before it was all sent cost nothing.
 */
function announceCancel(o: RunOutcome, step: StepDefinition, d: RunActions): void {
  const run = o.run;
  const name = plainText(o.target.name);
  const stepName = plainText(run?.stepName ?? step.name);
  if (run?.executionId) {
    showMessage(
      'info',
      l10n.t(
        'DocuTray: {0} on {1} was cancelled here, but DocuTray had started it (execution {2}) and may still finish it, and bill it. Check Execution fetches its result later.',
        stepName,
        name,
        plainText(run.executionId),
      ),
      [{ title: l10n.t('Check Execution'), run: () => d.checkAgain(run.id) }],
    );
  } else if (run?.state === 'mayHaveStarted') {
    showMessage(
      'warning',
      l10n.t(
        'DocuTray: {0} on {1} was cancelled just as DocuTray received it: it may still process it, and bill it. Its execution id never arrived, so it cannot be fetched here: look for it in the DocuTray dashboard before running it again.',
        stepName,
        name,
      ),
      [{ title: l10n.t('Show Log'), run: () => vscode.commands.executeCommand('docutray.showLog') }],
    );
  } else {
    showMessage(
      'info',
      l10n.t(
        'DocuTray: {0} on {1} was cancelled before DocuTray had all of it: nothing started, nothing is billed.',
        stepName,
        name,
      ),
      [],
    );
  }
}

/** "Cancelled: 3." and, for those DocuTray had started, what that means for billing and how to get them. */
function cancelledText(cancelled: RunOutcome[]): string {
  const started = cancelled.filter(o => o.run?.executionId).length;
  return started
    ? l10n.t(
        'Cancelled: {0}. {1} had started: DocuTray may still finish them, and bill them; Check Execution in the Runs view fetches their results later.',
        cancelled.length,
        started,
      )
    : l10n.t('Cancelled: {0}.', cancelled.length);
}

/**
 * The next steps a failure offers besides the presenter's own: the step's own ERROR, or a step DocuTray
 * does not know, is a question for another step (Rerun with Another Step); an ERROR's execution record
 * says what DocuTray saw.
 */
function nextSteps(o: RunOutcome): MessageAction[] {
  const run = o.run;
  const e = o.error;
  const stepProblem = e instanceof StepFailedError || (e instanceof NotFoundError && e.resource === 'step');
  const actions: MessageAction[] = [];
  if (stepProblem && run && hasDocument(o.target.source)) {
    actions.push({
      title: l10n.t('Rerun with Another Step…'),
      run: () => vscode.commands.executeCommand('docutray.runs.rerunWithStep', run),
    });
  }
  if (e instanceof StepFailedError && run?.executionId) {
    const executionId = run.executionId;
    actions.push({
      title: l10n.t('Show Execution Record'),
      run: () =>
        vscode.commands.executeCommand(
          'docutray.showExecutionRecord',
          ResultFileSystem.uriFor({
            executionId,
            sourceName: run.sourceName,
            stepId: run.stepId,
            stepName: run.stepName,
          }),
        ),
    });
  }
  return actions;
}

/** One message at the end: the result, or what went wrong with buttons the lifecycle allows. */
export async function announce(
  outcomes: RunOutcome[],
  step: StepDefinition,
  errors: ErrorPresenter,
  d: RunActions,
): Promise<void> {
  const ok = outcomes.filter(o => o.result);
  const showLog: MessageAction = {
    title: l10n.t('Show Log'),
    run: () => vscode.commands.executeCommand('docutray.showLog'),
  };
  if (outcomes.length === 1) {
    const [o] = outcomes;
    if (o.result) {
      await d.open(o.result);
    } else if (o.run?.state === 'unavailable') {
      const run = o.run;
      showMessage(
        'warning',
        l10n.t(
          'DocuTray: the result of {0} ({1}) is not here yet: {2} Its execution {3} is kept and nothing was started again: check it later.',
          plainText(run.sourceName),
          plainText(run.stepName),
          plainText(run.error?.message ?? ''),
          plainText(run.executionId ?? ''),
        ),
        [{ title: l10n.t('Check Execution'), run: () => d.checkAgain(run.id) }, showLog],
      );
    } else if (isUserCancel(o)) {
      announceCancel(o, step, d);
    } else {
      errors.report(o.error, `run ${step.id} on ${o.target.name}`, retryFor(o.run, o.target, step, d), {
        subject: { document: o.target.name, step: o.run?.stepName ?? step.name },
        actions: nextSteps(o),
      });
    }
    return;
  }
  const notOk = outcomes.filter(o => !o.result);
  const cancelled = notOk.filter(
    o => o.run?.state === 'cancelled' || (o.error instanceof DocuTrayError && o.error.kind === 'cancelled' && !o.run),
  );
  const unavailable = notOk.filter(o => o.run?.state === 'unavailable');
  const uncertain = notOk.filter(o => o.run?.state === 'mayHaveStarted');
  const failures = notOk.filter(o => !cancelled.includes(o) && !unavailable.includes(o) && !uncertain.includes(o));
  const plan = planRetry(
    failures
      .concat(unavailable)
      .map(o => o.run)
      .filter((r): r is RunRecord => !!r),
  );
  const toStart = failures.filter(o => !o.run || plan.start.includes(o.run));
  const name = (o: RunOutcome) => plainText(o.target.name);
  const summary =
    l10n.t('DocuTray: {0} of {1} succeeded with {2}.', ok.length, outcomes.length, plainText(step.name)) +
    (failures.length
      ? ' ' +
        l10n.t(
          'Failed: {0}.',
          failures.map(o => `${name(o)} (${plainText(errors.present(o.error).message)})`).join('; '),
        )
      : '') +
    (uncertain.length
      ? ' ' +
        l10n.t(
          'May have started, so not retried (it would be billed twice): {0}; see the log before running them again.',
          uncertain.map(name).join(', '),
        )
      : '') +
    (unavailable.length
      ? ' ' + l10n.t('Not here yet, executions kept (check later): {0}.', unavailable.map(name).join(', '))
      : '') +
    (cancelled.length ? ' ' + cancelledText(cancelled) : '');
  const actions: MessageAction[] = [];
  if (ok.length) {
    actions.push({
      title: l10n.t('Open Results'),
      run: async () => {
        for (const o of ok) {
          await d.openActive(o.result as StoredResult);
        }
      },
    });
  }
  if (toStart.length || plan.poll.length) {
    // Starts again only what certainly never started; checks again what has an execution id.
    actions.push({
      title: l10n.t('Retry Failed'),
      run: () =>
        Promise.all([
          ...(toStart.length
            ? [
                d.start(
                  toStart.map(o => o.target),
                  step,
                ),
              ]
            : []),
          ...plan.poll.map(r => d.checkAgain(r.id)),
        ]),
    });
  }
  actions.push(showLog);
  showMessage(failures.length || uncertain.length || unavailable.length ? 'warning' : 'info', summary, actions);
}
