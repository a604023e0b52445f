/** The command line of `docutray-steps`: what it accepts, checked before anything is read or sent. */
import { parseArgs } from 'node:util';
import { STRING_COMPARISONS, type StringComparison } from '../core/expected/compare';

export const USAGE = `docutray-steps: run DocuTray steps on documents and check their results against expected results.

Usage:
  docutray-steps check <paths…> --step <id> [-u|--update] [--reporter <name>[=<file>]]… [--output <file>]
  docutray-steps run <paths…> --step <id> [--out <dir>]
  docutray-steps --help | --version

check   Runs the step on every PDF and image under <paths> and compares each result with its
        expected file. Exit 0 when every document was checked and matches; 1 when every document
        was checked and some differ, have no expected result or have changed; 2 when a document
        could not be checked (no result, a step error, an interruption), for a usage or settings
        error, a refused key, an unknown step, the quota, a long rate-limit wait, an unreachable
        service or a report that could not be written. Without --update no file is ever written
        but the journal. Expected files whose document is gone are listed.
          -u, --update          record the expected files that are missing or differ, and remove
                                those whose document is gone; exit 0 when every document has a result
          --reporter <name>[=<file>]
                                pretty (default), json, junit, or fields (per-field accuracy as
                                Markdown, for a CI job summary), to stdout or to <file>; repeatable:
                                --reporter pretty --reporter junit=report.xml
          --output <file>       write the --reporter to this file (a pretty report goes to stdout)
run     Runs the step and writes each result as JSON: with --out <dir> (a folder inside the root)
        to <dir>/<path>.<step>.json, else one JSON line per document on stdout. Exit 0 when every
        document has a result, 2 otherwise.

Every start bills: each one is written to <root>/.docutray/journal.jsonl before its result is read,
and a later check or run of the same step reads a result not read yet instead of starting again.
Ctrl-C stops starting documents and writes the report with what finished; a second Ctrl-C quits at once.

Options:
  --step <id>                 the DocuTray step ID (required)
  --root <dir>                the workspace root (default: the current folder); reports name
                              documents relative to it
  --settings <file>           settings to read (default: <root>/.vscode/settings.json, if any)
  --no-settings               read no settings file
  --concurrency <n>           documents uploaded at once, 1-16 (default: docutray.maxConcurrentRuns, 4)
  --timeout <seconds>         give up on a document's result after this long
                              (default: docutray.pollTimeoutSeconds, 300)
Choosing documents (folders are walked leaving out files.exclude and docutray.batch.exclude,
as the editor does; a document named explicitly is always taken):
  --files-from <file|->       also take the paths listed in <file> (- = stdin): one per line,
                              relative to the current folder, inside the root; blank lines and
                              lines starting with # are skipped (<paths…> may then be left out)
  --shard <i>/<n>             check only the i-th of n parts (1 <= i <= n), split by a hash of each
                              document's path: stable as documents come and go, disjoint, and
                              together every document. Each part also takes 1/n of the key's rate
                              limit, so n jobs on one key do not refuse each other
Comparison, for check (each replaces its docutray.expected.* setting; --ignore and --array-key add):
  --expected-folder <dir>     keep expected files under this workspace folder, not beside documents
  --absolute-tolerance <n>    numbers this close are equal
  --relative-tolerance <n>    numbers within this fraction of the larger are equal
  --strings <mode>            exact, whitespace or whitespaceAndCase
  --ignore <path>             leave this JSON path out (repeatable), e.g. processed_at, **.confidence
  --array-key <path>=<field>  match the list at <path> by <field> (repeatable), e.g. line_items=description

Environment:
  DOCUTRAY_API_KEY            the API key (required; never printed)
  DOCUTRAY_BASE_URL           the service (default https://app.docutray.com; http only for localhost)
`;

export const REPORTER_NAMES = ['pretty', 'json', 'junit', 'fields'] as const;
export type Reporter = (typeof REPORTER_NAMES)[number];

/** One report to write: to stdout, or to a file (cwd-relative as given). */
export interface ReporterTarget {
  name: Reporter;
  file?: string;
}

export interface CommonArgs {
  paths: string[];
  stepId: string;
  root?: string;
  settingsFile?: string;
  noSettings: boolean;
  concurrency?: number;
  timeoutSeconds?: number;
  /** `--shard i/n`: the i-th (1-based) of n parts. */
  shard?: Shard;
  /** `--files-from`: a file of paths, or `-` for stdin. */
  filesFrom?: string;
}

export interface Shard {
  index: number;
  count: number;
}

export interface CompareFlags {
  expectedFolder?: string;
  absoluteTolerance?: number;
  relativeTolerance?: number;
  strings?: StringComparison;
  ignore: string[];
  /** [list pattern, field] */
  arrayKeys: [string, string][];
}

export type Command =
  | { command: 'help' }
  | { command: 'version' }
  | ({
      command: 'check';
      update: boolean;
      reporters: ReporterTarget[];
      compare: CompareFlags;
    } & CommonArgs)
  | ({ command: 'run'; out?: string } & CommonArgs);

/** A command line that cannot be run: exit 2 with the message and a pointer to --help. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

const OPTIONS = {
  step: { type: 'string' },
  update: { type: 'boolean', short: 'u' },
  reporter: { type: 'string', multiple: true },
  output: { type: 'string' },
  out: { type: 'string' },
  root: { type: 'string' },
  settings: { type: 'string' },
  'no-settings': { type: 'boolean' },
  concurrency: { type: 'string' },
  timeout: { type: 'string' },
  shard: { type: 'string' },
  'files-from': { type: 'string' },
  'expected-folder': { type: 'string' },
  'absolute-tolerance': { type: 'string' },
  'relative-tolerance': { type: 'string' },
  strings: { type: 'string' },
  ignore: { type: 'string', multiple: true },
  'array-key': { type: 'string', multiple: true },
  help: { type: 'boolean', short: 'h' },
  version: { type: 'boolean', short: 'v' },
} as const;

/** Flags that only one command takes. */
const ONLY: Record<string, 'check' | 'run'> = {
  update: 'check',
  reporter: 'check',
  output: 'check',
  'expected-folder': 'check',
  'absolute-tolerance': 'check',
  'relative-tolerance': 'check',
  strings: 'check',
  ignore: 'check',
  'array-key': 'check',
  out: 'run',
};

function number(name: string, text: string | undefined, opts: { min: number; max?: number; integer?: boolean }) {
  if (text === undefined) {
    return undefined;
  }
  const n = Number(text);
  if (
    text.trim() === '' ||
    !Number.isFinite(n) ||
    n < opts.min ||
    (opts.max !== undefined && n > opts.max) ||
    (opts.integer && !Number.isInteger(n))
  ) {
    throw new UsageError(
      `--${name} must be ${opts.integer ? 'a whole number' : 'a number'} of ${opts.min}${opts.max !== undefined ? ` to ${opts.max}` : ' or more'}, not "${text}".`,
    );
  }
  return n;
}

/** At most this many parts: more jobs than that on one key would each get almost none of its limit. */
export const MAX_SHARDS = 1000;

function shard(text: string | undefined): Shard | undefined {
  if (text === undefined) {
    return undefined;
  }
  const m = /^\s*(\d+)\s*\/\s*(\d+)\s*$/.exec(text);
  const index = m ? Number(m[1]) : NaN;
  const count = m ? Number(m[2]) : NaN;
  if (!m || index < 1 || count < 1 || index > count || count > MAX_SHARDS) {
    throw new UsageError(
      `--shard takes <i>/<n>, the i-th of n parts with 1 <= i <= n <= ${MAX_SHARDS} (like --shard 2/4), not "${text}".`,
    );
  }
  return { index, count };
}

function filesFrom(text: string | undefined): string | undefined {
  if (text !== undefined && text.trim() === '') {
    throw new UsageError('--files-from takes a file of paths, or - for stdin.');
  }
  return text;
}

export function parseCommandLine(argv: readonly string[]): Command {
  let parsed: ReturnType<typeof parseArgs<{ options: typeof OPTIONS; allowPositionals: true; strict: true }>>;
  try {
    parsed = parseArgs({ args: [...argv], options: OPTIONS, allowPositionals: true, strict: true });
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  const v = parsed.values;
  if (v.help) {
    return { command: 'help' };
  }
  if (v.version) {
    return { command: 'version' };
  }
  const [command, ...paths] = parsed.positionals;
  if (command === undefined) {
    throw new UsageError('Name a command: check or run.');
  }
  if (command !== 'check' && command !== 'run') {
    throw new UsageError(`Unknown command "${command}": use check or run.`);
  }
  for (const [flag, only] of Object.entries(ONLY)) {
    if ((v as Record<string, unknown>)[flag] !== undefined && only !== command) {
      throw new UsageError(`--${flag} is an option of ${only}, not of ${command}.`);
    }
  }
  if (paths.length === 0 && v['files-from'] === undefined) {
    throw new UsageError(`Name the documents or folders to ${command === 'check' ? 'check' : 'run the step on'}.`);
  }
  const stepId = v.step?.trim();
  if (!stepId) {
    throw new UsageError('Name the step: --step <id> (a step ID from the DocuTray dashboard).');
  }
  if (v.settings !== undefined && v['no-settings']) {
    throw new UsageError('Give --settings or --no-settings, not both.');
  }
  const strings = v.strings;
  if (strings !== undefined && !STRING_COMPARISONS.includes(strings as StringComparison)) {
    throw new UsageError(`--strings must be one of ${STRING_COMPARISONS.join(', ')}, not "${strings}".`);
  }
  const arrayKeys = (v['array-key'] ?? []).map((spec): [string, string] => {
    const at = spec.lastIndexOf('=');
    const list = spec.slice(0, at).trim();
    const field = spec.slice(at + 1).trim();
    if (at <= 0 || !list || !field) {
      throw new UsageError(`--array-key takes <list path>=<field>, like line_items=description, not "${spec}".`);
    }
    return [list, field];
  });
  const common: CommonArgs = {
    paths,
    stepId,
    root: v.root,
    settingsFile: v.settings,
    noSettings: v['no-settings'] === true,
    concurrency: number('concurrency', v.concurrency, { min: 1, max: 16, integer: true }),
    timeoutSeconds: number('timeout', v.timeout, { min: 1 }),
    shard: shard(v.shard),
    filesFrom: filesFrom(v['files-from']),
  };
  const compare: CompareFlags = {
    expectedFolder: v['expected-folder'],
    absoluteTolerance: number('absolute-tolerance', v['absolute-tolerance'], { min: 0 }),
    relativeTolerance: number('relative-tolerance', v['relative-tolerance'], { min: 0 }),
    strings: strings as StringComparison | undefined,
    ignore: v.ignore ?? [],
    arrayKeys,
  };
  if (command === 'run') {
    return { command: 'run', out: v.out, ...common };
  }
  return {
    command: 'check',
    update: v.update === true,
    reporters: reporterTargets(v.reporter ?? [], v.output),
    compare,
    ...common,
  };
}

/**
 * `--reporter name[=file]`, repeatable, with the older `--output <file>` (the one named reporter to that
 * file, a pretty report to stdout). One report at most goes to stdout: a pretty one when none is named
 * for it.
 */
function reporterTargets(specs: readonly string[], output: string | undefined): ReporterTarget[] {
  const targets = specs.map((spec): ReporterTarget => {
    const at = spec.indexOf('=');
    const name = (at < 0 ? spec : spec.slice(0, at)).trim();
    const file = at < 0 ? undefined : spec.slice(at + 1).trim();
    if (!(REPORTER_NAMES as readonly string[]).includes(name)) {
      throw new UsageError(`--reporter must be ${REPORTER_NAMES.join(', ')} (optionally =<file>), not "${spec}".`);
    }
    if (file === '') {
      throw new UsageError(`--reporter ${name}= needs a file name after the =.`);
    }
    return { name: name as Reporter, file };
  });
  if (output !== undefined) {
    const toStdout = targets.filter(t => t.file === undefined);
    if (toStdout.length > 1) {
      throw new UsageError("--output takes one --reporter; name the others' files with --reporter <name>=<file>.");
    }
    if (toStdout.length) {
      toStdout[0].file = output;
    } else {
      targets.push({ name: 'pretty', file: output });
    }
  }
  const toStdout = targets.filter(t => t.file === undefined);
  if (toStdout.length > 1) {
    throw new UsageError('Only one report can go to stdout: give the others a file, as --reporter junit=report.xml.');
  }
  if (!toStdout.length) {
    targets.unshift({ name: 'pretty' });
  }
  const files = targets.filter(t => t.file !== undefined).map(t => t.file as string);
  if (new Set(files).size !== files.length) {
    throw new UsageError('Two reports would go to the same file.');
  }
  return targets;
}
