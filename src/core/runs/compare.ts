/**
 * What "Compare with…" offers next to a result: the other results, those of the same document first
 * (the same invoice with another step is the usual question), each group newest first.
 */
import type { RunRecord } from './history';
import { sameSource } from './source';

type Comparable = Pick<RunRecord, 'id' | 'source' | 'sha256' | 'executionId' | 'state' | 'startedAt'>;

/** The same document: the same source, or the same bytes (a copy, a renamed file). */
export function sameDocument(
  a: Pick<RunRecord, 'source' | 'sha256'>,
  b: Pick<RunRecord, 'source' | 'sha256'>,
): boolean {
  return sameSource(a.source, b.source) || (!!a.sha256 && a.sha256 === b.sha256);
}

/**
 * The results `run` can be compared with: every other run with a stored result (never its own
 * execution, whichever record holds it), split into the same document's and the others', newest first.
 */
export function compareCandidates<R extends Comparable>(
  run: Comparable,
  runs: readonly R[],
): { sameDocument: R[]; others: R[] } {
  const newestFirst = (a: R, b: R) => b.startedAt - a.startedAt;
  const candidates = runs.filter(
    r => r.id !== run.id && r.state === 'SUCCESS' && !!r.executionId && r.executionId !== run.executionId,
  );
  return {
    sameDocument: candidates.filter(r => sameDocument(r, run)).sort(newestFirst),
    others: candidates.filter(r => !sameDocument(r, run)).sort(newestFirst),
  };
}
