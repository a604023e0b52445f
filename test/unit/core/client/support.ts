/**
 * Shared pieces of the client's unit tests: a client wired to undici's fetch, sample documents whose
 * first bytes are real signatures, a MockAgent-backed fetch for transport faults that are easier to
 * script there, and the check that the API key never leaks out of an error or a log line.
 */
import * as assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inspect } from 'node:util';
import { MockAgent, fetch as undiciFetch } from 'undici';
import { ClientOptions, DocuTrayClient, FetchLike } from '../../../../src/core/client/client';
import { DocuTrayError } from '../../../../src/core/api/errors';
import { StandIn, StandInSettings, StepScript, startStandIn } from '../../../../stand-in/server';
import { DEFAULT_SETTINGS } from '../../../../stand-in/types';

/** A key distinctive enough that finding it anywhere is a leak, not a coincidence. */
export const KEY = 'dtLEAKCHECK_k9Qz7Xw2Lm4Vr8Ty6Uj3Nb5Hc1';

/** Loopback fetch through undici, typed as the client wants it. */
export const loopbackFetch: FetchLike = (url, init) =>
  undiciFetch(url, init as Parameters<typeof undiciFetch>[1]) as unknown as Promise<Response>;

/** A fetch that goes through a MockAgent instead of the network. */
export function mockFetch(agent: MockAgent): FetchLike {
  return (url, init) =>
    undiciFetch(url, {
      ...(init as Parameters<typeof undiciFetch>[1]),
      dispatcher: agent,
    }) as unknown as Promise<Response>;
}

export function newMockAgent(): MockAgent {
  const agent = new MockAgent();
  agent.disableNetConnect();
  return agent;
}

export interface TestClient {
  client: DocuTrayClient;
  logs: string[];
}

/** Fast retries, so a test that exhausts them takes milliseconds. */
export const FAST_RETRY = { baseDelayMs: 5, maxDelayMs: 20 };

export function makeClient(baseUrl: string, overrides: Partial<ClientOptions> = {}): TestClient {
  const logs: string[] = [];
  const client = new DocuTrayClient({
    baseUrl,
    apiKey: KEY,
    fetch: loopbackFetch,
    retry: FAST_RETRY,
    log: line => logs.push(line),
    ...overrides,
  });
  return { client, logs };
}

/**
 * The fixture every client test file shares: one stand-in (accepting KEY) for the describe block,
 * reset before each test to `steps` (and `settings`), with a fresh client from makeClient(`client`).
 * `use` receives the stand-in, client and log lines each time they are (re)made.
 */
export function useStandInClient(
  setup: { steps: StepScript[]; settings?: Partial<StandInSettings>; client?: Partial<ClientOptions> },
  use: (fixture: TestClient & { standIn: StandIn }) => void,
): void {
  let standIn: StandIn;
  before(async () => {
    standIn = await startStandIn({ port: 0, apiKeys: [KEY] });
  });
  after(() => standIn.close());
  beforeEach(() => {
    standIn.reset();
    // The stand-in's defaults (the API reference's shapes) unless the file asks otherwise; a test's own change does not leak into the next.
    const { apiKeys: _keys, ...defaults } = DEFAULT_SETTINGS;
    standIn.configure({ ...defaults, ...setup.settings });
    standIn.setSteps(setup.steps);
    use({ standIn, ...makeClient(standIn.url, setup.client) });
  });
}

/** Awaits a rejection and returns the error, failing when the promise resolves. */
export async function rejection(p: Promise<unknown>): Promise<DocuTrayError> {
  let value: unknown;
  try {
    value = await p;
  } catch (e) {
    return e as DocuTrayError;
  }
  assert.fail(`expected a rejection, got ${JSON.stringify(value)}`);
}

/** Every way an error can be shown or serialised, and every log line, must be free of the key. */
export function assertNoKey(err: unknown, logs: readonly string[] = [], key = KEY): void {
  const e = err as Record<string, unknown> & Error;
  const views: [string, string][] = [
    ['message', String(e.message)],
    ['String(err)', String(err)],
    ['JSON.stringify(err)', JSON.stringify(err) ?? ''],
    ['stack', String(e.stack ?? '')],
    ['Object.keys', Object.keys(e).join(',')],
    // What a console or a log library prints, causes included.
    ['util.inspect', inspect(err, { depth: 6, showHidden: false })],
  ];
  for (const k of Object.keys(e)) {
    const v = e[k];
    views.push([`field ${k}`, typeof v === 'string' ? v : (JSON.stringify(v) ?? String(v))]);
  }
  for (const [where, text] of views) {
    assert.ok(!text.includes(key), `the API key appears in the error's ${where}: ${text}`);
  }
  logs.forEach((line, i) => assert.ok(!line.includes(key), `the API key appears in log line ${i}: ${line}`));
}

/** A port that nothing listens on (bound, then released). */
export async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  await new Promise<void>(resolve => server.close(() => resolve()));
  return port;
}

function pad(head: number[] | string, size = 64): Buffer {
  const start = typeof head === 'string' ? Buffer.from(head, 'latin1') : Buffer.from(head);
  const rest = Buffer.alloc(Math.max(0, size - start.length), 0x20);
  return Buffer.concat([start, rest]);
}

/** Small documents that begin with each accepted format's real signature. */
export const SAMPLES = {
  pdf: pad('%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog >>\nendobj\n', 200),
  png: pad([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13, 0x49, 0x48, 0x44, 0x52]),
  jpeg: pad([0xff, 0xd8, 0xff, 0xe0, 0, 16, 0x4a, 0x46, 0x49, 0x46, 0]),
  gif: pad('GIF89a\x01\x00\x01\x00'),
  // A real BITMAPINFOHEADER: reserved bytes zero, DIB header size 40 at offset 14.
  bmp: pad([0x42, 0x4d, 0x3a, 0, 0, 0, 0, 0, 0, 0, 0x36, 0, 0, 0, 40, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 1, 0, 24, 0]),
  webp: pad('RIFF\x24\x00\x00\x00WEBPVP8 '),
  tiffLE: pad([0x49, 0x49, 0x2a, 0x00, 8, 0, 0, 0]),
  tiffBE: pad([0x4d, 0x4d, 0x00, 0x2a, 0, 0, 0, 8]),
  text: Buffer.from('Just a text file, not a document DocuTray accepts.\n'),
};

/** The samples of the formats DocuTray accepts (TIFF is not one: its samples are for refusals). */
export const MIMES: Record<Exclude<keyof typeof SAMPLES, 'text' | 'tiffLE' | 'tiffBE'>, string> = {
  pdf: 'application/pdf',
  png: 'image/png',
  jpeg: 'image/jpeg',
  gif: 'image/gif',
  bmp: 'image/bmp',
  webp: 'image/webp',
};

/** A temp directory removed after the suite. */
export class TempDir {
  readonly path = mkdtempSync(join(tmpdir(), 'docutray-unit-'));
  file(name: string, content: Uint8Array | string): string {
    const p = join(this.path, name);
    writeFileSync(p, content);
    return p;
  }
  remove(): void {
    rmSync(this.path, { recursive: true, force: true });
  }
}

export function delay(ms: number): Promise<void> {
  return new Promise(resolve => setTimeout(resolve, ms));
}
