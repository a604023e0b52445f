import vscode = require('vscode');
import { l10n } from 'vscode';
import { type BatchRecord, type BatchScope, documentsOf, lookupIn } from '../core/batches/record';
import type { RunnerEnd } from '../core/batches/runner';
import { evaluateResult } from '../core/expected/check';
import { type ExpectedFile, parseExpected, stableStringify } from '../core/expected/expectedFile';
import { compareOptionsFor } from '../core/expected/settings';
import type { RunRecord } from '../core/runs/history';
import { runPool } from '../core/async/pool';
import { plainText } from '../core/text/plainText';
import { type BatchService, StoppedWithError } from '../batches/batchService';
import type { ErrorPresenter } from '../errorPresenter';
import type { ScopedLog } from '../log';
import type { ResultStore } from '../results/resultStore';
import type { RunHistory } from '../runs/runHistory';
import * as settings from '../settings';
import { documentPages, pagesText } from '../documents/pages';
import { documentSha256 } from './documents';
import { type ExpectedEntry, expectedSettings } from './expectedIndex';
import { DOCUMENT_CHANGED_CONTEXT, failureMessages, headerLine } from './failureMessages';
import { type ExpectedTestTree, problemText, stepLabel } from './testTree';

/** A run over this many documents or more asks first, saying how many pages it bills. */
export const CONFIRM_FROM_DOCUMENTS = 2;

/** What a test's last check got, for Accept as Expected. */
export interface LastResult {
  executionId: string;
  data: unknown;
  /** SHA-256 of the document the result is of. */
  sha256: string;
  /** The result as the failure's diff shows it. */
  actualText: string;
}

/** What a run reported of each test (kept for the extension's own tests, as the Test Explorer shows it). */
export interface CheckedTest {
  id: string;
  state: 'passed' | 'failed' | 'errored' | 'skipped';
  messages: {
    message: string;
    expectedOutput?: string;
    actualOutput?: string;
    uri?: string;
    line?: number;
    contextValue?: string;
  }[];
  executionId?: string;
}

export interface CheckRunReport {
  tests: CheckedTest[];
  /** The question asked before the run, when one was. */
  asked?: string;
  cancelled: boolean;
  /** Tests whose verdict went out of date since (their expected file was edited). */
  outdated: string[];
}

export interface CheckDeps {
  tree: ExpectedTestTree;
  batches: BatchService;
  history: RunHistory;
  results: ResultStore;
  errors: ErrorPresenter;
  log: ScopedLog;
  /** Asks for an API key when none is set; false when the user gave none. */
  ensureKey(): Promise<boolean>;
  lastResults: Map<string, LastResult>;
}

/** A test ready to run: its expected file read and usable, its document hashed and unchanged. */
interface Ready {
  item: vscode.TestItem;
  entry: ExpectedEntry & { stepId: string; document: string; documentUri: vscode.Uri };
  expected: ExpectedFile;
  text: string;
  sha256: string;
}

/**
 * The TestRun, with what it was told kept for the report. The run is made only once the question before it
 * is answered (the Test Explorer does not spin while a dialog asks); what is settled before is told then.
 */
class Reporter {
  readonly tests = new Map<string, CheckedTest>();
  private run: vscode.TestRun | undefined;
  private readonly waiting: ((run: vscode.TestRun) => void)[] = [];

  /** Hands the run over: what was settled before it is told now, in order. */
  begin(run: vscode.TestRun): void {
    this.run = run;
    this.waiting.splice(0).forEach(tell => tell(run));
  }

  private tell(what: (run: vscode.TestRun) => void): void {
    if (this.run) {
      what(this.run);
    } else {
      this.waiting.push(what);
    }
  }

  private keep(
    item: vscode.TestItem,
    state: CheckedTest['state'],
    messages: vscode.TestMessage[],
    executionId?: string,
  ) {
    this.tests.set(item.id, {
      id: item.id,
      state,
      executionId,
      messages: messages.map(m => ({
        message: typeof m.message === 'string' ? m.message : m.message.value,
        expectedOutput: m.expectedOutput,
        actualOutput: m.actualOutput,
        uri: m.location?.uri.toString(),
        line: m.location?.range.start.line,
        contextValue: m.contextValue,
      })),
    });
  }

  settled(item: vscode.TestItem): boolean {
    return this.tests.has(item.id);
  }

  enqueued(item: vscode.TestItem): void {
    this.tell(run => run.enqueued(item));
  }

  started(item: vscode.TestItem): void {
    this.tell(run => run.started(item));
  }

  passed(item: vscode.TestItem, durationMs?: number, executionId?: string): void {
    this.keep(item, 'passed', [], executionId);
    this.tell(run => run.passed(item, durationMs));
  }

  failed(item: vscode.TestItem, messages: vscode.TestMessage[], durationMs?: number, executionId?: string): void {
    this.keep(item, 'failed', messages, executionId);
    this.tell(run => run.failed(item, messages, durationMs));
  }

  errored(item: vscode.TestItem, message: vscode.TestMessage, executionId?: string): void {
    this.keep(item, 'errored', [message], executionId);
    this.tell(run => run.errored(item, message));
  }

  skipped(item: vscode.TestItem): void {
    this.keep(item, 'skipped', []);
    this.tell(run => run.skipped(item));
  }

  output(line: string, item?: vscode.TestItem): void {
    this.tell(run => run.appendOutput(`${line.replace(/\r?\n/g, '\r\n')}\r\n`, undefined, item));
  }
}

function at(message: string, uri?: vscode.Uri, line = 0): vscode.TestMessage {
  const m = new vscode.TestMessage(message);
  if (uri) {
    m.location = new vscode.Location(uri, new vscode.Position(line, 0));
  }
  return m;
}

/**
 * Runs the tests a request covers: each document's expected file is read and its document hashed first
 * (an unusable file or a changed document is reported without running anything); a run over several
 * documents asks first, saying how many pages it bills; then the step runs on each document as a batch per
 * step (recorded in the Runs view, paced by the key's one request budget, a start that may have happened
 * never sent again) — always, never reusing an earlier result, since a check exists to catch a step change —
 * and each result is compared with the expected one as it comes in.
 */
export async function runChecks(
  deps: CheckDeps,
  request: vscode.TestRunRequest,
  token: vscode.CancellationToken,
): Promise<CheckRunReport> {
  const items = deps.tree.leavesOf(request.include, request.exclude);
  const r = new Reporter();
  let asked: string | undefined;
  let run: vscode.TestRun | undefined;
  const begin = () => {
    run ??= deps.tree.controller.createTestRun(request);
    r.begin(run);
  };
  try {
    const settled = await runPool(items, 4, item => prepare(deps, r, item));
    const ready = settled.flatMap(s => (s.status === 'fulfilled' && s.value ? [s.value] : []));
    for (const [i, s] of settled.entries()) {
      if (s.status === 'rejected' && !r.settled(items[i])) {
        r.errored(items[i], at(String((s.reason as Error)?.message ?? s.reason)));
      }
    }
    if (ready.length && !token.isCancellationRequested) {
      const question = ready.length >= CONFIRM_FROM_DOCUMENTS ? await confirmText(ready) : undefined;
      asked = question?.message;
      const go = !question || (await confirm(question));
      if (go && (await deps.ensureKey())) {
        begin();
        ready.forEach(p => r.enqueued(p.item));
        await runReady(deps, r, ready, scopeOf(request, ready.length), token);
      } else if (go) {
        ready.forEach(p => r.errored(p.item, at(l10n.t('Set your DocuTray API key first (DocuTray: Set API Key).'))));
      }
    }
    if (token.isCancellationRequested) {
      r.output(
        l10n.t(
          'Cancelled. Documents not sent yet were not sent and are not billed. Documents DocuTray had already started may still finish there and are billed; their runs stay in the DocuTray Runs view, where Resume on their batch checks them again without starting them again.',
        ),
      );
    }
    items.filter(i => !r.settled(i)).forEach(i => r.skipped(i));
  } finally {
    begin();
    run?.end();
  }
  return { tests: [...r.tests.values()], asked, cancelled: token.isCancellationRequested, outdated: [] };
}

/** Reads a test's expected file and hashes its document; undefined when the test was settled here. */
async function prepare(deps: CheckDeps, r: Reporter, item: vscode.TestItem): Promise<Ready | undefined> {
  const entry = deps.tree.entryOf(item);
  if (!entry) {
    r.skipped(item);
    return undefined;
  }
  if (entry.problem || !entry.stepId || !entry.document || !entry.documentUri) {
    r.errored(item, at(problemText(entry) ?? entry.path, entry.uri));
    return undefined;
  }
  let text: string;
  try {
    text = new TextDecoder().decode(await vscode.workspace.fs.readFile(entry.uri));
  } catch {
    r.errored(item, at(l10n.t('{0} could not be read.', entry.path)));
    return undefined;
  }
  let expected: ExpectedFile;
  try {
    expected = parseExpected(text, entry.stepId);
  } catch (e) {
    r.errored(item, at(l10n.t('{0} cannot be used: {1}', entry.path, (e as Error).message), entry.uri));
    return undefined;
  }
  let sha256: string;
  try {
    sha256 = await documentSha256(entry.documentUri);
  } catch {
    r.errored(
      item,
      at(
        l10n.t(
          'The document {0} is not there or cannot be read: its expected result cannot be checked.',
          entry.document,
        ),
      ),
    );
    return undefined;
  }
  if (sha256 !== expected.sha256) {
    // Its own state, not a regression's ✗: the document changed, not the step; nothing was run.
    const changed = at(
      l10n.t(
        '{0} changed since its expected result was recorded (SHA-256 {1}… → {2}…): the document changed, not the step, so it was not run. Record Again runs the step on it (billed) and records that result.',
        entry.document,
        expected.sha256.slice(0, 12),
        sha256.slice(0, 12),
      ),
      entry.uri,
      headerLine(text, 'sha256'),
    );
    changed.contextValue = DOCUMENT_CHANGED_CONTEXT;
    r.errored(item, changed);
    return undefined;
  }
  return { item, entry: entry as Ready['entry'], expected, text, sha256 };
}

async function confirmText(ready: readonly Ready[]): Promise<{ message: string; detail: string }> {
  const pages = await documentPages(ready.map(p => p.entry.documentUri));
  const steps = new Map<string, number>();
  ready.forEach(p => steps.set(p.entry.stepId, (steps.get(p.entry.stepId) ?? 0) + 1));
  const [only] = steps.keys();
  const message =
    steps.size === 1
      ? l10n.t(
          'Check {0} documents against their expected results? {1} runs on each: DocuTray bills {2}.',
          ready.length,
          stepLabel(only),
          pagesText(pages),
        )
      : l10n.t(
          'Check {0} documents against their expected results? {1} steps run: DocuTray bills {2}.',
          ready.length,
          steps.size,
          pagesText(pages),
        );
  const detail = [
    l10n.t(
      'A check always runs the step, also on documents it processed before: it is there to catch what a step change broke.',
    ),
    ...(steps.size > 1 ? [...steps].map(([id, n]) => l10n.t('{0}: {1} documents', stepLabel(id), n)) : []),
  ].join('\n');
  return { message, detail };
}

async function confirm(q: { message: string; detail: string }): Promise<boolean> {
  const run = l10n.t('Run');
  return (
    (await vscode.window.showInformationMessage(
      plainText(q.message),
      { modal: true, detail: plainText(q.detail) },
      run,
    )) === run
  );
}

/** A folder's run is named after the folder in the Runs view; anything else counts its files. */
function scopeOf(request: vscode.TestRunRequest, count: number): BatchScope {
  const only = request.include?.length === 1 ? request.include[0] : undefined;
  if (only?.uri && (only.id.startsWith('dir:') || only.id.startsWith('folder:'))) {
    const rel = vscode.workspace.asRelativePath(only.uri);
    return { kind: 'folder', uri: only.uri.toString(), label: rel.endsWith('/') ? rel : `${rel}/` };
  }
  return { kind: 'files', count };
}

/** Runs the ready tests, one batch per step at once, and settles each as its document's run ends. */
async function runReady(
  deps: CheckDeps,
  r: Reporter,
  ready: readonly Ready[],
  scope: BatchScope,
  token: vscode.CancellationToken,
): Promise<void> {
  const byStep = new Map<string, Ready[]>();
  ready.forEach(p => byStep.set(p.entry.stepId, [...(byStep.get(p.entry.stepId) ?? []), p]));
  const settling: Promise<void>[] = [];
  const started = new Set<string>();
  /** Tests whose result is being read and compared. */
  const comparing = new Set<string>();
  const warned = new Set<string>();

  const observe = (batch: BatchRecord, docs: Map<string, Ready>, final: boolean) => {
    for (const d of documentsOf(batch, lookupIn(deps.history.snapshot()))) {
      const p = docs.get(d.doc.uri);
      if (!p || r.settled(p.item) || comparing.has(p.item.id)) {
        continue;
      }
      switch (d.state) {
        case 'starting':
        case 'ENQUEUED':
        case 'PROCESSING':
          if (!started.has(p.item.id)) {
            started.add(p.item.id);
            r.started(p.item);
          }
          break;
        case 'SUCCESS':
          comparing.add(p.item.id);
          settling.push(
            compare(deps, r, p, d.run as RunRecord, warned).catch(e =>
              r.errored(p.item, at(e instanceof Error ? e.message : String(e))),
            ),
          );
          break;
        case 'ERROR':
        case 'failed':
        case 'unavailable':
        case 'mayHaveStarted':
          r.errored(p.item, at(noResultText(d.run as RunRecord)), d.run?.executionId);
          break;
        case 'cancelled':
        case 'pending':
          if (final) {
            r.skipped(p.item);
            r.output(
              d.run?.executionId
                ? l10n.t(
                    '{0}: cancelled while DocuTray ran it (execution {1}). It may still finish and is billed.',
                    p.entry.document,
                    d.run.executionId,
                  )
                : l10n.t('{0}: not sent (cancelled), not billed.', p.entry.document),
              p.item,
            );
          }
          break;
      }
    }
  };

  const groups = [...byStep].map(([stepId, list]) => ({
    stepId,
    list,
    docs: new Map(list.map(p => [p.entry.documentUri.toString(), p])),
    batch: undefined as BatchRecord | undefined,
    end: undefined as RunnerEnd | undefined,
  }));
  const requests = groups.map(g => ({
    step: settings.steps().steps.find(s => s.id === g.stepId) ?? { id: g.stepId, name: g.stepId },
    scope: byStep.size === 1 ? scope : ({ kind: 'files', count: g.list.length } as BatchScope),
    files: g.list.map(p => ({ uri: p.entry.documentUri, label: p.entry.document })),
    within: {
      token,
      onChange: (b: BatchRecord) => {
        g.batch = b;
        observe(b, g.docs, false);
      },
      onEnd: (e: RunnerEnd) => {
        g.end = e;
      },
    },
  }));
  try {
    // Several steps prove themselves with one start each before any sends the rest: a step that cannot run
    // stops them all at once, having cost one start of each other step.
    await (requests.length === 1 ? deps.batches.run(requests[0]) : deps.batches.runTogether(requests));
  } catch (e) {
    // Nothing was sent (no key, a batch could not be recorded).
    deps.errors.report(e, `check ${groups.map(g => g.stepId).join(', ')}`);
    groups.forEach(g =>
      g.list.filter(p => !r.settled(p.item)).forEach(p => r.errored(p.item, at((e as Error).message))),
    );
    return;
  }
  for (const { stepId, list, docs, batch, end } of groups) {
    // After a stop for good, what was not sent is an error of the run (said on each test), not a skip.
    if (batch) {
      observe(batch, docs, end?.kind !== 'fatal');
    }
    if (end?.kind === 'fatal') {
      // An error every document meets (the key refused, an unknown step): shown once, on each test too. The
      // other steps of the run stopped with it, and say which step stopped them.
      const stoppedWith = end.error instanceof StoppedWithError ? end.error.step : undefined;
      if (!stoppedWith) {
        deps.errors.report(end.error, `check ${stepId}`);
      }
      const message =
        stoppedWith !== undefined
          ? l10n.t('Not sent: {0} could not run.', stoppedWith)
          : ((end.error as Error)?.message ?? String(end.error));
      list.filter(p => !r.settled(p.item) && !comparing.has(p.item.id)).forEach(p => r.errored(p.item, at(message)));
    } else if (end?.kind === 'paused') {
      r.output(
        l10n.t(
          "DocuTray's rate limit asks to wait until {0}: the documents not run yet are run then, in the Runs view (their tests are skipped here).",
          new Date(end.until).toLocaleTimeString(),
        ),
      );
    }
  }
  await Promise.all(settling);
}

/** Why a document's run gave no result, and what became of it (nothing is ever sent again by itself). */
function noResultText(run: RunRecord): string {
  const why = run.error?.message ?? run.state;
  switch (run.state) {
    case 'ERROR':
      return l10n.t('The step reported an error: {0}', why);
    case 'mayHaveStarted':
      return l10n.t(
        'The start may have reached DocuTray, but its answer was lost{0}. It was not sent again: it may still run, and be billed. Review it on its batch in the DocuTray Runs view.',
        run.requestId ? l10n.t(' (request {0})', run.requestId) : '',
      );
    case 'unavailable':
      return l10n.t(
        'No result from execution {0} yet: {1} It was not started again; check it later in the DocuTray Runs view (Check Execution).',
        run.executionId ?? '',
        why,
      );
    default:
      return l10n.t('DocuTray did not run it: {0}', why);
  }
}

/** Compares a document's stored result with its expected one, and settles its test. */
async function compare(deps: CheckDeps, r: Reporter, p: Ready, run: RunRecord, warned: Set<string>): Promise<void> {
  const item = p.item;
  const executionId = run.executionId as string;
  const stored = await deps.results.get(executionId);
  if (!stored || stored.dataText !== undefined) {
    r.errored(
      item,
      at(
        stored
          ? l10n.t('The result of execution {0} is too deeply nested to compare.', executionId)
          : l10n.t('The result of execution {0} is no longer stored.', executionId),
      ),
      executionId,
    );
    return;
  }
  const folderUri = p.entry.folder.uri;
  const { settings: s, problems } = expectedSettings(folderUri);
  if (problems.length && !warned.has(folderUri.toString())) {
    warned.add(folderUri.toString());
    void vscode.window.showWarningMessage(
      l10n.t('DocuTray: these settings cannot be used, their defaults apply: {0}', plainText(problems.join(' '))),
    );
  }
  // The content DocuTray processed (hashed as it was sent); the document as read before the run otherwise.
  const sha256 = run.sha256 ?? p.sha256;
  const verdict = evaluateResult(p.expected, sha256, stored.data, compareOptionsFor(s, p.entry.stepId));
  const durationMs = run.finishedAt !== undefined ? run.finishedAt - run.startedAt : undefined;
  const actualText = stableStringify(stored.data);
  deps.lastResults.set(item.id, { executionId, data: stored.data, sha256, actualText });
  const where = l10n.t('{0} ({1}): execution {2}', p.entry.document, stepLabel(p.entry.stepId), executionId);
  switch (verdict.status) {
    case 'passed':
      r.passed(item, durationMs, executionId);
      r.output(l10n.t('{0}: as expected', where), item);
      return;
    case 'documentChanged':
      r.failed(
        item,
        [
          at(
            l10n.t('{0} changed while it was being checked: run it again.', p.entry.document),
            p.entry.uri,
            headerLine(p.text, 'sha256'),
          ),
        ],
        durationMs,
        executionId,
      );
      return;
    case 'failed':
      r.failed(
        item,
        failureMessages(
          verdict.differences,
          { uri: p.entry.uri, text: p.text, result: p.expected.result },
          stored.data,
        ),
        durationMs,
        executionId,
      );
      r.output(
        verdict.differences.length === 1
          ? l10n.t('{0}: 1 field differs', where)
          : l10n.t('{0}: {1} fields differ', where, verdict.differences.length),
        item,
      );
      return;
  }
}
