/**
 * `docutray-steps`: the command-line twin of the extension's expected-results checks, on the same
 * VS Code-free core (src/core/expected/). Exit codes come only from a complete report: 0 every document
 * was checked and matched (or was recorded), 1 every document was checked and some differ (or have no
 * usable expected result), 2 some document could not be checked, or the check could not run (usage,
 * settings, key, step, quota, service, a report or an expected file that could not be written), or the
 * process ended before its report was written (Ctrl-C, a crash).
 *
 * The process stays alive until its reports are written (a timer of its own: the request budget's waits
 * do not hold Node up, and a check that only waits for DocuTray would otherwise end silently with 0).
 */
import { readFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { QuotaExceededError, NotFoundError, RateLimitError } from '../core/api/errors';
import { sha256OfFile } from '../core/documents/hash';
import { checkDocuments, checkExitCode, type DocumentCheck, type CheckStatus } from '../core/expected/check';
import type { Difference } from '../core/expected/compare';
import { normalizeExpectedFolder } from '../core/expected/expectedFile';
import { PathSyntaxError, parsePattern } from '../core/expected/jsonPath';
import {
  runDocuments,
  type AcceptedStart,
  type DocumentOutcome,
  type RunStop,
  type RunSummary,
} from '../core/expected/runDocuments';
import { compareOptionsFor, readExpectedSettings, type ExpectedSettings } from '../core/expected/settings';
import { isInside, removeFileInside, SaveRefusedError, writeFileInside } from '../core/files/containment';
import { resultFileName } from '../core/results/naming';
import { documentFieldCounts, type FieldCount } from '../core/review/accuracy';
import { expandMetadata } from '../core/runs/metadata';
import { type DocumentState, isOpen } from '../core/batches/record';
import { inShard } from '../core/batches/shard';
import { USAGE, UsageError, parseCommandLine, type CommonArgs, type CompareFlags } from './args';
import { earlierStarts, Journal } from './journal';
import { findObsoleteExpected } from './obsolete';
import { KeptChecks, REPORTERS, type CheckReport, type ObsoleteFile } from './reporters';
import { connect, describeFatal, type Service } from './service';
import { terminalText } from './text';
import {
  ConfigError,
  documentExcludes,
  fileIo,
  findDocuments,
  readFileList,
  readSettingsFile,
  settingGetter,
} from './workspace';

export interface CliIo {
  argv: readonly string[];
  env: NodeJS.ProcessEnv;
  cwd: string;
  stdout: NodeJS.WriteStream;
  stderr: NodeJS.WriteStream;
  /** Aborted on Ctrl-C: no further start, no further poll; the report is written with what finished. */
  signal: AbortSignal;
  /** Milliseconds between progress lines when stderr is not a terminal (default 10 s). */
  progressEveryMs?: number;
}

function version(): string {
  try {
    const pkg = JSON.parse(readFileSync(join(__dirname, '..', 'package.json'), 'utf8')) as { version?: string };
    return pkg.version ?? 'unknown';
  } catch {
    return 'unknown';
  }
}

function write(stream: NodeJS.WritableStream, text: string): Promise<void> {
  return new Promise(resolve => stream.write(text, () => resolve()));
}

const clock = (ms: number) => new Date(ms).toTimeString().slice(0, 5);

function duration(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  return s < 90 ? `${s} s` : s < 5400 ? `${Math.round(s / 60)} min` : `${(s / 3600).toFixed(1)} h`;
}

/**
 * Where a check stands, on stderr: on a terminal one line rewritten in place; in a CI log a line at
 * least every 10 s (done/total, differences so far, a rate-limit wait with its reason, time left).
 */
class Progress {
  private readonly states = new Map<string, DocumentState>();
  private shown = false;
  private done = 0;
  private differing = 0;
  private notChecked = 0;
  private readonly startedAt = Date.now();
  private timer: ReturnType<typeof setInterval> | undefined;

  constructor(
    private readonly stream: NodeJS.WriteStream,
    private readonly total: number,
    private readonly budget: Service['budget'] | undefined,
    everyMs: number,
  ) {
    if (!this.tty) {
      this.timer = setInterval(() => this.stream.write(`docutray-steps: ${this.summary()}\n`), everyMs);
      this.timer.unref();
    }
  }

  private get tty(): boolean {
    return this.stream.isTTY === true;
  }

  private summary(): string {
    const running = [...this.states.values()].filter(s => isOpen(s) && s !== 'pending').length;
    const parts = [`${this.done}/${this.total} documents done`];
    if (this.differing) {
      parts.push(`${this.differing} ${this.differing === 1 ? 'differs' : 'differ'}`);
    }
    if (this.notChecked) {
      parts.push(`${this.notChecked} not checked`);
    }
    if (running) {
      parts.push(`${running} running`);
    }
    const state = this.budget?.state();
    if (state?.pausedUntil !== undefined) {
      parts.push(
        `waiting for DocuTray's rate limit (${state.limit} requests per ${state.limitType}) until ${clock(state.pausedUntil)}`,
      );
    }
    if (this.done > 0 && this.done < this.total) {
      const left = ((Date.now() - this.startedAt) / this.done) * (this.total - this.done);
      parts.push(`about ${duration(left)} left`);
    }
    return parts.join(', ');
  }

  line(text: string): void {
    if (this.tty) {
      const width = Math.max(20, (this.stream.columns || 80) - 1);
      const chars = Array.from(terminalText(text));
      this.stream.write(`\r\x1b[K${chars.length > width ? `${chars.slice(0, width - 1).join('')}…` : chars.join('')}`);
      this.shown = true;
    }
  }

  update(id: string, state: DocumentState): void {
    this.states.set(id, state);
    this.line(`[${this.done}/${this.total}] ${this.summary()} · ${state} ${id}`);
  }

  settled(id: string, status: CheckStatus | 'result' | 'noResult'): void {
    this.states.delete(id);
    this.done++;
    if (status === 'failed' || status === 'missing' || status === 'documentChanged' || status === 'invalidExpected') {
      this.differing++;
    } else if (status !== 'passed' && status !== 'created' && status !== 'updated' && status !== 'result') {
      this.notChecked++;
    }
    this.line(`[${this.done}/${this.total}] ${this.summary()}`);
  }

  end(): void {
    if (this.timer) {
      clearInterval(this.timer);
    }
    if (this.shown) {
      this.stream.write('\r\x1b[K');
      this.shown = false;
    }
  }
}

interface Prepared {
  root: string;
  settings: Record<string, unknown>;
  documents: string[];
  metadataFor: (document: string) => Record<string, unknown> | undefined;
  timeoutMs: number;
  concurrency: number;
  /** The part of the key's rate limit this process takes: 1/n with `--shard i/n`, else 1. */
  rateShare: number;
}

function numberSetting(value: unknown, fallback: number, min: number, max: number): number {
  return typeof value === 'number' && Number.isFinite(value) ? Math.min(max, Math.max(min, value)) : fallback;
}

async function prepare(args: CommonArgs, cwd: string, stdin: NodeJS.ReadableStream = process.stdin): Promise<Prepared> {
  if (
    args.stepId === '.' ||
    args.stepId === '..' ||
    args.stepId.length > 200 ||
    // eslint-disable-next-line no-control-regex
    /[\u0000-\u001f\u007f]/.test(args.stepId)
  ) {
    throw new UsageError(`"${terminalText(args.stepId)}" is not a step ID.`);
  }
  const root = resolve(cwd, args.root ?? '.');
  const settings = args.noSettings
    ? {}
    : await readSettingsFile(
        args.settingsFile ? resolve(cwd, args.settingsFile) : join(root, '.vscode', 'settings.json'),
        args.settingsFile !== undefined,
      );
  const get = settingGetter(settings);
  const template = get('documentMetadata');
  const vars = (document: string) => ({
    fileName: basename(document),
    relativePath: document,
    workspaceFolder: basename(root),
  });
  try {
    expandMetadata(template, vars('document.pdf'));
  } catch (e) {
    throw new ConfigError((e as Error).message);
  }
  const listed = args.filesFrom === undefined ? [] : await readFileList(args.filesFrom, root, cwd, stdin);
  const paths = [...args.paths, ...listed];
  const all = await findDocuments(root, paths, cwd, documentExcludes(settings));
  if (all.length === 0) {
    const named = [...args.paths, ...(args.filesFrom === undefined ? [] : [`the paths in ${args.filesFrom}`])];
    throw new ConfigError(
      `No PDFs or images under ${named.join(', ')} (files.exclude and docutray.batch.exclude leave some out).`,
    );
  }
  // A part may be empty (fewer documents than parts, or an unlucky hash): that job checks nothing.
  const documents = args.shard ? inShard(all, args.shard) : all;
  return {
    root,
    settings,
    documents,
    metadataFor: document => expandMetadata(template, vars(document)),
    timeoutMs: (args.timeoutSeconds ?? numberSetting(get('pollTimeoutSeconds'), 300, 10, 3600)) * 1000,
    concurrency: args.concurrency ?? Math.floor(numberSetting(get('maxConcurrentRuns'), 4, 1, 16)),
    rateShare: args.shard ? 1 / args.shard.count : 1,
  };
}

/** The settings' `docutray.expected.*`, with the flags over them. */
function expectedSettings(settings: Record<string, unknown>, flags: CompareFlags, stepId: string): ExpectedSettings {
  const { settings: s, problems } = readExpectedSettings(settingGetter(settings));
  if (problems.length) {
    throw new ConfigError(`The settings cannot be used:\n  ${problems.join('\n  ')}`);
  }
  const pattern = (flag: string, p: string) => {
    try {
      parsePattern(p);
    } catch (e) {
      throw new UsageError(`${flag}: ${(e as PathSyntaxError).message}`);
    }
  };
  if (flags.expectedFolder !== undefined) {
    try {
      s.folder = normalizeExpectedFolder(flags.expectedFolder);
    } catch (e) {
      throw new UsageError((e as Error).message);
    }
  }
  s.absoluteTolerance = flags.absoluteTolerance ?? s.absoluteTolerance;
  s.relativeTolerance = flags.relativeTolerance ?? s.relativeTolerance;
  s.strings = flags.strings ?? s.strings;
  for (const p of flags.ignore) {
    pattern('--ignore', p);
    s.ignorePaths.push(p);
  }
  for (const [list, field] of flags.arrayKeys) {
    pattern('--array-key', list);
    (s.arrayKeys[stepId] ??= Object.create(null) as Record<string, string>)[list] = field;
  }
  return s;
}

interface Engine {
  service: Service;
  journal: Journal;
  /** Executions reported (their journal entries are taken out once the reports are written). */
  reported: Set<string>;
}

/**
 * The documents' runs, on the one core runner: each start written to the journal before it is polled,
 * executions an earlier run billed for the same bytes read instead of started.
 */
async function runWithJournal(
  engine: Engine,
  prepared: Prepared,
  stepId: string,
  documents: string[],
  io: CliIo,
  progress: Progress,
  onOutcome: (document: string, outcome: DocumentOutcome) => Promise<void>,
): Promise<RunSummary> {
  const entries = (await engine.journal.entries()).filter(e => e.stepId === stepId);
  const resume = new Map<string, AcceptedStart>();
  if (entries.length) {
    const take = earlierStarts(entries, stepId);
    for (const d of documents) {
      const hash = await sha256OfFile(join(prepared.root, d)).catch(() => undefined);
      const earlier = hash === undefined ? undefined : take(hash, d);
      if (earlier) {
        resume.set(d, { executionId: earlier.executionId, sha256: earlier.sha256 });
      }
    }
  }
  return runDocuments(
    documents.map(d => ({
      id: d,
      input: { kind: 'path', path: join(prepared.root, d) },
      metadata: prepared.metadataFor(d),
    })),
    engine.service,
    {
      stepId,
      maxUploads: prepared.concurrency,
      timeoutMs: prepared.timeoutMs,
      signal: io.signal,
      resume,
      onProgress: (id, state) => progress.update(id, state),
      onStarted: async (document, start) => {
        const sha256 = start.sha256 ?? (await sha256OfFile(join(prepared.root, document)));
        await engine.journal.record({
          executionId: start.executionId,
          sha256,
          stepId,
          document,
          startedAt: new Date().toISOString(),
        });
      },
      onOutcome: async (document, outcome) => {
        await onOutcome(document, outcome);
        // Read and handed on: its journal entry goes once the reports are written. A result that may
        // still come (timed out) or was not read stays in the journal for the next run.
        if (
          'executionId' in outcome &&
          outcome.executionId !== undefined &&
          outcome.kind !== 'timedOut' &&
          outcome.kind !== 'billed'
        ) {
          engine.reported.add(outcome.executionId);
        }
      },
    },
  );
}

/** Why a run stopped early, in words for the report and stderr. */
function stopMessage(stop: RunStop | undefined, stepId: string, interrupted: boolean): string | undefined {
  if (!stop) {
    return interrupted ? 'interrupted (Ctrl-C).' : undefined;
  }
  switch (stop.kind) {
    case 'cancelled':
      return 'interrupted (Ctrl-C): no further document was started.';
    case 'paused':
      return `DocuTray's rate limit (${stop.limit} requests per ${stop.limitType}) asks to wait until ${new Date(stop.until).toISOString().slice(0, 16).replace('T', ' ')} UTC (retry at ${clock(stop.until)} local time): no further document was started.`;
    case 'fatal': {
      const e = stop.error;
      const what =
        e instanceof NotFoundError && e.resource === 'step'
          ? `DocuTray has no step \`${stepId}\` that this key may use (${e.status ?? 404}): check --step. No other document was sent.`
          : e instanceof QuotaExceededError
            ? `${e.message} No further document was started; those already billed were read.`
            : e instanceof RateLimitError
              ? e.message
              : `${describeFatal(e)} No further document was started.`;
      return what;
    }
  }
}

/** Writes one report through the containment checks; says what went wrong instead of throwing. */
async function writeReport(root: string, cwd: string, file: string, text: string): Promise<string | undefined> {
  const full = resolve(cwd, file);
  try {
    await writeFileInside(root, full, text);
    return undefined;
  } catch (e) {
    const why =
      e instanceof SaveRefusedError
        ? e.message
        : `${(e as NodeJS.ErrnoException).code ?? ''} ${(e as Error).message}`.trim();
    return `the report ${full} was not written: ${why}`;
  }
}

async function check(cmd: Extract<ReturnType<typeof parseCommandLine>, { command: 'check' }>, io: CliIo) {
  const startedAt = Date.now();
  const prepared = await prepare(cmd, io.cwd);
  const settings = expectedSettings(prepared.settings, cmd.compare, cmd.stepId);
  const service = await connect(io.env, `docutray-steps-cli/${version()} node/${process.versions.node}`, {
    share: prepared.rateShare,
  });
  const engine: Engine = { service, journal: new Journal(prepared.root), reported: new Set() };
  const progress = new Progress(io.stderr, prepared.documents.length, service.budget, io.progressEveryMs ?? 10_000);
  progress.line('Reading the documents and their expected results…');
  const reporters = cmd.reporters.map(t => ({ target: t, reporter: REPORTERS[t.name]() }));
  const compare = compareOptionsFor(settings, cmd.stepId);
  // Per-field counts of the documents compared, from their check until it is handed on (then dropped).
  const fieldCounts = new Map<string, FieldCount[]>();
  const onCompared = reporters.some(r => r.reporter.wantsFields)
    ? (c: DocumentCheck, expected: unknown, actual: unknown, differences: readonly Difference[]) => {
        try {
          fieldCounts.set(c.document, documentFieldCounts(expected, actual, compare, differences));
        } catch {
          // A result too deep to count field by field: the summary lists it as not compared.
        }
      }
    : undefined;
  const keeper = new KeptChecks();
  const kept = keeper.checks;
  const onCheck = (c: DocumentCheck) => {
    progress.settled(c.document, c.status);
    const fields = fieldCounts.get(c.document);
    fieldCounts.delete(c.document);
    for (const { reporter } of reporters) {
      reporter.onCheck?.(c, fields);
    }
    keeper.add(c);
  };
  const problems: string[] = [];
  let summary: RunSummary | undefined;
  try {
    summary = await checkDocuments(prepared.documents, fileIo(prepared.root), {
      stepId: cmd.stepId,
      update: cmd.update,
      folder: settings.folder,
      compare,
      run: (documents, onOutcome) => runWithJournal(engine, prepared, cmd.stepId, documents, io, progress, onOutcome),
      onCheck,
      onCompared,
    });
  } finally {
    progress.end();
  }
  // Expected files whose document is gone: listed, and removed by --update.
  const obsolete: ObsoleteFile[] = [];
  try {
    for (const file of await findObsoleteExpected(prepared.root, cmd.paths, io.cwd, cmd.stepId, settings.folder)) {
      const entry: ObsoleteFile = { expectedFile: file, removed: false };
      if (cmd.update && !io.signal.aborted) {
        try {
          await removeFileInside(prepared.root, join(prepared.root, ...file.split('/')));
          entry.removed = true;
        } catch (e) {
          entry.error = (e as Error).message;
        }
      }
      obsolete.push(entry);
    }
  } catch (e) {
    problems.push(`the expected files whose document is gone could not be listed: ${(e as Error).message}`);
  }
  const order = new Map(prepared.documents.map((d, i) => [d, i]));
  kept.sort((a, b) => (order.get(a.document) ?? 0) - (order.get(b.document) ?? 0));
  const stopped = stopMessage(summary?.stop, cmd.stepId, io.signal.aborted);
  const unwritten = kept.filter(c => c.status === 'checkError').length;
  let exitCode: number = checkExitCode(kept.map(c => c.status));
  if (stopped || kept.length !== prepared.documents.length) {
    exitCode = 2;
  }
  const report: CheckReport = {
    stepId: cmd.stepId,
    update: cmd.update,
    checks: kept,
    exitCode,
    durationMs: Date.now() - startedAt,
    startedAt,
    obsolete,
    stopped,
    earlier: summary?.resumed ?? 0,
  };
  // Files first, then stdout; a report that cannot be written is that report's failure only.
  for (const { target, reporter } of reporters) {
    if (target.file !== undefined) {
      const problem = await writeReport(prepared.root, io.cwd, target.file, reporter.render(report));
      if (problem) {
        problems.push(problem);
      }
    }
  }
  for (const { target, reporter } of reporters) {
    if (target.file === undefined) {
      await write(io.stdout, reporter.render(report));
    }
  }
  if (!problems.length) {
    await engine.journal
      .settle(engine.reported)
      .catch(e => problems.push(`the journal could not be updated: ${(e as Error).message}`));
  }
  if (stopped) {
    await write(io.stderr, `docutray-steps: stopped: ${terminalText(stopped)}\n`);
  }
  if (unwritten) {
    await write(
      io.stderr,
      `docutray-steps: ${unwritten} document${unwritten === 1 ? '' : 's'} could not be compared or recorded (see ERROR above).\n`,
    );
  }
  for (const p of problems) {
    await write(io.stderr, `docutray-steps: ${terminalText(p)}\n`);
  }
  return problems.length ? 2 : exitCode;
}

async function run(cmd: Extract<ReturnType<typeof parseCommandLine>, { command: 'run' }>, io: CliIo) {
  const prepared = await prepare(cmd, io.cwd);
  const outDir = cmd.out === undefined ? undefined : resolve(io.cwd, cmd.out);
  // Refused before anything starts: every start bills, and results are never written outside the root.
  if (outDir !== undefined && !isInside(prepared.root, outDir)) {
    throw new ConfigError(
      `--out ${outDir} is not inside the workspace root ${prepared.root}: pick a folder inside it, or pass --root.`,
    );
  }
  const service = await connect(io.env, `docutray-steps-cli/${version()} node/${process.versions.node}`, {
    share: prepared.rateShare,
  });
  const engine: Engine = { service, journal: new Journal(prepared.root), reported: new Set() };
  const progress = new Progress(io.stderr, prepared.documents.length, service.budget, io.progressEveryMs ?? 10_000);
  let allResults = true;
  let told = 0;
  const problems: string[] = [];
  // Each result is written (or printed) as it comes, then dropped.
  const onOutcome = async (document: string, outcome: DocumentOutcome) => {
    told++;
    progress.settled(document, outcome.kind === 'result' ? 'result' : 'noResult');
    allResults &&= outcome.kind === 'result';
    if (outDir === undefined) {
      const { kind, ...rest } = outcome;
      const line =
        kind === 'result'
          ? { document, stepId: cmd.stepId, status: kind, executionId: outcome.executionId, result: outcome.data }
          : { document, stepId: cmd.stepId, status: kind, ...rest };
      await write(io.stdout, `${JSON.stringify(line)}\n`);
      return;
    }
    if (outcome.kind === 'result') {
      const file = join(outDir, dirname(document), resultFileName(basename(document), cmd.stepId));
      try {
        await writeFileInside(prepared.root, file, `${JSON.stringify(outcome.data, null, 2)}\n`);
        await write(io.stdout, `OK        ${terminalText(document)} -> ${terminalText(file)}\n`);
      } catch (e) {
        allResults = false;
        problems.push(`${file} was not written: ${(e as Error).message}`);
        await write(
          io.stdout,
          `ERROR     ${terminalText(document)}  not written: ${terminalText((e as Error).message)}\n`,
        );
      }
    } else {
      await write(
        io.stdout,
        `${(outcome.kind === 'notRun' ? 'NOT STARTED' : outcome.kind.toUpperCase()).padEnd(10)}${terminalText(document)}  ${terminalText(outcome.message)}\n`,
      );
    }
  };
  let summary: RunSummary;
  try {
    summary = await runWithJournal(engine, prepared, cmd.stepId, prepared.documents, io, progress, onOutcome);
  } finally {
    progress.end();
  }
  if (summary.resumed) {
    await write(
      io.stderr,
      `docutray-steps: ${summary.resumed} document${summary.resumed === 1 ? '' : 's'} billed earlier ${summary.resumed === 1 ? 'was' : 'were'} read, not run again.\n`,
    );
  }
  if (!problems.length) {
    await engine.journal
      .settle(engine.reported)
      .catch(e => problems.push(`the journal could not be updated: ${(e as Error).message}`));
  }
  const stopped = stopMessage(summary.stop, cmd.stepId, io.signal.aborted);
  if (stopped) {
    await write(io.stderr, `docutray-steps: stopped: ${terminalText(stopped)}\n`);
  }
  for (const p of problems) {
    await write(io.stderr, `docutray-steps: ${terminalText(p)}\n`);
  }
  return allResults && !stopped && !problems.length && told === prepared.documents.length ? 0 : 2;
}

/** Runs the command line; resolves with the exit code. Never throws. */
export async function main(io: CliIo): Promise<number> {
  try {
    const cmd = parseCommandLine(io.argv);
    switch (cmd.command) {
      case 'help':
        await write(io.stdout, USAGE);
        return 0;
      case 'version':
        await write(io.stdout, `${version()}\n`);
        return 0;
      case 'check':
        return await check(cmd, io);
      case 'run':
        return await run(cmd, io);
    }
  } catch (e) {
    if (e instanceof UsageError) {
      await write(
        io.stderr,
        `docutray-steps: ${terminalText(e.message)}\nRun docutray-steps --help for the options.\n`,
      );
      return 2;
    }
    if (io.signal.aborted) {
      await write(io.stderr, 'docutray-steps: interrupted.\n');
      return 2;
    }
    const lines = describeFatal(e).split('\n').map(terminalText);
    await write(io.stderr, `docutray-steps: ${lines.join('\n')}\n`);
    return 2;
  }
}

if (require.main === module) {
  // A check keeps little but reads result after result of up to megabytes, all garbage once compared:
  // V8 then lets its heap grow to a multiple of what is live before collecting. Favouring size over speed
  // keeps the peak near what is live (600 documents of 1 MB: 174 → ~126 MB, docs/benchmarks.md); the
  // time a check takes is DocuTray's and its rate limit's, not this process's.
  setFlagsFromString('--optimize-for-size');
  // Until a complete report says otherwise, ending means "could not check".
  process.exitCode = 2;
  // The process lives until its report is written: nothing else is sure to hold Node up meanwhile.
  const keepAlive = setInterval(() => undefined, 1 << 30);
  const abort = new AbortController();
  process.on('SIGINT', () => {
    if (abort.signal.aborted) {
      // The journal is on disk already: the next run reads what was billed.
      process.stderr.write('\ndocutray-steps: quit; the next check reads what was billed.\n');
      process.exit(2);
    }
    process.stderr.write(
      '\ndocutray-steps: stopping: no further document is started; the report follows (Ctrl-C again to quit now)…\n',
    );
    abort.abort();
  });
  void main({
    argv: process.argv.slice(2),
    env: process.env,
    cwd: process.cwd(),
    stdout: process.stdout,
    stderr: process.stderr,
    signal: abort.signal,
  }).then(
    code => {
      clearInterval(keepAlive);
      process.exitCode = code;
      // Reports are written: whatever else is still open (an idle connection) does not hold the exit up.
      setTimeout(() => process.exit(code), 500).unref();
    },
    () => clearInterval(keepAlive),
  );
}
