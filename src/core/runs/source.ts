/**
 * Where a run's document came from, in one type: a workspace file (any URI scheme VS Code can read),
 * an http(s) URL DocuTray downloads itself, or an execution looked up by id (Check Execution), which
 * has no document to run again. Written in a run record and a stored result as a string
 * ({@link formatRunSource}) and parsed once, when the record is read ({@link parseRunSource}).
 */

export const EXECUTION_SOURCE_SCHEME = 'docutray-execution';

export type RunSource =
  /** A URI string (`file:`, `vscode-remote:`, `vscode-vfs:`…). */
  { kind: 'workspace'; uri: string } | { kind: 'url'; url: string } | { kind: 'execution'; executionId: string };

export function workspaceSource(uri: string): RunSource {
  return { kind: 'workspace', uri };
}

export function urlSource(url: string): RunSource {
  return { kind: 'url', url };
}

export function executionSource(executionId: string): RunSource {
  return { kind: 'execution', executionId };
}

export function formatRunSource(s: RunSource): string {
  switch (s.kind) {
    case 'workspace':
      return s.uri;
    case 'url':
      return s.url;
    case 'execution':
      return `${EXECUTION_SOURCE_SCHEME}:${s.executionId}`;
  }
}

/** The source a stored string names; undefined when it names nothing we can use. */
export function parseRunSource(text: string | undefined): RunSource | undefined {
  const t = (text ?? '').trim();
  const scheme = /^([a-zA-Z][a-zA-Z0-9+.-]*):/.exec(t)?.[1]?.toLowerCase();
  if (!scheme) {
    return undefined;
  }
  if (scheme === 'http' || scheme === 'https') {
    return { kind: 'url', url: t };
  }
  if (scheme === EXECUTION_SOURCE_SCHEME) {
    const id = t.slice(EXECUTION_SOURCE_SCHEME.length + 1);
    return id ? { kind: 'execution', executionId: id } : undefined;
  }
  return { kind: 'workspace', uri: t };
}

/** A run on this source can be started again (an execution looked up by id has no document). */
export function hasDocument(s: RunSource | undefined): s is Exclude<RunSource, { kind: 'execution' }> {
  return s?.kind === 'workspace' || s?.kind === 'url';
}

/** A short name for a URL source: its last path segment, else its host. */
export function urlSourceName(url: string): string {
  try {
    const parsed = new URL(url);
    const last = parsed.pathname.split('/').filter(Boolean).pop() ?? '';
    let decoded = last;
    try {
      decoded = decodeURIComponent(last);
    } catch {
      // a malformed escape is shown as written
    }
    return decoded || parsed.hostname;
  } catch {
    return url;
  }
}

/** Whether two sources name the same document. */
export function sameSource(a: RunSource, b: RunSource): boolean {
  return formatRunSource(a) === formatRunSource(b);
}
