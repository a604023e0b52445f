import vscode = require('vscode');
import { l10n } from 'vscode';
import { posix } from 'path';
import { reviewHtml } from './reviewHtml';

/*
 * The review panel's page, kept apart from the review's code (dist/review.js) and small: the activation
 * bundle sets a restored panel's page with it at once, so that after a reload the page paints the fields it
 * last showed (from its own state) before the rest of the extension loads, instead of after it.
 */

/**
 * The panel's page for a document: its title, the webview's options (scripts; resources only from the
 * extension's webview folder and the document's folder) and its HTML.
 */
export function reviewPage(panel: vscode.WebviewPanel, extensionUri: vscode.Uri, documentUri?: vscode.Uri): void {
  const roots = [vscode.Uri.joinPath(extensionUri, 'dist', 'webview')];
  if (documentUri) {
    roots.push(vscode.Uri.joinPath(documentUri, '..'));
    panel.title = l10n.t('Review: {0}', posix.basename(documentUri.path));
  }
  panel.webview.options = { enableScripts: true, localResourceRoots: roots };
  panel.webview.html = reviewHtml(panel.webview, extensionUri, l10n.t('Review'));
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
  if (valid) {
    reviewPage(panel, extensionUri, documentUri);
  }
  return new Promise<void>(resolve => setTimeout(resolve, 0)).then(restore);
}
