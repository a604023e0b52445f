/**
 * One owner per in-flight run. Every VS Code window of a profile has its own extension host process
 * and they all share the extension's global storage; the window that started a run polls it, saves it
 * and announces it. Another window takes a run over only when its owner is gone.
 *
 * A window says it is alive with a presence file (`windows/<window id>.json`: its process id, host
 * name and a heartbeat refreshed every HEARTBEAT_MS). It is gone when that file is missing (removed
 * when the window closes or reloads), when the heartbeat is older than LEASE_MS, or when its process is
 * no longer alive on this machine. Pure: the caller reads the files and asks the operating system.
 */
import { RunRecord, isInFlight } from './history';

/** How often a window refreshes its presence file. */
export const HEARTBEAT_MS = 5_000;
/** A presence whose heartbeat is older than this is gone, even if a process with its id exists. */
export const LEASE_MS = 30_000;

/**
 * How long a window that does not hold a run's source waits, after it first sees the run's window
 * gone, before taking it over: a window that holds the source (the same window reloading, or another
 * on that folder) goes first, so the result can be saved where the source is.
 */
export const HANDOVER_GRACE_MS = 3 * HEARTBEAT_MS;

/** Whether to claim a run whose window is gone now, or leave the first try to a window holding its source. */
export function mayClaimNow(holdsSource: boolean, hadOwner: boolean, firstSeenGoneAt: number, now: number): boolean {
  return holdsSource || !hadOwner || now - firstSeenGoneAt >= HANDOVER_GRACE_MS;
}

export interface WindowPresence {
  /** Random per extension host (a reload makes a new one). */
  id: string;
  pid: number;
  host: string;
  heartbeatAt: number;
  /** Execution ids whose results this window has open: the history bound keeps them. */
  showing?: string[];
}

export function parsePresence(text: string): WindowPresence | undefined {
  try {
    const v = JSON.parse(text) as Partial<WindowPresence> | null;
    if (
      v &&
      typeof v.id === 'string' &&
      typeof v.pid === 'number' &&
      typeof v.host === 'string' &&
      typeof v.heartbeatAt === 'number'
    ) {
      return {
        id: v.id,
        pid: v.pid,
        host: v.host,
        heartbeatAt: v.heartbeatAt,
        showing: Array.isArray(v.showing) ? v.showing.filter((s): s is string => typeof s === 'string') : [],
      };
    }
  } catch {
    // a presence being written is replaced atomically; anything else unreadable counts as gone
  }
  return undefined;
}

/**
 * Whether the window behind `presence` is alive. `pidAlive` is asked only for a presence on this host
 * (a process id means nothing on another machine).
 */
export function isAlive(
  presence: WindowPresence | undefined,
  now: number,
  myHost: string,
  pidAlive: (pid: number) => boolean,
): boolean {
  if (!presence) {
    return false; // closed or reloaded: it removed its file
  }
  if (now - presence.heartbeatAt > LEASE_MS) {
    return false; // crashed, hung, or a process id since reused
  }
  return presence.host !== myHost || pidAlive(presence.pid);
}

export type ResumeDecision =
  /** Not in flight: nothing to do. */
  | 'none'
  /** This window drives it already. */
  | 'mine'
  /** A live window drives it: leave it alone (no poll, no "may have started"). */
  | 'leave'
  /** Its owner is gone and it has an execution id: claim it and poll it to its end. */
  | 'poll'
  /** Its owner is gone while it was starting (no execution id): claim it and mark it "may have started". */
  | 'markMayHaveStarted';

/**
 * What this window may do with a stored run: given the record, my window id, and whether its owner is
 * alive (`ownerAlive(ownerId)`). A record without an owner is from before owners existed: its window
 * is gone.
 */
export function resumeDecision(
  run: Pick<RunRecord, 'state' | 'owner' | 'executionId'>,
  me: string,
  ownerAlive: (owner: string) => boolean,
): ResumeDecision {
  if (!isInFlight(run)) {
    return 'none';
  }
  if (run.owner === me) {
    return 'mine';
  }
  if (run.owner && ownerAlive(run.owner)) {
    return 'leave';
  }
  return run.executionId ? 'poll' : 'markMayHaveStarted';
}

/**
 * Whether `me` may change a stored run: anyone may change a finished run (Check Execution, Remove); a
 * run in flight only its owner, or anyone when it has none.
 */
export function mayWrite(stored: Pick<RunRecord, 'state' | 'owner'>, me: string): boolean {
  return !isInFlight(stored) || !stored.owner || stored.owner === me;
}
