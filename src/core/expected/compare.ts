/**
 * Compares a step's result with the expected one, field by field: what changed, what was added and
 * what was removed, each at its JSON path (jsonPath.ts). A field that is `null` and a field that is not
 * there are different things: `{"a": null}` against `{}` is `a` removed.
 *
 * - Numbers are equal within a tolerance: absolute (|e − a| ≤ abs) or relative (|e − a| ≤ rel ×
 *   max(|e|, |a|)), whichever is looser; both 0 (the default) means exactly equal. A number and a
 *   numeric string are different values.
 * - Strings are equal when identical (`exact`, the default); `whitespace` also takes leading and
 *   trailing white space as nothing and any run of it as one space (after Unicode NFC normalisation);
 *   `whitespaceAndCase` also ignores letter case.
 * - Lists are compared element by element by index, or, for the lists the options name, by a key field:
 *   line items matched by `description`, so a reordered list is no difference at all and one changed
 *   item is reported at `line_items[description="…"]`. An element whose key repeats is matched with the
 *   same occurrence on the other side (`#2`); elements without the key are matched by their order
 *   among themselves.
 * - Ignored paths leave out the field and everything below it.
 *
 * Pure: no I/O, no clock. Linear in the size of the two results (times the patterns' lengths), and
 * iterative: no depth of result reaches the call stack's limit.
 */
import {
  formatPath,
  type KeyValue,
  type PathSegment,
  type PatternSegment,
  type PatternStates,
  parsePattern,
  patternAccepts,
  patternStart,
  patternStep,
} from './jsonPath';

export type StringComparison = 'exact' | 'whitespace' | 'whitespaceAndCase';
export const STRING_COMPARISONS: readonly StringComparison[] = ['exact', 'whitespace', 'whitespaceAndCase'];

export interface ArrayKey {
  /** The lists this applies to (a pattern: `line_items`, `pages[*].lines`). */
  path: readonly PatternSegment[];
  /** The member of each element that identifies it. */
  field: string;
}

export interface CompareOptions {
  /** Numbers within this absolute difference are equal (default 0). */
  absoluteTolerance?: number;
  /** Numbers within this fraction of the larger magnitude are equal (default 0). */
  relativeTolerance?: number;
  strings?: StringComparison;
  /** Paths (patterns) left out of the comparison, with everything below them. */
  ignore?: readonly (readonly PatternSegment[])[];
  /** Lists matched by a key field instead of by index. The first whose path matches wins. */
  arrayKeys?: readonly ArrayKey[];
}

export type DifferenceKind = 'changed' | 'added' | 'removed';

export interface Difference {
  kind: DifferenceKind;
  /** The path as text (`line_items[2].amount`). */
  path: string;
  segments: PathSegment[];
  /** The expected value; absent when `added`. */
  expected?: unknown;
  /** The actual value; absent when `removed`. */
  actual?: unknown;
}

type JsonType = 'null' | 'array' | 'object' | 'number' | 'string' | 'boolean' | 'other';

function typeOf(v: unknown): JsonType {
  if (v === null) {
    return 'null';
  }
  if (Array.isArray(v)) {
    return 'array';
  }
  const t = typeof v;
  return t === 'object' || t === 'number' || t === 'string' || t === 'boolean' ? t : 'other';
}

const hasOwn = (o: object, k: string) => Object.prototype.hasOwnProperty.call(o, k);

/** Parses the patterns of {@link CompareOptions.ignore} from text; throws PathSyntaxError. */
export function ignorePatterns(paths: readonly string[]): PatternSegment[][] {
  return paths.map(p => parsePattern(p));
}

export function compareResults(expected: unknown, actual: unknown, opts: CompareOptions = {}): Difference[] {
  return new Comparison(opts).run(expected, actual);
}

/** A path as a chain up to the root: a child costs one link, not a copy of its parent's path. */
interface PathLink {
  parent: PathLink | undefined;
  segment: PathSegment;
}

function segmentsOf(link: PathLink | undefined): PathSegment[] {
  const out: PathSegment[] = [];
  for (let l = link; l; l = l.parent) {
    out.push(l.segment);
  }
  return out.reverse();
}

/**
 * One pair of values to compare: either side may be absent (added, removed). `ignore` and `keys` are
 * where each ignore pattern and each keyed-list pattern stands at this path (jsonPath's state sets).
 */
interface Pair {
  e: unknown;
  a: unknown;
  hasE: boolean;
  hasA: boolean;
  path: PathLink | undefined;
  ignore: PatternStates[];
  keys: PatternStates[];
}

/**
 * The walk keeps its own stack of pairs still to compare (children pushed in reverse, so differences
 * come out in document order): a result thousands of levels deep does not reach the call stack's limit.
 */
class Comparison {
  private readonly out: Difference[] = [];
  private readonly abs: number;
  private readonly rel: number;
  private readonly strings: StringComparison;
  private readonly ignore: readonly (readonly PatternSegment[])[];
  private readonly arrayKeys: readonly ArrayKey[];

  constructor(opts: CompareOptions) {
    this.abs = Math.max(0, opts.absoluteTolerance ?? 0);
    this.rel = Math.max(0, opts.relativeTolerance ?? 0);
    this.strings = opts.strings ?? 'exact';
    this.ignore = opts.ignore ?? [];
    this.arrayKeys = opts.arrayKeys ?? [];
  }

  run(expected: unknown, actual: unknown): Difference[] {
    const stack: Pair[] = [
      {
        e: expected,
        a: actual,
        hasE: true,
        hasA: true,
        path: undefined,
        ignore: this.ignore.map(p => patternStart(p)),
        keys: this.arrayKeys.map(k => patternStart(k.path)),
      },
    ];
    for (let pair = stack.pop(); pair; pair = stack.pop()) {
      this.visit(pair, stack);
    }
    return this.out;
  }

  /** The pair one segment below `parent`. */
  private child(parent: Pair, segment: PathSegment, e: unknown, a: unknown, hasE: boolean, hasA: boolean): Pair {
    return {
      e,
      a,
      hasE,
      hasA,
      path: { parent: parent.path, segment },
      ignore: parent.ignore.map((states, i) => patternStep(this.ignore[i], states, segment)),
      keys: parent.keys.map((states, i) => patternStep(this.arrayKeys[i].path, states, segment)),
    };
  }

  private report(kind: DifferenceKind, link: PathLink | undefined, e: unknown, a: unknown): void {
    const segments = segmentsOf(link);
    const d: Difference = { kind, path: formatPath(segments), segments };
    if (kind !== 'added') {
      d.expected = e;
    }
    if (kind !== 'removed') {
      d.actual = a;
    }
    this.out.push(d);
  }

  private visit(pair: Pair, stack: Pair[]): void {
    // An ignored path (or an ancestor: a pattern that matched above stops the walk there) is left out.
    if (pair.ignore.some((states, i) => patternAccepts(this.ignore[i], states))) {
      return;
    }
    const { e, a, path } = pair;
    if (!pair.hasE) {
      this.report('added', path, undefined, a);
      return;
    }
    if (!pair.hasA) {
      this.report('removed', path, e, undefined);
      return;
    }
    const te = typeOf(e);
    const ta = typeOf(a);
    if (te !== ta) {
      this.report('changed', path, e, a);
      return;
    }
    let children: Pair[];
    switch (te) {
      case 'object':
        children = this.objects(pair, e as Record<string, unknown>, a as Record<string, unknown>);
        break;
      case 'array':
        children = this.arrays(pair, e as unknown[], a as unknown[]);
        break;
      default:
        if (!this.scalarsEqual(e, a)) {
          this.report('changed', path, e, a);
        }
        return;
    }
    for (let i = children.length - 1; i >= 0; i--) {
      stack.push(children[i]);
    }
  }

  private objects(pair: Pair, e: Record<string, unknown>, a: Record<string, unknown>): Pair[] {
    const out: Pair[] = [];
    for (const k of Object.keys(e)) {
      const inA = hasOwn(a, k);
      out.push(this.child(pair, { key: k }, e[k], inA ? a[k] : undefined, true, inA));
    }
    for (const k of Object.keys(a)) {
      if (!hasOwn(e, k)) {
        out.push(this.child(pair, { key: k }, undefined, a[k], false, true));
      }
    }
    return out;
  }

  private arrays(pair: Pair, e: unknown[], a: unknown[]): Pair[] {
    const key = this.arrayKeys.find((k, i) => patternAccepts(k.path, pair.keys[i]));
    if (key) {
      return this.keyedArrays(pair, e, a, key.field);
    }
    const out: Pair[] = [];
    for (let i = 0; i < Math.max(e.length, a.length); i++) {
      out.push(this.element(pair, e, a, i, i, { index: i }));
    }
    return out;
  }

  /** One pair of elements (an index past the end: added or removed). */
  private element(pair: Pair, e: unknown[], a: unknown[], ie: number, ia: number, segment: PathSegment): Pair {
    const hasE = ie < e.length;
    const hasA = ia < a.length;
    return this.child(pair, segment, hasE ? e[ie] : undefined, hasA ? a[ia] : undefined, hasE, hasA);
  }

  private keyedArrays(pair: Pair, e: unknown[], a: unknown[], field: string): Pair[] {
    return pairByKey(e, a, field, this.strings).map(p =>
      this.element(pair, e, a, p.expected ?? Infinity, p.actual ?? Infinity, p.segment),
    );
  }

  private scalarsEqual(e: unknown, a: unknown): boolean {
    if (typeof e === 'number' && typeof a === 'number') {
      if (e === a) {
        return true;
      }
      const diff = Math.abs(e - a);
      return diff <= this.abs || diff <= this.rel * Math.max(Math.abs(e), Math.abs(a));
    }
    if (typeof e === 'string' && typeof a === 'string') {
      return e === a || normalizeString(e, this.strings) === normalizeString(a, this.strings);
    }
    return e === a;
  }
}

/** A string as `strings` compares it. */
export function normalizeString(s: string, strings: StringComparison): string {
  if (strings === 'exact') {
    return s;
  }
  const spaced = s.normalize('NFC').trim().replace(/\s+/gu, ' ');
  return strings === 'whitespaceAndCase' ? spaced.toLowerCase() : spaced;
}

/** Two elements the comparison pairs in a keyed list: the name it gives them, and each side's index (absent: that side lacks it). */
export interface ElementPair {
  segment: PathSegment;
  expected?: number;
  actual?: number;
}

/**
 * The elements of two lists paired by their `field` (string keys compared as `strings` says): the expected
 * side's keys in order, then the keys only the result has. A key that repeats pairs its occurrences in order
 * (`#2`); elements without the key pair by their order among themselves, named by their index.
 */
export function pairByKey(e: unknown[], a: unknown[], field: string, strings: StringComparison): ElementPair[] {
  const out: ElementPair[] = [];
  const ge = groupByKey(e, field, strings);
  const ga = groupByKey(a, field, strings);
  const side = (indexes: readonly number[], n: number) => (n < indexes.length ? indexes[n] : undefined);
  const keys = [...ge.keyed.keys(), ...[...ga.keyed.keys()].filter(k => !ge.keyed.has(k))];
  for (const k of keys) {
    const ie = ge.keyed.get(k) ?? [];
    const ia = ga.keyed.get(k) ?? [];
    const repeated = ie.length > 1 || ia.length > 1;
    for (let n = 0; n < Math.max(ie.length, ia.length); n++) {
      // Named by the expected side's key value when it has one.
      const sample = n < ie.length ? e[ie[n]] : a[ia[n]];
      const value = (sample as Record<string, unknown>)[field] as KeyValue;
      const segment: PathSegment = repeated ? { field, value, occurrence: n + 1 } : { field, value };
      out.push({ segment, expected: side(ie, n), actual: side(ia, n) });
    }
  }
  const ue = ge.unkeyed;
  const ua = ga.unkeyed;
  for (let n = 0; n < Math.max(ue.length, ua.length); n++) {
    out.push({ segment: { index: n < ue.length ? ue[n] : ua[n] }, expected: side(ue, n), actual: side(ua, n) });
  }
  return out;
}

/** Element indexes by the canonical text of their key (in order), and those without one. */
function groupByKey(
  list: unknown[],
  field: string,
  strings: StringComparison,
): { keyed: Map<string, number[]>; unkeyed: number[] } {
  const keyed = new Map<string, number[]>();
  const unkeyed: number[] = [];
  list.forEach((item, i) => {
    const v =
      typeOf(item) === 'object' && hasOwn(item as object, field) ? (item as Record<string, unknown>)[field] : undefined;
    const t = typeOf(v);
    if (t === 'string' || t === 'number' || t === 'boolean' || t === 'null') {
      const k = `${t}:${t === 'string' ? normalizeString(v as string, strings) : String(v)}`;
      const at = keyed.get(k);
      if (at) {
        at.push(i);
      } else {
        keyed.set(k, [i]);
      }
    } else {
      unkeyed.push(i);
    }
  });
  return { keyed, unkeyed };
}
