/**
 * The runs a user started, kept across windows and reloads. Pure: the VS Code layer stores it as one
 * JSON file in global storage (small records only: results live in their own files).
 *
 * Bounded: past `maxRuns`, the oldest *finished* runs go first; a run still in flight is never
 * dropped, so nothing a user started is lost.
 */

/** The file, in the extension's global storage, that held the whole history before the shared store (runStore.ts); migrated once. */
import { type RunSource, formatRunSource, parseRunSource } from './source';

export const HISTORY_FILE = 'runs.json';

export type RunState =
  /** The start request is being sent; no execution id yet. */
  | 'starting'
  | 'ENQUEUED'
  | 'PROCESSING'
  | 'SUCCESS'
  | 'ERROR'
  /** Failed before or without an execution (refused locally, 4xx, network…). */
  | 'failed'
  | 'cancelled'
  /** The start was interrupted before DocuTray answered: it may be running, and is never restarted by itself. */
  | 'mayHaveStarted'
  /**
   * Has an execution id but no result yet: DocuTray did not answer within pollTimeoutSeconds (an
   * outage), refused a status check, or the result could not be stored. Check it later (same id).
   */
  | 'unavailable';

export interface RunRecord {
  /** Local id, stable across reloads. */
  id: string;
  /** Where the document came from (a string on disk: parsed when read, formatted when written). */
  source: RunSource;
  sourceName: string;
  stepId: string;
  /** The name shown: the user's own for a configured step, else DocuTray's (see displayStepName). */
  stepName: string;
  /** The step's name as DocuTray gave it in the start answer (`step_name`). */
  serviceStepName?: string;
  executionId?: string;
  state: RunState;
  /** ms epoch */
  startedAt: number;
  updatedAt: number;
  finishedAt?: number;
  error?: { kind: string; message: string };
  /** DocuTray's request id of the start when it answered but the outcome stayed uncertain (a 5xx). */
  requestId?: string;
  /** Live stage text while running (not persisted meaningfully). */
  stage?: string;
  /**
   * The window (one extension host, see ownership.ts) that drives this run: only it polls, saves and
   * announces it while it is in flight. Absent in records older than the shared store.
   */
  owner?: string;
  /** SHA-256 of the document when the run started (workspace `file:` documents): a later folder run skips it. */
  sha256?: string;
  /** How long DocuTray took (`responseTimestamp − requestTimestamp`, ms) once the execution finished. */
  durationMs?: number;
  /** The batch (core/runs/batch.ts) this run belongs to: the batch drives it, the Runs view shows it under it. */
  batchId?: string;
}

export const IN_FLIGHT: ReadonlySet<RunState> = new Set(['starting', 'ENQUEUED', 'PROCESSING']);

export function isInFlight(r: Pick<RunRecord, 'state'>): boolean {
  return IN_FLIGHT.has(r.state);
}

export interface HistoryFile {
  version: 1;
  runs: unknown[];
}

const STATES: ReadonlySet<string> = new Set([
  'starting',
  'ENQUEUED',
  'PROCESSING',
  'SUCCESS',
  'ERROR',
  'failed',
  'cancelled',
  'mayHaveStarted',
  'unavailable',
]);

/**
 * Kept by the history bound whatever its age: still running, its result still to fetch, or a start that may
 * have happened and waits for the user to decide (its record is all that says so).
 */
export function isKept(r: Pick<RunRecord, 'state'>): boolean {
  return isInFlight(r) || r.state === 'unavailable' || r.state === 'mayHaveStarted';
}

/** One record as read from disk, normalized; undefined when it is not a run record. */
export function parseRunRecord(r: unknown): RunRecord | undefined {
  if (!validRecord(r)) {
    return undefined;
  }
  const source = typeof r.source === 'string' ? parseRunSource(r.source) : parseRunSource(formatSource(r.source));
  if (!source) {
    return undefined;
  }
  // Waiting on DocuTray without an execution id is not a state a run can be in: its start may have
  // happened (a hand edit, a damaged write), so it is never sent again by itself.
  const lostId = (r.state === 'ENQUEUED' || r.state === 'PROCESSING') && typeof r.executionId !== 'string';
  return {
    ...r,
    source,
    ...(lostId
      ? {
          state: 'mayHaveStarted' as const,
          error: { kind: 'startUncertain', message: 'The run was waiting on DocuTray without an execution id.' },
        }
      : {}),
    sourceName: typeof r.sourceName === 'string' ? r.sourceName : formatRunSource(source),
    stepName: typeof r.stepName === 'string' ? r.stepName : r.stepId,
    updatedAt: typeof r.updatedAt === 'number' ? r.updatedAt : r.startedAt,
    owner: typeof r.owner === 'string' ? r.owner : undefined,
    sha256: typeof r.sha256 === 'string' && /^[0-9a-f]{64}$/i.test(r.sha256) ? r.sha256.toLowerCase() : undefined,
    durationMs:
      typeof r.durationMs === 'number' && Number.isFinite(r.durationMs) && r.durationMs >= 0 ? r.durationMs : undefined,
    batchId: typeof r.batchId === 'string' && r.batchId ? r.batchId : undefined,
    stage: undefined,
  };
}

/** DocuTray's own duration of a finished execution (`responseTimestamp − requestTimestamp`), when it gave both. */
export function executionDurationMs(e: { requestTimestamp?: string; responseTimestamp?: string }): number | undefined {
  const a = e.requestTimestamp ? Date.parse(e.requestTimestamp) : NaN;
  const b = e.responseTimestamp ? Date.parse(e.responseTimestamp) : NaN;
  return Number.isFinite(a) && Number.isFinite(b) && b >= a ? b - a : undefined;
}

/**
 * How long a finished run's step took: DocuTray's own duration when it gave its timestamps, else from the
 * recorded start to the end. Never from when a window took the run over (a reload, Check Execution), which
 * would count the time nobody watched it.
 */
export function stepDurationMs(r: Pick<RunRecord, 'durationMs' | 'startedAt' | 'finishedAt'>): number | undefined {
  if (r.durationMs !== undefined) {
    return r.durationMs;
  }
  return r.finishedAt !== undefined && r.finishedAt >= r.startedAt ? r.finishedAt - r.startedAt : undefined;
}

/** The last `max` known durations of a step's finished runs, oldest first (for the poll planner). */
export function recentDurations(runs: readonly RunRecord[], stepId: string, max = 50): number[] {
  return runs
    .filter(r => r.stepId === stepId && typeof r.durationMs === 'number')
    .sort((a, b) => (a.finishedAt ?? a.updatedAt) - (b.finishedAt ?? b.updatedAt))
    .slice(-max)
    .map(r => r.durationMs as number);
}

/** A source as stored (a string), or one already parsed (a record handed over in memory). */
function formatSource(v: unknown): string | undefined {
  const s = v as Partial<RunSource> | null;
  return s && typeof s === 'object' && typeof s.kind === 'string' ? formatRunSource(s as RunSource) : undefined;
}

function validRecord(r: unknown): r is Omit<RunRecord, 'source'> & { source: unknown } {
  const v = r as (Partial<Omit<RunRecord, 'source'>> & { source?: unknown }) | null;
  return (
    !!v &&
    typeof v.id === 'string' &&
    (typeof v.source === 'string' || formatSource(v.source) !== undefined) &&
    typeof v.stepId === 'string' &&
    typeof v.state === 'string' &&
    STATES.has(v.state) &&
    typeof v.startedAt === 'number'
  );
}

/**
 * Reads the history file. A damaged file or damaged entries are recovered from — the good entries are
 * kept — and described in `problem` so the caller can log it.
 */
export function parseHistory(text: string | undefined): { runs: RunRecord[]; problem?: string } {
  if (text === undefined) {
    return { runs: [] };
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (e) {
    return { runs: [], problem: `the runs history was not valid JSON (${(e as Error).message}); starting a new one` };
  }
  const list = (parsed as Partial<HistoryFile> | null)?.runs;
  if (!Array.isArray(list)) {
    return { runs: [], problem: 'the runs history had no list of runs; starting a new one' };
  }
  const runs = list.map(parseRunRecord).filter((r): r is RunRecord => !!r);
  const dropped = list.length - runs.length;
  return {
    runs,
    problem: dropped
      ? `dropped ${dropped} damaged entr${dropped === 1 ? 'y' : 'ies'} from the runs history`
      : undefined,
  };
}

/** A run as written: its source formatted back to a string, its live stage left out. */
export function storedRunRecord(r: RunRecord): Omit<RunRecord, 'source' | 'stage'> & { source: string } {
  const { stage: _stage, ...rest } = r;
  return { ...rest, source: formatRunSource(r.source) };
}

export function serializeHistory(runs: readonly RunRecord[]): string {
  return JSON.stringify({ version: 1, runs: runs.map(storedRunRecord) }, null, 1);
}

/** A batch's runs, which the bound keeps or drops together (see boundHistory). */
export interface RunGroup {
  id: string;
  runIds: readonly string[];
  /** Still to send or to see finish: every run of it stays. */
  alive: boolean;
  createdAt: number;
}

/**
 * Newest first, at most `maxRuns`, dropping the oldest finished runs; in-flight, unavailable and
 * may-have-started runs always stay, and so do runs `keep` protects (a result some window is showing).
 *
 * A batch (`groups`) is kept or dropped whole, so that it never shows documents whose runs are gone: an
 * alive batch stays whole, the newest ended batch too (its results were just made), and an older ended
 * batch goes whole when it no longer fits — its runs that must stay (above) stay on their own.
 */
export function boundHistory(
  runs: readonly RunRecord[],
  maxRuns: number,
  keep: (r: RunRecord) => boolean = () => false,
  groups: readonly RunGroup[] = [],
): { kept: RunRecord[]; dropped: RunRecord[]; droppedGroups: string[] } {
  const groupOf = new Map<string, RunGroup>();
  for (const g of groups) {
    for (const id of g.runIds) {
      groupOf.set(id, g);
    }
  }
  const always = (r: RunRecord) => isKept(r) || keep(r) || !!groupOf.get(r.id)?.alive;
  type Unit = { at: number; runs: RunRecord[]; group?: RunGroup };
  const units: Unit[] = [];
  const byGroup = new Map<string, Unit>();
  for (const r of runs) {
    const g = groupOf.get(r.id);
    if (!g) {
      units.push({ at: r.startedAt, runs: [r] });
      continue;
    }
    let u = byGroup.get(g.id);
    if (!u) {
      u = { at: g.createdAt, runs: [], group: g };
      byGroup.set(g.id, u);
      units.push(u);
    }
    u.runs.push(r);
  }
  units.sort((a, b) => b.at - a.at);
  const kept: RunRecord[] = [];
  const dropped: RunRecord[] = [];
  const droppedGroups: string[] = [];
  let budget = Math.max(0, maxRuns - runs.filter(always).length);
  let newestEndedSeen = false;
  for (const u of units) {
    const droppable = u.runs.filter(r => !always(r));
    kept.push(...u.runs.filter(always));
    const wholeAnyway = u.group && !u.group.alive && !newestEndedSeen;
    if (u.group && !u.group.alive) {
      newestEndedSeen = true;
    }
    if (wholeAnyway || droppable.length <= budget) {
      kept.push(...droppable);
      budget = Math.max(0, budget - droppable.length);
    } else if (u.group) {
      dropped.push(...droppable);
      droppedGroups.push(u.group.id);
    } else {
      dropped.push(...droppable);
    }
  }
  kept.sort((a, b) => b.startedAt - a.startedAt);
  return { kept, dropped, droppedGroups };
}

/** What to do with a run found in flight when the window opens. */
export function resumeAction(r: RunRecord): 'poll' | 'markMayHaveStarted' | 'none' {
  if (!isInFlight(r)) {
    return 'none';
  }
  return r.executionId ? 'poll' : 'markMayHaveStarted';
}

export function formatDuration(ms: number): string {
  if (ms < 1000) {
    return `${ms} ms`;
  }
  const s = ms / 1000;
  if (s < 60) {
    return `${s < 10 ? s.toFixed(1) : Math.round(s)} s`;
  }
  const m = Math.floor(s / 60);
  return `${m} min ${Math.round(s - m * 60)} s`;
}
