import vscode = require('vscode');
import { l10n } from 'vscode';
import type { Difference } from '../core/expected/compare';
import { stableStringify } from '../core/expected/expectedFile';
import { resultLocator } from '../core/expected/locate';

/** The `testMessage` context of a failure that Accept as Expected can settle. */
export const FAILED_MESSAGE_CONTEXT = 'docutray.expected.failed';
/** The `testMessage` context of a document that changed since its expected result: Record Again settles it. */
export const DOCUMENT_CHANGED_CONTEXT = 'docutray.expected.documentChanged';

/** Paths named in a failure's first line; the rest are counted. */
const MAX_NAMED = 20;
/** Differences that get a message of their own at their line; the rest are in the first message only. */
const MAX_LOCATED = 50;

/** A value on one line, cut short. */
function shortValue(value: unknown, max = 60): string {
  const chars = Array.from(JSON.stringify(value) ?? 'undefined');
  return chars.length > max ? `${chars.slice(0, max - 1).join('')}…` : chars.join('');
}

/** "total: 683.53 → 690", "notes: added, \"…\"", "vendor.vat: removed (was \"B123\")". */
export function differenceLine(d: Difference): string {
  switch (d.kind) {
    case 'changed':
      return l10n.t('{0}: {1} → {2}', d.path, shortValue(d.expected), shortValue(d.actual));
    case 'added':
      return l10n.t('{0}: added, {1}', d.path, shortValue(d.actual));
    case 'removed':
      return l10n.t('{0}: removed (was {1})', d.path, shortValue(d.expected));
  }
}

/** "2 fields differ: total, vendor.name". */
export function differenceSummary(differences: readonly Difference[]): string {
  const paths = differences.map(d => d.path);
  const named =
    paths.length > MAX_NAMED
      ? l10n.t('{0} and {1} more', paths.slice(0, MAX_NAMED).join(', '), paths.length - MAX_NAMED)
      : paths.join(', ');
  return paths.length === 1
    ? l10n.t('1 field differs: {0}', named)
    : l10n.t('{0} fields differ: {1}', paths.length, named);
}

/**
 * The messages of a failed check, ordered for how VS Code shows them (its testing contribution, 1.99 to
 * 1.139): an editor shows one inline message per line, the first one given for that line (a message
 * without a location takes its test's, line 1 here); a diff message (one with expected and actual
 * output) reads inline as `actual != expected` whatever its text; and the peek that opens by itself on
 * a failure opens on the test's last message.
 *
 * So: each difference's own message at its path's line (an added field: at its nearest ancestor's),
 * except at the first changed line; then the diff of the whole expected and actual result (both
 * canonical, so only values differ), under the first of those marks so that it is never inline (with
 * none, at the result's closing line); last the summary ("2 fields differ: total, vendor.name", then one
 * line per difference), alone at the first changed line: that line reads the summary, and the peek opens
 * on it, at the change, with Accept as Expected in view. The summary carries the actual result too (not
 * the expected, which would make it a diff): Accept reads it after a reload, when the run's result is no
 * longer in memory.
 */
export function failureMessages(
  differences: readonly Difference[],
  expected: { uri: vscode.Uri; text: string; result: unknown },
  actual: unknown,
): vscode.TestMessage[] {
  const locate = resultLocator(expected.text);
  const whole = locate([]);
  const located = differences.slice(0, MAX_LOCATED).map(d => ({ d, at: locate(d.segments) ?? whole }));
  const lineOf = (l: (typeof located)[number]) => l.at?.line ?? 0;
  const firstLine = located.length ? Math.min(...located.map(lineOf)) : (whole?.line ?? 0);
  const location = (line: number, character = 0) =>
    new vscode.Location(expected.uri, new vscode.Position(line, character));
  const summary = differenceSummary(differences);
  const actualText = stableStringify(actual);

  const each = located
    .filter(l => lineOf(l) !== firstLine)
    .map(l => {
      const m = new vscode.TestMessage(differenceLine(l.d));
      m.location = location(lineOf(l), l.at?.character ?? 0);
      m.contextValue = FAILED_MESSAGE_CONTEXT;
      return m;
    });
  const diff = vscode.TestMessage.diff(
    l10n.t('{0} (the whole result, expected and actual)', summary),
    stableStringify(expected.result),
    actualText,
  );
  diff.location = each[0]?.location ?? location(whole ? endLine(expected.text, whole.offset + whole.length) : 0);
  diff.contextValue = FAILED_MESSAGE_CONTEXT;
  const first = new vscode.TestMessage([summary, ...located.map(l => differenceLine(l.d))].join('\n'));
  first.actualOutput = actualText;
  first.location = location(firstLine);
  first.contextValue = FAILED_MESSAGE_CONTEXT;
  return [...each, diff, first];
}

/** The 0-based line of the character before `offset` (where a value that ends there ends). */
function endLine(text: string, offset: number): number {
  return text.slice(0, Math.max(0, offset - 1)).split('\n').length - 1;
}

/** The 0-based line of `"key":` in an expected file's header (0 when it is not there). */
export function headerLine(text: string, key: string): number {
  const at = text.indexOf(`"${key}"`);
  return at < 0 ? 0 : text.slice(0, at).split('\n').length - 1;
}
