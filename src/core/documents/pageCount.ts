/**
 * How many pages a document has, to say before a run over many documents how many pages DocuTray will
 * bill (it counts processed pages). Cheap and honest: an image is one page; a PDF is read as bytes, not
 * rendered — the page tree's root (`/Type /Pages` without `/Parent`) holds the document's `/Count`. When
 * that cannot be found for sure (compressed in a way not read here, damaged, several roots that
 * disagree), the count is an estimate (`exact: false`) and the caller says "about".
 *
 * Pure: bytes in, a count out. zlib only, to read the object streams PDF 1.5 files hide their page tree in.
 */
import { constants, inflateSync } from 'node:zlib';

export interface PageCount {
  pages: number;
  /** False when `pages` is an estimate. */
  exact: boolean;
}

/** Bigger PDFs are not read for their pages: they are counted as one page, not exactly. */
export const MAX_PDF_BYTES_READ = 128 * 1024 * 1024;

/** Pages of a document DocuTray takes: a PDF's page count, one page for an image. */
export function countPages(fileName: string, bytes: Uint8Array | undefined): PageCount {
  const isPdf = /\.pdf$/i.test(fileName) || (bytes !== undefined && startsWithPdfHeader(bytes));
  if (!isPdf) {
    return { pages: 1, exact: true };
  }
  if (!bytes) {
    return { pages: 1, exact: false };
  }
  return countPdfPages(bytes);
}

function startsWithPdfHeader(bytes: Uint8Array): boolean {
  return bytes.length >= 5 && Buffer.from(bytes.subarray(0, 5)).toString('latin1') === '%PDF-';
}

/** Sums counts: exact only when every one is. */
export function totalPages(counts: readonly PageCount[]): PageCount {
  return {
    pages: counts.reduce((n, c) => n + c.pages, 0),
    exact: counts.every(c => c.exact),
  };
}

/** Inflated bytes one object stream may give (a real one holds a few hundred small objects). */
export const MAX_OBJECT_STREAM_BYTES = 8 * 1024 * 1024;
/** Inflated bytes of all object streams of one PDF: past this, the rest are not read (an estimate). */
export const MAX_INFLATED_BYTES = 32 * 1024 * 1024;

/**
 * A PDF's pages: its page tree root's `/Count`, else its page objects counted, else one page (estimates).
 *
 * One pass over the bytes, whatever they hold: dictionaries are matched with a stack as they open and
 * close (finding the dictionary around each `/Type` by searching back and forth was quadratic: a
 * 256 KB PDF of many small dictionaries took 35 s), and object streams inflate within a budget (one
 * deflate bomb of 0.39 MB once took 803 MB). A PDF that reaches a bound gets an estimate, not a hang.
 */
export function countPdfPages(bytes: Uint8Array): PageCount {
  if (bytes.length > MAX_PDF_BYTES_READ) {
    return { pages: 1, exact: false };
  }
  const found: Found = { roots: [], leaves: 0, objectStreams: [], incomplete: false };
  scan(bytes, found, true);
  // PDF 1.5 and later may keep every dictionary, the page tree too, in compressed object streams.
  let budget = MAX_INFLATED_BYTES;
  const endstream = new EndstreamFinder(bytes);
  for (const dict of found.objectStreams) {
    const inner = objectStream(bytes, dict, endstream, Math.min(budget, MAX_OBJECT_STREAM_BYTES));
    if (inner === 'too big') {
      found.incomplete = true;
      budget = 0;
      continue;
    }
    if (inner) {
      budget -= inner.length;
      scan(inner, found, false);
    }
  }
  if (found.roots.length) {
    // An incremental update appends a new revision of the root: the last one is the document now.
    const last = found.roots[found.roots.length - 1];
    return { pages: last, exact: !found.incomplete && found.roots.every(r => r === last) };
  }
  if (found.leaves > 0) {
    return { pages: found.leaves, exact: false };
  }
  return { pages: 1, exact: false };
}

interface Found {
  /** The `/Count` of each page tree root (`/Type /Pages` without `/Parent`), in the order they end. */
  roots: number[];
  /** `/Type /Page` dictionaries (pages). */
  leaves: number;
  /** Where each `/Type /ObjStm` dictionary is (`end` past its `>>`). */
  objectStreams: { start: number; end: number }[];
  /** Something was not read (too deep, an object stream past the budget): a root is then an estimate. */
  incomplete: boolean;
}

/** An open `<<` or `[`: what a dictionary said of itself so far at its own level. */
interface Open {
  dict: boolean;
  start: number;
  typePages: boolean;
  objStm: boolean;
  parent: boolean;
  count?: number;
}

/** Deeper nesting than this is not followed (real PDFs nest a few levels; `<<<<<<…` is not a PDF). */
const MAX_DEPTH = 4096;

/** An object stream's dictionary larger than this is not read (a real one is a hundred bytes or so). */
const MAX_OBJECT_STREAM_DICT = 64 * 1024;

const LT = 0x3c;
const GT = 0x3e;
const LBRACKET = 0x5b;
const RBRACKET = 0x5d;
const SLASH = 0x2f;

/** PDF white space and delimiters: what ends a name or a number. */
const ENDS_TOKEN = new Uint8Array(256);
for (const c of [0, 9, 10, 12, 13, 32, 0x28, 0x29, LT, GT, LBRACKET, RBRACKET, 0x7b, 0x7d, SLASH, 0x25]) {
  ENDS_TOKEN[c] = 1;
}
const WHITE = new Uint8Array(256);
for (const c of [0, 9, 10, 12, 13, 32]) {
  WHITE[c] = 1;
}

/** The names this reads, as bytes after the `/`. */
const NAMES = ['Type', 'Pages', 'Page', 'ObjStm', 'Parent', 'Count'] as const;
type Name = (typeof NAMES)[number] | 'other';

function nameAt(b: Uint8Array, from: number, to: number): Name {
  const length = to - from;
  for (const n of NAMES) {
    if (n.length !== length) {
      continue;
    }
    let same = true;
    for (let k = 0; k < length && same; k++) {
      same = b[from + k] === n.charCodeAt(k);
    }
    if (same) {
      return n;
    }
  }
  return 'other';
}

/** A run of digits only, not followed by a `.` (`3` yes, `3.5` and `-3` no). */
function integerAt(b: Uint8Array, from: number, to: number): number | undefined {
  let n = 0;
  for (let k = from; k < to; k++) {
    const c = b[k];
    if (c < 0x30 || c > 0x39) {
      return undefined;
    }
    n = n * 10 + (c - 0x30);
  }
  return to > from && Number.isSafeInteger(n) ? n : undefined;
}

/**
 * Reads names, numbers and the `<<`, `>>`, `[`, `]` around them, with a stack of what is open. Like the
 * regular expressions this replaces, it reads bytes as they come (a string or a stream's data is not
 * told apart): `/Type /Pages` is a page tree node of the innermost dictionary around it, whose own
 * `/Parent` and `/Count` (not those of a dictionary or list inside it) say whether it is the root.
 */
function scan(b: Uint8Array, found: Found, objectStreams: boolean): void {
  const stack: Open[] = [];
  /** The open dictionaries only (the innermost dictionary, whatever lists are open inside it). */
  const dicts: Open[] = [];
  let lost = 0;
  /** The previous token, when it was a name this reads (a `/Type` or an own `/Count` waiting for its value). */
  let previous: Name | undefined;
  let i = 0;
  const n = b.length;
  while (i < n) {
    const c = b[i];
    if (WHITE[c]) {
      i++;
      continue;
    }
    if ((c === LT && b[i + 1] === LT) || c === LBRACKET) {
      const dict = c === LT;
      if (stack.length >= MAX_DEPTH || lost > 0) {
        lost++;
        found.incomplete = true;
      } else {
        const open: Open = { dict, start: i, typePages: false, objStm: false, parent: false };
        stack.push(open);
        if (dict) {
          dicts.push(open);
        }
      }
      i += dict ? 2 : 1;
      previous = undefined;
      continue;
    }
    if ((c === GT && b[i + 1] === GT) || c === RBRACKET) {
      const dict = c === GT;
      i += dict ? 2 : 1;
      previous = undefined;
      if (lost > 0) {
        lost--;
        continue;
      }
      const top = stack[stack.length - 1];
      if (!top || top.dict !== dict) {
        continue; // a closer without its opener: nothing to close
      }
      stack.pop();
      if (!dict) {
        continue;
      }
      dicts.pop();
      if (top.typePages && !top.parent && top.count !== undefined) {
        found.roots.push(top.count);
      }
      if (top.objStm && objectStreams) {
        if (i - top.start <= MAX_OBJECT_STREAM_DICT) {
          found.objectStreams.push({ start: top.start, end: i });
        } else {
          found.incomplete = true;
        }
      }
      continue;
    }
    // A name, a number or a keyword: up to the next white space or delimiter.
    const from = c === SLASH ? i + 1 : i;
    let to = from;
    while (to < n && !ENDS_TOKEN[b[to]]) {
      to++;
    }
    if (to === i) {
      to = i + 1; // a lone delimiter: `(`, `)`, `{`, `}`, `%` or a single `<`/`>`
    }
    const inner = lost === 0 ? dicts[dicts.length - 1] : undefined;
    const ownLevel = inner !== undefined && stack[stack.length - 1] === inner;
    if (c === SLASH) {
      const name = nameAt(b, from, to);
      if (previous === 'Type' && inner) {
        if (name === 'Pages') {
          inner.typePages = true;
        } else if (name === 'ObjStm') {
          inner.objStm = true;
        }
      }
      if (previous === 'Type' && name === 'Page') {
        found.leaves++;
      }
      if (name === 'Parent' && ownLevel) {
        inner.parent = true;
      }
      previous = name === 'Type' || (name === 'Count' && ownLevel) ? name : undefined;
    } else {
      if (previous === 'Count' && ownLevel && inner.count === undefined && b[to] !== 0x2e) {
        inner.count = integerAt(b, from, to);
      }
      previous = undefined;
    }
    i = to;
  }
}

/** Finds `endstream` after a position; positions asked for only grow, so the file is searched once. */
class EndstreamFinder {
  private found = -1;
  private searchedFrom = -1;

  constructor(private readonly bytes: Uint8Array) {}

  after(from: number): number {
    if (this.found >= from && this.searchedFrom <= from) {
      return this.found;
    }
    if (this.found === -2 && this.searchedFrom <= from) {
      return -1; // none after an earlier position: none after this one
    }
    this.searchedFrom = from;
    this.found = Buffer.from(this.bytes.buffer, this.bytes.byteOffset, this.bytes.byteLength).indexOf(
      'endstream',
      from,
    );
    if (this.found < 0) {
      this.found = -2;
      return -1;
    }
    return this.found;
  }
}

/**
 * The inflated contents of one Flate-encoded object stream, undefined when it cannot be read (another
 * filter, a predictor, damaged), 'too big' when it inflates past `limit` bytes.
 */
function objectStream(
  bytes: Uint8Array,
  at: { start: number; end: number },
  endstream: EndstreamFinder,
  limit: number,
): Buffer | undefined | 'too big' {
  const latin1 = (from: number, to: number) =>
    Buffer.from(bytes.buffer, bytes.byteOffset + from, Math.max(0, Math.min(to, bytes.length) - from)).toString(
      'latin1',
    );
  const dict = latin1(at.start, at.end);
  if (!/\/FlateDecode/.test(dict) || /\/DecodeParms/.test(dict)) {
    return undefined; // another filter, or a predictor: not read here (the count is then an estimate)
  }
  const head = /^\s*stream\r?\n/.exec(latin1(at.end, at.end + 32));
  if (!head) {
    return undefined;
  }
  const from = at.end + head[0].length;
  const length = /\/Length\s+(\d+)(?!\d)(?!\s+\d+\s+R)/.exec(topLevel(dict));
  const to = length ? from + Number(length[1]) : endstream.after(from);
  if (to < from || to > bytes.length) {
    return undefined;
  }
  if (limit <= 0) {
    return 'too big';
  }
  try {
    // A stream cut short still gives what it holds (SYNC_FLUSH): its dictionaries are counted.
    return inflateSync(bytes.subarray(from, to), { finishFlush: constants.Z_SYNC_FLUSH, maxOutputLength: limit });
  } catch (e) {
    // Over the limit (a deflate bomb, or a stream too large to be an object stream): not read further.
    return (e as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE' || e instanceof RangeError ? 'too big' : undefined;
  }
}

/** A dictionary's own entries: nested dictionaries and arrays blanked out (their `/Length` is not its). */
function topLevel(dict: string): string {
  const kept: string[] = [];
  let depth = 0;
  let from = 2;
  for (let i = 2; i < dict.length - 2; i++) {
    const c = dict.charCodeAt(i);
    const opens = c === 0x5b || (c === 0x3c && dict.charCodeAt(i + 1) === 0x3c); // [ or <<
    const closes = c === 0x5d || (c === 0x3e && dict.charCodeAt(i + 1) === 0x3e); // ] or >>
    if (!opens && !closes) {
      continue;
    }
    if (opens && depth++ === 0) {
      kept.push(dict.slice(from, i), ' ');
    }
    if (closes && --depth === 0) {
      from = c === 0x5d ? i + 1 : i + 2;
    }
    if (c !== 0x5b && c !== 0x5d) {
      i++;
    }
  }
  if (depth <= 0) {
    kept.push(dict.slice(from, dict.length - 2));
  }
  return kept.join('');
}
