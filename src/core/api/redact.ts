/**
 * Keeping the API key out of everything a person or a log can see. A server (or a proxy, or a
 * redirect) may echo the key back in any form a request carries it: as is, percent-encoded in a URL,
 * JSON-escaped in a body, base64 in an `Authorization: Basic` value. Every form is replaced, and a text
 * that still holds the key after decoding (a mixed encoding) is not shown at all.
 */

const MASK = '***';

/** What is shown instead of a text that kept the key through every replacement. */
const WITHHELD = '(withheld: it contained the API key)';

/**
 * Below this length a "key" is a placeholder (a test's `k`): only its exact text is masked, and results
 * are left alone (masking every `k` of a result would change it). DocuTray's keys are far longer.
 */
const MIN_SECRET_LENGTH = 8;

/** The forms a secret takes in headers, URLs and bodies, longest first. */
function forms(secret: string): string[] {
  if (secret.length < MIN_SECRET_LENGTH) {
    return [secret];
  }
  const encoded = encodeURIComponent(secret);
  const all = new Set([
    secret,
    encoded,
    encoded.replace(/%[0-9A-F]{2}/g, m => m.toLowerCase()),
    encodeURI(secret),
    JSON.stringify(secret).slice(1, -1),
    Buffer.from(secret).toString('base64').replace(/=+$/, ''),
    Buffer.from(secret).toString('base64url'),
  ]);
  return [...all].filter(f => f.length >= 4).sort((a, b) => b.length - a.length);
}

function decodeAll(text: string): string {
  let out = text;
  for (let i = 0; i < 3; i++) {
    try {
      const next = decodeURIComponent(out.replace(/\+/g, ' '));
      if (next === out) {
        break;
      }
      out = next;
    } catch {
      break;
    }
  }
  return out;
}

/** The text with every form of `secret` masked; undefined stays undefined. */
export function redactSecret(text: string, secret: string | undefined): string;
export function redactSecret(text: string | undefined, secret: string | undefined): string | undefined;
export function redactSecret(text: string | undefined, secret: string | undefined): string | undefined {
  if (text === undefined || !secret) {
    return text;
  }
  return redactForms(text, secret, forms(secret));
}

function redactForms(text: string, secret: string, all: readonly string[]): string {
  let out = text;
  for (const f of all) {
    if (out.includes(f)) {
      out = out.split(f).join(MASK);
    }
  }
  return secret.length >= MIN_SECRET_LENGTH && decodeAll(out).includes(secret) ? WITHHELD : out;
}

/**
 * A URL from outside (a redirect's `Location`) as it may be shown: its origin and path, never its query
 * or fragment (where keys and tokens travel), with the key masked wherever else it hides.
 */
export function redactUrl(url: string, secret: string | undefined, base?: URL): string {
  let shown: string;
  try {
    const u = new URL(url, base);
    shown = `${u.protocol}//${u.host}${u.pathname}${u.search || u.hash ? '?…' : ''}`;
  } catch {
    shown = url.replace(/[?#].*$/s, '?…');
  }
  return redactSecret(shown.length > 300 ? `${shown.slice(0, 300)}…` : shown, secret);
}

/** True when any form of the secret may be in this text (cheap: decides whether a deep scrub is needed). */
export function mayHoldSecret(text: string, secret: string | undefined): boolean {
  if (!secret || secret.length < MIN_SECRET_LENGTH) {
    return false;
  }
  // A JSON \u escape can spell any character of the key: then only the parsed value tells.
  return text.includes('\\u') || forms(secret).some(f => text.includes(f));
}

/**
 * The value with the key masked in every string (keys of objects too), walked without recursion (a
 * result may be deeper than the stack). Returns the same value when nothing held the key.
 */
export function redactJson<T>(value: T, secret: string | undefined): T {
  if (!secret || secret.length < MIN_SECRET_LENGTH) {
    return value;
  }
  // The forms once for the whole value: a result has many strings.
  const all = forms(secret);
  const fix = (s: string) => (all.some(f => s.includes(f)) ? redactForms(s, secret, all) : s);
  if (typeof value === 'string') {
    return fix(value) as T;
  }
  const stack: unknown[] = [value];
  while (stack.length) {
    const v = stack.pop();
    if (Array.isArray(v)) {
      for (let i = 0; i < v.length; i++) {
        const x: unknown = v[i];
        if (typeof x === 'string') {
          v[i] = fix(x);
        } else if (x !== null && typeof x === 'object') {
          stack.push(x);
        }
      }
    } else if (v !== null && typeof v === 'object') {
      const o = v as Record<string, unknown>;
      for (const k of Object.keys(o)) {
        const x = o[k];
        const k2 = fix(k);
        if (k2 !== k) {
          delete o[k];
          Object.defineProperty(o, k2, { value: x, enumerable: true, writable: true, configurable: true });
        }
        if (typeof x === 'string') {
          o[k2] = fix(x);
        } else if (x !== null && typeof x === 'object') {
          stack.push(x);
        }
      }
    }
  }
  return value;
}

/**
 * Masks the key in an error in place: its message, stack, every string field (and list of strings,
 * and plain object below it), along its chain of causes.
 */
export function redactError<E>(err: E, secret: string | undefined): E {
  if (!secret) {
    return err;
  }
  let e: unknown = err;
  for (let depth = 0; depth < 6 && e !== null && typeof e === 'object'; depth++) {
    const o = e as Record<string, unknown>;
    for (const name of Object.getOwnPropertyNames(o)) {
      if (name === 'cause') {
        continue;
      }
      const d = Object.getOwnPropertyDescriptor(o, name);
      if (!d || !('value' in d)) {
        continue;
      }
      const v: unknown = d.value;
      const fixed =
        typeof v === 'string'
          ? redactSecret(v, secret)
          : v !== null && typeof v === 'object' && !(v instanceof Error)
            ? redactJson(v, secret)
            : v;
      if (fixed !== v) {
        Object.defineProperty(o, name, { ...d, value: fixed, writable: true });
      }
    }
    e = o.cause;
  }
  return err;
}
