import vscode = require('vscode');

/**
 * A webview's page, the same for every panel: a strict CSP from `default-src 'none'` (scripts and styles
 * only from the extension's webview folder; no inline script, no style attribute), the page's one
 * stylesheet and script from `dist/webview/`, after the script that defines the vscode-elements
 * components the pages use (tabs, split layout: webview/elements.ts), and an empty `#app` its script
 * fills. Everything the page shows comes in a message and is set as text.
 */
export function webviewPage(
  webview: vscode.Webview,
  extensionUri: vscode.Uri,
  page: { title: string; name: string; csp: (source: string) => string[] },
): string {
  const asset = (name: string) => webview.asWebviewUri(vscode.Uri.joinPath(extensionUri, 'dist', 'webview', name));
  const csp = ["default-src 'none'", ...page.csp(webview.cspSource)].join('; ');
  const esc = (s: string) => s.replace(/[&<>"]/g, c => `&#${c.charCodeAt(0)};`);
  return `<!DOCTYPE html>
<html lang="${esc(vscode.env.language)}">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${esc(csp)}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<link rel="stylesheet" href="${esc(asset(`${page.name}.css`).toString())}">
<title>${esc(page.title)}</title>
</head>
<body>
<main id="app" aria-busy="true"></main>
<script src="${esc(asset('elements.js').toString())}"></script>
<script src="${esc(asset(`${page.name}.js`).toString())}"></script>
</body>
</html>`;
}
