/**
 * Everything the stand-in remembers: settings, step scripts, armed faults, the request log, the
 * executions and the start counts. Counters for request and execution ids never go back (not even
 * on reset), so an id a client still holds can never name a newer execution.
 */
import { Execution, type DocumentInfo } from './executions';
import { FaultQueue } from './faults';
import { RateLimiter } from './ratelimit';
import type { ExecutionInfo, RequestLogEntry, StandInSettings, StartCount, StepScript } from './types';

export class StandInState {
  readonly steps = new Map<string, StepScript>();
  readonly faults = new FaultQueue();
  readonly limiter = new RateLimiter();
  /** Behind step `jitter`; seeded by `settings.seed`, re-seeded when the seed is set or on reset. */
  random: () => number;
  log: RequestLogEntry[] = [];
  executions = new Map<string, Execution>();
  private startCounts = new Map<string, StartCount>();
  private nextRequest = 1;
  private nextExecution = 1;
  private nextSeq = 1;
  private inFlight = 0;
  private mostInFlight = 0;
  private readonly timers = new Map<NodeJS.Timeout, (completed: boolean) => void>();
  closed = false;

  constructor(
    public settings: StandInSettings,
    steps: StepScript[],
  ) {
    this.setSteps(steps);
    this.random = seededRandom(settings.seed ?? 1);
  }

  reseed(): void {
    this.random = seededRandom(this.settings.seed ?? 1);
  }

  setSteps(steps: StepScript[]): void {
    for (const step of steps) {
      this.steps.set(step.id, step);
    }
  }

  newRequestId(): string {
    return `req_${this.nextRequest++}`;
  }

  newLogEntry(fields: Omit<RequestLogEntry, 'seq' | 'status'>): RequestLogEntry {
    const entry: RequestLogEntry = { seq: this.nextSeq++, ...fields, status: 'pending' };
    this.log.push(entry);
    return entry;
  }

  createExecution(script: StepScript, document: DocumentInfo, now: number): Execution {
    const snapshot = structuredClone(script);
    const name = document.filename;
    if (name !== null && script.outcomeByFile && Object.prototype.hasOwnProperty.call(script.outcomeByFile, name)) {
      snapshot.outcome = structuredClone(script.outcomeByFile[name]);
    }
    if (snapshot.jitter) {
      const factor = 1 + snapshot.jitter * (2 * this.random() - 1);
      if (snapshot.enqueuedMs !== undefined) {
        snapshot.enqueuedMs = Math.round(snapshot.enqueuedMs * factor);
      }
      if (snapshot.processingMs !== undefined) {
        snapshot.processingMs = Math.round(snapshot.processingMs * factor);
      }
    }
    const execution = new Execution(`exec_${this.nextExecution++}`, snapshot, now, document);
    this.executions.set(execution.id, execution);
    const key = `${script.id}\n${document.sha256}`;
    const count = this.startCounts.get(key) ?? { stepId: script.id, hash: document.sha256, count: 0 };
    count.count++;
    this.startCounts.set(key, count);
    this.inFlight++;
    this.mostInFlight = Math.max(this.mostInFlight, this.inFlight);
    return execution;
  }

  /** Records that a terminal status of `execution` reached the client (the first time counts). */
  markTerminalServed(execution: Execution, at: number): void {
    // An answer still in flight across a reset belongs to a forgotten execution: it must not count.
    if (execution.terminalServedAt === undefined && this.executions.get(execution.id) === execution) {
      execution.terminalServedAt = at;
      this.inFlight--;
    }
  }

  starts(): StartCount[] {
    return [...this.startCounts.values()].map(s => ({ ...s }));
  }

  executionInfos(now: number): ExecutionInfo[] {
    return [...this.executions.values()].map(e => e.info(now));
  }

  /** The most executions that were at once created but whose terminal status was not yet served. */
  maxConcurrentExecutions(): number {
    return this.mostInFlight;
  }

  reset(): void {
    this.log = [];
    this.executions = new Map();
    this.startCounts = new Map();
    this.faults.clear();
    this.limiter.reset();
    this.reseed();
    this.inFlight = 0;
    this.mostInFlight = 0;
  }

  /** A timer that close() cancels; resolves false when cancelled so the waiter can give up. */
  sleep(ms: number): Promise<boolean> {
    if (this.closed) {
      return Promise.resolve(false);
    }
    return new Promise(resolve => {
      const timer = setTimeout(() => {
        this.timers.delete(timer);
        resolve(true);
      }, ms);
      this.timers.set(timer, resolve);
    });
  }

  cancelTimers(): void {
    for (const [timer, resolve] of this.timers) {
      clearTimeout(timer);
      resolve(false);
    }
    this.timers.clear();
  }
}

/** mulberry32: small, seeded, good enough for jitter. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
