#!/usr/bin/env node
// Expected results in the real VS Code web workbench (code-server 4.139.1 = VS Code 1.139.1) and Debian's
// chromium, against the DocuTray stand-in, driven as a person does:
//   - a workspace with two sample invoices and their expected results (`*.invoice-extract.expected.json`);
//     the step's answer for one of them changed since they were recorded;
//   - the Testing view lists the two documents under samples/; Run Tests asks first, in a modal that says
//     how many pages it bills; one test passes, the other fails: the first changed line of its expected
//     file reads the summary ("2 fields differ: total, vendor.name"), and the failure opens in a peek there,
//     its first line the summary, Accept as Expected in view;
//   - Accept as Expected in that peek rewrites the expected file, and the test turns green;
//   - the check's runs are a batch in the DocuTray Runs view: a run's context menu and its result editor's
//     title bar offer Accept as Expected (its document has an expected file now).
// The picture of the failure is test-output/e2e-expected/NN-failure-diff.png; with DOCUTRAY_UPDATE_DOCS=1 a
// run that passed copies it to docs/images/expected-results.png (the README's). The server runs WITHOUT the
// smoke-test driver (it hides notification toasts). It builds nothing itself: `npm run test:e2e:expected`
// compiles and bundles first.
//
// usage: node test/e2e/expected-results.js [--timeout SEC] [--headed]
// env:   DOCUTRAY_E2E_TIMEOUT (s, default 240), DOCUTRAY_UPDATE_DOCS=1, DOCUTRAY_VSCODE_CACHE, CHROMIUM, KEEP_TMP=1
// exit:  0 passed, 1 failed (the stage is named), 2 timeout, 130 SIGINT
'use strict';
const crypto = require('crypto');
const fs = require('fs');
const path = require('path');
const h = require('../../real-vscode/code-server');
const { makePdf } = require('../../real-vscode/workspace');
const wb = require('./workbench');
const { script } = require('./script');
const { openWorkbench } = require('./session');

const run = script('EXPECTED-RESULTS E2E', { logName: 'expected', defaultTimeoutS: 240 });
const { log, step, until } = run;
const HEADED = run.headed;
const SHOTS = path.join(h.REPO, 'test-output', 'e2e-expected');
const README_IMAGE = path.join(h.REPO, 'docs', 'images', 'expected-results.png');

const STEP = { id: 'invoice-extract', name: 'Invoice extract' };
const RECORDED = {
  'invoice-001.pdf': {
    currency: 'EUR',
    invoice_number: 'INV-001',
    line_items: [
      { amount: 210, description: 'Impresión offset' },
      { amount: 473.53, description: 'Diseño' },
    ],
    total: 683.53,
    vendor: { name: 'Gráficas Ñandú S.A.', tax_id: 'B-12345678' },
  },
  'invoice-002.pdf': {
    currency: 'EUR',
    invoice_number: 'INV-002',
    line_items: [{ amount: 1200, description: 'Consultoría' }],
    total: 1452,
    vendor: { name: 'Northwind Traders', tax_id: 'B-87654321' },
  },
};
/** What the step answers now: invoice-002's total and vendor name changed. */
const NOW = structuredClone(RECORDED);
NOW['invoice-002.pdf'].total = 1200;
NOW['invoice-002.pdf'].vendor.name = 'NORTHWIND TRADERS';

let page;
let shotNo = 0;
/** The failure with its diff: the README's picture. */
let picture;

async function shot(name, { clean = false } = {}) {
  shotNo++;
  const file = path.join(SHOTS, `${String(shotNo).padStart(2, '0')}-${name}.png`);
  if (clean) {
    await wb.parkMouse(page);
    await wb.waitQuiet(page, { timeout: 5000 });
  }
  await page.screenshot({ path: file });
  log(`  screenshot ${path.relative(h.REPO, file)}`);
  return file;
}

/** The expected file of a sample, as `docutray-steps check --update` writes it. */
function expectedText(name, pdf, result) {
  const { serializeExpected } = require(path.join(h.REPO, 'out', 'src', 'core', 'expected', 'expectedFile.js'));
  const sha256 = crypto.createHash('sha256').update(pdf).digest('hex');
  return serializeExpected({ stepId: STEP.id, document: name, sha256, result });
}

async function main() {
  h.installSignalHandlers();
  const cache = h.locateCache();
  h.requireBuilt(['dist/extension.js', 'dist/runtime.js', 'out/src/core/expected/expectedFile.js']);
  fs.mkdirSync(SHOTS, { recursive: true });
  const tmp = h.createRunDir('docutray-expected-');
  const apiKey = `dt-test-${crypto.randomBytes(6).toString('hex')}`;
  const standIn = await step('starting the DocuTray stand-in', () => h.startStandIn(apiKey));
  standIn.standIn.setSteps({
    id: STEP.id,
    name: STEP.name,
    enqueuedMs: 100,
    processingMs: 400,
    outcome: { status: 'SUCCESS', data: {} },
    outcomeByFile: Object.fromEntries(Object.entries(NOW).map(([f, data]) => [f, { status: 'SUCCESS', data }])),
  });

  const ws = path.join(tmp, 'invoices-repo');
  const samples = path.join(ws, 'samples');
  fs.mkdirSync(samples, { recursive: true });
  for (const [name, result] of Object.entries(RECORDED)) {
    const pdf = makePdf(`${result.invoice_number} ${result.vendor.name.normalize('NFD').replace(/[^\x20-\x7e]/g, '')}`);
    fs.writeFileSync(path.join(samples, name), pdf);
    fs.writeFileSync(path.join(samples, `${name}.${STEP.id}.expected.json`), expectedText(name, pdf, result));
  }
  const failing = path.join(samples, `invoice-002.pdf.${STEP.id}.expected.json`);

  const opened = await openWorkbench({
    step,
    tmp,
    cache,
    folder: ws,
    docutray: STEP,
    standIn,
    apiKey,
    headless: !HEADED,
  });
  page = opened.page;
  const { server } = opened;

  await step('the window opens the repository of samples', async () => {
    await page.goto(h.workbenchUrl(server, ws));
    await wb.explorerRow(page, 'samples').waitFor({ timeout: 60000 });
  });

  await step("invoice-002's expected file is open (a failure opens in a peek where it is visible)", async () => {
    await wb.quickOpen(page, path.basename(failing));
    await wb.waitEditorText(page, path.basename(failing), /"total": 1452/);
  });

  const testRow = name => page.locator('.part.sidebar .monaco-list-row', { hasText: name }).first();
  await step('the Testing view lists the two samples under samples/', async () => {
    await wb.showViewContainer(page, 'Testing', testRow('samples'));
    await until(
      async () => {
        if (!(await testRow('invoice-001.pdf').isVisible())) {
          const folder = testRow('samples');
          if ((await folder.getAttribute('aria-expanded')) === 'false') {
            await folder.click();
          }
          return false;
        }
        return testRow('invoice-002.pdf').isVisible();
      },
      {
        timeout: 30000,
        message: async () =>
          `the Testing view shows: ${(await page.locator('.part.sidebar .monaco-list-row').allTextContents()).join(' | ')}`,
      },
    );
  });

  await step('Run Tests asks first, saying how many pages it bills', async () => {
    await page.locator('.part.sidebar .action-label[aria-label^="Run Tests"]').first().click();
    const dialog = page.locator('.monaco-dialog-box').filter({ hasText: /Check 2 documents/ });
    await dialog.waitFor({ timeout: 20000 });
    const text = wb.norm(await dialog.textContent());
    if (!/Invoice extract runs on each: DocuTray bills 2 pages\./.test(text)) {
      throw new Error(`the question does not say what it bills: ${text}`);
    }
    await dialog.getByRole('button', { name: 'Run', exact: true }).click();
    await dialog.waitFor({ state: 'detached', timeout: 10000 });
  });

  await step(
    'invoice-002 fails: its first changed line reads the summary, the next changed field its own change',
    async () => {
      await testRow('invoice-002.pdf').locator('.codicon-testing-failed-icon').waitFor({ timeout: 60000 });
      await testRow('invoice-001.pdf').locator('.codicon-testing-passed-icon').waitFor({ timeout: 10000 });
      // The editor shows one message after each line: the summary at the first change (total), then
      // vendor.name's own; never the whole result as "actual != expected".
      const marks = () => page.locator('.monaco-editor .test-error-content-widget .content').allTextContents();
      await until(
        async () => {
          const texts = (await marks()).map(t => wb.norm(t).trim());
          return (
            texts.includes('2 fields differ: total, vendor.name') &&
            texts.some(t => /^vendor\.name: /.test(t)) &&
            !texts.some(t => t.includes('!='))
          );
        },
        { message: async () => `the editor marks: ${(await marks()).join(' | ') || '(nothing)'}` },
      );
    },
  );

  await step(
    'the failure opens in a peek at the first changed line: its first line is the summary, Accept as Expected in view',
    async () => {
      const peek = page.locator('.monaco-editor .peekview-widget').first();
      // VS Code opens the peek by itself on a failure in a visible file; the summary's mark opens it too.
      if (!(await peek.isVisible())) {
        await page
          .locator('.monaco-editor .test-error-content-widget .content', { hasText: '2 fields differ' })
          .first()
          .click();
      }
      await peek.waitFor({ timeout: 20000 });
      const title = peek.locator('.peekview-title .filename, .peekview-title .title').first();
      await until(async () => wb.norm(await title.textContent()).trim() === '2 fields differ: total, vendor.name', {
        timeout: 20000,
        message: async () =>
          `the peek's first line is: ${wb.norm(await title.textContent())}; it shows: ${wb.norm(await peek.textContent()).slice(0, 400)}`,
      });
      await until(async () => /total: 1452 → 1200/.test(wb.norm(await peek.textContent())), {
        message: async () => `the peek shows: ${wb.norm(await peek.textContent()).slice(0, 400)}`,
      });
      // Accept as Expected is in the peek and inside the window, without scrolling or maximising.
      const accept = peek.getByText('Accept as Expected', { exact: true }).first();
      await accept.waitFor({ timeout: 10000 });
      const box = await accept.boundingBox();
      const viewport = page.viewportSize();
      if (!box || !viewport || box.y < 0 || box.y + box.height > viewport.height) {
        throw new Error(`Accept as Expected is out of view: ${JSON.stringify(box)} in ${JSON.stringify(viewport)}`);
      }
      picture = await shot('failure-diff', { clean: true });
      const starts = standIn.standIn.starts().filter(s => s.stepId === STEP.id);
      if (starts.length !== 2 || starts.some(s => s.count !== 1)) {
        throw new Error(`each sample should be started once: ${JSON.stringify(starts)}`);
      }
    },
  );

  await step('Accept as Expected in the peek rewrites the expected file; the test turns green', async () => {
    // The failure's own button, in the peek (the testing/message/content menu).
    const accept = page
      .locator('.peekview-widget', { hasText: 'Accept as Expected' })
      .getByText('Accept as Expected', { exact: true })
      .first();
    await accept.waitFor({ timeout: 10000 });
    await accept.click();
    await until(() => /"total": 1200/.test(fs.readFileSync(failing, 'utf8')), {
      message: () => `${failing} still holds: ${fs.readFileSync(failing, 'utf8')}`,
    });
    await testRow('invoice-002.pdf').locator('.codicon-testing-passed-icon').waitFor({ timeout: 15000 });
    await shot('accepted');
  });

  await step(
    "the check's runs are in the Runs view; a run and its result editor offer Accept as Expected",
    async () => {
      const sidebar = page.locator('.part.sidebar');
      const batch = wb.treeRow(page, /^invoice-00\d\.pdf \+ 1 more$/, null, sidebar);
      await wb.showViewContainer(page, 'DocuTray', batch);
      // Under its batch, named inside the folder the batch's documents share (samples/).
      const run = wb.treeRow(page, 'invoice-002.pdf', /^succeeded in /, sidebar);
      if (!(await run.isVisible())) {
        await batch.click();
      }
      const item = await wb.openRowMenu(page, run, 'Accept as Expected', { what: 'the run of invoice-002.pdf' });
      await page.keyboard.press('Escape');
      await item.waitFor({ state: 'detached' });
      await run.click(); // opens its result
      const title = page.locator('.editor-actions .action-label[aria-label^="Accept as Expected"]');
      await title.first().waitFor({ timeout: 15000 });
      await shot('result-editor');
    },
  );

  if (process.env.DOCUTRAY_UPDATE_DOCS === '1') {
    fs.copyFileSync(picture, README_IMAGE);
    log(`copied ${path.relative(h.REPO, picture)} to ${path.relative(h.REPO, README_IMAGE)}`);
  }
}

run.run(main, { pages: () => ({ '': page }), shots: SHOTS });
