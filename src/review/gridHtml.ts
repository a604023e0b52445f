import vscode = require('vscode');
import { webviewPage } from './webviewPage';

/**
 * The batch panel's page: the common page (webviewPage.ts) and nothing more. It loads no document and
 * runs no worker; bar widths are set through CSSOM, not style attributes.
 */
export function gridHtml(webview: vscode.Webview, extensionUri: vscode.Uri, title: string): string {
  return webviewPage(webview, extensionUri, {
    title,
    name: 'grid',
    csp: src => [`script-src ${src}`, `style-src ${src}`, `font-src ${src}`],
  });
}
