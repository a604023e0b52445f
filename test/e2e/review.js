#!/usr/bin/env node
// The review panel in the real VS Code web workbench (code-server 4.139.1) and Debian's chromium, against
// the DocuTray stand-in, driven as a person does:
//   - a workspace with an invoice PDF and its expected result; the step's answer changed since (total
//     and vendor name); Run Tests fails it, and the failure's peek offers Review Beside Document;
//   - the panel shows the PDF (pdf.js, legacy build) beside the fields, each with its verdict in words
//     and icon; selecting the vendor's name finds it in the PDF's text and says so; the total is written
//     1.200,00 in the PDF and is found as a number;
//   - Alt+F5 (Next Difference) moves the selection; Accept Field rewrites that field in the expected file;
//   - after a window reload the panel comes back (WebviewPanelSerializer + setState) with a selected field.
// Screenshots: test-output/e2e-review/ (DOCUTRAY_UPDATE_DOCS=1 copies the panel's to
// docs/images/review-panel.png). It builds nothing itself: `npm run test:e2e:review` compiles and bundles.
//
// usage: node test/e2e/review.js [--timeout SEC] [--headed]
// exit:  0 passed, 1 failed (the stage is named), 2 timeout, 130 SIGINT
'use strict';
const crypto = require('crypto');
const fs = require('fs');
const path = require('path');
const h = require('../../real-vscode/code-server');
const { makePdf } = require('../../real-vscode/workspace');
const wb = require('./workbench');
const { script } = require('./script');

const run = script('REVIEW E2E', { logName: 'review', defaultTimeoutS: 300 });
const { log, step, until } = run;
const SHOTS = path.join(h.REPO, 'test-output', 'e2e-review');
const README_IMAGE = path.join(h.REPO, 'docs', 'images', 'review-panel.png');

const STEP = { id: 'invoice-extract', name: 'Invoice extract' };
const RECORDED = {
  invoice_number: 'INV-002',
  line_items: [{ amount: 1200, description: 'Consulting' }],
  total: 1452,
  vendor: { name: 'Northwind Traders', tax_id: 'B-87654321' },
};
const NOW = structuredClone(RECORDED);
NOW.total = 1200;
NOW.vendor.name = 'NORTHWIND TRADERS LTD';
const PDF_LINES = [
  'Northwind Traders',
  'Tax ID B-87654321',
  'Invoice INV-002',
  'Date 15 de enero de 2024',
  'Consulting 1.200,00',
  'Total 1.452,00 EUR',
];

let page;
let shotNo = 0;
let picture;

async function shot(name) {
  shotNo++;
  const file = path.join(SHOTS, `${String(shotNo).padStart(2, '0')}-${name}.png`);
  await wb.parkMouse(page);
  await page.screenshot({ path: file });
  log(`  screenshot ${path.relative(h.REPO, file)}`);
  return file;
}

function installUnpacked(extensionsDir) {
  const pkg = JSON.parse(fs.readFileSync(path.join(h.REPO, 'package.json'), 'utf8'));
  const dest = path.join(extensionsDir, `${pkg.publisher}.${pkg.name}-${pkg.version}`);
  const shipped = ['package.json', 'dist', 'media', 'l10n', 'README.md', 'CHANGELOG.md', 'LICENSE'];
  for (const f of fs.readdirSync(h.REPO).filter(f => shipped.includes(f) || /^package\.nls.*\.json$/.test(f))) {
    fs.cpSync(path.join(h.REPO, f), path.join(dest, f), { recursive: true });
  }
}

/** The review webview's frame (the inner frame of VS Code's webview iframe), once it shows fields. */
async function reviewFrame({ timeout = 90000 } = {}) {
  let found;
  await until(
    async () => {
      for (const f of page.frames()) {
        try {
          if ((await f.locator('#app table.rows').count()) > 0) {
            found = f;
            return true;
          }
        } catch {
          // a frame going away
        }
      }
      return false;
    },
    { timeout, message: () => `no review webview among ${page.frames().length} frames` },
  );
  return found;
}

const rowText = async (frame, p) => wb.norm(await frame.locator(`tr.row[data-path="${p}"]`).textContent());

async function main() {
  h.installSignalHandlers();
  const cache = h.locateCache();
  h.requireBuilt([
    'dist/extension.js',
    'dist/review.js',
    'dist/webview/review.js',
    'out/src/core/expected/expectedFile.js',
  ]);
  fs.mkdirSync(SHOTS, { recursive: true });
  const tmp = h.createRunDir('docutray-review-');
  const apiKey = `dt-test-${crypto.randomBytes(6).toString('hex')}`;
  const standIn = await step('starting the DocuTray stand-in', () => h.startStandIn(apiKey));
  standIn.standIn.setSteps({
    id: STEP.id,
    name: STEP.name,
    enqueuedMs: 100,
    processingMs: 300,
    outcome: { status: 'SUCCESS', data: NOW },
  });

  const ws = path.join(tmp, 'invoices-repo');
  fs.mkdirSync(path.join(ws, 'samples'), { recursive: true });
  const pdf = makePdf(PDF_LINES);
  const docPath = path.join(ws, 'samples', 'invoice-002.pdf');
  fs.writeFileSync(docPath, pdf);
  const { serializeExpected } = require(path.join(h.REPO, 'out', 'src', 'core', 'expected', 'expectedFile.js'));
  const expectedPath = `${docPath}.${STEP.id}.expected.json`;
  fs.writeFileSync(
    expectedPath,
    serializeExpected({
      stepId: STEP.id,
      document: 'invoice-002.pdf',
      sha256: crypto.createHash('sha256').update(pdf).digest('hex'),
      result: RECORDED,
    }),
  );

  const profile = h.createProfile(path.join(tmp, 'profile'), {
    'docutray.steps': [{ id: STEP.id, name: STEP.name }],
    'docutray.openResult': 'none',
    'workbench.colorTheme': 'Default Light Modern',
    'testing.automaticallyOpenTestResults': 'neverOpen',
  });
  installUnpacked(profile.extensionsDir);
  const server = await step('starting code-server', () =>
    h.startCodeServer({
      cache,
      profile,
      folder: ws,
      smokeTestDriver: false,
      env: { DOCUTRAY_BASE_URL: standIn.url, DOCUTRAY_API_KEY: apiKey },
    }),
  );
  const { launchBrowser } = require('../../real-vscode/browser');
  const browser = await step('launching chromium', () =>
    launchBrowser(tmp, { headless: !run.headed, viewport: { width: 1400, height: 860 } }),
  );
  h.onCleanup('chromium', () => browser.close());
  page = browser.page;
  page.setDefaultTimeout(20000);

  await step('the window opens the repository', async () => {
    await page.goto(h.workbenchUrl(server, ws));
    await wb.explorerRow(page, 'samples').waitFor({ timeout: 60000 });
  });

  await step("the expected file is open (the failure's peek opens there)", async () => {
    await page.keyboard.press('Control+P');
    const input = page.locator('.quick-input-widget .quick-input-box input');
    await input.waitFor();
    await input.fill(path.basename(expectedPath));
    await wb.quickPickRow(page, path.basename(expectedPath)).waitFor();
    await page.keyboard.press('Enter');
    await wb.waitEditorText(page, path.basename(expectedPath), /"total": 1452/);
  });

  const testRow = name => page.locator('.part.sidebar .monaco-list-row', { hasText: name }).first();
  await step('Run Tests fails the invoice', async () => {
    await wb.showViewContainer(page, 'Testing', testRow('samples'));
    await page.locator('.part.sidebar .action-label[aria-label^="Run Tests"]').first().click();
    // A check of one page may run without asking; when it asks, Run.
    const dialog = page.locator('.monaco-dialog-box').filter({ hasText: /Check/ });
    await until(
      async () => {
        if (await dialog.isVisible()) {
          await dialog.getByRole('button', { name: 'Run', exact: true }).click();
        }
        return (await page.locator('.monaco-editor .test-error-content-widget').count()) > 0;
      },
      { timeout: 60000, message: 'no failure marks in the expected file' },
    );
  });

  let frame;
  await step(
    'Review Beside Document on the run in the Runs view opens the panel: fields first, then the PDF',
    async () => {
      // The check's run is in the Runs view: its context menu has Review Beside Document.
      const sidebar = page.locator('.part.sidebar');
      const batch = wb.treeRow(page, /^invoice-002\.pdf$/, /^\d+ of \d+ /, sidebar);
      await wb.showViewContainer(page, 'DocuTray', batch);
      const runRow = wb.treeRow(page, /invoice-002\.pdf/, /^succeeded in /, sidebar);
      if (!(await runRow.isVisible())) {
        await batch.click();
      }
      const item = await wb.openRowMenu(page, runRow, 'Review Beside Document', { what: 'the run of invoice-002.pdf' });
      // A click that lands while the menu settles is ignored by the workbench: clickMenuItem sees to it.
      await wb.clickMenuItem(page, item);
      const clicked = Date.now();
      frame = await reviewFrame();
      log(`  the fields are shown ${((Date.now() - clicked) / 1000).toFixed(1)} s after the click`);
      const total = await rowText(frame, 'total');
      if (!/✗.*differs: expected 1452 → 1200/.test(total)) {
        throw new Error(`the total row says: ${total}`);
      }
      const tax = await rowText(frame, 'vendor.tax_id');
      if (!/✓.*equal/.test(tax)) {
        throw new Error(`the tax id row says: ${tax}`);
      }
      await frame.locator('.page canvas').first().waitFor({ timeout: 60000 });
      log(`  the first page is drawn ${((Date.now() - clicked) / 1000).toFixed(1)} s after the click`);
      await frame.locator('.textLayer span').first().waitFor({ timeout: 20000 });
    },
  );

  await step('selecting a field searches the PDF text and says so', async () => {
    await frame.locator('tr.row[data-path="total"] th').click();
    const status = frame.locator('.doc-status');
    await until(async () => /Found on page 1 by searching the document's text/.test(await status.textContent()), {
      message: async () => `the status says: ${await status.textContent()}`,
    });
    await frame.locator('.textLayer .match').first().waitFor();
    const match = wb.norm(await frame.locator('.textLayer .match').first().textContent());
    // The step's total (1200) is written 1.200,00 in the PDF.
    if (!/1\.200,00/.test(match)) {
      throw new Error(`the highlighted text is ${match}`);
    }
    picture = await shot('review-panel');
    await frame.locator('tr.row[data-path="vendor.name"] th').click();
    await until(async () => /Not found in the document's text/.test(await status.textContent()), {
      message: async () => `for "NORTHWIND TRADERS LTD" the status says: ${await status.textContent()}`,
    });
    await frame.locator('#tab-raw').click();
    await frame.locator('pre.json').waitFor();
    await shot('raw-json');
    await frame.locator('#tab-fields').click();
  });

  await step('Alt+F5 moves to the next difference; Accept Field rewrites only that field', async () => {
    await frame.locator('tr.row[data-path="invoice_number"] th').click();
    await page.keyboard.press('Alt+F5');
    await until(async () => (await frame.locator('tr.row.selected').getAttribute('data-path')) === 'total', {
      message: async () => `selected: ${await frame.locator('tr.row.selected').getAttribute('data-path')}`,
    });
    await frame.locator('tr.row[data-path="total"] button.accept').click();
    await until(() => /"total": 1200/.test(fs.readFileSync(expectedPath, 'utf8')), {
      message: () => `the expected file holds ${fs.readFileSync(expectedPath, 'utf8')}`,
    });
    const now = JSON.parse(fs.readFileSync(expectedPath, 'utf8')).result;
    if (now.vendor.name !== RECORDED.vendor.name) {
      throw new Error('Accept Field changed another field');
    }
    await until(async () => /equal/.test(await rowText(frame, 'total')), {
      message: async () => `the total row says: ${await rowText(frame, 'total')}`,
    });
    await shot('accepted');
  });

  await step('after a window reload the panel comes back: the document, its fields, the accepted verdict', async () => {
    await page.reload();
    frame = await reviewFrame({ timeout: 90000 });
    // The total accepted before the reload is equal now; the vendor's name still differs.
    await until(async () => /equal/.test(await rowText(frame, 'total')), {
      message: async () => `the total row says: ${await rowText(frame, 'total')}`,
    });
    if (!/differs/.test(await rowText(frame, 'vendor.name'))) {
      throw new Error(`the vendor row says: ${await rowText(frame, 'vendor.name')}`);
    }
    // A field selected (setState) some time before the reload is selected again; a click just before it may
    // not have reached the window's storage yet, so this checks the one selected since Accept Field.
    await until(async () => (await frame.locator('tr.row.selected').getAttribute('data-path')) !== null, {
      message: 'no field is selected after the reload',
    });
    await frame.locator('.page canvas').first().waitFor({ timeout: 90000 });
    await shot('restored');
  });

  if (process.env.DOCUTRAY_UPDATE_DOCS === '1') {
    fs.copyFileSync(picture, README_IMAGE);
    log(`copied ${path.relative(h.REPO, picture)} to ${path.relative(h.REPO, README_IMAGE)}`);
  }
}

run.run(main, { pages: () => ({ '': page }), shots: SHOTS });
