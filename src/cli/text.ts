/**
 * Text from data (a file name, a field's value, a message from DocuTray) written to a terminal: control
 * characters could move the cursor, recolour or retitle the terminal, or hide what follows, so every
 * one of them — C0, DEL, C1 (0x9b starts an escape sequence as ESC [ does), line and paragraph
 * separators, bidirectional overrides — is shown as a `\uXXXX` escape instead.
 */
// eslint-disable-next-line no-control-regex
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

const escape = (c: string) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`;

export function terminalText(value: string): string {
  return value.replace(UNSAFE, escape);
}

/** A JSON value on one line, cut to `max` characters, safe for a terminal. */
export function shortJson(value: unknown, max = 80): string {
  const chars = Array.from(terminalText(JSON.stringify(value) ?? 'undefined'));
  return chars.length > max ? `${chars.slice(0, max - 1).join('')}…` : chars.join('');
}
