/**
 * Where a result path is in an expected file's text: the line to point at when a field differs (a
 * test message's location in the editor, a line in a report). A path that is not in the file (a field
 * that was added) gets the place of its nearest ancestor that is, marked as not exact.
 */
import { parseTree, type Node } from 'jsonc-parser';
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

/** Parses the text once, for many paths. */
export function resultLocator(text: string): (segments: readonly PathSegment[]) => JsonLocation | undefined {
  const root = parseTree(text, [], { allowTrailingComma: true });
  const result = root && property(root, 'result');
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
    const { line, character } = position(text, at.offset);
    return { offset: at.offset, length: at.length, line, character, exact };
  };
}

/** A property node's value node; any other node is its own value. */
function valueOf(node: Node): Node | undefined {
  return node.type === 'property' ? node.children?.[1] : node;
}

function property(object: Node, key: string): Node | undefined {
  if (object.type !== 'object') {
    return undefined;
  }
  // A key repeated in hand-edited JSON: JSON.parse keeps the last one, and so does this.
  let found: Node | undefined;
  for (const p of object.children ?? []) {
    if (p.children?.[0]?.value === key) {
      found = p;
    }
  }
  return found;
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
  let seen = 0;
  for (const item of items) {
    const key = property(item, segment.field)?.children?.[1];
    if (key && isScalar(key) && Object.is(key.type === 'null' ? null : key.value, segment.value)) {
      seen++;
      if (seen === (segment.occurrence ?? 1)) {
        return item;
      }
    }
  }
  return undefined;
}

function isScalar(node: Node): boolean {
  return node.type === 'string' || node.type === 'number' || node.type === 'boolean' || node.type === 'null';
}

function position(text: string, offset: number): { line: number; character: number } {
  let line = 0;
  let lineStart = 0;
  for (let i = text.indexOf('\n'); i !== -1 && i < offset; i = text.indexOf('\n', i + 1)) {
    line++;
    lineStart = i + 1;
  }
  return { line, character: offset - lineStart };
}
