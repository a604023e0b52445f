/**
 * Writes only where they belong: inside a root folder (a workspace folder, the repository the command
 * line checks), checked on the real paths (a symbolic link anywhere on the way that leads out is
 * refused), never through a link at the file's own name. The extension's result and expected-file
 * writers and every write of the command line (expected files, reports, the journal) go through here.
 */
import { randomBytes } from 'node:crypto';
import { constants } from 'node:fs';
import { lstat, mkdir, open, realpath, rename, rm, unlink, writeFile } from 'node:fs/promises';
import { basename, dirname, isAbsolute, join, relative } from 'node:path';

/** A write that would leave its root folder, or go through a link; nothing was written. */
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

/**
 * Writes `text` to `path` (absolute, below `root`), creating its folders: every folder on the way is
 * checked to stay inside the real root, and a link (or folder) at the file's name is refused, never
 * followed. The file is replaced whole (a temporary file renamed over it).
 */
export async function writeFileInside(root: string, path: string, text: string): Promise<void> {
  const folder = await ensureFolderInside(root, dirname(path));
  await writeResultFile(join(folder, basename(path)), text, 'replace');
}

/**
 * Appends `text` to `path` (absolute, below `root`) in one write, creating it and its folders as
 * `writeFileInside` does; a link at the name is refused (`O_NOFOLLOW`, and checked first where the
 * system has no such flag). One `write` of an append-mode file lands whole at the end, whoever else
 * appends to it at the same time.
 */
export async function appendFileInside(root: string, path: string, text: string): Promise<void> {
  const folder = await ensureFolderInside(root, dirname(path));
  const file = join(folder, basename(path));
  const at = await entryAt(file);
  if (at === 'link' || at === 'other') {
    throw new SaveRefusedError(`${file} is ${at === 'link' ? 'a symbolic link' : 'not a file'}; it is not written`);
  }
  const handle = await open(
    file,
    constants.O_WRONLY | constants.O_APPEND | constants.O_CREAT | (constants.O_NOFOLLOW ?? 0),
    0o644,
  );
  try {
    await handle.write(text);
  } finally {
    await handle.close();
  }
}

/** Removes the file at `path` (below `root`, its folder inside the real root); a link there is removed, not followed. */
export async function removeFileInside(root: string, path: string): Promise<void> {
  if (!isInside(root, path)) {
    throw new SaveRefusedError(`${path} is not inside ${root}`);
  }
  const realRoot = await realpath(root);
  const folder = await realpath(dirname(path));
  if (!isInside(realRoot, folder)) {
    throw new SaveRefusedError(`${dirname(path)} leads out of ${root} (to ${folder})`);
  }
  await unlink(join(folder, basename(path)));
}
