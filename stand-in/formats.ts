/**
 * Document type detection, as the stand-in judges an upload: the file's first bytes decide when they
 * are a known signature; otherwise the declared type, otherwise the name. Clients differ here (the
 * Node SDK sends no part type, its CLI sends octet-stream), so generic declared types fall through
 * to the file name, which is looked up in the full MIME database (mime-types), as a server would.
 * TIFF is known (so it can be refused by name) but not accepted unless `allowTiff` is set: DocuTray's
 * API reference does not list it.
 */
import { lookup } from 'mime-types';

export type DocumentFormat = 'pdf' | 'jpeg' | 'png' | 'gif' | 'bmp' | 'webp' | 'tiff';

export const FORMAT_MIME: Record<DocumentFormat, string> = {
  pdf: 'application/pdf',
  jpeg: 'image/jpeg',
  png: 'image/png',
  gif: 'image/gif',
  bmp: 'image/bmp',
  webp: 'image/webp',
  tiff: 'image/tiff',
};

/** How many leading bytes {@link sniff} looks at. */
export const SNIFF_BYTES = 16;

const MIME_FORMATS: Record<string, DocumentFormat> = {
  'application/pdf': 'pdf',
  'application/x-pdf': 'pdf',
  'image/jpeg': 'jpeg',
  'image/jpg': 'jpeg',
  'image/pjpeg': 'jpeg',
  'image/png': 'png',
  'image/gif': 'gif',
  'image/bmp': 'bmp',
  'image/x-bmp': 'bmp',
  'image/x-ms-bmp': 'bmp',
  'image/webp': 'webp',
  'image/tiff': 'tiff',
  'image/tif': 'tiff',
};

/** Declared types that say nothing about the content. */
const GENERIC_MIMES = new Set(['', 'application/octet-stream', 'binary/octet-stream', 'application/binary']);

function startsWith(head: Uint8Array, bytes: readonly number[], at = 0): boolean {
  return head.length >= at + bytes.length && bytes.every((b, i) => head[at + i] === b);
}

const ascii = (s: string): number[] => [...s].map(c => c.charCodeAt(0));

/** The format the bytes are, when they carry a signature we know. */
export function sniff(head: Uint8Array): DocumentFormat | undefined {
  if (startsWith(head, ascii('%PDF-'))) {
    return 'pdf';
  }
  if (startsWith(head, [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])) {
    return 'png';
  }
  if (startsWith(head, [0xff, 0xd8, 0xff])) {
    return 'jpeg';
  }
  if (startsWith(head, ascii('GIF87a')) || startsWith(head, ascii('GIF89a'))) {
    return 'gif';
  }
  if (startsWith(head, ascii('RIFF')) && startsWith(head, ascii('WEBP'), 8)) {
    return 'webp';
  }
  if (startsWith(head, [0x49, 0x49, 0x2a, 0x00]) || startsWith(head, [0x4d, 0x4d, 0x00, 0x2a])) {
    return 'tiff';
  }
  // BMP last: "BM" is only two bytes, so the longer signatures go first.
  if (startsWith(head, ascii('BM'))) {
    return 'bmp';
  }
  return undefined;
}

function mimeEssence(mime: string | null | undefined): string {
  return (mime ?? '').split(';')[0].trim().toLowerCase();
}

export function isGenericMime(mime: string | null | undefined): boolean {
  return GENERIC_MIMES.has(mimeEssence(mime));
}

export function formatFromMime(mime: string | null | undefined): DocumentFormat | undefined {
  return MIME_FORMATS[mimeEssence(mime)];
}

/** The MIME type a file name or URL path's extension says, from the full database. */
export function mimeFromName(name: string | null | undefined): string | undefined {
  const base = (name ?? '').split(/[\\/]/).pop() ?? '';
  return base.lastIndexOf('.') > 0 ? lookup(base) || undefined : undefined;
}

/** The format a file name or URL path's extension says. */
export function formatFromName(name: string | null | undefined): DocumentFormat | undefined {
  return formatFromMime(mimeFromName(name));
}

/**
 * The format of an upload, or undefined when it is not one the stand-in knows. A specific declared
 * type (say text/plain) is believed over the name; a generic one (octet-stream) is not.
 */
export function resolveFormat(
  head: Uint8Array,
  declared: string | null | undefined,
  name: string | null | undefined,
): DocumentFormat | undefined {
  const sniffed = sniff(head);
  if (sniffed) {
    return sniffed;
  }
  if (!isGenericMime(declared)) {
    return formatFromMime(declared);
  }
  return formatFromName(name);
}

export function isAllowed(format: DocumentFormat | undefined, allowTiff: boolean): format is DocumentFormat {
  return format !== undefined && (format !== 'tiff' || allowTiff);
}
