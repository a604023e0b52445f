import vscode = require('vscode');
import { type PaintedPage, webviewPage } from './webviewPage';

/**
 * The review panel's page: besides the common page (webviewPage.ts), `'wasm-unsafe-eval'` and
 * `worker-src blob:` for pdf.js (its worker is started from a blob of the worker script), images and the
 * document from the webview's resource origin.
 */
export function reviewHtml(
  webview: vscode.Webview,
  extensionUri: vscode.Uri,
  title: string,
  painted?: PaintedPage,
): string {
  return webviewPage(webview, extensionUri, {
    title,
    name: 'review',
    painted,
    csp: src => [
      `script-src ${src} 'wasm-unsafe-eval'`,
      'worker-src blob:',
      `style-src ${src}`,
      `img-src ${src} blob: data:`,
      `font-src ${src} data:`,
      `connect-src ${src}`,
    ],
  });
}
