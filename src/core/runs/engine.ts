/**
 * The one path a document takes from a start to its result, whichever face sends it (a single run, a
 * batch, the command line): `startDocument` checks the face's fence immediately before the request goes
 * out, sends it, and hands the execution id to the face's `record` before anything else can happen;
 * `followExecution` polls a single run to its end through the key's request budget, around the end the
 * step's known durations predict (polling/planner.ts). A batch's many jobs are scheduled together by the
 * batch runner (batches/runner.ts), whose starts come back here.
 *
 * The rules kept here, once:
 *   - the fence runs after the document is read and its body built, and after the budget granted the turn
 *     (a window frozen meanwhile finds out then, and sends nothing);
 *   - whatever window receives a start's answer records its id, owner or not: DocuTray bills it;
 *   - nothing (no poll, no event, no cancel) happens to a start before its `record` has resolved;
 *   - a start is never sent twice: the client retries one only when not a byte of it went out.
 */
import type { BudgetPriority } from '../api/budget';
import type { DocuTrayClient, StartOptions } from '../client/client';
import type { Execution, StartedExecution } from '../api/types';
import type { DocumentInput, DocumentMetadata } from '../documents/input';
import { DEFAULT_PLANNER, durationModel, expectedEndLooks, type PlannerOptions } from '../polling/planner';
import { type WaitOptions, waitForExecution } from '../polling/wait';

/** What the face that sends a document (a window, the command line) does around its start. */
export interface StartFace {
  /**
   * The fence, called immediately before the request is sent (and before each resend of a start refused
   * before processing): throws when this face may no longer send it (another window owns the batch or the
   * run now, the run was cancelled). Nothing is sent then.
   */
  fence?(): Promise<void>;
  /**
   * Keeps the execution id DocuTray gave (with the SHA-256 of the bytes sent, `documentSha256`) where a
   * reload, another window or a re-run finds it. Resolves before the start is followed or reported.
   */
  record(execution: StartedExecution): Promise<void>;
}

export interface DocumentStart {
  stepId: string;
  input: DocumentInput;
  metadata?: DocumentMetadata;
  /** `interactive` for a person's single run: it never waits behind a batch. */
  priority: BudgetPriority;
  signal?: AbortSignal;
  onUploadProgress?: StartOptions['onUploadProgress'];
}

/** The face could not record a start DocuTray accepted: it is billed, and its id is here to follow. */
export class StartNotRecordedError extends Error {
  constructor(
    readonly execution: StartedExecution,
    override readonly cause: unknown,
  ) {
    super(
      `Execution ${execution.id} started but could not be recorded (${cause instanceof Error ? cause.message : String(cause)}).`,
    );
    this.name = 'StartNotRecordedError';
  }
}

/** Sends one document: fence, start, record. Resolves once the execution id is recorded. */
export async function startDocument(
  client: Pick<DocuTrayClient, 'startStep'>,
  start: DocumentStart,
  face: StartFace,
): Promise<StartedExecution> {
  const execution = await client.startStep(start.stepId, start.input, {
    metadata: start.metadata,
    signal: start.signal,
    priority: start.priority,
    onUploadProgress: start.onUploadProgress,
    beforeSend: face.fence ? () => face.fence?.() : undefined,
  });
  try {
    await face.record(execution);
  } catch (e) {
    throw new StartNotRecordedError(execution, e);
  }
  return execution;
}

export interface FollowOptions extends Omit<WaitOptions, 'looks'> {
  /** The step's recent durations (ms, newest last): the run is looked at around its expected end. */
  durations?: readonly number[];
  planner?: PlannerOptions;
  priority?: BudgetPriority;
}

/**
 * Polls one execution to its end (wait.ts's rules: transient failures never end it, the id survives a
 * timeout). With the step's durations known, the first looks are around the expected end instead of the
 * fast schedule's many early ones: a person sees the result as soon, for a third of the requests.
 */
export function followExecution(
  client: Pick<DocuTrayClient, 'getStatus'>,
  executionId: string,
  opts: FollowOptions = {},
): Promise<Execution> {
  const planner = opts.planner ?? DEFAULT_PLANNER;
  const model = opts.durations ? durationModel(opts.durations, 50, opts.timeoutMs) : undefined;
  return waitForExecution(
    executionId,
    signal => client.getStatus(executionId, { signal, priority: opts.priority ?? 'interactive' }),
    { ...opts, schedule: opts.schedule ?? planner.interactive, looks: expectedEndLooks(model, planner) },
  );
}
