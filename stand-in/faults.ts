/**
 * Injected faults: a queue of armed faults, each applying to its next `count` matching requests.
 * The first armed fault that matches a request is used (one fault per request), so faults queued
 * in order play out in order.
 */
import { errorReply, type Reply } from './replies';
import type { ErrorStyle, FaultSpec } from './types';

interface Armed {
  spec: FaultSpec;
  remaining: number;
  /** For a time-window fault: when it ends (ms epoch). */
  until?: number;
}

/** Faults applied to a SUCCESS answer's data rather than to a request. */
export type ResultFault = Extract<FaultSpec, { kind: 'hugeResult' | 'nestedResult' }>;

function isResultFault(spec: FaultSpec): spec is ResultFault {
  return spec.kind === 'hugeResult' || spec.kind === 'nestedResult';
}

/** Where a fault applies when it names no `match`. */
const DEFAULT_MATCH: Partial<Record<FaultSpec['kind'], FaultSpec['match']>> = {
  loseStartAnswer: { method: 'POST' },
  statusOutage: { method: 'GET', path: '/api/steps-async/status/' },
  statusForbidden: { method: 'GET', path: '/api/steps-async/status/' },
  hugeResult: { method: 'GET', path: '/api/steps-async/status/' },
  nestedResult: { method: 'GET', path: '/api/steps-async/status/' },
};

export class FaultQueue {
  private armed: Armed[] = [];
  private outageHits = 0;

  constructor(private readonly now: () => number = Date.now) {}

  add(specs: FaultSpec[]): void {
    this.armed.push(
      ...specs.map(spec => ({
        spec: spec.match || !DEFAULT_MATCH[spec.kind] ? spec : { ...spec, match: DEFAULT_MATCH[spec.kind] },
        remaining: spec.count ?? 1,
        until: spec.kind === 'statusOutage' ? this.now() + spec.ms : undefined,
      })),
    );
  }

  /** Which way a status outage fails this request: 503 or a cut connection. */
  outageMode(spec: Extract<FaultSpec, { kind: 'statusOutage' }>): 'drop' | '503' {
    const mode = spec.mode ?? '503';
    return mode === 'alternate' ? (this.outageHits++ % 2 === 0 ? '503' : 'drop') : mode;
  }

  /** Takes one use of the first result fault matching this (SUCCESS) answer. */
  takeResult(method: string, path: string): ResultFault | undefined {
    const index = this.armed.findIndex(a => isResultFault(a.spec) && matches(a.spec, method, path));
    if (index < 0) {
      return undefined;
    }
    const armed = this.armed[index];
    if (--armed.remaining <= 0) {
      this.armed.splice(index, 1);
    }
    return armed.spec as ResultFault;
  }

  clear(): void {
    this.armed = [];
  }

  /** The faults still armed, with the uses they have left as `count`. */
  pending(): FaultSpec[] {
    return this.armed.map(a => ({ ...a.spec, count: a.remaining }));
  }

  /** Takes one use of the first fault matching this request. */
  take(method: string, path: string): FaultSpec | undefined {
    const now = this.now();
    this.armed = this.armed.filter(a => a.until === undefined || a.until > now);
    const index = this.armed.findIndex(a => !isResultFault(a.spec) && matches(a.spec, method, path));
    if (index < 0) {
      return undefined;
    }
    const armed = this.armed[index];
    if (armed.until !== undefined) {
      return armed.spec; // a time window: every matching request until it ends
    }
    if (--armed.remaining <= 0) {
      this.armed.splice(index, 1);
    }
    return armed.spec;
  }
}

function matches(spec: FaultSpec, method: string, path: string): boolean {
  const m = spec.match;
  return (!m?.method || m.method.toUpperCase() === method.toUpperCase()) && (!m?.path || path.startsWith(m.path));
}

/** The data of a result fault, as JSON text (built as text: too deep for JSON.stringify). */
export function resultFaultData(spec: ResultFault): string {
  if (spec.kind === 'nestedResult') {
    return `${'['.repeat(spec.depth)}${']'.repeat(spec.depth)}`;
  }
  const row = '{"line":"Lorem ipsum dolor sit amet, consectetur adipiscing elit","amount":1234.5},';
  const rows = Math.max(1, Math.ceil(spec.bytes / row.length));
  return `{"rows":[${row.repeat(rows).slice(0, -1)}]}`;
}

/** Faults that answer instead of the route. */
export type ReplacingFault = Extract<
  FaultSpec,
  {
    kind:
      | 'rateLimit'
      | 'serverError'
      | 'statusForbidden'
      | 'html'
      | 'malformedJson'
      | 'unsupportedContentType'
      | 'redirect';
  }
>;

export function isReplacing(spec: FaultSpec | undefined): spec is ReplacingFault {
  return (
    spec?.kind === 'rateLimit' ||
    spec?.kind === 'serverError' ||
    spec?.kind === 'statusForbidden' ||
    spec?.kind === 'html' ||
    spec?.kind === 'malformedJson' ||
    spec?.kind === 'unsupportedContentType' ||
    spec?.kind === 'redirect'
  );
}

/** @param bearerKey the key the request carried (a `redirect` fault with `withKey` echoes it). */
export function faultReply(spec: ReplacingFault, style: ErrorStyle, now: number, bearerKey?: string): Reply {
  switch (spec.kind) {
    case 'redirect': {
      let location = spec.location ?? 'https://elsewhere.invalid/moved';
      if (spec.withKey && bearerKey) {
        const sep = location.includes('?') ? '&' : '?';
        location += `${sep}api_key=${bearerKey}&token=${encodeURIComponent(bearerKey)}`;
      }
      return { status: spec.status ?? 302, body: '', contentType: 'text/plain', headers: { Location: location } };
    }
    case 'rateLimit':
      return rateLimitReply(spec, style, now);
    case 'serverError': {
      const headers: Record<string, string> =
        spec.retryAfter === undefined ? {} : { 'Retry-After': String(spec.retryAfter) };
      return errorReply(style, spec.notInitiated ? 'notInitiated' : 'serverError', {
        status: spec.status ?? 500,
        headers,
      });
    }
    case 'statusForbidden':
      return errorReply(style, 'executionForbidden');
    case 'html':
      return { status: spec.status ?? 502, body: proxyPage(spec.status ?? 502), contentType: 'text/html' };
    case 'malformedJson':
      // Cut off mid-string, as a body truncated by a proxy or a crashed worker would be.
      return { status: spec.status ?? 200, body: '{"id": "exec_', contentType: 'application/json' };
    case 'unsupportedContentType':
      return errorReply(style, 'unsupportedContentType');
  }
}

function rateLimitReply(spec: Extract<FaultSpec, { kind: 'rateLimit' }>, style: ErrorStyle, now: number): Reply {
  const seconds = spec.retryAfterSeconds ?? (typeof spec.retryAfter === 'number' ? spec.retryAfter : 1);
  const resetTime = Math.floor(now / 1000) + seconds;
  const headers: Record<string, string> = {
    'X-RateLimit-Limit': '60',
    'X-RateLimit-Remaining': '0',
    'X-RateLimit-Reset': String(resetTime),
    'X-RateLimit-Limit-Type': 'minute',
  };
  if (spec.retryAfter === 'http-date') {
    headers['Retry-After'] = new Date(now + seconds * 1000).toUTCString();
  } else if (spec.retryAfter !== 'none') {
    headers['Retry-After'] = String(seconds);
  }
  const fields = { limitType: 'minute', limit: 60, remaining: 0, resetTime, retryAfter: seconds };
  return errorReply(style, 'rateLimited', { headers, fields });
}

const REASONS: Record<number, string> = {
  500: 'Internal Server Error',
  502: 'Bad Gateway',
  503: 'Service Temporarily Unavailable',
  504: 'Gateway Time-out',
};

function proxyPage(status: number): string {
  const title = `${status} ${REASONS[status] ?? 'Error'}`;
  return `<html>\r\n<head><title>${title}</title></head>\r\n<body>\r\n<center><h1>${title}</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n`;
}
