/**
 * What DocuTray accepts, and how we tell a file's real type: by its name first, then confirmed or
 * corrected by its first bytes (a `.pdf` that is really a PNG is sent as a PNG; a `.pdf` that is text
 * is refused before upload). A small table, not the whole mime database: everything outside it is
 * refused anyway, and the bundle stays small.
 */

export const MAX_UPLOAD_BYTES = 100 * 1024 * 1024;

export interface DocumentType {
  mime: string;
  label: string;
  extensions: readonly string[];
}

export const SUPPORTED_TYPES: readonly DocumentType[] = [
  { mime: 'application/pdf', label: 'PDF', extensions: ['.pdf'] },
  { mime: 'image/png', label: 'PNG', extensions: ['.png'] },
  { mime: 'image/jpeg', label: 'JPEG', extensions: ['.jpg', '.jpeg', '.jpe', '.jfif'] },
  { mime: 'image/gif', label: 'GIF', extensions: ['.gif'] },
  { mime: 'image/bmp', label: 'BMP', extensions: ['.bmp'] },
  { mime: 'image/webp', label: 'WebP', extensions: ['.webp'] },
  { mime: 'image/tiff', label: 'TIFF', extensions: ['.tif', '.tiff'] },
];

export const SUPPORTED_LABELS = SUPPORTED_TYPES.map(t => t.label);

/** Common types we refuse, so an error can name what the file is. */
const OTHER_TYPES: Record<string, string> = {
  '.txt': 'text/plain', '.md': 'text/markdown', '.json': 'application/json', '.csv': 'text/csv',
  '.html': 'text/html', '.htm': 'text/html', '.xml': 'application/xml', '.svg': 'image/svg+xml',
  '.heic': 'image/heic', '.heif': 'image/heif', '.avif': 'image/avif', '.ico': 'image/vnd.microsoft.icon',
  '.doc': 'application/msword', '.docx': 'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
  '.xls': 'application/vnd.ms-excel', '.xlsx': 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
  '.zip': 'application/zip',
};

function extensionOf(fileName: string): string {
  const base = fileName.replace(/[?#].*$/, '').split(/[\\/]/).pop() ?? '';
  const dot = base.lastIndexOf('.');
  return dot > 0 ? base.slice(dot).toLowerCase() : '';
}

/** The MIME type the file name says, or undefined when the name says nothing we know. */
export function mimeFromName(fileName: string): string | undefined {
  const ext = extensionOf(fileName);
  return SUPPORTED_TYPES.find(t => t.extensions.includes(ext))?.mime ?? OTHER_TYPES[ext];
}

export function isSupportedMime(mime: string | undefined): boolean {
  return !!mime && SUPPORTED_TYPES.some(t => t.mime === mime.toLowerCase().split(';')[0].trim());
}

/** True when the name has an extension DocuTray accepts (what the explorer menu offers). */
export function isSupportedFileName(fileName: string): boolean {
  return isSupportedMime(mimeFromName(fileName));
}

/** How many leading bytes {@link sniffMime} needs. */
export const SNIFF_BYTES = 1024;

/** BITMAPCOREHEADER, OS/2 1.x/2.x, BITMAPINFOHEADER and its V2–V5 successors. */
const BMP_DIB_HEADER_SIZES: ReadonlySet<number> = new Set([12, 16, 40, 52, 56, 64, 108, 124]);

function readUint32LE(b: Uint8Array, offset: number): number {
  return (b[offset] | (b[offset + 1] << 8) | (b[offset + 2] << 16)) + b[offset + 3] * 0x1000000;
}

/** The type the bytes say, for the formats DocuTray accepts; undefined when they match none. */
export function sniffMime(head: Uint8Array): string | undefined {
  const at = (offset: number, ...bytes: number[]) => bytes.every((b, i) => head[offset + i] === b);
  const ascii = (offset: number, s: string) => at(offset, ...Array.from(s, c => c.charCodeAt(0)));
  if (ascii(0, '%PDF-')) {
    return 'application/pdf';
  }
  if (at(0, 0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a)) {
    return 'image/png';
  }
  if (at(0, 0xff, 0xd8, 0xff)) {
    return 'image/jpeg';
  }
  if (ascii(0, 'GIF87a') || ascii(0, 'GIF89a')) {
    return 'image/gif';
  }
  // "BM" alone is two letters any text may begin with: also require a known DIB header size.
  if (ascii(0, 'BM') && head.length >= 18 && BMP_DIB_HEADER_SIZES.has(readUint32LE(head, 14))) {
    return 'image/bmp';
  }
  if (ascii(0, 'RIFF') && ascii(8, 'WEBP')) {
    return 'image/webp';
  }
  if (at(0, 0x49, 0x49, 0x2a, 0x00) || at(0, 0x4d, 0x4d, 0x00, 0x2a)) {
    return 'image/tiff';
  }
  return undefined;
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
