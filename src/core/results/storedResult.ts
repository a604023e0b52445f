/**
 * A result as kept on disk: written before it is shown, so nothing a user received is lost when the
 * window closes. One JSON file per execution.
 */
import type { Execution } from '../api/execution';
import { executionRecordFileName, resultFileName } from './naming';

export interface StoredResult {
  version: 1;
  executionId: string;
  stepId: string;
  stepName: string;
  /** The step's name as DocuTray gave it (`step_name` of the start answer). */
  serviceStepName?: string;
  /** The document: a workspace URI (as a string) or an http(s) URL. */
  source: string;
  /** A short name for the source: the file name, or the URL's last path segment. */
  sourceName: string;
  status: string;
  data?: unknown;
  error?: { message: string; code?: string; step?: string };
  /** The execution record as DocuTray sent it. */
  execution: Record<string, unknown>;
  receivedAt: string;
}

export function toStoredResult(execution: Execution, ctx: { stepId: string; stepName: string; serviceStepName?: string; source: string; sourceName: string }, now = new Date()): StoredResult {
  return {
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
    execution: execution.raw,
    receivedAt: now.toISOString(),
  };
}

export function parseStoredResult(text: string): StoredResult | undefined {
  try {
    const v = JSON.parse(text) as Partial<StoredResult>;
    if (v && v.version === 1 && typeof v.executionId === 'string' && typeof v.stepId === 'string' && typeof v.source === 'string') {
      return v as StoredResult;
    }
  } catch {
    // fall through: a damaged file is treated as missing
  }
  return undefined;
}

/** What the result editor shows: the step's data, pretty-printed. */
export function resultDocumentText(r: StoredResult): string {
  const body = r.status === 'SUCCESS' ? (r.data ?? null) : { status: r.status, error: r.error ?? null };
  return `${JSON.stringify(body, null, 2)}\n`;
}

export function executionRecordText(r: StoredResult): string {
  return `${JSON.stringify({ executionId: r.executionId, stepId: r.stepId, stepName: r.stepName, serviceStepName: r.serviceStepName, source: r.source, receivedAt: r.receivedAt, execution: r.execution }, null, 2)}\n`;
}

export type ResultView = 'data' | 'execution';

/** The path of a result in the `docutray-result` scheme: `/<executionId>/<source>.<step>[.execution].json`. */
export function resultPath(r: Pick<StoredResult, 'executionId' | 'sourceName' | 'stepId'>, view: ResultView = 'data'): string {
  const name = view === 'data' ? resultFileName(r.sourceName, r.stepId) : executionRecordFileName(r.sourceName, r.stepId);
  return `/${encodeURIComponent(r.executionId)}/${name}`;
}

export function parseResultPath(path: string): { executionId: string; view: ResultView } | undefined {
  const m = /^\/([^/]+)\/([^/]+)$/.exec(path);
  if (!m) {
    return undefined;
  }
  return { executionId: decodeURIComponent(m[1]), view: m[2].endsWith('.execution.json') ? 'execution' : 'data' };
}
