/**
 * Expected files whose document is gone (as Jest's obsolete snapshots): the step's expected files under
 * the paths checked (or under the expected folder at those paths) whose document no longer exists.
 * Listed in every report; `--update` removes them, through the containment checks.
 */
import { lstat, readdir } from 'node:fs/promises';
import { join, relative, resolve, sep } from 'node:path';
import { documentPathFor, EXPECTED_SUFFIX } from '../core/expected/expectedFile';

const SKIPPED_FOLDERS = new Set(['node_modules', '.git']);

async function exists(path: string): Promise<boolean> {
  return lstat(path).then(
    () => true,
    () => false,
  );
}

/** Root-relative, `/`-separated paths of the obsolete expected files, sorted. */
export async function findObsoleteExpected(
  root: string,
  paths: readonly string[],
  cwd: string,
  stepId: string,
  folder: string,
): Promise<string[]> {
  const found = new Set<string>();
  const walk = async (dir: string): Promise<void> => {
    const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
    for (const entry of entries) {
      const full = join(dir, entry.name);
      if (entry.isDirectory()) {
        if (!SKIPPED_FOLDERS.has(entry.name)) {
          await walk(full);
        }
        continue;
      }
      if (!entry.isFile() || !entry.name.endsWith(EXPECTED_SUFFIX)) {
        continue;
      }
      const rel = relative(root, full).split(sep).join('/');
      const document = documentPathFor(rel, stepId, folder);
      if (document !== undefined && !(await exists(join(root, ...document.split('/'))))) {
        found.add(rel);
      }
    }
  };
  for (const p of paths) {
    const full = resolve(cwd, p);
    const rel = relative(root, full);
    if (
      rel.split(sep)[0] === '..' ||
      !(await lstat(full).then(
        s => s.isDirectory(),
        () => false,
      ))
    ) {
      continue; // a document named alone has no obsolete files of its own
    }
    await walk(folder ? join(root, ...folder.split('/'), rel) : full);
  }
  return [...found].sort();
}
