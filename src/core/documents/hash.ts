/**
 * SHA-256 of a document, streamed: the file is read in chunks and never held whole in memory, so a
 * batch of 1,000 documents (or one of 100 MB) costs a chunk's worth of memory at a time. With the
 * step id it identifies work already paid for (runs/skip.ts).
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';

const CHUNK_BYTES = 1024 * 1024;

/** Hashes a stream of bytes (a Node stream, a web ReadableStream or any async iterable); hex digest. */
export async function sha256OfStream(
  source: AsyncIterable<Uint8Array> | ReadableStream<Uint8Array>,
  signal?: AbortSignal,
): Promise<string> {
  const hash = createHash('sha256');
  const iterable: AsyncIterable<Uint8Array> =
    Symbol.asyncIterator in source
      ? (source as AsyncIterable<Uint8Array>)
      : readableToIterable(source as ReadableStream<Uint8Array>);
  for await (const chunk of iterable) {
    if (signal?.aborted) {
      throw signal.reason ?? new Error('aborted');
    }
    hash.update(chunk);
  }
  if (signal?.aborted) {
    throw signal.reason ?? new Error('aborted');
  }
  return hash.digest('hex');
}

/** Hashes a local file in 1 MiB chunks. */
export async function sha256OfFile(
  path: string,
  opts: { signal?: AbortSignal; chunkBytes?: number } = {},
): Promise<string> {
  const stream = createReadStream(path, { highWaterMark: opts.chunkBytes ?? CHUNK_BYTES, signal: opts.signal });
  return sha256OfStream(stream, opts.signal);
}

async function* readableToIterable(stream: ReadableStream<Uint8Array>): AsyncIterable<Uint8Array> {
  const reader = stream.getReader();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) {
        return;
      }
      yield value;
    }
  } finally {
    reader.releaseLock();
  }
}
