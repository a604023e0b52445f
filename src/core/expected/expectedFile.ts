/**
 * Expected-result files: one JSON file per document and step, kept in the repository so a change to a
 * step shows up as a failed check, and an accepted change as a readable diff in a pull request
 * (docs/expected-results.md has the layout for people).
 *
 *   {
 *     "docutrayExpected": 1,
 *     "stepId": "invoice-extract",
 *     "document": "invoice-001.pdf",
 *     "sha256": "<SHA-256 of the document's bytes>",
 *     "result": { … the step's result, keys sorted … }
 *   }
 *
 * The text is canonical: these keys in this order, the result's object keys sorted (list order kept),
 * 2-space indent, a trailing newline; nothing that changes from run to run (no execution id, no time),
 * so writing the same result again writes the same bytes.
 *
 * Where the file lives: beside the document (`samples/invoice-001.pdf` →
 * `samples/invoice-001.pdf.invoice-extract.expected.json`), or, with a folder set, under that folder at
 * the document's path relative to the workspace root (`<folder>/samples/invoice-001.pdf.invoice-extract.expected.json`).
 * Paths here are workspace-relative with `/` separators: the CLI joins them to its root, the editor to
 * its workspace folder's URI.
 */
import { posix } from 'node:path';
import { safeFileNamePart } from '../store/fileNames';

export const EXPECTED_FORMAT_VERSION = 1;
export const EXPECTED_SUFFIX = '.expected.json';

export interface ExpectedFile {
  stepId: string;
  /** The document's file name, for people reading the file (not compared). */
  document: string;
  /** SHA-256 (hex) of the document the result was recorded from. */
  sha256: string;
  result: unknown;
}

/** An expected file that cannot be used: not JSON, not ours, another step's, a newer format. */
export class ExpectedFileError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ExpectedFileError';
  }
}

/** A setting that says where expected files go, and is not usable. */
export class ExpectedFolderError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ExpectedFolderError';
  }
}

/**
 * Levels written indented, one member a line; anything deeper is written on one line (`{"a":[1,2]}`).
 * Indentation grows with depth, so a result nested 10,000 levels deep would be some 200 MB of spaces.
 * The recursive writer this replaced ended near 2,500 levels on Node's default stack, so every file it
 * could write keeps its bytes.
 */
export const MAX_INDENTED_LEVELS = 4096;

/** A container being written: its members in order, how many are out, and how it is laid out. */
type Open =
  | { close: string; indent: string; depth: number; items: readonly unknown[]; keys?: undefined; next: number }
  | {
      close: string;
      indent: string;
      depth: number;
      items: Record<string, unknown>;
      keys: string[];
      next: number;
    };

/**
 * Canonical JSON: object keys sorted, 2-space indent; `[]` and `{}` when empty; levels past
 * {@link MAX_INDENTED_LEVELS} on one line. Written with its own stack of open containers, not by
 * recursion: a result thousands of levels deep is written like any other (the call stack would end near
 * 2,000 levels).
 */
export function stableStringify(value: unknown, indent = ''): string {
  const out = new TextBuilder();
  const sortedKeys = new SortedKeys();
  const stack: Open[] = [];
  let pending: { value: unknown; indent: string; depth: number } | undefined = { value, indent, depth: 0 };
  for (;;) {
    if (pending) {
      const v = pending.value;
      const ind = pending.indent;
      const depth = pending.depth;
      const compact = depth >= MAX_INDENTED_LEVELS;
      pending = undefined;
      if (v === null || typeof v !== 'object') {
        out.add(scalarJson(v));
      } else if (Array.isArray(v)) {
        if (v.length === 0) {
          out.add('[]');
        } else {
          out.add(compact ? '[' : '[\n');
          stack.push({
            close: compact ? ']' : `\n${ind}]`,
            indent: compact ? '' : `${ind}  `,
            depth,
            items: v,
            next: 0,
          });
        }
      } else {
        const keys = sortedKeys.of(v);
        if (keys.length === 0) {
          out.add('{}');
        } else {
          out.add(compact ? '{' : '{\n');
          stack.push({
            close: compact ? '}' : `\n${ind}}`,
            indent: compact ? '' : `${ind}  `,
            depth,
            items: v as Record<string, unknown>,
            keys,
            next: 0,
          });
        }
      }
    }
    const top = stack[stack.length - 1];
    if (!top) {
      return out.text();
    }
    const i = top.next++;
    const compact = top.depth >= MAX_INDENTED_LEVELS;
    if (top.keys) {
      if (i < top.keys.length) {
        const k = top.keys[i];
        out.add(compact ? `${i ? ',' : ''}${stringJson(k)}:` : `${i ? ',\n' : ''}${top.indent}${stringJson(k)}: `);
        pending = { value: top.items[k], indent: top.indent, depth: top.depth + 1 };
        continue;
      }
    } else if (i < top.items.length) {
      out.add(compact ? (i ? ',' : '') : i ? `,\n${top.indent}` : top.indent);
      pending = { value: top.items[i], indent: top.indent, depth: top.depth + 1 };
      continue;
    }
    out.add(top.close);
    stack.pop();
  }
}

/**
 * An object's keys, sorted. The elements of a list mostly have the same keys in the same order (one
 * record shape): the last sort is reused when the keys are the same, instead of sorting each again.
 */
class SortedKeys {
  private lastKeys: string[] = [];
  private lastSorted: string[] = [];

  of(o: object): string[] {
    const keys = Object.keys(o);
    const last = this.lastKeys;
    if (keys.length === last.length && keys.every((k, i) => k === last[i])) {
      return this.lastSorted;
    }
    this.lastKeys = keys;
    this.lastSorted = [...keys].sort();
    return this.lastSorted;
  }
}

/** Characters JSON.stringify escapes (quotes, backslash, controls, any surrogate: lone ones are escaped). */
// eslint-disable-next-line no-control-regex -- the control characters are what JSON escapes
const NEEDS_ESCAPE = /["\\\u0000-\u001f\ud800-\udfff]/;

/** JSON.stringify of a string, without its cost for the common string that needs no escaping. */
function stringJson(s: string): string {
  return NEEDS_ESCAPE.test(s) ? JSON.stringify(s) : `"${s}"`;
}

/** A scalar as JSON.stringify writes it. */
function scalarJson(v: unknown): string {
  switch (typeof v) {
    case 'string':
      return stringJson(v);
    case 'number':
      return Number.isFinite(v) ? String(v) : 'null';
    case 'boolean':
      return v ? 'true' : 'false';
    default:
      // null; undefined, a function or a symbol have no JSON form (a result parsed from JSON has none of them).
      return v === null ? 'null' : (JSON.stringify(v) ?? 'null');
  }
}

/**
 * Text built from many small pieces: joined in chunks of about 64 KB, so a result of tens of megabytes
 * is millions of short strings for a moment only, not until the end.
 */
class TextBuilder {
  private readonly chunks: string[] = [];
  private part: string[] = [];
  private size = 0;

  add(s: string): void {
    if (s.length >= 4096) {
      // A long piece (a deep indent, a long string) is a chunk of its own: not copied into a join.
      this.flush();
      this.chunks.push(s);
      return;
    }
    this.part.push(s);
    this.size += s.length;
    if (this.size >= 65_536) {
      this.chunks.push(this.part.join(''));
      this.part = [];
      this.size = 0;
    }
  }

  text(): string {
    this.flush();
    return this.chunks.join('');
  }

  private flush(): void {
    if (this.part.length) {
      this.chunks.push(this.part.join(''));
      this.part = [];
      this.size = 0;
    }
  }
}

/** The file's text: canonical, ending with a newline. */
export function serializeExpected(file: ExpectedFile): string {
  const head = [
    `  "docutrayExpected": ${EXPECTED_FORMAT_VERSION}`,
    `  "stepId": ${JSON.stringify(file.stepId)}`,
    `  "document": ${JSON.stringify(file.document)}`,
    `  "sha256": ${JSON.stringify(file.sha256)}`,
    `  "result": ${stableStringify(file.result, '  ')}`,
  ];
  return `{\n${head.join(',\n')}\n}\n`;
}

/**
 * Reads an expected file's text. Throws {@link ExpectedFileError} saying what is wrong; with
 * `stepId`, also when the file belongs to another step.
 */
export function parseExpected(text: string, stepId?: string): ExpectedFile {
  let body: unknown;
  try {
    body = JSON.parse(text.charCodeAt(0) === 0xfeff ? text.slice(1) : text);
  } catch (e) {
    throw new ExpectedFileError(`it is not valid JSON (${(e as Error).message})`);
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new ExpectedFileError('it is not a JSON object');
  }
  const o = body as Record<string, unknown>;
  const version = o.docutrayExpected;
  if (version === undefined) {
    throw new ExpectedFileError('it is not a DocuTray expected result (no "docutrayExpected")');
  }
  if (version !== EXPECTED_FORMAT_VERSION) {
    throw new ExpectedFileError(
      typeof version === 'number' && version > EXPECTED_FORMAT_VERSION
        ? `it was written in a newer format (${version}); update docutray-steps`
        : `"docutrayExpected" must be ${EXPECTED_FORMAT_VERSION}`,
    );
  }
  if (typeof o.stepId !== 'string' || o.stepId === '') {
    throw new ExpectedFileError('"stepId" must be the step\'s ID');
  }
  if (stepId !== undefined && o.stepId !== stepId) {
    throw new ExpectedFileError(`it is the expected result of step "${o.stepId}", not "${stepId}"`);
  }
  if (typeof o.sha256 !== 'string' || !/^[0-9a-f]{64}$/.test(o.sha256)) {
    throw new ExpectedFileError('"sha256" must be the document\'s SHA-256 in lower-case hex');
  }
  if (!Object.prototype.hasOwnProperty.call(o, 'result')) {
    throw new ExpectedFileError('it has no "result"');
  }
  return {
    stepId: o.stepId,
    document: typeof o.document === 'string' ? o.document : '',
    sha256: o.sha256,
    result: o.result,
  };
}

/**
 * The folder setting as a clean workspace-relative path ('' = beside each document). Refuses an
 * absolute path or one that climbs out with `..`: expected files stay inside the workspace.
 */
export function normalizeExpectedFolder(folder: string | undefined): string {
  const f = (folder ?? '').trim().replace(/\\/g, '/');
  if (f === '' || f === '.' || f === './') {
    return '';
  }
  if (f.startsWith('/') || /^[a-zA-Z]:/.test(f) || f.split('/').includes('..')) {
    throw new ExpectedFolderError(
      `The expected-results folder "${folder}" must be a folder inside the workspace (relative, without "..").`,
    );
  }
  return posix.normalize(f).replace(/\/+$/, '');
}

/** The name part that stands for a step in a file name (`a/b` → `a_b`). */
export function stepFileNamePart(stepId: string): string {
  return safeFileNamePart(stepId);
}

export function isExpectedFileName(name: string): boolean {
  return name.endsWith(EXPECTED_SUFFIX) && name.length > EXPECTED_SUFFIX.length;
}

function checkRelative(path: string, what: string): string {
  const p = path.replace(/\\/g, '/');
  if (p === '' || p.startsWith('/') || /^[a-zA-Z]:/.test(p) || p.split('/').includes('..')) {
    throw new ExpectedFolderError(`${what} "${path}" is not inside the workspace.`);
  }
  return posix.normalize(p);
}

/**
 * The expected file of a document for a step, both workspace-relative (`/`-separated).
 * @param folder the normalised folder setting ('' = beside the document)
 */
export function expectedFilePath(document: string, stepId: string, folder = ''): string {
  const doc = checkRelative(document, 'The document');
  const name = `${doc}.${stepFileNamePart(stepId)}${EXPECTED_SUFFIX}`;
  return folder ? posix.join(folder, name) : name;
}

/**
 * The document an expected file describes (workspace-relative), or undefined when the file is not
 * named as the step's expected file in this layout. The step comes from the file's own `stepId`.
 */
export function documentPathFor(expectedFile: string, stepId: string, folder = ''): string | undefined {
  let p = checkRelative(expectedFile, 'The expected file');
  if (folder) {
    const prefix = `${folder}/`;
    if (!p.startsWith(prefix)) {
      return undefined;
    }
    p = p.slice(prefix.length);
  }
  const suffix = `.${stepFileNamePart(stepId)}${EXPECTED_SUFFIX}`;
  if (!p.endsWith(suffix) || p.length === suffix.length || p.endsWith(`/${suffix}`)) {
    return undefined;
  }
  return p.slice(0, -suffix.length);
}
