import vscode = require('vscode');
import { l10n } from 'vscode';
import { readFile } from 'node:fs/promises';
import { type PageCount, countPages, totalPages } from '../core/documents/pageCount';
import { runPool } from '../core/async/pool';
import { fileName } from './documentSource';

/*
 * What DocuTray bills for documents, in pages: every question before a run over several documents says
 * it this way (a folder run, a selection, a check, a comparison of two steps).
 */

/** Each document's pages (core/documents/pageCount.ts), read a few at a time; unreadable ones count as about 1. */
export async function pageCounts(uris: readonly vscode.Uri[]): Promise<PageCount[]> {
  const counted = await runPool(uris, 4, async uri => {
    const bytes = /\.pdf$/i.test(uri.path) || !/\.[a-z0-9]+$/i.test(uri.path) ? await read(uri) : undefined;
    return countPages(fileName(uri), bytes);
  });
  return counted.map(c => (c.status === 'fulfilled' ? c.value : { pages: 1, exact: false }));
}

/** The pages DocuTray would bill for these documents. */
export async function documentPages(uris: readonly vscode.Uri[]): Promise<PageCount> {
  return totalPages(await pageCounts(uris));
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
