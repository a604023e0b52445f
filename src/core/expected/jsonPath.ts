/**
 * JSON paths as people read them in a diff: `vendor.name`, `line_items[2].amount`, a key that is not a
 * plain name quoted as a JSON string (`["a.b"]`, `["unit price"]`), and an element of a list matched by
 * a key field named by that field (`line_items[description="Envío urgente"].amount`, with `#2` for the
 * second element of that key when the key repeats). The whole result is `$`.
 *
 * Patterns (the ignored paths and the lists matched by key, in the settings) use the same syntax plus
 * three wildcards: `*` any key, `[*]` any element of a list, `**` any number of levels (none included).
 * A leading `$` or `$.` is accepted and means nothing.
 */

/** A value that identifies an element of a list matched by key: a JSON scalar. */
export type KeyValue = string | number | boolean | null;

export type PathSegment =
  | { key: string }
  | { index: number }
  /** The `occurrence`-th element (1-based) whose `field` is `value`; absent when the value is unique. */
  | { field: string; value: KeyValue; occurrence?: number };

export type PatternSegment = PathSegment | { anyKey: true } | { anyElement: true } | { anyDepth: true };

export class PathSyntaxError extends Error {
  constructor(
    readonly path: string,
    detail: string,
  ) {
    super(`"${path}" is not a JSON path: ${detail}.`);
    this.name = 'PathSyntaxError';
  }
}

/**
 * A key written bare: Unicode letters, digits, `_`, `$` and `-`, starting with a letter or `_`.
 * Anything else (dots, spaces, brackets, quotes, `*`, a leading `$`, which names the root, and the
 * empty key) is quoted.
 */
const BARE_KEY = /^[\p{L}\p{Nl}_][\p{L}\p{Nl}\p{Mn}\p{Mc}\p{Nd}\p{Pc}$-]*$/u;

export function isBareKey(key: string): boolean {
  return BARE_KEY.test(key);
}

function formatKeyName(key: string): string {
  return isBareKey(key) ? key : JSON.stringify(key);
}

export function formatSegment(segment: PatternSegment, first = false): string {
  if ('key' in segment) {
    return isBareKey(segment.key) ? `${first ? '' : '.'}${segment.key}` : `[${JSON.stringify(segment.key)}]`;
  }
  if ('index' in segment) {
    return `[${segment.index}]`;
  }
  if ('field' in segment) {
    const occurrence = segment.occurrence === undefined ? '' : `#${segment.occurrence}`;
    return `[${formatKeyName(segment.field)}=${JSON.stringify(segment.value)}${occurrence}]`;
  }
  if ('anyElement' in segment) {
    return '[*]';
  }
  return `${first ? '' : '.'}${'anyKey' in segment ? '*' : '**'}`;
}

/** `vendor.name`, `line_items[2].amount`, `["a.b"]`; `$` for the whole result. */
export function formatPath(segments: readonly PatternSegment[]): string {
  if (segments.length === 0) {
    return '$';
  }
  return segments.map((s, i) => formatSegment(s, i === 0)).join('');
}

/** Parses a path, or a pattern when `wildcards` is true. Throws {@link PathSyntaxError}. */
export function parsePath(text: string, opts: { wildcards: true }): PatternSegment[];
export function parsePath(text: string, opts?: { wildcards?: false }): PathSegment[];
export function parsePath(text: string, opts: { wildcards?: boolean } = {}): PatternSegment[] {
  return new PathParser(text, opts.wildcards === true).parse();
}

/** Parses a pattern (`line_items[*].confidence`, `**.timestamp`). */
export function parsePattern(text: string): PatternSegment[] {
  return parsePath(text, { wildcards: true });
}

class PathParser {
  private pos = 0;
  private readonly segments: PatternSegment[] = [];

  constructor(
    private readonly text: string,
    private readonly wildcards: boolean,
  ) {}

  parse(): PatternSegment[] {
    const t = this.text;
    if (t.trim() !== t || t === '') {
      this.fail(t === '' ? 'it is empty' : 'it has spaces around it');
    }
    if (t.startsWith('$')) {
      this.pos = 1;
      if (t.length > 1 && t[1] !== '.' && t[1] !== '[') {
        this.fail(`"$" alone is the whole result: quote a key that starts with it, like ["${t.split(/[.[]/)[0]}"]`);
      }
      if (t[1] === '.') {
        this.pos = 2;
        this.name();
      }
    } else if (t[0] !== '[') {
      this.name();
    }
    while (this.pos < t.length) {
      const c = t[this.pos];
      if (c === '.') {
        this.pos++;
        this.name();
      } else if (c === '[') {
        this.bracket();
      } else {
        this.fail(`unexpected "${c}" at ${this.pos + 1}`);
      }
    }
    return this.segments;
  }

  private fail(detail: string): never {
    throw new PathSyntaxError(this.text, detail);
  }

  /** A bare key, `*` or `**`. */
  private name(): void {
    const rest = this.text.slice(this.pos);
    if (rest.startsWith('**')) {
      this.wildcard({ anyDepth: true }, 2);
      return;
    }
    if (rest.startsWith('*')) {
      this.wildcard({ anyKey: true }, 1);
      return;
    }
    const m = /^[^.[\]"=#*]+/u.exec(rest);
    if (!m || !isBareKey(m[0])) {
      this.fail(
        m
          ? `"${m[0]}" must be quoted, like ["${m[0]}"]`
          : `a key is missing at ${this.pos + 1} (quote keys with dots or brackets, like ["a.b"])`,
      );
    }
    this.segments.push({ key: m[0] });
    this.pos += m[0].length;
  }

  private wildcard(segment: PatternSegment, length: number): void {
    if (!this.wildcards) {
      this.fail('wildcards (*, **, [*]) are for patterns only');
    }
    this.segments.push(segment);
    this.pos += length;
  }

  private bracket(): void {
    this.pos++; // [
    const t = this.text;
    if (t[this.pos] === '*' && t[this.pos + 1] === ']') {
      this.wildcard({ anyElement: true }, 2);
      return;
    }
    const index = /^(0|[1-9]\d*)\]/.exec(t.slice(this.pos));
    if (index) {
      this.segments.push({ index: Number(index[1]) });
      this.pos += index[0].length;
      return;
    }
    let name: string;
    let quoted = false;
    if (t[this.pos] === '"') {
      name = this.jsonString();
      quoted = true;
    } else {
      const m = /^[^.[\]"=#*]+/u.exec(t.slice(this.pos));
      if (!m || !isBareKey(m[0])) {
        this.fail(`expected an index, a quoted key or field=value at ${this.pos + 1}`);
      }
      name = m[0];
      this.pos += m[0].length;
    }
    if (t[this.pos] === ']' && quoted) {
      this.pos++;
      this.segments.push({ key: name });
      return;
    }
    if (t[this.pos] !== '=') {
      this.fail(`expected "=" or "]" at ${this.pos + 1}`);
    }
    this.pos++;
    const value = this.literal();
    let occurrence: number | undefined;
    if (t[this.pos] === '#') {
      const m = /^#([1-9]\d*)/.exec(t.slice(this.pos));
      if (!m) {
        this.fail(`expected an occurrence number after "#" at ${this.pos + 1}`);
      }
      occurrence = Number(m[1]);
      this.pos += m[0].length;
    }
    if (t[this.pos] !== ']') {
      this.fail(`expected "]" at ${this.pos + 1}`);
    }
    this.pos++;
    this.segments.push(occurrence === undefined ? { field: name, value } : { field: name, value, occurrence });
  }

  /** A JSON string literal starting at pos; returns its value. */
  private jsonString(): string {
    const t = this.text;
    let i = this.pos + 1;
    while (i < t.length && t[i] !== '"') {
      i += t[i] === '\\' ? 2 : 1;
    }
    if (i >= t.length) {
      this.fail(`a quoted key starting at ${this.pos + 1} is not closed`);
    }
    const literal = t.slice(this.pos, i + 1);
    try {
      const value = JSON.parse(literal) as string;
      this.pos = i + 1;
      return value;
    } catch {
      return this.fail(`${literal} is not a valid JSON string`);
    }
  }

  /** A JSON scalar: string, number, true, false or null. */
  private literal(): KeyValue {
    if (this.text[this.pos] === '"') {
      return this.jsonString();
    }
    const m = /^(-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?|true|false|null)/.exec(this.text.slice(this.pos));
    if (!m) {
      this.fail(`expected a JSON value (a string, number, true, false or null) at ${this.pos + 1}`);
    }
    this.pos += m[0].length;
    return JSON.parse(m[0]) as KeyValue;
  }
}

function segmentMatches(p: PatternSegment, s: PathSegment): boolean {
  if ('anyKey' in p) {
    return 'key' in s;
  }
  if ('anyElement' in p) {
    return 'index' in s || 'field' in s;
  }
  if ('key' in p) {
    return 'key' in s && s.key === p.key;
  }
  if ('index' in p) {
    return 'index' in s && s.index === p.index;
  }
  if ('field' in p) {
    return (
      'field' in s &&
      s.field === p.field &&
      Object.is(s.value, p.value) &&
      (p.occurrence === undefined || (s.occurrence ?? 1) === p.occurrence)
    );
  }
  return false;
}

/**
 * Where a pattern stands after some path segments: the sorted positions in the pattern still alive (an
 * NFA's state set). `**` is a position that stays put on any segment; every other position moves on by
 * one when its segment matches. Each segment costs at most the pattern's length: no backtracking, so
 * `**.**.**.**.x` against a path 200 deep is 200 × 5 steps, not 200⁴.
 */
export type PatternStates = readonly number[];

/** The states before the first segment: the start, and every `**` that can match nothing after it. */
export function patternStart(pattern: readonly PatternSegment[]): PatternStates {
  return closeOver(pattern, [], 0);
}

/** The states after one more segment (empty once the pattern cannot match any longer path). */
export function patternStep(
  pattern: readonly PatternSegment[],
  states: PatternStates,
  segment: PathSegment,
): PatternStates {
  const out: number[] = [];
  for (const i of states) {
    if (i === pattern.length) {
      continue;
    }
    const p = pattern[i];
    if ('anyDepth' in p) {
      closeOver(pattern, out, i);
    } else if (segmentMatches(p, segment)) {
      closeOver(pattern, out, i + 1);
    }
  }
  return out;
}

/** True when the segments so far are a whole match of the pattern. */
export function patternAccepts(pattern: readonly PatternSegment[], states: PatternStates): boolean {
  return states.length > 0 && states[states.length - 1] === pattern.length;
}

/**
 * Adds state `i` and what `**` lets it skip to (`i + 1`, …) to `out`, kept sorted without repeats: the
 * states are visited in order and each adds itself or the next, so anything not above the last one
 * added is in already.
 */
function closeOver(pattern: readonly PatternSegment[], out: number[], i: number): number[] {
  for (let j = i; j <= pattern.length; j++) {
    if (!out.length || j > out[out.length - 1]) {
      out.push(j);
    }
    if (j === pattern.length || !('anyDepth' in pattern[j])) {
      break;
    }
  }
  return out;
}

/**
 * True when the pattern matches the whole path, or (with `prefix`) the path or one of its ancestors:
 * an ignored path leaves out everything below it.
 */
export function matchesPattern(
  pattern: readonly PatternSegment[],
  path: readonly PathSegment[],
  opts: { prefix?: boolean } = {},
): boolean {
  let states = patternStart(pattern);
  for (const segment of path) {
    if (opts.prefix === true && patternAccepts(pattern, states)) {
      return true;
    }
    states = patternStep(pattern, states, segment);
    if (!states.length) {
      return false;
    }
  }
  return patternAccepts(pattern, states);
}
