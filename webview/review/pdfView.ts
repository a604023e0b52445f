/**
 * The PDF on the left of the review panel, drawn with pdf.js's legacy build (the modern build calls
 * APIs the Chromium of VS Code 1.99 lacks). pdf.js is imported only here, from the extension's webview
 * folder, when a PDF is shown: the fields never wait for it. `isEvalSupported: false`: a PDF is untrusted
 * (CVE-2024-4367).
 *
 * Pages are placeholders of the right size; only those near the visible area are rendered (canvas +
 * text layer), and the canvases of pages scrolled far away are freed: all 20 pages of a PDF kept as
 * canvases cost some 500 MB, one page about 50 MB. Page texts for the value search are read in the
 * background, once per document.
 */
import { SearchablePageBuilder, type SearchablePage, type TextMatch } from '../../src/core/review/locateValue';

/** Text items made searchable in one task: a long page is read in several. */
const ITEMS_PER_TASK = 200;

/**
 * Lets the page's other work run before going on: `scheduler.yield()` where the browser has it (it
 * resumes ahead of other queued tasks), else a message to this page (unlike setTimeout, not held back
 * 4 ms when nested).
 */
export function yieldTask(): Promise<void> {
  const s = (globalThis as { scheduler?: { yield?: () => Promise<void> } }).scheduler;
  if (s?.yield) {
    return s.yield();
  }
  return new Promise(resolve => {
    const c = new MessageChannel();
    c.port1.onmessage = () => resolve();
    c.port2.postMessage(undefined);
  });
}

/* Just what is used of pdf.js's API (pdfjs-dist 6.5, legacy/build/pdf.mjs). */
interface Viewport {
  width: number;
  height: number;
}
interface TextContent {
  items: ({ str: string; hasEOL?: boolean } | { type: string })[];
}
interface PdfPage {
  getViewport(o: { scale: number }): Viewport;
  render(o: { canvas: HTMLCanvasElement; viewport: Viewport }): { promise: Promise<void>; cancel(): void };
  getTextContent(): Promise<TextContent>;
  cleanup(): void;
}
interface PdfDocument {
  numPages: number;
  getPage(n: number): Promise<PdfPage>;
  destroy(): Promise<void>;
}
interface TextLayer {
  render(): Promise<void>;
  readonly textDivs: HTMLElement[];
  cancel(): void;
}
interface PdfJs {
  GlobalWorkerOptions: { workerSrc: string; workerPort: Worker | null };
  getDocument(o: Record<string, unknown>): { promise: Promise<PdfDocument> };
  TextLayer: new (o: { textContentSource: TextContent; container: HTMLElement; viewport: Viewport }) => TextLayer;
}

/**
 * pdf.js's worker, started once per page from a blob of the worker script that this page fetched. Left
 * to itself, pdf.js starts the worker from a blob that imports the script: the webview's service worker
 * cannot tell which webview that worker belongs to and answers the import only after its 30-second
 * timeout, after which pdf.js falls back to parsing on the page's own thread. Fetched here, the script
 * comes through the page, and the worker needs no request of its own (`useWorkerFetch: false` has the
 * page fetch fonts and wasm too).
 */
let worker: Promise<Worker> | undefined;

function startWorker(url: string): Promise<Worker> {
  worker ??= (async () => {
    const script = await (await fetch(url)).blob();
    const blobUrl = URL.createObjectURL(new Blob([script], { type: 'text/javascript' }));
    return new Worker(blobUrl, { type: 'module' });
  })();
  return worker;
}

/** Pages rendered at most at a time; the rest are placeholders. */
const KEEP_RENDERED = 5;
/** CSS pixels per PDF point at zoom 1. */
const BASE_SCALE = 1.25;

interface PageSlot {
  n: number;
  box: HTMLElement;
  canvas?: HTMLCanvasElement;
  layer?: TextLayer;
  rendering?: Promise<void>;
  lastSeen: number;
}

export class PdfView {
  ready = false;
  private doc?: PdfDocument;
  private lib?: PdfJs;
  private readonly slots: PageSlot[] = [];
  private observer?: IntersectionObserver;
  private tick = 0;
  private firstPage?: () => void;
  private firstPainted = false;
  private matches: TextMatch[] = [];
  private readonly texts = new Map<number, Promise<SearchablePage>>();
  private disposed = false;

  constructor(
    private readonly pane: HTMLElement,
    private readonly urls: { module: string; worker: string; wasm: string; fonts: string },
    private zoom: number,
    private readonly t: (name: string, ...a: (string | number)[]) => string,
  ) {}

  async open(uri: string): Promise<void> {
    const lib = (this.lib = (await import(/* webpackIgnore: true */ this.urls.module)) as PdfJs);
    const [port, bytes] = await Promise.all([
      // Without a worker of its own, pdf.js still reads the document (slowly, as described above).
      startWorker(this.urls.worker).catch(() => ((worker = undefined), null)),
      fetch(uri).then(r => r.arrayBuffer()),
    ]);
    lib.GlobalWorkerOptions.workerSrc = this.urls.worker;
    lib.GlobalWorkerOptions.workerPort = port;
    const data = new Uint8Array(bytes);
    this.doc = await lib.getDocument({
      data,
      isEvalSupported: false,
      useWorkerFetch: false,
      wasmUrl: this.urls.wasm,
      standardFontDataUrl: this.urls.fonts,
      useSystemFonts: true,
    }).promise;
    if (this.disposed) {
      void this.doc.destroy();
      return;
    }
    const first = await this.doc.getPage(1);
    const size = first.getViewport({ scale: BASE_SCALE * this.zoom });
    this.observer = new IntersectionObserver(entries => this.seen(entries), {
      root: this.pane,
      rootMargin: '200px 0px',
    });
    for (let n = 1; n <= this.doc.numPages; n++) {
      const box = document.createElement('div');
      box.className = 'page';
      box.setAttribute('role', 'region');
      box.setAttribute('aria-label', this.t('page', n));
      box.dataset.page = String(n);
      box.style.width = `${size.width}px`;
      box.style.height = `${size.height}px`;
      this.pane.append(box);
      const slot: PageSlot = { n, box, lastSeen: 0 };
      this.slots.push(slot);
      this.observer.observe(box);
    }
    this.ready = true;
  }

  onFirstPage(f: () => void): void {
    this.firstPage = f;
    if (this.firstPainted) {
      f();
    }
  }

  private seen(entries: IntersectionObserverEntry[]): void {
    for (const e of entries) {
      if (e.isIntersecting) {
        const slot = this.slots[Number((e.target as HTMLElement).dataset.page) - 1];
        slot.lastSeen = ++this.tick;
        void this.render(slot);
      }
    }
    this.evict();
  }

  /** Frees the canvases of the pages seen longest ago, keeping KEEP_RENDERED. */
  private evict(): void {
    const rendered = this.slots.filter(s => s.canvas).sort((a, b) => b.lastSeen - a.lastSeen);
    for (const s of rendered.slice(KEEP_RENDERED)) {
      s.layer?.cancel();
      s.canvas!.width = 0;
      s.canvas!.height = 0;
      s.box.textContent = '';
      s.canvas = undefined;
      s.layer = undefined;
    }
  }

  private render(slot: PageSlot): Promise<void> {
    if (slot.canvas || slot.rendering || !this.doc || !this.lib) {
      return slot.rendering ?? Promise.resolve();
    }
    const lib = this.lib;
    slot.rendering = (async () => {
      const page = await this.doc!.getPage(slot.n);
      const viewport = page.getViewport({ scale: BASE_SCALE * this.zoom });
      const ratio = window.devicePixelRatio || 1;
      const canvas = document.createElement('canvas');
      canvas.width = Math.floor(viewport.width * ratio);
      canvas.height = Math.floor(viewport.height * ratio);
      canvas.style.width = `${viewport.width}px`;
      canvas.style.height = `${viewport.height}px`;
      canvas.setAttribute('aria-hidden', 'true');
      const scaled = page.getViewport({ scale: BASE_SCALE * this.zoom * ratio });
      await page.render({ canvas, viewport: scaled }).promise;
      slot.box.textContent = '';
      slot.box.style.width = `${viewport.width}px`;
      slot.box.style.height = `${viewport.height}px`;
      slot.box.append(canvas);
      slot.canvas = canvas;
      if (!this.firstPainted) {
        this.firstPainted = true;
        requestAnimationFrame(() => this.firstPage?.());
      }
      const layerBox = document.createElement('div');
      layerBox.className = 'textLayer';
      layerBox.style.setProperty('--scale-factor', String(viewport.width / page.getViewport({ scale: 1 }).width));
      layerBox.style.setProperty('--total-scale-factor', String(viewport.width / page.getViewport({ scale: 1 }).width));
      slot.box.append(layerBox);
      const layer = new lib.TextLayer({
        textContentSource: await page.getTextContent(),
        container: layerBox,
        viewport,
      });
      slot.layer = layer;
      await layer.render();
      this.mark(slot);
    })().finally(() => (slot.rendering = undefined));
    return slot.rendering;
  }

  setZoom(z: number): void {
    if (!this.doc) {
      return;
    }
    const factor = z / this.zoom;
    this.zoom = z;
    for (const s of this.slots) {
      s.layer?.cancel();
      s.box.textContent = '';
      s.canvas = undefined;
      s.layer = undefined;
      s.box.style.width = `${parseFloat(s.box.style.width) * factor}px`;
      s.box.style.height = `${parseFloat(s.box.style.height) * factor}px`;
    }
    // The observer sees the pages again as they move.
    for (const s of this.slots) {
      this.observer?.unobserve(s.box);
      this.observer?.observe(s.box);
    }
  }

  get pageCount(): number {
    return this.doc?.numPages ?? 0;
  }

  /**
   * Page `n`'s text made searchable, read once per document: pdf.js reads the text in its worker, and
   * the page folds it ITEMS_PER_TASK items per task, yielding between them.
   */
  searchablePage(n: number): Promise<SearchablePage> {
    let text = this.texts.get(n);
    if (!text) {
      text = (async () => {
        const content = await (await this.doc!.getPage(n)).getTextContent();
        const items = content.items.map(i => ('str' in i ? { str: i.str, hasEOL: i.hasEOL } : { str: '' }));
        const builder = new SearchablePageBuilder({ page: n, items });
        while (!builder.done) {
          builder.add(ITEMS_PER_TASK);
          await yieldTask();
        }
        return builder.result();
      })();
      this.texts.set(n, text);
      // A failed read is tried again by the next search.
      text.catch(() => this.texts.delete(n));
    }
    return text;
  }

  /** Marks the text items of the matches, and scrolls the first into view. */
  highlight(matches: TextMatch[]): void {
    this.matches = matches;
    for (const s of this.slots) {
      this.mark(s);
    }
    const first = matches[0];
    if (first) {
      const slot = this.slots[first.page - 1];
      void this.render(slot).then(() => {
        const span = slot.layer?.textDivs[first.start.item];
        (span ?? slot.box).scrollIntoView({ block: 'center' });
      });
    }
  }

  private mark(slot: PageSlot): void {
    const divs = slot.layer?.textDivs ?? [];
    divs.forEach(d => d.classList.remove('match'));
    for (const m of this.matches.filter(x => x.page === slot.n)) {
      for (let i = m.start.item; i <= m.end.item; i++) {
        divs[i]?.classList.add('match');
      }
    }
  }

  dispose(): void {
    this.disposed = true;
    this.observer?.disconnect();
    void this.doc?.destroy();
  }
}
