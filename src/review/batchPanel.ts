import vscode = require('vscode');
import { l10n } from 'vscode';
import type { BatchRecord } from '../core/batches/record';
import { evaluateResult } from '../core/expected/check';
import type { CompareOptions, Difference } from '../core/expected/compare';
import { parseExpected } from '../core/expected/expectedFile';
import { compareOptionsFor } from '../core/expected/settings';
import { accuracyCsv, accuracyMarkdown, fieldAccuracy, type AccuracyDocument } from '../core/review/accuracy';
import {
  BATCH_PROTOCOL,
  GRID_CHUNK,
  type BatchHostMessage,
  type BatchKey,
  type BatchStart,
  type BatchState,
  type BatchWebviewMessage,
} from '../core/review/batchProtocol';
import { gridModel, type GridCheck, type GridDocument, type GridModel, type GridWords } from '../core/review/grid';
import {
  type ExportFolder,
  type ExportItem,
  batchItems,
  fileColumn,
  runItem,
  toExportRun,
} from '../core/results/exportRows';
import type { RunRecord } from '../core/runs/history';
import { batchSubject } from '../batches/batchMessages';
import { sourceUri } from '../documents/documentSource';
import type { Services } from '../services';
import { documentSha256 } from '../testing/documents';
import { expectedSettings, expectedUriFor } from '../testing/expectedIndex';
import { stepLabel } from '../testing/testTree';
import { gridHtml } from './gridHtml';

export const BATCH_VIEW_TYPE = 'docutray.batch';

/**
 * Opens the review panel of a run at a field, returning its document's URI: the runtime's one set of
 * review panels (src/review/reviews.ts), handed in so this bundle does not make a second one.
 */
export type ReviewOpener = (run: RunRecord, path?: string) => Promise<string>;

/** What one document of the panel is, beside its grid row: where to open its review. */
interface Shown {
  item: ExportItem;
}

/** What the open command hands back (and tests read): the model the webview was sent. */
export interface BatchSummary {
  title: string;
  columns: string[];
  rows: { file: string; failing: boolean; cells: string[]; marks: (string | null)[] }[];
  accuracy: ReturnType<typeof fieldAccuracy>;
}

/** One batch panel: a batch (or a folder's latest results) as a grid, with an Accuracy tab. */
class BatchPanel {
  private shown: Shown[] = [];
  private model?: GridModel;
  private start?: BatchStart;
  /** How many models this panel has made (BatchStart.build). */
  private builds = 0;
  private sending?: Promise<void>;
  private readonly disposables: vscode.Disposable[] = [];

  constructor(
    readonly panel: vscode.WebviewPanel,
    private readonly s: Services,
    private readonly extensionUri: vscode.Uri,
    public key: BatchKey,
    private readonly openAt: ReviewOpener,
    private readonly onDispose: () => void,
  ) {
    this.disposables.push(
      panel.onDidDispose(() => this.dispose()),
      panel.webview.onDidReceiveMessage((m: BatchWebviewMessage) => void this.receive(m)),
    );
  }

  async show(): Promise<void> {
    this.panel.webview.options = {
      enableScripts: true,
      localResourceRoots: [vscode.Uri.joinPath(this.extensionUri, 'dist', 'webview')],
    };
    this.panel.webview.html = gridHtml(this.panel.webview, this.extensionUri, l10n.t('Batch'));
    await this.load();
  }

  /** Reads the documents' results and expected files, and sends the model (again when the webview says ready). */
  private async load(): Promise<void> {
    const { title, items, stepId } = await documentsOf(this.s, this.key);
    const folders: ExportFolder[] = (vscode.workspace.workspaceFolders ?? []).map(f => ({
      uri: f.uri.toString(),
      name: f.name,
    }));
    const docs: GridDocument[] = [];
    for (const item of items) {
      const stored = item.resultId ? await this.s.results.peek(item.resultId) : undefined;
      const run = toExportRun(item, fileColumn(item, folders), stored);
      docs.push({ file: run.file, status: run.status, ...(await checkOf(item, run.result)) });
    }
    this.shown = items.map(item => ({ item }));
    this.model = gridModel(docs, gridWords());
    const accuracy = fieldAccuracy(
      docs.map((d): AccuracyDocument => ({
        document: d.file,
        status: d.check,
        ...(d.check === 'passed' || d.check === 'failed'
          ? { expected: d.expected, actual: d.result, differences: d.differences, compare: d.compare }
          : {}),
      })),
    );
    const failing = this.model.rows.filter(r => r.failing).length;
    this.panel.title = l10n.t('Grid: {0}', title);
    this.start = {
      v: BATCH_PROTOCOL,
      key: this.key,
      build: ++this.builds,
      title,
      subtitle: l10n.t(
        '{0} · {1} documents, {2} failing their expected results',
        stepLabel(stepId),
        docs.length,
        failing,
      ),
      columns: this.model.columns,
      total: this.model.rows.length,
      accuracy,
      labels: batchLabels(),
    };
    this.s.log.scoped('batch').info(`grid of ${docs.length} documents, ${this.model.columns.length} columns`);
    // Not awaited: a restored panel's webview takes messages only once the serializer has returned; the
    // webview says `ready` when its script runs and gets the model again then.
    void this.send();
  }

  /** The model in chunks: the start (columns, accuracy), the rows GRID_CHUNK at a time, then done. */
  private send(): Promise<void> {
    const start = this.start;
    const model = this.model;
    if (!start || !model) {
      return Promise.resolve();
    }
    const previous = this.sending ?? Promise.resolve();
    this.sending = previous.then(async () => {
      await this.post({ type: 'start', start });
      for (let from = 0; from < model.rows.length; from += GRID_CHUNK) {
        await this.post({ type: 'rows', from, rows: model.rows.slice(from, from + GRID_CHUNK) });
      }
      await this.post({ type: 'done' });
    });
    return this.sending;
  }

  private post(m: BatchHostMessage): Thenable<boolean> {
    return this.panel.webview.postMessage(m);
  }

  /** Enter on a cell: the review panel at that document, at the field when the cell names one. */
  async openReview(row: number, path?: string): Promise<string> {
    const item = this.shown[row]?.item;
    if (!item) {
      throw new Error(l10n.t('This document is no longer in the grid: open the grid again.'));
    }
    const run =
      (item.key.startsWith('run:') ? await this.s.runs.history.get(item.key.slice(4)) : undefined) ??
      (item.resultId ? await this.s.runs.history.findByExecution(item.resultId) : undefined);
    if (!run) {
      throw new Error(l10n.t('This document has no result to review yet: run the step on it first.'));
    }
    return this.openAt(run, path);
  }

  private async export(format: 'csv' | 'markdown'): Promise<void> {
    const accuracy = this.start?.accuracy;
    if (!accuracy) {
      return;
    }
    const content =
      format === 'csv'
        ? accuracyCsv(accuracy)
        : accuracyMarkdown(accuracy, { title: l10n.t('Field accuracy: {0}', this.start?.title ?? '') });
    // An untitled editor: the user saves it where they choose; nothing is written behind their back.
    const doc = await vscode.workspace.openTextDocument({ content, language: format === 'csv' ? 'csv' : 'markdown' });
    await vscode.window.showTextDocument(doc, { preview: false });
  }

  summary(): BatchSummary | undefined {
    const { model, start } = this;
    return (
      model &&
      start && {
        title: start.title,
        columns: model.columns.map(c => c.name),
        rows: model.rows.map(r => ({
          file: r.cells[0].text,
          failing: r.failing,
          cells: r.cells.map(c => c.text),
          marks: r.cells.map(c => c.mark ?? null),
        })),
        accuracy: start.accuracy,
      }
    );
  }

  private async receive(m: BatchWebviewMessage): Promise<void> {
    try {
      switch (m.type) {
        case 'ready':
          await this.send();
          return;
        case 'open':
          await this.openReview(m.row, m.path);
          return;
        case 'export':
          await this.export(m.format);
          return;
        case 'painted':
          this.s.log.scoped('batch').info(`grid of ${m.rows} rows ready in ${Math.round(m.ms)} ms`);
          return;
      }
    } catch (e) {
      await this.s.errors.report(e, 'batch');
    }
  }

  dispose(): void {
    this.onDispose();
    this.disposables.forEach(d => d.dispose());
  }
}

/** The documents of a batch (in its order), or the latest run of each document under a folder for a step. */
async function documentsOf(
  s: Services,
  key: BatchKey,
): Promise<{ title: string; stepId: string; items: ExportItem[] }> {
  const all = await s.runs.history.all();
  const byId = new Map(all.map(r => [r.id, r]));
  if ('batchId' in key) {
    const batch = (await s.batches.all()).find(b => b.id === key.batchId);
    if (!batch) {
      throw new Error(l10n.t('This batch is no longer stored: open the grid from the Runs view again.'));
    }
    return {
      title: batchSubject(batch),
      stepId: batch.stepId,
      items: batchItems({ kind: 'batch', batch }, id => byId.get(id)) ?? [],
    };
  }
  const root = key.folder.endsWith('/') ? key.folder : `${key.folder}/`;
  const latest = new Map<string, RunRecord>();
  for (const r of all) {
    const uri = r.source.kind === 'workspace' ? r.source.uri : undefined;
    if (!uri || r.stepId !== key.stepId || !uri.startsWith(root)) {
      continue;
    }
    const had = latest.get(uri);
    if (!had || r.startedAt > had.startedAt) {
      latest.set(uri, r);
    }
  }
  const items = [...latest.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, r]) => runItem(r));
  const folder = vscode.Uri.parse(key.folder);
  return { title: vscode.workspace.asRelativePath(folder, false), stepId: key.stepId, items };
}

/** A document's check against its expected file: the core's evaluateResult, with the folder's settings. */
async function checkOf(
  item: ExportItem,
  result: unknown,
): Promise<Pick<GridDocument, 'check' | 'result' | 'expected' | 'differences' | 'compare'>> {
  if (result === undefined) {
    return { check: 'noResult' };
  }
  const uri = item.source.kind === 'workspace' ? sourceUri(item.source)?.uri : undefined;
  const target = uri && expectedUriFor(uri, item.stepId);
  if (!uri || !target || 'refused' in target) {
    return { check: 'missing', result };
  }
  let text: string;
  try {
    text = new TextDecoder().decode(await vscode.workspace.fs.readFile(target.uri));
  } catch {
    return { check: 'missing', result };
  }
  let check: GridCheck;
  let differences: Difference[] = [];
  let expected: unknown;
  const compare: CompareOptions = compareOptionsFor(expectedSettings(target.folder.uri).settings, item.stepId);
  try {
    const file = parseExpected(text, item.stepId);
    const sha = await documentSha256(uri).catch(() => '');
    ({ status: check, differences } = evaluateResult(file, sha, result, compare));
    expected = file.result;
  } catch {
    return { check: 'invalidExpected', result };
  }
  return check === 'documentChanged' ? { check, result } : { check, result, expected, differences, compare };
}

function gridWords(): GridWords {
  return {
    items: l10n.t('{0} items'),
    oneItem: l10n.t('1 item'),
    fields: l10n.t('{0} fields'),
    checks: {
      passed: l10n.t('passed'),
      failed: l10n.t('failed'),
      missing: l10n.t('no expected result'),
      documentChanged: l10n.t('document changed since recorded'),
      invalidExpected: l10n.t('expected file unusable'),
      noResult: l10n.t('no result'),
    },
    failedFields: l10n.t('{0} fields not equal'),
    oneFailedField: l10n.t('1 field not equal'),
  };
}

function batchLabels(): Record<string, string> {
  return {
    grid: l10n.t('Documents'),
    accuracy: l10n.t('Accuracy'),
    filter: l10n.t('Filter'),
    filterPlaceholder: l10n.t('Filter documents by any cell'),
    onlyFailing: l10n.t('Only failing'),
    shown: l10n.t('{0} of {1} documents'),
    loading: l10n.t('Reading results…'),
    differs: l10n.t('differs'),
    missing: l10n.t('missing'),
    extra: l10n.t('extra'),
    help: l10n.t('Arrow keys move, Enter opens the review at that field, Enter on a header sorts.'),
    field: l10n.t('Field'),
    match: l10n.t('Equal'),
    matchOf: l10n.t('{0} of {1}'),
    compared: l10n.t('Compared'),
    differsCol: l10n.t('Differs'),
    missingCol: l10n.t('Missing'),
    extraCol: l10n.t('Extra'),
    paired: l10n.t('Lists paired'),
    pairedBy: l10n.t('by {0}'),
    pairedByPosition: l10n.t('by position'),
    documents: l10n.t('Documents not equal'),
    noFields: l10n.t('No fields were compared: record expected results (Accept as Expected) to see accuracy.'),
    accuracyIntro: l10n.t(
      '{0} documents compared with their expected results, {1} not compared. Each value of a list field counts once.',
    ),
    exportCsv: l10n.t('Export as CSV'),
    exportMarkdown: l10n.t('Export as Markdown'),
    more: l10n.t('and {0} more'),
  };
}

/** This window's batch panels. */
export class BatchPanels implements vscode.Disposable {
  private readonly panels = new Set<BatchPanel>();

  constructor(
    private readonly s: Services,
    private readonly extensionUri: vscode.Uri,
    private readonly openReview: ReviewOpener,
  ) {}

  /** Opens (or shows) the grid of a batch (a Runs-view batch node or its id) or of a folder's results. */
  async open(arg: unknown, stepId?: unknown): Promise<BatchSummary | undefined> {
    const key = await keyOf(this.s, arg, stepId);
    if (!key) {
      return undefined;
    }
    const same = (k: BatchKey) => JSON.stringify(k) === JSON.stringify(key);
    const existing = [...this.panels].find(p => same(p.key));
    if (existing) {
      existing.panel.reveal();
      await existing.show();
      return existing.summary();
    }
    const panel = vscode.window.createWebviewPanel(BATCH_VIEW_TYPE, l10n.t('Grid'), vscode.ViewColumn.Active, {
      enableScripts: true,
      enableFindWidget: true,
    });
    return (await this.adopt(panel, key)).summary();
  }

  /** Brings back a panel after a reload, from the state its webview kept. */
  async restore(panel: vscode.WebviewPanel, state: unknown): Promise<void> {
    const key = (state as BatchState | undefined)?.key;
    try {
      const valid =
        !!key &&
        (('batchId' in key && typeof key.batchId === 'string') ||
          ('folder' in key && typeof key.folder === 'string' && typeof key.stepId === 'string'));
      if (!valid) {
        throw new Error(l10n.t('This grid cannot be restored. Open it again from the Runs view.'));
      }
      await this.adopt(panel, key);
    } catch (e) {
      panel.dispose();
      await this.s.errors.report(e, 'batch');
    }
  }

  private async adopt(panel: vscode.WebviewPanel, key: BatchKey): Promise<BatchPanel> {
    const p: BatchPanel = new BatchPanel(panel, this.s, this.extensionUri, key, this.openReview, () =>
      this.panels.delete(p),
    );
    this.panels.add(p);
    await p.show();
    return p;
  }

  /** For tests: what the active (or only) grid shows; Enter on a row opens its review. */
  active(): { summary: BatchSummary | undefined; openReview(row: number, path?: string): Promise<string> } | undefined {
    const all = [...this.panels];
    const p = all.find(x => x.panel.active) ?? (all.length === 1 ? all[0] : undefined);
    return p && { summary: p.summary(), openReview: (row, path) => p.openReview(row, path) };
  }

  dispose(): void {
    for (const p of this.panels) {
      p.panel.dispose();
    }
  }
}

function isBatchNode(v: unknown): v is { kind: 'batch'; batch: BatchRecord } {
  const n = v as { kind?: unknown; batch?: { id?: unknown } } | undefined;
  return !!n && n.kind === 'batch' && typeof n.batch?.id === 'string';
}

/**
 * What to show: a batch node or id; a folder (the Explorer passes its URI) with the step of its latest
 * result, or the step given, or the one picked when its results are of several steps.
 */
async function keyOf(s: Services, arg: unknown, stepId: unknown): Promise<BatchKey | undefined> {
  if (isBatchNode(arg)) {
    return { batchId: arg.batch.id };
  }
  if (typeof arg === 'string') {
    return { batchId: arg };
  }
  if (!(arg instanceof vscode.Uri)) {
    throw new Error(l10n.t('Pick a batch in the DocuTray Runs view, or a folder in the Explorer.'));
  }
  const root = arg.toString().endsWith('/') ? arg.toString() : `${arg.toString()}/`;
  const steps = new Map<string, number>();
  for (const r of await s.runs.history.all()) {
    if (r.source.kind === 'workspace' && r.source.uri.startsWith(root)) {
      steps.set(r.stepId, Math.max(steps.get(r.stepId) ?? 0, r.startedAt));
    }
  }
  if (typeof stepId === 'string') {
    return { folder: arg.toString(), stepId };
  }
  const ordered = [...steps.entries()].sort((a, b) => b[1] - a[1]).map(([id]) => id);
  if (ordered.length === 0) {
    void vscode.window.showInformationMessage(
      l10n.t('DocuTray: no document in this folder has a result yet. Run a step on the folder first.'),
    );
    return undefined;
  }
  let picked = ordered[0];
  if (ordered.length > 1) {
    const pick = await vscode.window.showQuickPick(
      ordered.map(id => ({ label: stepLabel(id), id })),
      { title: l10n.t('Which step’s results?') },
    );
    if (!pick) {
      return undefined;
    }
    picked = pick.id;
  }
  return { folder: arg.toString(), stepId: picked };
}
