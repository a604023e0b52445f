import vscode = require('vscode');

/**
 * The review panel's page: a strict CSP from `default-src 'none'`, scripts and styles only from the
 * extension's webview folder (no inline script, no style attribute), `'wasm-unsafe-eval'` and
 * `worker-src blob:` for pdf.js (its worker is a blob: module that imports the worker script), images
 * and the document from the webview's resource origin. Everything else the page shows comes in a
 * message and is set as text.
 */
export function reviewHtml(webview: vscode.Webview, extensionUri: vscode.Uri, title: string): string {
  const src = webview.cspSource;
  const asset = (name: string) => webview.asWebviewUri(vscode.Uri.joinPath(extensionUri, 'dist', 'webview', name));
  const csp = [
    "default-src 'none'",
    `script-src ${src} 'wasm-unsafe-eval'`,
    'worker-src blob:',
    `style-src ${src}`,
    `img-src ${src} blob: data:`,
    `font-src ${src} data:`,
    `connect-src ${src}`,
  ].join('; ');
  const esc = (s: string) => s.replace(/[&<>"]/g, c => `&#${c.charCodeAt(0)};`);
  return `<!DOCTYPE html>
<html lang="${esc(vscode.env.language)}">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${esc(csp)}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<link rel="stylesheet" href="${esc(asset('review.css').toString())}">
<title>${esc(title)}</title>
</head>
<body>
<main id="app" aria-busy="true"></main>
<script src="${esc(asset('review.js').toString())}"></script>
</body>
</html>`;
}
