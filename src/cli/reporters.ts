/**
 * The reports of `docutray-steps check`: `pretty` for people (each document's status; for a
 * difference its path with expected -> actual), `json` for scripts (everything, values as JSON), and
 * `junit` for CI systems (one <testcase> per document; a <failure> naming the paths that differ with
 * their values, at the expected file's changed line, an <error> when the step gave no result).
 *
 * and `fields` for a CI job summary (per field: compared, equal, differs, missing, extra, worst first, as
 * Markdown from the core's field accuracy, the numbers the editor shows).
 *
 * A check hands each document to the reporters as soon as it is final (`onCheck`) and keeps of it only
 * what a report line shows (`keptForReport`: its name, status and ids, at most MAX_KEPT changed paths with
 * values cut to MAX_VALUE_CHARS, copied so that nothing of a result stays reachable), so a check of
 * thousands of documents with results of megabytes holds a few kilobytes per document. A reporter that
 * needs more takes it in its own `onCheck` and keeps only counts (`fields` gets each document's per-field
 * counts there); adding one is one more entry of REPORTERS.
 */
import type { CheckStatus, DocumentCheck, LocatedDifference } from '../core/expected/check';
import { AccuracyTally, accuracyMarkdown, type FieldCount } from '../core/review/accuracy';
import type { Reporter } from './args';
import { shortJson, terminalText } from './text';

/** An expected file whose document is gone (listed in every report, removed by --update). */
export interface ObsoleteFile {
  expectedFile: string;
  removed: boolean;
  /** Why it could not be removed. */
  error?: string;
}

/** A difference as a report keeps it: path, kind, line and cut values, not the path's segments. */
export type KeptDifference = Omit<LocatedDifference, 'segments'>;

/** A document's check as a report keeps it (see `keptForReport`). */
export type KeptCheck = Omit<DocumentCheck, 'differences' | 'unusable'> & { differences?: KeptDifference[] };

export interface CheckReport {
  stepId: string;
  update: boolean;
  checks: KeptCheck[];
  exitCode: number;
  /** Expected files of this step whose document is gone. */
  obsolete?: ObsoleteFile[];
  /** Why the check stopped before every document was done (the quota, a rate limit, Ctrl-C…). */
  stopped?: string;
  /** Documents read from executions an earlier run started and billed, not started again. */
  earlier?: number;
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
  billed: 'BILLED',
  notRun: 'NOT STARTED',
  checkError: 'ERROR',
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
  billed: 'started and billed, result not read yet',
  notRun: 'not started',
  checkError: 'could not be compared or recorded',
};

/** Failures: the step gave a result (or a check could not start) and it is not the expected one. */
const FAILURE_STATUSES: ReadonlySet<CheckStatus> = new Set(['failed', 'missing', 'documentChanged', 'invalidExpected']);

/** Most differences listed for one document; the rest are counted. */
const MAX_LISTED = 50;
/**
 * Most differences a check keeps per document for its report (the rest are counted): a report of
 * thousands of documents keeps them all to the end.
 */
export const MAX_KEPT = 10;
/**
 * Most differences kept for a report in all: past them a document keeps its first one (and its count),
 * so memory stays about constant per document however many documents differ.
 */
export const MAX_KEPT_IN_ALL = 10_000;
/** Longest value (characters of JSON) a report keeps; a longer one is cut. */
export const MAX_VALUE_CHARS = 200;

/**
 * The start of a value's JSON, at most `max` characters, and whether that is all of it: built piece by
 * piece and stopped at `max`, so a value of megabytes is never written out whole (nor is a deep one
 * recursed into).
 */
export function boundedJson(value: unknown, max: number): { text: string; whole: boolean } {
  let out = '';
  type Frame = { kind: 'value'; v: unknown } | { kind: 'text'; t: string };
  const stack: Frame[] = [{ kind: 'value', v: value }];
  while (stack.length) {
    if (out.length > max) {
      return { text: out.slice(0, max), whole: false };
    }
    const f = stack.pop() as Frame;
    if (f.kind === 'text') {
      out += f.t;
      continue;
    }
    const v = f.v;
    if (v === null || typeof v !== 'object') {
      const t = JSON.stringify(v) ?? 'null';
      out += t.length > max ? t.slice(0, max + 1) : t;
      continue;
    }
    const items: Frame[] = [];
    if (Array.isArray(v)) {
      items.push({ kind: 'text', t: '[' });
      v.forEach((x, i) => items.push(...(i ? [{ kind: 'text' as const, t: ',' }] : []), { kind: 'value', v: x }));
      items.push({ kind: 'text', t: ']' });
    } else {
      items.push({ kind: 'text', t: '{' });
      Object.keys(v).forEach((k, i) =>
        items.push(
          { kind: 'text', t: `${i ? ',' : ''}${JSON.stringify(k)}:` },
          { kind: 'value', v: (v as Record<string, unknown>)[k] },
        ),
      );
      items.push({ kind: 'text', t: '}' });
    }
    for (let i = items.length - 1; i >= 0; i--) {
      stack.push(items[i]);
    }
  }
  return out.length > max ? { text: out.slice(0, max), whole: false } : { text: out, whole: true };
}

/** A fresh copy of a short string: a cut of a long one would keep the long one alive (V8 slices share it). */
const copied = (t: string): string => JSON.parse(JSON.stringify(t)) as string;

function keptValue(v: unknown): unknown {
  if (v === null || typeof v !== 'object') {
    return typeof v === 'string' ? copied(v.length > MAX_VALUE_CHARS ? `${v.slice(0, MAX_VALUE_CHARS)}…` : v) : v;
  }
  const json = boundedJson(v, MAX_VALUE_CHARS);
  // Read back from its text: a small copy, nothing shared with the result.
  return json.whole
    ? JSON.parse(json.text)
    : copied(`${json.text}… (cut: longer than ${MAX_VALUE_CHARS} characters of JSON)`);
}

/**
 * What a report keeps of a document's check: at most MAX_KEPT differences (the rest counted) as path,
 * kind, line and values cut to MAX_VALUE_CHARS, copied; nothing else of the results.
 */
export function keptForReport(c: DocumentCheck, max = MAX_KEPT): KeptCheck {
  // eslint-disable-next-line @typescript-eslint/no-unused-vars
  const { differences, unusable, ...rest } = c;
  if (!differences) {
    return rest;
  }
  return {
    ...rest,
    differenceCount: c.differenceCount ?? differences.length,
    differences: differences.slice(0, max).map(d => {
      const kept: KeptDifference = { kind: d.kind, path: copied(d.path) };
      if (d.line !== undefined) {
        kept.line = d.line;
      }
      if ('expected' in d) {
        kept.expected = keptValue(d.expected);
      }
      if ('actual' in d) {
        kept.actual = keptValue(d.actual);
      }
      return kept;
    }),
  };
}

/** The checks a report is written from, each kept small, in the order they came (see MAX_KEPT_IN_ALL). */
export class KeptChecks {
  readonly checks: KeptCheck[] = [];
  private listed = 0;

  constructor(private readonly inAll = MAX_KEPT_IN_ALL) {}

  add(c: DocumentCheck): void {
    const kept = keptForReport(c, this.listed < this.inAll ? MAX_KEPT : 1);
    this.listed += kept.differences?.length ?? 0;
    this.checks.push(kept);
  }
}

const differenceTotal = (c: KeptCheck) => c.differenceCount ?? c.differences?.length ?? 0;

export function summaryLine(checks: readonly KeptCheck[]): string {
  const counts = new Map<CheckStatus, number>();
  for (const c of checks) {
    counts.set(c.status, (counts.get(c.status) ?? 0) + 1);
  }
  const parts = (Object.keys(STATUS_LABEL) as CheckStatus[])
    .filter(s => counts.has(s))
    .map(s => `${counts.get(s)} ${s === 'failed' && counts.get(s) === 1 ? 'differs' : SUMMARY_WORDS[s]}`);
  return `${checks.length} document${checks.length === 1 ? '' : 's'}: ${parts.join(', ') || 'none'}`;
}

/** "1 field differs", "2 fields differ". */
function fieldsDiffer(n: number): string {
  return n === 1 ? '1 field differs' : `${n} fields differ`;
}

function differenceLine(d: KeptDifference, value: (v: unknown) => string): string {
  const e = d.kind === 'added' ? '(missing)' : value(d.expected);
  const a = d.kind === 'removed' ? '(missing)' : value(d.actual);
  return `${d.path}: ${e} -> ${a}${d.line !== undefined ? ` (line ${d.line})` : ''}`;
}

/** Why a document did not pass, with what to do about it. */
function explanation(c: KeptCheck): string | undefined {
  switch (c.status) {
    case 'passed':
      return undefined;
    case 'failed':
      return `${fieldsDiffer(differenceTotal(c))} from ${c.expectedFile}`;
    case 'billed':
      return `${c.message}${c.message?.includes('next') ? '' : ': run the check again to read it'}`;
    case 'notRun':
      return `${c.message ?? 'not started'}: nothing was sent for it`;
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
    if (differenceTotal(c) > Math.min(diffs.length, MAX_LISTED)) {
      lines.push(`${' '.repeat(width + 4)}… and ${differenceTotal(c) - Math.min(diffs.length, MAX_LISTED)} more`);
    }
  }
  for (const o of r.obsolete ?? []) {
    lines.push(`${(o.removed ? 'REMOVED' : 'OBSOLETE').padEnd(width)}  ${terminalText(obsoleteLine(o))}`);
  }
  lines.push('', `${summaryLine(r.checks)} (step ${terminalText(r.stepId)}, ${(r.durationMs / 1000).toFixed(1)} s)`);
  for (const note of reportNotes(r)) {
    lines.push(terminalText(note));
  }
  return `${lines.join('\n')}\n`;
}

function obsoleteLine(o: ObsoleteFile): string {
  return o.removed
    ? `${o.expectedFile}  its document is gone: removed`
    : o.error
      ? `${o.expectedFile}  its document is gone; it could not be removed: ${o.error}`
      : `${o.expectedFile}  its document is gone: remove it, or run with --update`;
}

/** What a report says under its documents: why it stopped, what was read from earlier starts. */
export function reportNotes(r: CheckReport): string[] {
  const notes: string[] = [];
  if (r.earlier) {
    notes.push(
      `${r.earlier} document${r.earlier === 1 ? '' : 's'} billed earlier ${r.earlier === 1 ? 'was' : 'were'} read, not run again.`,
    );
  }
  const billed = r.checks.filter(c => c.status === 'billed').length;
  if (billed) {
    notes.push(
      `${billed} document${billed === 1 ? ' was' : 's were'} started and billed, result not read yet: the next check reads ${billed === 1 ? 'it' : 'them'} without starting ${billed === 1 ? 'it' : 'them'} again.`,
    );
  }
  if (r.stopped) {
    notes.push(`Stopped: ${r.stopped}`);
  }
  return notes;
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
    complete: r.stopped === undefined,
    stopped: r.stopped,
    earlier: r.earlier ?? 0,
    summary: { documents: r.checks.length, ...counts },
    obsolete: r.obsolete ?? [],
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
      earlier: c.earlier,
      differenceCount: c.differences ? differenceTotal(c) : undefined,
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

function failureMessage(c: KeptCheck): string {
  if (c.status === 'failed') {
    const total = differenceTotal(c);
    const listed = (c.differences ?? [])
      .slice(0, 10)
      .map(d => differenceLine({ ...d, line: undefined }, v => shortJson(v, 60)));
    return `${fieldsDiffer(total)} in ${c.expectedFile}: ${listed.join('; ')}${total > listed.length ? `; and ${total - listed.length} more` : ''}`;
  }
  return explanation(c) ?? STATUS_LABEL[c.status];
}

function failureBody(c: KeptCheck): string {
  const lines = [`${STATUS_LABEL[c.status]} ${c.document}`, `expected file: ${c.expectedFile}`];
  for (const d of c.differences ?? []) {
    lines.push(differenceLine(d, v => JSON.stringify(v) ?? 'undefined'));
  }
  if (differenceTotal(c) > (c.differences?.length ?? 0)) {
    lines.push(`… and ${differenceTotal(c) - (c.differences?.length ?? 0)} more`);
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
    `    <properties>`,
    `      <property ${attr('name', 'stepId')} ${attr('value', r.stepId)}/>`,
    `      <property ${attr('name', 'complete')} ${attr('value', String(r.stopped === undefined))}/>`,
    ...(r.obsolete ?? []).map(
      o =>
        `      <property ${attr('name', o.removed ? 'removedExpectedFile' : 'obsoleteExpectedFile')} ${attr('value', o.expectedFile)}/>`,
    ),
    `    </properties>`,
  ];
  for (const c of r.checks) {
    // A failure points at the expected file's first changed line: GitHub and GitLab annotate it there.
    const line = c.status === 'failed' ? c.differences?.find(d => d.line !== undefined)?.line : undefined;
    const file = c.status === 'failed' ? c.expectedFile : c.document;
    const head = `    <testcase ${[attr('name', c.document), attr('classname', r.stepId), attr('file', file), ...(line !== undefined ? [attr('line', line)] : []), attr('time', seconds(c.durationMs))].join(' ')}`;
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
  const notes = [...(r.obsolete ?? []).map(obsoleteLine), ...reportNotes(r)];
  if (notes.length) {
    out.push(`    <system-out>${xmlEscape(notes.join('\n'))}</system-out>`);
  }
  out.push('  </testsuite>', '</testsuites>');
  return `${out.join('\n')}\n`;
}

/**
 * The `fields` report: field accuracy added up as documents come (counts only), as Markdown for a CI
 * job summary. A document compared counts per field; the others are listed as not compared.
 */
export function fieldsReporter(): CheckReporter {
  const tally = new AccuracyTally();
  return {
    wantsFields: true,
    onCheck: (c, fields) => tally.add(c.document, c.status, fields),
    render: r =>
      accuracyMarkdown(tally.report(), {
        step: r.stepId,
        notes: [
          ...(r.stopped ? [`Incomplete: ${r.stopped}`] : []),
          ...(r.update ? ['Counted against the expected results as they were before this update.'] : []),
        ],
      }),
  };
}

/** A report: handed each document's check as it comes (optional), then rendered once at the end. */
export interface CheckReporter {
  /** Needs each compared document's per-field counts in `onCheck`. */
  wantsFields?: boolean;
  /** `fields`: the document's per-field counts, when it was compared and they were asked for. */
  onCheck?(check: DocumentCheck, fields: readonly FieldCount[] | undefined): void;
  render(report: CheckReport): string;
}

/** The reporters `--reporter` names. One more is one more entry. */
export const REPORTERS: Record<Reporter, () => CheckReporter> = {
  pretty: () => ({ render: prettyReport }),
  json: () => ({ render: jsonReport }),
  junit: () => ({ render: junitReport }),
  fields: fieldsReporter,
};
