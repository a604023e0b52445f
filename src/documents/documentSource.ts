import vscode = require('vscode');
import { InvalidInputError, formatBytes } from '../core/api/errors';
import type { DocumentInput } from '../core/documents/input';
import { MAX_UPLOAD_BYTES, isSupportedFileName } from '../core/documents/mime';
import type { MetadataVariables } from '../core/runs/metadata';
import type { RunSource } from '../core/runs/source';

/**
 * The URI a stored URI string names: the one place the glue turns a document's URI, kept as text in run
 * records, batches and results, back into a `vscode.Uri`. Undefined when the text is not a URI.
 */
export function documentUri(text: string): vscode.Uri | undefined {
  try {
    return vscode.Uri.parse(text, true);
  } catch {
    return undefined;
  }
}

export function fileName(uri: vscode.Uri): string {
  return uri.path.split('/').pop() || uri.path;
}

/**
 * The input for a workspace file: `file:` files are streamed from disk by the client; anything else
 * (remote, virtual) is read through workspace.fs, after its size is checked so a huge file is never
 * loaded only to be refused.
 */
export async function documentInput(uri: vscode.Uri): Promise<DocumentInput> {
  const name = fileName(uri);
  if (uri.scheme === 'file') {
    return { kind: 'path', path: uri.fsPath, fileName: name };
  }
  const stat = await vscode.workspace.fs.stat(uri);
  if (stat.size > MAX_UPLOAD_BYTES) {
    throw new InvalidInputError(
      'tooLarge',
      `${name} is ${formatBytes(stat.size)}; DocuTray accepts documents up to ${formatBytes(MAX_UPLOAD_BYTES)}.`,
    );
  }
  return { kind: 'bytes', data: await vscode.workspace.fs.readFile(uri), fileName: name };
}

export function metadataVariables(uri: vscode.Uri): MetadataVariables {
  const folder = vscode.workspace.getWorkspaceFolder(uri);
  return {
    fileName: fileName(uri),
    relativePath: vscode.workspace.asRelativePath(uri, false),
    workspaceFolder: folder?.name ?? '',
  };
}

export interface FileSelection {
  eligible: vscode.Uri[];
  skipped: vscode.Uri[];
}

/**
 * The explorer's `when` clause only sees the clicked file: with several selected, keep the files
 * DocuTray can process and name the rest.
 */
export async function selectEligible(uris: readonly vscode.Uri[]): Promise<FileSelection> {
  const eligible: vscode.Uri[] = [];
  const skipped: vscode.Uri[] = [];
  const seen = new Set<string>();
  for (const uri of uris) {
    if (seen.has(uri.toString())) {
      continue;
    }
    seen.add(uri.toString());
    let isFile = true;
    try {
      isFile = ((await vscode.workspace.fs.stat(uri)).type & vscode.FileType.File) !== 0;
    } catch {
      isFile = false;
    }
    (isFile && isSupportedFileName(fileName(uri)) ? eligible : skipped).push(uri);
  }
  return { eligible, skipped };
}

/** The file in the active editor tab (text, image preview or any custom editor), if any. */
export function activeFile(): vscode.Uri | undefined {
  const input = vscode.window.tabGroups.activeTabGroup.activeTab?.input;
  if (input instanceof vscode.TabInputText || input instanceof vscode.TabInputCustom) {
    return input.uri;
  }
  return vscode.window.activeTextEditor?.document.uri;
}

/** The URI to open for a run's source: the workspace file, or the URL (outside VS Code). */
export function sourceUri(source: RunSource): { uri: vscode.Uri; external: boolean } | undefined {
  const uri =
    source.kind === 'url' ? documentUri(source.url) : source.kind === 'workspace' ? documentUri(source.uri) : undefined;
  return uri && { uri, external: source.kind === 'url' };
}
