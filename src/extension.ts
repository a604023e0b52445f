import vscode = require('vscode');
import { l10n } from 'vscode';
import { lazyTreeDataProvider, registerResultFileSystem } from './lazyProviders';
import { ApiKeyStore } from './api/apiKeyStore';
import type { CommandId } from './commands/commandIds';
import { HISTORY_FILE, RunRecord, isInFlight, parseHistory, parseRunRecord } from './core/runs/history';
import type { StatusBarState } from './runs/statusBar';
import type { Runtime } from './runtime';
import type { RunsNode } from './views/runsView';
import type { CheckRunReport } from './testing/checkRun';
import type { Walkthrough } from './walkthrough/walkthrough';

/** What the extension offers other extensions (and its own tests). */
export interface DocuTrayApi {
  /** The state of the runs status-bar item. */
  status(): { state: StatusBarState; text: string; tooltip: string };
  /** Every recorded run, newest first. */
  runs(): Promise<RunRecord[]>;
  /** Where runs (`runs/<run id>.json`) and results (`results/<executionId>.json`) are kept. */
  readonly storageUri: vscode.Uri;
  /** The line the Runs view shows above its runs (this month's usage), or undefined when it shows none. */
  runsMessage(): string | undefined;
  /** The Runs view's contents, as the tree shows them (runs, batches and their files). */
  readonly runsTree: Pick<vscode.TreeDataProvider<RunsNode>, 'getChildren' | 'getTreeItem'>;
  /** Settles once the Runs view has compared its rows with those it showed, and fired what changed. */
  runsCompared(): Promise<void>;
  /** The Test Explorer's controller of expected results, once the workspace has an expected file. */
  testController(): vscode.TestController | undefined;
  /** What the last Test Explorer run reported of each test. */
  lastTestRun(): CheckRunReport | undefined;
  /** What the active review panel shows: its document, selected field and rows with their verdicts. */
  review():
    { document: string; selected?: string; rows: { path: string; verdict: string; kept: boolean }[] } | undefined;
  /** The walkthrough's context keys as this window set them, and the steps it completed (`state()`). */
  walkthrough(): Pick<Walkthrough, 'state' | 'forget'>;
}

/**
 * Registers what the manifest promises and nothing more: no network, no storage read, no waiting. The
 * rest of the extension (dist/runtime.js: the API client, runs, results, the views' contents) loads on
 * first use — a command, a result document, the runs view, or a run to resume.
 */
export function activate(context: vscode.ExtensionContext): DocuTrayApi {
  const apiKeys = new ApiKeyStore(context.secrets);
  const runsChanged = new vscode.EventEmitter<RunsNode | RunsNode[] | undefined>();
  context.subscriptions.push(apiKeys, runsChanged);
  let runtime: Runtime | undefined;
  let walk: Walkthrough | undefined;
  // The walkthrough's context keys, from a small bundle of their own, loaded just after activation.
  const walkthrough = () =>
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- the walkthrough's bundle
    (walk ??= (require('./walkthrough/walkthrough') as WalkthroughModule).startWalkthrough(context, apiKeys));
  const load = (): Runtime => {
    if (!runtime) {
      // eslint-disable-next-line @typescript-eslint/no-require-imports -- the lazy half of the extension
      const { createRuntime } = require('./runtime') as typeof import('./runtime');
      runtime = createRuntime(context, apiKeys, tree, walkthrough);
      context.subscriptions.push(
        runtime.runsView.onDidChangeTreeData(e => runsChanged.fire(e ?? undefined)),
        // Its own write makes the Test Explorer, whether or not the file watcher saw the file appear.
        runtime.onDidWriteExpected(() => offerTests()),
      );
    }
    return runtime;
  };
  // The ids the manifest contributes (a unit test keeps them equal to COMMAND_IDS, which the runner's
  // handlers are typed by): read from the manifest, so the activation bundle does not carry the list.
  const contributed = (context.extension.packageJSON as { contributes: { commands: { command: CommandId }[] } })
    .contributes.commands;
  for (const { command: id } of contributed) {
    context.subscriptions.push(vscode.commands.registerCommand(id, (...args: unknown[]) => load().run(id, args)));
  }
  const treeDataProvider = lazyTreeDataProvider(() => load().runsView, runsChanged.event);
  // The runtime shows this month's usage above the view's runs.
  const tree = vscode.window.createTreeView('docutray.runs', { treeDataProvider, canSelectMany: true });
  context.subscriptions.push(
    registerResultFileSystem(() => load().resultFileSystem),
    tree,
    // A review panel open before a reload comes back (its state says which result it showed). Its page is
    // set here, from a small bundle, and paints the fields it last showed from its own state; the rest of
    // the extension loads and reads the result again after it (see restoreReviewPage).
    vscode.window.registerWebviewPanelSerializer('docutray.review', {
      deserializeWebviewPanel: (panel, state) =>
        // eslint-disable-next-line @typescript-eslint/no-require-imports -- the page's small bundle
        (require('./review/reviewPage') as ReviewPageModule).restoreReviewPage(panel, context.extensionUri, state, () =>
          load().restoreReview(panel, state),
        ),
    }),
    vscode.window.registerWebviewPanelSerializer('docutray.batch', {
      deserializeWebviewPanel: (panel, state) => load().restoreBatch(panel, state),
    }),
  );
  // The Test Explorer lists the documents that have expected results. Its controller is made only in a
  // workspace with an expected file (looked for after activation, not during it, and when one appears or
  // is written here), so
  // other workspaces get no Testing view from DocuTray; its items and runs load the rest on first use.
  let tests: vscode.TestController | undefined;
  const expectedFiles = vscode.workspace.createFileSystemWatcher('**/*.expected.json', false, true, true);
  const offerTests = () => {
    if (!tests) {
      const t = (tests = vscode.tests.createTestController('docutray.expected', l10n.t('DocuTray Expected Results')));
      const handlers = () => load().testing(t);
      t.resolveHandler = item => handlers().resolve(item);
      t.refreshHandler = token => handlers().refresh(token);
      t.createRunProfile(l10n.t('Run'), vscode.TestRunProfileKind.Run, (r, token) => handlers().run(r, token), true);
      context.subscriptions.push(t);
      expectedFiles.dispose();
    }
  };
  const lookForExpected = () =>
    vscode.workspace.findFiles('**/*.expected.json', '**/{node_modules,.git}/**', 1).then(
      found => found.length && offerTests(),
      () => undefined,
    );
  context.subscriptions.push(
    expectedFiles,
    expectedFiles.onDidCreate(offerTests),
    vscode.workspace.onDidChangeWorkspaceFolders(lookForExpected),
  );
  setTimeout(lookForExpected, 500);
  // The context keys for menus and the walkthrough; read after activation, not during it.
  setTimeout(walkthrough, 0);
  // Runs left in flight by a closed or reloaded window are picked up after activation, not during it.
  setTimeout(() => void resumeIfAny(context.globalStorageUri, () => load().resume()), 500);
  return {
    status: () => load().status(),
    runs: () => load().runs(),
    storageUri: context.globalStorageUri,
    runsMessage: () => tree.message || undefined,
    runsTree: treeDataProvider,
    runsCompared: () => load().runsView.refresh(),
    testController: () => tests,
    lastTestRun: () => runtime?.lastTestRun(),
    review: () => runtime?.review(),
    walkthrough,
  };
}

/**
 * Loads the rest of the extension only when the shared store (or an older version's runs.json) has a
 * run in flight: one to follow, to mark, or to take over should the window driving it close.
 */
async function resumeIfAny(storageUri: vscode.Uri, resume: () => Promise<void>): Promise<void> {
  const decode = async (uri: vscode.Uri) => new TextDecoder().decode(await vscode.workspace.fs.readFile(uri));
  const legacy = await decode(vscode.Uri.joinPath(storageUri, HISTORY_FILE)).catch(() => undefined);
  if (legacy !== undefined && parseHistory(legacy).runs.some(isInFlight)) {
    await resume();
    return;
  }
  const dir = vscode.Uri.joinPath(storageUri, 'runs');
  const names = await vscode.workspace.fs.readDirectory(dir).then(
    entries => entries.map(([n]) => n).filter(n => n.endsWith('.json')),
    () => [] as string[],
  );
  // A batch still alive (files to send, runs to poll, or starts that may have happened to list).
  const batchDir = vscode.Uri.joinPath(storageUri, 'batches');
  const batchNames = await vscode.workspace.fs.readDirectory(batchDir).then(
    entries => entries.map(([n]) => n).filter(n => n.endsWith('.json')),
    () => [] as string[],
  );
  for (const name of batchNames) {
    const text = await decode(vscode.Uri.joinPath(batchDir, name)).catch(() => undefined);
    if (batchAlive(text)) {
      await resume();
      return;
    }
  }
  for (const name of names) {
    const text = await decode(vscode.Uri.joinPath(dir, name)).catch(() => undefined);
    let record: RunRecord | undefined;
    try {
      record = text === undefined ? undefined : parseRunRecord(JSON.parse(text));
    } catch {
      record = undefined; // damaged: the store moves it aside when it loads
    }
    if (record && isInFlight(record)) {
      await resume();
      return;
    }
  }
}

/**
 * A stored batch that may have work left, without loading it: not cancelled and not seen to end by the
 * window that drove it (its runs say the rest, once loaded). A file of the older layout: a file not ended.
 */
function batchAlive(text: string | undefined): boolean {
  try {
    const b = text === undefined ? undefined : (JSON.parse(text) as Record<string, unknown> | null);
    if (!b || b.cancelledAt !== undefined) {
      return false;
    }
    if (b.version !== 1) {
      return b.endedAt === undefined;
    }
    const terminal = ['succeeded', 'failed', 'unavailable', 'cancelled', 'skipped'];
    return (
      Array.isArray(b.files) && b.files.some(f => !terminal.includes((f as { state?: string } | null)?.state ?? ''))
    );
  } catch {
    return false; // damaged: the store moves it aside when it loads
  }
}

type WalkthroughModule = typeof import('./walkthrough/walkthrough');
type ReviewPageModule = typeof import('./review/reviewPage');

export function deactivate(): void {
  // Everything is disposed through context.subscriptions.
}
