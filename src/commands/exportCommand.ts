import vscode = require('vscode');
import { l10n } from 'vscode';
import * as os from 'os';
import { ExportFormat, ExportRun, arrayPaths, exportTable, toCsv, toJson, toJsonl } from '../core/results/export';
import {
  ExportItem,
  exportFileName,
  exportItems,
  exportLanguage,
  isExportNode,
  runItem,
  toExportRun,
} from '../core/results/exportRows';
import type { RunRecord } from '../core/runs/history';
import { parseRunSource } from '../core/runs/source';
import { plainText } from '../core/text/plainText';
import type { Services } from '../services';
import * as settings from '../settings';

/** What a test or another extension may pass instead of answering the questions. */
export interface ExportCommandOptions {
  format: ExportFormat;
  /** CSV: the dotted path of one array to spread into one row per item. */
  explode?: string;
  bom?: boolean;
  delimiter?: string;
  /** Write the export there (the exact bytes) instead of opening it in an editor. */
  saveTo?: vscode.Uri;
}

export interface ExportOutcome {
  text: string;
  format: ExportFormat;
  rows: number;
  /** The untitled editor's document, when it was opened. */
  document?: vscode.Uri;
  savedTo?: vscode.Uri;
}

const LAST_CHOICE = 'docutray.export.last';
const FORMATS: readonly ExportFormat[] = ['csv', 'jsonl', 'json'];

interface LastChoice {
  format?: ExportFormat;
  /** '' for "keep arrays as JSON". */
  explode?: string;
}

function isOptions(v: unknown): v is ExportCommandOptions {
  return (
    !!v &&
    typeof v === 'object' &&
    !isExportNode(v) &&
    FORMATS.includes((v as Partial<ExportCommandOptions>).format as ExportFormat)
  );
}

/**
 * `docutray.runs.export`: from the Runs view, the clicked run or batch plus the selection (VS Code
 * passes both); from the view's title bar or the palette, the runs picked (all, unless you unpick).
 * Asks the format (and for CSV whether to spread one array into rows), opens the table in an
 * untitled editor and offers Save As…, which writes the exact bytes (with the BOM).
 */
export async function exportResults(s: Services, ...args: unknown[]): Promise<ExportOutcome | undefined> {
  const options = args.find(isOptions);
  // The selection in its order, then the clicked node when it is not part of it.
  const nodes = [...args.filter(Array.isArray).flat(), ...args.filter(a => !Array.isArray(a))].filter(isExportNode);
  const all = [...(await s.runs.history.all())].sort((a, b) => b.startedAt - a.startedAt);
  const byId = new Map(all.map(r => [r.id, r]));
  let items: ExportItem[] | undefined = exportItems(nodes, id => byId.get(id));
  if (!nodes.length) {
    items = options ? all.map(runItem) : await pickRuns(all);
  }
  if (!items) {
    return undefined;
  }
  if (!items.length) {
    void vscode.window.showInformationMessage(l10n.t('There are no DocuTray runs to export yet.'));
    return undefined;
  }
  const rows = await Promise.all(
    items.map(async i => toExportRun(i, fileColumn(i), i.resultId ? await s.results.get(i.resultId) : undefined)),
  );
  const choice = options ?? (await choose(s, rows));
  if (!choice) {
    return undefined;
  }
  const format = choice.format;
  const table = exportTable(rows, { explode: format === 'csv' ? choice.explode : undefined });
  const text =
    format === 'csv'
      ? toCsv(table, {
          bom: choice.bom ?? settings.exportCsvBom(),
          delimiter: choice.delimiter ?? settings.exportCsvDelimiter(),
        })
      : format === 'jsonl'
        ? toJsonl(table)
        : toJson(table);
  const outcome: ExportOutcome = { text, format, rows: table.rows.length };
  if (choice.saveTo) {
    await write(choice.saveTo, text);
    return { ...outcome, savedTo: choice.saveTo };
  }
  const known = new Set(await vscode.languages.getLanguages());
  const document = await vscode.workspace.openTextDocument({
    // The editor shows the text; the BOM is for the saved file (written below, byte for byte).
    content: text.replace(/^\uFEFF/, ''),
    language: exportLanguage(format, known),
  });
  await vscode.window.showTextDocument(document, { preview: false });
  const name = exportFileName(
    rows.map(r => r.stepId),
    format,
    new Date(),
  );
  void offerSave(s, text, format, name, table.rows.length);
  return { ...outcome, document: document.uri };
}

/** The table's `file`: a workspace-relative path, the URL, or the name of an execution looked up by id. */
function fileColumn(item: ExportItem): string {
  const source = parseRunSource(item.source);
  if (source?.kind === 'workspace') {
    try {
      return vscode.workspace.asRelativePath(vscode.Uri.parse(source.uri, true));
    } catch {
      return source.uri;
    }
  }
  return source?.kind === 'url' ? source.url : (item.name ?? item.source);
}

async function pickRuns(all: readonly RunRecord[]): Promise<ExportItem[] | undefined> {
  if (!all.length) {
    return [];
  }
  const picked = await vscode.window.showQuickPick(
    all.map(r => ({
      label: r.sourceName,
      description: r.stepName,
      detail: `${new Date(r.startedAt).toLocaleString()} · ${r.state}`,
      picked: true,
      run: r,
    })),
    {
      title: l10n.t('Export which runs? (all are picked: Enter exports them)'),
      canPickMany: true,
      matchOnDescription: true,
      ignoreFocusOut: true,
    },
  );
  return picked?.length ? picked.map(p => runItem(p.run)) : undefined;
}

/** The format, and for CSV the array to spread: two quick picks, the last answers first. */
async function choose(s: Services, rows: ExportRun[]): Promise<ExportCommandOptions | undefined> {
  const last = s.globalState.get<LastChoice>(LAST_CHOICE) ?? {};
  const formats = [
    { label: 'CSV', description: l10n.t('for spreadsheets (Excel, Sheets, LibreOffice)'), format: 'csv' as const },
    { label: 'JSON Lines', description: l10n.t('one JSON object per line'), format: 'jsonl' as const },
    { label: 'JSON', description: l10n.t('one array of objects'), format: 'json' as const },
  ];
  const format = (
    await quickPick(
      formats,
      formats.find(f => f.format === last.format),
      l10n.t('Export {0} runs as', rows.length),
    )
  )?.format;
  if (!format) {
    return undefined;
  }
  let explode: string | undefined;
  const paths = format === 'csv' ? arrayPaths(rows.map(r => r.result)) : [];
  if (paths.length) {
    const keep = { label: l10n.t('Keep arrays as JSON in one cell'), path: '' };
    const spread = paths.map(p => ({ label: l10n.t('One row per item of {0}', p), path: p }));
    const picked = await quickPick(
      [keep, ...spread],
      spread.find(p => p.path === last.explode) ?? keep,
      l10n.t('Arrays in the results'),
    );
    if (!picked) {
      return undefined;
    }
    explode = picked.path || undefined;
  }
  await s.globalState.update(LAST_CHOICE, { format, explode: explode ?? (paths.length ? '' : last.explode) });
  return { format, explode };
}

/** A single-choice quick pick, the last answer first; Escape gives undefined. */
function quickPick<T extends vscode.QuickPickItem>(
  items: T[],
  last: T | undefined,
  title: string,
): Thenable<T | undefined> {
  const ordered = last ? [last, ...items.filter(i => i !== last)] : items;
  return vscode.window.showQuickPick(ordered, { title, ignoreFocusOut: true });
}

async function offerSave(s: Services, text: string, format: ExportFormat, name: string, rows: number): Promise<void> {
  const saveAs = l10n.t('Save As…');
  const answer = await vscode.window.showInformationMessage(
    l10n.t('Exported {0} rows to an untitled editor. Save them as {1}?', rows, plainText(name)),
    saveAs,
  );
  if (answer !== saveAs) {
    return;
  }
  try {
    const folder = vscode.workspace.workspaceFolders?.[0]?.uri ?? vscode.Uri.file(os.homedir());
    const uri = await vscode.window.showSaveDialog({
      defaultUri: vscode.Uri.joinPath(folder, name),
      filters: { [format === 'csv' ? 'CSV' : format === 'jsonl' ? 'JSON Lines' : 'JSON']: [format] },
      title: l10n.t('Save the DocuTray export'),
    });
    if (uri) {
      await write(uri, text);
      vscode.window.setStatusBarMessage(l10n.t('Saved {0}', vscode.workspace.asRelativePath(uri)), 5000);
    }
  } catch (e) {
    s.errors.report(e, 'docutray.runs.export');
  }
}

/** The exact bytes, the CSV's BOM included (an untitled editor saved as a file may drop it). */
async function write(uri: vscode.Uri, text: string): Promise<void> {
  await vscode.workspace.fs.writeFile(uri, Buffer.from(text, 'utf8'));
}
