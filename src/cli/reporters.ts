/**
 * The reports of `docutray-steps check`: `pretty` for people (each document's status; for a
 * difference its path with expected -> actual), `json` for scripts (everything, values as JSON), and
 * `junit` for CI systems (one <testcase> per document; a <failure> naming the paths that differ, an
 * <error> when the step gave no result).
 */
import type { CheckStatus, DocumentCheck, LocatedDifference } from '../core/expected/check';
import { shortJson, terminalText } from './text';

export interface CheckReport {
  stepId: string;
  update: boolean;
  checks: DocumentCheck[];
  exitCode: number;
  /** Wall time of the whole check (ms). */
  durationMs: number;
  /** When it started (ms epoch). */
  startedAt: number;
}

export const STATUS_LABEL: Record<CheckStatus, string> = {
  passed: 'PASS',
  failed: 'FAIL',
  missing: 'MISSING',
  documentChanged: 'DOC CHANGED',
  invalidExpected: 'INVALID',
  created: 'CREATED',
  updated: 'UPDATED',
  stepError: 'STEP ERROR',
  refused: 'REFUSED',
  uncertain: 'UNCERTAIN',
  unavailable: 'UNREADABLE',
  timedOut: 'TIMED OUT',
  notRun: 'NOT RUN',
};

const SUMMARY_WORDS: Record<CheckStatus, string> = {
  passed: 'passed',
  failed: 'differ',
  missing: 'without expected result',
  documentChanged: 'document changed',
  invalidExpected: 'unusable expected file',
  created: 'recorded',
  updated: 'updated',
  stepError: 'step error',
  refused: 'refused',
  uncertain: 'may have started (not sent again)',
  unavailable: 'unreadable',
  timedOut: 'timed out',
  notRun: 'not run',
};

/** Failures: the step gave a result (or a check could not start) and it is not the expected one. */
const FAILURE_STATUSES: ReadonlySet<CheckStatus> = new Set(['failed', 'missing', 'documentChanged', 'invalidExpected']);

/** Most differences listed for one document; the rest are counted. */
const MAX_LISTED = 50;

export function summaryLine(checks: readonly DocumentCheck[]): string {
  const counts = new Map<CheckStatus, number>();
  for (const c of checks) {
    counts.set(c.status, (counts.get(c.status) ?? 0) + 1);
  }
  const parts = (Object.keys(STATUS_LABEL) as CheckStatus[])
    .filter(s => counts.has(s))
    .map(s => `${counts.get(s)} ${SUMMARY_WORDS[s]}`);
  return `${checks.length} document${checks.length === 1 ? '' : 's'}: ${parts.join(', ') || 'none'}`;
}

function differenceLine(d: LocatedDifference, value: (v: unknown) => string): string {
  const e = d.kind === 'added' ? '(missing)' : value(d.expected);
  const a = d.kind === 'removed' ? '(missing)' : value(d.actual);
  return `${d.path}: ${e} -> ${a}${d.line !== undefined ? ` (line ${d.line})` : ''}`;
}

/** Why a document did not pass, with what to do about it. */
function explanation(c: DocumentCheck): string | undefined {
  switch (c.status) {
    case 'passed':
      return undefined;
    case 'failed':
      return `${c.differences?.length ?? 0} field${c.differences?.length === 1 ? '' : 's'} differ from ${c.expectedFile}`;
    case 'missing':
      return `no expected result: run with --update to record ${c.expectedFile}`;
    case 'documentChanged':
      return `${c.message}; review the document and run with --update to record its result`;
    case 'uncertain':
      return `${(c.message ?? '').replace(/\.+$/, '')}. It was not sent again: look for it in the DocuTray dashboard${c.requestId ? ` (request id ${c.requestId})` : ''} before running it again`;
    case 'stepError':
      return `the step reported an error: ${c.message}${c.executionId ? ` (execution ${c.executionId})` : ''}`;
    default:
      return c.message;
  }
}

export function prettyReport(r: CheckReport): string {
  const lines: string[] = [];
  const width = Math.max(...r.checks.map(c => STATUS_LABEL[c.status].length), 4);
  for (const c of r.checks) {
    const why = explanation(c);
    lines.push(
      `${STATUS_LABEL[c.status].padEnd(width)}  ${terminalText(c.document)}${why ? `  ${terminalText(why)}` : ''}`,
    );
    const diffs = c.differences ?? [];
    for (const d of diffs.slice(0, MAX_LISTED)) {
      lines.push(`${' '.repeat(width + 4)}${terminalText(differenceLine(d, v => shortJson(v)))}`);
    }
    if (diffs.length > MAX_LISTED) {
      lines.push(`${' '.repeat(width + 4)}… and ${diffs.length - MAX_LISTED} more`);
    }
  }
  lines.push('', `${summaryLine(r.checks)} (step ${terminalText(r.stepId)}, ${(r.durationMs / 1000).toFixed(1)} s)`);
  return `${lines.join('\n')}\n`;
}

export function jsonReport(r: CheckReport): string {
  const counts: Partial<Record<CheckStatus, number>> = {};
  for (const c of r.checks) {
    counts[c.status] = (counts[c.status] ?? 0) + 1;
  }
  const body = {
    stepId: r.stepId,
    update: r.update,
    exitCode: r.exitCode,
    durationMs: r.durationMs,
    summary: { documents: r.checks.length, ...counts },
    documents: r.checks.map(c => ({
      document: c.document,
      expectedFile: c.expectedFile,
      status: c.status,
      message: c.message,
      sha256: c.sha256,
      expectedSha256: c.expectedSha256,
      executionId: c.executionId,
      requestId: c.requestId,
      durationMs: c.durationMs,
      differences: c.differences?.map(d => ({
        kind: d.kind,
        path: d.path,
        line: d.line,
        ...(d.kind !== 'added' ? { expected: d.expected } : {}),
        ...(d.kind !== 'removed' ? { actual: d.actual } : {}),
      })),
    })),
  };
  return `${JSON.stringify(body, null, 2)}\n`;
}

/**
 * Text for XML: what XML 1.0 cannot hold at all (most control characters, lone surrogates, U+FFFE/FFFF)
 * and the discouraged C1 controls become visible `\uXXXX`; markup characters become entities, and in
 * attributes line breaks and tabs too (a parser would fold them into spaces).
 */
export function xmlEscape(value: string, attribute = false): string {
  const cleaned = value.replace(
    /[^\t\n\r\u0020-\u007e\u00a0-\ud7ff\ue000-\ufffd\u{10000}-\u{10ffff}]/gu,
    c => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
  const text = cleaned.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
  return attribute
    ? text
        .replace(/"/g, '&quot;')
        .replace(/'/g, '&apos;')
        .replace(/\n/g, '&#10;')
        .replace(/\r/g, '&#13;')
        .replace(/\t/g, '&#9;')
    : text;
}

const attr = (name: string, value: string | number) => `${name}="${xmlEscape(String(value), true)}"`;
const seconds = (ms: number | undefined) => ((ms ?? 0) / 1000).toFixed(3);

function failureMessage(c: DocumentCheck): string {
  if (c.status === 'failed') {
    const paths = (c.differences ?? []).map(d => d.path);
    const listed = paths.slice(0, 20).join(', ');
    return `${paths.length} field${paths.length === 1 ? '' : 's'} differ: ${listed}${paths.length > 20 ? `, and ${paths.length - 20} more` : ''}`;
  }
  return explanation(c) ?? STATUS_LABEL[c.status];
}

function failureBody(c: DocumentCheck): string {
  const lines = [`${STATUS_LABEL[c.status]} ${c.document}`, `expected file: ${c.expectedFile}`];
  for (const d of c.differences ?? []) {
    lines.push(differenceLine(d, v => JSON.stringify(v) ?? 'undefined'));
  }
  if (c.executionId) {
    lines.push(`execution: ${c.executionId}`);
  }
  if (c.requestId) {
    lines.push(`request id: ${c.requestId}`);
  }
  return lines.join('\n');
}

export function junitReport(r: CheckReport): string {
  const failures = r.checks.filter(c => FAILURE_STATUSES.has(c.status)).length;
  const errors = r.checks.filter(
    c => !FAILURE_STATUSES.has(c.status) && c.status !== 'passed' && c.status !== 'created' && c.status !== 'updated',
  ).length;
  const suite = `docutray-steps check ${r.stepId}`;
  const counts = [
    attr('tests', r.checks.length),
    attr('failures', failures),
    attr('errors', errors),
    attr('skipped', 0),
  ];
  const out = [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites ${[attr('name', 'docutray-steps'), ...counts, attr('time', seconds(r.durationMs))].join(' ')}>`,
    `  <testsuite ${[attr('name', suite), ...counts, attr('time', seconds(r.durationMs)), attr('timestamp', new Date(r.startedAt).toISOString().replace(/\.\d+Z$/, ''))].join(' ')}>`,
    `    <properties><property ${attr('name', 'stepId')} ${attr('value', r.stepId)}/></properties>`,
  ];
  for (const c of r.checks) {
    const head = `    <testcase ${[attr('name', c.document), attr('classname', r.stepId), attr('file', c.document), attr('time', seconds(c.durationMs))].join(' ')}`;
    if (c.status === 'passed' || c.status === 'created' || c.status === 'updated') {
      out.push(`${head}/>`);
      continue;
    }
    const tag = FAILURE_STATUSES.has(c.status) ? 'failure' : 'error';
    out.push(
      `${head}>`,
      `      <${tag} ${attr('type', c.status)} ${attr('message', failureMessage(c))}>${xmlEscape(failureBody(c))}</${tag}>`,
      '    </testcase>',
    );
  }
  out.push('  </testsuite>', '</testsuites>');
  return `${out.join('\n')}\n`;
}
