import vscode = require('vscode');
import { l10n } from 'vscode';
import { askInput } from '../ask';
import { randomUUID } from 'node:crypto';
import { isTerminal } from '../core/api/execution';
import type { Execution } from '../core/api/types';
import { RunRecord, RunState, isInFlight } from '../core/runs/history';
import { executionSource } from '../core/runs/source';
import { toStoredResult } from '../core/results/storedResult';
import { plainText } from '../core/text/plainText';
import { statusText, unknownStatusLogger } from '../runs/statusText';
import type { Services } from '../services';
import { ensureApiKey } from '../api/apiKey';

/**
 * `docutray.checkExecution`: asks for an execution id, shows its status; a finished one opens as a
 * result, a running one is waited for (cancellable).
 */
export async function checkExecution(s: Services, arg?: unknown): Promise<string | undefined> {
  // From the Runs view: the run's own execution.
  const fromRun =
    arg && typeof arg === 'object' && typeof (arg as RunRecord).executionId === 'string'
      ? (arg as RunRecord).executionId
      : undefined;
  const id = (
    typeof arg === 'string'
      ? arg
      : (fromRun ??
        (await askInput({
          title: l10n.t('Check a DocuTray execution'),
          prompt: l10n.t('The execution ID (shown in the DocuTray log for every run)'),
          placeHolder: 'exec_…',
          ignoreFocusOut: true,
          validateInput: v => (v.trim() ? undefined : l10n.t('Enter an execution ID.')),
        })))
  )?.trim();
  if (!id || !(await ensureApiKey(s))) {
    return undefined;
  }
  // An execution one of our runs is waiting for (unavailable after an outage, say): that run is
  // checked again, polled to its end and shown like any run; nothing is started.
  const known = await s.runs.history.findByExecution(id);
  if (
    known &&
    (known.state === 'unavailable' || known.state === 'cancelled' || (isInFlight(known) && !s.runs.isActive(known.id)))
  ) {
    const outcome = await s.runs.checkAgain(known.id);
    if (!outcome) {
      void vscode.window.showInformationMessage(
        l10n.t(
          'DocuTray: {0} is being followed already (here or in another window); its result will appear in the Runs view.',
          plainText(known.sourceName),
        ),
      );
    }
    return outcome?.result?.status ?? outcome?.run?.state;
  }
  const client = s.clients.create();
  const log = s.log.scoped('check');
  const execution = await vscode.window.withProgress(
    {
      location: vscode.ProgressLocation.Notification,
      title: l10n.t('DocuTray: execution {0}', plainText(id)),
      cancellable: true,
    },
    async (progress, token) => {
      const abort = new AbortController();
      token.onCancellationRequested(() => abort.abort());
      const first = await client.getStatus(id, { signal: abort.signal });
      log.info(`execution ${id} is ${first.status}`);
      if (isTerminal(first.status)) {
        return first;
      }
      const unknown = unknownStatusLogger(log);
      unknown(first);
      progress.report({ message: statusText(first) });
      return client
        .waitForCompletion(id, {
          signal: abort.signal,
          onStatus: e => {
            unknown(e);
            progress.report({ message: statusText(e) });
          },
        })
        .catch(async e => {
          const failed = (e as { execution?: typeof first }).execution;
          if (failed) {
            return failed;
          }
          throw e;
        });
    },
  );
  const run = await recordInRuns(s, execution);
  await s.runs.history.update(run.id, {
    state: execution.status as RunState,
    finishedAt: Date.now(),
    error: execution.error ? { kind: 'stepFailed', message: execution.error.message } : undefined,
  });
  const stepId = execution.stepId ?? 'step';
  const result = toStoredResult(execution, {
    stepId,
    stepName: execution.stepName ?? stepId,
    source: executionSource(execution.id),
    sourceName: execution.originalFilename ?? execution.id,
  });
  await s.results.save(result);
  if (execution.status === 'ERROR') {
    void vscode.window
      .showErrorMessage(
        l10n.t(
          'DocuTray: {0} failed on {1}: {2} (execution {3})',
          plainText(result.stepName),
          plainText(result.sourceName),
          plainText(execution.error?.message ?? l10n.t('no details')),
          plainText(execution.id),
        ),
        l10n.t('Show Execution Record'),
      )
      .then(
        c =>
          c && s.runs.open(result, 'active').then(() => vscode.commands.executeCommand('docutray.showExecutionRecord')),
      );
    return execution.status;
  }
  await s.runs.open(result, 'active');
  return execution.status;
}

/** `docutray.checkExecution` adds an execution it finds to the Runs view, once. */
async function recordInRuns(s: Services, e: Execution): Promise<RunRecord> {
  const known = await s.runs.history.findByExecution(e.id);
  if (known) {
    return known;
  }
  const now = Date.now();
  const stepId = e.stepId ?? 'step';
  const run: RunRecord = {
    id: randomUUID(),
    source: executionSource(e.id),
    sourceName: e.originalFilename ?? e.id,
    stepId,
    stepName: e.stepName ?? stepId,
    executionId: e.id,
    state: e.status === 'SUCCESS' || e.status === 'ERROR' ? (e.status as RunState) : 'PROCESSING',
    startedAt: Date.parse(e.requestTimestamp ?? '') || now,
    updatedAt: now,
  };
  await s.runs.history.add(run);
  return run;
}
