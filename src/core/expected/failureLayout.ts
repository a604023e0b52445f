/**
 * Where a failed check's messages go in its expected file, and in which order, for how VS Code shows test
 * messages (its testing contribution, 1.99 to 1.139):
 *
 * - an editor shows one inline mark per line: the first error message given for that line (a message
 *   without a location takes its test's, line 1 here);
 * - a diff message (one with expected and actual output) reads inline as `actual != expected`, whatever
 *   its text, each side cut to 30 characters;
 * - the peek that opens by itself on a failure opens on the test's last message.
 *
 * So a diff must never be the first message of its line, and the last message must be the summary, at
 * the first changed line. The layout: each difference's own mark at its path's line (an added field: at
 * its nearest ancestor's), except on the first changed line; then the whole result's diff, under the
 * first of those marks; last the summary, alone at the first changed line. When no mark is on another
 * line (one difference, or all on one line) the diff has nothing to sit under: a lead, the summary's
 * first line, is given first at the first changed line, then the diff there, then the summary. The texts
 * are the glue's (localized); this is only where and in which order.
 */
import type { Difference } from './compare';
import { resultLocator } from './locate';

/** Differences that get a mark of their own at their line; the rest are in the summary only. */
export const MAX_LOCATED = 50;

/** 0-based line and character in the expected file's text. */
export interface MessageAt {
  line: number;
  character: number;
}

export type FailurePart =
  /** A difference's own mark at its line. */
  | ({ kind: 'difference'; difference: Difference } & MessageAt)
  /** The summary's first line, first at the first changed line so that the diff after it is not inline. */
  | ({ kind: 'lead' } & MessageAt)
  /** The whole expected and actual result, as a diff: listed, never inline. */
  | ({ kind: 'diff' } & MessageAt)
  /** The summary, with one line per difference: last (the peek opens on it), at the first changed line. */
  | ({ kind: 'summary' } & MessageAt);

/** The messages of a failure with `differences` against the expected file `expectedText`, in order. */
export function failureLayout(differences: readonly Difference[], expectedText: string): FailurePart[] {
  const locate = resultLocator(expectedText);
  const whole = locate([]);
  const located = differences.slice(0, MAX_LOCATED).map(difference => {
    const at = locate(difference.segments) ?? whole;
    return { difference, line: at?.line ?? 0, character: at?.character ?? 0 };
  });
  const firstLine = located.length ? Math.min(...located.map(l => l.line)) : (whole?.line ?? 0);
  const first: MessageAt = { line: firstLine, character: 0 };
  const each: FailurePart[] = located
    .filter(l => l.line !== firstLine)
    .map(l => ({ kind: 'difference', difference: l.difference, line: l.line, character: l.character }));
  if (each.length) {
    return [...each, { kind: 'diff', line: each[0].line, character: each[0].character }, { kind: 'summary', ...first }];
  }
  return [
    { kind: 'lead', ...first },
    { kind: 'diff', ...first },
    { kind: 'summary', ...first },
  ];
}
