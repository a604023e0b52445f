/**
 * The batch panel's grid in Debian's chromium (`npm run bench:grid`): a script, not a test. Makes the
 * grid model of `--docs` documents × `--fields` fields (5 % of documents failing their check) with the
 * host's own code (core/review/grid.ts), serves the grid webview (dist/webview/grid.js, grid.css) on
 * the loopback with the panel's CSP and a stand-in for `acquireVsCodeApi`, and posts the model as the
 * host does (start, rows in chunks, done). Prints, per size:
 *   model    ms to make the grid model in Node (the host's share);
 *   ready    ms from the start message to the first frame after the last chunk (the page's `painted`);
 *   sort     ms of a header click (sort + render), ascending then descending, median of 5;
 *   filter   ms of typing a filter and of "only failing" (filter + render), median of 5;
 *   longest  the longest task (PerformanceObserver 'longtask') while scrolling top to bottom;
 *   per frame  the page's main-thread time while scrolling (CDP Performance.getMetrics: all tasks, and of
 *            them style, layout and script) divided by the frames scrolled: the page's work per frame,
 *            which the machine's load stretches less than the longest task;
 *   rows     the row elements in the page (the same for every size: recycled by slot);
 *   memory   the page's JS heap (CDP Performance.getMetrics, JSHeapUsedSize) after a garbage collection,
 *            before the model arrives and after it was shown, sorted, filtered and scrolled top to
 *            bottom: "+MB" against the target of +60 MB; "peak" is the largest heap seen between the two
 *            without collecting (what the page needed while it worked).
 *
 *   node out/bench/grid.js [--docs 1000,10000] [--fields 30] [--headed]
 * Needs `node esbuild.mjs` first.
 */
import { createServer, type Server } from 'node:http';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compareResults } from '../src/core/expected/compare';
import { GRID_CHUNK, type BatchHostMessage, type BatchStart } from '../src/core/review/batchProtocol';
import { gridModel, type GridDocument } from '../src/core/review/grid';
import { fieldAccuracy } from '../src/core/review/accuracy';

const REPO = join(__dirname, '..', '..');

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1] : fallback;
}

function documents(count: number, fields: number): GridDocument[] {
  const docs: GridDocument[] = [];
  for (let d = 0; d < count; d++) {
    const result: Record<string, unknown> = {
      invoice: `INV-${String(d).padStart(6, '0')}`,
      vendor: { name: `Vendor ${d % 97}`, tax_id: `T${d % 13}` },
      line_items: Array.from({ length: (d % 4) + 1 }, (_, i) => ({ description: `item ${i}`, amount: i * 3 + d })),
    };
    for (let f = 3; f < fields; f++) {
      result[`field_${f}`] = f % 3 === 0 ? (d * f) % 1000 : `text ${(d * 7 + f) % 50}`;
    }
    const expected = structuredClone(result);
    if (d % 20 === 0) {
      expected[`field_${3 + (d % (fields - 3))}`] = 'something else';
    }
    const differences = compareResults(expected, result, {});
    docs.push({
      file: `invoices/${String(d).padStart(6, '0')}.pdf`,
      status: 'SUCCESS',
      result,
      expected,
      differences,
      check: differences.length ? 'failed' : 'passed',
    });
  }
  return docs;
}

const STUB = `
window.__posted = [];
window.acquireVsCodeApi = () => ({
  postMessage: m => window.__posted.push(m),
  getState: () => undefined,
  setState: () => {},
});
window.__longest = 0;
new PerformanceObserver(l => { for (const e of l.getEntries()) window.__longest = Math.max(window.__longest, e.duration); })
  .observe({ type: 'longtask', buffered: false });
`;

function page(): string {
  const csp = "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'";
  return `<!DOCTYPE html><html><head><meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${csp}">
<link rel="stylesheet" href="/grid.css"><title>grid bench</title></head>
<body class="vscode-light"><main id="app" aria-busy="true"></main>
<script src="/stub.js"></script><script src="/elements.js"></script><script src="/grid.js"></script></body></html>`;
}

/** The messages of the size being measured, fetched by the page: posted from inside it, not through the driver. */
let messagesJson = '[]';

function serve(): Promise<{ server: Server; url: string }> {
  const files: Record<string, [string, string]> = {
    '/': ['text/html', page()],
    '/stub.js': ['text/javascript', STUB],
    // The components the page uses (tabs), loaded before it as the panel's page does (webviewPage.ts).
    '/elements.js': ['text/javascript', readFileSync(join(REPO, 'dist', 'webview', 'elements.js'), 'utf8')],
    '/grid.js': ['text/javascript', readFileSync(join(REPO, 'dist', 'webview', 'grid.js'), 'utf8')],
    '/grid.css': ['text/css', readFileSync(join(REPO, 'dist', 'webview', 'grid.css'), 'utf8')],
  };
  const server = createServer((req, res) => {
    const f: [string, string] | undefined =
      req.url === '/messages.json' ? ['application/json', messagesJson] : files[req.url ?? '/'];
    res.writeHead(f ? 200 : 404, { 'content-type': f?.[0] ?? 'text/plain' });
    res.end(f?.[1] ?? '');
  });
  return new Promise(resolve =>
    server.listen(0, '127.0.0.1', () => {
      const a = server.address();
      resolve({ server, url: `http://127.0.0.1:${typeof a === 'object' && a ? a.port : 0}/` });
    }),
  );
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function main(): Promise<void> {
  const sizes = arg('docs', '1000,10000').split(',').map(Number);
  const fields = Number(arg('fields', '30'));
  const tmp = mkdtempSync(join(tmpdir(), 'docutray-grid-bench-'));
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { launchBrowser } = require(join(REPO, 'real-vscode', 'browser')) as {
    launchBrowser(tmp: string, o: object): Promise<{ page: import('playwright-core').Page; close(): Promise<void> }>;
  };
  const { server, url } = await serve();
  const browser = await launchBrowser(tmp, {
    headless: !process.argv.includes('--headed'),
    viewport: { width: 1400, height: 860 },
  });
  try {
    for (const count of sizes) {
      const docs = documents(count, fields);
      const t0 = performance.now();
      const model = gridModel(docs);
      const modelMs = performance.now() - t0;
      const start: BatchStart = {
        v: 1,
        key: { batchId: 'bench' },
        build: count,
        title: `bench ${count}`,
        subtitle: '',
        columns: model.columns,
        total: model.rows.length,
        accuracy: fieldAccuracy(
          docs.map(d => ({ document: d.file, status: d.check, expected: d.expected, actual: d.result })),
        ),
        labels: {},
      };
      const messages: BatchHostMessage[] = [{ type: 'start', start }];
      for (let from = 0; from < model.rows.length; from += GRID_CHUNK) {
        messages.push({ type: 'rows', from, rows: model.rows.slice(from, from + GRID_CHUNK) });
      }
      messages.push({ type: 'done' });
      const p = browser.page;
      messagesJson = JSON.stringify(messages);
      await p.goto(url);
      await p.waitForFunction(() => (window as unknown as { __posted: { type: string }[] }).__posted.length > 0);
      const cdp = await p.context().newCDPSession(p);
      await cdp.send('Performance.enable');
      const heap = async (collect: boolean) => {
        if (collect) {
          await cdp.send('HeapProfiler.collectGarbage');
        }
        const { metrics } = await cdp.send('Performance.getMetrics');
        return metrics.find(m => m.name === 'JSHeapUsedSize')!.value;
      };
      const heapBefore = await heap(true);
      let heapPeak = heapBefore;
      const sample = setInterval(() => {
        heap(false).then(
          v => (heapPeak = Math.max(heapPeak, v)),
          () => undefined,
        );
      }, 50);
      // As the host does: one message after another, each a task of its own.
      await p.evaluate(async () => {
        const all = (await (await fetch('/messages.json')).json()) as unknown[];
        for (const m of all) {
          window.postMessage(m, '*');
          await new Promise(r => setTimeout(r, 0));
        }
      });
      const painted = (await p
        .waitForFunction(() =>
          (window as unknown as { __posted: { type: string; ms?: number }[] }).__posted.find(m => m.type === 'painted'),
        )
        .then(h => h.jsonValue())) as { ms: number };
      const timed = (action: string) =>
        p.evaluate(a => {
          const g = (window as unknown as { docutrayGrid: { lastViewMs(): number } }).docutrayGrid;
          const header = document.querySelectorAll<HTMLElement>('[role=columnheader]')[5];
          const filter = document.querySelector<HTMLInputElement>('input.filter')!;
          const failing = document.querySelector<HTMLInputElement>('.only-failing input')!;
          if (a === 'sort') {
            header.click();
          } else if (a === 'filter') {
            filter.value = filter.value ? '' : 'vendor 1';
            filter.dispatchEvent(new Event('input'));
          } else {
            failing.click();
          }
          return g.lastViewMs();
        }, action);
      const sorts: number[] = [];
      const filters: number[] = [];
      const failing: number[] = [];
      for (let i = 0; i < 6; i++) {
        sorts.push(await timed('sort'));
        filters.push(await timed('filter'));
        failing.push(await timed('failing'));
      }
      // Scroll top to bottom in steps of about five rows a frame, watching for long tasks.
      const durations = async () => {
        const { metrics } = await cdp.send('Performance.getMetrics');
        const m = (name: string) => metrics.find(x => x.name === name)?.value ?? 0;
        return [m('TaskDuration'), m('RecalcStyleDuration'), m('LayoutDuration'), m('ScriptDuration')];
      };
      const before = await durations();
      const frames = await p.evaluate(() => {
        const s = document.querySelector<HTMLElement>('.scroller')!;
        return Math.ceil((s.scrollHeight - s.clientHeight) / 120);
      });
      const longest = await p.evaluate(async () => {
        const w = window as unknown as { __longest: number };
        const s = document.querySelector<HTMLElement>('.scroller')!;
        s.scrollTop = 0;
        w.__longest = 0;
        while (s.scrollTop + s.clientHeight < s.scrollHeight - 1) {
          s.scrollTop += 120;
          await new Promise(r => requestAnimationFrame(r));
        }
        await new Promise(r => setTimeout(r, 100));
        return w.__longest;
      });
      const spent = (await durations()).map((d, i) => ((d - before[i]) * 1000) / frames);
      const rows = await p.evaluate(() =>
        (window as unknown as { docutrayGrid: { rowElements(): number } }).docutrayGrid.rowElements(),
      );
      const cells = await p.evaluate(() => document.querySelectorAll('[role=gridcell]').length);
      clearInterval(sample);
      heapPeak = Math.max(heapPeak, await heap(false));
      const heapAfter = await heap(true);
      await cdp.detach();
      const mb = (bytes: number) => (bytes / 2 ** 20).toFixed(1);
      console.log(
        `${count} × ${model.columns.length} columns: model ${modelMs.toFixed(0)} ms, ready ${painted.ms.toFixed(0)} ms, ` +
          `sort ${median(sorts).toFixed(1)} ms, filter ${median(filters).toFixed(1)} ms, only failing ${median(failing).toFixed(1)} ms, ` +
          `longest task while scrolling ${longest.toFixed(0)} ms, per frame ${spent[0].toFixed(1)} ms ` +
          `(style ${spent[1].toFixed(1)}, layout ${spent[2].toFixed(1)}, script ${spent[3].toFixed(1)}) over ${frames} frames, ` +
          `row elements ${rows}, cell elements ${cells}, ` +
          `JS heap ${mb(heapBefore)} → ${mb(heapAfter)} MB (+${mb(heapAfter - heapBefore)} MB, target ≤ +60 MB; ` +
          `peak +${mb(heapPeak - heapBefore)} MB)`,
      );
    }
  } finally {
    await browser.close();
    server.close();
    rmSync(tmp, { recursive: true, force: true });
  }
}

main().catch(e => {
  console.error(e);
  process.exit(1);
});
