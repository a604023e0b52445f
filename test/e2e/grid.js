#!/usr/bin/env node
// The batch panel (a batch as a grid, and its field accuracy) in the real VS Code web workbench
// (code-server 4.139.1) and Debian's chromium, against the DocuTray stand-in, driven as a person does:
//   - a folder of four invoices, three with expected results; the step's answers make two of them fail
//     (a total, a vendor's name); the folder is run from the Explorer;
//   - Open as Grid on the batch in the Runs view shows one row per document, failed cells marked with
//     an icon and a word;
//   - a click on a header sorts (aria-sort), Enter on it sorts the other way; "Only failing" keeps the
//     two failing invoices; arrows, Home/End and PageDown move the one focused cell (roving tabindex);
//   - in a narrow window the rows and the header draw only the columns in view, in order, with
//     aria-colcount and aria-colindex; arrows, Home and End reach the last column, which is drawn and focused;
//   - Enter on the failed total opens the review panel at that document and field;
//   - the tabs (vscode-tabs) switch with the arrow keys, and Tab goes from a tab into its panel's grid;
//   - the Accuracy tab lists the fields worst first with "n of m" and a bar;
//   - axe-core finds nothing serious or critical in the grid and in the Accuracy tab, in light, dark and
//     both high-contrast themes, and the marks that are not text (a failed cell, the selected tab, the
//     focused cell, a bar) stay visible in each;
//   - a second folder of MAX_NAMED + 4 invoices, all with a differing total: the Accuracy tab names ten of
//     them and says "and N more" for all the others, those the model names and those it only counts;
//   - no frame reports a Content Security Policy violation.
// Screenshots: test-output/e2e-grid/ (DOCUTRAY_UPDATE_DOCS=1 copies the grid's to docs/images/grid.png).
// It builds nothing itself: `npm run test:e2e:grid` compiles and bundles.
//
// usage: node test/e2e/grid.js [--timeout SEC] [--headed]
// exit:  0 passed, 1 failed (the stage is named), 2 timeout, 130 SIGINT
'use strict';
/* global document, getComputedStyle */ // the page's, in functions that run in the browser
const crypto = require('crypto');
const fs = require('fs');
const path = require('path');
const h = require('../../real-vscode/code-server');
const { makePdf } = require('../../real-vscode/workspace');
const wb = require('./workbench');
const { script } = require('./script');
const { openWorkbench } = require('./session');
const { expectNoSeriousFindings } = require('./axe');
const { THEMES, expectTabShown, setTheme, vanishedMarks } = require('./webviewChecks');

const run = script('GRID E2E', { logName: 'grid', defaultTimeoutS: 300 });
const { log, step, until } = run;
const SHOTS = path.join(h.REPO, 'test-output', 'e2e-grid');
const README_IMAGE = path.join(h.REPO, 'docs', 'images', 'grid.png');

const STEP = { id: 'invoice-extract', name: 'Invoice extract' };
const result = (n, total, vendor) => ({
  invoice_number: `INV-00${n}`,
  line_items: [{ amount: total, description: 'Consulting' }],
  total,
  vendor: { name: vendor },
});
/** What the step answers now, and what was recorded (undefined: no expected file). */
const DOCS = [
  { file: 'invoice-1.pdf', now: result(1, 300, 'Northwind'), recorded: result(1, 300, 'Northwind') },
  { file: 'invoice-2.pdf', now: result(2, 1200, 'Contoso'), recorded: result(2, 1452, 'Contoso') },
  { file: 'invoice-3.pdf', now: result(3, 80, 'FABRIKAM LTD'), recorded: result(3, 80, 'Fabrikam') },
  { file: 'invoice-4.pdf', now: result(4, 45, 'Litware') },
];
/**
 * The second folder: more documents differing in one field than the accuracy summary names (MAX_NAMED,
 * src/core/review/accuracy.ts), each with an expected total the step no longer gives.
 */
const BULK = Array.from({ length: 104 }, (_, i) => {
  const n = String(i + 1).padStart(3, '0');
  return { file: `bulk-${n}.pdf`, now: result(`B${n}`, 10, 'Bulk'), recorded: result(`B${n}`, 11, 'Bulk') };
});

let page;
let shotNo = 0;
/** The grid's screenshot, for the README. */
let picture;

async function shot(name) {
  shotNo++;
  const file = path.join(SHOTS, `${String(shotNo).padStart(2, '0')}-${name}.png`);
  await wb.parkMouse(page);
  await page.screenshot({ path: file });
  log(`  screenshot ${path.relative(h.REPO, file)}`);
  return file;
}

/** The frame (inside VS Code's webview iframe) that holds `selector`. */
async function frameWith(selector, { timeout = 90000, what = selector } = {}) {
  let found;
  await until(
    async () => {
      for (const f of page.frames()) {
        try {
          if ((await f.locator(selector).count()) > 0) {
            found = f;
            return true;
          }
        } catch {
          // a frame going away
        }
      }
      return false;
    },
    { timeout, message: () => `no ${what} among ${page.frames().length} frames` },
  );
  return found;
}

/** The body rows shown, in order: each as its cells' text. */
async function shownRows(frame) {
  return frame.evaluate(() =>
    [...document.querySelectorAll('.body [role=row]:not([hidden])')]
      .sort((a, b) => Number(a.getAttribute('aria-rowindex')) - Number(b.getAttribute('aria-rowindex')))
      .map(r => [...r.querySelectorAll('[role=gridcell]')].map(c => c.textContent.replace(/\s+/g, ' ').trim())),
  );
}

/** Where the focused cell is: its row (aria-rowindex) and column (aria-colindex), and whether it is the one tab stop. */
async function focusedCell(frame) {
  return frame.evaluate(() => {
    const a = document.activeElement;
    const row = a?.closest('[role=row]');
    return {
      row: Number(row?.getAttribute('aria-rowindex')),
      column: Number(a?.getAttribute('aria-colindex')),
      tabStop: a?.getAttribute('tabindex') === '0',
      tabStops: document.querySelectorAll('[role=grid] [tabindex="0"]').length,
    };
  });
}

const GRID_MARKS = {
  'the selected tab': ['vscode-tab-header[aria-selected="true"] >>> .wrapper', ['borderBottom']],
  'a failed cell': ['.cell.marked', ['background', 'outline']],
  'the focused cell': ['.body .cell:focus', ['outline']],
};
const ACCURACY_MARKS = {
  'the selected tab': ['vscode-tab-header[aria-selected="true"] >>> .wrapper', ['borderBottom']],
  "a bar's track": ['.bar', ['borderTop'], 3],
  "a bar's fill": ['.bar-fill', ['background'], 3],
};

/** The focused (failed) cell's outline and a failed cell's without focus: they must not look the same. */
async function focusOutlines(frame) {
  return frame.evaluate(() => {
    const outline = e => {
      const s = getComputedStyle(e);
      return `${s.outlineStyle} ${s.outlineWidth} ${s.outlineColor}`;
    };
    const focused = document.querySelector('.body .cell.marked:focus');
    const other = document.querySelector('.body .cell.marked:not(:focus)');
    return { focused: focused && outline(focused), other: other && outline(other) };
  });
}

async function main() {
  h.installSignalHandlers();
  const cache = h.locateCache();
  h.requireBuilt([
    'dist/extension.js',
    'dist/batch-panel.js',
    'dist/webview/grid.js',
    'dist/review.js',
    'out/src/core/expected/expectedFile.js',
  ]);
  fs.mkdirSync(SHOTS, { recursive: true });
  const tmp = h.createRunDir('docutray-grid-');
  const apiKey = `dt-test-${crypto.randomBytes(6).toString('hex')}`;
  const standIn = await step('starting the DocuTray stand-in', () => h.startStandIn(apiKey));
  standIn.standIn.setSteps({
    id: STEP.id,
    name: STEP.name,
    enqueuedMs: 100,
    processingMs: 200,
    outcome: { status: 'SUCCESS', data: {} },
    outcomeByFile: Object.fromEntries([...DOCS, ...BULK].map(d => [d.file, { status: 'SUCCESS', data: d.now }])),
  });

  const ws = path.join(tmp, 'invoices-repo');
  fs.mkdirSync(path.join(ws, 'samples'), { recursive: true });
  fs.mkdirSync(path.join(ws, 'bulk'), { recursive: true });
  const { serializeExpected } = require(path.join(h.REPO, 'out', 'src', 'core', 'expected', 'expectedFile.js'));
  for (const d of [...DOCS, ...BULK]) {
    const pdf = makePdf([d.now.vendor.name, d.now.invoice_number, `Total ${d.now.total}`]);
    const docPath = path.join(ws, d.file.startsWith('bulk-') ? 'bulk' : 'samples', d.file);
    fs.writeFileSync(docPath, pdf);
    if (d.recorded) {
      fs.writeFileSync(
        `${docPath}.${STEP.id}.expected.json`,
        serializeExpected({
          stepId: STEP.id,
          document: d.file,
          sha256: crypto.createHash('sha256').update(pdf).digest('hex'),
          result: d.recorded,
        }),
      );
    }
  }

  const opened = await openWorkbench({
    step,
    tmp,
    cache,
    folder: ws,
    docutray: STEP,
    settings: {
      'docutray.maxConcurrentRuns': 16,
    },
    standIn,
    apiKey,
    headless: !run.headed,
  });
  page = opened.page;
  const { server } = opened;
  const cspViolations = wb.collectCspViolations(page);

  await step('the window opens the repository', async () => {
    await page.goto(h.workbenchUrl(server, ws));
    await wb.explorerRow(page, 'samples').waitFor({ timeout: 60000 });
  });

  await step('the folder runs from the Explorer: four invoices', async () => {
    const item = await wb.openExplorerMenu(page, 'samples', { expect: 'Run DocuTray Step…' });
    await wb.clickMenuItem(page, item);
    await wb.pick(page, STEP.name);
    const dialog = page.locator('.monaco-dialog-box').filter({ hasText: /4 documents/ });
    await dialog.waitFor({ timeout: 30000 });
    await dialog.getByRole('button', { name: 'Run', exact: true }).click();
    await until(() => standIn.standIn.executions().filter(e => e.status === 'SUCCESS').length >= 4, {
      timeout: 60000,
      message: () => `executions: ${JSON.stringify(standIn.standIn.executions().map(e => e.status))}`,
    });
  });

  let frame;
  await step('Open as Grid on the batch in the Runs view: one row per document, failed cells marked', async () => {
    const sidebar = page.locator('.part.sidebar');
    const batch = wb.treeRow(page, /^samples\//, null, sidebar);
    await wb.showViewContainer(page, 'DocuTray', batch);
    // Until the batch has read back its last result the view refreshes its row, and a command picked from
    // the row's menu during a refresh gets no row (VS Code's handle for it is gone): wait for the end.
    await until(async () => /4 of 4/.test(await batch.textContent()), {
      timeout: 60000,
      message: async () => `the batch says: ${wb.norm(await batch.textContent())}`,
    });
    const item = await wb.openRowMenu(page, batch, 'Open as Grid', { what: 'the batch of samples/' });
    await wb.clickMenuItem(page, item);
    frame = await frameWith('#app[data-ready="true"]', { what: 'grid webview' });
    const grid = frame.locator('[role=grid]');
    if ((await grid.getAttribute('aria-rowcount')) !== '5') {
      throw new Error(`aria-rowcount is ${await grid.getAttribute('aria-rowcount')}`);
    }
    // The panel draws a new model when a result or an expected file changes: read the rows once it has.
    const rows = await until(
      async () => {
        const shown = await shownRows(frame);
        return shown.length === 4 && (await frame.locator('#app').getAttribute('data-ready')) === 'true' && shown;
      },
      { timeout: 15000, message: async () => `rows: ${JSON.stringify(await shownRows(frame))}` },
    );
    const inv2 = rows.find(r => r[0].endsWith('invoice-2.pdf'));
    // file, status, check, invoice_number, line_items, total, vendor.name
    if (!/1 item/.test(inv2[4]) || !/✗ differs ?1200$/.test(inv2[5])) {
      throw new Error(`invoice-2's row: ${JSON.stringify(inv2)}`);
    }
    const marked = await frame.locator('.cell.marked').count();
    if (marked !== 3) {
      // invoice-2: total and line_items (its amount); invoice-3: vendor.name.
      throw new Error(`${marked} cells are marked`);
    }
    // The README's picture: the grid alone, every column in view, no toast over it.
    const palette = page.locator('.quick-input-widget');
    await wb.runFromPalette(page, 'Notifications: Clear All Notifications');
    await palette.waitFor({ state: 'hidden' });
    await wb.runFromPalette(page, 'View: Toggle Primary Side Bar Visibility');
    await page.locator('.part.sidebar').waitFor({ state: 'hidden' });
    await until(
      async () =>
        frame.evaluate(() => {
          const s = document.querySelector('.scroller');
          return s.scrollWidth <= s.clientWidth;
        }),
      { message: 'the grid is wider than the editor without the side bar' },
    );
    picture = await shot('grid');
    await palette.waitFor({ state: 'hidden' });
    await wb.runFromPalette(page, 'View: Toggle Primary Side Bar Visibility');
    await page.locator('.part.sidebar').waitFor();
  });

  await step('a header click sorts ascending, Enter on it descending (aria-sort)', async () => {
    const totalHeader = frame.locator('[role=columnheader]', { hasText: /^total/ });
    await totalHeader.click();
    if ((await totalHeader.getAttribute('aria-sort')) !== 'ascending') {
      throw new Error(`aria-sort is ${await totalHeader.getAttribute('aria-sort')}`);
    }
    let totals = (await shownRows(frame)).map(r => Number(r[5].replace(/[^\d.]/g, '')));
    if (totals.join() !== '45,80,300,1200') {
      throw new Error(`ascending totals: ${totals}`);
    }
    await page.keyboard.press('Enter');
    await until(async () => (await totalHeader.getAttribute('aria-sort')) === 'descending', {
      message: 'Enter on the header did not sort descending',
    });
    totals = (await shownRows(frame)).map(r => Number(r[5].replace(/[^\d.]/g, '')));
    if (totals.join() !== '1200,300,80,45') {
      throw new Error(`descending totals: ${totals}`);
    }
  });

  await step('"Only failing" keeps the two failing invoices; the text filter narrows further', async () => {
    await frame.locator('.only-failing input').check();
    const failing = (await shownRows(frame)).map(r => path.basename(r[0]));
    if (failing.join() !== 'invoice-2.pdf,invoice-3.pdf') {
      throw new Error(`only failing: ${failing}`);
    }
    await frame.locator('input.filter').fill('fabrikam');
    const filtered = (await shownRows(frame)).map(r => path.basename(r[0]));
    if (filtered.join() !== 'invoice-3.pdf') {
      throw new Error(`filtered: ${filtered}`);
    }
    await frame.locator('input.filter').fill('');
    await shot('only-failing');
  });

  await step('the keyboard moves the one focused cell: arrows, Home/End, PageDown', async () => {
    await frame.locator('.body [role=row][aria-rowindex="2"] [role=gridcell][aria-colindex="1"]').click();
    let at = await focusedCell(frame);
    if (at.row !== 2 || at.column !== 1 || !at.tabStop || at.tabStops !== 1) {
      throw new Error(`after the click: ${JSON.stringify(at)}`);
    }
    await page.keyboard.press('End');
    at = await focusedCell(frame);
    if (at.column !== 7) {
      throw new Error(`after End: ${JSON.stringify(at)}`);
    }
    await page.keyboard.press('Home');
    await page.keyboard.press('ArrowDown');
    await page.keyboard.press('ArrowRight');
    at = await focusedCell(frame);
    if (at.row !== 3 || at.column !== 2 || at.tabStops !== 1) {
      throw new Error(`after Home, ArrowDown, ArrowRight: ${JSON.stringify(at)}`);
    }
    await page.keyboard.press('PageDown');
    at = await focusedCell(frame);
    if (at.row !== 3) {
      throw new Error(`PageDown past the last of two rows: ${JSON.stringify(at)}`);
    }
    await page.keyboard.press('ArrowUp');
    await page.keyboard.press('ArrowUp');
    at = await focusedCell(frame);
    if (at.row !== 1) {
      throw new Error(`ArrowUp twice from the second row reaches the header: ${JSON.stringify(at)}`);
    }
  });

  await step(
    'in a narrow editor only the columns in view are drawn, and the keyboard reaches the last one',
    async () => {
      // A narrow window: the editor shows some 350 px of the grid's 1,110, so its rows draw only some columns.
      await page.setViewportSize({ width: 760, height: 860 });
      const drawn = () =>
        frame.evaluate(() => {
          const rows = [...document.querySelectorAll('.body [role=row]:not([hidden])')];
          const head = [...document.querySelectorAll('[role=columnheader]')];
          const cols = el => Number(el.getAttribute('aria-colindex'));
          return {
            colcount: document.querySelector('[role=grid]').getAttribute('aria-colcount'),
            header: head.map(cols),
            headerNames: head.map(h => h.textContent),
            rows: rows.map(r => [...r.querySelectorAll('[role=gridcell]')].map(cols)),
          };
        });
      let d;
      await until(async () => (d = await drawn()).header.length < 7, {
        message: () => `the narrow grid still draws every column: ${JSON.stringify(d)}`,
      });
      const inOrder = cs => cs.every((c, i) => i === 0 || c === cs[i - 1] + 1);
      const check = (what, first, last) => {
        if (d.colcount !== '7') {
          throw new Error(`${what}: aria-colcount is ${d.colcount}`);
        }
        // The header and every row draw the same columns, in order, from `first` to at least `last`.
        for (const cs of [d.header, ...d.rows]) {
          if (!inOrder(cs) || cs[0] !== first || cs[cs.length - 1] < last || cs.length !== d.header.length) {
            throw new Error(`${what}: drawn columns ${JSON.stringify(d)}`);
          }
        }
      };
      await frame.locator('.body [role=row][aria-rowindex="2"] [role=gridcell][aria-colindex="1"]').click();
      d = await drawn();
      check('at the first column', 1, 2);
      if (d.header.includes(7)) {
        throw new Error(`the last column is drawn while the first is in view: ${JSON.stringify(d)}`);
      }
      // Arrow keys to a column out of view scroll it in: its cell is drawn and focused.
      for (let i = 0; i < 6; i++) {
        await page.keyboard.press('ArrowRight');
      }
      let at = await focusedCell(frame);
      d = await drawn();
      if (at.row !== 2 || at.column !== 7 || !at.tabStop || at.tabStops !== 1) {
        throw new Error(`after six ArrowRight: ${JSON.stringify(at)}`);
      }
      check('at the last column', d.header[0], 7);
      if (d.header.includes(1) || d.headerNames[d.header.indexOf(7)] !== 'vendor.name') {
        throw new Error(`at the last column, the header draws ${JSON.stringify(d)}`);
      }
      // Row 2 is invoice-2 (only failing, by total descending): its vendor's name, drawn in the recycled cell.
      const text = await frame.evaluate(() => document.activeElement.textContent);
      if (text !== 'Contoso') {
        throw new Error(`the focused last cell says ${JSON.stringify(text)}`);
      }
      await page.keyboard.press('Home');
      at = await focusedCell(frame);
      d = await drawn();
      if (at.column !== 1 || !at.tabStop || at.tabStops !== 1) {
        throw new Error(`after Home: ${JSON.stringify(at)}`);
      }
      check('back at the first column', 1, 2);
      await page.keyboard.press('End');
      at = await focusedCell(frame);
      if (at.column !== 7 || at.tabStops !== 1) {
        throw new Error(`after End in the narrow grid: ${JSON.stringify(at)}`);
      }
      await shot('narrow-grid-last-column');
      await page.keyboard.press('Home');
      await page.setViewportSize({ width: 1400, height: 860 });
      await until(async () => (await drawn()).header.length === 7, {
        message: 'the wide grid draws every column again',
      });
    },
  );

  await step('Enter on the failed total opens the review panel at that document and field', async () => {
    // Row 2 (the first shown: invoice-2 sorted by total descending among the failing), column 6 (total).
    await frame.locator('.body [role=row][aria-rowindex="2"] [role=gridcell][aria-colindex="6"]').click();
    const cell = await focusedCell(frame);
    if (cell.row !== 2 || cell.column !== 6) {
      throw new Error(`focused: ${JSON.stringify(cell)}`);
    }
    await page.keyboard.press('Enter');
    const review = await frameWith('tr.row.selected[data-path="total"]', { what: 'review panel at the total' });
    const title = wb.norm(await review.locator('.title').textContent());
    if (title !== 'invoice-2.pdf') {
      throw new Error(`the review shows ${title}`);
    }
    await shot('review-from-grid');
  });

  await step('the Accuracy tab lists the fields worst first, "n of m" and a bar', async () => {
    await wb.tabWithText(page, 'Grid: samples/').click();
    frame = await frameWith('#app[data-ready="true"]', { what: 'grid webview again' });
    // By keyboard, through vscode-tabs: the arrows select (and focus) the other tab and show its panel.
    const expectTab = (key, after) => expectTabShown(frame, until, key, after);
    await frame.locator('vscode-tab-header[data-tab="grid"]').focus();
    await page.keyboard.press('ArrowRight');
    await expectTab('accuracy', 'ArrowRight on Grid');
    await page.keyboard.press('ArrowLeft');
    await expectTab('grid', 'ArrowLeft on Accuracy');
    // From the tab, Tab reaches its panel, then the grid's one tab stop after the filter and "Only failing".
    for (const expected of ['panel', 'filter', 'checkbox', 'grid']) {
      await page.keyboard.press('Tab');
      const where = await frame.evaluate(() => {
        const a = document.activeElement;
        return a?.localName === 'vscode-tab-panel'
          ? 'panel'
          : a?.closest('[role=grid]')
            ? 'grid'
            : a?.classList.contains('filter')
              ? 'filter'
              : a?.type;
      });
      if (where !== expected) {
        throw new Error(`Tab from the Grid tab reaches ${where} where ${expected} comes`);
      }
    }
    for (let i = 0; i < 4; i++) {
      await page.keyboard.press('Shift+Tab');
    }
    await page.keyboard.press('ArrowRight');
    await expectTab('accuracy', 'Shift+Tab back to the Grid tab, ArrowRight');
    const rows = await frame.evaluate(() =>
      [...document.querySelectorAll('tr.field-row')].map(r => ({
        field: r.getAttribute('data-field'),
        match: r.querySelector('.match-text').textContent,
        bar: r.querySelector('.bar-fill').style.width,
        docs: [...r.querySelectorAll('.doc-link')].map(a => a.textContent),
      })),
    );
    log(`  accuracy: ${JSON.stringify(rows)}`);
    const worst = rows.slice(0, 3).map(r => r.field);
    for (const f of ['total', 'vendor.name', 'line_items[*].amount']) {
      if (!worst.includes(f)) {
        throw new Error(`the three worst fields are ${worst}`);
      }
    }
    const total = rows.find(r => r.field === 'total');
    if (
      total.match !== '2 of 3' ||
      Math.round(parseFloat(total.bar)) !== 67 ||
      total.docs.join() !== 'samples/invoice-2.pdf'
    ) {
      throw new Error(`the total's row: ${JSON.stringify(total)}`);
    }
    if (rows.at(-1).match !== '3 of 3') {
      throw new Error(`the last row: ${JSON.stringify(rows.at(-1))}`);
    }
    await shot('accuracy');
  });

  await step(
    'axe-core finds nothing serious in the grid and the Accuracy tab, in light, dark and both high-contrast themes',
    async () => {
      const notes = [];
      for (const theme of THEMES) {
        await setTheme(page, frame, theme, until);
        await frame.locator('vscode-tab-header[data-tab="grid"]').click();
        await frame.locator('.body [role=row][aria-rowindex="2"] .cell.marked').first().click();
        await shot(`theme-${theme.file}-grid`);
        let gone = await vanishedMarks(frame, GRID_MARKS);
        if (gone.length) {
          throw new Error(`in ${theme.label}, these cannot be seen in the grid: ${gone.join(', ')}`);
        }
        const outlines = await focusOutlines(frame);
        if (!outlines.focused || !outlines.other || outlines.focused === outlines.other) {
          throw new Error(`in ${theme.label}, the focus on a failed cell does not show: ${JSON.stringify(outlines)}`);
        }
        notes.push(await expectNoSeriousFindings(frame, `the grid (${theme.label})`));
        await frame.locator('vscode-tab-header[data-tab="accuracy"]').click();
        await shot(`theme-${theme.file}-accuracy`);
        gone = await vanishedMarks(frame, ACCURACY_MARKS);
        if (gone.length) {
          throw new Error(`in ${theme.label}, these cannot be seen in the Accuracy tab: ${gone.join(', ')}`);
        }
        notes.push(await expectNoSeriousFindings(frame, `the Accuracy tab (${theme.label})`));
      }
      await setTheme(page, frame, THEMES[0], until);
      for (const n of notes) {
        log(`  ${n}`);
      }
    },
  );

  await step(
    `a folder of ${BULK.length} differing totals: the Accuracy tab names ten and says "and N more" for the rest`,
    async () => {
      const before = standIn.standIn.executions().filter(e => e.status === 'SUCCESS').length;
      await wb.showViewContainer(page, 'Explorer', wb.explorerRow(page, 'bulk'));
      const item = await wb.openExplorerMenu(page, 'bulk', { expect: 'Run DocuTray Step…' });
      await wb.clickMenuItem(page, item);
      await wb.pick(page, STEP.name);
      const dialog = page.locator('.monaco-dialog-box').filter({ hasText: new RegExp(`${BULK.length} documents`) });
      await dialog.waitFor({ timeout: 30000 });
      await dialog.getByRole('button', { name: 'Run', exact: true }).click();
      await until(
        () => standIn.standIn.executions().filter(e => e.status === 'SUCCESS').length >= before + BULK.length,
        {
          timeout: 180000,
          message: () =>
            `${standIn.standIn.executions().filter(e => e.status === 'SUCCESS').length - before} of ${BULK.length} done`,
        },
      );
      const sidebar = page.locator('.part.sidebar');
      const batch = wb.treeRow(page, /^bulk\//, null, sidebar);
      await wb.showViewContainer(page, 'DocuTray', batch);
      // The batch ends after its last execution has been read back: until then the grid would show fewer,
      // and the row's menu could act on a row the view has just replaced (see the first grid above).
      await until(async () => new RegExp(`${BULK.length} of ${BULK.length}`).test(await batch.textContent()), {
        timeout: 60000,
        message: async () => `the batch says: ${wb.norm(await batch.textContent())}`,
      });
      const item2 = await wb.openRowMenu(page, batch, 'Open as Grid', { what: 'the batch of bulk/' });
      await wb.clickMenuItem(page, item2);
      frame = await frameWith(`#app[data-ready="true"] [role=grid][aria-rowcount="${BULK.length + 1}"]`, {
        what: 'the grid of bulk/',
      });
      await frame.locator('vscode-tab-header[data-tab="accuracy"]').click();
      const total = await frame.evaluate(() => {
        const r = document.querySelector('tr.field-row[data-field="total"]');
        return {
          match: r.querySelector('.match-text').textContent,
          cells: [...r.querySelectorAll('td.num')].map(c => Number(c.textContent)),
          named: r.querySelectorAll('.doc-link').length,
          more: r.querySelector('.more')?.textContent,
        };
      });
      log(`  total: ${JSON.stringify(total)}`);
      const named = total.named;
      // compared, differs, missing, extra; every document differing is named or counted in "and N more".
      if (
        total.match !== `0 of ${BULK.length}` ||
        total.cells.join() !== `${BULK.length},${BULK.length},0,0` ||
        named !== 10 ||
        total.more !== `and ${BULK.length - named} more`
      ) {
        throw new Error(`the total's row: ${JSON.stringify(total)}`);
      }
      await shot('accuracy-more');
    },
  );

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
