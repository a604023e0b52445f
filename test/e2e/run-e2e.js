#!/usr/bin/env node
// End-to-end test in the real VS Code 1.139 web workbench (code-server 4.139.1, cached by
// test/vscode/setup.sh) and Debian's chromium, driven like a person: right-click a PDF → "Run DocuTray
// Step…" → pick a step → progress notification → read-only JSON result tab; the same from the command
// palette on an image; the menu is absent for a .txt; a status-bar item while a run is in progress.
//
// The extension is installed the way a user gets it: `vsce package` → `code-server --install-extension`.
// The server runs WITHOUT the smoke-test driver (that driver hides notification toasts), with
// DOCUTRAY_BASE_URL / DOCUTRAY_API_KEY pointing the extension at the DocuTray stand-in, started here.
// Screenshots of every stage go to test-output/e2e/ (01-….png …; zz-failure.png on failure).
// It builds nothing itself: `npm run test:e2e` compiles and bundles first.
//
// usage: node test/e2e/run-e2e.js [--timeout SEC] [--headed]
// env:   DOCUTRAY_E2E_TIMEOUT (s, default 300), DOCUTRAY_VSCODE_CACHE, CHROMIUM, KEEP_TMP=1,
//        DOCUTRAY_E2E_INSTALL=vsix|copy (default vsix; copy = unpacked folder into the extensions dir)
// exit:  0 passed, 1 failed (the stage is named), 2 timeout, 130 SIGINT
'use strict';
const crypto = require('crypto');
const fs = require('fs');
const path = require('path');
const h = require('../vscode/code-server');
const { createWorkspace, FILES } = require('../vscode/workspace');
const wb = require('./workbench');

const log = h.makeLog('e2e');
const argv = process.argv.slice(2);
const argVal = (name, def) => { const i = argv.indexOf(`--${name}`); return i >= 0 ? argv[i + 1] : def; };
const TIMEOUT_S = Number(argVal('timeout', process.env.DOCUTRAY_E2E_TIMEOUT || '300'));
const HEADED = argv.includes('--headed');
const SHOTS = path.join(h.REPO, 'test-output', 'e2e');
const EXT_ID = 'docutray-community.docutray-steps';

// The UI contract the extension implements (package.nls.json, docutray.steps from the test profile).
const UI = {
  menuItem: 'Run DocuTray Step…',
  paletteCommand: 'DocuTray: Run DocuTray Step',
  invoiceStep: 'Invoice (example)',
  receiptStep: 'Receipt (example)',
  slowStep: 'Slow (example)',
  resultTab: (file, stepId) => `${file}.${stepId}.json`,
  statusText: 'DocuTray',
  // A value from the stand-in's example-invoice result (test/stand-in/server.ts).
  invoiceField: /"invoice_number"\s*:\s*"INV-2024-0042"/,
  receiptField: /"receipt_number"\s*:\s*"T-000981"/,
};

let stage = 'starting';
let page; // for the failure screenshot
let shotNo = 0;
async function shot(name) {
  shotNo++;
  const file = path.join(SHOTS, `${String(shotNo).padStart(2, '0')}-${name}.png`);
  await page.screenshot({ path: file });
  log(`  screenshot ${path.relative(h.REPO, file)}`);
}
async function step(name, fn) {
  stage = name;
  const t = Date.now();
  log(`▶ ${name}`);
  const r = await fn();
  log(`  ✔ ${name} (${((Date.now() - t) / 1000).toFixed(1)} s)`);
  return r;
}

/** vsce package → VSIX in tmp. Returns { vsix } or { error } with vsce's complaint, verbatim. */
async function packageVsix(tmp) {
  const vsix = path.join(tmp, 'docutray-steps.vsix');
  const vsce = path.join(h.REPO, 'node_modules', '@vscode', 'vsce', 'vsce');
  const { code, output } = await h.runGrouped(process.execPath, [vsce, 'package', '--no-dependencies', '-o', vsix], {
    cwd: h.REPO, logFile: path.join(tmp, 'vsce.log'), timeoutMs: 240000,
  });
  if (code === 0 && fs.existsSync(vsix)) { return { vsix, output }; }
  const complaint = output.split('\n').filter(l => /ERROR|error|WARNING|missing|Make sure|not found|Do you want/i.test(l)).join('\n') || output.slice(-2000);
  return { error: `vsce package exited ${code}:\n${complaint}` };
}

/** Fallback install: the folder layout `--install-extension` would produce. */
function copyInstall(extensionsDir) {
  const pkg = JSON.parse(fs.readFileSync(path.join(h.REPO, 'package.json'), 'utf8'));
  const dest = path.join(extensionsDir, `${pkg.publisher}.${pkg.name}-${pkg.version}`);
  fs.mkdirSync(dest, { recursive: true });
  const entries = fs.readdirSync(h.REPO).filter(f =>
    ['package.json', 'dist', 'media', 'l10n', 'README.md', 'CHANGELOG.md', 'LICENSE', 'LICENSE.md'].includes(f) || /^package\.nls.*\.json$/.test(f));
  for (const f of entries) { fs.cpSync(path.join(h.REPO, f), path.join(dest, f), { recursive: true }); }
  return { dest, entries };
}

async function main() {
  h.installSignalHandlers();
  const cache = h.locateCache();
  h.requireBuilt(['dist/extension.js']);
  fs.mkdirSync(SHOTS, { recursive: true });
  for (const f of fs.readdirSync(SHOTS)) { if (/\.png$/.test(f)) { fs.rmSync(path.join(SHOTS, f)); } }

  const tmp = h.createRunDir('docutray-e2e-');
  log(`temp dir ${tmp}; screenshots in ${path.relative(h.REPO, SHOTS)}/`);
  const apiKey = `dt-test-${crypto.randomBytes(6).toString('hex')}`;
  const standIn = await step('starting the DocuTray stand-in', () => h.startStandIn(apiKey));
  log(`  stand-in at ${standIn.url}`);
  const ws = createWorkspace(path.join(tmp, 'workspace')).dir;
  const profile = h.createProfile(path.join(tmp, 'profile'));

  const notes = [];
  await step('installing the extension', async () => {
    if (process.env.DOCUTRAY_E2E_INSTALL !== 'copy') {
      const p = await packageVsix(tmp);
      if (p.vsix) {
        log(`  packaged ${path.basename(p.vsix)} (${(fs.statSync(p.vsix).size / 1024).toFixed(0)} KiB)`);
        const out = await h.installExtension(cache, profile, p.vsix);
        log(`  ${out.split('\n').filter(l => /install/i.test(l)).pop() || 'installed'}`);
        return;
      }
      notes.push(`VSIX packaging refused — installed by copying the folder instead.\n${p.error}`);
      console.error(`\n!! ${notes[notes.length - 1]}\n`);
    }
    const c = copyInstall(profile.extensionsDir);
    log(`  copied ${c.entries.join(', ')} → ${path.relative(tmp, c.dest)}`);
  });
  const installed = fs.readdirSync(profile.extensionsDir).filter(d => d.startsWith(`${EXT_ID}-`));
  if (installed.length !== 1) { throw new Error(`expected one ${EXT_ID}-* in the extensions dir, found: ${fs.readdirSync(profile.extensionsDir).join(', ') || 'nothing'}`); }

  const server = await step('starting code-server (no smoke-test driver)', () => h.startCodeServer({
    cache, profile, folder: ws, smokeTestDriver: false,
    env: { DOCUTRAY_BASE_URL: standIn.url, DOCUTRAY_API_KEY: apiKey },
  }));
  log(`  ${server.url} (process group ${server.pid})`);

  const { launchBrowser } = require('../vscode/browser');
  const browser = await step('launching chromium', () => launchBrowser(tmp, { headless: !HEADED }));
  h.onCleanup('chromium', () => browser.close());
  page = browser.page;
  page.setDefaultTimeout(20000);

  await step('opening the workbench', async () => {
    await page.goto(h.workbenchUrl(server, ws));
    await wb.explorerRow(page, FILES.pdf).waitFor({ timeout: 60000 });
    await wb.explorerRow(page, FILES.txt).waitFor();
    await page.waitForTimeout(1500); // let the extension host connect and the explorer settle
    await shot('workbench');
  });

  // 1. Explorer → context menu → step picker → progress → read-only JSON result
  await step(`right-click ${FILES.pdf} → "${UI.menuItem}"`, async () => {
    const item = await wb.openExplorerMenu(page, FILES.pdf, { expect: UI.menuItem });
    await shot('pdf-context-menu');
    await wb.clickMenuItem(page, item);
  });
  await step(`the step picker lists the configured steps; pick "${UI.invoiceStep}"`, async () => {
    await wb.quickPickRow(page, UI.invoiceStep).waitFor();
    for (const name of [UI.receiptStep, UI.slowStep]) { await wb.quickPickRow(page, name).waitFor({ timeout: 5000 }); }
    await page.waitForTimeout(300); // the quick input fades in
    await shot('step-picker');
    await wb.pick(page, UI.invoiceStep);
  });
  await step(`a progress notification names ${FILES.pdf}`, async () => {
    await wb.toast(page, FILES.pdf).waitFor({ timeout: 15000 });
    await shot('progress-notification');
  });
  const invoiceTab = UI.resultTab(FILES.pdf, 'example-invoice');
  let before;
  await step(`the result opens as ${invoiceTab} with the invoice JSON`, async () => {
    await wb.tab(page, invoiceTab).waitFor({ timeout: 30000 });
    before = await wb.waitEditorText(page, invoiceTab, UI.invoiceField);
    log(`  ${before.replace(/\s+/g, ' ').slice(0, 160)}…`);
    await shot('invoice-result');
  });
  await step('the result is read-only (typing changes nothing)', async () => {
    const editor = wb.editorFor(page, invoiceTab);
    await editor.locator('.view-lines').click();
    await page.keyboard.press('Control+Home');
    await page.keyboard.type('XYZ');
    await page.keyboard.press('Enter');
    await page.waitForTimeout(700);
    const after = await wb.editorText(page, invoiceTab);
    if (after.includes('XYZ') || after !== before) { throw new Error(`the result editor accepted typing: ${after.slice(0, 200)}`); }
    const msg = await page.locator('.monaco-editor-overlaymessage').filter({ hasText: /read-only/i }).count();
    log(`  typing refused${msg ? ' ("Cannot edit in read-only editor" shown)' : ''}`);
    await shot('read-only');
    await page.keyboard.press('Escape');
  });

  // 2. Command palette on an image open in the image preview
  await step('closing all editors', async () => {
    await wb.runFromPalette(page, 'View: Close All Editors');
    await wb.tab(page, invoiceTab).waitFor({ state: 'detached', timeout: 10000 });
  });
  await step(`open ${FILES.png} (Ctrl+P)`, async () => {
    await page.keyboard.press('Control+P');
    const input = page.locator('.quick-input-widget input');
    await input.waitFor({ timeout: 10000 });
    await input.fill(FILES.png);
    await wb.quickPickRow(page, FILES.png).waitFor();
    await page.keyboard.press('Enter');
    await wb.tab(page, FILES.png).waitFor({ timeout: 15000 });
    // The image preview is a webview (an iframe outside the editor's DOM); it puts the image's size in the status bar.
    await wb.statusItem(page, '200x120').waitFor({ timeout: 20000 });
    await page.waitForTimeout(500);
    await shot('png-image-preview');
  });
  await step(`F1 → "${UI.paletteCommand}" → pick "${UI.receiptStep}"`, async () => {
    await wb.runFromPalette(page, UI.paletteCommand, { beforeEnter: () => shot('command-palette') });
    await wb.quickPickRow(page, UI.receiptStep).waitFor();
    await page.locator('.quick-input-widget .quick-input-title', { hasText: FILES.png }).waitFor({ timeout: 5000 }).catch(() => { });
    await page.waitForTimeout(300);
    await shot('receipt-picker');
    await wb.pick(page, UI.receiptStep);
  });
  const receiptTab = UI.resultTab(FILES.png, 'example-receipt');
  await step(`the result opens as ${receiptTab}`, async () => {
    await wb.tab(page, receiptTab).waitFor({ timeout: 30000 });
    const text = await wb.waitEditorText(page, receiptTab, UI.receiptField);
    log(`  ${text.replace(/\s+/g, ' ').slice(0, 160)}…`);
    await shot('receipt-result');
  });

  // 3. No DocuTray item for a text file
  await step(`right-click ${FILES.txt}: "Copy Path" but no "${UI.menuItem}"`, async () => {
    await page.keyboard.press('Escape');
    await wb.openExplorerMenu(page, FILES.txt, { expect: 'Copy Path' });
    const labels = await wb.menuLabels(page);
    if (labels.some(l => l.includes(UI.menuItem.replace('…', '')))) { throw new Error(`the context menu of ${FILES.txt} offers "${UI.menuItem}": ${labels.join(' | ')}`); }
    await shot('txt-context-menu');
    await page.keyboard.press('Escape');
  });

  // 4. Status-bar item while a run is in progress (slow step), then cancel it from the notification
  let runningStatus = '';
  await step(`status bar shows "${UI.statusText}" during "${UI.slowStep}"`, async () => {
    const menuItem = await wb.openExplorerMenu(page, FILES.pdf, { expect: UI.menuItem });
    await wb.clickMenuItem(page, menuItem);
    await wb.pick(page, UI.slowStep);
    await wb.statusItem(page, UI.statusText).waitFor({ timeout: 15000 });
    await wb.toast(page, FILES.pdf).waitFor({ timeout: 15000 });
    const item = wb.statusItem(page, UI.statusText);
    const text = wb.norm(await item.textContent()).trim();
    runningStatus = await item.innerHTML();
    log(`  status bar: "${text}" (${(/codicon-[a-z-]+/g.exec(runningStatus) || ['no icon'])[0]})`);
    await shot('status-bar-slow-run');
  });
  await step('cancel the slow run from its notification', async () => {
    const t = wb.toast(page, FILES.pdf);
    const cancel = t.locator('.monaco-button, .action-label').filter({ hasText: /^Cancel$/ }).first();
    await cancel.click({ timeout: 10000 });
    await t.waitFor({ state: 'detached', timeout: 15000 });
    // The status-bar item no longer shows the run in progress: it changes (e.g. the spinner goes) or goes away.
    const until = Date.now() + 15000;
    for (;;) {
      const item = wb.statusItem(page, UI.statusText);
      const now = await item.count() ? await item.innerHTML().catch(() => '') : '';
      if (now !== runningStatus) { break; }
      if (Date.now() > until) { throw new Error('the status-bar item still shows the run in progress 15 s after the cancel'); }
      await page.waitForTimeout(250);
    }
    await page.waitForTimeout(500);
    await shot('slow-run-cancelled');
  });

  // 5. A non-ASCII file name end to end
  const uniTab = UI.resultTab(FILES.unicodePdf, 'example-invoice');
  await step(`right-click ${FILES.unicodePdf} → ${UI.invoiceStep} → ${uniTab}`, async () => {
    await wb.runFromPalette(page, 'View: Close All Editors');
    const item = await wb.openExplorerMenu(page, FILES.unicodePdf, { expect: UI.menuItem });
    await wb.clickMenuItem(page, item);
    await wb.pick(page, UI.invoiceStep);
    await wb.tab(page, uniTab).waitFor({ timeout: 30000 });
    await wb.waitEditorText(page, uniTab, UI.invoiceField);
    await shot('unicode-name-result');
  });

  if (browser.blocked.length) { log(`  (blocked ${browser.blocked.length} non-loopback request(s), e.g. ${browser.blocked[0]})`); }
  return notes;
}

(async () => {
  let code = 0;
  const timer = new Promise(r => setTimeout(() => r('timeout'), TIMEOUT_S * 1000).unref());
  const t0 = Date.now();
  try {
    const r = await Promise.race([main(), timer]);
    if (r === 'timeout') {
      console.error(`\nTIMEOUT: ${TIMEOUT_S} s passed during stage "${stage}". Raise it with --timeout SEC or DOCUTRAY_E2E_TIMEOUT.`);
      code = 2;
    } else if (r.length) {
      log(`notes:\n${r.join('\n')}`);
    }
  } catch (e) {
    if (!h.signalled()) {
      console.error(`\nE2E FAILED at stage "${stage}":\n  ${(e && e.message || String(e)).split('\n').slice(0, 8).join('\n  ')}`);
      if (process.env.VERBOSE && e && e.stack) { console.error(e.stack); }
    }
    code = 1;
  }
  if (code !== 0 && page && !h.signalled()) {
    const f = path.join(SHOTS, 'zz-failure.png');
    await page.screenshot({ path: f }).then(() => log(`failure screenshot: ${path.relative(h.REPO, f)}`), () => { });
  }
  if (!h.signalled()) {
    log(`${code === 0 ? 'E2E PASSED' : `E2E FAILED (exit ${code})`} in ${((Date.now() - t0) / 1000).toFixed(1)} s; screenshots in ${path.relative(h.REPO, SHOTS)}/`);
    if (code !== 0 && process.env.KEEP_TMP !== '1') { log('rerun with KEEP_TMP=1 to keep the code-server log and the profile'); }
  }
  await h.finish(code);
})();
