import vscode = require('vscode');
import { createHash } from 'node:crypto';
import { sha256OfFile } from '../core/documents/hash';

/** SHA-256 (hex) of a workspace document: streamed from disk for `file:`, read through VS Code otherwise. */
export async function documentSha256(uri: vscode.Uri): Promise<string> {
  if (uri.scheme === 'file') {
    return sha256OfFile(uri.fsPath);
  }
  return createHash('sha256')
    .update(await vscode.workspace.fs.readFile(uri))
    .digest('hex');
}

// Pages are counted where every room that asks before a run reads them.
export { documentPages, pagesText } from '../documents/pages';
