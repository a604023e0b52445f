import vscode = require('vscode');
import { escapeHtml } from '../core/text/plainText';

/**
 * A webview's page, the same for every panel: a strict CSP from `default-src 'none'` (scripts and styles
 * only from the extension's webview folder; no inline script, no style attribute), the page's one
 * stylesheet and script from `dist/webview/`, after the script that defines the vscode-elements
 * components the pages use (tabs, split layout: webview/elements.ts), and an `#app` its script fills
 * (empty, or painted by the host: `painted`). Everything the page shows comes in a message and is set as
 * text; a painted page's elements are escaped HTML (src/core/review/snapshotMarkup.ts).
 */
export function webviewPage(
  webview: vscode.Webview,
  extensionUri: vscode.Uri,
  page: { title: string; name: string; csp: (source: string) => string[]; painted?: PaintedPage },
): string {
  const asset = (name: string) => webview.asWebviewUri(vscode.Uri.joinPath(extensionUri, 'dist', 'webview', name));
  const painted = page.painted;
  // A painted page's stylesheet is in the page (allowed by its hash): nothing fetched stands before its paint.
  const directives = page
    .csp(webview.cspSource)
    .map(d => (painted && d.startsWith('style-src ') ? `${d} 'sha256-${painted.styleHash}'` : d));
  const csp = ["default-src 'none'", ...directives].join('; ');
  const style = painted
    ? `<style>${painted.style}</style>`
    : `<link rel="stylesheet" href="${escapeHtml(asset(`${page.name}.css`).toString())}">`;
  return `<!DOCTYPE html>
<html lang="${escapeHtml(vscode.env.language)}">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${escapeHtml(csp)}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
${style}
<title>${escapeHtml(page.title)}</title>
</head>
<body>
<main id="app" aria-busy="true">${painted?.markup ?? ''}</main>
<script src="${escapeHtml(asset('elements.js').toString())}" defer></script>
<script src="${escapeHtml(asset(`${page.name}.js`).toString())}" defer></script>
</body>
</html>`;
}

/**
 * A page painted before its script runs (a restored review): the elements of its `#app` (escaped by their
 * maker), and its stylesheet's text with the SHA-256 (base64) the CSP allows it by.
 */
export interface PaintedPage {
  markup: string;
  style: string;
  styleHash: string;
}
