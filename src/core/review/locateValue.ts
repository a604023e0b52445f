/**
 * "Where is this value?" DocuTray returns only a step's `data`: no page, no box, no confidence. So the
 * review panel searches the PDF's own text for a field's value and says that it did: a match is
 * `source: 'text-search'`. Should the service one day send locations, they fill the same
 * {@link FieldLocation} with `source: 'service'`.
 *
 * The page text comes in as pdf.js gives it (`getTextContent()` items, `hasEOL` at line ends); each page
 * is joined once into a searchable text with a map from every character back to its item and offset, so
 * the panel can highlight the match in its text layer.
 *
 * - Strings: NFKC, letter case and accents folded, runs of white space as one space; a substring match.
 * - Numbers (a JSON number, or a string that is one): every number-like token of the page is read both
 *   ways (`1,160.00` and `1.160,00`; spaces and apostrophes as thousands separators) and is a match when
 *   within the tolerances of `docutray.expected.*` (the comparison's own rule).
 * - Dates (`2024-01-15`, `15/01/2024`, …): ISO, d/m/y and m/d/y with `/`, `-` or `.`, and written out
 *   in English or Spanish ("January 15, 2024", "15 de enero de 2024"), compared as dates.
 * - Not searched, and said so: booleans, null, objects, lists, and values shorter than 3 characters
 *   (they would match everywhere).
 *
 * Pure: no I/O, no pdf.js.
 */

/** One text item of a page, as pdf.js's `getTextContent()` gives it. */
export interface TextItem {
  str: string;
  hasEOL?: boolean;
}

export interface PageText {
  /** 1-based. */
  page: number;
  items: readonly TextItem[];
}

/** A place in a page's items: the item's index and a UTF-16 offset in its `str`. */
export interface ItemOffset {
  item: number;
  offset: number;
}

export interface TextMatch {
  page: number;
  /** First character matched, and the one after the last (end offset exclusive, within its item). */
  start: ItemOffset;
  end: ItemOffset;
  /** The page's text that matched, as printed. */
  text: string;
}

/** Where a field's value is on the document, and who said so. */
export interface FieldLocation {
  page: number;
  /** Boxes in PDF points, when known (a service's citation); the text search gives item offsets instead. */
  rects?: { x: number; y: number; width: number; height: number }[];
  match?: TextMatch;
  source: 'service' | 'text-search';
}

export type NotSearchedReason = 'tooShort' | 'notText' | 'empty';

export type LocateOutcome =
  | { outcome: 'found'; kind: 'string' | 'number' | 'date'; matches: TextMatch[]; locations: FieldLocation[] }
  | { outcome: 'notFound'; kind: 'string' | 'number' | 'date'; pagesSearched: number; pagesWithoutText: number[] }
  /** The document has no text at all (a scan, or pages of images). */
  | { outcome: 'noText'; pages: number }
  | { outcome: 'notSearched'; reason: NotSearchedReason };

export interface LocateOptions {
  absoluteTolerance?: number;
  relativeTolerance?: number;
  /** Most matches returned (default 50). */
  maxMatches?: number;
}

/** Values shorter than this are not searched. */
export const MIN_SEARCH_LENGTH = 3;

/** A page's text made searchable, with the way back to its items. */
export interface SearchablePage {
  page: number;
  /** Folded text. */
  text: string;
  /** For each character of `text`, where it came from. */
  map: ItemOffset[];
  /** The items' strings, for quoting a match as printed. */
  items: readonly TextItem[];
}

/** Characters folded already: a page repeats few distinct characters, and Unicode folding is slow. */
const folded = new Map<string, string>();

/** One character folded for search: NFKC, no accents, lower case; '' for a combining mark. */
function fold(ch: string): string {
  const code = ch.charCodeAt(0);
  if (code < 0x80 && ch.length === 1) {
    // ASCII: NFKC and NFD leave it as it is.
    return code >= 0x41 && code <= 0x5a ? String.fromCharCode(code + 32) : ch;
  }
  let f = folded.get(ch);
  if (f === undefined) {
    f = ch.normalize('NFKC').normalize('NFD').replace(/\p{M}/gu, '').toLowerCase();
    folded.set(ch, f);
  }
  return f;
}

const SPACE = /\s/u;

/**
 * A page's text made searchable a few items at a time: a caller that yields between calls of
 * {@link add} never reads a long page in one task.
 */
export class SearchablePageBuilder {
  private text = '';
  private readonly map: ItemOffset[] = [];
  private lastSpace = true;
  private next = 0;

  constructor(private readonly page: PageText) {}

  /** Whether every item has been added. */
  get done(): boolean {
    return this.next >= this.page.items.length;
  }

  /** Adds up to `count` more items (joined with a space at each line end, folded, the way back kept). */
  add(count: number = Infinity): void {
    const items = this.page.items;
    const end = Math.min(items.length, this.next + count);
    for (let i = this.next; i < end; i++) {
      const s = items[i].str ?? '';
      let offset = 0;
      for (const ch of s) {
        this.push(fold(ch), { item: i, offset });
        offset += ch.length;
      }
      if (items[i].hasEOL) {
        this.push(' ', { item: i, offset: s.length });
      }
    }
    this.next = end;
  }

  private push(s: string, at: ItemOffset): void {
    for (const c of s) {
      if (SPACE.test(c)) {
        if (this.lastSpace) {
          continue;
        }
        this.text += ' ';
        this.map.push(at);
        this.lastSpace = true;
      } else {
        this.text += c;
        for (let k = 0; k < c.length; k++) {
          this.map.push(at);
        }
        this.lastSpace = false;
      }
    }
  }

  /** The searchable page (after every item was added). */
  result(): SearchablePage {
    this.add();
    return { page: this.page.page, text: this.text, map: this.map, items: this.page.items };
  }
}

/** Joins a page's items (a space at each line end) and folds it, keeping the way back. */
export function searchablePage(page: PageText): SearchablePage {
  return new SearchablePageBuilder(page).result();
}

function quote(p: SearchablePage, from: number, to: number): TextMatch {
  const start = p.map[from];
  const last = p.map[to - 1];
  // The end is just after the last source character (one UTF-16 unit, or two for a surrogate pair).
  const lastItem = p.items[last.item]?.str ?? '';
  const width = lastItem.codePointAt(last.offset)! > 0xffff ? 2 : 1;
  const end = { item: last.item, offset: Math.min(lastItem.length, last.offset + width) };
  const parts: string[] = [];
  for (let i = start.item; i <= end.item; i++) {
    const s = p.items[i]?.str ?? '';
    parts.push(s.slice(i === start.item ? start.offset : 0, i === end.item ? end.offset : s.length));
  }
  return { page: p.page, start, end, text: parts.join(' ').replace(/\s+/g, ' ').trim() };
}

// ---- numbers ----

/** A number-like token: digits with separators between them, an optional sign. */
const NUMBER_TOKEN = /-?\d(?:[\d.,'’ ]*\d)?/g;

/** The values a token can mean: `1,160.00` → 1160; `1.160,00` → 1160; `1.160` → 1.16 or 1160. */
export function readNumberBothWays(token: string): number[] {
  const negative = token.startsWith('-');
  const t = (negative ? token.slice(1) : token).replace(/[ '’]/g, '');
  const out = new Set<number>();
  const add = (s: string) => {
    if (/^\d+(\.\d+)?$/.test(s)) {
      out.add((negative ? -1 : 1) * Number(s));
    }
  };
  // "." decimal, "," thousands.
  if (/^\d{1,3}(,\d{3})*(\.\d+)?$/.test(t) || /^\d+(\.\d+)?$/.test(t)) {
    add(t.replace(/,/g, ''));
  }
  // "," decimal, "." thousands.
  if (/^\d{1,3}(\.\d{3})*(,\d+)?$/.test(t) || /^\d+(,\d+)?$/.test(t)) {
    add(t.replace(/\./g, '').replace(',', '.'));
  }
  return [...out];
}

function numbersEqual(a: number, b: number, o: LocateOptions): boolean {
  if (a === b) {
    return true;
  }
  const diff = Math.abs(a - b);
  const abs = Math.max(0, o.absoluteTolerance ?? 0);
  const rel = Math.max(0, o.relativeTolerance ?? 0);
  // Floating point: 1160.1 read from text is not always exactly the JSON's 1160.1.
  return diff <= abs || diff <= rel * Math.max(Math.abs(a), Math.abs(b)) || diff <= 1e-9 * Math.max(1, Math.abs(a));
}

/** Tokens of a folded text: sub-tokens too, so "1,160.00 2,000.00" read as one run still finds both. */
function numberCandidates(text: string): { from: number; to: number; token: string }[] {
  const out: { from: number; to: number; token: string }[] = [];
  for (const m of text.matchAll(NUMBER_TOKEN)) {
    const from = m.index;
    out.push({ from, to: from + m[0].length, token: m[0] });
    // A run joined by spaces ("12 1,160.00") also holds its space-separated parts.
    if (m[0].includes(' ')) {
      let at = from;
      for (const part of m[0].split(' ')) {
        if (/\d/.test(part)) {
          const clean = part.replace(/^[^\d-]+|[^\d]+$/g, '');
          const lead = part.indexOf(clean);
          out.push({ from: at + lead, to: at + lead + clean.length, token: clean });
        }
        at += part.length + 1;
      }
    }
  }
  return out;
}

// ---- dates ----

const MONTHS: Record<string, number> = {};
[
  ['january', 'jan', 'enero', 'ene'],
  ['february', 'feb', 'febrero'],
  ['march', 'mar', 'marzo'],
  ['april', 'apr', 'abril', 'abr'],
  ['may', 'mayo'],
  ['june', 'jun', 'junio'],
  ['july', 'jul', 'julio'],
  ['august', 'aug', 'agosto', 'ago'],
  ['september', 'sep', 'sept', 'septiembre', 'setiembre'],
  ['october', 'oct', 'octubre'],
  ['november', 'nov', 'noviembre'],
  ['december', 'dec', 'diciembre', 'dic'],
].forEach((names, i) => names.forEach(n => (MONTHS[n] = i + 1)));
const MONTH_NAME = Object.keys(MONTHS)
  .sort((a, b) => b.length - a.length)
  .join('|');

interface Ymd {
  y: number;
  m: number;
  d: number;
}

const validDate = ({ y, m, d }: Ymd) => {
  if (m < 1 || m > 12 || d < 1 || y < 1000 || y > 9999) {
    return false;
  }
  return d <= new Date(Date.UTC(y, m, 0)).getUTCDate();
};

const year = (s: string) => (s.length === 2 ? 2000 + Number(s) : Number(s));

/** The dates a written date can mean (d/m and m/d both, when both are valid). */
function readDates(s: string): Ymd[] {
  const t = s.trim().toLowerCase();
  const out: Ymd[] = [];
  let m: RegExpExecArray | null;
  if ((m = /^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})(?:[t ].*)?$/.exec(t))) {
    out.push({ y: Number(m[1]), m: Number(m[2]), d: Number(m[3]) });
  } else if ((m = /^(\d{1,2})[-/.](\d{1,2})[-/.](\d{4}|\d{2})$/.exec(t))) {
    out.push({ y: year(m[3]), m: Number(m[2]), d: Number(m[1]) }, { y: year(m[3]), m: Number(m[1]), d: Number(m[2]) });
  } else if ((m = new RegExp(`^(\\d{1,2})(?: de)? (${MONTH_NAME})\\.?(?: de|,)? (\\d{4})$`).exec(t))) {
    out.push({ y: Number(m[3]), m: MONTHS[m[2]], d: Number(m[1]) });
  } else if ((m = new RegExp(`^(${MONTH_NAME})\\.? (\\d{1,2}),? (\\d{4})$`).exec(t))) {
    out.push({ y: Number(m[3]), m: MONTHS[m[1]], d: Number(m[2]) });
  }
  return out.filter(validDate);
}

/** Date-like pieces of a folded page text. */
const DATE_IN_TEXT = new RegExp(
  [
    String.raw`\b\d{4}[-/.]\d{1,2}[-/.]\d{1,2}\b`,
    String.raw`\b\d{1,2}[-/.]\d{1,2}[-/.](?:\d{4}|\d{2})\b`,
    String.raw`\b\d{1,2}(?: de)? (?:${MONTH_NAME})\.?(?: de|,)? \d{4}\b`,
    String.raw`\b(?:${MONTH_NAME})\.? \d{1,2},? \d{4}\b`,
  ].join('|'),
  'g',
);

// ---- the search ----

type Query =
  | { kind: 'string'; text: string }
  | { kind: 'number'; value: number; text?: string }
  | { kind: 'date'; dates: Ymd[]; text: string };

function queryOf(value: unknown): Query | NotSearchedReason {
  if (typeof value === 'number') {
    return Number.isFinite(value) ? { kind: 'number', value } : 'notText';
  }
  if (typeof value !== 'string') {
    return 'notText';
  }
  const folded = [...value].map(fold).join('').replace(/\s+/gu, ' ').trim();
  if (folded === '') {
    return 'empty';
  }
  const dates = readDates(folded);
  if (dates.length) {
    return { kind: 'date', dates, text: folded };
  }
  if (folded.length < MIN_SEARCH_LENGTH) {
    return 'tooShort';
  }
  if (/^-?\d[\d.,'’ ]*$/.test(folded)) {
    const values = readNumberBothWays(folded.replace(/[.,]$/, ''));
    if (values.length === 1) {
      return { kind: 'number', value: values[0], text: folded };
    }
  }
  return { kind: 'string', text: folded };
}

function searchPage(p: SearchablePage, q: Query, o: LocateOptions, out: TextMatch[], max: number): void {
  const add = (from: number, to: number) => {
    if (out.length < max) {
      out.push(quote(p, from, to));
    }
  };
  if (q.kind === 'string' || (q.kind === 'number' && q.text !== undefined)) {
    const needle = q.kind === 'string' ? q.text : q.text!;
    let at = p.text.indexOf(needle);
    const found = at >= 0;
    while (at >= 0 && out.length < max) {
      add(at, at + needle.length);
      at = p.text.indexOf(needle, at + needle.length);
    }
    if (q.kind === 'string' || found) {
      return;
    }
  }
  if (q.kind === 'number') {
    for (const c of numberCandidates(p.text)) {
      // A digit right before or after is part of a longer number.
      if (/\d/.test(p.text[c.from - 1] ?? '') || /\d/.test(p.text[c.to] ?? '')) {
        continue;
      }
      const token = c.token.replace(/[.,]$/, '');
      if (readNumberBothWays(token).some(v => numbersEqual(v, q.value, o))) {
        add(c.from, c.from + token.length);
      }
    }
    return;
  }
  if (q.kind === 'date') {
    for (const m of p.text.matchAll(DATE_IN_TEXT)) {
      const dates = readDates(m[0]);
      if (dates.some(d => q.dates.some(e => e.y === d.y && e.m === d.m && e.d === d.d))) {
        add(m.index, m.index + m[0].length);
      }
    }
  }
}

/**
 * The search for one value, a page at a time: a caller that yields between pages keeps every task
 * short, and can drop a search a newer one replaces. {@link locateValue} is the same in one call.
 */
export class ValueSearch {
  private readonly query: Query | NotSearchedReason;
  private readonly matches: TextMatch[] = [];
  private readonly withoutText: number[] = [];
  private pages = 0;

  constructor(
    value: unknown,
    private readonly options: LocateOptions = {},
  ) {
    this.query = queryOf(value);
  }

  /** Why the value is not searched at all (then adding pages does nothing), if it is not. */
  get notSearched(): NotSearchedReason | undefined {
    return typeof this.query === 'string' ? this.query : undefined;
  }

  /** Searches one more page. */
  add(page: SearchablePage): void {
    if (typeof this.query === 'string') {
      return;
    }
    this.pages++;
    if (page.text.trim() === '') {
      this.withoutText.push(page.page);
    }
    searchPage(page, this.query, this.options, this.matches, this.options.maxMatches ?? 50);
  }

  /** What the pages added so far say. */
  result(): LocateOutcome {
    const q = this.query;
    if (typeof q === 'string') {
      return { outcome: 'notSearched', reason: q };
    }
    if (this.pages === 0 || this.withoutText.length === this.pages) {
      return { outcome: 'noText', pages: this.pages };
    }
    const matches = [...this.matches];
    if (matches.length === 0) {
      return { outcome: 'notFound', kind: q.kind, pagesSearched: this.pages, pagesWithoutText: [...this.withoutText] };
    }
    return {
      outcome: 'found',
      kind: q.kind,
      matches,
      locations: matches.map(m => ({ page: m.page, match: m, source: 'text-search' })),
    };
  }
}

/**
 * Searches the pages for a field's value. `pages` may be pages already made searchable (cached per
 * document by the caller) or raw page texts.
 */
export function locateValue(
  pages: readonly (PageText | SearchablePage)[],
  value: unknown,
  options: LocateOptions = {},
): LocateOutcome {
  const search = new ValueSearch(value, options);
  if (!search.notSearched) {
    for (const p of pages) {
      search.add('map' in p ? p : searchablePage(p));
    }
  }
  return search.result();
}
