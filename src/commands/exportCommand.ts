import vscode = require('vscode');
import { l10n } from 'vscode';
import * as os from 'os';
import {
  type ExportFormat,
  type ExportRun,
  type ExportSink,
  type PassOptions,
  scanTable,
  streamTable,
} from '../core/results/export';
import {
  type ExportFolder,
  type ExportItem,
  exportFileName,
  exportItems,
  fileColumn,
  isExportNode,
  runItem,
  toExportRun,
} from '../core/results/exportRows';
import { FileSink, TextSink } from '../core/results/exportSink';
import type { RunRecord } from '../core/runs/history';
import { sourceUri } from '../documents/documentSource';
import { plainText } from '../core/text/plainText';
import type { Services } from '../services';
import * as settings from '../settings';
import { askPick } from '../ask';

/** What a test or another extension may pass instead of answering the questions. */
export interface ExportCommandOptions {
  format: ExportFormat;
  /** CSV: the dotted path of one array to spread into one row per item. */
  explode?: string;
  bom?: boolean;
  delimiter?: string;
  /** Write the export there without asking where. */
  saveTo?: vscode.Uri;
}

export interface ExportOutcome {
  savedTo: vscode.Uri;
  format: ExportFormat;
  rows: number;
  /** The table's header: every column's name, in order. */
  columns: string[];
}

const LAST_CHOICE = 'docutray.export.last';
const FORMATS: readonly ExportFormat[] = ['csv', 'jsonl', 'json'];
const FORMAT_LABELS: Record<ExportFormat, string> = { csv: 'CSV', jsonl: 'JSON Lines', json: 'JSON' };

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
 * Asks the format (and for CSV whether to spread one array into rows) and where to save, then writes
 * the file as it reads the results, one at a time (see core/results/export.ts), and offers to open it.
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
  const count = items.length;
  const last = s.globalState.get<LastChoice>(LAST_CHOICE) ?? {};
  const format = options?.format ?? (await pickFormat(last, count));
  if (!format) {
    return undefined;
  }
  const folders: ExportFolder[] = (vscode.workspace.workspaceFolders ?? []).map(f => ({
    uri: f.uri.toString(),
    name: f.name,
  }));
  // Each stored result is read when its run's turn comes, and let go before the next.
  const read = async (item: ExportItem): Promise<ExportRun> =>
    toExportRun(item, fileColumn(item, folders), item.resultId ? await s.results.peek(item.resultId) : undefined);
  const scan = (explode: string | undefined) =>
    withProgress(l10n.t('Reading {0} results…', count), count, o => scanTable(items, read, { format, explode }, o));

  let explode = format === 'csv' ? options?.explode : undefined;
  let shape = await scan(explode);
  if (!shape) {
    return undefined;
  }
  if (!options) {
    const arrays = format === 'csv' ? shape.arrays : [];
    const picked = arrays.length ? await pickExplode(last, arrays) : '';
    if (picked === undefined) {
      return undefined;
    }
    explode = picked || undefined;
    await s.globalState.update(LAST_CHOICE, { format, explode: arrays.length ? picked : last.explode });
    if (explode) {
      shape = await scan(explode);
      if (!shape) {
        return undefined;
      }
    }
  }
  const target = options?.saveTo ?? (await askTarget(items, format));
  if (!target) {
    return undefined;
  }
  const columns = shape.columns;
  const table = {
    format,
    explode,
    bom: format === 'csv' ? (options?.bom ?? settings.exportCsvBom()) : false,
    delimiter: options?.delimiter ?? settings.exportCsvDelimiter(),
  };
  const rows = await withProgress(l10n.t('Exporting {0} runs…', count), count, o =>
    writeFile(target, sink => streamTable(items, read, columns, table, sink, o)),
  );
  if (rows === undefined) {
    return undefined;
  }
  s.log.scoped('export').info(`exported ${rows} rows of ${count} runs as ${format}`);
  if (!options?.saveTo) {
    void offerOpen(s, target, rows);
  }
  return { savedTo: target, format, rows, columns: columns.header() };
}

/**
 * Runs one pass over the results under a cancellable notification; undefined when the user cancels
 * (whatever the pass was writing is dropped).
 */
async function withProgress<T>(
  title: string,
  total: number,
  pass: (o: PassOptions) => Promise<T>,
): Promise<T | undefined> {
  return vscode.window.withProgress(
    { location: vscode.ProgressLocation.Notification, title, cancellable: true },
    async (progress, token) => {
      const stop = new AbortController();
      const sub = token.onCancellationRequested(() => stop.abort());
      let reported = 0;
      try {
        return await pass({
          signal: stop.signal,
          progress: done => {
            // In steps of 1 % at least: a notification redrawn for each of 10,000 runs slows them down.
            const step = Math.floor((done / total) * 100) - reported;
            if (step >= 1) {
              reported += step;
              progress.report({ increment: step, message: `${done} / ${total}` });
            }
          },
        });
      } catch (e) {
        if (stop.signal.aborted) {
          return undefined;
        }
        throw e;
      } finally {
        sub.dispose();
      }
    },
  );
}

/**
 * Writes the file as `fill` makes it: a `file:` target piece by piece (a temporary file renamed over it
 * at the end, so a failed or cancelled export leaves what was there); any other file system, which
 * takes a file whole, from the text made in memory.
 */
async function writeFile(target: vscode.Uri, fill: (sink: ExportSink) => Promise<number>): Promise<number> {
  if (target.scheme === 'file') {
    const sink = await FileSink.open(target.fsPath);
    let rows: number;
    try {
      rows = await fill(sink);
    } catch (e) {
      await sink.abort();
      throw e;
    }
    await sink.commit();
    return rows;
  }
  const sink = new TextSink();
  const rows = await fill(sink);
  await vscode.workspace.fs.writeFile(target, Buffer.from(sink.text(), 'utf8'));
  return rows;
}

async function pickRuns(all: readonly RunRecord[]): Promise<ExportItem[] | undefined> {
  if (!all.length) {
    return [];
  }
  const picked = await askPick(
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

async function pickFormat(last: LastChoice, count: number): Promise<ExportFormat | undefined> {
  const formats = [
    { label: FORMAT_LABELS.csv, description: l10n.t('for spreadsheets (Excel, Sheets, LibreOffice)'), format: 'csv' },
    { label: FORMAT_LABELS.jsonl, description: l10n.t('one JSON object per line'), format: 'jsonl' },
    { label: FORMAT_LABELS.json, description: l10n.t('one array of objects'), format: 'json' },
  ] as const;
  const picked = await quickPick(
    [...formats],
    formats.find(f => f.format === last.format),
    l10n.t('Export {0} runs as', count),
  );
  return picked?.format;
}

/** For CSV, the array to spread into one row per item: '' keeps arrays as JSON; undefined on Escape. */
async function pickExplode(last: LastChoice, arrays: readonly string[]): Promise<string | undefined> {
  const keep = { label: l10n.t('Keep arrays as JSON in one cell'), path: '' };
  const spread = arrays.map(p => ({ label: l10n.t('One row per item of {0}', plainText(p)), path: p }));
  const picked = await quickPick(
    [keep, ...spread],
    spread.find(p => p.path === last.explode) ?? keep,
    l10n.t('Arrays in the results'),
  );
  return picked?.path;
}

/** A single-choice quick pick, the last answer first; Escape gives undefined. */
function quickPick<T extends vscode.QuickPickItem>(
  items: T[],
  last: T | undefined,
  title: string,
): Thenable<T | undefined> {
  const ordered = last ? [last, ...items.filter(i => i !== last)] : items;
  return askPick(ordered, { title, ignoreFocusOut: true });
}

/**
 * Where to save: a save dialog on `docutray-<step>-<date>.<ext>` in the workspace folder of the first
 * document (the first folder, else the home folder, when it is in none).
 */
async function askTarget(items: readonly ExportItem[], format: ExportFormat): Promise<vscode.Uri | undefined> {
  const name = exportFileName(
    items.map(i => i.stepName ?? i.stepId),
    format,
    new Date(),
  );
  const first = items[0]?.source;
  const document = first?.kind === 'workspace' ? sourceUri(first)?.uri : undefined;
  let folder = document && vscode.workspace.getWorkspaceFolder(document)?.uri;
  folder ??= vscode.workspace.workspaceFolders?.[0]?.uri ?? vscode.Uri.file(os.homedir());
  return vscode.window.showSaveDialog({
    defaultUri: vscode.Uri.joinPath(folder, name),
    filters: { [FORMAT_LABELS[format]]: [format] },
    title: l10n.t('Export {0} runs as {1}', items.length, FORMAT_LABELS[format]),
    saveLabel: l10n.t('Export'),
  });
}

async function offerOpen(s: Services, uri: vscode.Uri, rows: number): Promise<void> {
  const open = l10n.t('Open');
  const answer = await vscode.window.showInformationMessage(
    l10n.t('Exported {0} rows to {1}.', rows, plainText(vscode.workspace.asRelativePath(uri))),
    open,
  );
  if (answer !== open) {
    return;
  }
  try {
    await vscode.window.showTextDocument(uri, { preview: false });
  } catch (e) {
    s.errors.report(e, 'docutray.runs.export');
  }
}
