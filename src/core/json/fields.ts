/**
 * Reading fields of JSON that came from outside (an answer from DocuTray, a file another window or version
 * wrote): each helper says what it accepts and gives `undefined` (or false) for anything else, so a parser
 * states its rules in one line per field. One copy for every parser of the core.
 */

export type Json = Record<string, unknown>;

/** A JSON object (not null, not an array). */
export function isObject(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** A finite number, given as a number or as a numeric string (as headers and some bodies carry them). */
export function num(v: unknown): number | undefined {
  const n = typeof v === 'number' ? v : typeof v === 'string' && v.trim() !== '' ? Number(v) : NaN;
  return Number.isFinite(n) ? n : undefined;
}

/** A finite number, and only a number (a stored record's own fields). */
export function finiteNumber(v: unknown): number | undefined {
  return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
}

/** A string with something in it. */
export function nonEmptyString(v: unknown): string | undefined {
  return typeof v === 'string' && v !== '' ? v : undefined;
}
