/**
 * Runs one step on many documents and says, per document, what came of it: the result, the step's
 * ERROR, a refusal, a start that may have happened without an answer, a document that could not be
 * sent, a result that did not come in time. The only place the expected-results feature touches the
 * batch runner (core/runs/batchRunner.ts): starts and polls go through the key's one request budget,
 * a start that may have happened is never sent again, and a refusal that would hit every document
 * alike (the key, the step, the service out of reach, the quota) stops the run and is thrown.
 */
import type { RequestBudget } from '../api/budget';
import type { DocuTrayClient } from '../api/client';
import { CancelledError, ConnectionError, DocuTrayError } from '../api/errors';
import type { Execution } from '../api/types';
import type { DocumentInput, DocumentMetadata } from '../documents/input';
import { createBatch, type BatchFileState } from '../runs/batch';
import { runBatch } from '../runs/batchRunner';

export type DocumentOutcome = (
  | { kind: 'result'; data: unknown; executionId: string }
  /** The step ran and reported ERROR. */
  | { kind: 'stepError'; message: string; code?: string; executionId: string }
  /** DocuTray refused this document (a 4xx on its start), or lost its execution. */
  | { kind: 'refused'; message: string; status?: number; requestId?: string }
  /** The start may have reached DocuTray without an answer: not sent again (it may be billed). */
  | { kind: 'uncertain'; message: string; requestId?: string }
  /** The document could not be read, or is not one DocuTray takes: nothing was sent. */
  | { kind: 'unavailable'; message: string }
  /** Started, but no result within the time allowed (it may still finish on DocuTray). */
  | { kind: 'timedOut'; message: string; executionId: string }
  /** Not run to its end: the run was cancelled, or stopped for another document's fatal refusal. */
  | { kind: 'notRun'; message: string; executionId?: string }
) & {
  /** From the start request to the outcome, when the document was started. */
  durationMs?: number;
};

export interface DocumentToRun {
  /** Unique among the documents: the key of the outcome. */
  id: string;
  input: DocumentInput;
  metadata?: DocumentMetadata;
}

export interface RunDocumentsDeps {
  client: Pick<DocuTrayClient, 'startStep' | 'getStatus'>;
  /** The budget the client's requests go through (the same object). */
  budget: RequestBudget;
  now?: () => number;
}

export interface RunDocumentsOptions {
  stepId: string;
  /** Documents read and uploaded at once (default 4). */
  maxUploads?: number;
  /** A document with no result this long after its start is given up (default: never). */
  timeoutMs?: number;
  signal?: AbortSignal;
  /** A document changed state (`uploading`, `waiting`, or a terminal one). */
  onProgress?: (id: string, state: BatchFileState) => void;
}

/**
 * Runs the step on every document; resolves with one outcome per document id. Throws the error that
 * stopped the run for every document: a refused key, an unknown step, an unreachable service, the
 * quota — never an error of one document.
 */
export async function runDocuments(
  documents: readonly DocumentToRun[],
  deps: RunDocumentsDeps,
  opts: RunDocumentsOptions,
): Promise<Map<string, DocumentOutcome>> {
  const now = deps.now ?? Date.now;
  const byId = new Map(documents.map(d => [d.id, d]));
  const batch = createBatch({ stepId: opts.stepId, files: documents.map(d => ({ uri: d.id })), now: now() });
  const finished = new Map<string, Execution>();
  const startErrors = new Map<string, unknown>();
  const startedAt = new Map<string, number>();
  const timedOut = new Set<string>();
  const inner = new AbortController();
  const onAbort = () => inner.abort(opts.signal?.reason);
  opts.signal?.addEventListener('abort', onAbort, { once: true });
  if (opts.signal?.aborted) {
    inner.abort();
  }
  let unreachable: ConnectionError | undefined;

  try {
    await runBatch(
      batch,
      {
        budget: deps.budget,
        start: async (file, signal) => {
          const doc = byId.get(file.uri)!;
          try {
            const e = await deps.client.startStep(opts.stepId, doc.input, {
              signal,
              priority: 'batch',
              metadata: doc.metadata,
            });
            startedAt.set(e.id, now());
            return e;
          } catch (err) {
            startErrors.set(file.uri, err);
            if (err instanceof ConnectionError) {
              // The client tried again already: the service is out of reach for every document.
              unreachable ??= err;
              inner.abort();
            }
            throw err;
          }
        },
        status: async (id, signal) => {
          const since = startedAt.get(id);
          if (opts.timeoutMs !== undefined && since !== undefined && now() - since > opts.timeoutMs) {
            // Ends the job in the runner without a request; the outcome says it timed out.
            timedOut.add(id);
            return { id, status: 'ERROR', raw: {} };
          }
          const e = await deps.client.getStatus(id, { signal, priority: 'batch' });
          if (e.status === 'SUCCESS' || e.status === 'ERROR') {
            finished.set(id, e);
          }
          return e;
        },
        onChange: file => opts.onProgress?.(file.uri, file.state),
      },
      { maxUploads: opts.maxUploads, signal: inner.signal },
    );
  } catch (e) {
    if (unreachable) {
      throw unreachable;
    }
    if (!(e instanceof CancelledError && opts.signal?.aborted)) {
      throw e;
    }
  } finally {
    opts.signal?.removeEventListener('abort', onAbort);
  }

  const outcomes = new Map<string, DocumentOutcome>();
  const seconds = Math.round((opts.timeoutMs ?? 0) / 1000);
  for (const file of batch.files) {
    const id = file.executionId;
    const execution = id === undefined ? undefined : finished.get(id);
    const startError = startErrors.get(file.uri);
    const details = startError instanceof DocuTrayError ? startError : undefined;
    let outcome: DocumentOutcome;
    if (file.state === 'succeeded' && execution && id !== undefined) {
      outcome = { kind: 'result', data: execution.data ?? null, executionId: id };
    } else if (file.state === 'failed' && id !== undefined && timedOut.has(id)) {
      outcome = {
        kind: 'timedOut',
        message: `no result within ${seconds} s (execution ${id}; it may still finish on DocuTray)`,
        executionId: id,
      };
    } else if (file.state === 'failed' && execution && id !== undefined) {
      outcome = {
        kind: 'stepError',
        message: execution.error?.message ?? 'DocuTray reported an error.',
        code: execution.error?.code,
        executionId: id,
      };
    } else if (file.state === 'failed') {
      outcome = {
        kind: 'refused',
        message: file.error ?? 'DocuTray refused the document.',
        status: details?.status,
        requestId: details?.requestId,
      };
    } else if (file.state === 'uncertain') {
      outcome = {
        kind: 'uncertain',
        message: file.error ?? 'the start may have reached DocuTray without an answer',
        requestId: details?.requestId,
      };
    } else if (file.state === 'unavailable') {
      outcome = { kind: 'unavailable', message: file.error ?? 'the document could not be read' };
    } else {
      outcome = {
        kind: 'notRun',
        message: id === undefined ? 'not run (cancelled)' : `cancelled while waiting for execution ${id}`,
        executionId: id,
      };
    }
    if (file.startedAt !== undefined && file.endedAt !== undefined) {
      outcome.durationMs = Math.max(0, file.endedAt - file.startedAt);
    }
    outcomes.set(file.uri, outcome);
  }
  return outcomes;
}
