#!/usr/bin/env node
// The review panel in the real VS Code web workbench (code-server 4.139.1) and Debian's chromium, against
// the DocuTray stand-in, driven as a person does:
//   - a workspace with an invoice PDF and its expected result; the step's answer changed since (total
//     and vendor name); Run Tests fails it, and the failure's peek offers Review Beside Document;
//   - the panel shows the PDF (pdf.js, legacy build) beside the fields, each with its verdict in words
//     and icon; selecting the vendor's name finds it in the PDF's text and says so; the total is written
//     1.200,00 in the PDF and is found as a number;
//   - Alt+F5 (Next Difference) moves the selection; Accept Field rewrites that field in the expected file;
//   - after a window reload the panel comes back (WebviewPanelSerializer + setState) with a selected field;
//     it paints the fields kept in its state first (no verdicts), then the model replaces them;
//   - throughout, the webview's frames and pdf.js's worker run without the APIs the Chromium of VS Code 1.99
//     lacks (Map/WeakMap getOrInsert*, Math.sumPrecise): the legacy pdf.js build must draw a page and its
//     text layer without them (`--pdfjs-build modern` installs the modern build instead, which must fail);
//   - the tabs (vscode-tabs) switch with the arrow keys; the divider (vscode-split-layout) moves with the
//     arrow keys, Home/End and a mouse drag, and comes back where it was after the reload;
//   - axe-core finds nothing serious or critical in the panel, in light, dark and both high-contrast themes;
//     the fields' tables have a named header for every column (the actions' one read, not shown);
//   - no frame reports a Content Security Policy violation.
// Screenshots: test-output/e2e-review/ (DOCUTRAY_UPDATE_DOCS=1 copies the panel's to
// docs/images/review-panel.png). It builds nothing itself: `npm run test:e2e:review` compiles and bundles.
//
// usage: node test/e2e/review.js [--timeout SEC] [--headed] [--pdfjs-build legacy|modern]
// exit:  0 passed, 1 failed (the stage is named), 2 timeout, 130 SIGINT
'use strict';
/* global window, document, location -- what runs in the browser: the init script and evaluate */
const crypto = require('crypto');
const fs = require('fs');
const path = require('path');
const h = require('../../real-vscode/code-server');
const { makePdf } = require('../../real-vscode/workspace');
const wb = require('./workbench');
const { script } = require('./script');
const { openWorkbench } = require('./session');
const { axeViolations, expectNoSeriousFindings } = require('./axe');
const { THEMES, expectTabShown, setTheme, vanishedMarks } = require('./webviewChecks');

const run = script('REVIEW E2E', { logName: 'review', defaultTimeoutS: 300 });
const { log, step, until } = run;
const PDFJS_BUILD = run.argv.includes('--pdfjs-build') ? run.argv[run.argv.indexOf('--pdfjs-build') + 1] : 'legacy';
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

/**
 * Runs in every frame before its own scripts (BrowserContext.addInitScript). In a webview's frames it
 * deletes what the Chromium of VS Code 1.99 (132) lacks and pdf.js's modern build calls, so pdf.js loads
 * into a page like that one; it records what it deleted (this test's Chromium may lack some already).
 * pdf.js's worker gets no init script: the page starts it from a blob of the worker script
 * (webview/review/pdfView.ts), so every JavaScript blob the page makes gets the same deletion in front.
 */
function withoutNewApis() {
  // The content frame runs this once, while still the empty document its parent (pre/index.html) made: it
  // keeps that window through fake.html and the document the parent writes into it.
  const inWebview = w => {
    try {
      return w.location.pathname.includes('/webview/browser/pre/');
    } catch {
      return false; // another origin
    }
  };
  if (window.__withoutNewApis || !(inWebview(window) || (window.parent !== window && inWebview(window.parent)))) {
    return;
  }
  const strip = g => {
    const removed = [];
    const drop = (owner, name, label) => {
      if (Object.prototype.hasOwnProperty.call(owner, name)) {
        delete owner[name];
        removed.push(label);
      }
    };
    for (const [ctor, label] of [
      [g.Map, 'Map'],
      [g.WeakMap, 'WeakMap'],
    ]) {
      for (const m of ['getOrInsert', 'getOrInsertComputed', 'getOrInsertComputedKey']) {
        drop(ctor.prototype, m, `${label}.prototype.${m}`);
      }
    }
    drop(g.Math, 'sumPrecise', 'Math.sumPrecise');
    return removed;
  };
  window.__withoutNewApis = { removed: strip(window), workers: 0 };
  const preamble = `(${strip})(self);\n`;
  const createObjectURL = URL.createObjectURL;
  URL.createObjectURL = function (obj) {
    if (obj instanceof Blob && /javascript/.test(obj.type)) {
      window.__withoutNewApis.workers++;
      return createObjectURL.call(URL, new Blob([preamble, obj], { type: obj.type }));
    }
    return createObjectURL.call(URL, obj);
  };
}

let page;
let shotNo = 0;
/** Errors the webview's frames and worker logged (pdf.js logs what failed a page), for the failure message. */
const webviewErrors = [];
let picture;

async function shot(name) {
  shotNo++;
  const file = path.join(SHOTS, `${String(shotNo).padStart(2, '0')}-${name}.png`);
  await wb.parkMouse(page);
  await page.screenshot({ path: file });
  log(`  screenshot ${path.relative(h.REPO, file)}`);
  return file;
}

/** `--pdfjs-build modern`: the proof that the removal bites, the build the extension must not ship in place of the legacy one. */
function usePdfjsBuild(dest, build) {
  if (build !== 'modern') {
    return;
  }
  for (const f of ['pdf.min.mjs', 'pdf.worker.min.mjs']) {
    fs.copyFileSync(
      path.join(h.REPO, 'node_modules', 'pdfjs-dist', 'build', f),
      path.join(dest, 'dist', 'webview', 'pdfjs', f),
    );
  }
  log('  installed the MODERN pdf.js build: the first page must fail to show');
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

/**
 * Waits for the first page's canvas and its text layer; a PDF that fails to show fails at once, with
 * what the panel says.
 */
async function firstPageDrawn(frame, { timeout }) {
  const status = frame.locator('.doc-status');
  await until(
    async () => {
      const said = await status.textContent();
      if (/could not be shown/.test(said)) {
        throw new Error(`the panel says: ${said}`);
      }
      return (await frame.locator('.page canvas').count()) > 0;
    },
    {
      timeout,
      message: async () =>
        `no page drawn; the panel says: ${await status.textContent()}; ` +
        `errors logged: ${webviewErrors.slice(-3).join(' | ') || 'none'}`,
    },
  );
  await until(async () => (await frame.locator('.textLayer span').count()) > 0, {
    timeout: 20000,
    message: 'a page is drawn, but no text layer',
  });
}

/** What withoutNewApis deleted in the review frame, and how many worker scripts it prefixed. */
async function expectOldChromium(frame) {
  const r = await frame.evaluate(() => window.__withoutNewApis);
  if (!r) {
    const where = await frame.evaluate(() => `${location.href} (${typeof Map.prototype.getOrInsertComputed})`);
    throw new Error(`the review frame ${where} ran without the test's init script`);
  }
  if (r.workers < 1) {
    throw new Error("pdf.js's worker did not start from a blob the page made: it ran with every API");
  }
  log(
    `  without ${r.removed.length ? r.removed.join(', ') : '(this Chromium had none of them)'}; ` +
      `${r.workers} worker script(s) likewise`,
  );
}

/** The review panel's marks that are not text, each to differ from what is behind it (see webviewChecks.js). */
const REVIEW_MARKS = {
  'the selected tab': ['vscode-tab-header[aria-selected="true"] >>> .wrapper', ['borderBottom']],
  'the selected field': ['tr.row.selected', ['background', 'outline']],
  'a difference': ['.verdict-differs .words', ['background', 'outline']],
  "the value's place in the PDF": ['.textLayer .match', ['background', 'outline']],
};

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

  const opened = await openWorkbench({
    step,
    tmp,
    cache,
    folder: ws,
    docutray: STEP,
    standIn,
    apiKey,
    headless: !run.headed,
    installed: dest => usePdfjsBuild(dest, PDFJS_BUILD),
  });
  page = opened.page;
  const { server } = opened;
  await opened.browser.context.addInitScript(withoutNewApis);
  page.on('console', m => {
    if (m.type() === 'error' && /pdf|getOrInsert|sumPrecise/i.test(m.text())) {
      webviewErrors.push(m.text().slice(0, 300));
    }
  });
  page.on('pageerror', e => webviewErrors.push(String(e.message).slice(0, 300)));
  const cspViolations = wb.collectCspViolations(page);

  await step('the window opens the repository', async () => {
    await page.goto(h.workbenchUrl(server, ws));
    await wb.explorerRow(page, 'samples').waitFor({ timeout: 60000 });
  });

  await step("the expected file is open (the failure's peek opens there)", async () => {
    await wb.quickOpen(page, path.basename(expectedPath));
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
      // Drawn by pdf.js's legacy build in a page and a worker without what Chromium 132 lacks.
      await firstPageDrawn(frame, { timeout: 60000 });
      log(`  the first page and its text are drawn ${((Date.now() - clicked) / 1000).toFixed(1)} s after the click`);
      await expectOldChromium(frame);
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
    await frame.locator('vscode-tab-header[data-tab="raw"]').click();
    await frame.locator('pre.json').waitFor();
    await shot('raw-json');
    await frame.locator('vscode-tab-header[data-tab="fields"]').click();
  });

  await step(
    'the tabs and the divider (vscode-elements) by keyboard: arrows switch tabs, move the divider',
    async () => {
      // The components rendered, styled by constructable stylesheets under the panel's CSP.
      const styled = await frame.evaluate(() =>
        ['vscode-tabs', 'vscode-tab-header', 'vscode-split-layout'].map(
          n => `${n}: ${document.querySelector(n)?.shadowRoot?.adoptedStyleSheets.length ?? 'no shadow root'}`,
        ),
      );
      if (styled.some(s => !/: [1-9]/.test(s))) {
        throw new Error(`a component has no styles: ${styled.join(', ')}`);
      }
      const tab = k => frame.locator(`vscode-tab-header[data-tab="${k}"]`);
      const expectTab = (key, after) => expectTabShown(frame, until, key, after);
      await tab('fields').focus();
      await page.keyboard.press('ArrowRight');
      await expectTab('raw', 'ArrowRight on Fields');
      if (!(await frame.locator('pre.json').isVisible())) {
        throw new Error('the Raw JSON tab is selected, but its JSON is not shown');
      }
      await page.keyboard.press('ArrowLeft');
      await expectTab('fields', 'ArrowLeft on Raw JSON');
      // Tab goes from the tab to its panel, then into the panel's content.
      const focused = () =>
        frame.evaluate(() => {
          const a = document.activeElement;
          return a?.localName === 'vscode-tab-panel'
            ? `panel ${a.dataset.tab}`
            : `${a?.localName} in ${a?.closest('vscode-tab-panel')?.dataset.tab}`;
        });
      for (const expected of [/^panel fields$/, /^(tr|button) in fields$/]) {
        await page.keyboard.press('Tab');
        const where = await focused();
        if (!expected.test(where)) {
          throw new Error(`Tab from the Fields tab reaches ${where}, not ${expected}`);
        }
      }

      const divider = frame.locator('[role=separator]');
      const at = async () => ({
        now: Number(await divider.getAttribute('aria-valuenow')),
        width: await frame.locator('#document-pane').evaluate(e => e.getBoundingClientRect().width),
      });
      const first = await at();
      await divider.focus();
      await page.keyboard.press('ArrowLeft');
      await page.keyboard.press('ArrowLeft');
      await until(
        async () => {
          const now = await at();
          return now.now === first.now - 10 && now.width < first.width - 40;
        },
        { message: async () => `two ArrowLeft from ${JSON.stringify(first)}: ${JSON.stringify(await at())}` },
      );
      // The mouse drags the component's own handle (in its shadow root, which Playwright's CSS reaches).
      const before = await at();
      const handle = await frame.locator('vscode-split-layout .handle').boundingBox();
      await page.mouse.move(handle.x + handle.width / 2, handle.y + handle.height / 2);
      await page.mouse.down();
      await page.mouse.move(handle.x + handle.width / 2 + 120, handle.y + handle.height / 2, { steps: 8 });
      await page.mouse.up();
      await until(
        async () => {
          const now = await at();
          return now.now > before.now && now.width > before.width + 60;
        },
        { message: async () => `a drag 120 px right from ${JSON.stringify(before)}: ${JSON.stringify(await at())}` },
      );
      // Home to the narrowest document, then two steps: 30 %, kept in the state for the reload below.
      await divider.focus();
      await page.keyboard.press('Home');
      await page.keyboard.press('ArrowRight');
      await page.keyboard.press('ArrowRight');
      await until(async () => (await at()).now === 30, {
        message: async () => `Home, ArrowRight ×2: ${JSON.stringify(await at())}`,
      });
      await shot('divider-by-keyboard');
    },
  );

  await step('axe-core finds nothing serious in the panel, in light, dark and both high-contrast themes', async () => {
    // Each column of the fields' tables is named (the labels the panel is sent); the actions' header is
    // read by a screen reader only.
    const heads = await frame.evaluate(() =>
      [...document.querySelectorAll('table.rows')].map(t =>
        [...t.tHead.rows[0].cells].map(c => ({
          text: c.textContent,
          // The width of what holds the text: the cell's own, or the one element inside it.
          width: (c.firstElementChild ?? c).getBoundingClientRect().width,
        })),
      ),
    );
    for (const head of heads) {
      const texts = head.map(c => c.text).join('|');
      if (texts !== 'Field|Value|Verdict|Actions' || head[3].width > 1 || head.slice(0, 3).some(c => c.width <= 1)) {
        throw new Error(`a fields table's header: ${JSON.stringify(head)}`);
      }
    }
    const unnamed = (await axeViolations(frame)).filter(v => v.id === 'empty-table-header');
    if (unnamed.length) {
      throw new Error(`axe-core finds table headers without a name: ${JSON.stringify(unnamed)}`);
    }
    await frame.locator('tr.row[data-path="total"] th').click();
    await frame.locator('.textLayer .match').first().waitFor();
    const notes = [];
    for (const theme of THEMES) {
      await setTheme(page, frame, theme, until);
      await shot(`theme-${theme.file}`);
      const gone = await vanishedMarks(frame, REVIEW_MARKS);
      if (gone.length) {
        throw new Error(`in ${theme.label}, these cannot be seen: ${gone.join(', ')}`);
      }
      notes.push(await expectNoSeriousFindings(frame, `the review panel (${theme.label})`));
      await frame.locator('vscode-tab-header[data-tab="raw"]').click();
      notes.push(await expectNoSeriousFindings(frame, `its Raw JSON tab (${theme.label})`));
      await frame.locator('vscode-tab-header[data-tab="fields"]').click();
    }
    await setTheme(page, frame, THEMES[0], until);
    for (const n of notes) {
      log(`  ${n}`);
    }
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
    await firstPageDrawn(frame, { timeout: 90000 });
    // The divider where the keyboard left it.
    const split = await frame.locator('[role=separator]').getAttribute('aria-valuenow');
    if (split !== '30') {
      throw new Error(`after the reload the divider is at ${split} %, not 30 %`);
    }
    await shot('restored');
  });

  await step('the restored page painted its saved fields first, then the model replaced them all', async () => {
    const seen = await frame.evaluate(() => {
      const mark = performance.getEntriesByName('docutray:snapshot')[0];
      return {
        snapshot: mark && { startTime: mark.startTime, rows: mark.detail?.rows },
        model: performance.getEntriesByName('docutray:model')[0]?.startTime,
        pending: document.querySelectorAll('tr.row.pending').length,
        restored: document.getElementById('app').dataset.restored ?? null,
      };
    });
    // The mark is made only where the page's HTML, written by the host from the state, carried the fields.
    if (!seen.snapshot || !(seen.snapshot.rows > 0)) {
      throw new Error("the restored page's HTML did not carry the fields kept in its state before its model came");
    }
    if (!(seen.model > seen.snapshot.startTime)) {
      throw new Error('the model did not come after the snapshot');
    }
    if (seen.pending || seen.restored !== null) {
      throw new Error(`after the model, ${seen.pending} rows still wait for their verdict (${seen.restored})`);
    }
    log(`  ${seen.snapshot.rows} fields painted from the state in the page's HTML, then replaced by the model`);
  });

  await step('no Content Security Policy violation in any frame', async () => {
    if (cspViolations.length) {
      throw new Error(`the console reports:\n  ${cspViolations.join('\n  ')}`);
    }
  });

  if (process.env.DOCUTRAY_UPDATE_DOCS === '1') {
    fs.copyFileSync(picture, README_IMAGE);
    log(`copied ${path.relative(h.REPO, picture)} to ${path.relative(h.REPO, README_IMAGE)}`);
  }
}

run.run(main, { pages: () => ({ '': page }), shots: SHOTS });
