/**
 * Accept one field of a result into its expected result, or write a corrected value there: the new
 * expected result, with only that path changed. What the review panel's Accept Field and Edit Value…
 * write (the glue writes the canonical file through a WorkspaceEdit, so Undo works).
 *
 * What one field is, in a list:
 * - a list paired by a key field (`docutray.expected.arrayKeys`): its elements are matched by key, so
 *   one element's field can be written alone; an element the expected result lacks is added whole, and
 *   an element the result lacks is removed whole;
 * - a list paired by position: element 2 of the result is not necessarily element 2 of the expected
 *   one, so the whole list is accepted at once (never half of a reordered list).
 *
 * Pure: no I/O. The inputs are not changed.
 */
import type { CompareOptions } from '../expected/compare';
import { formatPath, matchesPattern, type KeyValue, type PathSegment } from '../expected/jsonPath';

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const hasOwn = (o: object, k: string) => Object.prototype.hasOwnProperty.call(o, k);

export class AcceptFieldError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'AcceptFieldError';
  }
}

function keyEquals(a: unknown, b: KeyValue, strings: CompareOptions['strings']): boolean {
  if (typeof a === 'string' && typeof b === 'string' && strings && strings !== 'exact') {
    const n = (s: string) => {
      const spaced = s.normalize('NFC').trim().replace(/\s+/gu, ' ');
      return strings === 'whitespaceAndCase' ? spaced.toLowerCase() : spaced;
    };
    return n(a) === n(b);
  }
  return Object.is(a, b);
}

/** The index of the element a keyed segment names in a list, or -1. */
function keyedIndex(
  list: unknown[],
  s: { field: string; value: KeyValue; occurrence?: number },
  strings: CompareOptions['strings'],
): number {
  let n = 0;
  for (let i = 0; i < list.length; i++) {
    const item = list[i];
    if (isObject(item) && hasOwn(item, s.field) && keyEquals(item[s.field], s.value, strings)) {
      if (++n === (s.occurrence ?? 1)) {
        return i;
      }
    }
  }
  return -1;
}

/** One step down: the child's value, or `found: false`. */
function child(
  v: unknown,
  s: PathSegment,
  strings: CompareOptions['strings'],
): { found: true; value: unknown; index?: number } | { found: false } {
  if ('key' in s) {
    return isObject(v) && hasOwn(v, s.key) ? { found: true, value: v[s.key] } : { found: false };
  }
  if (!Array.isArray(v)) {
    return { found: false };
  }
  const i = 'index' in s ? s.index : keyedIndex(v, s, strings);
  return i >= 0 && i < v.length ? { found: true, value: v[i], index: i } : { found: false };
}

/** The value at a path, if there is one. */
export function valueAt(
  root: unknown,
  segments: readonly PathSegment[],
  opts: CompareOptions = {},
): { found: true; value: unknown } | { found: false } {
  let v = root;
  for (const s of segments) {
    const c = child(v, s, opts.strings);
    if (!c.found) {
      return c;
    }
    v = c.value;
  }
  return { found: true, value: v };
}

/**
 * The path that accepting `segments` writes: the path itself, or the list above it when that list is
 * paired by position (or an element of a keyed list is named by index), or the keyed element when the
 * expected result lacks it. (acceptField also takes an element the result lacks whole.)
 */
export function acceptTarget(
  expected: unknown,
  segments: readonly PathSegment[],
  opts: CompareOptions = {},
): PathSegment[] {
  let v: unknown = expected;
  for (let i = 0; i < segments.length; i++) {
    const s = segments[i];
    if (!('key' in s)) {
      const list = segments.slice(0, i);
      const keyed = opts.arrayKeys?.some(k => matchesPattern(k.path, list));
      if (!keyed || 'index' in s) {
        return list;
      }
    }
    const c = child(v, s, opts.strings);
    if (!c.found) {
      return segments.slice(0, i + 1);
    }
    v = c.value;
  }
  return [...segments];
}

const clone = <T>(v: T): T => (v === undefined ? v : (JSON.parse(JSON.stringify(v)) as T));

/**
 * `expected` with the value at `segments` set (or removed, when `value` is absent). The parents must be
 * there, but for the last segment: a key is added, a keyed element appended.
 */
export function setAt(
  expected: unknown,
  segments: readonly PathSegment[],
  value: { value: unknown } | undefined,
  opts: CompareOptions = {},
): unknown {
  if (segments.length === 0) {
    if (!value) {
      throw new AcceptFieldError('the whole result cannot be removed');
    }
    return clone(value.value);
  }
  const root = clone(expected);
  let parent: unknown = root;
  for (const s of segments.slice(0, -1)) {
    const c = child(parent, s, opts.strings);
    if (!c.found) {
      throw new AcceptFieldError(`${formatPath(segments)} has no parent in the expected result`);
    }
    parent = c.value;
  }
  const last = segments[segments.length - 1];
  if ('key' in last) {
    if (!isObject(parent)) {
      throw new AcceptFieldError(`${formatPath(segments.slice(0, -1))} is not an object in the expected result`);
    }
    if (value) {
      parent[last.key] = clone(value.value);
    } else {
      delete parent[last.key];
    }
    return root;
  }
  if (!Array.isArray(parent)) {
    throw new AcceptFieldError(`${formatPath(segments.slice(0, -1))} is not a list in the expected result`);
  }
  const i = 'index' in last ? last.index : keyedIndex(parent, last, opts.strings);
  if (i < 0 || i >= parent.length) {
    if (value) {
      parent.push(clone(value.value));
    }
  } else if (value) {
    parent[i] = clone(value.value);
  } else {
    parent.splice(i, 1);
  }
  return root;
}

/** The expected result with the field at `segments` taken from `actual` (see the module's rules). */
export function acceptField(
  expected: unknown,
  actual: unknown,
  segments: readonly PathSegment[],
  opts: CompareOptions = {},
): { result: unknown; target: PathSegment[] } {
  let target = acceptTarget(expected, segments, opts);
  // An element the result lacks goes whole, not field by field.
  const gone = target.findIndex((s, i) => !('key' in s) && !valueAt(actual, target.slice(0, i + 1), opts).found);
  if (gone >= 0) {
    target = target.slice(0, gone + 1);
  }
  const got = valueAt(actual, target, opts);
  return { result: setAt(expected, target, got.found ? { value: got.value } : undefined, opts), target };
}

/**
 * The expected result with `value` at `segments`: a corrected value, or one the step missed. When the
 * expected result lacks the place, it is first made by accepting the field from `actual`.
 */
export function editField(
  expected: unknown,
  actual: unknown,
  segments: readonly PathSegment[],
  value: unknown,
  opts: CompareOptions = {},
): unknown {
  let base = expected;
  if (!valueAt(expected, segments.slice(0, -1), opts).found) {
    base = acceptField(expected, actual, segments, opts).result;
  }
  const target = acceptTarget(base, segments, opts);
  if (target.length < segments.length) {
    // A list by position: the list itself is written, with the one element corrected.
    const list = valueAt(base, target, opts);
    const corrected = setAt(list.found ? list.value : [], segments.slice(target.length), { value }, opts);
    return setAt(base, target, { value: corrected }, opts);
  }
  return setAt(base, segments, { value }, opts);
}
