/**
 * The document of a start request, from either encoding (multipart `image` part, or JSON
 * `image_url` / `image_base64`), checked as DocuTray checks it: present, one source only, within the
 * size limit, not empty, of a supported type; `document_metadata` a JSON object.
 */
import { createHash } from 'crypto';
import type { FilePart, ParsedBody } from './body';
import type { DocumentInfo } from './executions';
import {
  FORMAT_MIME,
  formatFromMime,
  formatFromName,
  isAllowed,
  isGenericMime,
  resolveFormat,
  SNIFF_BYTES,
  type DocumentFormat,
} from './formats';
import { errorReply, unsupportedFormatReply, validationError, type Reply } from './replies';
import { isPlainObject, type StandInSettings } from './types';

export type DocumentResult = { document: DocumentInfo } | { reply: Reply };

type Settings = Pick<StandInSettings, 'maxUploadBytes' | 'allowTiff' | 'errorStyle'>;

const IMAGE_REQUIRED = 'Image file is required';
const IMAGE_EMPTY = 'Image file is empty';
const METADATA_NOT_OBJECT = 'document_metadata must be a JSON object';

/** Extensions of things that are clearly not documents DocuTray reads, for URLs (anything else defaults to PDF). */
const NON_DOCUMENT_EXTENSIONS = new Set([
  'txt',
  'md',
  'json',
  'csv',
  'html',
  'htm',
  'xml',
  'svg',
  'doc',
  'docx',
  'xls',
  'xlsx',
  'zip',
  'heic',
  'heif',
  'avif',
]);

export function documentFrom(body: ParsedBody, settings: Settings): DocumentResult {
  switch (body.kind) {
    case 'empty':
      return { reply: validationError(settings.errorStyle, IMAGE_REQUIRED) };
    case 'multipart':
      return fromMultipart(body, settings);
    case 'json':
      return fromJson(body, settings);
    case 'other':
      return { reply: errorReply(settings.errorStyle, 'unsupportedContentType') };
  }
}

function sha256(data: string | Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

/** The checks both encodings share, once the bytes' size and type are known. */
function checkFile(size: number, format: DocumentFormat | undefined, settings: Settings): Reply | DocumentFormat {
  if (size > settings.maxUploadBytes) {
    return errorReply(settings.errorStyle, 'tooLarge');
  }
  if (size === 0) {
    return validationError(settings.errorStyle, IMAGE_EMPTY);
  }
  return isAllowed(format, settings.allowTiff)
    ? format
    : unsupportedFormatReply(settings.errorStyle, format ? FORMAT_MIME[format] : '');
}

function parseMetadataField(text: string | undefined): Record<string, unknown> | undefined | 'invalid' {
  if (text === undefined) {
    return undefined;
  }
  try {
    const value: unknown = JSON.parse(text);
    return isPlainObject(value) ? value : 'invalid';
  } catch {
    return 'invalid';
  }
}

function fromMultipart(body: Extract<ParsedBody, { kind: 'multipart' }>, settings: Settings): DocumentResult {
  if (body.error !== undefined) {
    return { reply: validationError(settings.errorStyle, body.error) };
  }
  // The first `image` part is the document; a part named otherwise (say `file`) does not count.
  const image: FilePart | undefined = body.files.find(f => f.field === 'image');
  if (!image) {
    return { reply: validationError(settings.errorStyle, IMAGE_REQUIRED) };
  }
  const metadata = parseMetadataField(body.fields.document_metadata);
  if (metadata === 'invalid') {
    return { reply: validationError(settings.errorStyle, METADATA_NOT_OBJECT) };
  }
  const format = checkFile(image.size, resolveFormat(image.head, image.contentType, image.filename), settings);
  if (typeof format !== 'string') {
    return { reply: format };
  }
  return {
    document: {
      source: 'multipart',
      filename: image.filename,
      sha256: image.sha256,
      size: image.size,
      format,
      metadata,
      webhookUrl: body.fields.webhook_url,
      wait: body.fields.wait,
    },
  };
}

function fromJson(body: Extract<ParsedBody, { kind: 'json' }>, settings: Settings): DocumentResult {
  const style = settings.errorStyle;
  if (body.error === 'tooLarge') {
    return { reply: errorReply(style, 'tooLarge') };
  }
  const value = body.value;
  if (body.error === 'invalid' || !isPlainObject(value)) {
    return { reply: validationError(style, 'Request body must be a JSON object') };
  }
  const problem = jsonProblem(value);
  if (problem) {
    return { reply: validationError(style, problem) };
  }
  const declared = value.image_content_type as string | undefined;
  const result =
    value.image_url !== undefined
      ? fromUrl(value.image_url as string, declared, settings)
      : fromBase64(value.image_base64 as string, declared, settings);
  if ('reply' in result) {
    return result;
  }
  const extras = {
    metadata: value.document_metadata as Record<string, unknown> | undefined,
    webhookUrl: value.webhook_url as string | undefined,
    wait: value.wait as boolean | string | undefined,
  };
  return { document: { ...result.document, ...extras } };
}

/** What is wrong with a JSON start body's members, if anything. */
function jsonProblem(value: Record<string, unknown>): string | undefined {
  const hasUrl = value.image_url !== undefined;
  const hasBase64 = value.image_base64 !== undefined;
  if (!hasUrl && !hasBase64) {
    return IMAGE_REQUIRED;
  }
  if (hasUrl && hasBase64) {
    return 'Provide only one of image_url and image_base64';
  }
  if (hasUrl && typeof value.image_url !== 'string') {
    return 'image_url must be a string';
  }
  if (hasBase64 && typeof value.image_base64 !== 'string') {
    return 'image_base64 must be a string';
  }
  if (value.document_metadata !== undefined && !isPlainObject(value.document_metadata)) {
    return METADATA_NOT_OBJECT;
  }
  for (const key of ['image_content_type', 'webhook_url']) {
    if (value[key] !== undefined && typeof value[key] !== 'string') {
      return `${key} must be a string`;
    }
  }
  if (value.wait !== undefined && typeof value.wait !== 'boolean' && typeof value.wait !== 'string') {
    return 'wait must be a boolean';
  }
  return undefined;
}

/** A URL is never fetched (the stand-in has no network): its type comes from the declaration or the path. */
function fromUrl(text: string, declared: string | undefined, settings: Settings): DocumentResult {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return { reply: validationError(settings.errorStyle, 'image_url must be an http(s) URL') };
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    return { reply: validationError(settings.errorStyle, 'image_url must be an http(s) URL') };
  }
  const last = url.pathname.split('/').pop() ?? '';
  const filename = safeDecode(last) || null;
  const format = urlFormat(filename, declared);
  if (!isAllowed(format, settings.allowTiff)) {
    return { reply: unsupportedFormatReply(settings.errorStyle, format ? FORMAT_MIME[format] : '') };
  }
  // Size is unknown without fetching; 0 stands for "not known".
  return { document: { source: 'url', url: text, filename, sha256: sha256(text), size: 0, format } };
}

function urlFormat(filename: string | null, declared: string | undefined): DocumentFormat | undefined {
  if (declared !== undefined && !isGenericMime(declared)) {
    return formatFromMime(declared);
  }
  const byName = formatFromName(filename);
  const ext = filename?.includes('.') ? filename.slice(filename.lastIndexOf('.') + 1).toLowerCase() : '';
  return byName ?? (NON_DOCUMENT_EXTENSIONS.has(ext) ? undefined : 'pdf');
}

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

const DATA_URI = /^data:([^;,]*)[^,]*?;base64,/i;

function fromBase64(text: string, declared: string | undefined, settings: Settings): DocumentResult {
  const prefix = DATA_URI.exec(text);
  const clean = (prefix ? text.slice(prefix[0].length) : text).replace(/\s+/g, '');
  if (!/^[A-Za-z0-9+/_-]*={0,2}$/.test(clean) || clean.length % 4 === 1) {
    return { reply: validationError(settings.errorStyle, 'image_base64 is not valid base64') };
  }
  // Judge the size before decoding, so an oversized body is refused without another copy of it.
  const estimated = Math.floor((clean.length * 3) / 4) - (clean.match(/=+$/)?.[0].length ?? 0);
  if (estimated > settings.maxUploadBytes) {
    return { reply: errorReply(settings.errorStyle, 'tooLarge') };
  }
  const bytes = Buffer.from(clean, 'base64');
  const format = checkFile(
    bytes.length,
    resolveFormat(bytes.subarray(0, SNIFF_BYTES), declared ?? prefix?.[1] ?? null, null),
    settings,
  );
  if (typeof format !== 'string') {
    return { reply: format };
  }
  return { document: { source: 'base64', filename: null, sha256: sha256(bytes), size: bytes.length, format } };
}
