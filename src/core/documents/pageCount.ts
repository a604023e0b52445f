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

/** A PDF's pages: its page tree root's `/Count`, else its page objects counted, else one page (estimates). */
export function countPdfPages(bytes: Uint8Array): PageCount {
  if (bytes.length > MAX_PDF_BYTES_READ) {
    return { pages: 1, exact: false };
  }
  const text = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1');
  const found = scan(text);
  // PDF 1.5 and later may keep every dictionary, the page tree too, in compressed object streams.
  for (const inner of objectStreams(text)) {
    const more = scan(inner);
    found.roots.push(...more.roots);
    found.leaves += more.leaves;
  }
  if (found.roots.length) {
    // An incremental update appends a new revision of the root: the last one is the document now.
    const last = found.roots[found.roots.length - 1];
    return { pages: last, exact: found.roots.every(r => r === last) };
  }
  if (found.leaves > 0) {
    return { pages: found.leaves, exact: false };
  }
  return { pages: 1, exact: false };
}

/** `/Type /Pages` (a page tree node) and `/Type /Page` (a page), written with any white space between. */
const TYPE_PAGES = /\/Type\s*\/Pages(?![A-Za-z0-9#])/g;
const TYPE_PAGE = /\/Type\s*\/Page(?![A-Za-z0-9#])/g;

/** How far from a `/Type` the dictionary around it is looked for (a node's `/Kids` can be long). */
const DICT_REACH = 4 * 1024 * 1024;

function scan(text: string): { roots: number[]; leaves: number } {
  const roots: number[] = [];
  for (const m of text.matchAll(TYPE_PAGES)) {
    const at = dictionaryAround(text, m.index ?? 0);
    if (!at) {
      continue;
    }
    const top = topLevel(text.slice(at.start, at.end));
    if (/\/Parent(?![A-Za-z0-9#])/.test(top)) {
      continue;
    }
    const count = /\/Count\s+(\d+)(?![\d.])/.exec(top);
    if (count) {
      roots.push(Number(count[1]));
    }
  }
  const leaves = [...text.matchAll(TYPE_PAGE)].length;
  return { roots, leaves };
}

/** Where the innermost `<< … >>` around `at` is (`end` past its `>>`), or undefined when not closed within reach. */
function dictionaryAround(text: string, at: number): { start: number; end: number } | undefined {
  let depth = 0;
  let start = -1;
  for (let i = at - 1; i >= Math.max(0, at - DICT_REACH); i--) {
    const c = text.charCodeAt(i);
    if (c === 0x3e && text.charCodeAt(i - 1) === 0x3e) {
      depth++;
      i--;
    } else if (c === 0x3c && text.charCodeAt(i - 1) === 0x3c) {
      if (depth === 0) {
        start = i - 1;
        break;
      }
      depth--;
      i--;
    }
  }
  if (start < 0) {
    return undefined;
  }
  depth = 0;
  const end = Math.min(text.length, at + DICT_REACH);
  for (let i = start; i < end - 1; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x3c && text.charCodeAt(i + 1) === 0x3c) {
      depth++;
      i++;
    } else if (c === 0x3e && text.charCodeAt(i + 1) === 0x3e) {
      depth--;
      i++;
      if (depth === 0) {
        return { start, end: i + 1 };
      }
    }
  }
  return undefined;
}

/** A dictionary's own entries: nested dictionaries and arrays blanked out (their `/Count` is not its). */
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

/** The decompressed contents of the Flate-encoded object streams (`/Type /ObjStm`) that can be read. */
function* objectStreams(text: string): Generator<string> {
  for (const m of text.matchAll(/\/Type\s*\/ObjStm(?![A-Za-z0-9#])/g)) {
    const at = dictionaryAround(text, m.index ?? 0);
    const dict = at && text.slice(at.start, at.end);
    if (!at || !dict || !/\/FlateDecode/.test(dict) || /\/DecodeParms/.test(dict)) {
      continue; // another filter, or a predictor: not read here (the count is then an estimate)
    }
    const head = /^\s*stream\r?\n/.exec(text.slice(at.end, at.end + 32));
    if (!head) {
      continue;
    }
    const from = at.end + head[0].length;
    const length = /\/Length\s+(\d+)(?!\d)(?!\s+\d+\s+R)/.exec(topLevel(dict));
    const to = length ? from + Number(length[1]) : text.indexOf('endstream', from);
    if (to < from || to > text.length) {
      continue;
    }
    try {
      // A stream cut short still gives what it holds (SYNC_FLUSH): its dictionaries are counted.
      yield inflateSync(Buffer.from(text.slice(from, to), 'latin1'), {
        finishFlush: constants.Z_SYNC_FLUSH,
      }).toString('latin1');
    } catch {
      // damaged or cut short: its pages are not counted from it
    }
  }
}
