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
import { fieldRows, type Pairing } from './fieldRows';

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
  /** Documents with at least one value of this field not equal, in the order given (the first MAX_NAMED). */
  documents: string[];
  /** How many more documents had a value of this field not equal than `documents` names. */
  moreDocuments?: number;
}

export interface AccuracyReport {
  fields: FieldAccuracy[];
  /** Documents whose results were compared. */
  compared: string[];
  /** Documents that could not be compared (no expected result, no result, another document…), with their status. */
  notCompared: { document: string; status: string }[];
}

/**
 * One document's counts for one field: what a check hands on instead of the results, so a summary of
 * thousands of documents holds no result (a few numbers per field and document, only while handed on).
 */
export interface FieldCount {
  field: string;
  equal: number;
  differs: number;
  missing: number;
  extra: number;
  pairing?: Pairing;
}

/** Documents named per field; the rest are counted (`moreDocuments`). */
export const MAX_NAMED = 100;
/** Distinct fields counted per document (a result with more keys than that is not a form). */
export const MAX_FIELDS = 2000;

export const isCompared = (d: AccuracyDocument): boolean => d.expected !== undefined && d.actual !== undefined;

/**
 * One document's per-field counts, from the rows the panel shows (ignored and unchecked rows left out).
 * `differences` may be the check's own (they must be those of `compareResults(expected, actual, compare)`).
 * At most MAX_FIELDS fields, in the order they come.
 */
export function documentFieldCounts(
  expected: unknown,
  actual: unknown,
  compare?: CompareOptions,
  differences?: readonly Difference[],
): FieldCount[] {
  const byField = new Map<string, FieldCount>();
  for (const r of fieldRows(actual, expected, { compare }, differences)) {
    if (r.verdict === 'ignored' || r.verdict === 'unchecked') {
      continue;
    }
    let f = byField.get(r.field);
    if (!f) {
      if (byField.size >= MAX_FIELDS) {
        continue;
      }
      f = { field: r.field, equal: 0, differs: 0, missing: 0, extra: 0 };
      if (r.pairing) {
        f.pairing = r.pairing;
      }
      byField.set(r.field, f);
    }
    f[r.verdict]++;
  }
  return [...byField.values()];
}

/**
 * Field accuracy added up one document at a time, as a check hands its documents on: it keeps per field
 * only the counts and the first MAX_NAMED documents not equal, never a result. `fieldAccuracy` is this
 * over a list, so the command line's streamed summary and the batch panel's give the same numbers.
 */
export class AccuracyTally {
  private readonly byField = new Map<string, FieldAccuracy>();
  private readonly compared: string[] = [];
  private readonly notCompared: { document: string; status: string }[] = [];

  /** A document compared (its per-field counts), or not compared (`fields` undefined) with its status. */
  add(document: string, status: string, fields: readonly FieldCount[] | undefined): void {
    if (!fields) {
      this.notCompared.push({ document, status });
      return;
    }
    this.compared.push(document);
    for (const c of fields) {
      let f = this.byField.get(c.field);
      if (!f) {
        f = { field: c.field, compared: 0, equal: 0, differs: 0, missing: 0, extra: 0, documents: [] };
        if (c.pairing) {
          f.pairing = c.pairing;
        }
        this.byField.set(c.field, f);
      }
      f.equal += c.equal;
      f.differs += c.differs;
      f.missing += c.missing;
      f.extra += c.extra;
      f.compared += c.equal + c.differs + c.missing + c.extra;
      if (c.differs + c.missing + c.extra > 0) {
        if (f.documents.length < MAX_NAMED) {
          f.documents.push(document);
        } else {
          f.moreDocuments = (f.moreDocuments ?? 0) + 1;
        }
      }
    }
  }

  /** The summary so far, worst first. */
  report(): AccuracyReport {
    return {
      fields: [...this.byField.values()].map(f => ({ ...f, documents: [...f.documents] })).sort(worstFirst),
      compared: [...this.compared],
      notCompared: [...this.notCompared],
    };
  }
}

export function fieldAccuracy(documents: readonly AccuracyDocument[]): AccuracyReport {
  const tally = new AccuracyTally();
  for (const doc of documents) {
    tally.add(
      doc.document,
      doc.status,
      isCompared(doc) ? documentFieldCounts(doc.expected, doc.actual, doc.compare, doc.differences) : undefined,
    );
  }
  return tally.report();
}

/** Documents not equal for a field, named or counted: what "and N more" after the first few named adds up to. */
export const notEqualDocuments = (f: FieldAccuracy): number => f.documents.length + (f.moreDocuments ?? 0);

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
        f.documents.join(' ') + (f.moreDocuments ? ` and ${f.moreDocuments} more` : ''),
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
  /** Title line, Markdown (default "Field accuracy", with the step when given). */
  title?: string;
  /** The step checked, named in the default title. */
  step?: string;
  /** Plain-text lines said under the title (escaped). */
  notes?: readonly string[];
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
  const title = opts.title ?? `Field accuracy${opts.step !== undefined ? ` of step ${mdCode(opts.step)}` : ''}`;
  const out: string[] = [`## ${title}`, ''];
  for (const note of opts.notes ?? []) {
    out.push(mdCell(note), '');
  }
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
    const more =
      notEqualDocuments(f) > max ? ` and ${notEqualDocuments(f) - Math.min(max, f.documents.length)} more` : '';
    out.push(
      `| ${mdCode(f.field)} | ${matchText(f)} | ${bar(f)} | ${f.differs} | ${f.missing} | ${f.extra} | ${mdCell(pairingText(f.pairing))} | ${docs}${more} |`,
    );
  }
}

/** What `--reporter fields` prints: the per-document data in, the Markdown out. */
export function fieldsReportMarkdown(documents: readonly AccuracyDocument[], opts: MarkdownOptions = {}): string {
  return accuracyMarkdown(fieldAccuracy(documents), opts);
}
