/** Parts of file names, safe on every platform: what the stores and the result names are made of. */

export function safeFileNamePart(s: string): string {
  const cleaned = s
    // eslint-disable-next-line no-control-regex
    .replace(/[<>:"/\\|?*\u0000-\u001f]/g, '_')
    .replace(/^\.+/, '_')
    .trim();
  return cleaned.slice(0, 120) || '_';
}
