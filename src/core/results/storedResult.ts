/**
 * A result as kept on disk: written before it is shown, so nothing a user received is lost when the
 * window closes. One JSON file per execution.
 */
import type { Execution } from '../api/types';
import { type RunSource, formatRunSource, parseRunSource } from '../runs/source';
import { safeFileNamePart } from '../store/fileNames';

export interface StoredResult {
  version: 1;
  executionId: string;
  stepId: string;
  stepName: string;
  /** The step's name as DocuTray gave it (`step_name` of the start answer). */
  serviceStepName?: string;
  /** The document: a workspace URI, an http(s) URL or an execution looked up by id (a string on disk). */
  source: RunSource;
  /** A short name for the source: the file name, or the URL's last path segment. */
  sourceName: string;
  status: string;
  /** The step's result: the one copy of it (the execution record below is kept without it). */
  data?: unknown;
  /**
   * The result as JSON text instead of `data`, when it is too deeply nested for JSON.stringify (it
   * is still stored and shown, as it came, just not pretty-printed).
   */
  dataText?: string;
  error?: { message: string; code?: string; step?: string };
  /** The execution record as DocuTray sent it, without its data (`data` holds that, once). */
  execution: Record<string, unknown>;
  receivedAt: string;
}

/** The record without the result in it (`data`, or SK's `result.data`). */
function withoutData(raw: Record<string, unknown>): Record<string, unknown> {
  const { data: _data, ...rest } = raw;
  const result = rest.result;
  if (result && typeof result === 'object' && !Array.isArray(result) && 'data' in result) {
    const { data: _inner, ...r } = result as Record<string, unknown>;
    rest.result = r;
  }
  return rest;
}

export function toStoredResult(
  execution: Execution,
  ctx: { stepId: string; stepName: string; serviceStepName?: string; source: RunSource; sourceName: string },
  now = new Date(),
): StoredResult {
  const stored: StoredResult = {
    version: 1,
    executionId: execution.id,
    stepId: ctx.stepId,
    stepName: ctx.stepName,
    ...(ctx.serviceStepName ? { serviceStepName: ctx.serviceStepName } : {}),
    source: ctx.source,
    sourceName: ctx.sourceName,
    status: execution.status,
    data: execution.data,
    error: execution.error,
    execution: withoutData(execution.raw),
    receivedAt: now.toISOString(),
  };
  if (execution.data !== undefined && !fitsStringify(execution.data)) {
    delete stored.data;
    stored.dataText = deepJson(execution.data);
  }
  return stored;
}

/** The text a stored result is written as: compact, one copy of the data. */
export function serializeStoredResult(r: StoredResult): string {
  const stored = { ...r, source: formatRunSource(r.source) };
  try {
    return JSON.stringify(stored);
  } catch {
    // A result built elsewhere with data too deep for JSON.stringify: store it as text.
    const { data, ...rest } = stored;
    return JSON.stringify({ ...rest, dataText: deepJson(data) });
  }
}

export function parseStoredResult(text: string): StoredResult | undefined {
  try {
    const v = JSON.parse(text) as Partial<Omit<StoredResult, 'source'>> & { source?: unknown };
    const source = typeof v?.source === 'string' ? parseRunSource(v.source) : undefined;
    if (v && v.version === 1 && typeof v.executionId === 'string' && typeof v.stepId === 'string' && source) {
      return { ...(v as Omit<StoredResult, 'source'>), source };
    }
  } catch {
    // fall through: a damaged file is treated as missing
  }
  return undefined;
}

/** What the result editor shows: the step's data, pretty-printed (as it came when it cannot be). */
export function resultDocumentText(r: StoredResult): string {
  if (r.status === 'SUCCESS' && r.dataText !== undefined) {
    return `${r.dataText}\n`;
  }
  const body = r.status === 'SUCCESS' ? (r.data ?? null) : { status: r.status, error: r.error ?? null };
  try {
    return `${JSON.stringify(body, null, 2)}\n`;
  } catch {
    return `${deepJson(body)}\n`;
  }
}

export function executionRecordText(r: StoredResult): string {
  // The data goes back where DocuTray sent it, for this view only; the result document has it too.
  const data =
    r.dataText !== undefined ? '(too deeply nested to show here: see the result document)' : (r.data ?? null);
  const record = {
    executionId: r.executionId,
    stepId: r.stepId,
    stepName: r.stepName,
    serviceStepName: r.serviceStepName,
    source: formatRunSource(r.source),
    receivedAt: r.receivedAt,
    execution: { ...r.execution, data },
  };
  try {
    return `${JSON.stringify(record, null, 2)}\n`;
  } catch {
    return `${JSON.stringify({ ...record, execution: { ...r.execution, data: '(too deeply nested to show here: see the result document)' } }, null, 2)}\n`;
  }
}

/** Deeper than this, JSON.stringify may run out of stack in the extension host: serialize by hand. */
export const MAX_STRINGIFY_DEPTH = 2000;

/** True when `value` is shallow enough for JSON.stringify (its depth is counted without recursion). */
export function fitsStringify(value: unknown, maxDepth = MAX_STRINGIFY_DEPTH): boolean {
  const stack: Array<[unknown, number]> = [[value, 0]];
  while (stack.length) {
    const [v, depth] = stack.pop() as [unknown, number];
    if (v && typeof v === 'object') {
      if (depth >= maxDepth) {
        return false;
      }
      for (const child of Array.isArray(v) ? v : Object.values(v)) {
        if (child && typeof child === 'object') {
          stack.push([child, depth + 1]);
        }
      }
    }
  }
  return true;
}

/** JSON.stringify without recursion, for data nested deeper than the stack allows (compact). */
export function deepJson(value: unknown): string {
  const out: string[] = [];
  type Frame =
    { kind: 'array'; items: unknown[]; i: number } | { kind: 'object'; entries: [string, unknown][]; i: number };
  const stack: Frame[] = [];
  const emit = (v: unknown, inArray: boolean): void => {
    if (v === null || (v === undefined && inArray) || typeof v === 'function' || typeof v === 'symbol') {
      out.push('null');
    } else if (Array.isArray(v)) {
      out.push('[');
      stack.push({ kind: 'array', items: v, i: 0 });
    } else if (typeof v === 'object') {
      out.push('{');
      stack.push({
        kind: 'object',
        entries: Object.entries(v as Record<string, unknown>).filter(
          ([, x]) => x !== undefined && typeof x !== 'function',
        ),
        i: 0,
      });
    } else if (typeof v === 'number') {
      out.push(Number.isFinite(v) ? String(v) : 'null');
    } else if (typeof v === 'bigint') {
      out.push(v.toString());
    } else {
      out.push(JSON.stringify(v));
    }
  };
  if (value === undefined) {
    return 'null';
  }
  emit(value, false);
  while (stack.length) {
    const top = stack[stack.length - 1];
    if (top.kind === 'array') {
      if (top.i >= top.items.length) {
        out.push(']');
        stack.pop();
        continue;
      }
      if (top.i > 0) {
        out.push(',');
      }
      emit(top.items[top.i++], true);
    } else {
      if (top.i >= top.entries.length) {
        out.push('}');
        stack.pop();
        continue;
      }
      const [k, v] = top.entries[top.i];
      out.push(`${top.i > 0 ? ',' : ''}${JSON.stringify(k)}:`);
      top.i++;
      emit(v, false);
    }
  }
  return out.join('');
}

export type ResultView = 'data' | 'execution';

/** What a result's URI needs to name it: the document and the step as people read them, and the execution. */
export type ResultNaming = Pick<StoredResult, 'executionId' | 'sourceName' | 'stepId'> &
  Partial<Pick<StoredResult, 'stepName'>>;

/**
 * Where a result is in the `docutray-result` scheme. The path is what the tab and the breadcrumb show:
 * `/<document> · <step name>.json` (`….execution.json` for the execution record); the execution id,
 * which says nothing to a person, rides in the query (`execution=<id>`).
 */
export function resultLocation(r: ResultNaming, view: ResultView = 'data'): { path: string; query: string } {
  const title = `${safeFileNamePart(r.sourceName)} · ${safeFileNamePart(r.stepName?.trim() || r.stepId)}`;
  return {
    path: `/${title}${view === 'execution' ? '.execution' : ''}.json`,
    query: `execution=${encodeURIComponent(r.executionId)}${view === 'execution' ? '&view=execution' : ''}`,
  };
}

/**
 * The execution and view a result URI names; undefined for any other. The older layout,
 * `/<executionId>/<document>.<step id>[.execution].json`, is still read: editors restored from an
 * earlier session keep their URIs.
 */
export function parseResultLocation(path: string, query = ''): { executionId: string; view: ResultView } | undefined {
  // Not URLSearchParams: it would read a `+` in an id as a space.
  const fields = new Map(
    query
      .split('&')
      .map((p): [string, string] =>
        p.includes('=') ? [p.slice(0, p.indexOf('=')), p.slice(p.indexOf('=') + 1)] : [p, ''],
      ),
  );
  const raw = fields.get('execution');
  if (raw) {
    let executionId: string;
    try {
      executionId = decodeURIComponent(raw);
    } catch {
      return undefined;
    }
    return /^\/[^/]+\.json$/.test(path)
      ? { executionId, view: fields.get('view') === 'execution' ? 'execution' : 'data' }
      : undefined;
  }
  const m = /^\/([^/]+)\/([^/]+)$/.exec(path);
  if (!m) {
    return undefined;
  }
  return { executionId: decodeURIComponent(m[1]), view: m[2].endsWith('.execution.json') ? 'execution' : 'data' };
}
