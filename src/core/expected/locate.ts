/**
 * Where a result path is in an expected file's text: the line to point at when a field differs (a
 * test message's location in the editor, a line in a report). A path that is not in the file (a field
 * that was added) gets the place of its nearest ancestor that is, marked as not exact.
 */
import { createScanner } from 'jsonc-parser';
import type { PathSegment } from './jsonPath';

export interface JsonLocation {
  /** UTF-16 offset and length of the property (key and value) or the list element. */
  offset: number;
  length: number;
  /** 0-based line and character (UTF-16 code units), as editors count them. */
  line: number;
  character: number;
  /** False when the path itself is not in the file and this is its nearest ancestor. */
  exact: boolean;
}

/**
 * Locates `segments` (a path inside `result`) in an expected file's text; undefined when the text has
 * no `result` to look in.
 */
export function locateResultPath(text: string, segments: readonly PathSegment[]): JsonLocation | undefined {
  return resultLocator(text)(segments);
}

/**
 * Parses the text once, for many paths. Each path then costs its own length: an object's keys and a
 * keyed list's elements are indexed the first time they are looked in, and lines are found by binary
 * search (20,000 differences in one list were once 20,000 scans of the list and of the text).
 */
export function resultLocator(text: string): (segments: readonly PathSegment[]) => JsonLocation | undefined {
  const root = parseTree(text);
  const result = root && property(root, 'result');
  let lines: number[] | undefined;
  return segments => {
    if (!result) {
      return undefined;
    }
    let at: Node = result;
    let exact = true;
    for (const segment of segments) {
      const value = valueOf(at);
      const next = value && child(value, segment);
      if (!next) {
        exact = false;
        break;
      }
      at = next;
    }
    lines ??= lineStarts(text);
    const { line, character } = position(lines, at.offset);
    return { offset: at.offset, length: at.length, line, character, exact };
  };
}

/** A node of the parsed text, as jsonc-parser names them (a property's children: its key, its value). */
interface Node {
  type: 'object' | 'array' | 'property' | 'string' | 'number' | 'boolean' | 'null';
  offset: number;
  length: number;
  value?: unknown;
  children?: Node[];
  /** An object's properties by key (the last of a repeated key), made the first time one is looked up. */
  byKey?: Map<string, Node>;
  /** A list's elements by a key field and the key's value, made the first time a field is looked up. */
  byField?: Map<string, Map<string, Node[]>>;
}

// jsonc-parser's SyntaxKind (a const enum: not importable by value).
const OPEN_BRACE = 1;
const CLOSE_BRACE = 2;
const OPEN_BRACKET = 3;
const CLOSE_BRACKET = 4;
const COMMA = 5;
const NULL = 7;
const TRUE = 8;
const FALSE = 9;
const STRING = 10;
const NUMBER = 11;
const EOF = 17;

/** An open object or list: the property waiting for its value (objects), and where the container sits. */
interface Open {
  node: Node;
  /** An object's property whose key has been read and whose value has not ended. */
  property?: Node;
  /** The property this container is the value of. */
  parentProperty?: Node;
}

/**
 * The text's tree, built from jsonc-parser's scanner with a stack of open containers rather than by
 * recursion (its parseTree recurses, and overflows on a result a few thousand levels deep). Tolerant as
 * parseTree is: comments and trailing commas are skipped, and a damaged file still gives what it holds.
 */
function parseTree(text: string): Node | undefined {
  const scanner = createScanner(text, true);
  const stack: Open[] = [];
  let root: Node | undefined;
  const end = (node: Node, at: number) => {
    node.length = at - node.offset;
  };
  /** Places a value that starts here; false when there is no place for it (a second root). */
  const place = (node: Node): Open | undefined | false => {
    const top = stack[stack.length - 1];
    if (!top) {
      if (root) {
        return false;
      }
      root = node;
      return undefined;
    }
    if (top.node.type === 'array') {
      top.node.children!.push(node);
      return undefined;
    }
    if (top.property) {
      top.property.children!.push(node);
      const p = top.property;
      top.property = undefined;
      return { node, parentProperty: p };
    }
    return false; // a value where a key belongs: skipped, as a parser that recovers would
  };
  for (let kind = scanner.scan(); kind !== EOF; kind = scanner.scan()) {
    const offset = scanner.getTokenOffset();
    const after = offset + scanner.getTokenLength();
    const top = stack[stack.length - 1];
    switch (kind) {
      case OPEN_BRACE:
      case OPEN_BRACKET: {
        const node: Node = { type: kind === OPEN_BRACE ? 'object' : 'array', offset, length: 0, children: [] };
        const placed = place(node);
        if (placed === false && stack.length === 0) {
          return root;
        }
        stack.push({ node, parentProperty: placed ? placed.parentProperty : undefined });
        break;
      }
      case CLOSE_BRACE:
      case CLOSE_BRACKET: {
        if (!top || top.node.type !== (kind === CLOSE_BRACE ? 'object' : 'array')) {
          break; // a stray closer: skipped
        }
        stack.pop();
        end(top.node, after);
        if (top.parentProperty) {
          end(top.parentProperty, after);
        }
        break;
      }
      case COMMA:
        if (top?.property && top.property.children!.length < 2) {
          top.property = undefined; // a key without a value
        }
        break;
      case STRING:
      case NUMBER:
      case NULL:
      case TRUE:
      case FALSE: {
        const node: Node = scalar(kind, scanner.getTokenValue(), offset, after - offset);
        if (top && top.node.type === 'object' && !top.property && kind === STRING) {
          const property: Node = { type: 'property', offset, length: after - offset, children: [node] };
          top.node.children!.push(property);
          top.property = property;
          break;
        }
        const placed = place(node);
        if (placed) {
          end(placed.parentProperty!, after);
        }
        break;
      }
      default:
        break; // colons, comments, white space, what cannot be read
    }
  }
  return root;
}

function scalar(kind: number, raw: string, offset: number, length: number): Node {
  switch (kind) {
    case STRING:
      return { type: 'string', offset, length, value: raw };
    case NUMBER:
      return { type: 'number', offset, length, value: Number(raw) };
    case NULL:
      return { type: 'null', offset, length, value: null };
    default:
      return { type: 'boolean', offset, length, value: kind === TRUE };
  }
}

/** A property node's value node; any other node is its own value. */
function valueOf(node: Node): Node | undefined {
  return node.type === 'property' ? node.children?.[1] : node;
}

function property(object: Node, key: string): Node | undefined {
  if (object.type !== 'object') {
    return undefined;
  }
  if (!object.byKey) {
    // A key repeated in hand-edited JSON: JSON.parse keeps the last one, and so does this.
    object.byKey = new Map();
    for (const p of object.children ?? []) {
      const k = p.children?.[0]?.value;
      if (typeof k === 'string') {
        object.byKey.set(k, p);
      }
    }
  }
  return object.byKey.get(key);
}

function child(value: Node, segment: PathSegment): Node | undefined {
  if ('key' in segment) {
    return property(value, segment.key);
  }
  if (value.type !== 'array') {
    return undefined;
  }
  const items = value.children ?? [];
  if ('index' in segment) {
    return items[segment.index];
  }
  value.byField ??= new Map();
  let byValue = value.byField.get(segment.field);
  if (!byValue) {
    byValue = new Map();
    value.byField.set(segment.field, byValue);
    for (const item of items) {
      const key = property(item, segment.field)?.children?.[1];
      if (key && isScalar(key)) {
        const k = scalarKey(key.value);
        const same = byValue.get(k);
        if (same) {
          same.push(item);
        } else {
          byValue.set(k, [item]);
        }
      }
    }
  }
  return byValue.get(scalarKey(segment.value))?.[(segment.occurrence ?? 1) - 1];
}

/** A key value as a map key, equal exactly when Object.is says so (so 0 and -0 differ). */
function scalarKey(v: unknown): string {
  if (typeof v === 'number') {
    return `n:${Object.is(v, -0) ? '-0' : String(v)}`;
  }
  return typeof v === 'string' ? `s:${v}` : String(v);
}

function isScalar(node: Node): boolean {
  return node.type === 'string' || node.type === 'number' || node.type === 'boolean' || node.type === 'null';
}

/** Where each line starts (a line ends at `\n`). */
function lineStarts(text: string): number[] {
  const starts = [0];
  for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', i + 1)) {
    starts.push(i + 1);
  }
  return starts;
}

function position(starts: readonly number[], offset: number): { line: number; character: number } {
  // The last line starting at or before the offset (a newline at the offset itself is still on that line).
  let lo = 0;
  let hi = starts.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (starts[mid] <= offset) {
      lo = mid;
    } else {
      hi = mid - 1;
    }
  }
  return { line: lo, character: offset - starts[lo] };
}
