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

/** Canonical JSON: object keys sorted, 2-space indent; `[]` and `{}` when empty. */
export function stableStringify(value: unknown, indent = ''): string {
  const out: string[] = [];
  writeStable(value, indent, out);
  return out.join('');
}

/** Appends to `out` (one join at the end: a result of megabytes is not rebuilt at every level). */
function writeStable(value: unknown, indent: string, out: string[]): void {
  if (value === null || typeof value !== 'object') {
    // undefined, a function or a symbol have no JSON form; a result parsed from JSON has none of them.
    out.push(JSON.stringify(value) ?? 'null');
    return;
  }
  const inner = `${indent}  `;
  if (Array.isArray(value)) {
    if (value.length === 0) {
      out.push('[]');
      return;
    }
    out.push('[\n');
    value.forEach((v, i) => {
      out.push(i ? `,\n${inner}` : inner);
      writeStable(v, inner, out);
    });
    out.push(`\n${indent}]`);
    return;
  }
  const keys = Object.keys(value).sort();
  if (keys.length === 0) {
    out.push('{}');
    return;
  }
  out.push('{\n');
  keys.forEach((k, i) => {
    out.push(`${i ? ',\n' : ''}${inner}${JSON.stringify(k)}: `);
    writeStable((value as Record<string, unknown>)[k], inner, out);
  });
  out.push(`\n${indent}}`);
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
