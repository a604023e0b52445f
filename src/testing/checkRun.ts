import vscode = require('vscode');
import { l10n } from 'vscode';
import { type BatchRecord, type BatchScope, documentsOf, lookupIn } from '../core/batches/record';
import type { RunnerEnd } from '../core/batches/runner';
import { type CheckIo, checkDocuments, type DocumentCheck } from '../core/expected/check';
import { parseExpected, stableStringify } from '../core/expected/expectedFile';
import type { DocumentOutcome, RunSummary } from '../core/expected/runDocuments';
import { compareOptionsFor } from '../core/expected/settings';
import { type RunRecord, stepDurationMs } from '../core/runs/history';
import { plainText } from '../core/text/plainText';
import type { BatchService, StoppedWithError } from '../batches/batchService';
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

/** One workspace folder's tests of one step: what one call of the core's check pipeline covers. */
interface Group {
  folder: vscode.WorkspaceFolder;
  stepId: string;
  /** By document, workspace-folder-relative. */
  items: Map<string, { item: vscode.TestItem; entry: Entry }>;
}

type Entry = ExpectedEntry & { stepId: string; document: string; documentUri: vscode.Uri };

/** A result read from storage, until its check is told. */
interface Stored {
  data: unknown;
  sha256?: string;
}

/** The documents a group's check asked to run, with where their outcomes go; settled once the run ends. */
interface Asked {
  group: Group;
  documents: string[];
  onOutcome: (document: string, outcome: DocumentOutcome) => Promise<void>;
  done: (summary: RunSummary | undefined) => void;
}

/** A file's text, or undefined when there is no such file (anything else unreadable throws). */
async function readTextOf(uri: vscode.Uri): Promise<string | undefined> {
  try {
    return new TextDecoder().decode(await vscode.workspace.fs.readFile(uri));
  } catch (e) {
    if (e instanceof vscode.FileSystemError && e.code === 'FileNotFound') {
      return undefined;
    }
    throw e;
  }
}

/** The core's I/O over a workspace folder: its paths are relative to the folder. A check never writes. */
function folderIo(folder: vscode.WorkspaceFolder): CheckIo {
  const uriOf = (path: string) => vscode.Uri.joinPath(folder.uri, ...path.split('/'));
  return {
    readText: path => readTextOf(uriOf(path)),
    writeText: path => Promise.reject(new Error(`${path}: a check does not write expected files`)),
    sha256: document => documentSha256(uriOf(document)),
  };
}

/**
 * Runs the tests a request covers through the core's check pipeline (`checkDocuments`), one call per
 * workspace folder and step: it reads each expected file and hashes its document first (an unusable file or
 * a changed document is reported without running anything), then hands the rest to the run below. The run
 * asks first when it covers several documents, saying how many pages it bills; then runs the step on each
 * document as a batch per step (recorded in the Runs view, paced by the key's one request budget, a start
 * that may have happened never sent again) — always, never reusing an earlier result, since a check exists
 * to catch a step change — and hands each document's stored result back to the pipeline as its run ends.
 * Each document's check is then told to the Test Explorer.
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
    const groups = new Map<string, Group>();
    for (const item of items) {
      const entry = deps.tree.entryOf(item);
      if (!entry) {
        r.skipped(item);
      } else if (entry.problem || !entry.stepId || !entry.document || !entry.documentUri) {
        r.errored(item, at(problemText(entry) ?? entry.path, entry.uri));
      } else {
        const key = `${entry.folder.uri.toString()}\n${entry.stepId}`;
        const group = groups.get(key) ?? { folder: entry.folder, stepId: entry.stepId, items: new Map() };
        groups.set(key, group);
        group.items.set(entry.document, { item, entry: entry as Entry });
      }
    }
    await checkGroups(deps, r, [...groups.values()], request, token, begin, q => (asked = q));
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

/** Checks every group through the core at once; the documents they run go out together, after one question. */
async function checkGroups(
  deps: CheckDeps,
  r: Reporter,
  groups: readonly Group[],
  request: vscode.TestRunRequest,
  token: vscode.CancellationToken,
  begin: () => void,
  setAsked: (question: string) => void,
): Promise<void> {
  const asked: Asked[] = [];
  let waiting = groups.length;
  let allAsked!: () => void;
  const everyGroupAsked = new Promise<void>(resolve => (allAsked = resolve));
  const arrived = () => {
    if (--waiting === 0) {
      allAsked();
    }
  };
  if (!groups.length) {
    allAsked();
  }
  /** Results read from storage, by test, until their check is told (the failure's diff shows them). */
  const actual = new Map<string, Stored>();
  /** Tests whose document was not run because the run could not go on: an error, not a skip. */
  const notSent = new Set<string>();
  const warned = new Set<string>();
  const checks = groups.map(async group => {
    let hasAsked = false;
    try {
      const { settings: s, problems } = expectedSettings(group.folder.uri);
      if (problems.length && !warned.has(group.folder.uri.toString())) {
        warned.add(group.folder.uri.toString());
        void vscode.window.showWarningMessage(
          l10n.t('DocuTray: these settings cannot be used, their defaults apply: {0}', plainText(problems.join(' '))),
        );
      }
      await checkDocuments([...group.items.keys()], folderIo(group.folder), {
        stepId: group.stepId,
        update: false,
        folder: s.folder,
        compare: compareOptionsFor(s, group.stepId),
        run: (documents, onOutcome) =>
          new Promise<RunSummary | undefined>(done => {
            asked.push({ group, documents, onOutcome, done });
            hasAsked = true;
            arrived();
          }),
        onCheck: async check => {
          const t = group.items.get(check.document);
          if (t) {
            const stored = actual.get(t.item.id);
            actual.delete(t.item.id);
            if (stored && check.executionId !== undefined) {
              // The content DocuTray processed (hashed as it was sent); the document as hashed before otherwise.
              const sha256 = stored.sha256 ?? check.sha256 ?? '';
              const actualText = stableStringify(stored.data);
              deps.lastResults.set(t.item.id, {
                executionId: check.executionId,
                data: stored.data,
                sha256,
                actualText,
              });
            }
            await tell(r, t, check, stored?.data, notSent.has(t.item.id));
          }
        },
      });
    } finally {
      if (!hasAsked) {
        arrived();
      }
    }
  });
  // Handled from now on: a group that fails before its run is told on its tests below.
  const checked = Promise.allSettled(checks);
  await everyGroupAsked;
  try {
    const documents = asked.reduce((n, a) => n + a.documents.length, 0);
    if (documents && !token.isCancellationRequested) {
      const files = asked.flatMap(a => a.documents.map(d => a.group.items.get(d)!.entry));
      const question = documents >= CONFIRM_FROM_DOCUMENTS ? await confirmText(files) : undefined;
      if (question) {
        setAsked(question.message);
      }
      const go = !question || (await confirm(question));
      if (go && (await deps.ensureKey())) {
        begin();
        asked.forEach(a => a.documents.forEach(d => r.enqueued(a.group.items.get(d)!.item)));
        await runAsked(deps, r, asked, scopeOf(request, documents), token, actual, notSent);
      } else if (go) {
        const message = l10n.t('Set your DocuTray API key first (DocuTray: Set API Key).');
        asked.forEach(a => a.documents.forEach(d => r.errored(a.group.items.get(d)!.item, at(message))));
      }
    }
  } finally {
    // Each group's pipeline settles what its run did not (nothing is left waiting).
    asked.forEach(a => a.done(undefined));
  }
  const settled = await checked;
  for (const [i, s] of settled.entries()) {
    if (s.status === 'rejected') {
      const message = String((s.reason as Error)?.message ?? s.reason);
      [...groups[i].items.values()].filter(t => !r.settled(t.item)).forEach(t => r.errored(t.item, at(message)));
    }
  }
}

/** Tells the Test Explorer a document's check, in the words it has always used. */
async function tell(
  r: Reporter,
  t: { item: vscode.TestItem; entry: Entry },
  check: DocumentCheck,
  data: unknown,
  notSent: boolean,
): Promise<void> {
  const { item, entry } = t;
  const executionId = check.executionId;
  const where = l10n.t('{0} ({1}): execution {2}', entry.document, stepLabel(entry.stepId), executionId ?? '');
  switch (check.status) {
    case 'passed':
      r.passed(item, check.durationMs, executionId);
      r.output(l10n.t('{0}: as expected', where), item);
      return;
    case 'missing':
      r.errored(item, at(l10n.t('{0} could not be read.', entry.path)));
      return;
    case 'invalidExpected':
      r.errored(
        item,
        check.unusable === undefined
          ? at(l10n.t('{0} could not be read.', entry.path))
          : at(l10n.t('{0} cannot be used: {1}', entry.path, check.unusable), entry.uri),
      );
      return;
    case 'documentChanged': {
      const text = (await readTextOf(entry.uri).catch(() => undefined)) ?? '';
      if (executionId === undefined) {
        // Its own state, not a regression's ✗: the document changed, not the step; nothing was run.
        const changed = at(
          l10n.t(
            '{0} changed since its expected result was recorded (SHA-256 {1}… → {2}…): the document changed, not the step, so it was not run. Record Again runs the step on it (billed) and records that result.',
            entry.document,
            (check.expectedSha256 ?? '').slice(0, 12),
            (check.sha256 ?? '').slice(0, 12),
          ),
          entry.uri,
          headerLine(text, 'sha256'),
        );
        changed.contextValue = DOCUMENT_CHANGED_CONTEXT;
        r.errored(item, changed);
        return;
      }
      r.failed(
        item,
        [
          at(
            l10n.t('{0} changed while it was being checked: run it again.', entry.document),
            entry.uri,
            headerLine(text, 'sha256'),
          ),
        ],
        check.durationMs,
        executionId,
      );
      return;
    }
    case 'failed': {
      const differences = check.differences ?? [];
      const text = (await readTextOf(entry.uri)) ?? '';
      const expected = parseExpected(text, entry.stepId);
      r.failed(
        item,
        failureMessages(differences, { uri: entry.uri, text, result: expected.result }, data),
        check.durationMs,
        executionId,
      );
      r.output(
        differences.length === 1
          ? l10n.t('{0}: 1 field differs', where)
          : l10n.t('{0}: {1} fields differ', where, differences.length),
        item,
      );
      return;
    }
    case 'unavailable':
      if (check.sha256 === undefined) {
        r.errored(
          item,
          at(
            l10n.t(
              'The document {0} is not there or cannot be read: its expected result cannot be checked.',
              entry.document,
            ),
          ),
        );
        return;
      }
      r.errored(item, at(check.message ?? check.status), executionId);
      return;
    case 'billed':
    case 'notRun':
      if (notSent) {
        r.errored(item, at(check.message ?? check.status));
      } else {
        r.skipped(item);
        r.output(check.message ?? check.status, item);
      }
      return;
    default:
      r.errored(item, at(check.message ?? check.status), executionId);
  }
}

/**
 * The core's `run` over the batch service: the documents every group asked for, one batch per step at
 * once; each document's outcome goes to its group's pipeline as its run ends (a result read from storage).
 */
async function runAsked(
  deps: CheckDeps,
  r: Reporter,
  asked: readonly Asked[],
  scope: BatchScope,
  token: vscode.CancellationToken,
  actual: Map<string, Stored>,
  notSent: Set<string>,
): Promise<void> {
  interface Doc {
    a: Asked;
    document: string;
    item: vscode.TestItem;
    entry: Entry;
  }
  const byStep = new Map<string, Doc[]>();
  for (const a of asked) {
    for (const document of a.documents) {
      const { item, entry } = a.group.items.get(document)!;
      byStep.set(a.group.stepId, [...(byStep.get(a.group.stepId) ?? []), { a, document, item, entry }]);
    }
  }
  const settling: Promise<void>[] = [];
  const started = new Set<string>();
  /** Documents whose outcome went to the pipeline. */
  const handed = new Set<string>();
  const hand = (p: Doc, outcome: () => Promise<DocumentOutcome>) => {
    handed.add(p.item.id);
    settling.push(
      outcome()
        .then(o => p.a.onOutcome(p.document, o))
        .catch(e => {
          if (!r.settled(p.item)) {
            r.errored(p.item, at(e instanceof Error ? e.message : String(e)));
          }
        }),
    );
  };

  const observe = (batch: BatchRecord, docs: Map<string, Doc>, final: boolean) => {
    for (const d of documentsOf(batch, lookupIn(deps.history.snapshot()))) {
      const p = docs.get(d.doc.uri);
      if (!p || handed.has(p.item.id)) {
        continue;
      }
      const run = d.run as RunRecord | undefined;
      // DocuTray's own duration when it gave one (a takeover's or a slow poll's wait is not the step's).
      const durationMs = run ? stepDurationMs(run) : undefined;
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
          hand(p, () => storedOutcome(deps, p.item, run as RunRecord, durationMs, actual));
          break;
        case 'ERROR':
          hand(p, async () => ({
            kind: 'stepError',
            message: noResultText(run as RunRecord),
            executionId: run?.executionId ?? '',
            durationMs,
          }));
          break;
        case 'failed':
          hand(p, async () => ({
            kind: 'refused',
            message: noResultText(run as RunRecord),
            executionId: run?.executionId,
          }));
          break;
        case 'mayHaveStarted':
          hand(p, async () => ({
            kind: 'uncertain',
            message: noResultText(run as RunRecord),
            requestId: run?.requestId,
          }));
          break;
        case 'unavailable':
          // Said as the Runs view says it (with its execution), not as a document the pipeline could not read.
          hand(p, async () => ({
            kind: 'refused',
            message: noResultText(run as RunRecord),
            executionId: run?.executionId,
          }));
          break;
        case 'cancelled':
        case 'pending':
          if (final) {
            hand(p, async () =>
              run?.executionId
                ? {
                    kind: 'billed',
                    executionId: run.executionId,
                    message: l10n.t(
                      '{0}: cancelled while DocuTray ran it (execution {1}). It may still finish and is billed.',
                      p.entry.document,
                      run.executionId,
                    ),
                  }
                : { kind: 'notRun', message: l10n.t('{0}: not sent (cancelled), not billed.', p.entry.document) },
            );
          }
          break;
      }
    }
  };
  const notSentAll = (list: readonly Doc[], message: string) =>
    list
      .filter(p => !handed.has(p.item.id))
      .forEach(p => {
        notSent.add(p.item.id);
        hand(p, async () => ({ kind: 'notRun', message }));
      });

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
    groups.forEach(g => notSentAll(g.list, (e as Error).message));
    await Promise.all(settling);
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
      // By its kind, not `instanceof`: this bundle is loaded apart from the runtime's, which defines the class.
      const stoppedWith =
        (end.error as Partial<StoppedWithError> | undefined)?.kind === 'stoppedWith'
          ? (end.error as StoppedWithError).step
          : undefined;
      if (!stoppedWith) {
        deps.errors.report(end.error, `check ${stepId}`);
      }
      notSentAll(
        list,
        stoppedWith !== undefined
          ? l10n.t('Not sent: {0} could not run.', stoppedWith)
          : ((end.error as Error)?.message ?? String(end.error)),
      );
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

/** A document's stored result as the pipeline's outcome; kept for the failure's diff and Accept as Expected. */
async function storedOutcome(
  deps: CheckDeps,
  item: vscode.TestItem,
  run: RunRecord,
  durationMs: number | undefined,
  actual: Map<string, Stored>,
): Promise<DocumentOutcome> {
  const executionId = run.executionId as string;
  const stored = await deps.results.get(executionId);
  if (!stored || stored.dataText !== undefined) {
    return {
      kind: 'refused',
      executionId,
      message: stored
        ? l10n.t('The result of execution {0} is too deeply nested to compare.', executionId)
        : l10n.t('The result of execution {0} is no longer stored.', executionId),
    };
  }
  actual.set(item.id, { data: stored.data, sha256: run.sha256 });
  return { kind: 'result', data: stored.data, executionId, durationMs, sha256: run.sha256 };
}

async function confirmText(ready: readonly Entry[]): Promise<{ message: string; detail: string }> {
  const pages = await documentPages(ready.map(p => p.documentUri));
  const steps = new Map<string, number>();
  ready.forEach(p => steps.set(p.stepId, (steps.get(p.stepId) ?? 0) + 1));
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
    ...(steps.size > 1
      ? [...steps].map(([id, n]) =>
          n === 1 ? l10n.t('{0}: 1 document', stepLabel(id)) : l10n.t('{0}: {1} documents', stepLabel(id), n),
        )
      : []),
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
