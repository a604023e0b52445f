/**
 * The DocuTray API as the stand-in serves it: auth, `GET /api/auth/ok`, starting a step
 * (`POST /api/steps-async/{stepId}`) and reading an execution (`GET /api/steps-async/status/{id}`).
 */
import type { IncomingHttpHeaders } from 'http';
import type { ParsedBody } from './body';
import { documentFrom } from './documents';
import { isTerminal } from './executions';
import { errorReply, type Reply } from './replies';
import type { StandInState } from './state';

export interface ApiRequest {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  body: ParsedBody;
  now: number;
}

export function handleApi(state: StandInState, req: ApiRequest): Reply {
  const style = state.settings.errorStyle;
  if (!authorized(state.settings.apiKeys, req.headers.authorization)) {
    return errorReply(style, 'unauthorized');
  }
  const route = routeOf(req.path);
  if (!route) {
    return errorReply(style, 'notFound');
  }
  if (req.method !== route.method) {
    return errorReply(style, 'methodNotAllowed', { headers: { Allow: route.method } });
  }
  switch (route.name) {
    case 'authOk':
      return { status: 200, body: { ok: true } };
    case 'start':
      return startExecution(state, route.param, req);
    case 'status':
      return executionStatus(state, route.param, req.now);
  }
}

function authorized(keys: readonly string[], header: string | undefined): boolean {
  const m = /^Bearer\s+(\S+)\s*$/i.exec(header ?? '');
  return m !== null && keys.includes(m[1]);
}

interface Route {
  name: 'authOk' | 'start' | 'status';
  method: 'GET' | 'POST';
  /** The raw (still percent-encoded) path parameter. */
  param: string;
}

function routeOf(path: string): Route | undefined {
  const s = path.split('/');
  if (s.length === 4 && s[1] === 'api' && s[2] === 'auth' && s[3] === 'ok') {
    return { name: 'authOk', method: 'GET', param: '' };
  }
  if (s.length === 5 && s[1] === 'api' && s[2] === 'steps-async' && s[3] === 'status' && s[4] !== '') {
    return { name: 'status', method: 'GET', param: s[4] };
  }
  if (s.length === 4 && s[1] === 'api' && s[2] === 'steps-async' && s[3] !== '') {
    return { name: 'start', method: 'POST', param: s[3] };
  }
  return undefined;
}

function decodeSegment(raw: string): string | undefined {
  try {
    return decodeURIComponent(raw);
  } catch {
    return undefined;
  }
}

function startExecution(state: StandInState, rawStepId: string, req: ApiRequest): Reply {
  const settings = state.settings;
  const stepId = decodeSegment(rawStepId);
  const script = stepId === undefined ? undefined : state.steps.get(stepId);
  if (!script) {
    return errorReply(settings.errorStyle, 'stepNotFound');
  }
  const result = documentFrom(req.body, settings);
  if ('reply' in result) {
    return result.reply;
  }
  const execution = state.createExecution(script, result.document, req.now);
  return { status: 202, body: execution.view('ENQUEUED', req.now, settings, false) };
}

function executionStatus(state: StandInState, rawId: string, now: number): Reply {
  const settings = state.settings;
  const id = decodeSegment(rawId);
  const execution = id === undefined ? undefined : state.executions.get(id);
  if (!execution) {
    return errorReply(settings.errorStyle, 'executionNotFound');
  }
  const status = execution.poll(now);
  const view = execution.view(status, now, settings, true);
  return {
    status: 200,
    body: settings.envelope ? { data: view } : view,
    // "Served" is when the client could have seen it, which a drop or delay fault postpones or prevents.
    onSent: isTerminal(status) ? at => state.markTerminalServed(execution, at) : undefined,
  };
}
