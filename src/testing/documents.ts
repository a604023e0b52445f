import vscode = require('vscode');
import { l10n } from 'vscode';
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { sha256OfFile } from '../core/documents/hash';
import { type PageCount, countPages, totalPages } from '../core/documents/pageCount';
import { runPool } from '../core/async/pool';
import { fileName } from '../documents/documentSource';

/** SHA-256 (hex) of a workspace document: streamed from disk for `file:`, read through VS Code otherwise. */
export async function documentSha256(uri: vscode.Uri): Promise<string> {
  if (uri.scheme === 'file') {
    return sha256OfFile(uri.fsPath);
  }
  return createHash('sha256')
    .update(await vscode.workspace.fs.readFile(uri))
    .digest('hex');
}

/** The pages DocuTray would bill for these documents (core/documents/pageCount.ts), read a few at a time. */
export async function documentPages(uris: readonly vscode.Uri[]): Promise<PageCount> {
  const counted = await runPool(uris, 4, async uri => {
    const bytes = /\.pdf$/i.test(uri.path) || !/\.[a-z0-9]+$/i.test(uri.path) ? await read(uri) : undefined;
    return countPages(fileName(uri), bytes);
  });
  return totalPages(counted.map(c => (c.status === 'fulfilled' ? c.value : { pages: 1, exact: false })));
}

async function read(uri: vscode.Uri): Promise<Uint8Array | undefined> {
  try {
    return uri.scheme === 'file' ? await readFile(uri.fsPath) : await vscode.workspace.fs.readFile(uri);
  } catch {
    return undefined;
  }
}

/** "3 pages", "about 40 pages". */
export function pagesText(count: PageCount): string {
  if (count.pages === 1) {
    return count.exact ? l10n.t('1 page') : l10n.t('about 1 page');
  }
  return count.exact ? l10n.t('{0} pages', count.pages) : l10n.t('about {0} pages', count.pages);
}
