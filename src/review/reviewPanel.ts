import vscode = require('vscode');
import { l10n } from 'vscode';
import { parseExpected, serializeExpected, type ExpectedFile } from '../core/expected/expectedFile';
import { compareOptionsFor } from '../core/expected/settings';
import { acceptField, editField, AcceptFieldError } from '../core/review/acceptField';
import { fieldRows, isDifference, type FieldRow } from '../core/review/fieldRows';
import {
  REVIEW_PROTOCOL,
  rowViews,
  valueText,
  type HostMessage,
  type ReviewModel,
  type ReviewState,
  type RowWords,
  type WebviewMessage,
} from '../core/review/protocol';
import { plainText } from '../core/text/plainText';
import { fileName } from '../documents/documentSource';
import type { Services } from '../services';
import { acceptedFrom, fromStored, type Accepted } from '../testing/acceptCommands';
import { documentSha256 } from '../testing/documents';
import { expectedSettings, expectedUriFor } from '../testing/expectedIndex';
import { stepLabel } from '../testing/testTree';
import { restoredDocument, reviewPage } from './reviewPage';

export const REVIEW_VIEW_TYPE = 'docutray.review';

const PDF = /\.pdf$/i;
const IMAGE = /\.(png|jpe?g|jpe|jfif|gif|bmp|webp)$/i;

/** What a panel shows, read again on every change of the expected file. */
interface Shown {
  accepted: Accepted;
  expectedUri?: vscode.Uri;
  expected?: ExpectedFile;
  /** Why there are no verdicts, when there are none. */
  problem?: string;
  rows: FieldRow[];
}

/** One open review panel: the document beside its fields. */
class ReviewPanel {
  selected?: string;
  private shown?: Shown;
  private readonly kept = new Set<string>();
  private lastModel?: HostMessage;
  private readonly disposables: vscode.Disposable[] = [];

  constructor(
    readonly panel: vscode.WebviewPanel,
    private readonly s: Services,
    private readonly extensionUri: vscode.Uri,
    public accepted: Accepted,
    private readonly onDispose: () => void,
  ) {
    this.disposables.push(
      panel.onDidDispose(() => this.dispose()),
      panel.webview.onDidReceiveMessage((m: WebviewMessage) => void this.receive(m)),
      vscode.workspace.onDidChangeTextDocument(e => {
        if (this.shown?.expectedUri && e.document.uri.toString() === this.shown.expectedUri.toString()) {
          void this.refresh();
        }
      }),
    );
  }

  get rows(): readonly FieldRow[] {
    return this.shown?.rows ?? [];
  }

  get documentUri(): vscode.Uri {
    return this.accepted.documentUri;
  }

  get expectedUri(): vscode.Uri | undefined {
    return this.shown?.expectedUri;
  }

  isKept(path: string): boolean {
    return this.kept.has(path);
  }

  /**
   * Shows the review: the page (unless `pageFor` says the page is already the one for this document, as
   * after a reload) and then the model.
   */
  async show(selected?: string, pageFor?: vscode.Uri): Promise<void> {
    this.selected = selected ?? this.selected;
    if (pageFor?.toString() !== this.accepted.documentUri.toString()) {
      reviewPage(this.panel, this.extensionUri, this.accepted.documentUri);
    }
    await this.load();
  }

  /** Reads the expected file (an open editor's text first) and compares. */
  private async load(): Promise<void> {
    const a = this.accepted;
    const target = expectedUriFor(a.documentUri, a.stepId);
    const shown: Shown = { accepted: a, rows: [] };
    let compare = {};
    if ('refused' in target) {
      shown.problem =
        target.refused === 'notInWorkspace'
          ? l10n.t('The document is in no workspace folder: there is no expected result to compare with.')
          : target.message;
    } else {
      shown.expectedUri = target.uri;
      compare = compareOptionsFor(expectedSettings(target.folder.uri).settings, a.stepId);
      const text = await readText(target.uri);
      if (text === undefined) {
        shown.problem = l10n.t('No expected result yet: use Create Expected Result to record this result.');
      } else {
        try {
          shown.expected = parseExpected(text, a.stepId);
          const sha = await documentSha256(a.documentUri).catch(() => undefined);
          if (sha !== shown.expected.sha256) {
            shown.problem = l10n.t(
              'The document changed since its expected result was recorded: run the step again before reviewing.',
            );
          }
        } catch (e) {
          shown.problem = l10n.t('{0} cannot be used: {1}', target.path, (e as Error).message);
          shown.expected = undefined;
        }
      }
    }
    const expected = shown.expected && !shown.problem ? shown.expected.result : undefined;
    shown.rows = fieldRows(a.result, expected, { compare });
    this.shown = shown;
    // Not awaited: a restored panel's webview delivers messages only once the serializer has returned.
    // The webview says `ready` when its script runs, and gets the model again then.
    this.lastModel = { type: 'model', model: this.model(target, compare), key: this.key() };
    void this.post(this.lastModel);
  }

  private key(): ReviewState['key'] {
    const a = this.accepted;
    return { documentUri: a.documentUri.toString(), stepId: a.stepId, executionId: a.executionId };
  }

  private model(
    target: ReturnType<typeof expectedUriFor>,
    compare: { absoluteTolerance?: number; relativeTolerance?: number },
  ): ReviewModel {
    const a = this.accepted;
    const shown = this.shown!;
    const name = fileName(a.documentUri);
    const kind = PDF.test(name) ? 'pdf' : IMAGE.test(name) ? 'image' : 'other';
    const w = this.panel.webview;
    const pdfjs = vscode.Uri.joinPath(this.extensionUri, 'dist', 'webview', 'pdfjs');
    const model: ReviewModel = {
      v: REVIEW_PROTOCOL,
      title: name,
      document: { name, kind, uri: w.asWebviewUri(a.documentUri).toString() },
      subtitle:
        shown.problem ?? l10n.t('{0} · compared with {1}', stepLabel(a.stepId), 'refused' in target ? '' : target.path),
      rows: rowViews(shown.rows, rowWords(), this.kept),
      rawJson: JSON.stringify(a.result, null, 2),
      tolerance: { absolute: compare.absoluteTolerance ?? 0, relative: compare.relativeTolerance ?? 0 },
      pdfjs: {
        module: w.asWebviewUri(vscode.Uri.joinPath(pdfjs, 'pdf.min.mjs')).toString(),
        worker: w.asWebviewUri(vscode.Uri.joinPath(pdfjs, 'pdf.worker.min.mjs')).toString(),
        wasm: `${w.asWebviewUri(vscode.Uri.joinPath(pdfjs, 'wasm')).toString()}/`,
        fonts: `${w.asWebviewUri(vscode.Uri.joinPath(pdfjs, 'standard_fonts')).toString()}/`,
      },
      labels: panelLabels(),
    };
    if (this.selected) {
      model.selected = this.selected;
    }
    return model;
  }

  private async refresh(): Promise<void> {
    await this.load().catch(e => this.s.errors.report(e, 'review'));
  }

  private post(m: HostMessage): Thenable<boolean> {
    return this.panel.webview.postMessage(m);
  }

  select(path: string): void {
    this.selected = path;
    void this.post({ type: 'select', path });
  }

  /** The next (or previous) differing row after the selected one, wrapping. */
  step(direction: 1 | -1): string | undefined {
    const rows = this.rows.filter(r => isDifference(r) && !this.kept.has(r.path));
    if (rows.length === 0) {
      void vscode.window.showInformationMessage(l10n.t('DocuTray: no field differs from the expected result.'));
      return undefined;
    }
    const all = this.rows.map(r => r.path);
    const at = this.selected ? all.indexOf(this.selected) : -1;
    const ordered = direction === 1 ? rows : [...rows].reverse();
    const next =
      ordered.find(r => (direction === 1 ? all.indexOf(r.path) > at : at < 0 || all.indexOf(r.path) < at)) ??
      ordered[0];
    this.select(next.path);
    return next.path;
  }

  private row(path: string | undefined): FieldRow {
    const row = path ? this.rows.find(r => r.path === path) : undefined;
    if (!row) {
      throw new Error(l10n.t('Select a field in the review panel first.'));
    }
    return row;
  }

  /** Accept Field: the result's value at the selected path goes into the expected file. */
  async accept(path = this.selected): Promise<string> {
    const row = this.row(path);
    const { expected } = this.writable();
    const opts = this.compareOptions();
    let next: unknown;
    try {
      next = acceptField(expected.result, this.accepted.result, row.segments, opts).result;
    } catch (e) {
      throw e instanceof AcceptFieldError
        ? new Error(l10n.t('This field cannot be accepted alone: {0}', e.message))
        : e;
    }
    await this.write(next);
    return row.path;
  }

  /** Keep Expected: nothing is written; the field is marked reviewed in this panel. */
  keep(path = this.selected): string {
    const row = this.row(path);
    this.kept.add(row.path);
    void this.refresh();
    return row.path;
  }

  /** Edit Value…: a corrected value (JSON, or text) written to the expected file at the selected path. */
  async edit(path = this.selected, given?: string): Promise<string | undefined> {
    const row = this.row(path);
    const { expected } = this.writable();
    const current = row.hasExpected ? row.expected : row.actual;
    const text =
      given ??
      (await vscode.window.showInputBox({
        title: l10n.t('Expected value of {0}', row.path),
        prompt: l10n.t('A JSON value (a number, true, null, "text", …); anything else is taken as text.'),
        value: valueText(current, 100_000),
      }));
    if (text === undefined) {
      return undefined;
    }
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      value = text;
    }
    await this.write(editField(expected.result, this.accepted.result, row.segments, value, this.compareOptions()));
    return row.path;
  }

  private compareOptions() {
    const folder = vscode.workspace.getWorkspaceFolder(this.accepted.documentUri);
    return compareOptionsFor(expectedSettings(folder?.uri).settings, this.accepted.stepId);
  }

  private writable(): { expected: ExpectedFile; uri: vscode.Uri } {
    const shown = this.shown;
    if (!shown?.expectedUri || !shown.expected || shown.problem) {
      throw new Error(shown?.problem ?? l10n.t('There is no expected result to change.'));
    }
    return { expected: shown.expected, uri: shown.expectedUri };
  }

  /**
   * Writes the expected file through a WorkspaceEdit on its document (so Undo in its editor takes the
   * change back), in the canonical format, and saves it.
   */
  private async write(result: unknown): Promise<void> {
    const { expected, uri } = this.writable();
    const doc = await vscode.workspace.openTextDocument(uri);
    const text = serializeExpected({ ...expected, result });
    if (doc.getText() === text) {
      return;
    }
    const edit = new vscode.WorkspaceEdit();
    edit.replace(uri, new vscode.Range(doc.positionAt(0), doc.positionAt(doc.getText().length)), text);
    if (!(await vscode.workspace.applyEdit(edit))) {
      throw new Error(l10n.t('{0} could not be changed: it may be read-only.', plainText(uri.fsPath)));
    }
    await doc.save();
    this.s.log.scoped('review').info(`changed ${uri.toString(true)} (step ${this.accepted.stepId})`);
    await this.load();
  }

  private async receive(m: WebviewMessage): Promise<void> {
    try {
      switch (m.type) {
        case 'selected':
          this.selected = m.path;
          return;
        case 'accept':
          await this.accept(m.path);
          return;
        case 'keep':
          this.keep(m.path);
          return;
        case 'edit':
          await this.edit(m.path);
          return;
        case 'painted':
          this.s.log.scoped('review').info(`${m.what} painted in ${Math.round(m.ms)} ms`);
          return;
        case 'ready':
          if (this.lastModel) {
            void this.post(this.lastModel);
          }
          return;
      }
    } catch (e) {
      await this.s.errors.report(e, 'review');
    }
  }

  dispose(): void {
    this.onDispose();
    this.disposables.forEach(d => d.dispose());
  }
}

async function readText(uri: vscode.Uri): Promise<string | undefined> {
  const open = vscode.workspace.textDocuments.find(d => d.uri.toString() === uri.toString());
  if (open) {
    return open.getText();
  }
  try {
    return new TextDecoder().decode(await vscode.workspace.fs.readFile(uri));
  } catch {
    return undefined;
  }
}

function rowWords(): RowWords {
  return {
    equal: l10n.t('equal'),
    differs: l10n.t('differs: expected {0} → {1}'),
    missing: l10n.t('missing: expected {0}, the step gave nothing'),
    extra: l10n.t('extra: {0}, not in the expected result'),
    unchecked: l10n.t('no expected value'),
    ignored: l10n.t('ignored by docutray.expected.ignorePaths'),
    pairedByKey: l10n.t('list items paired by {0}'),
    pairedByPosition: l10n.t('list items paired by position'),
  };
}

function panelLabels(): Record<string, string> {
  return {
    fields: l10n.t('Fields'),
    raw: l10n.t('Raw JSON'),
    fieldColumn: l10n.t('Field'),
    valueColumn: l10n.t('Value'),
    verdictColumn: l10n.t('Verdict'),
    actionsColumn: l10n.t('Actions'),
    accept: l10n.t('Accept Field'),
    keep: l10n.t('Keep Expected'),
    edit: l10n.t('Edit Value…'),
    kept: l10n.t('kept'),
    checking: l10n.t('checking against the expected result…'),
    zoomIn: l10n.t('Zoom In'),
    zoomOut: l10n.t('Zoom Out'),
    document: l10n.t('Document'),
    resizeSplit: l10n.t('Resize the document and the fields (Left and Right arrow keys)'),
    page: l10n.t('Page {0}'),
    loading: l10n.t('Loading the document…'),
    cannotShow: l10n.t('This document cannot be shown here. Open it with another editor.'),
    foundOn: l10n.t("Found on page {0} by searching the document's text"),
    foundPlaces: l10n.t('{0} places'),
    notFound: l10n.t(
      "Not found in the document's text: DocuTray may have normalised or derived the value, or read it from an image.",
    ),
    noText: l10n.t("This PDF has no text to search (a scan?): the value's place cannot be shown."),
    imageNoText: l10n.t('Images have no text to search: look for the value on the image.'),
    notSearched: l10n.t('This value is too short, or not text, to search for.'),
    pdfFailed: l10n.t('The PDF could not be shown: {0}'),
  };
}

/** Every review panel of this window, and the commands that act on the active one. */
export class ReviewPanels implements vscode.Disposable {
  private readonly panels = new Set<ReviewPanel>();

  constructor(
    private readonly s: Services,
    private readonly extensionUri: vscode.Uri,
  ) {}

  /** The panel the commands act on: the active one, else the only one. */
  active(): ReviewPanel | undefined {
    const all = [...this.panels];
    return all.find(p => p.panel.active) ?? (all.length === 1 ? all[0] : undefined);
  }

  /** Opens (or shows) the review of a failed test, a run, or a result editor's result; at `selected`, a field's path. */
  async open(arg: unknown, selected?: string): Promise<ReviewPanel> {
    const accepted = await acceptedFrom(this.s, arg);
    const existing = [...this.panels].find(
      p => p.documentUri.toString() === accepted.documentUri.toString() && p.accepted.stepId === accepted.stepId,
    );
    if (existing) {
      existing.accepted = accepted;
      existing.panel.reveal();
      await existing.show(selected);
      return existing;
    }
    const panel = vscode.window.createWebviewPanel(
      REVIEW_VIEW_TYPE,
      fileName(accepted.documentUri),
      vscode.ViewColumn.Active,
      {
        enableScripts: true,
        enableFindWidget: true,
      },
    );
    return this.adopt(panel, accepted, selected);
  }

  /** Brings back a panel after a reload, from the state its webview kept. */
  async restore(panel: vscode.WebviewPanel, state: unknown): Promise<void> {
    const key = (state as ReviewState | undefined)?.key;
    try {
      const { valid, documentUri } = restoredDocument(state);
      if (!key || !valid) {
        throw new Error(l10n.t('This review cannot be restored. Open it again from a test, a run or a result.'));
      }
      // The page is set already (restoreReviewPage, from the activation bundle): it paints the fields it
      // last showed from its own state while the result, the expected file and the document are read
      // again here, and the model then replaces them.
      let accepted: Accepted | undefined;
      if (key.executionId) {
        const result = await this.s.results.get(key.executionId);
        const run = await this.s.runs.history.findByExecution(key.executionId);
        accepted = fromStored(result, run);
      }
      if (!accepted) {
        throw new Error(l10n.t('The result is no longer stored. Run the step again to get it.'));
      }
      const selected = (state as ReviewState).selected;
      this.s.log
        .scoped('review')
        .info(`restored the review of execution ${key.executionId} at ${selected ?? '(no field)'}`);
      await this.adopt(panel, accepted, selected, documentUri);
    } catch (e) {
      panel.dispose();
      await this.s.errors.report(e, 'review');
    }
  }

  private async adopt(
    panel: vscode.WebviewPanel,
    accepted: Accepted,
    selected?: string,
    pageFor?: vscode.Uri,
  ): Promise<ReviewPanel> {
    const p: ReviewPanel = new ReviewPanel(panel, this.s, this.extensionUri, accepted, () => this.panels.delete(p));
    this.panels.add(p);
    await p.show(selected, pageFor);
    return p;
  }

  private need(): ReviewPanel {
    const p = this.active();
    if (!p) {
      throw new Error(l10n.t('Open a review panel first (Review Beside Document).'));
    }
    return p;
  }

  next = (): string | undefined => this.need().step(1);
  previous = (): string | undefined => this.need().step(-1);
  acceptField = (): Promise<string> => this.need().accept();
  keepExpected = (): string => this.need().keep();
  editValue = (value?: unknown): Promise<string | undefined> =>
    this.need().edit(undefined, typeof value === 'string' ? value : undefined);

  /** For tests: what the active panel shows. */
  describe():
    { document: string; selected?: string; rows: { path: string; verdict: string; kept: boolean }[] } | undefined {
    const p = this.active();
    return (
      p && {
        document: p.documentUri.toString(),
        selected: p.selected,
        rows: p.rows.map(r => ({ path: r.path, verdict: r.verdict, kept: p.isKept(r.path) })),
      }
    );
  }

  dispose(): void {
    for (const p of this.panels) {
      p.panel.dispose();
    }
  }
}
