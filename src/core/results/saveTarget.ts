/**
 * Where a result is saved as a file, and under which name when one exists already
 * (`docutray.saveResults`, `docutray.resultsFolder`, `docutray.saveResults.overwrite`).
 */
import { randomBytes } from 'node:crypto';
import { lstat, mkdir, realpath, rename, rm, writeFile } from 'node:fs/promises';
import { dirname, isAbsolute, join, relative, resolve } from 'node:path';
import { resultFileName } from './naming';

export type SaveMode = 'never' | 'besideSource' | 'folder';
export type OverwritePolicy = 'ask' | 'overwrite' | 'numbered';

/** `invoice.pdf.extract.json` → `invoice.pdf.extract (2).json`, `(3)`… the first that `exists` denies. */
export async function numberedName(
  name: string,
  exists: (candidate: string) => Promise<boolean>,
  max = 999,
): Promise<string> {
  if (!(await exists(name))) {
    return name;
  }
  const dot = name.lastIndexOf('.json');
  const stem = dot > 0 ? name.slice(0, dot) : name;
  for (let i = 2; i <= max; i++) {
    const candidate = `${stem} (${i}).json`;
    if (!(await exists(candidate))) {
      return candidate;
    }
  }
  throw new Error(`No free name for ${name} after ${max} tries.`);
}

export function savedResultName(sourceName: string, stepId: string): string {
  return resultFileName(sourceName, stepId);
}

/*
 * Results only where they belong: inside the workspace folder that holds the source, checked on the
 * real paths (a symbolic link anywhere on the way that leads out is refused), never through a link
 * at the file's own name.
 */

/** A save that would leave the workspace folder, or go through a link; nothing was written. */
export class SaveRefusedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SaveRefusedError';
  }
}

/** True when `candidate` is `root` or below it (both absolute, same form: lexical or both real). */
export function isInside(root: string, candidate: string): boolean {
  const rel = relative(root, candidate);
  return rel === '' || (rel.split(/[\\/]/)[0] !== '..' && !isAbsolute(rel));
}

export type SavePlan = { folder: string } | { refused: string };

/**
 * Where a result of the source at `sourcePath` is saved, on paths alone: beside the source, or in
 * `resultsFolder` under `root`, the workspace folder that holds the source (undefined when no folder
 * open in this window holds it: then nowhere). `resultsFolder` must stay inside: no `..`, not absolute.
 */
export function planSaveFolder(
  mode: Exclude<SaveMode, 'never'>,
  sourcePath: string,
  root: string | undefined,
  resultsFolder: string,
): SavePlan {
  if (root === undefined || !isInside(root, sourcePath)) {
    return { refused: 'the source is in no workspace folder open in this window' };
  }
  if (mode === 'besideSource') {
    return { folder: dirname(sourcePath) };
  }
  const rf = resultsFolder.trim();
  if (!rf || isAbsolute(rf) || /^[a-zA-Z]:/.test(rf) || rf.split(/[\\/]+/).includes('..')) {
    return { refused: `docutray.resultsFolder "${rf}" is not a folder inside the workspace folder` };
  }
  const folder = resolve(root, rf);
  return isInside(root, folder)
    ? { folder }
    : { refused: `docutray.resultsFolder "${rf}" is not a folder inside the workspace folder` };
}

function errno(e: unknown): string | undefined {
  return (e as NodeJS.ErrnoException | null)?.code;
}

/**
 * Creates `folder` (a path under `root`) part by part, checking after each that its real path is still
 * inside the real `root`: a link on the way that leads out is refused before anything is written
 * there. Returns the folder's real path.
 */
export async function ensureFolderInside(root: string, folder: string): Promise<string> {
  const realRoot = await realpath(root);
  if (!isInside(root, folder)) {
    throw new SaveRefusedError(`${folder} is not inside ${root}`);
  }
  let current = realRoot;
  for (const part of relative(root, folder).split(/[\\/]/).filter(Boolean)) {
    const next = join(current, part);
    try {
      await mkdir(next);
    } catch (e) {
      if (errno(e) !== 'EEXIST') {
        throw e;
      }
    }
    const real = await realpath(next);
    if (!isInside(realRoot, real)) {
      throw new SaveRefusedError(`${next} leads out of the workspace folder (to ${real})`);
    }
    current = real;
  }
  return current;
}

/** What is at `path`, without following a link there. */
export async function entryAt(path: string): Promise<'none' | 'file' | 'link' | 'other'> {
  try {
    const s = await lstat(path);
    return s.isSymbolicLink() ? 'link' : s.isFile() ? 'file' : 'other';
  } catch (e) {
    if (errno(e) === 'ENOENT') {
      return 'none';
    }
    throw e;
  }
}

/**
 * Writes a result file without ever following a link at its name: `create` only where nothing is
 * (an exclusive create: false when something appeared meanwhile); `replace` writes a temporary file
 * beside it and renames it over a regular file, and refuses a link.
 */
export async function writeResultFile(path: string, text: string, how: 'create' | 'replace'): Promise<boolean> {
  if (how === 'create') {
    try {
      await writeFile(path, text, { encoding: 'utf8', flag: 'wx' });
      return true;
    } catch (e) {
      if (errno(e) === 'EEXIST') {
        return false;
      }
      throw e;
    }
  }
  const at = await entryAt(path);
  if (at === 'link' || at === 'other') {
    throw new SaveRefusedError(`${path} is ${at === 'link' ? 'a symbolic link' : 'not a file'}; it is not overwritten`);
  }
  const tmp = `${path}.${process.pid}-${randomBytes(6).toString('hex')}.tmp`;
  await writeFile(tmp, text, { encoding: 'utf8', flag: 'wx' });
  try {
    await rename(tmp, path);
  } catch (e) {
    await rm(tmp, { force: true });
    throw e;
  }
  return true;
}
