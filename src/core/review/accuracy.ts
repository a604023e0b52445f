/**
 * Field accuracy across documents: for each field (`vendor.name`, `line_items[*].amount`), how many
 * values were compared and how many were equal, differed, were missing (expected, not extracted) or extra
 * (extracted, not expected) — the counts of `fieldRows`, so the batch panel's summary, the CSV and
 * Markdown exports and `docutray-steps check --reporter fields` give the same numbers as the Testing view.
 *
 * A field of a list counts one value per list element (a document with 3 line items adds 3 to
 * `line_items[*].amount`); the row says how that list was paired (by which key, or by position). Both
 * sides lacking a field counts nothing. Rates are written "47 of 50", never as a bare percentage. Worst
 * first: lowest share equal, then most values compared, then the path.
 *
 * Pure: no I/O.
 */
import type { CompareOptions, Difference } from '../expected/compare';
import { fieldRows, type FieldRow, type Pairing } from './fieldRows';

/** One document of the set: its expected and actual results when the check could compare them. */
export interface AccuracyDocument {
  /** Workspace-relative, `/`-separated. */
  document: string;
  /** The check's status (`passed`, `failed`, `missing`, …). */
  status: string;
  /** Both present when the document was compared (`passed` / `failed`). */
  expected?: unknown;
  actual?: unknown;
  /** The check's own differences, when known (must be those of `compare`). */
  differences?: readonly Difference[];
  compare?: CompareOptions;
}

export interface FieldAccuracy {
  /** `line_items[*].amount`. */
  field: string;
  compared: number;
  equal: number;
  differs: number;
  missing: number;
  extra: number;
  /** How the innermost list above the field was paired; absent for fields outside lists. */
  pairing?: Pairing;
  /** Documents with at least one value of this field not equal, in the order given. */
  documents: string[];
}

export interface AccuracyReport {
  fields: FieldAccuracy[];
  /** Documents whose results were compared. */
  compared: string[];
  /** Documents that could not be compared (no expected result, no result, another document…), with their status. */
  notCompared: { document: string; status: string }[];
}

export const isCompared = (d: AccuracyDocument): boolean => d.expected !== undefined && d.actual !== undefined;

export function fieldAccuracy(documents: readonly AccuracyDocument[]): AccuracyReport {
  const byField = new Map<string, FieldAccuracy>();
  const report: AccuracyReport = { fields: [], compared: [], notCompared: [] };
  for (const doc of documents) {
    if (!isCompared(doc)) {
      report.notCompared.push({ document: doc.document, status: doc.status });
      continue;
    }
    report.compared.push(doc.document);
    const rows = fieldRows(doc.actual, doc.expected, { compare: doc.compare }, doc.differences);
    addRows(byField, doc.document, rows);
  }
  report.fields = [...byField.values()].sort(worstFirst);
  return report;
}

function addRows(byField: Map<string, FieldAccuracy>, document: string, rows: readonly FieldRow[]): void {
  for (const r of rows) {
    if (r.verdict === 'ignored' || r.verdict === 'unchecked') {
      continue;
    }
    let f = byField.get(r.field);
    if (!f) {
      f = { field: r.field, compared: 0, equal: 0, differs: 0, missing: 0, extra: 0, documents: [] };
      if (r.pairing) {
        f.pairing = r.pairing;
      }
      byField.set(r.field, f);
    }
    f.compared++;
    f[r.verdict]++;
    if (r.verdict !== 'equal' && f.documents[f.documents.length - 1] !== document) {
      f.documents.push(document);
    }
  }
}

function worstFirst(a: FieldAccuracy, b: FieldAccuracy): number {
  // a.equal / a.compared < b.equal / b.compared, without division.
  const share = a.equal * b.compared - b.equal * a.compared;
  if (share !== 0) {
    return share;
  }
  if (a.compared !== b.compared) {
    return b.compared - a.compared;
  }
  return a.field < b.field ? -1 : a.field > b.field ? 1 : 0;
}

/** "47 of 50". */
export const matchText = (f: FieldAccuracy): string => `${f.equal} of ${f.compared}`;

/** "by description" / "by position" / "" for a field outside lists. */
export function pairingText(p: Pairing | undefined): string {
  return !p ? '' : p.by === 'key' ? `by ${p.field}` : 'by position';
}

const CSV_HEADER = ['field', 'compared', 'equal', 'differs', 'missing', 'extra', 'match', 'lists paired', 'documents'];

function csvCell(v: string | number): string {
  let s = String(v);
  // A field name is data from a document: it must not become a spreadsheet formula.
  if (/^[=+\-@\t\r]/.test(s)) {
    s = `'${s}`;
  }
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** RFC 4180 (CRLF line ends), one row per field, worst first. */
export function accuracyCsv(report: AccuracyReport): string {
  const lines = [CSV_HEADER.join(',')];
  for (const f of report.fields) {
    lines.push(
      [
        f.field,
        f.compared,
        f.equal,
        f.differs,
        f.missing,
        f.extra,
        matchText(f),
        pairingText(f.pairing),
        f.documents.join(' '),
      ]
        .map(csvCell)
        .join(','),
    );
  }
  return `${lines.join('\r\n')}\r\n`;
}

/** Text inside a Markdown table cell: no pipes, no line breaks, no HTML, code spans kept closed. */
function mdCell(s: string): string {
  return s
    .replace(/\\/g, '\\\\')
    .replace(/\|/g, '\\|')
    .replace(/[\r\n]+/g, ' ')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;');
}

/** A path as inline code, with enough backticks around it that one inside does not end it. */
function mdCode(s: string): string {
  const longest = Math.max(0, ...(s.match(/`+/g) ?? []).map(r => r.length));
  const fence = '`'.repeat(longest + 1);
  const pad = s.startsWith('`') || s.endsWith('`') ? ' ' : '';
  return `${fence}${pad}${mdCell(s)}${pad}${fence}`;
}

/** A text bar of `width` cells for a share equal, for readers of the plain Markdown. */
function bar(f: FieldAccuracy, width = 10): string {
  const full = f.compared ? Math.round((f.equal / f.compared) * width) : 0;
  return `${'█'.repeat(full)}${'░'.repeat(width - full)}`;
}

export interface MarkdownOptions {
  /** Title line (default "Field accuracy"). */
  title?: string;
  /** Most differing documents named per field; the rest are counted (default 5). */
  maxDocuments?: number;
}

/**
 * The summary as GitHub-flavoured Markdown, for a CI job summary (`--reporter fields`): a heading, one
 * line on what was compared, and a table worst first. Paths and document names are data: escaped.
 */
export function accuracyMarkdown(report: AccuracyReport, opts: MarkdownOptions = {}): string {
  const max = opts.maxDocuments ?? 5;
  const n = report.compared.length;
  const out: string[] = [`## ${opts.title ?? 'Field accuracy'}`, ''];
  out.push(
    `${n} document${n === 1 ? '' : 's'} compared` +
      (report.notCompared.length ? `, ${report.notCompared.length} not compared` : '') +
      '. Each value of a list field counts once; "both absent" is not counted.',
  );
  out.push('');
  if (report.fields.length === 0) {
    out.push('No fields were compared.');
  } else {
    table(report, max, out);
  }
  if (report.notCompared.length) {
    out.push('');
    out.push('Not compared:');
    out.push('');
    for (const d of report.notCompared.slice(0, 20)) {
      out.push(`- ${mdCode(d.document)}: ${mdCell(d.status)}`);
    }
    if (report.notCompared.length > 20) {
      out.push(`- and ${report.notCompared.length - 20} more`);
    }
  }
  return `${out.join('\n')}\n`;
}

function table(report: AccuracyReport, max: number, out: string[]): void {
  out.push('| Field | Equal | | Differs | Missing | Extra | Lists paired | Documents not equal |');
  out.push('| --- | ---: | --- | ---: | ---: | ---: | --- | --- |');
  for (const f of report.fields) {
    const docs = f.documents.slice(0, max).map(mdCode).join(', ');
    const more = f.documents.length > max ? ` and ${f.documents.length - max} more` : '';
    out.push(
      `| ${mdCode(f.field)} | ${matchText(f)} | ${bar(f)} | ${f.differs} | ${f.missing} | ${f.extra} | ${mdCell(pairingText(f.pairing))} | ${docs}${more} |`,
    );
  }
}

/** What `--reporter fields` prints: the per-document data in, the Markdown out. */
export function fieldsReportMarkdown(documents: readonly AccuracyDocument[], opts: MarkdownOptions = {}): string {
  return accuracyMarkdown(fieldAccuracy(documents), opts);
}
