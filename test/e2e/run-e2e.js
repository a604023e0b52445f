#!/usr/bin/env node
// End-to-end test in the real VS Code web workbench (code-server, cached by real-vscode/setup.sh: VS Code
// 1.139.1 unless --vscode oldest asks for 1.99.3) and Debian's chromium, driven like a person: right-click a PDF → "Run DocuTray
// Step…" → pick a step → progress notification → read-only JSON result tab; the same from the command
// palette on an image (the picker stays open when the image preview takes the focus); the menu is
// absent for a .txt; a status-bar item while a run is in progress;
// the "DocuTray" activity-bar container with its "Runs" view (welcome before any run, the runs newest
// first, Compare with… → diff editor, Rerun); a window reload in the middle of a slow run (the run is
// polled to its end after the reload, never started twice); a folder run (right-click invoices/ → a
// modal naming the number of documents → one batch node "N of N succeeded" with the PDFs under it, each
// started once, the .txt left out); and, when everything passed, the README's screenshots copied to
// docs/images/ when DOCUTRAY_UPDATE_DOCS=1.
// --smoke stops after the first run (the welcome view, right-click a PDF → picker → progress → read-only
// result): what `npm test` checks in the oldest VS Code package.json admits, whose workbench differs in
// details the later stages depend on.
//
// The extension is installed the way a user gets it: `vsce package` → `code-server --install-extension`.
// The server runs WITHOUT the smoke-test driver (that driver hides notification toasts), with
// DOCUTRAY_BASE_URL / DOCUTRAY_API_KEY pointing the extension at the DocuTray stand-in, started here.
// Screenshots of every stage go to test-output/e2e/ (test-output/e2e-oldest/ for --vscode oldest; 01-….png …;
// zz-failure.png on failure).
// It builds nothing itself: `npm run test:e2e` compiles and bundles first.
//
// usage: node test/e2e/run-e2e.js [--vscode newest|oldest] [--smoke] [--timeout SEC] [--headed]
// env:   DOCUTRAY_VSCODE (newest|oldest, when --vscode is not given), DOCUTRAY_E2E_TIMEOUT (s, default 300),
//        DOCUTRAY_VSCODE_CACHE, CHROMIUM, KEEP_TMP=1,
//        DOCUTRAY_E2E_INSTALL=vsix|copy (default vsix; copy = unpacked folder into the extensions dir)
// exit:  0 passed, 1 failed (the stage is named), 2 timeout, 130 SIGINT
'use strict';
const crypto = require('crypto');
const fs = require('fs');
const path = require('path');
const h = require('../../real-vscode/code-server');
const { createWorkspace, FILES, makePdf } = require('../../real-vscode/workspace');
const wb = require('./workbench');
const { emptyShots, script } = require('./script');

const run = script('E2E', { logName: 'e2e', defaultTimeoutS: 300 });
const { log, argv, step, until } = run;
const HEADED = run.headed;
const SMOKE = argv.includes('--smoke');
const TARGET = h.vscodeTarget(argv);
const SHOTS = path.join(h.REPO, 'test-output', TARGET === 'newest' ? 'e2e' : `e2e-${TARGET}`);
const README_IMAGES = path.join(h.REPO, 'docs', 'images');
const EXT_ID = 'docutray-community.docutray-steps';

// The UI contract the extension implements (package.nls.json, docutray.steps from the test profile).
const UI = {
  menuItem: 'Run DocuTray Step…',
  paletteCommand: 'DocuTray: Run DocuTray Step',
  invoiceStep: 'Invoice (example)',
  receiptStep: 'Receipt (example)',
  slowStep: 'Slow (example)',
  // A result's tab: the document and the step's name (the execution id is in the URI's query, not shown).
  resultTab: (file, stepName) => `${file} · ${stepName}.json`,
  statusText: 'DocuTray',
  // The activity-bar container and its view (package.json viewsContainers / views / viewsWelcome).
  container: 'DocuTray',
  explorer: 'Explorer',
  welcomeText: 'No DocuTray runs yet',
  welcomeButtons: ['Set API Key', 'Configure Steps', 'Run a Step…'],
  compareWith: 'Compare with…',
  rerun: 'Rerun',
  openResult: 'Open Result',
  diffSeparator: '↔',
  // A single run cancelled while DocuTray processes it (src/runs/runMessages.ts announceCancel).
  cancelledMessage: /may still finish it, and bill it\. Check Execution fetches its result later/,
  reloadWindow: 'Developer: Reload Window',
  // A run's row: the document, described by its state first, then when it started, then its step:
  // "succeeded in 1.2 s · 10:42:07 AM · Invoice (example)", "processing · 10:42:07 AM · Slow (example)".
  succeeded: stepName =>
    new RegExp(`^succeeded in \\d+(\\.\\d+)? (ms|s|min)( \\d+ s)? · [^·]+ · ${wb.escapeRe(stepName)}$`),
  inFlight: stepName =>
    new RegExp(`^(starting|reading|uploading|queued|processing)\\b[^·]* · [^·]+ · ${wb.escapeRe(stepName)}$`),
  // Cancelled after DocuTray accepted it: it may still finish, and Check Execution is on its row.
  cancelledRow: stepName => new RegExp(`^cancelled — may still finish · [^·]+ · ${wb.escapeRe(stepName)}$`),
  checkExecution: 'Check Execution…',
  // A batch's run, under the batch that names the step: its state and its time only.
  succeededInBatch: /^succeeded in \d+(\.\d+)? (ms|s|min)( \d+ s)? · [^·]+$/,
  // A folder run: the modal before it (src/commands/batchCommands.ts confirmBatch), the batch node's description.
  batchConfirm: /Run (.+?) on .+?\? (\d+) documents: DocuTray bills (?:about )?\d+ pages?\./,
  batchRun: 'Run',
  // A batch's row: named by its folder; described by its state, then when it started and its step.
  batchLabel: folder => new RegExp(`^${wb.escapeRe(folder)}/$`),
  batchDone: (n, stepName) => new RegExp(`^${n} of ${n} succeeded · [^·]+ · ${wb.escapeRe(stepName)}$`),
  // A value from the stand-in's example-invoice result (stand-in/server.ts).
  invoiceField: /"invoice_number"\s*:\s*"INV-2024-0042"/,
  receiptField: /"receipt_number"\s*:\s*"T-000981"/,
  slowField: /"invoice_number"\s*:\s*"INV-2024-SLOW"/,
};

// Screenshots (by their stage name) that become the README's images once the whole run passed.
const README_SHOTS = {
  'pdf-context-menu': 'context-menu.png',
  'step-picker': 'step-picker.png',
  'slow-run-progress': 'progress.png',
  'receipt-result': 'result.png',
  'reload-run-result': 'runs-view.png',
  'batch-twice-runs-view': 'batch.png',
  'batch-again-question': 'batch-question.png',
};

// The folder a batch runs on (written next to the fixture workspace's files): its PDFs, and a .txt a
// folder run must leave out.
const BATCH = {
  folder: 'invoices',
  pdfs: {
    'invoice-0101.pdf': 'Invoice 0101 Acme Tools',
    'invoice-0102.pdf': 'Invoice 0102 Northwind',
    'invoice-0103.pdf': 'Invoice 0103 Contoso Ltd',
  },
  txt: 'read-me.txt',
};

let page; // for the failure screenshot
let shotNo = 0;
const shots = new Map(); // name → file
/**
 * A screenshot of the page as test-output/e2e/NN-name.png. `clean` (the README's pictures): first wait
 * until the workbench is quiet (wb.isBusy), and take it again when something got busy meanwhile.
 */
async function shot(name, { clean = false } = {}) {
  shotNo++;
  const file = path.join(SHOTS, `${String(shotNo).padStart(2, '0')}-${name}.png`);
  for (let attempt = 1; ; attempt++) {
    if (clean) {
      await wb.waitQuiet(page, { timeout: 5000 });
    }
    await page.screenshot({ path: file });
    if (!clean || attempt >= 3 || !(await wb.isBusy(page))) {
      break;
    }
  }
  shots.set(name, file);
  log(`  screenshot ${path.relative(h.REPO, file)}`);
}

/** The rows whose document name the tree cuts short (an ellipsis over the name itself, not its description). */
const clippedNames = scope =>
  scope.locator('.monaco-list-row').evaluateAll(rows =>
    rows
      .map(r => {
        const name = r.querySelector('.label-name');
        const box = r.querySelector('.monaco-icon-label-container');
        if (!name || !box) {
          return undefined;
        }
        return name.getBoundingClientRect().right > box.getBoundingClientRect().right + 0.5
          ? (name.textContent || '').trim()
          : undefined;
      })
      .filter(Boolean),
  );

const showRows = rows =>
  rows.length
    ? rows.map(r => `"${r.label}" [${r.description}]${r.icon ? ` (${r.icon})` : ''}`).join(', ')
    : '(no rows)';

/** GET <stand-in>/__stand-in/<route>: the control API, as an out-of-process test would read it. */
async function standInControl(standIn, route) {
  const res = await fetch(`${standIn.url}/__stand-in/${route}`);
  if (!res.ok) {
    throw new Error(`stand-in control ${route}: HTTP ${res.status}`);
  }
  return res.json();
}

/** vsce package → VSIX in tmp. Returns { vsix } or { error } with vsce's complaint, verbatim. */
async function packageVsix(tmp) {
  const vsix = path.join(tmp, 'docutray-steps.vsix');
  const vsce = path.join(h.REPO, 'node_modules', '@vscode', 'vsce', 'vsce');
  const { code, output } = await h.runGrouped(process.execPath, [vsce, 'package', '--no-dependencies', '-o', vsix], {
    cwd: h.REPO,
    logFile: path.join(tmp, 'vsce.log'),
    timeoutMs: 240000,
  });
  if (code === 0 && fs.existsSync(vsix)) {
    return { vsix, output };
  }
  const complaint =
    output
      .split('\n')
      .filter(l => /ERROR|error|WARNING|missing|Make sure|not found|Do you want/i.test(l))
      .join('\n') || output.slice(-2000);
  return { error: `vsce package exited ${code}:\n${complaint}` };
}

/** Fallback install: the folder layout `--install-extension` would produce. */
function copyInstall(extensionsDir) {
  const pkg = JSON.parse(fs.readFileSync(path.join(h.REPO, 'package.json'), 'utf8'));
  const dest = path.join(extensionsDir, `${pkg.publisher}.${pkg.name}-${pkg.version}`);
  fs.mkdirSync(dest, { recursive: true });
  const entries = fs
    .readdirSync(h.REPO)
    .filter(
      f =>
        ['package.json', 'dist', 'media', 'l10n', 'README.md', 'CHANGELOG.md', 'LICENSE', 'LICENSE.md'].includes(f) ||
        /^package\.nls.*\.json$/.test(f),
    );
  for (const f of entries) {
    fs.cpSync(path.join(h.REPO, f), path.join(dest, f), { recursive: true });
  }
  return { dest, entries };
}

async function main() {
  h.installSignalHandlers();
  const cache = h.locateCache();
  h.requireBuilt(['dist/extension.js']);
  emptyShots(SHOTS);

  const tmp = h.createRunDir('docutray-e2e-');
  log(`temp dir ${tmp}; screenshots in ${path.relative(h.REPO, SHOTS)}/`);
  const apiKey = `dt-test-${crypto.randomBytes(6).toString('hex')}`;
  const standIn = await step('starting the DocuTray stand-in', () => h.startStandIn(apiKey));
  log(`  stand-in at ${standIn.url}`);
  const ws = createWorkspace(path.join(tmp, 'workspace')).dir;
  fs.mkdirSync(path.join(ws, BATCH.folder));
  for (const [name, text] of Object.entries(BATCH.pdfs)) {
    fs.writeFileSync(path.join(ws, BATCH.folder, name), makePdf(text));
  }
  fs.writeFileSync(path.join(ws, BATCH.folder, BATCH.txt), 'Not a document: a folder run leaves it out.\n');
  const profile = h.createProfile(path.join(tmp, 'profile'));

  const notes = [];
  await step('installing the extension', async () => {
    if (process.env.DOCUTRAY_E2E_INSTALL !== 'copy') {
      const p = await packageVsix(tmp);
      if (p.vsix) {
        log(`  packaged ${path.basename(p.vsix)} (${(fs.statSync(p.vsix).size / 1024).toFixed(0)} KiB)`);
        const out = await h.installExtension(cache, profile, p.vsix);
        log(
          `  ${
            out
              .split('\n')
              .filter(l => /install/i.test(l))
              .pop() || 'installed'
          }`,
        );
        return;
      }
      notes.push(`VSIX packaging refused — installed by copying the folder instead.\n${p.error}`);
      console.error(`\n!! ${notes[notes.length - 1]}\n`);
    }
    const c = copyInstall(profile.extensionsDir);
    log(`  copied ${c.entries.join(', ')} → ${path.relative(tmp, c.dest)}`);
  });
  const installed = fs.readdirSync(profile.extensionsDir).filter(d => d.startsWith(`${EXT_ID}-`));
  if (installed.length !== 1) {
    throw new Error(
      `expected one ${EXT_ID}-* in the extensions dir, found: ${fs.readdirSync(profile.extensionsDir).join(', ') || 'nothing'}`,
    );
  }

  const server = await step(
    `starting code-server ${cache.versions.codeServer} (VS Code ${cache.versions.vscode}, no smoke-test driver)`,
    () =>
      h.startCodeServer({
        cache,
        profile,
        folder: ws,
        smokeTestDriver: false,
        env: { DOCUTRAY_BASE_URL: standIn.url, DOCUTRAY_API_KEY: apiKey },
      }),
  );
  log(`  ${server.url} (process group ${server.pid})`);

  const { launchBrowser } = require('../../real-vscode/browser');
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

  // 0. Before any run (a fresh profile): the DocuTray container shows the Runs view's welcome
  await step(`before any run: the "${UI.container}" activity-bar view shows its welcome and buttons`, async () => {
    const welcome = page.locator('.part.sidebar .welcome-view-content').filter({ hasText: UI.welcomeText });
    await wb.showViewContainer(page, UI.container, welcome);
    // Opening the view activates the extension (progress in the view): the welcome must still be there after.
    await wb.waitQuiet(page);
    await welcome.waitFor({ timeout: 5000 });
    const buttons = (await welcome.locator('.monaco-button').allTextContents()).map(t => wb.norm(t).trim());
    const missing = UI.welcomeButtons.filter(b => !buttons.includes(b));
    if (missing.length) {
      throw new Error(
        `the welcome view lacks the button(s) ${missing.join(', ')}; it has: ${buttons.join(' | ') || '(none)'}`,
      );
    }
    const rows = await wb.treeRows(page);
    if (rows.length) {
      throw new Error(`a fresh profile already lists runs: ${showRows(rows)}`);
    }
    log(`  welcome buttons: ${buttons.join(' | ')}`);
    // viewsWelcome renders links only: Markdown emphasis would show its asterisks.
    const text = wb.norm(await welcome.locator('p').first().textContent()).trim();
    if (/\*\*|__/.test(text)) {
      throw new Error(
        `the Runs view's welcome text shows raw Markdown: "${text}" (package.nls.json view.runs.welcome)`,
      );
    }
    await wb.parkMouse(page);
    await shot('runs-welcome', { clean: true });
    await wb.showViewContainer(page, UI.explorer, wb.explorerRow(page, FILES.pdf));
    await wb.waitQuiet(page);
  });

  // 1. Explorer → context menu → step picker → progress → read-only JSON result
  await step(`right-click ${FILES.pdf} → "${UI.menuItem}"`, async () => {
    const item = await wb.openExplorerMenu(page, FILES.pdf, { expect: UI.menuItem });
    await shot('pdf-context-menu', { clean: true });
    await wb.clickMenuItem(page, item);
  });
  await step(`the step picker lists the configured steps; pick "${UI.invoiceStep}"`, async () => {
    await wb.quickPickRow(page, UI.invoiceStep).waitFor();
    for (const name of [UI.receiptStep, UI.slowStep]) {
      await wb.quickPickRow(page, name).waitFor({ timeout: 5000 });
    }
    await page.waitForTimeout(300); // the quick input fades in
    await shot('step-picker', { clean: true });
    await wb.pick(page, UI.invoiceStep);
  });
  await step(`a progress notification names ${FILES.pdf}`, async () => {
    await wb.toast(page, FILES.pdf).waitFor({ timeout: 15000 });
    await shot('progress-notification');
  });
  const invoiceTab = UI.resultTab(FILES.pdf, UI.invoiceStep);
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
    if (after.includes('XYZ') || after !== before) {
      throw new Error(`the result editor accepted typing: ${after.slice(0, 200)}`);
    }
    const msg = await page
      .locator('.monaco-editor-overlaymessage')
      .filter({ hasText: /read-only/i })
      .count();
    log(`  typing refused${msg ? ' ("Cannot edit in read-only editor" shown)' : ''}`);
    await shot('read-only');
    await page.keyboard.press('Escape');
  });

  if (SMOKE) {
    log('  --smoke: the first run passed; the rest is for the full run');
    return notes;
  }

  // 2. Command palette on an image open in the image preview
  await step('closing all editors', async () => {
    await wb.runFromPalette(page, 'View: Close All Editors');
    await wb.tab(page, invoiceTab).waitFor({ state: 'detached', timeout: 10000 });
  });
  await step(`open ${FILES.png} (Ctrl+P)`, async () => {
    await wb.quickOpen(page, FILES.png);
    await wb.tab(page, FILES.png).waitFor({ timeout: 15000 });
    // The image preview is a webview (an iframe outside the editor's DOM); it puts the image's size in the status bar.
    await wb.statusItem(page, '200x120').waitFor({ timeout: 20000 });
    await page.waitForTimeout(500);
    await shot('png-image-preview');
  });
  await step(`F1 → "${UI.paletteCommand}" → pick "${UI.receiptStep}"`, async () => {
    await wb.runFromPalette(page, UI.paletteCommand, { beforeEnter: () => shot('command-palette') });
    await wb.quickPickRow(page, UI.receiptStep).waitFor();
    await page
      .locator('.quick-input-widget .quick-input-title', { hasText: FILES.png })
      .waitFor({ timeout: 5000 })
      .catch(() => {});
    await page.waitForTimeout(300);
    await shot('receipt-picker');
    // The image preview is a webview: after the palette closes it takes the focus back a moment later,
    // often after the step picker opened (microsoft/vscode#93950). The picker must survive that, so
    // give the preview the focus on purpose (Ctrl+1, focus the first editor group; a click would zoom).
    await page.keyboard.press('Control+1');
    await page.waitForTimeout(500);
    if (!(await wb.quickPickRow(page, UI.receiptStep).isVisible())) {
      throw new Error(
        `the step picker closed when the image preview took the focus (focus on ${await wb.focused(page)})`,
      );
    }
    await wb.pick(page, UI.receiptStep);
  });
  const receiptTab = UI.resultTab(FILES.png, UI.receiptStep);
  await step(`the result opens as ${receiptTab}`, async () => {
    await wb.tab(page, receiptTab).waitFor({ timeout: 30000 });
    const text = await wb.waitEditorText(page, receiptTab, UI.receiptField);
    log(`  ${text.replace(/\s+/g, ' ').slice(0, 160)}…`);
    await shot('receipt-result', { clean: true });
  });

  // 3. No DocuTray item for a text file
  await step(`right-click ${FILES.txt}: "Copy Path" but no "${UI.menuItem}"`, async () => {
    await page.keyboard.press('Escape');
    await wb.openExplorerMenu(page, FILES.txt, { expect: 'Copy Path' });
    const labels = await wb.menuLabels(page);
    if (labels.some(l => l.includes(UI.menuItem.replace('…', '')))) {
      throw new Error(`the context menu of ${FILES.txt} offers "${UI.menuItem}": ${labels.join(' | ')}`);
    }
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
  await step('cancel the slow run from its notification: it says DocuTray may still finish (and bill) it', async () => {
    // The progress notification (the one with Cancel): the message after the cancel names the file too.
    const t = page
      .locator('.notifications-toasts .notification-toast', { hasText: FILES.pdf })
      .filter({ has: page.locator('.monaco-button, .action-label', { hasText: /^Cancel$/ }) })
      .first();
    const cancel = t
      .locator('.monaco-button, .action-label')
      .filter({ hasText: /^Cancel$/ })
      .first();
    await cancel.click({ timeout: 10000 });
    await t.waitFor({ state: 'detached', timeout: 15000 });
    // The status-bar item no longer shows the run in progress: it changes (e.g. the spinner goes) or goes away.
    const until = Date.now() + 15000;
    for (;;) {
      const item = wb.statusItem(page, UI.statusText);
      const now = (await item.count()) ? await item.innerHTML().catch(() => '') : '';
      if (now !== runningStatus) {
        break;
      }
      if (Date.now() > until) {
        throw new Error('the status-bar item still shows the run in progress 15 s after the cancel');
      }
      await page.waitForTimeout(250);
    }
    const said = wb.toast(page, UI.cancelledMessage);
    await said.waitFor({ timeout: 15000 }).catch(async () => {
      const toasts = await page.locator('.notifications-toasts .notification-toast').allTextContents();
      throw new Error(
        `no message after the cancel saying /${UI.cancelledMessage.source}/; the toasts: ${toasts.map(wb.norm).join(' | ') || '(none)'}`,
      );
    });
    log(`  after the cancel: "${wb.norm(await said.textContent()).trim()}"`);
    await page.waitForTimeout(500);
    await shot('slow-run-cancelled');
    await wb.runFromPalette(page, 'Notifications: Clear All Notifications');
  });

  // 5. A non-ASCII file name end to end
  const uniTab = UI.resultTab(FILES.unicodePdf, UI.invoiceStep);
  await step(`right-click ${FILES.unicodePdf} → ${UI.invoiceStep} → ${uniTab}`, async () => {
    await wb.runFromPalette(page, 'View: Close All Editors');
    const item = await wb.openExplorerMenu(page, FILES.unicodePdf, { expect: UI.menuItem });
    await wb.clickMenuItem(page, item);
    await wb.pick(page, UI.invoiceStep);
    await wb.tab(page, uniTab).waitFor({ timeout: 30000 });
    await wb.waitEditorText(page, uniTab, UI.invoiceField);
    await shot('unicode-name-result');
  });

  // 6. The Runs view: every run so far, newest first, with its step; Compare with…; Rerun
  const sidebar = page.locator('.part.sidebar');
  const runRows = () => wb.treeRows(page, sidebar);
  const expectedRuns = [
    [FILES.unicodePdf, UI.succeeded(UI.invoiceStep)],
    [FILES.pdf, UI.cancelledRow(UI.slowStep)],
    [FILES.png, UI.succeeded(UI.receiptStep)],
    [FILES.pdf, UI.succeeded(UI.invoiceStep)],
  ];
  await step(
    `the "${UI.container}" view lists the ${expectedRuns.length} runs newest first, with their steps`,
    async () => {
      await wb.runFromPalette(page, 'View: Close All Editors');
      await wb.showViewContainer(page, UI.container, wb.treeRow(page, FILES.unicodePdf, null, sidebar));
      // At the side bar's default width: each row's document name is shown whole (what tells rows apart
      // comes first; a narrow side bar cuts the time and the step at the end).
      const width = Math.round((await sidebar.boundingBox()).width);
      log(`  side bar at its default width, ${width} px`);
      const matches = rows =>
        rows.length === expectedRuns.length &&
        expectedRuns.every(([label, re], i) => rows[i].label === label && re.test(rows[i].description));
      const rows = await until(
        async () => {
          const r = await runRows();
          return matches(r) && r;
        },
        {
          timeout: 10000,
          message: async () =>
            `the Runs view should list, newest first: ${expectedRuns.map(([l, re]) => `"${l}" [${re.source}]`).join(', ')}\n  it lists: ${showRows(await runRows())}`,
        },
      );
      for (const r of rows) {
        log(`  ${r.label} — ${r.description} (${r.icon})`);
      }
      const cut = await clippedNames(sidebar);
      if (cut.length) {
        throw new Error(`at the default width (${width} px) the Runs view cuts these names: ${cut.join(', ')}`);
      }
      // The cancelled run DocuTray had accepted: Check Execution on its row, one click away.
      const cancelled = wb.treeRow(page, FILES.pdf, UI.cancelledRow(UI.slowStep), sidebar);
      await cancelled.hover();
      const inline = cancelled.locator(`.actions .action-label[aria-label^="${UI.checkExecution.replace('…', '')}"]`);
      await until(async () => (await inline.count()) > 0, {
        timeout: 5000,
        message: async () =>
          `no inline "${UI.checkExecution}" on the cancelled run; its actions: ${(
            await cancelled.locator('.actions .action-label').evaluateAll(a => a.map(e => e.getAttribute('aria-label')))
          ).join(' | ')}`,
      });
      await wb.parkMouse(page);
      await page.waitForTimeout(300);
      await shot('runs-view');
    },
  );

  // "<document> · <step> · <when it ran>" on each side.
  const diffTitle = new RegExp(
    `${wb.escapeRe(`${FILES.pdf} · ${UI.invoiceStep} · `)}\\S.* ${UI.diffSeparator} ${wb.escapeRe(`${FILES.png} · ${UI.receiptStep} · `)}\\S`,
  );
  await step(
    `right-click ${FILES.pdf} (${UI.invoiceStep}) → "${UI.compareWith}" → ${FILES.png} → a diff editor "…${UI.diffSeparator}…"`,
    async () => {
      const row = wb.treeRow(page, FILES.pdf, UI.succeeded(UI.invoiceStep), sidebar);
      const item = await wb.openRowMenu(page, row, UI.compareWith, {
        what: `the run ${FILES.pdf} (${UI.invoiceStep})`,
      });
      await wb.clickMenuItem(page, item);
      await wb
        .quickPickRow(page, FILES.png)
        .waitFor({ timeout: 10000 })
        .catch(async () => {
          throw new Error(
            `"${UI.compareWith}" offers no ${FILES.png} result; the quick pick shows: ${(await wb.quickPickLabels(page)).join(' | ') || '(nothing)'}`,
          );
        });
      await page.waitForTimeout(300);
      await shot('compare-picker');
      await wb.pick(page, FILES.png);
      const tab = wb.tabWithText(page, UI.diffSeparator);
      await tab.waitFor({ timeout: 15000 }).catch(async () => {
        const tabs = await page.locator('.tabs-container .tab').allTextContents();
        throw new Error(
          `no editor tab titled "…${UI.diffSeparator}…" opened; the tabs are: ${tabs.map(t => wb.norm(t).trim()).join(' | ') || '(none)'}`,
        );
      });
      const title = wb.norm(await tab.textContent()).trim();
      if (!diffTitle.test(title)) {
        throw new Error(`the diff tab is titled "${title}", expected /${diffTitle.source}/`);
      }
      await page.locator('.editor-container .monaco-diff-editor').first().waitFor({ timeout: 10000 });
      // Both sides show their results: the invoice on the left, the receipt on the right.
      const diff = page.locator('.editor-container .monaco-diff-editor').first();
      await until(
        async () => {
          const [left, right] = await Promise.all([
            diff
              .locator('.editor.original .view-lines')
              .textContent()
              .catch(() => ''),
            diff
              .locator('.editor.modified .view-lines')
              .textContent()
              .catch(() => ''),
          ]);
          return UI.invoiceField.test(wb.norm(left)) && UI.receiptField.test(wb.norm(right));
        },
        {
          timeout: 10000,
          message: () =>
            'the diff editor does not show the invoice result on the left and the receipt result on the right',
        },
      );
      log(`  diff tab: "${title}"`);
      await wb.parkMouse(page);
      await shot('compare-diff');
    },
  );

  await step(
    `right-click ${FILES.pdf} (${UI.invoiceStep}) → "${UI.rerun}" → a new run at the top, then its result`,
    async () => {
      const before = (await runRows()).length;
      const startsBefore = standIn.standIn
        .requests()
        .filter(r => r.method === 'POST' && r.path === '/api/steps-async/example-invoice').length;
      const row = wb.treeRow(page, FILES.pdf, UI.succeeded(UI.invoiceStep), sidebar);
      const item = await wb.openRowMenu(page, row, UI.rerun, { what: `the run ${FILES.pdf} (${UI.invoiceStep})` });
      await wb.clickMenuItem(page, item);
      await until(async () => (await runRows()).length === before + 1, {
        timeout: 10000,
        message: async () => `no new run appeared after "${UI.rerun}": ${showRows(await runRows())}`,
      });
      const rows = await until(
        async () => {
          const r = await runRows();
          return r[0].label === FILES.pdf && UI.succeeded(UI.invoiceStep).test(r[0].description) && r;
        },
        {
          timeout: 30000,
          message: async () =>
            `the rerun did not succeed at the top of the view within 30 s: ${showRows(await runRows())}`,
        },
      );
      log(`  new run: ${rows[0].label} — ${rows[0].description}`);
      const tabName = UI.resultTab(FILES.pdf, UI.invoiceStep);
      await wb.tab(page, tabName).waitFor({ timeout: 15000 });
      await wb.waitEditorText(page, tabName, UI.invoiceField);
      const startsAfter = standIn.standIn
        .requests()
        .filter(r => r.method === 'POST' && r.path === '/api/steps-async/example-invoice').length;
      if (startsAfter !== startsBefore + 1) {
        throw new Error(`the rerun sent ${startsAfter - startsBefore} start requests to the stand-in, expected 1`);
      }
      await wb.parkMouse(page);
      await shot('rerun');
    },
  );

  await step(
    `the rerun's result editor title bar → "${UI.compareWith}" → a picker, ${FILES.pdf}'s other result first → a diff of the two runs`,
    async () => {
      const tabName = UI.resultTab(FILES.pdf, UI.invoiceStep);
      await wb.tab(page, tabName).click();
      const action = page.locator('.editor-actions').getByRole('button', { name: UI.compareWith, exact: true }).first();
      await action.click({ timeout: 10000 });
      await wb
        .quickPickRow(page, FILES.pdf)
        .waitFor({ timeout: 10000 })
        .catch(async () => {
          throw new Error(
            `"${UI.compareWith}" in the title bar offers no other ${FILES.pdf} result; the quick pick shows: ${(await wb.quickPickLabels(page)).join(' | ') || '(nothing)'}`,
          );
        });
      const labels = await wb.quickPickLabels(page);
      log(`  picker: ${labels.join(' | ')}`);
      if (labels[0] !== FILES.pdf) {
        throw new Error(`the picker does not list ${FILES.pdf}'s other result first: ${labels.join(' | ')}`);
      }
      await shot('compare-title-picker');
      await wb.pick(page, FILES.pdf);
      // Both sides the same document and step, run at two different times: never the result with itself.
      const side = `${wb.escapeRe(`${FILES.pdf} · ${UI.invoiceStep} · `)}(\\S+(?: \\S+)?)`;
      const titled = new RegExp(`${side} ${UI.diffSeparator} ${side}`);
      const tab = page.locator('.tabs-container .tab', { hasText: titled }).first();
      await tab.waitFor({ timeout: 15000 }).catch(async () => {
        const tabs = await page.locator('.tabs-container .tab').allTextContents();
        throw new Error(
          `no diff tab /${titled.source}/; the tabs are: ${tabs.map(t => wb.norm(t).trim()).join(' | ')}`,
        );
      });
      const [, left, right] = titled.exec(wb.norm(await tab.textContent())) || [];
      log(`  diff tab: ${left} ↔ ${right}`);
      if (left === right) {
        throw new Error(`the diff compares the result with itself: both sides ran at ${left}`);
      }
      await page.locator('.editor-container .monaco-diff-editor').first().waitFor({ timeout: 10000 });
      await wb.parkMouse(page);
      await shot('compare-from-title');
    },
  );

  // 7. A window reload in the middle of a slow run: the run is picked up and polled to its end, never started twice
  const slowPath = '/api/steps-async/example-slow';
  const reloadFile = FILES.jpg;
  const reloadHash = crypto
    .createHash('sha256')
    .update(fs.readFileSync(path.join(ws, reloadFile)))
    .digest('hex');
  const slowExecutions = async () =>
    (await standInControl(standIn, 'executions')).filter(e => e.stepId === 'example-slow' && e.filename === reloadFile);
  let seqBefore = 0;
  // The stand-in's example-slow is ENQUEUED 2 s + PROCESSING 18 s; a reload takes ~9–11 s here (more on a
  // busy machine), which would leave a few seconds to see the run in flight afterwards. For this one run
  // PROCESSING lasts 28 s (restored once the execution exists: an execution keeps the script it started with).
  const slowScript = standIn.standIn.steps().find(s => s.id === 'example-slow');
  const PROCESSING_MS = 28000;
  await step(`right-click ${reloadFile} → "${UI.slowStep}": the progress notification shows its stage`, async () => {
    await wb.runFromPalette(page, 'View: Close All Editors');
    await wb.showViewContainer(page, UI.explorer, wb.explorerRow(page, reloadFile));
    await wb.waitQuiet(page);
    seqBefore = Math.max(0, ...standIn.standIn.requests().map(r => r.seq));
    standIn.standIn.setSteps({ ...slowScript, processingMs: PROCESSING_MS });
    log(`  stand-in: example-slow PROCESSING ${slowScript.processingMs} → ${PROCESSING_MS} ms for this run`);
    const item = await wb.openExplorerMenu(page, reloadFile, { expect: UI.menuItem });
    await wb.clickMenuItem(page, item);
    await wb.pick(page, UI.slowStep);
    const message = async () =>
      wb
        .norm(
          await wb
            .toast(page, reloadFile)
            .locator('.notification-list-item-message')
            .textContent()
            .catch(() => ''),
        )
        .trim();
    // "processing N%": N ≥ 5 makes a better picture and still leaves ~16 s of the run for the reload.
    await until(async () => Number((/processing (\d+)%/.exec(await message()) || [])[1]) >= 5, {
      timeout: 15000,
      message: async () =>
        `the notification of the slow run never says "processing N%": "${(await message()) || '(no notification)'}"`,
    });
    log(`  notification: "${await message()}"`);
    await wb.parkMouse(page);
    await shot('slow-run-progress', { clean: true });
  });

  let execution;
  await step(
    `the stand-in shows the execution PROCESSING; the "${UI.container}" view shows the run in flight`,
    async () => {
      execution = await until(async () => (await slowExecutions()).find(e => e.status === 'PROCESSING'), {
        timeout: 15000,
        message: async () =>
          `the stand-in has no PROCESSING ${slowPath} execution for ${reloadFile}: ${JSON.stringify(await slowExecutions())}`,
      });
      log(`  stand-in: execution ${execution.id} ${execution.status} (${execution.polls} polls)`);
      standIn.standIn.setSteps(slowScript);
      await wb.showViewContainer(page, UI.container, wb.treeRow(page, reloadFile, UI.inFlight(UI.slowStep), sidebar));
      await wb.parkMouse(page);
      await shot('reload-before');
    },
  );

  await step(`F1 → "${UI.reloadWindow}" mid-run: after the reload the view shows the run still in flight`, async () => {
    await page.evaluate(() => {
      globalThis.__docutrayE2eBeforeReload = true;
    });
    const reloaded = page.waitForEvent('load', { timeout: 30000 });
    const t = Date.now();
    await wb.runFromPalette(page, UI.reloadWindow);
    await reloaded;
    if (await page.evaluate(() => globalThis.__docutrayE2eBeforeReload === true)) {
      throw new Error('the window did not reload');
    }
    // The side bar comes back with the DocuTray container it showed (restored, not clicked: a click could hide it).
    const row = wb.treeRow(page, reloadFile, null, sidebar);
    await row.waitFor({ timeout: 45000 }).catch(async () => {
      await wb.showViewContainer(page, UI.container, row);
    });
    const rows = await until(
      async () => {
        const r = (await runRows()).find(x => x.label === reloadFile);
        return (
          r && (UI.inFlight(UI.slowStep).test(r.description) || UI.succeeded(UI.slowStep).test(r.description)) && r
        );
      },
      {
        timeout: 15000,
        message: async () =>
          `after the reload the run on ${reloadFile} is neither in flight nor done: ${showRows(await runRows())}`,
      },
    );
    log(`  reloaded in ${((Date.now() - t) / 1000).toFixed(1)} s; ${rows.label} — ${rows.description} (${rows.icon})`);
    if (!UI.inFlight(UI.slowStep).test(rows.description)) {
      throw new Error(
        `after the reload the run on ${reloadFile} is already "${rows.description}": the reload took too long to see it in flight (the stand-in execution is ${(await slowExecutions()).map(e => e.status).join(', ')})`,
      );
    }
    await wb.parkMouse(page);
    await shot('reload-after-processing');
  });

  await step(`after the reload the run on ${reloadFile} succeeds; the stand-in saw exactly one start`, async () => {
    const row = await until(
      async () => {
        const r = (await runRows()).find(x => x.label === reloadFile);
        return r && !UI.inFlight(UI.slowStep).test(r.description) && r;
      },
      {
        timeout: 40000,
        message: async () => `the resumed run did not finish within 40 s: ${showRows(await runRows())}`,
      },
    );
    if (!UI.succeeded(UI.slowStep).test(row.description)) {
      throw new Error(`the resumed run ended as "${row.description}", not succeeded`);
    }
    log(`  ${row.label} — ${row.description} (${row.icon})`);
    const done = wb.toast(page, reloadFile).locator('.notification-list-item-message');
    const toastText = await done.waitFor({ timeout: 5000 }).then(
      () => done.textContent(),
      () => '',
    );
    log(`  notification: ${toastText ? `"${wb.norm(toastText).trim()}"` : '(none)'}`);
    const posts = (await standInControl(standIn, `requests?since=${seqBefore}`)).filter(
      r => r.method === 'POST' && r.path === slowPath,
    );
    const starts = (await standInControl(standIn, 'starts')).filter(
      s => s.stepId === 'example-slow' && s.hash === reloadHash,
    );
    const execs = await slowExecutions();
    log(
      `  stand-in: ${posts.length} POST ${slowPath} since the run began; starts of ${reloadFile}: ${starts.map(s => s.count).join(', ') || 0}; executions: ${execs.map(e => `${e.id} ${e.status} (${e.polls} polls)`).join(', ')}`,
    );
    if (posts.length !== 1 || starts.length !== 1 || starts[0].count !== 1 || execs.length !== 1) {
      throw new Error(
        `the run on ${reloadFile} was started ${posts.length} times (POST ${slowPath}; start counts ${JSON.stringify(starts)}, executions ${execs.map(e => e.id).join(', ')}): expected exactly one start`,
      );
    }
    if (execs[0].id !== execution.id || execs[0].status !== 'SUCCESS') {
      throw new Error(`the stand-in execution is ${execs[0].id} ${execs[0].status}, expected ${execution.id} SUCCESS`);
    }
    await wb.parkMouse(page);
    await shot('reload-run-done');
  });

  const slowTab = UI.resultTab(reloadFile, UI.slowStep);
  await step(`right-click the resumed run → "${UI.openResult}" → ${slowTab}`, async () => {
    if (await wb.toast(page, reloadFile).count()) {
      // the "finished" notification: out of the way
      await wb.runFromPalette(page, 'Notifications: Clear All Notifications');
      await wb
        .toast(page, reloadFile)
        .waitFor({ state: 'detached', timeout: 5000 })
        .catch(() => {});
    }
    const row = wb.treeRow(page, reloadFile, UI.succeeded(UI.slowStep), sidebar);
    const item = await wb.openRowMenu(page, row, UI.openResult, { what: `the run ${reloadFile} (${UI.slowStep})` });
    await wb.clickMenuItem(page, item);
    await wb.tab(page, slowTab).waitFor({ timeout: 15000 });
    await wb.waitEditorText(page, slowTab, UI.slowField);
    await wb.parkMouse(page);
    await shot('reload-run-result', { clean: true }); // opening a JSON document activates the JSON language features
  });

  // 8. A folder run: right-click invoices/ → step → the modal names the PDFs' number → one batch node
  const batchPdfs = Object.keys(BATCH.pdfs);
  const invoiceStarts = async () =>
    (await standInControl(standIn, 'starts')).filter(s => s.stepId === 'example-invoice');
  const batchHashes = new Map(
    batchPdfs.map(f => [
      f,
      crypto
        .createHash('sha256')
        .update(fs.readFileSync(path.join(ws, BATCH.folder, f)))
        .digest('hex'),
    ]),
  );
  await step(`right-click the folder ${BATCH.folder}/ → "${UI.menuItem}" → "${UI.invoiceStep}"`, async () => {
    const before = (await invoiceStarts()).filter(s => [...batchHashes.values()].includes(s.hash));
    if (before.length) {
      throw new Error(
        `the stand-in saw starts of the ${BATCH.folder}/ PDFs before the batch: ${JSON.stringify(before)}`,
      );
    }
    await wb.runFromPalette(page, 'View: Close All Editors');
    await wb.showViewContainer(page, UI.explorer, wb.explorerRow(page, BATCH.folder));
    await wb.waitQuiet(page);
    const item = await wb.openExplorerMenu(page, BATCH.folder, { expect: UI.menuItem });
    await shot('folder-context-menu', { clean: true });
    await wb.clickMenuItem(page, item);
    await wb.quickPickRow(page, UI.invoiceStep).waitFor();
    const title = wb
      .norm(
        await page
          .locator('.quick-input-widget .quick-input-title')
          .textContent()
          .catch(() => ''),
      )
      .trim();
    log(`  step picker: "${title}"`);
    await page.waitForTimeout(300);
    await shot('folder-step-picker');
    await wb.pick(page, UI.invoiceStep);
  });

  await step(
    `a modal asks "Run ${UI.invoiceStep} on ${batchPdfs.length} documents? …" (the PDFs, not ${BATCH.txt}) → "${UI.batchRun}"`,
    async () => {
      const dialog = page.locator('.monaco-dialog-box').filter({ hasText: UI.batchConfirm });
      await dialog.waitFor({ timeout: 15000 }).catch(async () => {
        const any = await page
          .locator('.monaco-dialog-box')
          .allTextContents()
          .catch(() => []);
        throw new Error(
          `no modal "Run … on N documents? DocuTray bills … pages" appeared; dialogs: ${any.map(t => wb.norm(t).trim()).join(' | ') || '(none)'}`,
        );
      });
      // The whole box: the message, then the buttons' labels.
      const text = wb.norm(await dialog.textContent()).trim();
      const m = UI.batchConfirm.exec(text);
      log(`  modal: "${m ? text.slice(m.index) : text}"`);
      if (!m || m[1] !== UI.invoiceStep || Number(m[2]) !== batchPdfs.length) {
        throw new Error(
          `the modal should name "${UI.invoiceStep}" and ${batchPdfs.length} documents (the PDFs of ${BATCH.folder}/, not ${BATCH.txt}): "${text}"`,
        );
      }
      await wb.parkMouse(page);
      await shot('batch-confirm');
      await dialog.getByRole('button', { name: UI.batchRun, exact: true }).click();
      await dialog.waitFor({ state: 'detached', timeout: 10000 });
    },
  );

  await step(
    `the "${UI.container}" view shows the batch "${batchPdfs.length} of ${batchPdfs.length} succeeded" with the ${batchPdfs.length} PDFs under it, each started once`,
    async () => {
      // A batch is named by what it ran on; its state, when it started and its step follow.
      const batchLabel = UI.batchLabel(BATCH.folder);
      const batchDone = UI.batchDone(batchPdfs.length, UI.invoiceStep);
      await wb.showViewContainer(page, UI.container, wb.treeRow(page, batchLabel, null, sidebar));
      const batchRow = wb.treeRow(page, batchLabel, batchDone, sidebar);
      await until(async () => (await batchRow.count()) > 0, {
        timeout: 60000,
        message: async () =>
          `no batch node "${BATCH.folder}/" [/${batchDone.source}/] within 60 s: ${showRows(await runRows())}`,
      });
      const top = (await runRows())[0];
      if (!batchLabel.test(top.label) || !batchDone.test(top.description)) {
        throw new Error(`the batch is not the newest node of the view: ${showRows(await runRows())}`);
      }
      log(`  batch: ${top.label} — ${top.description} (${top.icon})`);
      if ((await batchRow.getAttribute('aria-expanded')) !== 'true') {
        await batchRow.locator('.monaco-tl-twistie').click();
      }
      // The batch's children: the rows one level below it (aria-level 2), in the order shown.
      const childRows = async () =>
        sidebar.locator('.monaco-list-row[aria-level="2"]').evaluateAll(rows =>
          rows
            .map(r => ({
              top: parseFloat(r.style.top || '0'),
              label: ((r.querySelector('.label-name') || {}).textContent || '').replace(/\u00a0/g, ' ').trim(),
              description: ((r.querySelector('.label-description') || {}).textContent || '')
                .replace(/\u00a0/g, ' ')
                .trim(),
            }))
            .sort((a, b) => a.top - b.top),
        );
      const children = await until(
        async () => {
          const c = await childRows();
          return c.length >= batchPdfs.length && c;
        },
        {
          timeout: 10000,
          message: async () => `the expanded batch shows the children ${showRows(await childRows())}`,
        },
      );
      for (const c of children) {
        log(`    ${c.label} — ${c.description}`);
      }
      // Named inside the batch's folder, without the folder or the step the batch already shows.
      const names = children.map(c => c.label);
      if (
        children.length !== batchPdfs.length ||
        [...names].sort().join('|') !== [...batchPdfs].sort().join('|') ||
        !children.every(c => UI.succeededInBatch.test(c.description))
      ) {
        throw new Error(
          `the batch's children should be the ${batchPdfs.length} PDFs of ${BATCH.folder}/ (${batchPdfs.join(', ')}; not ${BATCH.txt}), each "succeeded in <duration> · <time>": ${showRows(children)}`,
        );
      }
      const cut = await clippedNames(sidebar);
      if (cut.length) {
        throw new Error(`at the default width the Runs view cuts these names: ${cut.join(', ')}`);
      }
      const starts = await invoiceStarts();
      const counts = batchPdfs.map(f => {
        const s = starts.find(x => x.hash === batchHashes.get(f));
        return [f, s ? s.count : 0];
      });
      log(`  stand-in starts: ${counts.map(([f, n]) => `${f} ×${n}`).join(', ')}`);
      const wrong = counts.filter(([, n]) => n !== 1);
      if (wrong.length) {
        throw new Error(
          `each PDF of the batch must be started exactly once; the stand-in counted ${wrong.map(([f, n]) => `${f} ×${n}`).join(', ')}`,
        );
      }
      if (await page.locator('.notifications-toasts .notification-toast').count()) {
        // the batch's summary message: out of the picture
        await wb.runFromPalette(page, 'Notifications: Clear All Notifications');
      }
      await wb.parkMouse(page);
      await page.waitForTimeout(300);
      await shot('batch-runs-view', { clean: true });
    },
  );

  // 8b. The same folder again: one question that counts what this step already processed; Process All
  // makes a second batch, its own node named by the folder, every PDF started once more.
  await step(
    `the folder ${BATCH.folder}/ again: one question ("${batchPdfs.length} already processed") → "Process All ${batchPdfs.length}" → a second node`,
    async () => {
      const before = await invoiceStarts();
      await wb.showViewContainer(page, UI.explorer, wb.explorerRow(page, BATCH.folder));
      const item = await wb.openExplorerMenu(page, BATCH.folder, { expect: UI.menuItem });
      await wb.clickMenuItem(page, item);
      await wb.pick(page, UI.invoiceStep);
      const dialog = page.locator('.monaco-dialog-box').filter({ hasText: /already processed by/ });
      await dialog.waitFor({ timeout: 20000 });
      const text = wb.norm(await dialog.textContent()).trim();
      log(`  modal: "${text}"`);
      const counted = new RegExp(
        `Run ${UI.invoiceStep.replace(/[()]/g, '\\$&')} on ${BATCH.folder}/\\? ${batchPdfs.length} documents, ${batchPdfs.length} already processed`,
      );
      if (!counted.test(text)) {
        throw new Error(
          `the one question should count ${batchPdfs.length} documents, all already processed: "${text}"`,
        );
      }
      await wb.parkMouse(page);
      await shot('batch-again-question');
      await dialog.getByRole('button', { name: `Process All ${batchPdfs.length}`, exact: true }).click();
      await dialog.waitFor({ state: 'detached', timeout: 10000 });
      if ((await page.locator('.monaco-dialog-box').count()) > 0) {
        throw new Error('a second dialog followed the question: a folder run asks once');
      }
      const batchLabel = UI.batchLabel(BATCH.folder);
      await wb.showViewContainer(page, UI.container, wb.treeRow(page, batchLabel, null, sidebar));
      await until(
        async () => {
          const rows = (await runRows()).filter(r => batchLabel.test(r.label));
          return (
            rows.length === 2 && rows.every(r => UI.batchDone(batchPdfs.length, UI.invoiceStep).test(r.description))
          );
        },
        {
          timeout: 60000,
          message: async () => `two batch nodes on ${BATCH.folder}/, each done, expected: ${showRows(await runRows())}`,
        },
      );
      const after = await invoiceStarts();
      const more = batchPdfs.map(f => {
        const h = batchHashes.get(f);
        const count = s => (s.find(x => x.hash === h) || { count: 0 }).count;
        return [f, count(after) - count(before)];
      });
      if (more.some(([, n]) => n !== 1)) {
        throw new Error(`Process All should start each PDF once more: ${JSON.stringify(more)}`);
      }
      if (await page.locator('.notifications-toasts .notification-toast').count()) {
        await wb.runFromPalette(page, 'Notifications: Clear All Notifications');
      }
      await wb.parkMouse(page);
      await page.waitForTimeout(300);
      await shot('batch-twice-runs-view', { clean: true });
    },
  );

  // 9. The README's screenshots: only a run that passed all of the above may replace them, and only
  // when asked (DOCUTRAY_UPDATE_DOCS=1), so an ordinary test run leaves the work tree clean. They show the
  // newest VS Code, as users mostly see it.
  if (process.env.DOCUTRAY_UPDATE_DOCS === '1' && TARGET === 'newest') {
    await step(`copying the README screenshots to ${path.relative(h.REPO, README_IMAGES)}/`, async () => {
      fs.mkdirSync(README_IMAGES, { recursive: true });
      for (const [name, target] of Object.entries(README_SHOTS)) {
        const from = shots.get(name);
        if (!from) {
          throw new Error(`no "${name}" screenshot was taken for ${target}`);
        }
        fs.copyFileSync(from, path.join(README_IMAGES, target));
        log(`  ${path.relative(h.REPO, from)} → ${path.relative(h.REPO, path.join(README_IMAGES, target))}`);
      }
    });
  }

  if (browser.blocked.length) {
    log(`  (blocked ${browser.blocked.length} non-loopback request(s), e.g. ${browser.blocked[0]})`);
  }
  return notes;
}

run.run(main, { pages: () => ({ '': page }), shots: SHOTS, ensureInstalled: true });
