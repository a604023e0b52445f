/**
 * Runs one step on many documents and says, per document and as soon as it is known, what came of it:
 * the result, the step's ERROR, a refusal, a start that may have happened without an answer, a
 * document that could not be sent, a result that did not come in time, or a start billed whose result
 * was not read. The only place the expected-results feature touches the batch runner
 * (core/batches/runner.ts), whose starts take the one start path (core/runs/engine.ts): starts and
 * polls go through the key's one request budget, and a start that may have happened is never sent again.
 *
 * What a run promises, because every start bills the user:
 *   - every start DocuTray accepted is handed to `onStarted` (the command line's journal) before it is
 *     polled; when that cannot be written down, no further document is started;
 *   - executions started earlier (`resume`, read from that journal) are followed, not started again;
 *   - the first start goes alone: an unknown step or a refused key stops the run before a second
 *     document is sent;
 *   - one document's outcome is handed over (`onOutcome`, awaited: it is stored before the next poll)
 *     and dropped here: nothing of a result is held to the end;
 *   - an error every document would meet (the key refused, the step unknown, the quota, the service out
 *     of reach) stops the starts but not the reading: the documents already billed are still followed
 *     to their end where the service answers. A rate limit asking for a pause past `maxPauseMs` stops
 *     both, and says until when;
 *   - a run that ends early (cancelled, stopped) names each document billed and not read as `billed`,
 *     never as not run.
 */
import type { RequestBudget } from '../api/budget';
import type { DocuTrayClient } from '../client/client';
import { CancelledError, ConnectionError, DocuTrayError } from '../api/errors';
import type { Execution } from '../api/types';
import type { DocumentInput, DocumentMetadata } from '../documents/input';
import type { DocumentState } from '../batches/record';
import { BatchRunner, NotRecordedError, type RunnerEvent, type RunnerJob } from '../batches/runner';
import { startDocument } from '../runs/engine';

export type DocumentOutcome = (
  | { kind: 'result'; data: unknown; executionId: string }
  /** The step ran and reported ERROR. */
  | { kind: 'stepError'; message: string; code?: string; executionId: string }
  /** DocuTray refused this document (a 4xx on its start), or lost its execution. */
  | { kind: 'refused'; message: string; status?: number; requestId?: string; executionId?: string }
  /** The start may have reached DocuTray without an answer: not sent again (it may be billed). */
  | { kind: 'uncertain'; message: string; requestId?: string }
  /** The document could not be read, or is not one DocuTray takes: nothing was sent. */
  | { kind: 'unavailable'; message: string }
  /** Started, but no result within the time allowed (it may still finish on DocuTray). */
  | { kind: 'timedOut'; message: string; executionId: string }
  /** Started and billed, the result not read (the run stopped first): the next run reads it. */
  | { kind: 'billed'; message: string; executionId: string }
  /** Never started: the run was cancelled, or stopped for an error every document would meet. */
  | { kind: 'notRun'; message: string }
) & {
  /** From the start request to the outcome, when the document was started in this run. */
  durationMs?: number;
  /** SHA-256 of the bytes sent: the content DocuTray processed (when it was a file or bytes). */
  sha256?: string;
  /** The execution was started by an earlier run (`resume`) and read in this one. */
  earlier?: boolean;
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

/** A start DocuTray accepted, as the journal writes it down. */
export interface AcceptedStart {
  executionId: string;
  /** SHA-256 of the bytes sent, when the client hashed them. */
  sha256?: string;
}

export interface RunDocumentsOptions {
  stepId: string;
  /** Documents read and uploaded at once (default 4). */
  maxUploads?: number;
  /** A document with no result this long after its start is given up (default: 5 min). */
  timeoutMs?: number;
  /** A rate-limit pause longer than this stops the run (default 1 h). */
  maxPauseMs?: number;
  /** Aborted: no further start, no further poll; the run ends with what it has. */
  signal?: AbortSignal;
  /** A document's state changed (the run lifecycle's words: `starting`, `ENQUEUED`, `SUCCESS`…). */
  onProgress?: (id: string, state: DocumentState) => void;
  /** Writes a start down before it is polled. A throw: this one is still read, no other is started. */
  onStarted?: (id: string, start: AcceptedStart) => Promise<void>;
  /** One document's outcome, once. Awaited; must not throw. */
  onOutcome: (id: string, outcome: DocumentOutcome) => Promise<void> | void;
  /** Executions already started for some of these documents (by id): followed to their end, not started. */
  resume?: ReadonlyMap<string, AcceptedStart>;
}

/** Why a run stopped before every document was done. */
export type RunStop =
  /** An error every document would meet: a refused key, an unknown step, the quota, the service out of reach. */
  | { kind: 'fatal'; error: unknown }
  /** DocuTray's rate limit asked for a pause past `maxPauseMs`: nothing more until `until` (ms epoch). */
  | { kind: 'paused'; until: number; limitType: string; limit: number }
  | { kind: 'cancelled' };

export interface RunSummary {
  stop?: RunStop;
  /** Documents whose start was accepted in this run. */
  started: number;
  /** Documents read from an execution an earlier run started (`resume`). */
  resumed: number;
}

/**
 * Runs the step on every document, handing each outcome to `onOutcome` as it comes; resolves once every
 * document has had its outcome, saying why the run stopped early, if it did. Never throws for an error of
 * the service.
 */
export async function runDocuments(
  documents: readonly DocumentToRun[],
  deps: RunDocumentsDeps,
  opts: RunDocumentsOptions,
): Promise<RunSummary> {
  const now = deps.now ?? Date.now;
  const byId = new Map(documents.map(d => [d.id, d]));
  const settled = new Set<string>();
  const startedAt = new Map<string, number>();
  const sha256 = new Map<string, string>();
  const executionOf = new Map<string, string>();
  const timeoutMs = opts.timeoutMs ?? 300_000;
  const summary: RunSummary = { started: 0, resumed: 0 };
  const handing = new Set<Promise<void>>();
  const progress = (id: string, state: DocumentState) => opts.onProgress?.(id, state);

  const settle = (id: string, outcome: DocumentOutcome): Promise<void> => {
    if (settled.has(id)) {
      return Promise.resolve();
    }
    settled.add(id);
    const since = startedAt.get(id);
    if (since !== undefined) {
      outcome.durationMs = Math.max(0, now() - since);
    }
    const hash = sha256.get(id);
    if (hash) {
      outcome.sha256 = hash;
    }
    if (opts.resume?.has(id) && executionOf.get(id) === opts.resume.get(id)?.executionId) {
      outcome.earlier = true;
    }
    const handed = Promise.resolve()
      .then(() => opts.onOutcome(id, outcome))
      .catch(() => undefined);
    handing.add(handed);
    void handed.finally(() => handing.delete(handed));
    return handed;
  };

  // The first start goes alone: an error every document would meet is met once.
  let accepted = false;
  let leader: Promise<unknown> | undefined;
  let notRecorded: unknown;
  let unreachable: ConnectionError | undefined;
  /** Stops the phase under way (the service is out of reach). */
  let stopPhase = () => {};

  const finishedOutcome = (x: Execution): DocumentOutcome =>
    x.status === 'SUCCESS'
      ? { kind: 'result', data: x.data ?? null, executionId: x.id }
      : {
          kind: 'stepError',
          message: x.error?.message ?? 'DocuTray reported an error.',
          code: x.error?.code,
          executionId: x.id,
        };

  const onEvent = (e: RunnerEvent) => {
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
        void settle(
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
      case 'finished':
        progress(e.job.key, e.execution.status === 'SUCCESS' ? 'SUCCESS' : 'ERROR');
        void settle(e.job.key, finishedOutcome(e.execution));
        return;
      case 'unavailable':
        progress(e.job.key, 'unavailable');
        void settle(
          e.job.key,
          e.error.kind === 'timeout'
            ? {
                kind: 'timedOut',
                message: `no result within ${Math.round(timeoutMs / 1000)} s (execution ${e.job.executionId}; it may still finish on DocuTray)`,
                executionId: e.job.executionId,
              }
            : {
                kind: 'refused',
                message: `${e.error.message} (execution ${e.job.executionId})`,
                status: e.error.status,
                requestId: e.error.requestId,
                executionId: e.job.executionId,
              },
        );
        return;
    }
  };

  // Status answers being read at once: each may carry a result of megabytes, so memory is bounded by
  // this many results, not by the number of documents waiting on DocuTray.
  const maxReading = Math.max(1, opts.maxUploads ?? 4);
  let reading = 0;
  const readers: (() => void)[] = [];
  const status = async (j: RunnerJob, signal: AbortSignal): Promise<Execution> => {
    while (reading >= maxReading) {
      await new Promise<void>(resolve => readers.push(resolve));
    }
    reading++;
    try {
      const x = await deps.client.getStatus(j.executionId, { signal, priority: 'batch' });
      if (x.status === 'SUCCESS' || x.status === 'ERROR') {
        // Stored before the runner hears of it: the next poll waits for it (and so does memory).
        await settle(j.key, finishedOutcome(x));
      }
      return x;
    } finally {
      reading--;
      readers.shift()?.();
    }
  };

  const start = async (docKey: string, signal: AbortSignal, markSent: () => void): Promise<Execution> => {
    // Until a start is accepted, one at a time: each waits for the one before it to be answered.
    while (!accepted && leader) {
      const before = leader;
      await before.catch(() => undefined);
      if (leader === before) {
        leader = undefined;
      }
    }
    if (notRecorded !== undefined) {
      throw new NotRecordedError('the journal of billed starts cannot be written');
    }
    if (signal.aborted) {
      throw new CancelledError();
    }
    const doc = byId.get(docKey) as DocumentToRun;
    progress(docKey, 'starting');
    startedAt.set(docKey, now());
    // The one start path (runs/engine.ts): the id goes to the journal before the runner follows it.
    const sending = (async () => {
      try {
        return await startDocument(
          deps.client,
          { stepId: opts.stepId, input: doc.input, metadata: doc.metadata, priority: 'batch', signal },
          {
            // Sent from here on: a stop (the service out of reach, a fatal error) lets its answer land.
            fence: async () => markSent(),
            record: async e => {
              accepted = true;
              summary.started++;
              if (e.documentSha256) {
                sha256.set(docKey, e.documentSha256);
              }
              executionOf.set(docKey, e.id);
              try {
                await opts.onStarted?.(docKey, { executionId: e.id, sha256: e.documentSha256 });
              } catch (err) {
                // Followed all the same (it is billed); no further document is started.
                notRecorded ??= err;
              }
            },
          },
        );
      } catch (err) {
        if (err instanceof ConnectionError) {
          // The client tried again already: the service is out of reach for every document.
          unreachable ??= err;
          stopPhase();
        }
        throw err;
      }
    })();
    if (!accepted) {
      leader = sending;
    }
    return await sending;
  };

  const runPhase = async (pending: readonly string[], waiting: RunnerJob[], signal: AbortSignal | undefined) => {
    const inner = new AbortController();
    const onAbort = () => inner.abort(signal?.reason);
    signal?.addEventListener('abort', onAbort, { once: true });
    if (signal?.aborted) {
      inner.abort();
    }
    stopPhase = () => inner.abort();
    try {
      return await new BatchRunner(
        opts.stepId,
        [...pending].map(key => ({ key, uri: key })),
        waiting,
        {
          budget: deps.budget,
          // One process runs these: nobody else can take them over.
          stillOwned: async () => true,
          start: (d, s, markSent) => start(d.key, s, markSent),
          status,
          onEvent,
        },
        { maxUploads: opts.maxUploads, pollTimeoutMs: timeoutMs, maxPauseMs: opts.maxPauseMs, signal: inner.signal },
      ).run();
    } finally {
      signal?.removeEventListener('abort', onAbort);
    }
  };

  const resumed: RunnerJob[] = [];
  const toStart: string[] = [];
  for (const d of documents) {
    const earlier = opts.resume?.get(d.id);
    if (earlier) {
      executionOf.set(d.id, earlier.executionId);
      if (earlier.sha256) {
        sha256.set(d.id, earlier.sha256);
      }
      resumed.push({ key: d.id, executionId: earlier.executionId });
    } else {
      toStart.push(d.id);
    }
  }

  const end = await runPhase(toStart, resumed, opts.signal);
  let stop: RunStop | undefined;
  if (unreachable) {
    stop = { kind: 'fatal', error: unreachable };
  } else if (end.kind === 'fatal') {
    stop = { kind: 'fatal', error: notRecorded ?? end.error };
  } else if (end.kind === 'paused') {
    const s = deps.budget.state();
    stop = { kind: 'paused', until: end.until, limitType: s.limitType, limit: s.limit };
  } else if (end.kind === 'cancelled' || opts.signal?.aborted) {
    stop = { kind: 'cancelled' };
  }
  if (stop?.kind === 'fatal' && !unreachable && !opts.signal?.aborted) {
    // No more starts; what was billed is still read, where the service answers.
    const billed = [...executionOf]
      .filter(([id]) => !settled.has(id))
      .map(([key, executionId]) => ({ key, executionId }));
    if (billed.length) {
      const again = await runPhase([], billed, opts.signal);
      if (again.kind === 'cancelled' || opts.signal?.aborted) {
        stop = { kind: 'cancelled' };
      }
    }
  }
  await Promise.all([...handing]);
  for (const d of documents) {
    if (settled.has(d.id)) {
      continue;
    }
    const id = executionOf.get(d.id);
    await settle(
      d.id,
      id === undefined
        ? { kind: 'notRun', message: stop?.kind === 'cancelled' ? 'not started (interrupted)' : 'not started' }
        : {
            kind: 'billed',
            message: `started and billed, result not read yet (execution ${id}); the next run reads it`,
            executionId: id,
          },
    );
  }
  summary.resumed = [...(opts.resume?.keys() ?? [])].filter(id => byId.has(id)).length;
  if (stop) {
    summary.stop = stop;
  }
  return summary;
}
