import vscode = require('vscode');
import type { DocumentInput } from '../core/documents/input';
import type { RunRecord } from '../core/runs/history';
import { RunSource, parseRunSource, urlSource, urlSourceName, workspaceSource } from '../core/runs/source';
import type { StoredResult } from '../core/results/storedResult';
import { documentInput, fileName } from './documentSource';

/** One document to run a step on: a workspace file or a URL. */
export interface RunTarget {
  /** Shown to the user and used to name the result. */
  name: string;
  /** Where it comes from (stored in the run record as formatRunSource of it). */
  source: RunSource;
  input: () => Promise<DocumentInput>;
  metadataFor?: vscode.Uri;
}

export interface RunOutcome {
  target: RunTarget;
  run?: RunRecord;
  result?: StoredResult;
  error?: unknown;
}

export function fileTarget(uri: vscode.Uri): RunTarget {
  return {
    name: fileName(uri),
    source: workspaceSource(uri.toString()),
    input: () => documentInput(uri),
    metadataFor: uri,
  };
}

export function urlTarget(url: string): RunTarget {
  return { name: urlSourceName(url), source: urlSource(url), input: async () => ({ kind: 'url', url }) };
}

/** The target a recorded run came from, for a rerun; undefined when it has no document to run again. */
export function targetFromSource(source: string): RunTarget | undefined {
  const parsed = parseRunSource(source);
  if (parsed?.kind === 'url') {
    return urlTarget(parsed.url);
  }
  if (parsed?.kind === 'workspace') {
    try {
      return fileTarget(vscode.Uri.parse(parsed.uri, true));
    } catch {
      return undefined;
    }
  }
  return undefined;
}

/** The URI to open for a run's source: the workspace file, or the URL (outside VS Code). */
export function sourceUri(source: string): { uri: vscode.Uri; external: boolean } | undefined {
  const parsed = parseRunSource(source);
  try {
    if (parsed?.kind === 'url') {
      return { uri: vscode.Uri.parse(parsed.url, true), external: true };
    }
    if (parsed?.kind === 'workspace') {
      return { uri: vscode.Uri.parse(parsed.uri, true), external: false };
    }
  } catch {
    return undefined;
  }
  return undefined;
}
