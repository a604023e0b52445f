/**
 * Runs one step on many documents and says, per document, what came of it: the result, the step's
 * ERROR, a refusal, a start that may have happened without an answer, a document that could not be
 * sent, a result that did not come in time. The only place the expected-results feature touches the
 * batch runner (core/batches/runner.ts): starts and polls go through the key's one request budget,
 * a start that may have happened is never sent again, and a refusal that would hit every document
 * alike (the key, the step, the service out of reach, the quota) stops the run and is thrown.
 */
import type { RequestBudget } from '../api/budget';
import type { DocuTrayClient } from '../client/client';
import { ConnectionError, DocuTrayError } from '../api/errors';
import type { DocumentInput, DocumentMetadata } from '../documents/input';
import type { DocumentState } from '../batches/record';
import { BatchRunner } from '../batches/runner';

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
  /** SHA-256 of the bytes sent: the content DocuTray processed (when it was a file or bytes). */
  sha256?: string;
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
  /** A document with no result this long after its start is given up (default: 5 min). */
  timeoutMs?: number;
  signal?: AbortSignal;
  /** A document's state changed (the run lifecycle's words: `starting`, `ENQUEUED`, `SUCCESS`…). */
  onProgress?: (id: string, state: DocumentState) => void;
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
  const outcomes = new Map<string, DocumentOutcome>();
  const startedAt = new Map<string, number>();
  const sha256 = new Map<string, string>();
  const executionOf = new Map<string, string>();
  const timeoutMs = opts.timeoutMs ?? 300_000;
  const progress = (id: string, state: DocumentState) => opts.onProgress?.(id, state);
  const settle = (id: string, outcome: DocumentOutcome) => {
    const since = startedAt.get(id);
    if (since !== undefined) {
      outcome.durationMs = Math.max(0, now() - since);
    }
    const hash = sha256.get(id);
    if (hash) {
      outcome.sha256 = hash;
    }
    outcomes.set(id, outcome);
  };
  let unreachable: ConnectionError | undefined;
  const inner = new AbortController();
  const onAbort = () => inner.abort(opts.signal?.reason);
  opts.signal?.addEventListener('abort', onAbort, { once: true });
  if (opts.signal?.aborted) {
    inner.abort();
  }
  try {
    const end = await new BatchRunner(
      opts.stepId,
      documents.map(d => ({ key: d.id, uri: d.id })),
      [],
      {
        budget: deps.budget,
        // One process runs these: nobody else can take them over.
        stillOwned: async () => true,
        start: async (d, signal) => {
          const doc = byId.get(d.key) as DocumentToRun;
          progress(d.key, 'starting');
          startedAt.set(d.key, now());
          try {
            const e = await deps.client.startStep(opts.stepId, doc.input, {
              signal,
              priority: 'batch',
              metadata: doc.metadata,
            });
            if (e.documentSha256) {
              sha256.set(d.key, e.documentSha256);
            }
            executionOf.set(d.key, e.id);
            return e;
          } catch (err) {
            if (err instanceof ConnectionError) {
              // The client tried again already: the service is out of reach for every document.
              unreachable ??= err;
              inner.abort();
            }
            throw err;
          }
        },
        status: (j, signal) => deps.client.getStatus(j.executionId, { signal, priority: 'batch' }),
        onEvent: e => {
          switch (e.type) {
            case 'started':
              progress(e.doc.key, 'ENQUEUED');
              return;
            case 'notSent':
              progress(e.doc.key, 'pending');
              return;
            case 'startFailed': {
              const d = e.error instanceof DocuTrayError ? e.error : undefined;
              const message = e.error instanceof Error ? e.error.message : String(e.error);
              progress(e.doc.key, e.uncertain ? 'mayHaveStarted' : 'failed');
              settle(
                e.doc.key,
                e.uncertain
                  ? { kind: 'uncertain', message, requestId: d?.requestId }
                  : d && d.kind !== 'invalidInput'
                    ? { kind: 'refused', message, status: d.status, requestId: d.requestId }
                    : { kind: 'unavailable', message },
              );
              return;
            }
            case 'status':
              progress(e.job.key, e.execution.status === 'PROCESSING' ? 'PROCESSING' : 'ENQUEUED');
              return;
            case 'finished': {
              const x = e.execution;
              progress(e.job.key, x.status === 'SUCCESS' ? 'SUCCESS' : 'ERROR');
              settle(
                e.job.key,
                x.status === 'SUCCESS'
                  ? { kind: 'result', data: x.data ?? null, executionId: x.id }
                  : {
                      kind: 'stepError',
                      message: x.error?.message ?? 'DocuTray reported an error.',
                      code: x.error?.code,
                      executionId: x.id,
                    },
              );
              return;
            }
            case 'unavailable':
              progress(e.job.key, 'unavailable');
              settle(
                e.job.key,
                e.error.kind === 'timeout'
                  ? {
                      kind: 'timedOut',
                      message: `no result within ${Math.round(timeoutMs / 1000)} s (execution ${e.job.executionId}; it may still finish on DocuTray)`,
                      executionId: e.job.executionId,
                    }
                  : { kind: 'refused', message: e.error.message, status: e.error.status, requestId: e.error.requestId },
              );
              return;
          }
        },
      },
      { maxUploads: opts.maxUploads, pollTimeoutMs: timeoutMs, signal: inner.signal },
    ).run();
    if (unreachable) {
      throw unreachable;
    }
    if (end.kind === 'fatal') {
      throw end.error;
    }
  } finally {
    opts.signal?.removeEventListener('abort', onAbort);
  }
  for (const d of documents) {
    if (!outcomes.has(d.id)) {
      const id = executionOf.get(d.id);
      settle(d.id, {
        kind: 'notRun',
        message: id === undefined ? 'not run (cancelled)' : `cancelled while waiting for execution ${id}`,
        executionId: id,
      });
    }
  }
  return outcomes;
}
