import vscode = require('vscode');

/**
 * The batch panel's page: a strict CSP from `default-src 'none'`, its script and style only from the
 * extension's webview folder (no inline script, no style attribute: bar widths are set through CSSOM).
 * It loads no document and runs no worker: everything it shows comes in messages and is set as text.
 */
export function gridHtml(webview: vscode.Webview, extensionUri: vscode.Uri, title: string): string {
  const src = webview.cspSource;
  const asset = (name: string) => webview.asWebviewUri(vscode.Uri.joinPath(extensionUri, 'dist', 'webview', name));
  const csp = ["default-src 'none'", `script-src ${src}`, `style-src ${src}`, `font-src ${src}`].join('; ');
  const esc = (s: string) => s.replace(/[&<>"]/g, c => `&#${c.charCodeAt(0)};`);
  return `<!DOCTYPE html>
<html lang="${esc(vscode.env.language)}">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${esc(csp)}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<link rel="stylesheet" href="${esc(asset('grid.css').toString())}">
<title>${esc(title)}</title>
</head>
<body>
<main id="app" aria-busy="true"></main>
<script src="${esc(asset('grid.js').toString())}"></script>
</body>
</html>`;
}
