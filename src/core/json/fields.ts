/**
 * Reading fields of JSON that came from outside (a file another window or version wrote, an answer from
 * DocuTray): each helper says what it accepts and gives `undefined` for anything else, so a parser states
 * its rules in one line per field.
 */

/** A plain object (not an array, not null). */
export function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** A string with something in it. */
export function nonEmptyString(v: unknown): string | undefined {
  return typeof v === 'string' && v !== '' ? v : undefined;
}

/** A finite number (not a numeric string). */
export function finiteNumber(v: unknown): number | undefined {
  return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
}

/** A finite number, or a string that is one (as headers and some bodies carry them). */
export function numeric(v: unknown): number | undefined {
  const n = typeof v === 'number' ? v : typeof v === 'string' && v.trim() !== '' ? Number(v) : NaN;
  return Number.isFinite(n) ? n : undefined;
}
