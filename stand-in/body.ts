/**
 * Reads a request body into what the routes and the request log need: multipart parts summarised
 * (files hashed as they stream, never kept), JSON parsed (bounded), anything else only counted.
 * A body that cannot be parsed is still read to its end, so the client always gets its answer.
 */
import { createHash, type Hash } from 'crypto';
import type { IncomingMessage } from 'http';
import { SNIFF_BYTES } from './formats';
import { MultipartError, MultipartParser, parseHeaderParams, type PartHandler, type PartInfo } from './multipart';
import type { LoggedFile } from './types';

/** A file part as seen while it streamed by. */
export interface FilePart extends LoggedFile {
  /** The first bytes, for type detection. */
  head: Buffer;
}

export type ParsedBody =
  | { kind: 'empty' }
  | { kind: 'multipart'; bytes: number; fields: Record<string, string>; files: FilePart[]; error?: string }
  | { kind: 'json'; bytes: number; value?: unknown; error?: 'invalid' | 'tooLarge' }
  | { kind: 'other'; bytes: number; contentType: string };

export interface ReadOptions {
  /** JSON bodies beyond this are not kept (answered 413). */
  maxJsonBytes: number;
  /** Read no faster than this (a throttleBody fault), so a client's upload visibly takes time. */
  bytesPerSecond?: number;
  sleep(ms: number): Promise<boolean>;
}

/** Thrown when the client went away before the body ended. */
export class BodyAborted extends Error {}

/** Multipart text fields beyond this are refused; they are metadata, not documents. */
const MAX_FIELD_BYTES = 1024 * 1024;

interface Sink {
  write(chunk: Buffer): void;
  finish(): ParsedBody;
}

export async function readBody(req: IncomingMessage, opts: ReadOptions): Promise<ParsedBody> {
  const contentType = req.headers['content-type'] ?? '';
  const sink = sinkFor(contentType, opts.maxJsonBytes);
  try {
    for await (const chunk of throttled(req, opts)) {
      sink.write(chunk);
    }
  } catch {
    throw new BodyAborted('the client closed the connection during the body');
  }
  if (!req.complete) {
    throw new BodyAborted('the body ended early');
  }
  return sink.finish();
}

async function* throttled(req: IncomingMessage, opts: ReadOptions): AsyncGenerator<Buffer> {
  const rate = opts.bytesPerSecond;
  const started = Date.now();
  let total = 0;
  for await (const chunk of req) {
    const buf = chunk as Buffer;
    yield buf;
    if (rate !== undefined) {
      // Not reading is what slows the client: the socket pauses and TCP pushes back.
      total += buf.length;
      if (!(await pace(req, started + (total * 1000) / rate, opts))) {
        return;
      }
    }
  }
}

/** Waits until `due` in short slices, so a client that gives up is noticed (and logged) promptly. */
async function pace(req: IncomingMessage, due: number, opts: ReadOptions): Promise<boolean> {
  for (let wait = due - Date.now(); wait > 0 && !req.socket.destroyed; wait = due - Date.now()) {
    if (!(await opts.sleep(Math.min(wait, 50)))) {
      return false;
    }
  }
  return true;
}

function sinkFor(contentType: string, maxJsonBytes: number): Sink {
  const { value, params } = parseHeaderParams(contentType);
  if (value === 'multipart/form-data') {
    return params.boundary
      ? new MultipartSink(params.boundary)
      : new FailedMultipartSink('Malformed multipart body: no boundary');
  }
  if (value === 'application/json' || value.endsWith('+json')) {
    return new JsonSink(maxJsonBytes);
  }
  return new OtherSink(value);
}

class OtherSink implements Sink {
  private bytes = 0;
  constructor(private readonly contentType: string) {}
  write(chunk: Buffer): void {
    this.bytes += chunk.length;
  }
  finish(): ParsedBody {
    return this.bytes === 0 && this.contentType === ''
      ? { kind: 'empty' }
      : { kind: 'other', bytes: this.bytes, contentType: this.contentType };
  }
}

class JsonSink implements Sink {
  private bytes = 0;
  private chunks: Buffer[] = [];
  constructor(private readonly max: number) {}
  write(chunk: Buffer): void {
    this.bytes += chunk.length;
    if (this.bytes > this.max) {
      this.chunks = [];
    } else {
      this.chunks.push(chunk);
    }
  }
  finish(): ParsedBody {
    if (this.bytes > this.max) {
      return { kind: 'json', bytes: this.bytes, error: 'tooLarge' };
    }
    try {
      return { kind: 'json', bytes: this.bytes, value: JSON.parse(Buffer.concat(this.chunks).toString('utf8')) };
    } catch {
      return { kind: 'json', bytes: this.bytes, error: 'invalid' };
    }
  }
}

class FailedMultipartSink implements Sink {
  private bytes = 0;
  constructor(private readonly error: string) {}
  write(chunk: Buffer): void {
    this.bytes += chunk.length;
  }
  finish(): ParsedBody {
    return { kind: 'multipart', bytes: this.bytes, fields: {}, files: [], error: this.error };
  }
}

/** One part being received: a file is hashed and counted, a field collected as text. */
interface OpenPart {
  info: PartInfo;
  file?: { hash: Hash; size: number; head: Buffer[]; headBytes: number };
  text?: Buffer[];
  textBytes: number;
}

class MultipartSink implements Sink, PartHandler {
  private readonly parser: MultipartParser;
  private bytes = 0;
  private error?: string;
  private part?: OpenPart;
  private readonly fields: Record<string, string> = {};
  private readonly files: FilePart[] = [];

  constructor(boundary: string) {
    this.parser = new MultipartParser(boundary, this);
  }

  write(chunk: Buffer): void {
    this.bytes += chunk.length;
    if (this.error === undefined) {
      this.guard(() => this.parser.write(chunk));
    }
  }

  finish(): ParsedBody {
    if (this.error === undefined) {
      this.guard(() => this.parser.end());
    }
    return { kind: 'multipart', bytes: this.bytes, fields: this.fields, files: this.files, error: this.error };
  }

  private guard(f: () => void): void {
    try {
      f();
    } catch (e) {
      // After a parse error the rest of the body is only counted; the route answers 400.
      this.error = e instanceof MultipartError ? e.message : String(e);
    }
  }

  onPartStart(info: PartInfo): void {
    // The `image` part is the document even without a filename (curl -F image=<file); other parts are files only when named.
    const isFile = info.name === 'image' || info.filename !== null;
    this.part = isFile
      ? { info, file: { hash: createHash('sha256'), size: 0, head: [], headBytes: 0 }, textBytes: 0 }
      : { info, text: [], textBytes: 0 };
  }

  onPartData(chunk: Buffer): void {
    const part = this.part;
    if (part?.file) {
      const f = part.file;
      f.hash.update(chunk);
      f.size += chunk.length;
      if (f.headBytes < SNIFF_BYTES) {
        f.head.push(Buffer.from(chunk.subarray(0, SNIFF_BYTES - f.headBytes)));
        f.headBytes += Math.min(chunk.length, SNIFF_BYTES - f.headBytes);
      }
    } else if (part?.text) {
      part.textBytes += chunk.length;
      if (part.textBytes > MAX_FIELD_BYTES) {
        throw new MultipartError(`Field ${part.info.name ?? '(unnamed)'} is too large`);
      }
      part.text.push(Buffer.from(chunk));
    }
  }

  onPartEnd(): void {
    const part = this.part;
    this.part = undefined;
    if (part?.file) {
      this.files.push({
        field: part.info.name ?? '',
        filename: part.info.filename,
        contentType: part.info.contentType,
        size: part.file.size,
        sha256: part.file.hash.digest('hex'),
        head: Buffer.concat(part.file.head),
      });
    } else if (part?.text && part.info.name !== null && !(part.info.name in this.fields)) {
      this.fields[part.info.name] = Buffer.concat(part.text).toString('utf8');
    }
  }
}
