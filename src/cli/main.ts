/**
 * `docutray-steps`: the command-line twin of the extension's expected-results checks, on the same
 * VS Code-free core (src/core/expected/). Exit codes: 0 all matched (or were recorded), 1 a document
 * differs, has no expected result or got no result, 2 the check could not run (usage, settings, key,
 * step, service), 130 interrupted.
 */
import { readFileSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { checkDocuments, checkExitCode, type DocumentCheck } from '../core/expected/check';
import { normalizeExpectedFolder } from '../core/expected/expectedFile';
import { PathSyntaxError, parsePattern } from '../core/expected/jsonPath';
import { runDocuments, type DocumentOutcome } from '../core/expected/runDocuments';
import { compareOptionsFor, readExpectedSettings, type ExpectedSettings } from '../core/expected/settings';
import { resultFileName } from '../core/results/naming';
import { expandMetadata } from '../core/runs/metadata';
import { type DocumentState, isOpen } from '../core/batches/record';
import { inShard } from '../core/batches/shard';
import { USAGE, UsageError, parseCommandLine, type CommonArgs, type CompareFlags } from './args';
import { jsonReport, junitReport, prettyReport, type CheckReport } from './reporters';
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
  /** Aborted on Ctrl-C. */
  signal: AbortSignal;
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

/** One line on stderr, rewritten in place; only when stderr is a terminal. */
class Progress {
  private readonly states = new Map<string, DocumentState>();
  private shown = false;

  constructor(
    private readonly stream: NodeJS.WriteStream,
    private readonly total: number,
  ) {}

  private get on(): boolean {
    return this.stream.isTTY === true;
  }

  line(text: string): void {
    if (this.on) {
      const width = Math.max(20, (this.stream.columns || 80) - 1);
      const chars = Array.from(terminalText(text));
      this.stream.write(`\r\x1b[K${chars.length > width ? `${chars.slice(0, width - 1).join('')}…` : chars.join('')}`);
      this.shown = true;
    }
  }

  update(id: string, state: DocumentState): void {
    this.states.set(id, state);
    const done = [...this.states.values()].filter(s => !isOpen(s)).length;
    const running = [...this.states.values()].filter(s => isOpen(s) && s !== 'pending').length;
    this.line(`[${done}/${this.total}] ${running} running · ${state} ${id}`);
  }

  end(): void {
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

function runner(service: Service, prepared: Prepared, stepId: string, io: CliIo, progress: Progress) {
  return (documents: string[]): Promise<Map<string, DocumentOutcome>> =>
    runDocuments(
      documents.map(d => ({
        id: d,
        input: { kind: 'path', path: join(prepared.root, d) },
        metadata: prepared.metadataFor(d),
      })),
      service,
      {
        stepId,
        maxUploads: prepared.concurrency,
        timeoutMs: prepared.timeoutMs,
        signal: io.signal,
        onProgress: (id, state) => progress.update(id, state),
      },
    );
}

async function check(cmd: Extract<ReturnType<typeof parseCommandLine>, { command: 'check' }>, io: CliIo) {
  const startedAt = Date.now();
  const prepared = await prepare(cmd, io.cwd);
  const settings = expectedSettings(prepared.settings, cmd.compare, cmd.stepId);
  const service = await connect(io.env, `docutray-steps-cli/${version()} node/${process.versions.node}`, {
    share: prepared.rateShare,
  });
  const progress = new Progress(io.stderr, prepared.documents.length);
  progress.line('Reading the documents and their expected results…');
  let checks: DocumentCheck[];
  try {
    checks = await checkDocuments(prepared.documents, fileIo(prepared.root), {
      stepId: cmd.stepId,
      update: cmd.update,
      folder: settings.folder,
      compare: compareOptionsFor(settings, cmd.stepId),
      run: runner(service, prepared, cmd.stepId, io, progress),
    });
  } finally {
    progress.end();
  }
  const exitCode = io.signal.aborted ? 130 : checkExitCode(checks);
  const report: CheckReport = {
    stepId: cmd.stepId,
    update: cmd.update,
    checks,
    exitCode,
    durationMs: Date.now() - startedAt,
    startedAt,
  };
  const text =
    cmd.reporter === 'json'
      ? jsonReport(report)
      : cmd.reporter === 'junit'
        ? junitReport(report)
        : prettyReport(report);
  if (cmd.output) {
    const file = resolve(io.cwd, cmd.output);
    await mkdir(dirname(file), { recursive: true });
    await writeFile(file, text, 'utf8');
    await write(io.stdout, prettyReport(report));
  } else {
    await write(io.stdout, text);
  }
  return exitCode;
}

async function run(cmd: Extract<ReturnType<typeof parseCommandLine>, { command: 'run' }>, io: CliIo) {
  const prepared = await prepare(cmd, io.cwd);
  const service = await connect(io.env, `docutray-steps-cli/${version()} node/${process.versions.node}`, {
    share: prepared.rateShare,
  });
  const progress = new Progress(io.stderr, prepared.documents.length);
  let outcomes: Map<string, DocumentOutcome>;
  try {
    outcomes = await runner(service, prepared, cmd.stepId, io, progress)(prepared.documents);
  } finally {
    progress.end();
  }
  const outDir = cmd.out === undefined ? undefined : resolve(io.cwd, cmd.out);
  let allResults = true;
  for (const document of prepared.documents) {
    const outcome = outcomes.get(document) ?? { kind: 'notRun', message: 'not run' };
    allResults &&= outcome.kind === 'result';
    if (outDir === undefined) {
      const { kind, ...rest } = outcome;
      const line =
        kind === 'result'
          ? { document, stepId: cmd.stepId, status: kind, executionId: outcome.executionId, result: outcome.data }
          : { document, stepId: cmd.stepId, status: kind, ...rest };
      await write(io.stdout, `${JSON.stringify(line)}\n`);
      continue;
    }
    if (outcome.kind === 'result') {
      const file = join(outDir, dirname(document), resultFileName(basename(document), cmd.stepId));
      await mkdir(dirname(file), { recursive: true });
      await writeFile(file, `${JSON.stringify(outcome.data, null, 2)}\n`, 'utf8');
      await write(io.stdout, `OK        ${terminalText(document)} -> ${terminalText(file)}\n`);
    } else {
      await write(
        io.stdout,
        `${outcome.kind.toUpperCase().padEnd(10)}${terminalText(document)}  ${terminalText(outcome.message)}\n`,
      );
    }
  }
  return io.signal.aborted ? 130 : allResults ? 0 : 1;
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
      return 130;
    }
    const lines = describeFatal(e).split('\n').map(terminalText);
    await write(io.stderr, `docutray-steps: ${lines.join('\n')}\n`);
    return 2;
  }
}

if (require.main === module) {
  const abort = new AbortController();
  process.on('SIGINT', () => {
    if (abort.signal.aborted) {
      process.exit(130);
    }
    process.stderr.write('\ndocutray-steps: stopping (Ctrl-C again to quit now)…\n');
    abort.abort();
  });
  void main({
    argv: process.argv.slice(2),
    env: process.env,
    cwd: process.cwd(),
    stdout: process.stdout,
    stderr: process.stderr,
    signal: abort.signal,
  }).then(code => process.exit(code));
}
