/**
 * The document a step runs on, and how it goes on the wire (DocuTray's API reference, https://docs.docutray.com/docs/api, and its SDKs): exactly one source;
 * files as multipart/form-data with the part named `image`, the real MIME type and the file name; URLs
 * and base64 as JSON. Everything DocuTray would refuse is refused here, before a byte is sent.
 */
import { open, stat } from 'node:fs/promises';
import { basename } from 'node:path';
import { createHash, randomBytes } from 'node:crypto';
import type { Readable } from 'node:stream';
import { InvalidInputError, formatBytes } from '../api/errors';
import { MAX_UPLOAD_BYTES, SNIFF_BYTES, SUPPORTED_LABELS, detectMime, isSupportedMime } from './mime';
import { describeType } from './typeNames';

export type DocumentInput =
  /** A local file, streamed from disk (never read whole into memory). */
  | { kind: 'path'; path: string; fileName?: string; contentType?: string }
  | { kind: 'bytes'; data: Uint8Array; fileName: string; contentType?: string }
  /** A Node or web stream; give `size` when known (it is then checked before sending). */
  | {
      kind: 'stream';
      stream: Readable | ReadableStream<Uint8Array> | AsyncIterable<Uint8Array>;
      fileName: string;
      size?: number;
      contentType?: string;
    }
  | { kind: 'url'; url: string; contentType?: string }
  /** Base64 content, with or without a `data:<mime>;base64,` prefix. */
  | { kind: 'base64'; data: string; contentType?: string; fileName?: string };

export type DocumentMetadata = Record<string, unknown>;

/** A request body ready to send, with what we learnt about the document on the way. */
export interface PreparedBody {
  headers: Record<string, string>;
  /** A fresh body each call: a start is sent at most once, but a refused connection may be tried again. */
  open(onProgress?: (sentBytes: number) => void): BodyInit;
  /**
   * False once a body that can be read only once (a stream input) has begun to be read: it cannot be
   * sent again, so a failed attempt must not be retried.
   */
  reopenable(): boolean;
  /** Bytes of the whole body when known (multipart with a known size, or JSON). */
  length?: number;
  fileName?: string;
  contentType?: string;
  /** Size of the document itself, when known. */
  documentBytes?: number;
  /** 'multipart' for files, 'json' for URL/base64. */
  encoding: 'multipart' | 'json';
  /**
   * SHA-256 (hex) of the document's bytes as the last body opened read them to the end: exactly the content
   * sent, hashed on the way out (undefined before that, and for a URL, which DocuTray reads itself).
   */
  sha256?(): string | undefined;
  /** The document's URL, for a URL input (DocuTray downloads it). */
  url?: string;
}

export interface PrepareOptions {
  metadata?: DocumentMetadata;
  maxBytes?: number;
}

const CRLF = '\r\n';

export function validateMetadata(metadata: unknown): DocumentMetadata | undefined {
  if (metadata === undefined || metadata === null) {
    return undefined;
  }
  if (typeof metadata !== 'object' || Array.isArray(metadata)) {
    throw new InvalidInputError('badMetadata', 'Document metadata must be a JSON object, like {"customer": "ACME"}.');
  }
  try {
    JSON.stringify(metadata);
  } catch {
    throw new InvalidInputError('badMetadata', 'Document metadata must be plain JSON (no cycles or functions).');
  }
  return metadata as DocumentMetadata;
}

/** Turns any input into a body, refusing what DocuTray would refuse. */
export async function prepareBody(input: DocumentInput, opts: PrepareOptions = {}): Promise<PreparedBody> {
  const metadata = validateMetadata(opts.metadata);
  const maxBytes = opts.maxBytes ?? MAX_UPLOAD_BYTES;
  switch (input.kind) {
    case 'path':
      return prepareFile(input.path, input.fileName ?? basename(input.path), input.contentType, metadata, maxBytes);
    case 'bytes': {
      const data = input.data;
      checkSize(input.fileName, data.byteLength, maxBytes);
      const mime = checkType(input.fileName, data.subarray(0, SNIFF_BYTES), input.contentType);
      return multipart(input.fileName, mime, data.byteLength, metadata, () => once(data));
    }
    case 'stream':
      return prepareStream(input, metadata, maxBytes);
    case 'url':
      return prepareUrl(input.url, input.contentType, metadata);
    case 'base64':
      return prepareBase64(input, metadata, maxBytes);
    default:
      throw new InvalidInputError('noInput', 'Give exactly one document: a file, bytes, a stream, a URL or base64.');
  }
}

function checkSize(fileName: string, size: number, maxBytes: number): void {
  if (size === 0) {
    throw new InvalidInputError('emptyFile', `${fileName} is empty.`);
  }
  if (size > maxBytes) {
    throw new InvalidInputError(
      'tooLarge',
      `${fileName} is ${formatBytes(size)}; DocuTray accepts documents up to ${formatBytes(maxBytes)}.`,
    );
  }
}

function checkType(fileName: string, head: Uint8Array, declared?: string): string {
  const { mime, confirmed } = detectMime(fileName, head, declared);
  if (!isSupportedMime(mime)) {
    throw new InvalidInputError(
      'unsupportedType',
      `${fileName} is ${describeType(mime, fileName)}; DocuTray accepts ${SUPPORTED_LABELS.join(', ')}.`,
    );
  }
  if (!confirmed) {
    throw new InvalidInputError(
      'unsupportedType',
      `${fileName} is named like a ${mime} file, but its content is not one of ${SUPPORTED_LABELS.join(', ')}.`,
    );
  }
  return mime as string;
}

async function prepareFile(
  path: string,
  fileName: string,
  declared: string | undefined,
  metadata: DocumentMetadata | undefined,
  maxBytes: number,
): Promise<PreparedBody> {
  let size: number;
  try {
    const st = await stat(path);
    if (!st.isFile()) {
      throw new InvalidInputError('notAFile', `${fileName} is not a file.`);
    }
    size = st.size;
  } catch (e) {
    if (e instanceof InvalidInputError) {
      throw e;
    }
    throw new InvalidInputError(
      'notAFile',
      `${fileName} cannot be read (${(e as NodeJS.ErrnoException).code ?? 'error'}).`,
    );
  }
  checkSize(fileName, size, maxBytes);
  const head = await readHead(path);
  const mime = checkType(fileName, head, declared);
  return multipart(fileName, mime, size, metadata, () => readChunks(path, size));
}

const CHUNK_BYTES = 256 * 1024;
const RING_SIZE = 8;

/**
 * Reads a file through a small ring of reused buffers. fetch with `redirect: 'manual'` tees the
 * request body and keeps the unread branch until the request ends; with a fresh buffer per chunk
 * (createReadStream) that branch held the whole file — 100 MB for a 100 MB upload. With a ring it
 * holds views of the same 2 MB. fetch writes each chunk to the socket before it asks for the next,
 * and the teed copy is never sent (redirects are not followed), so reusing a buffer a few chunks
 * later is safe; the unit tests and the benchmark check every upload's SHA-256 end to end.
 */
async function* readChunks(path: string, size: number): AsyncGenerator<Uint8Array> {
  const fh = await open(path, 'r');
  try {
    const ring = Array.from({ length: RING_SIZE }, () => Buffer.allocUnsafeSlow(CHUNK_BYTES));
    for (let i = 0, pos = 0; pos < size; i = (i + 1) % RING_SIZE) {
      const { bytesRead } = await fh.read(ring[i], 0, Math.min(CHUNK_BYTES, size - pos), pos);
      if (bytesRead === 0) {
        return;
      }
      pos += bytesRead;
      yield ring[i].subarray(0, bytesRead);
    }
  } finally {
    await fh.close();
  }
}

async function readHead(path: string): Promise<Uint8Array> {
  const fh = await open(path, 'r');
  try {
    const buf = Buffer.alloc(SNIFF_BYTES);
    const { bytesRead } = await fh.read(buf, 0, SNIFF_BYTES, 0);
    return buf.subarray(0, bytesRead);
  } finally {
    await fh.close();
  }
}

async function prepareStream(
  input: Extract<DocumentInput, { kind: 'stream' }>,
  metadata: DocumentMetadata | undefined,
  maxBytes: number,
): Promise<PreparedBody> {
  if (input.size !== undefined) {
    checkSize(input.fileName, input.size, maxBytes);
  }
  // Read just enough to learn the type, then replay those chunks ahead of the rest.
  const iterator = toAsyncIterable(input.stream)[Symbol.asyncIterator]();
  const headChunks: Uint8Array[] = [];
  let headBytes = 0;
  let ended = false;
  while (headBytes < SNIFF_BYTES) {
    const r = await iterator.next();
    if (r.done) {
      ended = true;
      break;
    }
    headChunks.push(r.value);
    headBytes += r.value.byteLength;
  }
  if (headBytes === 0) {
    throw new InvalidInputError('emptyFile', `${input.fileName} is empty.`);
  }
  const mime = checkType(input.fileName, Buffer.concat(headChunks).subarray(0, SNIFF_BYTES), input.contentType);
  let used = false;
  async function* replay(): AsyncGenerator<Uint8Array> {
    if (used) {
      // The client checks reopenable() before a retry; this guards against sending half a document.
      throw new InvalidInputError('notAFile', `${input.fileName} was given as a stream, which can be sent only once.`);
    }
    used = true;
    let total = 0;
    const count = (c: Uint8Array) => {
      total += c.byteLength;
      if (total > maxBytes) {
        throw new InvalidInputError(
          'tooLarge',
          `${input.fileName} is larger than DocuTray's limit of ${formatBytes(maxBytes)}.`,
        );
      }
      return c;
    };
    for (const c of headChunks) {
      yield count(c);
    }
    while (!ended) {
      const r = await iterator.next();
      if (r.done) {
        break;
      }
      yield count(r.value);
    }
  }
  return multipart(input.fileName, mime, input.size, metadata, replay, () => !used);
}

function toAsyncIterable(
  s: Readable | ReadableStream<Uint8Array> | AsyncIterable<Uint8Array>,
): AsyncIterable<Uint8Array> {
  if (Symbol.asyncIterator in s) {
    return s as AsyncIterable<Uint8Array>;
  }
  const reader = (s as ReadableStream<Uint8Array>).getReader();
  return {
    async *[Symbol.asyncIterator]() {
      for (;;) {
        const r = await reader.read();
        if (r.done) {
          return;
        }
        yield r.value;
      }
    },
  };
}

async function* once(data: Uint8Array): AsyncGenerator<Uint8Array> {
  yield data;
}

/** WHATWG form encoding of a quoted name: UTF-8 kept, only ", CR and LF escaped. */
function quoteName(name: string): string {
  return name.replace(/\r/g, '%0D').replace(/\n/g, '%0A').replace(/"/g, '%22');
}

function multipart(
  fileName: string,
  mime: string,
  size: number | undefined,
  metadata: DocumentMetadata | undefined,
  content: () => AsyncIterable<Uint8Array>,
  reopenable: () => boolean = () => true,
): PreparedBody {
  const boundary = `----DocuTrayBoundary${randomBytes(12).toString('hex')}`;
  let head = '';
  if (metadata) {
    head += `--${boundary}${CRLF}Content-Disposition: form-data; name="document_metadata"${CRLF}Content-Type: application/json${CRLF}${CRLF}${JSON.stringify(metadata)}${CRLF}`;
  }
  head += `--${boundary}${CRLF}Content-Disposition: form-data; name="image"; filename="${quoteName(fileName)}"${CRLF}Content-Type: ${mime}${CRLF}${CRLF}`;
  const headBytes = Buffer.from(head, 'utf8');
  const tailBytes = Buffer.from(`${CRLF}--${boundary}--${CRLF}`, 'utf8');
  const length = size === undefined ? undefined : headBytes.byteLength + size + tailBytes.byteLength;
  const headers: Record<string, string> = { 'content-type': `multipart/form-data; boundary=${boundary}` };
  if (length !== undefined) {
    headers['content-length'] = String(length);
  }
  let digest: string | undefined;
  return {
    headers,
    length,
    fileName,
    contentType: mime,
    documentBytes: size,
    encoding: 'multipart',
    reopenable,
    sha256: () => digest,
    open(onProgress) {
      async function* parts(): AsyncGenerator<Uint8Array> {
        yield headBytes;
        // Hashed as it goes out (a chunk's buffer is reused later: update copies it now).
        const hash = createHash('sha256');
        for await (const chunk of content()) {
          hash.update(chunk);
          yield chunk;
        }
        digest = hash.digest('hex');
        yield tailBytes;
      }
      return toWebStream(parts(), onProgress);
    },
  };
}

/** A pull-based web stream: the file is read only as fast as the socket takes it. */
function toWebStream(
  source: AsyncGenerator<Uint8Array>,
  onProgress?: (sent: number) => void,
): ReadableStream<Uint8Array> {
  let sent = 0;
  return new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        const r = await source.next();
        if (r.done) {
          controller.close();
          return;
        }
        const chunk =
          r.value instanceof Buffer ? new Uint8Array(r.value.buffer, r.value.byteOffset, r.value.byteLength) : r.value;
        sent += chunk.byteLength;
        onProgress?.(sent);
        controller.enqueue(chunk);
      },
      async cancel() {
        await source.return(undefined);
      },
    },
    { highWaterMark: 0 },
  );
}

function json(body: Record<string, unknown>, extra: Partial<PreparedBody>): PreparedBody {
  const text = JSON.stringify(body);
  const length = Buffer.byteLength(text);
  return {
    headers: { 'content-type': 'application/json' },
    length,
    encoding: 'json',
    reopenable: () => true,
    ...extra,
    // Sent with the headers in one write: the client cannot watch its bytes leave, and reports it
    // sent once an answer arrives.
    open() {
      return text;
    },
  };
}

function prepareUrl(
  url: string,
  contentType: string | undefined,
  metadata: DocumentMetadata | undefined,
): PreparedBody {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new InvalidInputError('badUrl', `"${url}" is not a URL.`);
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    throw new InvalidInputError('badUrl', `Only http and https URLs can be processed, not ${parsed.protocol}`);
  }
  if (contentType !== undefined && !isSupportedMime(contentType)) {
    throw new InvalidInputError(
      'unsupportedType',
      `"${contentType}" is not a type DocuTray accepts (${SUPPORTED_LABELS.join(', ')}).`,
    );
  }
  const body: Record<string, unknown> = { image_url: parsed.href };
  if (contentType) {
    body.image_content_type = contentType;
  }
  if (metadata) {
    body.document_metadata = metadata;
  }
  const name = safeDecode(parsed.pathname.split('/').pop() ?? '') || undefined;
  return json(body, { fileName: name, contentType, url: parsed.href });
}

/** A URL's last path segment for display; a malformed escape (`%zz`) is shown as written, not thrown. */
function safeDecode(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}

function prepareBase64(
  input: Extract<DocumentInput, { kind: 'base64' }>,
  metadata: DocumentMetadata | undefined,
  maxBytes: number,
): PreparedBody {
  let data = input.data.trim();
  let declared = input.contentType;
  const prefix = /^data:([^;,]+)?(?:;[^,]*)?;base64,/i.exec(data);
  if (prefix) {
    declared = declared ?? prefix[1];
    data = data.slice(prefix[0].length);
  }
  data = data.replace(/\s+/g, '');
  if (data === '') {
    throw new InvalidInputError('emptyFile', 'The base64 document is empty.');
  }
  if (!/^[A-Za-z0-9+/_-]+={0,2}$/.test(data) || data.replace(/=+$/, '').length % 4 === 1) {
    throw new InvalidInputError('badBase64', 'The document is not valid base64.');
  }
  const decodedBytes = Math.floor((data.replace(/=+$/, '').length * 3) / 4);
  const name = input.fileName ?? 'document';
  checkSize(name, decodedBytes, maxBytes);
  const head = Buffer.from(data.slice(0, Math.ceil(SNIFF_BYTES / 3) * 4), 'base64');
  const mime = checkType(name, head, declared);
  const body: Record<string, unknown> = { image_base64: data, image_content_type: mime };
  if (metadata) {
    body.document_metadata = metadata;
  }
  return json(body, { fileName: input.fileName, contentType: mime, documentBytes: decodedBytes });
}
