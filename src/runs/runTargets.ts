import vscode = require('vscode');
import type { DocumentInput } from '../core/documents/input';
import type { RunRecord } from '../core/runs/history';
import { RunSource, urlSource, urlSourceName, workspaceSource } from '../core/runs/source';
import type { StoredResult } from '../core/results/storedResult';
import { documentInput, documentUri, fileName } from '../documents/documentSource';

/** One document to run a step on: a workspace file or a URL. */
export interface RunTarget {
  /** Shown to the user and used to name the result. */
  name: string;
  /** Where it comes from (the run record's source). */
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
export function targetFromSource(source: RunSource): RunTarget | undefined {
  if (source.kind === 'url') {
    return urlTarget(source.url);
  }
  const uri = source.kind === 'workspace' ? documentUri(source.uri) : undefined;
  return uri && fileTarget(uri);
}
