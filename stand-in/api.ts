/**
 * The DocuTray API as the stand-in serves it: auth, `GET /api/usage` (this month's figures; the key
 * check), starting a step (`POST /api/steps-async/{stepId}`) and reading an execution
 * (`GET /api/steps-async/status/{id}`). `GET /api/auth/ok` belongs to DocuTray's sign-in library and
 * answers `{ok:true}` to anyone, key or not, as the real one most likely does.
 */
import type { IncomingHttpHeaders } from 'http';
import type { ParsedBody } from './body';
import { documentFrom } from './documents';
import { isTerminal } from './executions';
import { errorReply, validationError, type Reply } from './replies';
import type { StandInState } from './state';

export interface ApiRequest {
  method: string;
  path: string;
  /** The raw query string, without `?`. */
  query?: string;
  headers: IncomingHttpHeaders;
  body: ParsedBody;
  now: number;
}

export function handleApi(state: StandInState, req: ApiRequest): Reply {
  const style = state.settings.errorStyle;
  const route = routeOf(req.path);
  if (route?.name === 'authOk' && req.method === 'GET') {
    return { status: 200, body: { ok: true } }; // no key needed: it proves nothing about one
  }
  const key = bearer(req.headers.authorization);
  if (key === undefined || !state.settings.apiKeys.includes(key)) {
    return errorReply(style, route?.name === 'usage' ? 'usageUnauthorized' : 'unauthorized');
  }
  if (!route) {
    return errorReply(style, 'notFound');
  }
  if (req.method !== route.method) {
    return errorReply(style, 'methodNotAllowed', { headers: { Allow: route.method } });
  }
  switch (route.name) {
    case 'authOk':
      return { status: 200, body: { ok: true } };
    case 'usage':
      return usage(state, req);
    case 'start':
      return startExecution(state, route.param, req, key);
    case 'status':
      return executionStatus(state, route.param, req.now, key);
  }
}

function bearer(header: string | undefined): string | undefined {
  return /^Bearer\s+(\S+)\s*$/i.exec(header ?? '')?.[1];
}

/**
 * `GET /api/usage[?year=&month=]` (both or neither): `{year, month, successful_pages,
 * successful_conversions}`. This month starts from `usageBase` and counts one page and one conversion
 * per execution of this stand-in that succeeded; other months are empty. Free: no quota, no 429/402.
 */
function usage(state: StandInState, req: ApiRequest): Reply {
  const query = new URLSearchParams(req.query ?? '');
  const y = query.get('year');
  const m = query.get('month');
  const today = new Date(req.now);
  const current = { year: today.getUTCFullYear(), month: today.getUTCMonth() + 1 };
  if ((y === null) !== (m === null)) {
    return validationError(state.settings.errorStyle, 'year and month must be given together');
  }
  const year = y === null ? current.year : Number(y);
  const month = m === null ? current.month : Number(m);
  if (!Number.isInteger(year) || !Number.isInteger(month) || month < 1 || month > 12 || year < 2000 || year > 9999) {
    return validationError(state.settings.errorStyle, 'year and month must be a valid year and a month from 1 to 12');
  }
  let pages = 0;
  let conversions = 0;
  if (year === current.year && month === current.month) {
    const succeeded = [...state.executions.values()].filter(e => e.succeededBy(req.now)).length;
    pages = state.settings.usageBase.successful_pages + succeeded;
    conversions = state.settings.usageBase.successful_conversions + succeeded;
  }
  return { status: 200, body: { year, month, successful_pages: pages, successful_conversions: conversions } };
}

interface Route {
  name: 'authOk' | 'usage' | 'start' | 'status';
  method: 'GET' | 'POST';
  /** The raw (still percent-encoded) path parameter. */
  param: string;
}

function routeOf(path: string): Route | undefined {
  const s = path.split('/');
  if (s.length === 4 && s[1] === 'api' && s[2] === 'auth' && s[3] === 'ok') {
    return { name: 'authOk', method: 'GET', param: '' };
  }
  if (s.length === 3 && s[1] === 'api' && s[2] === 'usage') {
    return { name: 'usage', method: 'GET', param: '' };
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

function startExecution(state: StandInState, rawStepId: string, req: ApiRequest, key: string): Reply {
  const settings = state.settings;
  const stepId = decodeSegment(rawStepId);
  const script = stepId === undefined ? undefined : state.steps.get(stepId);
  if (!script) {
    return errorReply(settings.errorStyle, 'stepNotFound');
  }
  if (script.keys && !script.keys.includes(key)) {
    return errorReply(settings.errorStyle, 'stepForbidden');
  }
  if (settings.quotaExceeded && state.executions.size >= (settings.quotaExceeded.afterStarts ?? 0)) {
    const { afterStarts: _after, ...fields } = settings.quotaExceeded;
    return errorReply(settings.errorStyle, 'quotaExceeded', { fields });
  }
  const result = documentFrom(req.body, settings);
  if ('reply' in result) {
    return result.reply;
  }
  if (result.document.source === 'url' && settings.urlDownloadTimeout) {
    return errorReply(settings.errorStyle, 'urlTimeout');
  }
  const execution = state.createExecution(script, result.document, req.now);
  execution.ownerKey = key;
  return { status: 202, body: execution.view('ENQUEUED', req.now, settings, false) };
}

function executionStatus(state: StandInState, rawId: string, now: number, key: string): Reply {
  const settings = state.settings;
  const id = decodeSegment(rawId);
  const execution = id === undefined ? undefined : state.executions.get(id);
  if (!execution) {
    return errorReply(settings.errorStyle, 'executionNotFound');
  }
  // Another accepted key (another organisation) may not read it.
  if (execution.ownerKey !== undefined && execution.ownerKey !== key) {
    return errorReply(settings.errorStyle, 'executionForbidden');
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
