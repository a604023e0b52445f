/**
 * Reading loose fields of DocuTray's answers: JSON bodies whose shapes vary (docutray-api.md §2.2) and
 * headers that may come as fetch's `Headers` or as a plain record. One copy for the API's parsers.
 */

export type Json = Record<string, unknown>;

/** A JSON object (not null, not an array). */
export function isObject(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** A finite number, given as a number or as a numeric string; undefined otherwise. */
export function num(v: unknown): number | undefined {
  const n = typeof v === 'number' ? v : typeof v === 'string' && v.trim() !== '' ? Number(v) : NaN;
  return Number.isFinite(n) ? n : undefined;
}

/** Headers as fetch gives them, or a plain record (any case). */
export type HeaderSource = { get(name: string): string | null } | Record<string, string | undefined>;

/** One header's value (`name` in lower case), or undefined. */
export function header(h: HeaderSource | undefined, name: string): string | undefined {
  if (!h) {
    return undefined;
  }
  if (typeof (h as { get?: unknown }).get === 'function') {
    return (h as { get(n: string): string | null }).get(name) ?? undefined;
  }
  const rec = h as Record<string, string | undefined>;
  const key = Object.keys(rec).find(k => k.toLowerCase() === name);
  return key === undefined ? undefined : rec[key];
}
