/**
 * Every command the manifest contributes. Activation registers these ids with handlers that load the
 * rest of the extension on first use; `commandRunner` (in that rest) must handle each one — the
 * `Record<CommandId, …>` there makes a missing handler a type error, and a unit test keeps this list
 * equal to package.json.
 */
export const COMMAND_IDS = [
  'docutray.runStep',
  'docutray.runStepOnUrl',
  'docutray.setApiKey',
  'docutray.clearApiKey',
  'docutray.checkExecution',
  'docutray.configureSteps',
  'docutray.showLog',
  'docutray.cancelRuns',
  'docutray.showExecutionRecord',
  'docutray.saveResultCopy',
  'docutray.runs.openResult',
  'docutray.runs.openSource',
  'docutray.runs.rerun',
  'docutray.runs.rerunWithStep',
  'docutray.runs.saveResultAs',
  'docutray.runs.copyExecutionId',
  'docutray.runs.compareWith',
  'docutray.runs.remove',
  'docutray.runs.cancel',
  'docutray.runs.clearFinished',
  'docutray.runs.refresh',
  'docutray.runStepOnWorkspace',
  'docutray.batches.cancel',
  'docutray.batches.resume',
  'docutray.batches.review',
  'docutray.batches.retryFailed',
  'docutray.batches.revealFolder',
  'docutray.runs.export',
  'docutray.expected.accept',
  'docutray.expected.create',
  'docutray.expected.acceptAll',
  'docutray.expected.recordAgain',
  'docutray.expected.compareSteps',
  'docutray.copyCommandLine',
  // The review panel (src/review/).
  'docutray.review.open',
  'docutray.review.nextDifference',
  'docutray.review.previousDifference',
  'docutray.review.acceptField',
  'docutray.review.keepExpected',
  'docutray.review.editValue',
  // The batch panel: a batch or a folder's results as a grid (src/review/batchPanel.ts).
  'docutray.batches.openGrid',
] as const;

export type CommandId = (typeof COMMAND_IDS)[number];
