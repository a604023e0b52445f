/**
 * What DocuTray accepts, and how we tell a file's real type: by its name first, then confirmed or
 * corrected by its first bytes (a `.pdf` that is really a PNG is sent as a PNG; a `.pdf` that is text
 * is refused before upload).
 *
 * {@link SUPPORTED_TYPES} is the one table of accepted formats (the formats DocuTray's API reference
 * lists: JPEG, PNG, GIF, BMP, WebP, PDF): the picker's filter, the explorer menu's `when` clauses
 * (checked against it by a unit test), the local refusals and the magic-byte check all read it. To
 * accept another format, add a row. Names outside the table are looked up in the full MIME database
 * (mime-types, see typeNames.ts) only to say what a refused file is.
 */
import { typeOfName } from './typeNames';

export const MAX_UPLOAD_BYTES = 100 * 1024 * 1024;

export interface DocumentType {
  mime: string;
  label: string;
  extensions: readonly string[];
  /** True when the first bytes are this format's signature. */
  sniff: (head: Uint8Array) => boolean;
}

const at = (head: Uint8Array, offset: number, ...bytes: number[]) => bytes.every((b, i) => head[offset + i] === b);
const ascii = (head: Uint8Array, offset: number, s: string) => at(head, offset, ...Array.from(s, c => c.charCodeAt(0)));

/** BITMAPCOREHEADER, OS/2 1.x/2.x, BITMAPINFOHEADER and its V2–V5 successors. */
const BMP_DIB_HEADER_SIZES: ReadonlySet<number> = new Set([12, 16, 40, 52, 56, 64, 108, 124]);

function readUint32LE(b: Uint8Array, offset: number): number {
  return (b[offset] | (b[offset + 1] << 8) | (b[offset + 2] << 16)) + b[offset + 3] * 0x1000000;
}

export const SUPPORTED_TYPES: readonly DocumentType[] = [
  { mime: 'application/pdf', label: 'PDF', extensions: ['.pdf'], sniff: h => ascii(h, 0, '%PDF-') },
  {
    mime: 'image/png',
    label: 'PNG',
    extensions: ['.png'],
    sniff: h => at(h, 0, 0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a),
  },
  {
    mime: 'image/jpeg',
    label: 'JPEG',
    extensions: ['.jpg', '.jpeg', '.jpe', '.jfif'],
    sniff: h => at(h, 0, 0xff, 0xd8, 0xff),
  },
  { mime: 'image/gif', label: 'GIF', extensions: ['.gif'], sniff: h => ascii(h, 0, 'GIF87a') || ascii(h, 0, 'GIF89a') },
  // "BM" alone is two letters any text may begin with: also require a known DIB header size.
  {
    mime: 'image/bmp',
    label: 'BMP',
    extensions: ['.bmp'],
    sniff: h => ascii(h, 0, 'BM') && h.length >= 18 && BMP_DIB_HEADER_SIZES.has(readUint32LE(h, 14)),
  },
  { mime: 'image/webp', label: 'WebP', extensions: ['.webp'], sniff: h => ascii(h, 0, 'RIFF') && ascii(h, 8, 'WEBP') },
];

export const SUPPORTED_LABELS = SUPPORTED_TYPES.map(t => t.label);

/** Every extension the table accepts, without the dot (for a file dialog's filter). */
export const SUPPORTED_EXTENSIONS = SUPPORTED_TYPES.flatMap(t => t.extensions.map(e => e.slice(1)));

function extensionOf(fileName: string): string {
  const base =
    fileName
      .replace(/[?#].*$/, '')
      .split(/[\\/]/)
      .pop() ?? '';
  const dot = base.lastIndexOf('.');
  return dot > 0 ? base.slice(dot).toLowerCase() : '';
}

function supportedByName(fileName: string): DocumentType | undefined {
  const ext = extensionOf(fileName);
  return ext ? SUPPORTED_TYPES.find(t => t.extensions.includes(ext)) : undefined;
}

/**
 * The MIME type the file name says, or undefined when the name says nothing known. A supported name is
 * answered from the table; any other from the full MIME database (loaded only then: such a file is
 * about to be refused).
 */
export function mimeFromName(fileName: string): string | undefined {
  return supportedByName(fileName)?.mime ?? (extensionOf(fileName) ? typeOfName(fileName)?.mime : undefined);
}

export function isSupportedMime(mime: string | undefined): boolean {
  return !!mime && SUPPORTED_TYPES.some(t => t.mime === mime.toLowerCase().split(';')[0].trim());
}

/** True when the name has an extension DocuTray accepts (what the explorer menu offers). */
export function isSupportedFileName(fileName: string): boolean {
  return supportedByName(fileName) !== undefined;
}

/** How many leading bytes {@link sniffMime} needs. */
export const SNIFF_BYTES = 1024;

/** The type the bytes say, for the formats DocuTray accepts; undefined when they match none. */
export function sniffMime(head: Uint8Array): string | undefined {
  return SUPPORTED_TYPES.find(t => t.sniff(head))?.mime;
}

export interface DetectedType {
  mime: string | undefined;
  /** True when the bytes confirmed (or chose) the type; false when only the name or caller said so. */
  confirmed: boolean;
}

/**
 * The type to send: the bytes win when they identify a supported format (a mislabelled file is sent as
 * what it is); otherwise the declared type or the name's, unconfirmed. PDF headers may be preceded by
 * junk, so a PDF's `%PDF-` is also looked for within the first bytes.
 */
export function detectMime(fileName: string | undefined, head: Uint8Array, declared?: string): DetectedType {
  const sniffed = sniffMime(head) ?? (findPdfHeader(head) ? 'application/pdf' : undefined);
  if (sniffed) {
    return { mime: sniffed, confirmed: true };
  }
  const named = declared?.split(';')[0].trim().toLowerCase() || (fileName ? mimeFromName(fileName) : undefined);
  return { mime: named, confirmed: false };
}

function findPdfHeader(head: Uint8Array): boolean {
  const text = Buffer.from(head.buffer, head.byteOffset, Math.min(head.byteLength, 1024)).toString('latin1');
  return text.includes('%PDF-');
}
