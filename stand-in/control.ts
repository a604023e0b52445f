/**
 * The control API (`/__stand-in/…`, no auth, never logged): what tests use to script steps, arm
 * faults and read what happened. The same operations back the in-process `StandIn` methods, so a
 * test in the same process and one in an extension host see the same thing.
 */
import type { IncomingMessage } from 'http';
import type { RateLimitStats } from './ratelimit';
import type { Reply } from './replies';
import type { StandInState } from './state';
import {
  ConfigError,
  parseFaults,
  parseSettings,
  parseSteps,
  type ExecutionInfo,
  type FaultSpec,
  type RequestLogEntry,
  type StandInSettings,
  type StartCount,
  type StepScript,
} from './types';

export interface StandInStats {
  maxConcurrentExecutions: number;
  executions: number;
  requests: number;
  pendingFaults: number;
}

export class Control {
  constructor(private readonly state: StandInState) {}

  /** The request log, oldest first; `sinceSeq` keeps only entries after that sequence number. */
  requests(sinceSeq = 0): RequestLogEntry[] {
    return structuredClone(this.state.log.filter(e => e.seq > sinceSeq));
  }

  starts(): StartCount[] {
    return this.state.starts();
  }

  executions(): ExecutionInfo[] {
    return this.state.executionInfos(Date.now());
  }

  addFaults(faults: unknown): FaultSpec[] {
    this.state.faults.add(parseFaults(faults));
    return this.state.faults.pending();
  }

  clearFaults(): void {
    this.state.faults.clear();
  }

  pendingFaults(): FaultSpec[] {
    return this.state.faults.pending();
  }

  /** Adds steps, replacing those with the same id; executions already started keep their script. */
  setSteps(steps: unknown): StepScript[] {
    this.state.setSteps(parseSteps(steps));
    return this.steps();
  }

  steps(): StepScript[] {
    return structuredClone([...this.state.steps.values()]);
  }

  /** Clears the log, start counts, executions and faults; keeps steps and settings. */
  reset(): void {
    this.state.reset();
  }

  configure(options: unknown): StandInSettings {
    const parsed = parseSettings(options);
    this.state.settings = { ...this.state.settings, ...parsed };
    if (parsed.seed !== undefined) {
      this.state.reseed();
    }
    return this.config();
  }

  /** The rate limiter's counts: requests counted and refused, which answers carry its headers, and each key's current windows. */
  rateLimit(): RateLimitStats {
    return this.state.limiter.stats(this.state.settings.apiKeys, this.state.settings.rateLimit);
  }

  config(): StandInSettings {
    return structuredClone(this.state.settings);
  }

  maxConcurrentExecutions(): number {
    return this.state.maxConcurrentExecutions();
  }

  stats(): StandInStats {
    return {
      maxConcurrentExecutions: this.maxConcurrentExecutions(),
      executions: this.state.executions.size,
      requests: this.state.log.length,
      pendingFaults: this.state.faults.pending().length,
    };
  }
}

type Handler = (control: Control, body: unknown, query: URLSearchParams) => unknown;

const ROUTES: Record<string, Handler> = {
  'GET requests': (c, _b, q) => c.requests(Number(q.get('since') ?? 0) || 0),
  'GET starts': c => c.starts(),
  'GET executions': c => c.executions(),
  'GET faults': c => c.pendingFaults(),
  'POST faults': (c, b) => c.addFaults(b),
  'DELETE faults': c => {
    c.clearFaults();
    return { ok: true };
  },
  'GET steps': c => c.steps(),
  'POST steps': (c, b) => c.setSteps(b),
  'POST reset': c => {
    c.reset();
    return { ok: true };
  },
  'GET config': c => c.config(),
  'POST config': (c, b) => c.configure(b),
  'GET stats': c => c.stats(),
  'GET ratelimit': c => c.rateLimit(),
};

const MAX_CONTROL_BODY = 10 * 1024 * 1024;

export async function handleControl(
  control: Control,
  req: IncomingMessage,
  route: string,
  query: URLSearchParams,
): Promise<Reply> {
  const handler = ROUTES[`${req.method ?? 'GET'} ${route}`];
  const text = await readText(req);
  if (!handler) {
    return {
      status: 404,
      body: {
        message: `No control route ${req.method} /__stand-in/${route}`,
        error: 'NOT_FOUND',
        routes: Object.keys(ROUTES),
      },
    };
  }
  try {
    const body: unknown = text.trim() === '' ? undefined : JSON.parse(text);
    return { status: 200, body: handler(control, body, query) ?? { ok: true } };
  } catch (e) {
    const message = e instanceof ConfigError || e instanceof SyntaxError ? e.message : String(e);
    return { status: 400, body: { message, error: 'BAD_CONTROL_REQUEST' } };
  }
}

async function readText(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size <= MAX_CONTROL_BODY) {
      chunks.push(chunk as Buffer);
    }
  }
  return Buffer.concat(chunks).toString('utf8');
}
