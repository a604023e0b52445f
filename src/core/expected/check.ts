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
import type { DocumentOutcome } from './runDocuments';

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
  | 'notRun';

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
  sha256?: string;
  /** The SHA-256 the expected file recorded, when it differs. */
  expectedSha256?: string;
  executionId?: string;
  requestId?: string;
  durationMs?: number;
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
  /** Runs the step on these documents (workspace-relative); one outcome per document. */
  run(documents: string[]): Promise<Map<string, DocumentOutcome>>;
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

export async function checkDocuments(
  documents: readonly string[],
  io: CheckIo,
  opts: CheckOptions,
): Promise<DocumentCheck[]> {
  interface Entry {
    check: DocumentCheck;
    expected?: ExpectedFile;
    text?: string;
    /** An expected file is there, usable or not. */
    existed: boolean;
  }
  const entries: Entry[] = [];
  for (const document of documents) {
    const expectedFile = expectedFilePath(document, opts.stepId, opts.folder);
    const check: DocumentCheck = { document, expectedFile, status: 'notRun' };
    const entry: Entry = { check, existed: false };
    entries.push(entry);
    try {
      check.sha256 = await io.sha256(document);
    } catch (e) {
      check.status = 'unavailable';
      check.message = `the document could not be read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`;
      continue;
    }
    const text = await io.readText(expectedFile);
    entry.existed = text !== undefined;
    entry.text = text;
    if (text === undefined) {
      check.status = 'missing';
      check.message = 'no expected result recorded';
    } else {
      try {
        entry.expected = parseExpected(text, opts.stepId);
        if (entry.expected.sha256 !== check.sha256) {
          check.status = 'documentChanged';
          check.expectedSha256 = entry.expected.sha256;
          check.message = documentChangedMessage(entry.expected.sha256, check.sha256);
        }
      } catch (e) {
        if (!(e instanceof ExpectedFileError)) {
          throw e;
        }
        check.status = 'invalidExpected';
        check.message = `${expectedFile} cannot be used: ${e.message}`;
      }
    }
  }

  const toRun = entries.filter(
    e => e.check.sha256 !== undefined && (opts.update || (e.expected && e.check.status !== 'documentChanged')),
  );
  const outcomes = toRun.length ? await opts.run(toRun.map(e => e.check.document)) : new Map();

  for (const { check, expected, existed, text: expectedText } of toRun) {
    const outcome: DocumentOutcome | undefined = outcomes.get(check.document);
    if (!outcome) {
      check.status = 'notRun';
      check.message = 'not run';
      continue;
    }
    check.durationMs = outcome.durationMs;
    if ('executionId' in outcome) {
      check.executionId = outcome.executionId;
    }
    if ('requestId' in outcome && outcome.requestId !== undefined) {
      check.requestId = outcome.requestId;
    }
    if (outcome.kind !== 'result') {
      check.status = outcome.kind;
      check.message = outcome.message;
      continue;
    }
    const sha256 = check.sha256!;
    const verdict = expected ? evaluateResult(expected, sha256, outcome.data, opts.compare) : undefined;
    if (verdict?.differences.length && expectedText !== undefined) {
      const locate = resultLocator(expectedText);
      for (const d of verdict.differences as LocatedDifference[]) {
        const at = locate(d.segments);
        if (at) {
          d.line = at.line + 1;
        }
      }
    }
    if (!opts.update) {
      check.status = verdict!.status;
      check.differences = verdict!.differences;
      check.message = verdict!.differences.length ? fieldsText(verdict!.differences.length, 'differ') : undefined;
      continue;
    }
    if (verdict?.status === 'passed') {
      check.status = 'passed';
      check.message = undefined;
      continue;
    }
    const text = serializeExpected({
      stepId: opts.stepId,
      document: fileName(check.document),
      // The content DocuTray processed: the bytes sent, hashed on the way out.
      sha256: outcome.sha256 ?? sha256,
      result: outcome.data,
    });
    await io.writeText(check.expectedFile, text);
    check.status = existed ? 'updated' : 'created';
    check.differences = verdict?.status === 'failed' ? verdict.differences : undefined;
    check.message = !verdict
      ? existed
        ? 'recorded over an unusable expected file'
        : 'recorded'
      : verdict.status === 'documentChanged'
        ? 'recorded again for the changed document'
        : `recorded the new result (${fieldsText(verdict.differences.length, 'changed')})`;
  }
  return entries.map(e => e.check);
}

/** "1 field differs", "2 fields differ", "1 field changed". */
function fieldsText(n: number, verb: 'differ' | 'changed'): string {
  const noun = n === 1 ? 'field' : 'fields';
  return `${n} ${noun} ${verb === 'differ' && n === 1 ? 'differs' : verb}`;
}

/** 0 when every document passed (or was recorded); 1 otherwise. */
export function checkExitCode(checks: readonly DocumentCheck[]): 0 | 1 {
  return checks.every(c => PASSING_STATUSES.has(c.status)) ? 0 : 1;
}
