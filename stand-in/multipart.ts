/**
 * A streaming multipart/form-data parser (RFC 7578 / RFC 2046). Part bodies are handed on chunk by
 * chunk as they arrive and never collected here, so a 100 MB upload keeps the stand-in's memory flat;
 * only a delimiter's length of bytes is carried between chunks.
 */

export interface PartInfo {
  /** Header names lower-cased. */
  headers: Record<string, string>;
  name: string | null;
  filename: string | null;
  contentType: string | null;
}

export interface PartHandler {
  onPartStart(part: PartInfo): void;
  /** `chunk` may be a view into a larger buffer; the handler must not assume it owns it. */
  onPartData(chunk: Buffer): void;
  onPartEnd(): void;
}

export class MultipartError extends Error {}

/** Header blocks larger than this are refused (a missing blank line would otherwise buffer forever). */
const MAX_HEADER_BYTES = 16 * 1024;
const CRLF = Buffer.from('\r\n');
const HEADER_END = Buffer.from('\r\n\r\n');
const EMPTY = Buffer.alloc(0);

type State = 'preamble' | 'afterDelimiter' | 'headers' | 'body' | 'done';

export class MultipartParser {
  private readonly delimiter: Buffer;
  private state: State = 'preamble';
  // The first delimiter may open the body without a preceding CRLF; a virtual CRLF lets one search find both.
  private carry: Buffer = Buffer.from(CRLF);

  constructor(
    boundary: string,
    private readonly handler: PartHandler,
  ) {
    this.delimiter = Buffer.from(`\r\n--${boundary}`, 'latin1');
  }

  get finished(): boolean {
    return this.state === 'done';
  }

  /** Feeds the next chunk of the body. Throws {@link MultipartError} on a malformed body. */
  write(chunk: Buffer): void {
    let buf = chunk;
    let pos = 0;
    if (this.carry.length) {
      const searching = this.state === 'body' || this.state === 'preamble';
      // Copying every 64 KB chunk behind the carried bytes would double the garbage of an upload;
      // while searching for a delimiter, only the seam needs joining.
      if (searching && chunk.length >= this.delimiter.length - 1) {
        pos = this.resolveSeam(chunk);
      } else {
        buf = Buffer.concat([this.carry, chunk]);
      }
      this.carry = EMPTY;
    }
    while (pos >= 0) {
      pos = this.step(buf, pos);
    }
  }

  /**
   * Settles whether a delimiter starts in the carried bytes (it would end within the chunk's first
   * delimiter-length bytes); returns where processing goes on in `chunk`.
   */
  private resolveSeam(chunk: Buffer): number {
    const carry = this.carry;
    const seam = Buffer.concat([carry, chunk.subarray(0, this.delimiter.length - 1)]);
    const at = seam.indexOf(this.delimiter);
    const inBody = this.state === 'body';
    if (at < 0) {
      if (inBody) {
        this.handler.onPartData(carry);
      }
      return 0;
    }
    if (inBody) {
      if (at > 0) {
        this.handler.onPartData(carry.subarray(0, at));
      }
      this.handler.onPartEnd();
    }
    this.state = 'afterDelimiter';
    return at + this.delimiter.length - carry.length;
  }

  /** Call at the end of the body. Throws when the closing delimiter never came. */
  end(): void {
    if (this.state !== 'done') {
      throw new MultipartError('Malformed multipart body: the closing boundary is missing');
    }
  }

  /** Consumes what it can from `pos`; returns the next position, or -1 when it needs more input. */
  private step(buf: Buffer, pos: number): number {
    switch (this.state) {
      case 'preamble':
        return this.skipPreamble(buf, pos);
      case 'afterDelimiter':
        return this.afterDelimiter(buf, pos);
      case 'headers':
        return this.readHeaders(buf, pos);
      case 'body':
        return this.readBody(buf, pos);
      case 'done':
        return -1;
    }
  }

  private keep(buf: Buffer, from: number): number {
    // A copy: `buf` may be a 64 KB socket chunk and only a few bytes are needed.
    this.carry = Buffer.from(buf.subarray(from));
    return -1;
  }

  private skipPreamble(buf: Buffer, pos: number): number {
    const at = buf.indexOf(this.delimiter, pos);
    if (at < 0) {
      return this.keep(buf, Math.max(pos, buf.length - this.delimiter.length + 1));
    }
    this.state = 'afterDelimiter';
    return at + this.delimiter.length;
  }

  private afterDelimiter(buf: Buffer, pos: number): number {
    // RFC 2046 allows transport padding (spaces, tabs) after a delimiter.
    while (pos < buf.length && (buf[pos] === 0x20 || buf[pos] === 0x09)) {
      pos++;
    }
    if (buf.length - pos < 2) {
      return this.keep(buf, pos);
    }
    if (buf[pos] === 0x2d && buf[pos + 1] === 0x2d) {
      this.state = 'done';
      return -1;
    }
    if (buf[pos] !== 0x0d || buf[pos + 1] !== 0x0a) {
      throw new MultipartError('Malformed multipart body: a boundary is not followed by CRLF');
    }
    // The CRLF stays: with no header fields it is the first half of the blank line ending the headers.
    this.state = 'headers';
    return pos;
  }

  private readHeaders(buf: Buffer, pos: number): number {
    const end = buf.indexOf(HEADER_END, pos);
    if (end < 0) {
      if (buf.length - pos > MAX_HEADER_BYTES) {
        throw new MultipartError('Malformed multipart body: part headers are too large');
      }
      return this.keep(buf, pos);
    }
    // Header bytes are read as UTF-8: clients put non-ASCII file names there raw (WHATWG form encoding).
    const text = end >= pos + 2 ? buf.toString('utf8', pos + 2, end) : '';
    this.handler.onPartStart(describePart(parseHeaderBlock(text)));
    this.state = 'body';
    return end + HEADER_END.length;
  }

  private readBody(buf: Buffer, pos: number): number {
    const at = buf.indexOf(this.delimiter, pos);
    if (at < 0) {
      // Everything but a possible delimiter prefix at the end is part data.
      const safe = Math.max(pos, buf.length - this.delimiter.length + 1);
      if (safe > pos) {
        this.handler.onPartData(buf.subarray(pos, safe));
      }
      return this.keep(buf, safe);
    }
    if (at > pos) {
      this.handler.onPartData(buf.subarray(pos, at));
    }
    this.handler.onPartEnd();
    this.state = 'afterDelimiter';
    return at + this.delimiter.length;
  }
}

function parseHeaderBlock(text: string): Record<string, string> {
  const headers: Record<string, string> = {};
  // Obsolete line folding (a line starting with whitespace continues the previous one).
  const lines = text.replace(/\r\n[ \t]+/g, ' ').split('\r\n');
  for (const line of lines) {
    const colon = line.indexOf(':');
    if (colon > 0) {
      headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
    }
  }
  return headers;
}

function describePart(headers: Record<string, string>): PartInfo {
  const disposition = parseHeaderParams(headers['content-disposition'] ?? '');
  return {
    headers,
    name: disposition.params.name ?? null,
    filename: fileNameOf(disposition.params),
    contentType: headers['content-type'] ?? null,
  };
}

/** `filename*` (RFC 5987) wins over `filename`, as RFC 6266 says. */
function fileNameOf(params: Record<string, string>): string | null {
  const extended = params['filename*'];
  if (extended !== undefined) {
    const decoded = decodeExtValue(extended);
    if (decoded !== undefined) {
      return decoded;
    }
  }
  const plain = params.filename;
  // Browsers and the WHATWG form encoding escape only these three characters in a quoted name.
  return plain === undefined ? null : plain.replace(/%22/g, '"').replace(/%0D/gi, '\r').replace(/%0A/gi, '\n');
}

/** RFC 5987 `charset'lang'pct-encoded`; undefined when it cannot be decoded. */
function decodeExtValue(value: string): string | undefined {
  const m = /^([^']*)'[^']*'(.*)$/.exec(value);
  if (!m) {
    return undefined;
  }
  const charset = m[1].toLowerCase();
  try {
    if (charset === 'utf-8' || charset === 'utf8' || charset === '') {
      return decodeURIComponent(m[2]);
    }
    if (charset === 'iso-8859-1' || charset === 'latin1') {
      return Buffer.from(
        m[2].replace(/%([0-9a-f]{2})/gi, (_, h: string) => String.fromCharCode(parseInt(h, 16))),
        'latin1',
      ).toString('latin1');
    }
  } catch {
    return undefined;
  }
  return undefined;
}

/**
 * Splits a header like `form-data; name="image"; filename="a;b.pdf"` or
 * `multipart/form-data; boundary=xyz` into its value and lower-cased parameters.
 */
export function parseHeaderParams(header: string): { value: string; params: Record<string, string> } {
  const params: Record<string, string> = {};
  const semi = header.indexOf(';');
  const value = (semi < 0 ? header : header.slice(0, semi)).trim().toLowerCase();
  const re = /;\s*([^\s=;]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^;]*))/g;
  for (let m = re.exec(header); m; m = re.exec(header)) {
    const key = m[1].toLowerCase();
    if (!(key in params)) {
      params[key] = m[2] !== undefined ? m[2].replace(/\\(["\\])/g, '$1') : m[3].trim();
    }
  }
  return { value, params };
}
