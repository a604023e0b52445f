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
 * The messages of a failed check: the first names every path that differs and carries the diff of the
 * expected and the actual result (both canonical, so only values differ), at the expected file's `result`
 * (VS Code shows a diff message in the editor as the two values side by side, which reads as the whole
 * result); then each difference has a message of its own at its path's line (an added field: at its
 * nearest ancestor's), shown there in the editor.
 */
export function failureMessages(
  differences: readonly Difference[],
  expected: { uri: vscode.Uri; text: string; result: unknown },
  actual: unknown,
): vscode.TestMessage[] {
  const locate = resultLocator(expected.text);
  const at = (segments: Difference['segments']) => {
    const found = locate(segments);
    return new vscode.Location(expected.uri, new vscode.Position(found?.line ?? 0, found?.character ?? 0));
  };
  const first = vscode.TestMessage.diff(
    [differenceSummary(differences), ...differences.slice(0, MAX_LOCATED).map(differenceLine)].join('\n'),
    stableStringify(expected.result),
    stableStringify(actual),
  );
  first.location = at([]);
  first.contextValue = FAILED_MESSAGE_CONTEXT;
  const each = differences.slice(0, MAX_LOCATED).map(d => {
    const m = new vscode.TestMessage(differenceLine(d));
    m.location = at(d.segments);
    m.contextValue = FAILED_MESSAGE_CONTEXT;
    return m;
  });
  return [first, ...each];
}

/** The 0-based line of `"key":` in an expected file's header (0 when it is not there). */
export function headerLine(text: string, key: string): number {
  const at = text.indexOf(`"${key}"`);
  return at < 0 ? 0 : text.slice(0, at).split('\n').length - 1;
}
