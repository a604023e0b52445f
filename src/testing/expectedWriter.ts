import vscode = require('vscode');
import { basename, dirname, join } from 'node:path';
import { SaveRefusedError, ensureFolderInside, entryAt, isInside, writeResultFile } from '../core/files/containment';

/** Where an expected file goes: inside the workspace folder that holds its document. */
export interface ExpectedTarget {
  uri: vscode.Uri;
  folder: vscode.WorkspaceFolder;
  /** Workspace-relative (`/`-separated, no `..`: core/expected/expectedFile.ts made it). */
  path: string;
}

/**
 * Writes an expected file, only inside the workspace folder that holds its document. For `file:` the real
 * paths are checked as results saved as files are (core/results/saveTarget.ts): a folder on the way that is
 * a link out of the workspace folder is refused before anything is written there, and a link (or anything
 * but a file) at the file's own name is never followed or replaced. `create` never replaces a file:
 * `exists` says one is there. Throws SaveRefusedError when the place is refused.
 */
export async function writeExpectedFile(
  target: ExpectedTarget,
  text: string,
  how: 'create' | 'createOrReplace',
): Promise<'created' | 'updated' | 'exists'> {
  if (target.path.split('/').includes('..') || target.path.startsWith('/')) {
    throw new SaveRefusedError(`${target.path} is not inside the workspace folder`);
  }
  if (target.uri.scheme !== 'file') {
    return writeThroughVsCode(target, text, how);
  }
  const root = target.folder.uri.fsPath;
  const file = target.uri.fsPath;
  if (!isInside(root, file)) {
    throw new SaveRefusedError(`${file} is not inside ${root}`);
  }
  const folder = await ensureFolderInside(root, dirname(file));
  const real = join(folder, basename(file));
  const there = await entryAt(real);
  if (there === 'link' || there === 'other') {
    throw new SaveRefusedError(
      `${target.path} is ${there === 'link' ? 'a symbolic link' : 'not a file'}; it is not followed or replaced`,
    );
  }
  if (there === 'file' && how === 'create') {
    return 'exists';
  }
  if (!(await writeResultFile(real, text, there === 'file' ? 'replace' : 'create'))) {
    return 'exists'; // it appeared meanwhile
  }
  return there === 'file' ? 'updated' : 'created';
}

/** A workspace VS Code reads through a file system provider (virtual, remote): no links to look at there. */
async function writeThroughVsCode(
  target: ExpectedTarget,
  text: string,
  how: 'create' | 'createOrReplace',
): Promise<'created' | 'updated' | 'exists'> {
  let exists = false;
  try {
    const stat = await vscode.workspace.fs.stat(target.uri);
    if (!(stat.type & vscode.FileType.File)) {
      throw new SaveRefusedError(`${target.path} is not a file; it is not replaced`);
    }
    exists = true;
  } catch (e) {
    if (e instanceof SaveRefusedError) {
      throw e;
    }
  }
  if (exists && how === 'create') {
    return 'exists';
  }
  await vscode.workspace.fs.createDirectory(vscode.Uri.joinPath(target.uri, '..'));
  await vscode.workspace.fs.writeFile(target.uri, Buffer.from(text, 'utf8'));
  return exists ? 'updated' : 'created';
}
