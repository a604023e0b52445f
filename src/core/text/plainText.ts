/**
 * Text from data — a file name, a step name or id from a setting, a message from DocuTray — put into
 * something VS Code renders, made to render as the text it is.
 *
 * Notifications (showInformation/Warning/ErrorMessage and progress messages) are not markdown: VS Code
 * parses one thing in them, links `[label](target)` whose target starts with `https://`, `http://`,
 * `command:` or `file:` (vs/base/common/linkedText.ts, the regex
 * `\[([^\]]+)\]\(((?:https?:\/\/|command:|file:)[^\)\s]+)…\)`), and it knows no backslash escape. So
 * `[Open](command:workbench.action.quit).pdf` in a message is a button that quits, and `\[Open\]…`
 * would still be one (the regex starts at the `[`) with a stray backslash shown. What breaks the link
 * and keeps the name readable is a zero-width space right after every `]` from data: a link needs `](`
 * with nothing between, and data can then never supply that `]`, wherever it lands in a template.
 *
 * Markdown (a MarkdownString tooltip, hover) is escaped the markdown way, with backslashes.
 */

/** U+200B ZERO WIDTH SPACE: invisible, not a link character. */
export const ZERO_WIDTH_SPACE = '\u200b';

/**
 * For a notification, a progress message or a dialog: the text as is, except that no `]` from it can
 * start a link's `](`. Line breaks become spaces (a notification shows one line; a line break in a
 * file name would otherwise make a message look like two). Idempotent.
 */
export function plainText(value: unknown): string {
  const s = typeof value === 'string' ? value : String(value);
  return s.replace(/\r\n|[\r\n\u2028\u2029]/g, ' ').replace(/\](?!\u200b)/g, `]${ZERO_WIDTH_SPACE}`);
}

/** For markdown (a MarkdownString): every character markdown or HTML could give a meaning, escaped. */
export function escapeMarkdown(value: string): string {
  return value.replace(/[\\`*_{}[\]()#+\-.!|<>~&]/g, c =>
    c === '<' ? '&lt;' : c === '>' ? '&gt;' : c === '&' ? '&amp;' : `\\${c}`,
  );
}

const HTML_ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** For HTML the host writes (a webview's page): text or an attribute value, its five markup characters escaped. */
export function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, c => HTML_ESCAPES[c]);
}

/** What VS Code's notification renderer makes a link of (a copy of its regex, for tests and checks). */
export const NOTIFICATION_LINK = /\[([^\]]+)\]\(((?:https?:\/\/|command:|file:)[^)\s]+)(?: (["'])(.+?)(\3))?\)/gi;

/** True when VS Code would render part of this notification text as a link. */
export function hasNotificationLink(text: string): boolean {
  NOTIFICATION_LINK.lastIndex = 0;
  const found = NOTIFICATION_LINK.test(text);
  NOTIFICATION_LINK.lastIndex = 0;
  return found;
}

/**
 * For markdown: the text as a code span, shown exactly (inside a code span a backslash escape would show as
 * a backslash): fenced by one more backtick than the longest run of backticks in it.
 */
export function markdownCode(value: string): string {
  const longest = Math.max(0, ...(value.match(/`+/g) ?? []).map(r => r.length));
  const fence = '`'.repeat(longest + 1);
  const pad = value.startsWith('`') || value.endsWith('`') ? ' ' : '';
  return `${fence}${pad}${value.replace(/\r\n|[\r\n]/g, ' ')}${pad}${fence}`;
}
