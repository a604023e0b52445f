/**
 * Text put inside a sentence that ends with its own full stop ("Failed: {0}."): its own final full stop
 * dropped, so a service message "… run it again." does not end as "run it again..". An ellipsis stays.
 */
export function withinSentence(text: string): string {
  const t = text.trimEnd();
  return t.endsWith('.') && !t.endsWith('..') ? t.slice(0, -1) : t;
}
