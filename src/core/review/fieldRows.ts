/**
 * A result as rows of fields, each with its verdict against the expected result: what the review panel
 * shows beside the document and what the accuracy summary counts. The verdicts come from the one
 * comparison the Testing view and the command line use (`compareResults` with the `docutray.expected.*`
 * settings): a row is `differs`, `missing` or `extra` exactly when that comparison reports a change, a
 * removal or an addition at its path (or at an ancestor of it, for a value whose type changed); every
 * other compared leaf is `equal`. So a panel never disagrees with a failed test.
 *
 * - Rows are leaves (scalars, empty objects and lists), in the result's order; a field only the expected
 *   result has (`missing`) comes after its siblings. An object or list that one side lacks is spread
 *   into its leaves, so `line_items[*].amount` is counted for an added line item too.
 * - Elements of lists the settings pair by a key field are named as the comparison names them
 *   (`line_items[description="Envío"].amount`); the row says which key paired them, or that they were
 *   paired by position.
 * - Without an expected result every row is `unchecked`; a path the settings ignore is `ignored`.
 *
 * Pure: no I/O.
 */
import { compareResults, pairByKey, type CompareOptions, type Difference } from '../expected/compare';
import { formatPath, matchesPattern, type PathSegment } from '../expected/jsonPath';

export type Verdict = 'equal' | 'differs' | 'missing' | 'extra' | 'unchecked' | 'ignored';

/** How the elements of the list above a row were paired with the expected ones. */
export type Pairing = { by: 'key'; field: string } | { by: 'position' };

export interface FieldRow {
  /** The path as the comparison writes it (`line_items[2].amount`). */
  path: string;
  segments: PathSegment[];
  /** The path with every list element written `[*]`: the field across documents. */
  field: string;
  verdict: Verdict;
  /** Present when the result has the field. */
  actual?: unknown;
  hasActual: boolean;
  /** Present when the expected result has the field. */
  expected?: unknown;
  hasExpected: boolean;
  /** For a row inside a list: how that list's elements were paired (the innermost list). */
  pairing?: Pairing;
}

export interface FieldRowsOptions {
  compare?: CompareOptions;
}

const hasOwn = (o: object, k: string) => Object.prototype.hasOwnProperty.call(o, k);
const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isContainer = (v: unknown): v is Record<string, unknown> | unknown[] =>
  typeof v === 'object' && v !== null && Object.keys(v).length > 0;

/** `line_items[*].amount` for `line_items[description="x"].amount` and `line_items[2].amount`. */
export function fieldPattern(segments: readonly PathSegment[]): string {
  return formatPath(segments.map(s => ('key' in s ? s : { anyElement: true as const })));
}

/** The one key of a path: its text. */
const pathKey = (segments: readonly PathSegment[]) => formatPath(segments);

/**
 * The rows of `actual` against `expected` (undefined: no expected result, every row `unchecked`).
 * `differences` may be given when the caller already compared (a check's differences): they must be
 * `compareResults(expected, actual, options.compare)`.
 */
export function fieldRows(
  actual: unknown,
  expected: unknown,
  options: FieldRowsOptions = {},
  differences?: readonly Difference[],
): FieldRow[] {
  const opts = options.compare ?? {};
  const checked = expected !== undefined;
  const diffs = checked ? (differences ?? compareResults(expected, actual, opts)) : [];
  const byPath = new Map<string, Difference>();
  for (const d of diffs) {
    byPath.set(d.path, d);
  }
  const rows: FieldRow[] = [];
  const seen = new Set<string>();
  const ignored = (segments: readonly PathSegment[]) =>
    (opts.ignore ?? []).some(p => matchesPattern(p, segments, { prefix: true }));
  const pairingAt = (segments: readonly PathSegment[]): Pairing => {
    const key = opts.arrayKeys?.find(k => matchesPattern(k.path, segments));
    return key ? { by: 'key', field: key.field } : { by: 'position' };
  };
  const strings = opts.strings ?? 'exact';
  /** Emits one leaf (or a whole value where a difference sits on it). */
  const emit = (
    segments: PathSegment[],
    side: { actual?: unknown; hasActual: boolean; expected?: unknown; hasExpected: boolean },
    verdict: Verdict,
    pairing: Pairing | undefined,
  ) => {
    const path = pathKey(segments);
    if (seen.has(path)) {
      return;
    }
    seen.add(path);
    const row: FieldRow = {
      path,
      segments,
      field: fieldPattern(segments),
      verdict,
      hasActual: side.hasActual,
      hasExpected: side.hasExpected,
    };
    if (side.hasActual) {
      row.actual = side.actual;
    }
    if (side.hasExpected) {
      row.expected = side.expected;
    }
    if (pairing) {
      row.pairing = pairing;
    }
    rows.push(row);
  };

  /** A value only one side has, spread into its leaves with one verdict. */
  const spread = (
    value: unknown,
    segments: PathSegment[],
    which: 'actual' | 'expected',
    verdict: Verdict,
    pairing: Pairing | undefined,
  ) => {
    if (isContainer(value)) {
      if (Array.isArray(value)) {
        const p = pairingAt(segments);
        value.forEach((v, i) => spread(v, [...segments, { index: i }], which, verdict, p));
      } else {
        for (const k of Object.keys(value)) {
          spread(value[k], [...segments, { key: k }], which, verdict, pairing);
        }
      }
      return;
    }
    emit(
      segments,
      which === 'actual'
        ? { actual: value, hasActual: true, hasExpected: false }
        : { expected: value, hasExpected: true, hasActual: false },
      verdict,
      pairing,
    );
  };

  /**
   * Walks both sides as the comparison does, naming elements as it names them. `a`/`e` are present
   * when `hasA`/`hasE`.
   */
  const walk = (
    a: unknown,
    hasA: boolean,
    e: unknown,
    hasE: boolean,
    segments: PathSegment[],
    pairing: Pairing | undefined,
  ): void => {
    const path = pathKey(segments);
    if (checked && ignored(segments)) {
      if (hasA) {
        spread(a, segments, 'actual', 'ignored', pairing);
      }
      return;
    }
    const d = byPath.get(path);
    if (d) {
      if (d.kind === 'added') {
        spread(a, segments, 'actual', 'extra', pairing);
      } else if (d.kind === 'removed') {
        spread(e, segments, 'expected', 'missing', pairing);
      } else {
        emit(segments, { actual: a, hasActual: true, expected: e, hasExpected: true }, 'differs', pairing);
      }
      return;
    }
    if (!checked || !hasE) {
      if (hasA) {
        spread(a, segments, 'actual', checked ? 'extra' : 'unchecked', pairing);
      }
      return;
    }
    if (!hasA) {
      spread(e, segments, 'expected', 'missing', pairing);
      return;
    }
    if (isObject(a) && isObject(e) && Object.keys(a).length + Object.keys(e).length > 0) {
      for (const k of Object.keys(a)) {
        walk(a[k], true, e[k], hasOwn(e, k), [...segments, { key: k }], pairing);
      }
      for (const k of Object.keys(e)) {
        if (!hasOwn(a, k)) {
          walk(undefined, false, e[k], true, [...segments, { key: k }], pairing);
        }
      }
      return;
    }
    if (Array.isArray(a) && Array.isArray(e) && a.length + e.length > 0) {
      lists(a, e, segments);
      return;
    }
    emit(segments, { actual: a, hasActual: true, expected: e, hasExpected: true }, 'equal', pairing);
  };

  const lists = (a: unknown[], e: unknown[], segments: PathSegment[]) => {
    const pairing = pairingAt(segments);
    if (pairing.by === 'position') {
      for (let i = 0; i < Math.max(a.length, e.length); i++) {
        walk(a[i], i < a.length, e[i], i < e.length, [...segments, { index: i }], pairing);
      }
      return;
    }
    // The comparison's own pairing, shown in the result's order; elements only the expected result has after.
    const last = Number.MAX_SAFE_INTEGER;
    const pairs = pairByKey(e, a, pairing.field, strings).sort((x, y) => (x.actual ?? last) - (y.actual ?? last));
    for (const { actual: ia, expected: ie, segment } of pairs) {
      const valueA = ia !== undefined ? a[ia] : undefined;
      const valueE = ie !== undefined ? e[ie] : undefined;
      walk(valueA, ia !== undefined, valueE, ie !== undefined, [...segments, segment], pairing);
    }
  };

  walk(actual, true, expected, checked, [], undefined);
  return rows;
}

/** Counts of a set of rows by verdict. */
export function verdictCounts(rows: readonly FieldRow[]): Record<Verdict, number> {
  const counts: Record<Verdict, number> = { equal: 0, differs: 0, missing: 0, extra: 0, unchecked: 0, ignored: 0 };
  for (const r of rows) {
    counts[r.verdict]++;
  }
  return counts;
}

/** The rows a reviewer steps through with Next/Previous Difference. */
export const isDifference = (r: FieldRow): boolean =>
  r.verdict === 'differs' || r.verdict === 'missing' || r.verdict === 'extra';
