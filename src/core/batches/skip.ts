/**
 * Skip what is done: a document's SHA-256 plus the step id identify work already paid
 * for. At a batch's start, the files whose (hash, step) already has a successful run are either
 * skipped (their earlier result reused), run again, or the user is asked — `docutray.batch.reprocess`:
 *   ask     (default) "12 of 120 were already processed by this step — skip them?"
 *   skip    skip them without asking
 *   always  run everything again
 * A single explicit run on one file always runs. Only a SUCCESS counts as done: a failed run is
 * never a reason to skip.
 */
import type { BatchRecord } from './record';

export type ReprocessMode = 'ask' | 'skip' | 'always';

/** A run that processed a document, as the run store knows it. */
export interface DoneRun {
  sha256: string;
  stepId: string;
  executionId: string;
  status: string;
  /** When it ended (ms epoch): the newest wins. */
  finishedAt?: number;
  runId?: string;
}

export function doneKey(sha256: string, stepId: string): string {
  return `${stepId}\n${sha256.toLowerCase()}`;
}

/** (hash, step) → the newest successful run. */
export function buildDoneIndex(runs: Iterable<DoneRun>): Map<string, DoneRun> {
  const index = new Map<string, DoneRun>();
  for (const run of runs) {
    if (run.status !== 'SUCCESS' || !run.sha256) {
      continue;
    }
    const key = doneKey(run.sha256, run.stepId);
    const known = index.get(key);
    if (!known || (run.finishedAt ?? 0) > (known.finishedAt ?? 0)) {
      index.set(key, run);
    }
  }
  return index;
}

export interface SkipCandidate {
  uri: string;
  /** Undefined when the file could not be hashed: it runs. */
  sha256?: string;
}

export interface SkipDecision {
  /** Files to send. */
  run: string[];
  /** Files to skip, with the run whose result is reused. */
  skip: { uri: string; run: DoneRun }[];
  /** Every file already processed by this step (whatever is decided): "12 of 120". */
  alreadyDone: { uri: string; run: DoneRun }[];
  /** Mode `ask` and something was already done: ask, then applySkipAnswer(). */
  needsAnswer: boolean;
}

export function decideSkips(
  files: readonly SkipCandidate[],
  stepId: string,
  index: ReadonlyMap<string, DoneRun>,
  mode: ReprocessMode,
  opts: { explicitSingle?: boolean } = {},
): SkipDecision {
  const alreadyDone: SkipDecision['alreadyDone'] = [];
  for (const f of files) {
    const run = f.sha256 ? index.get(doneKey(f.sha256, stepId)) : undefined;
    if (run) {
      alreadyDone.push({ uri: f.uri, run });
    }
  }
  const all = files.map(f => f.uri);
  if (opts.explicitSingle || mode === 'always' || alreadyDone.length === 0) {
    return { run: all, skip: [], alreadyDone, needsAnswer: false };
  }
  if (mode === 'ask') {
    return { run: all, skip: [], alreadyDone, needsAnswer: true };
  }
  return withSkips(all, alreadyDone);
}

/** The user's answer to "skip them?": `skip` reuses the earlier results, `reprocess` runs them again. */
export function applySkipAnswer(decision: SkipDecision, answer: 'skip' | 'reprocess'): SkipDecision {
  if (answer === 'reprocess') {
    return { ...decision, needsAnswer: false };
  }
  return withSkips(decision.run.concat(decision.skip.map(s => s.uri)), decision.alreadyDone);
}

function withSkips(all: readonly string[], alreadyDone: SkipDecision['alreadyDone']): SkipDecision {
  const skipped = new Set(alreadyDone.map(d => d.uri));
  return { run: all.filter(u => !skipped.has(u)), skip: alreadyDone, alreadyDone, needsAnswer: false };
}

/** Marks the skipped documents of a batch: their earlier result is reused, nothing is sent. Updates the record. */
export function markSkipped(batch: BatchRecord, decision: SkipDecision): void {
  const reused = new Map(decision.skip.map(s => [s.uri, s.run]));
  for (const doc of batch.documents) {
    const run = reused.get(doc.uri);
    if (run) {
      doc.reused = {
        executionId: run.executionId,
        sha256: run.sha256,
        ...(run.finishedAt !== undefined ? { finishedAt: run.finishedAt } : {}),
      };
    }
  }
}
