/** Reading an answer's headers, which come as fetch's `Headers` or as a plain record. */

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
