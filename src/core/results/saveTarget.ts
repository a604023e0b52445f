/**
 * Where a result is saved as a file, and under which name when one exists already
 * (`docutray.saveResults`, `docutray.resultsFolder`, `docutray.saveResults.overwrite`).
 */
import { resultFileName } from './naming';

export type SaveMode = 'never' | 'besideSource' | 'folder';
export type OverwritePolicy = 'ask' | 'overwrite' | 'numbered';

/** `invoice.pdf.extract.json` → `invoice.pdf.extract (2).json`, `(3)`… the first that `exists` denies. */
export async function numberedName(name: string, exists: (candidate: string) => Promise<boolean>, max = 999): Promise<string> {
  if (!await exists(name)) {
    return name;
  }
  const dot = name.lastIndexOf('.json');
  const stem = dot > 0 ? name.slice(0, dot) : name;
  for (let i = 2; i <= max; i++) {
    const candidate = `${stem} (${i}).json`;
    if (!await exists(candidate)) {
      return candidate;
    }
  }
  throw new Error(`No free name for ${name} after ${max} tries.`);
}

export function savedResultName(sourceName: string, stepId: string): string {
  return resultFileName(sourceName, stepId);
}
