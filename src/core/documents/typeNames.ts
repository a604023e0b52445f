/**
 * What a file is, by its name, from the full MIME database (mime-types / mime-db): so a refusal can
 * say "notes.docx is a Word document (application/vnd.openxmlformats-…)" for any file, not only the
 * few a hand-written table knows.
 *
 * Only ever asked about files that are about to be refused: the supported formats are answered by the
 * table in mime.ts, and the magic-byte check there stays the authority. The database is some 70 KB
 * even trimmed, more than half the extension's whole bundle budget, so it is its own bundle
 * (dist/mime-types.js, see esbuild.mjs) and `require`d here on the first refusal, never on activation
 * or on the way to a run.
 */

export interface NamedType {
  mime: string;
  /** A few words a person recognises ("a Word document"), when we know some; else undefined. */
  description?: string;
}

type MimeTypes = { lookup(path: string): string | false };
let mimeTypes: MimeTypes | undefined;

function database(): MimeTypes {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded on the first refusal only (its own bundle)
  mimeTypes ??= require('mime-types') as MimeTypes;
  return mimeTypes;
}

/** Words for the types people most often try to run a step on by mistake. */
const DESCRIPTIONS: Record<string, string> = {
  'image/tiff': 'a TIFF image',
  'image/heic': 'a HEIC image',
  'image/heif': 'a HEIF image',
  'image/avif': 'an AVIF image',
  'image/svg+xml': 'an SVG drawing',
  'application/msword': 'a Word document',
  'application/vnd.openxmlformats-officedocument.wordprocessingml.document': 'a Word document',
  'application/vnd.oasis.opendocument.text': 'an OpenDocument text',
  'application/vnd.ms-excel': 'an Excel spreadsheet',
  'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet': 'an Excel spreadsheet',
  'application/vnd.ms-powerpoint': 'a PowerPoint presentation',
  'application/vnd.openxmlformats-officedocument.presentationml.presentation': 'a PowerPoint presentation',
  'application/rtf': 'a rich-text document',
  'text/plain': 'a text file',
  'text/markdown': 'a Markdown file',
  'text/html': 'a web page',
  'text/csv': 'a CSV file',
  'application/json': 'a JSON file',
  'application/xml': 'an XML file',
  'application/zip': 'a ZIP archive',
  'message/rfc822': 'an e-mail message',
  'application/vnd.ms-outlook': 'an Outlook message',
};

/** The type the file's name says, from the full database; undefined when the name says nothing. */
export function typeOfName(fileName: string): NamedType | undefined {
  const base =
    fileName
      .replace(/[?#].*$/, '')
      .split(/[\\/]/)
      .pop() ?? '';
  if (base.lastIndexOf('.') <= 0) {
    return undefined;
  }
  const mime = database().lookup(base);
  if (!mime) {
    return undefined;
  }
  const family = mime.split('/')[0];
  const description =
    DESCRIPTIONS[mime] ??
    (family === 'video' ? 'a video' : family === 'audio' ? 'an audio file' : family === 'font' ? 'a font' : undefined);
  return { mime, description };
}

/** "a Word document (application/vnd…)", "\"application/x-foo\"", or "of an unknown type". */
export function describeType(mime: string | undefined, fileName?: string): string {
  if (!mime) {
    return 'of an unknown type';
  }
  const named = fileName ? typeOfName(fileName) : undefined;
  const description = named?.mime === mime ? named.description : DESCRIPTIONS[mime];
  return description ? `${description} (${mime})` : `"${mime}"`;
}
