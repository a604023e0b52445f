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
import { DEFAULT_BATCH_EXCLUDE, DEFAULT_FILES_EXCLUDE, excludeRules, type ExcludeRules } from '../core/batches/folder';

/** Settings that cannot be used, or a workspace that does not hold the documents: exit 2. */
export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

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
 * What a walk leaves out, as the editor's folder run does (core/batches/folder.ts, the same matcher):
 * `files.exclude` merged key by key over VS Code's default (as VS Code merges an object setting), and
 * `docutray.batch.exclude` (or its default when the file does not set it). A pattern the matcher cannot
 * read stops the command (exit 2) rather than check documents the editor would leave out.
 */
export function documentExcludes(settings: Record<string, unknown>): ExcludeRules {
  const files = settings['files.exclude'];
  const filesExclude =
    files && typeof files === 'object' && !Array.isArray(files)
      ? { ...DEFAULT_FILES_EXCLUDE, ...(files as Record<string, unknown>) }
      : DEFAULT_FILES_EXCLUDE;
  const batchExclude = Object.prototype.hasOwnProperty.call(settings, 'docutray.batch.exclude')
    ? settings['docutray.batch.exclude']
    : DEFAULT_BATCH_EXCLUDE;
  const rules = excludeRules(filesExclude, batchExclude);
  if (rules.unusable.length) {
    throw new ConfigError(
      `These exclude patterns (files.exclude, docutray.batch.exclude) cannot be read: ${rules.unusable
        .map(p => JSON.stringify(p))
        .join(', ')}. Fix or remove them.`,
    );
  }
  return rules;
}

/**
 * The documents (PDFs and images) named or under the folders named, workspace-relative and sorted. Folders
 * are walked leaving out what `excludes` leaves out (relative to the root, as the editor matches relative
 * to its workspace folder); links to folders are not followed. A file named explicitly is taken even when
 * a pattern would leave it out (as the editor runs a file picked by hand), and must be a document.
 */
export async function findDocuments(
  root: string,
  paths: readonly string[],
  cwd = process.cwd(),
  excludes: ExcludeRules = documentExcludes({}),
): Promise<string[]> {
  const found = new Set<string>();
  const walk = async (dir: string): Promise<void> => {
    const entries = await readdir(dir, { withFileTypes: true });
    for (const entry of entries) {
      const full = join(dir, entry.name);
      const rel = workspaceRelative(root, full);
      if (entry.isDirectory()) {
        if (!excludes.excludesFolder(rel)) {
          await walk(full);
        }
      } else if (isSupportedFileName(entry.name) && !excludes.excludes(rel)) {
        if (entry.isFile() || (entry.isSymbolicLink() && (await stat(full).catch(() => undefined))?.isFile())) {
          found.add(rel);
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
      const rel = relative(root, full) === '' ? '' : workspaceRelative(root, full); // inside the root too
      if (rel === '' || !excludes.excludesFolder(rel)) {
        await walk(full);
      }
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

/**
 * The paths `--files-from` lists: one per line of `file` (or of `stdin` for `-`), relative to `cwd`;
 * blank lines and lines starting with `#` are skipped, spaces around a path are not part of it. Each
 * path must lie inside the root (checked here, so the error names the list); findDocuments then takes
 * each as if named on the command line.
 */
export async function readFileList(
  source: string,
  root: string,
  cwd: string,
  stdin: NodeJS.ReadableStream = process.stdin,
): Promise<string[]> {
  const from = source === '-' ? 'the list on stdin' : source;
  let text: string;
  try {
    if (source === '-') {
      const chunks: Buffer[] = [];
      for await (const chunk of stdin) {
        chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer));
      }
      text = Buffer.concat(chunks).toString('utf8');
    } else {
      text = await readFile(resolve(cwd, source), 'utf8');
    }
  } catch (e) {
    throw new ConfigError(`Cannot read ${from} (--files-from): ${(e as NodeJS.ErrnoException).code ?? 'error'}.`);
  }
  const paths: string[] = [];
  text
    .replace(/^\uFEFF/, '')
    .split(/\r?\n/)
    .forEach((raw, i) => {
      const line = raw.trim();
      if (line === '' || line.startsWith('#')) {
        return;
      }
      const full = resolve(cwd, line);
      if (relative(root, full) !== '') {
        try {
          workspaceRelative(root, full);
        } catch {
          throw new ConfigError(`${from}, line ${i + 1}: ${line} is not inside the workspace root ${root}.`);
        }
      }
      paths.push(full);
    });
  if (paths.length === 0) {
    throw new ConfigError(`${from} (--files-from) lists no paths.`);
  }
  return paths;
}
