/** Names for results: `<source file name>.<step id>.json`, safe as a file name on every platform. */
import { safeFileNamePart } from '../store/fileNames';

export function resultFileName(sourceName: string, stepId: string): string {
  return `${safeFileNamePart(sourceName)}.${safeFileNamePart(stepId)}.json`;
}
