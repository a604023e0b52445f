#!/usr/bin/env node
// Benchmark (not a test: it prints numbers and ratios, it asserts nothing) of the review panel's targets,
// in the real VS Code web workbench (code-server) and Debian's chromium, through the browser-test harness:
//   - fields visible after the panel opens: the webview frame's first contentful paint (the fields are
//     its first content), on the frame's own clock, which starts when the workbench creates the frame;
//   - the first page of a 1-page and of a 20-page PDF drawn (a canvas in the page), on the same clock,
//     each opened ROUNDS times, alternating, so both see the same load: medians and their ratio;
//   - a value that is only on page 20 found by the panel's text search (click to "Found on page 20"):
//     the first search of the document (reads all 20 pages' text) and a repeat, with the longest
//     main-thread task the frame saw meanwhile (Long Tasks API);
//   - restore: after a window reload the panel comes back; its frame's first contentful paint;
//   - memory: the JS heap of the page that holds the webview's frame (CDP Performance.getMetrics, after a
//     garbage collection) with no review open, then with the 20-page PDF's review scrolled top to bottom,
//     and the largest heap seen while scrolling; pdf.js's worker and the pages' canvases are not JS heap.
// Run it alone: the machine's load shows in every number.
//
// usage: npm run -s compile-tests && node esbuild.mjs && node bench/review-panel.js [--rounds N] [--headed]
'use strict';
/* global document, requestAnimationFrame -- what runs in the webview frame */
const crypto = require('crypto');
const fs = require('fs');
const path = require('path');
const h = require('../real-vscode/code-server');
const wb = require('../test/e2e/workbench');
const { script } = require('../test/e2e/script');
const { openWorkbench } = require('../test/e2e/session');

const run = script('REVIEW PANEL BENCH', { logName: 'bench-review', defaultTimeoutS: 900 });
const { log, step, until } = run;
const ROUNDS = Number(run.argv.includes('--rounds') ? run.argv[run.argv.indexOf('--rounds') + 1] : 5);
/**
 * `--throttle N` slows the page's CPU N times (CDP Emulation.setCPUThrottlingRate) during the search only:
 * to find which task of the search grows long (its long animation frames name the scripts), not to measure.
 */
const THROTTLE = Number(run.argv.includes('--throttle') ? run.argv[run.argv.indexOf('--throttle') + 1] : 1);
const STEP = { id: 'invoice-extract', name: 'Invoice extract' };
const DATA = { invoice_number: 'INV-2040', total: 9876.54, vendor: { name: 'Contoso Pharmaceuticals' } };

/** A PDF of several pages of text lines (Helvetica, A4), as makePdf in real-vscode/workspace.js makes one. */
function makePages(pages) {
  const esc = s => s.replace(/[()\\]/g, '\\$&');
  const n = pages.length;
  const objs = [
    '<< /Type /Catalog /Pages 2 0 R >>',
    `<< /Type /Pages /Kids [${pages.map((_, i) => `${4 + 2 * i} 0 R`).join(' ')}] /Count ${n} >>`,
    '<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>',
  ];
  pages.forEach((lines, i) => {
    const stream = `BT /F1 11 Tf 16 TL 56 790 Td ${lines.map(l => `(${esc(l)}) Tj T*`).join(' ')} ET`;
    objs.push(
      `<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents ${5 + 2 * i} 0 R /Resources << /Font << /F1 3 0 R >> >> >>`,
      `<< /Length ${Buffer.byteLength(stream, 'latin1')} >>\nstream\n${stream}\nendstream`,
    );
  });
  let out = '%PDF-1.4\n';
  const offsets = objs.map((o, i) => {
    const at = Buffer.byteLength(out, 'latin1');
    out += `${i + 1} 0 obj\n${o}\nendobj\n`;
    return at;
  });
  const xref = Buffer.byteLength(out, 'latin1');
  out += `xref\n0 ${objs.length + 1}\n0000000000 65535 f \n`;
  out += offsets.map(o => `${String(o).padStart(10, '0')} 00000 n \n`).join('');
  out += `trailer\n<< /Size ${objs.length + 1} /Root 1 0 R >>\nstartxref\n${xref}\n%%EOF\n`;
  return Buffer.from(out, 'latin1');
}

/** Page n of a plausible long document: 40 lines of items, none of them the total. */
function filler(n) {
  return Array.from({ length: 40 }, (_, i) => `Item ${n}-${i + 1} Batch L${1000 + n * 40 + i} qty ${(i % 7) + 1}`);
}

const median = xs => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const ms = x => `${Math.round(x)} ms`;

let page;

/** The review webview's content frame showing `doc` (its header names the document). */
async function reviewFrame(doc, { timeout = 90000 } = {}) {
  let found;
  await until(
    async () => {
      for (const f of page.frames()) {
        try {
          if ((await f.locator('#app .title', { hasText: doc }).count()) > 0) {
            found = f;
            return true;
          }
        } catch {
          // a frame going away
        }
      }
      return false;
    },
    { timeout, interval: 50, message: () => `no review webview for ${doc}` },
  );
  return found;
}

/** The frame's first contentful paint and when its first page canvas appeared, on the frame's clock. */
async function frameTimes(frame) {
  const firstPage = await (
    await frame.waitForFunction(() => document.querySelector('.page canvas') && performance.now(), null, {
      polling: 'raf',
      timeout: 120000,
    })
  ).jsonValue();
  const fields = await frame.evaluate(
    () => performance.getEntriesByName('first-contentful-paint')[0]?.startTime ?? Number.NaN,
  );
  return { fields, firstPage };
}

/**
 * Where a restored panel's time goes, on one clock (epoch ms, from each document's performance.timeOrigin):
 * the reload, the workbench page's start, the webview's outer frame (the workbench creates it), the inner
 * frame (created when the host's HTML arrives), then inside it: its HTML, its stylesheet and script fetched,
 * the script running, the snapshot painted, the first contentful paint, and the host's model.
 */
async function restoreBreakdown(frame, reloadAt) {
  const pageOrigin = await page.evaluate(() => performance.timeOrigin);
  const outer = frame.parentFrame();
  const outerOrigin = outer ? await outer.evaluate(() => performance.timeOrigin).catch(() => Number.NaN) : Number.NaN;
  const inner = await frame.evaluate(() => {
    const mark = n => performance.getEntriesByName(n)[0]?.startTime ?? Number.NaN;
    const nav = performance.getEntriesByType('navigation')[0];
    const res = n => performance.getEntriesByType('resource').find(r => r.name.split('?')[0].endsWith(n));
    return {
      origin: performance.timeOrigin,
      html: nav ? nav.responseEnd : Number.NaN,
      css: res('review.css')?.responseEnd ?? Number.NaN,
      js: res('review.js')?.responseEnd ?? Number.NaN,
      script: mark('docutray:script'),
      snapshot: mark('docutray:snapshot'),
      fcp: mark('first-contentful-paint'),
      model: mark('docutray:model'),
    };
  });
  const r = x => Math.round(x);
  return {
    pageStart: r(pageOrigin - reloadAt),
    outerFrame: r(outerOrigin - reloadAt),
    innerFrame: r(inner.origin - reloadAt),
    inner: Object.fromEntries(
      Object.entries(inner)
        .filter(([k]) => k !== 'origin')
        .map(([k, v]) => [k, r(v)]),
    ),
  };
}

async function closeReviewTabs() {
  for (;;) {
    const t = page.locator('.tabs-container .tab', { hasText: 'Review: ' }).first();
    if (!(await t.count())) {
      return;
    }
    await t.hover();
    await t.locator('.codicon-close, .action-label[aria-label^="Close"]').first().click();
    await page.waitForTimeout(200);
  }
}

/** Opens the review of `doc`'s result from its result editor, as a person does: the editor, then the palette. */
async function openReview(doc) {
  await closeReviewTabs();
  await page.locator('.tabs-container .tab', { hasText: doc }).first().click();
  await wb.runFromPalette(page, 'DocuTray: Review Beside Document');
  const frame = await reviewFrame(doc);
  return { frame, ...(await frameTimes(frame)) };
}

async function main() {
  h.installSignalHandlers();
  const cache = h.locateCache();
  h.requireBuilt(['dist/extension.js', 'dist/review.js', 'dist/webview/review.js']);
  const tmp = h.createRunDir('docutray-bench-review-');
  const apiKey = `dt-bench-${crypto.randomBytes(6).toString('hex')}`;
  const standIn = await step('starting the DocuTray stand-in', () => h.startStandIn(apiKey));
  standIn.standIn.setSteps({
    id: STEP.id,
    name: STEP.name,
    enqueuedMs: 50,
    processingMs: 100,
    outcome: { status: 'SUCCESS', data: DATA },
  });

  const ws = path.join(tmp, 'bench-repo');
  fs.mkdirSync(ws, { recursive: true });
  const docs = { one: 'one-page.pdf', twenty: 'twenty-pages.pdf' };
  fs.writeFileSync(
    path.join(ws, docs.one),
    makePages([['Contoso Pharmaceuticals', 'Invoice INV-2040', ...filler(1).slice(0, 30), 'Total 9.876,54 EUR']]),
  );
  const twenty = Array.from({ length: 20 }, (_, i) => filler(i + 1));
  twenty[0].unshift('Contoso Pharmaceuticals', 'Invoice INV-2040');
  twenty[19].push('Total 9.876,54 EUR');
  fs.writeFileSync(path.join(ws, docs.twenty), makePages(twenty));

  const opened = await openWorkbench({
    step,
    tmp,
    cache,
    folder: ws,
    docutray: STEP,
    settings: {
      'docutray.openResult': 'active',
    },
    standIn,
    apiKey,
    headless: !run.headed,
  });
  page = opened.page;
  const { server } = opened;
  await step('the window opens the folder', async () => {
    await page.goto(h.workbenchUrl(server, ws));
    await wb.explorerRow(page, docs.one).waitFor({ timeout: 60000 });
  });

  for (const doc of [docs.one, docs.twenty]) {
    await step(`Run DocuTray Step on ${doc}: its result opens`, async () => {
      const item = await wb.openExplorerMenu(page, doc, { expect: 'Run DocuTray Step…' });
      await wb.clickMenuItem(page, item);
      const pickRow = wb.quickPickRow(page, STEP.name);
      let picked = false;
      await until(
        async () => {
          // One step configured may still be asked for; pick it once (the closing picker still shows it).
          if (!picked && (await pickRow.isVisible())) {
            picked = true;
            await wb.pick(page, STEP.name);
          }
          return (await page.locator('.tabs-container .tab', { hasText: doc }).count()) > 0;
        },
        { timeout: 60000, message: `no result tab for ${doc}` },
      );
    });
  }

  const times = { [docs.one]: [], [docs.twenty]: [] };
  await step(`open each review ${ROUNDS} times, alternating`, async () => {
    for (let r = 0; r < ROUNDS; r++) {
      for (const doc of [docs.one, docs.twenty]) {
        const t = await openReview(doc);
        times[doc].push(t);
        log(`  ${doc}: fields ${ms(t.fields)}, first page ${ms(t.firstPage)}`);
      }
    }
  });

  const search = [];
  await step('the total, only on page 20, found by the text search', async () => {
    // A new panel with nothing selected has read no page's text yet: the first search reads all 20.
    const { frame } = await openReview(docs.twenty);
    if (await frame.locator('tr.row.selected').count()) {
      throw new Error('a field is selected already: its search has read the pages, the first search would not');
    }
    const cdp = THROTTLE > 1 ? await page.context().newCDPSession(page) : undefined;
    await cdp?.send('Emulation.setCPUThrottlingRate', { rate: THROTTLE });
    for (const pass of ['first search of the document', 'again']) {
      if (pass === 'again') {
        await frame.locator('tr.row[data-path="invoice_number"] th').click();
      }
      const r = await frame.evaluate(async () => {
        const long = [];
        // The webview shares its event loop with the workbench (same origin in code-server): a long task's
        // name says whose it was ('self' for this frame's).
        const obs = new PerformanceObserver(l => long.push(...l.getEntries().map(e => [e.name, e.duration])));
        obs.observe({ type: 'longtask' });
        // Which of the frame's scripts a long frame ran (Long Animation Frames, where the browser has them).
        const frames = [];
        const loaf = new PerformanceObserver(l =>
          frames.push(
            ...l.getEntries().map(e => ({
              duration: Math.round(e.duration),
              blocking: Math.round(e.blockingDuration),
              renderStart: Math.round(e.renderStart ? e.renderStart - e.startTime : 0),
              layout: Math.round(e.styleAndLayoutStart ? e.duration - (e.styleAndLayoutStart - e.startTime) : 0),
              scripts: e.scripts.map(x => ({
                invoker: x.invoker,
                fn: x.sourceFunctionName,
                src: String(x.sourceURL).split('/').pop(),
                at: x.sourceCharPosition,
                duration: Math.round(x.duration),
                forcedLayout: Math.round(x.forcedStyleAndLayoutDuration),
              })),
            })),
          ),
        );
        try {
          loaf.observe({ type: 'long-animation-frame' });
        } catch {
          // not in this browser
        }
        const status = document.querySelector('.doc-status');
        const t0 = performance.now();
        document.querySelector('tr.row[data-path="total"] th').click();
        for (;;) {
          if (/page 20/.test(status.textContent)) {
            break;
          }
          if (performance.now() - t0 > 60000) {
            throw new Error(`the status says: ${status.textContent}`);
          }
          await new Promise(r => requestAnimationFrame(r));
        }
        const took = performance.now() - t0;
        await new Promise(r => setTimeout(r, 100));
        obs.disconnect();
        loaf.disconnect();
        const longest = name =>
          Math.max(0, ...long.filter(([n]) => name === undefined || n === name).map(([, d]) => d));
        return {
          took,
          longest: longest('self'),
          longestAny: longest(),
          status: status.textContent,
          frames: frames.filter(f => f.duration >= 50),
        };
      });
      search.push({ pass, ...r });
      log(`  ${pass}: ${ms(r.took)} ("${r.status}"), longest task ${ms(r.longest)} (any frame's ${ms(r.longestAny)})`);
      for (const f of r.frames) {
        log(`    long animation frame: ${JSON.stringify(f)}`);
      }
    }
    await cdp?.send('Emulation.setCPUThrottlingRate', { rate: 1 });
    await cdp?.detach();
  });

  const memory = {};
  await step('memory: the 20-page review scrolled top to bottom', async () => {
    // The webview's frame runs in the workbench's process here (same origin), so the page's heap holds it.
    const cdp = await page.context().newCDPSession(page);
    await cdp.send('Performance.enable');
    const heap = async collect => {
      if (collect) {
        await cdp.send('HeapProfiler.collectGarbage');
      }
      const { metrics } = await cdp.send('Performance.getMetrics');
      return metrics.find(m => m.name === 'JSHeapUsedSize').value;
    };
    await closeReviewTabs();
    await page.waitForTimeout(1000);
    memory.before = await heap(true);
    memory.peak = memory.before;
    const sample = setInterval(() => {
      heap(false).then(
        v => (memory.peak = Math.max(memory.peak, v)),
        () => undefined,
      );
    }, 100);
    try {
      const { frame } = await openReview(docs.twenty);
      await frame.evaluate(async () => {
        const pane = document.querySelector('.pages');
        pane.scrollTop = 0;
        while (pane.scrollTop + pane.clientHeight < pane.scrollHeight - 1) {
          pane.scrollTop += pane.clientHeight / 2;
          await new Promise(r => setTimeout(r, 150));
        }
        await new Promise(r => setTimeout(r, 1000));
      });
      memory.pages = await frame.evaluate(() => document.querySelectorAll('.page canvas').length);
    } finally {
      clearInterval(sample);
    }
    memory.peak = Math.max(memory.peak, await heap(false));
    memory.after = await heap(true);
    await cdp.detach();
    const mb = b => (b / 2 ** 20).toFixed(1);
    log(
      `  JS heap ${mb(memory.before)} → ${mb(memory.after)} MB (+${mb(memory.after - memory.before)} MB), ` +
        `peak +${mb(memory.peak - memory.before)} MB; ${memory.pages} page canvases kept at the bottom`,
    );
  });

  const restores = [];
  let lost = 0;
  await step(`restore after a window reload, ${Math.min(ROUNDS, 3)} times`, async () => {
    for (let r = 0; r < Math.min(ROUNDS, 3); r++) {
      // The workbench stores its open editors on a timer and when the window unloads; give it the
      // timer's chance, so a reload measures restoring rather than whether the last store made it.
      await page.waitForTimeout(5000);
      const reloadAt = Date.now();
      await page.reload();
      await wb.explorerRow(page, docs.one).waitFor({ timeout: 120000 });
      let frame;
      try {
        frame = await reviewFrame(docs.twenty, { timeout: 60000 });
      } catch {
        lost++;
        log('  the panel did not come back after this reload: opening it again');
        await openReview(docs.twenty);
        continue;
      }
      const t = await frameTimes(frame);
      restores.push(t);
      log(`  restored: fields ${ms(t.fields)}, first page ${ms(t.firstPage)}`);
      log(
        `    breakdown (ms after the reload; inner: ms on the inner frame's clock): ${JSON.stringify(await restoreBreakdown(frame, reloadAt))}`,
      );
    }
  });

  const m1 = median(times[docs.one].map(t => t.firstPage));
  const m20 = median(times[docs.twenty].map(t => t.firstPage));
  const fields = median([...times[docs.one], ...times[docs.twenty]].map(t => t.fields));
  return [
    `review panel, ${ROUNDS} opens of each PDF (medians, on the webview frame's clock):`,
    `  fields visible (first contentful paint)   ${ms(fields)}   target ≤ 300 ms`,
    `  first page, 1-page PDF                   ${ms(m1)}`,
    `  first page, 20-page PDF                  ${ms(m20)}   target ≤ 3000 ms`,
    `  ratio 20-page / 1-page                   ${(m20 / m1).toFixed(2)}   target ≤ 1.15`,
    ...search.map(
      s =>
        `  value on page 20 found, ${s.pass}: ${ms(s.took)}, longest task ${ms(s.longest)} (any frame's ${ms(s.longestAny)})   target ≤ 500 ms, ≤ 50 ms`,
    ),
    `  restore: fields after reload (median)    ${restores.length ? ms(median(restores.map(t => t.fields))) : '-'}   target ≤ 500 ms` +
      (lost ? `; ${lost} of ${lost + restores.length} reloads did not bring the panel back` : ''),
    `  memory, 20-page PDF scrolled top to bottom: JS heap +${((memory.after - memory.before) / 2 ** 20).toFixed(1)} MB ` +
      `(peak +${((memory.peak - memory.before) / 2 ** 20).toFixed(1)} MB)   target ≤ +150 MB`,
  ];
}

run.run(main, { pages: () => ({ '': page }), shots: path.join(h.REPO, 'test-output', 'bench-review') });
