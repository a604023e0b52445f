import vscode = require('vscode');
import { l10n } from 'vscode';
import { posix } from 'path';
import { createHash } from 'crypto';
import { readFile } from 'fs/promises';
import type { ReviewState } from '../core/review/protocol';
import { snapshotMarkup, snapshotSplitRule } from '../core/review/snapshotMarkup';
import { reviewHtml } from './reviewHtml';
import type { PaintedPage } from './webviewPage';

/*
 * The review panel's page, kept apart from the review's code (dist/review.js) and small: the activation
 * bundle sets a restored panel's page with it at once, with the fields it last showed (from its own state)
 * and its stylesheet in the HTML, so that after a reload they paint before the page's files are fetched and
 * the rest of the extension loads, instead of after.
 */

/**
 * The panel's page for a document: its title, the webview's options (scripts; resources only from the
 * extension's webview folder and the document's folder) and its HTML.
 */
export function reviewPage(
  panel: vscode.WebviewPanel,
  extensionUri: vscode.Uri,
  documentUri?: vscode.Uri,
  painted?: PaintedPage,
): void {
  const roots = [vscode.Uri.joinPath(extensionUri, 'dist', 'webview')];
  if (documentUri) {
    roots.push(vscode.Uri.joinPath(documentUri, '..'));
    panel.title = l10n.t('Review: {0}', posix.basename(documentUri.path));
  }
  panel.webview.options = { enableScripts: true, localResourceRoots: roots };
  panel.webview.html = reviewHtml(panel.webview, extensionUri, l10n.t('Review'), painted);
}

/**
 * A restored page painted from the snapshot its state keeps (the fields as last shown), with the panel's
 * stylesheet in it; undefined when the state keeps none or the stylesheet cannot be read (the page's
 * script then waits for its model).
 */
async function paintedFrom(state: unknown, extensionUri: vscode.Uri): Promise<PaintedPage | undefined> {
  const s = state as Partial<ReviewState> | undefined;
  const snapshot = s?.snapshot;
  if (!snapshot || typeof snapshot !== 'object' || !Array.isArray(snapshot.rows)) {
    return undefined;
  }
  let css: string;
  try {
    css = await readFile(vscode.Uri.joinPath(extensionUri, 'dist', 'webview', 'review.css').fsPath, 'utf8');
  } catch {
    return undefined;
  }
  const style = `${css}\n${snapshotSplitRule(s.split)}`;
  if (/<\/style/i.test(style)) {
    return undefined;
  }
  return {
    markup: snapshotMarkup(snapshot, { selected: s.selected, tab: s.tab }),
    style,
    styleHash: createHash('sha256').update(style, 'utf8').digest('base64'),
  };
}

/**
 * The document a restored panel's state names (`ReviewState['key']`), and whether the state names one at
 * all. Only a document in a workspace folder lends its folder to the page before the stored result confirms
 * it (the state is the page's own, but the page is given no other folder to read from).
 */
export function restoredDocument(state: unknown): { valid: boolean; documentUri?: vscode.Uri } {
  const key = (state as { key?: { documentUri?: unknown; stepId?: unknown } } | undefined)?.key;
  if (!key || typeof key.documentUri !== 'string' || typeof key.stepId !== 'string') {
    return { valid: false };
  }
  try {
    const parsed = vscode.Uri.parse(key.documentUri, true);
    return { valid: true, documentUri: vscode.workspace.getWorkspaceFolder(parsed) ? parsed : undefined };
  } catch {
    return { valid: false };
  }
}

/**
 * Sets a restored panel's page from its state (if the state names a review; else the review refuses it),
 * then calls `restore` (which loads the rest of the extension and reads the result, the expected file and
 * the document again) in a task of its own, so that the page goes to the workbench first.
 */
export function restoreReviewPage(
  panel: vscode.WebviewPanel,
  extensionUri: vscode.Uri,
  state: unknown,
  restore: () => Promise<void>,
): Promise<void> {
  const { valid, documentUri } = restoredDocument(state);
  const painted = valid ? paintedFrom(state, extensionUri) : Promise.resolve(undefined);
  return painted
    .then(page => valid && reviewPage(panel, extensionUri, documentUri, page))
    .then(() => new Promise<void>(resolve => setTimeout(resolve, 0)))
    .then(restore);
}
