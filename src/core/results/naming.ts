/** Names for results: `<source file name>.<step id>.json`, safe as a file name on every platform. */

export function safeFileNamePart(s: string): string {
  const cleaned = s
    // eslint-disable-next-line no-control-regex
    .replace(/[<>:"/\\|?*\u0000-\u001f]/g, '_')
    .replace(/^\.+/, '_')
    .trim();
  return cleaned.slice(0, 120) || '_';
}

export function resultFileName(sourceName: string, stepId: string): string {
  return `${safeFileNamePart(sourceName)}.${safeFileNamePart(stepId)}.json`;
}
