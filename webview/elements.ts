/**
 * The VS Code look's pieces the webviews use, from vscode-elements (the successor of the Webview UI
 * Toolkit): tabs and the split layout, nothing else. Each by its own module, so the bundle holds these
 * four and Lit, not the whole library. Its own bundle (dist/webview/elements.js), loaded by both pages
 * before their own script (webviewPage.ts): Lit once for both panels, and the pages' scripts stay small.
 * They define custom elements and nothing more; the pages make them with `document.createElement`.
 *
 * Lit styles the components through constructable stylesheets (adoptedStyleSheets) and the split layout
 * places its handle through CSSOM, both allowed by the pages' CSP (no style attribute, no inline style).
 * None of these shows an icon, so the codicon font is not shipped.
 */
import '@vscode-elements/elements/dist/vscode-tabs/index.js';
import '@vscode-elements/elements/dist/vscode-tab-header/index.js';
import '@vscode-elements/elements/dist/vscode-tab-panel/index.js';
import '@vscode-elements/elements/dist/vscode-split-layout/index.js';
