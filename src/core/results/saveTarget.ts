/**
 * Where a result is saved as a file, and under which name when one exists already
 * (`docutray.saveResults`, `docutray.resultsFolder`, `docutray.saveResults.overwrite`).
 */
import { dirname, isAbsolute, resolve } from 'node:path';
import { isInside } from '../files/containment';
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
