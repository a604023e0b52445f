/**
 * Helpers for the extension-host suites: the stand-in's control API (over HTTP, as the extension
 * reaches the stand-in itself), capturing the messages the extension shows, and waiting.
 */
import * as assert from 'assert';
import * as crypto from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import * as vscode from 'vscode';

export const EXTENSION_ID = 'docutray-community.docutray-steps';

export function standInUrl(): string {
  const url = process.env.DOCUTRAY_STAND_IN_URL;
  assert.ok(url, 'DOCUTRAY_STAND_IN_URL is set by the test runner');
  return url;
}

export interface LoggedFile {
  field: string;
  filename: string;
  contentType: string;
  size: number;
  sha256: string;
}
export interface LoggedRequest {
  seq: number;
  time: number;
  method: string;
  path: string;
  headers: Record<string, string>;
  requestId: string;
  status: number | string;
  json?: Record<string, unknown>;
  multipart?: { fields: Record<string, string>; files: LoggedFile[] };
}
export interface LoggedExecution {
  id: string;
  stepId: string;
  createdAt: number;
  completedAt?: number;
  terminalServedAt?: number;
  status: string;
}

async function control<T>(method: string, path: string, body?: unknown): Promise<T> {
  const res = await fetch(`${standInUrl()}/__stand-in/${path}`, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  assert.ok(res.ok, `stand-in control ${method} ${path} → ${res.status}`);
  const text = await res.text();
  return (text ? JSON.parse(text) : undefined) as T;
}

export const standIn = {
  requests: () => control<LoggedRequest[]>('GET', 'requests'),
  executions: () => control<LoggedExecution[]>('GET', 'executions'),
  starts: () => control<Array<{ stepId: string; hash: string; count: number }>>('GET', 'starts'),
  addFaults: (faults: unknown) => control<unknown>('POST', 'faults', faults),
  clearFaults: () => control<unknown>('DELETE', 'faults'),
  setSteps: (steps: unknown[]) => control<unknown>('POST', 'steps', steps),
  configure: (config: Record<string, unknown>) => control<unknown>('POST', 'config', config),
  reset: () => control<unknown>('POST', 'reset'),
};

export function sha256(bytes: Uint8Array): string {
  return crypto.createHash('sha256').update(bytes).digest('hex');
}

export function workspaceFile(name: string): vscode.Uri {
  const folder = vscode.workspace.workspaceFolders?.[0];
  assert.ok(folder, 'a workspace folder is open');
  return vscode.Uri.joinPath(folder.uri, name);
}

export async function writeWorkspaceFile(name: string, bytes: Uint8Array | string): Promise<vscode.Uri> {
  const uri = workspaceFile(name);
  await vscode.workspace.fs.writeFile(uri, typeof bytes === 'string' ? Buffer.from(bytes, 'utf8') : bytes);
  return uri;
}

/** A small valid PDF whose bytes differ by `tag` (so each has its own hash). */
export function pdfBytes(tag: string): Buffer {
  return Buffer.from(
    `%PDF-1.4\n% ${tag}\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n`,
    'latin1',
  );
}

export interface Shown {
  severity: 'error' | 'warning' | 'info';
  message: string;
  items: string[];
  modal?: boolean;
  detail?: string;
}

type Patchable = Record<string, unknown>;

/** Replaces `obj[key]` until the returned function is called. */
export function patch<T extends object>(obj: T, key: keyof T & string, value: unknown): () => void {
  const target = obj as unknown as Patchable;
  const original = target[key];
  target[key] = value;
  return () => {
    target[key] = original;
  };
}

/**
 * Records the messages the extension shows (with a modal's flag and detail), so a test can assert the one
 * message a failure gives; `pick` answers them (none by default). Call `restore()` when done.
 */
export function captureMessages(pick: (m: Shown) => string | undefined = () => undefined): {
  shown: Shown[];
  restore: () => void;
} {
  const shown: Shown[] = [];
  const fake =
    (severity: Shown['severity']) =>
    (message: string, ...rest: unknown[]) => {
      const options = rest.find((r): r is vscode.MessageOptions => !!r && typeof r === 'object' && !Array.isArray(r));
      const m: Shown = { severity, message, items: rest.filter((r): r is string => typeof r === 'string') };
      if (options) {
        m.modal = options.modal;
        m.detail = options.detail;
      }
      shown.push(m);
      return Promise.resolve(pick(m));
    };
  const undo = [
    patch(vscode.window, 'showErrorMessage', fake('error')),
    patch(vscode.window, 'showWarningMessage', fake('warning')),
    patch(vscode.window, 'showInformationMessage', fake('info')),
  ];
  return { shown, restore: () => undo.forEach(u => u()) };
}

/** `captureMessages` answering by the message's text and buttons (the button `answer` gives; undefined dismisses). */
export function answerMessages(answer: (message: string, items: string[]) => string | undefined): {
  shown: Shown[];
  restore: () => void;
} {
  return captureMessages(m => answer(m.message, m.items));
}

/** Starts an execution on the stand-in as another (or an earlier) window would have; its id. */
export async function startElsewhere(stepId: string, imageUrl = 'https://example.com/elsewhere.pdf'): Promise<string> {
  const res = await fetch(`${standInUrl()}/api/steps-async/${stepId}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${process.env.DOCUTRAY_API_KEY}`, 'content-type': 'application/json' },
    body: JSON.stringify({ image_url: imageUrl }),
  });
  return ((await res.json()) as { id: string }).id;
}

export function sleep(ms: number): Promise<void> {
  return new Promise(r => setTimeout(r, ms));
}

export async function waitFor<T>(
  what: string,
  probe: () => Promise<T | undefined> | T | undefined,
  timeoutMs = 10000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v !== undefined && v !== false) {
      return v;
    }
    if (Date.now() > deadline) {
      assert.fail(`timed out after ${timeoutMs} ms waiting for ${what}`);
    }
    await sleep(50);
  }
}

export interface RunInfo {
  id: string;
  /** Where the document came from (core/runs/source.ts RunSource). */
  source: { kind: string; uri?: string; url?: string; executionId?: string };
  sourceName: string;
  stepId: string;
  stepName: string;
  executionId?: string;
  state: string;
  startedAt: number;
}
export interface Api {
  status(): { state: string; text: string; tooltip: string };
  runs(): Promise<RunInfo[]>;
  /** The line above the Runs view's runs (this month's usage). */
  runsMessage(): string | undefined;
  /** Settles once the Runs view has compared its rows with those it showed, and fired what changed. */
  runsCompared(): Promise<void>;
  storageUri: vscode.Uri;
}

export async function activate(): Promise<Api> {
  const ext = vscode.extensions.getExtension<Api>(EXTENSION_ID);
  assert.ok(ext, `${EXTENSION_ID} is installed`);
  return ext.activate();
}

/** Quick test steps, so the suite doesn't wait on the 2 s example steps. */
export const TEST_STEPS = [
  {
    id: 'it-fast',
    name: 'Fast (test)',
    enqueuedMs: 50,
    processingMs: 150,
    outcome: {
      status: 'SUCCESS',
      data: { invoice_number: 'INV-IT-1', total: 42.5, currency: 'EUR', vendor: { name: 'Ñandú S.A.' } },
    },
  },
  {
    id: 'it-batch',
    name: 'Batch (test)',
    enqueuedMs: 100,
    processingMs: 500,
    outcome: { status: 'SUCCESS', data: { ok: true } },
  },
  {
    id: 'it-slow',
    name: 'Slow (test)',
    enqueuedMs: 100,
    processingMs: 60000,
    outcome: { status: 'SUCCESS', data: { late: true } },
  },
  {
    id: 'it-failing',
    name: 'Failing (test)',
    enqueuedMs: 50,
    processingMs: 100,
    outcome: {
      status: 'ERROR',
      error: { step: 'extract', code: 'EXTRACTION_FAILED', message: 'No invoice found on page 1' },
    },
  },
];

/** The hooks most suites share: the extension active with the test steps, and no fault left from the last test. */
export function useTestSteps(): void {
  before(async () => {
    await activate();
    await standIn.setSteps(TEST_STEPS);
  });
  beforeEach(async () => {
    await standIn.clearFaults();
  });
}

export async function closeAllEditors(): Promise<void> {
  await vscode.commands.executeCommand('workbench.action.closeAllEditors');
}

/** The text of the extension's "DocuTray" log file(s), found under the runner's logs folder. */
export function readExtensionLog(): string {
  const dir = process.env.DOCUTRAY_TEST_LOGS_DIR;
  assert.ok(dir, 'DOCUTRAY_TEST_LOGS_DIR is set by the runner');
  const found: string[] = [];
  const walk = (d: string) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) {
        walk(p);
      } else if (e.name === 'DocuTray.log') {
        found.push(p);
      }
    }
  };
  walk(dir);
  return found.map(f => fs.readFileSync(f, 'utf8')).join('\n');
}
