/**
 * Checks documents against their expected results, or records them (`update`). What the command line
 * runs, and what the editor's test runner can run per document: I/O and the step runner are given.
 *
 * Per document:
 *   - its expected file is read (a file that is not a usable expected result: `invalidExpected`);
 *   - its SHA-256 is compared with the recorded one: a different document is `documentChanged` (the
 *     document changed, not the step) and is not run — nor is a document without an expected result
 *     (`missing`): a check pays only for runs it can compare;
 *   - the rest run, and their results are compared: `passed` or `failed` with the differences; a run
 *     without a result says why (`stepError`, `refused`, `uncertain`, `unavailable`, `timedOut`, `notRun`).
 * With `update`, every document runs and the expected file is written when it is missing, unusable,
 * of another document, or different from the result (`created`, `updated`); a result equal to the
 * expected one (within the options) leaves the file as it is (`passed`). Without `update`, nothing is
 * ever written.
 */
import { compareResults, type CompareOptions, type Difference } from './compare';
import {
  ExpectedFileError,
  expectedFilePath,
  parseExpected,
  serializeExpected,
  type ExpectedFile,
} from './expectedFile';
import { resultLocator } from './locate';
import type { DocumentOutcome, RunSummary } from './runDocuments';

export type CheckStatus =
  | 'passed'
  | 'failed'
  | 'missing'
  | 'documentChanged'
  | 'invalidExpected'
  | 'created'
  | 'updated'
  | 'stepError'
  | 'refused'
  | 'uncertain'
  | 'unavailable'
  | 'timedOut'
  /** Started and billed; the run stopped before its result was read (the next run reads it). */
  | 'billed'
  /** Never started (the run was interrupted or stopped first). */
  | 'notRun'
  /** The result came, but could not be compared or recorded (an expected file that cannot be written). */
  | 'checkError';

/** The statuses that leave a check green. */
export const PASSING_STATUSES: ReadonlySet<CheckStatus> = new Set(['passed', 'created', 'updated']);

export interface DocumentCheck {
  /** Workspace-relative, `/`-separated. */
  document: string;
  expectedFile: string;
  status: CheckStatus;
  /** One key-free line on why, for every status but `passed`. */
  message?: string;
  /** For `failed` (and `updated`: what the update changed). */
  differences?: LocatedDifference[];
  /** How many differences there were, when `differences` lists only some of them. */
  differenceCount?: number;
  sha256?: string;
  /** The SHA-256 the expected file recorded, when it differs. */
  expectedSha256?: string;
  executionId?: string;
  requestId?: string;
  durationMs?: number;
  /** Read from an execution an earlier, interrupted run started: not started (nor billed) again. */
  earlier?: boolean;
  /** For `invalidExpected` of a file that was read: why it cannot be used (for a reporter's own wording). */
  unusable?: string;
}

/** A difference with the 1-based line of its path (or nearest ancestor) in the expected file. */
export interface LocatedDifference extends Difference {
  line?: number;
}

export interface CheckIo {
  /** A workspace-relative file's text, or undefined when there is no such file. */
  readText(path: string): Promise<string | undefined>;
  /** Writes (creating folders) a workspace-relative file. */
  writeText(path: string, text: string): Promise<void>;
  /** SHA-256 (hex) of a workspace-relative document. */
  sha256(document: string): Promise<string>;
}

export interface CheckOptions {
  stepId: string;
  update: boolean;
  /** Normalised folder setting ('' = beside the documents). */
  folder: string;
  compare: CompareOptions;
  /**
   * Runs the step on these documents (workspace-relative), handing each one's outcome to `onOutcome` as it
   * comes (awaiting it); resolves once every document had its outcome.
   */
  run(
    documents: string[],
    onOutcome: (document: string, outcome: DocumentOutcome) => Promise<void>,
  ): Promise<RunSummary | undefined>;
  /** A document's check, once, as soon as it is final. */
  onCheck(check: DocumentCheck): void | Promise<void>;
  /**
   * A document whose result was compared with its expected one, before its check is final, while both
   * results are at hand (a per-field summary counts them here): nothing of them may be kept.
   */
  onCompared?(
    check: DocumentCheck,
    expected: unknown,
    actual: unknown,
    differences: readonly LocatedDifference[],
  ): void | Promise<void>;
}

/** What a result says against its expected file: equal, different, or of another document. */
export function evaluateResult(
  expected: ExpectedFile,
  sha256: string,
  result: unknown,
  options: CompareOptions,
): { status: 'passed' | 'failed' | 'documentChanged'; differences: Difference[] } {
  if (expected.sha256 !== sha256) {
    return { status: 'documentChanged', differences: [] };
  }
  const differences = compareResults(expected.result, result, options);
  return { status: differences.length ? 'failed' : 'passed', differences };
}

export function documentChangedMessage(expected: string, actual: string): string {
  return `the document changed since its expected result was recorded (SHA-256 ${expected.slice(0, 12)}… → ${actual.slice(0, 12)}…)`;
}

function fileName(path: string): string {
  return path.slice(path.lastIndexOf('/') + 1);
}

/** One document's check as decided before anything runs: what the run still has to settle. */
interface Planned {
  check: DocumentCheck;
  /** An expected file is there, usable or not. */
  existed: boolean;
  /** It is usable and of this document: a result is compared with it. */
  usable: boolean;
}

/**
 * Checks (or records) every document, handing each document's check to `opts.onCheck` as soon as it is
 * final; nothing of a result is kept once its check is handed over. One document's failure (a result too
 * deep to compare, an expected file that cannot be written) is that document's, never the others'.
 * Resolves with what the run said (why it stopped early, documents read from earlier starts).
 */
export async function checkDocuments(
  documents: readonly string[],
  io: CheckIo,
  opts: CheckOptions,
): Promise<RunSummary | undefined> {
  const planned = new Map<string, Planned>();
  for (const document of documents) {
    const expectedFile = expectedFilePath(document, opts.stepId, opts.folder);
    const check: DocumentCheck = { document, expectedFile, status: 'notRun' };
    const entry: Planned = { check, existed: false, usable: false };
    try {
      check.sha256 = await io.sha256(document);
    } catch (e) {
      check.status = 'unavailable';
      check.message = `the document could not be read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`;
      await opts.onCheck(check);
      continue;
    }
    let text: string | undefined;
    try {
      text = await io.readText(expectedFile);
    } catch (e) {
      check.status = 'invalidExpected';
      check.message = `${expectedFile} cannot be read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`;
    }
    entry.existed = text !== undefined;
    if (text === undefined) {
      if (check.status !== 'invalidExpected') {
        check.status = 'missing';
        check.message = 'no expected result recorded';
      }
    } else {
      try {
        const expected = parseExpected(text, opts.stepId);
        if (expected.sha256 !== check.sha256) {
          check.status = 'documentChanged';
          check.expectedSha256 = expected.sha256;
          check.message = documentChangedMessage(expected.sha256, check.sha256);
        } else {
          entry.usable = true;
        }
      } catch (e) {
        check.status = 'invalidExpected';
        check.unusable = e instanceof ExpectedFileError ? e.message : (e as Error).message;
        check.message = `${expectedFile} cannot be used: ${check.unusable}`;
      }
    }
    if (opts.update || entry.usable) {
      planned.set(document, entry);
    } else {
      await opts.onCheck(check);
    }
  }
  if (!planned.size) {
    return undefined;
  }
  return opts.run([...planned.keys()], async (document, outcome) => {
    const entry = planned.get(document);
    if (!entry) {
      return;
    }
    planned.delete(document);
    await settleCheck(entry, outcome, io, opts);
    await opts.onCheck(entry.check);
  });
}

async function settleCheck(entry: Planned, outcome: DocumentOutcome, io: CheckIo, opts: CheckOptions): Promise<void> {
  const { check } = entry;
  check.durationMs = outcome.durationMs;
  check.earlier = outcome.earlier;
  if ('executionId' in outcome && outcome.executionId !== undefined) {
    check.executionId = outcome.executionId;
  }
  if ('requestId' in outcome && outcome.requestId !== undefined) {
    check.requestId = outcome.requestId;
  }
  if (outcome.kind !== 'result') {
    check.status = outcome.kind;
    check.message = outcome.message;
    return;
  }
  const sha256 = check.sha256!;
  let verdict: ReturnType<typeof evaluateResult> | undefined;
  try {
    // Read again now rather than held from the start: a check of thousands of documents keeps no file.
    const expectedText = entry.usable ? await io.readText(check.expectedFile) : undefined;
    const expected = expectedText === undefined ? undefined : parseExpected(expectedText, opts.stepId);
    // The content DocuTray processed (hashed as it was sent): a document changed during its run is not compared.
    verdict = expected ? evaluateResult(expected, outcome.sha256 ?? sha256, outcome.data, opts.compare) : undefined;
    if (verdict?.differences.length && expectedText !== undefined) {
      const locate = resultLocator(expectedText);
      for (const d of verdict.differences as LocatedDifference[]) {
        const at = locate(d.segments);
        if (at) {
          d.line = at.line + 1;
        }
      }
    }
    if (expected && verdict && verdict.status !== 'documentChanged') {
      await opts.onCompared?.(check, expected.result, outcome.data, verdict.differences);
    }
  } catch (e) {
    check.status = 'checkError';
    check.message = `the result could not be compared with ${check.expectedFile}: ${(e as Error).message}`;
    return;
  }
  if (!opts.update) {
    if (!verdict) {
      check.status = 'checkError';
      check.message = `${check.expectedFile} is gone`;
      return;
    }
    check.status = verdict.status;
    check.differences = verdict.differences;
    check.message = verdict.differences.length ? fieldsText(verdict.differences.length, 'differ') : undefined;
    if (verdict.status === 'documentChanged') {
      check.message = documentChangedMessage(check.sha256!, outcome.sha256 ?? sha256);
    }
    return;
  }
  if (verdict?.status === 'passed') {
    check.status = 'passed';
    check.message = undefined;
    return;
  }
  try {
    const text = serializeExpected({
      stepId: opts.stepId,
      document: fileName(check.document),
      // The content DocuTray processed: the bytes sent, hashed on the way out.
      sha256: outcome.sha256 ?? sha256,
      result: outcome.data,
    });
    await io.writeText(check.expectedFile, text);
  } catch (e) {
    check.status = 'checkError';
    check.message = `the result could not be recorded in ${check.expectedFile}: ${(e as NodeJS.ErrnoException).code ?? ''}${(e as NodeJS.ErrnoException).code ? ' ' : ''}${(e as Error).message}`;
    return;
  }
  const wasChecked = check.status === 'documentChanged' ? 'documentChanged' : undefined;
  check.status = entry.existed ? 'updated' : 'created';
  check.differences = verdict?.status === 'failed' ? verdict.differences : undefined;
  check.message = !verdict
    ? entry.existed
      ? wasChecked
        ? 'recorded again for the changed document'
        : 'recorded over an unusable expected file'
      : 'recorded'
    : verdict.status === 'documentChanged'
      ? 'recorded again for the changed document'
      : `recorded the new result (${fieldsText(verdict.differences.length, 'changed')})`;
}

/** "1 field differs", "2 fields differ", "1 field changed". */
function fieldsText(n: number, verb: 'differ' | 'changed'): string {
  const noun = n === 1 ? 'field' : 'fields';
  return `${n} ${noun} ${verb === 'differ' && n === 1 ? 'differs' : verb}`;
}

/** The statuses of a document compared (or not comparable) with its expected file: what a person must look at. */
export const DIFFERING_STATUSES: ReadonlySet<CheckStatus> = new Set([
  'failed',
  'missing',
  'documentChanged',
  'invalidExpected',
]);

/**
 * 0 when every document passed (or was recorded); 1 when every document was checked and some differ (or
 * have no usable expected result); 2 when some document could not be checked (no result, an error).
 */
export function checkExitCode(statuses: Iterable<CheckStatus>): 0 | 1 | 2 {
  let code: 0 | 1 | 2 = 0;
  for (const s of statuses) {
    if (PASSING_STATUSES.has(s)) {
      continue;
    }
    if (!DIFFERING_STATUSES.has(s)) {
      return 2;
    }
    code = 1;
  }
  return code;
}
