import vscode = require('vscode');
import { l10n } from 'vscode';
import type { Difference } from '../core/expected/compare';
import { stableStringify } from '../core/expected/expectedFile';
import { MAX_LOCATED, failureLayout } from '../core/expected/failureLayout';

/** The `testMessage` context of a failure that Accept as Expected can settle. */
export const FAILED_MESSAGE_CONTEXT = 'docutray.expected.failed';
/** The `testMessage` context of a document that changed since its expected result: Record Again settles it. */
export const DOCUMENT_CHANGED_CONTEXT = 'docutray.expected.documentChanged';

/** Paths named in a failure's first line; the rest are counted. */
const MAX_NAMED = 20;

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
 * The messages of a failed check, placed and ordered as `failureLayout` says (src/core/expected/
 * failureLayout.ts: an editor shows the first message of a line inline, a diff as `actual != expected`,
 * and the peek opens on the last message): each difference's own message at its line; the whole result's
 * diff where it is never inline; last the summary at the first changed line — "2 fields differ: total,
 * vendor.name" then one line per difference, or for a single difference its path with expected → actual
 * ("total: 683.53 → 690") — where the peek opens, at the change, with Accept as Expected in view. The
 * summary (and its lead) carries the actual result too (not the expected, which would make it a diff):
 * Accept reads it after a reload, when the run's result is no longer in memory.
 */
export function failureMessages(
  differences: readonly Difference[],
  expected: { uri: vscode.Uri; text: string; result: unknown },
  actual: unknown,
): vscode.TestMessage[] {
  const head = differences.length === 1 ? differenceLine(differences[0]) : differenceSummary(differences);
  const summary =
    differences.length === 1 ? head : [head, ...differences.slice(0, MAX_LOCATED).map(differenceLine)].join('\n');
  const actualText = stableStringify(actual);
  return failureLayout(differences, expected.text).map(part => {
    let m: vscode.TestMessage;
    switch (part.kind) {
      case 'difference':
        m = new vscode.TestMessage(differenceLine(part.difference));
        break;
      case 'lead':
        m = new vscode.TestMessage(head);
        m.actualOutput = actualText;
        break;
      case 'diff':
        m = vscode.TestMessage.diff(
          l10n.t('{0} (the whole result, expected and actual)', head),
          stableStringify(expected.result),
          actualText,
        );
        break;
      case 'summary':
        m = new vscode.TestMessage(summary);
        m.actualOutput = actualText;
        break;
    }
    m.location = new vscode.Location(expected.uri, new vscode.Position(part.line, part.character));
    m.contextValue = FAILED_MESSAGE_CONTEXT;
    return m;
  });
}

/** The 0-based line of `"key":` in an expected file's header (0 when it is not there). */
export function headerLine(text: string, key: string): number {
  const at = text.indexOf(`"${key}"`);
  return at < 0 ? 0 : text.slice(0, at).split('\n').length - 1;
}
