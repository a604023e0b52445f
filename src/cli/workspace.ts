/**
 * The workspace the command line works in: its root (reports and expected files are relative to it),
 * its settings (the `.vscode/settings.json` VS Code reads: JSON with comments and trailing commas,
 * parsed by the same parser VS Code uses), and the documents under the paths given.
 */
import { readFile, readdir, stat } from 'node:fs/promises';
import { basename, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { parse as parseJsonc, printParseErrorCode, type ParseError } from 'jsonc-parser';
import type { CheckIo } from '../core/expected/check';
import { sha256OfFile } from '../core/documents/hash';
import { writeFileInside } from '../core/files/containment';
import { isSupportedFileName, SUPPORTED_LABELS } from '../core/documents/mime';

/** Settings that cannot be used, or a workspace that does not hold the documents: exit 2. */
export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

/** Folders a walk never enters (as a folder run leaves them out by default). */
const SKIPPED_FOLDERS = new Set(['node_modules', '.git']);

/** Reads a VS Code settings file; a missing file is no settings unless `required`. */
export async function readSettingsFile(file: string, required: boolean): Promise<Record<string, unknown>> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT' && !required) {
      return {};
    }
    throw new ConfigError(`Cannot read the settings file ${file} (${(e as NodeJS.ErrnoException).code ?? 'error'}).`);
  }
  const errors: ParseError[] = [];
  const value: unknown = parseJsonc(text, errors, { allowTrailingComma: true, allowEmptyContent: true });
  if (errors.length) {
    const first = errors[0];
    const line = text.slice(0, first.offset).split('\n').length;
    throw new ConfigError(
      `${file} is not valid JSON with comments: ${printParseErrorCode(first.error)} on line ${line}.`,
    );
  }
  if (value === undefined) {
    return {};
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new ConfigError(`${file} must hold a JSON object of settings.`);
  }
  return value as Record<string, unknown>;
}

/** `get('expected.folder')` → the file's `"docutray.expected.folder"`. */
export function settingGetter(settings: Record<string, unknown>): (name: string) => unknown {
  return name => {
    const key = `docutray.${name}`;
    return Object.prototype.hasOwnProperty.call(settings, key) ? settings[key] : undefined;
  };
}

/** A path below `root` as `a/b/c.pdf`; throws when it is not below it. */
export function workspaceRelative(root: string, path: string): string {
  const rel = relative(root, path);
  if (rel === '' || rel.split(sep)[0] === '..' || isAbsolute(rel)) {
    throw new ConfigError(`${path} is not inside the workspace root ${root}: run from the workspace, or pass --root.`);
  }
  return rel.split(sep).join('/');
}

/**
 * The documents (PDFs and images) named or under the folders named, workspace-relative and sorted;
 * `node_modules` and `.git` are not entered, nor are links to folders. A file named explicitly must
 * be a document.
 */
export async function findDocuments(root: string, paths: readonly string[], cwd = process.cwd()): Promise<string[]> {
  const found = new Set<string>();
  const walk = async (dir: string): Promise<void> => {
    const entries = await readdir(dir, { withFileTypes: true });
    for (const entry of entries) {
      const full = join(dir, entry.name);
      if (entry.isDirectory()) {
        if (!SKIPPED_FOLDERS.has(entry.name)) {
          await walk(full);
        }
      } else if (isSupportedFileName(entry.name)) {
        if (entry.isFile() || (entry.isSymbolicLink() && (await stat(full).catch(() => undefined))?.isFile())) {
          found.add(workspaceRelative(root, full));
        }
      }
    }
  };
  for (const p of paths) {
    const full = resolve(cwd, p);
    const st = await stat(full).catch(() => undefined);
    if (!st) {
      throw new ConfigError(`${p} does not exist.`);
    }
    if (st.isDirectory()) {
      workspaceRelative(root, join(full, '_')); // the folder must be inside the root too
      await walk(full);
    } else if (isSupportedFileName(basename(full))) {
      found.add(workspaceRelative(root, full));
    } else {
      throw new ConfigError(`${p} is not a document DocuTray reads (${SUPPORTED_LABELS.join(', ')}).`);
    }
  }
  return [...found].sort();
}

/** The check's file access, relative to the root. Writes go through the containment checks (core/files). */
export function fileIo(root: string): CheckIo {
  return {
    async readText(path) {
      try {
        return await readFile(join(root, path), 'utf8');
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'ENOENT') {
          return undefined;
        }
        throw e;
      }
    },
    // Never outside the root, never through a link (a cloned repository can hold links that lead out).
    writeText: (path, text) => writeFileInside(root, join(root, path), text),
    sha256: path => sha256OfFile(join(root, path)),
  };
}
