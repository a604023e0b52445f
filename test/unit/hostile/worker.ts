/**
 * Runs one hostile case in a process of its own and prints one JSON line: the milliseconds it took
 * and the extra memory it needed at its peak (the process's peak resident set minus its resident set
 * just before, the input already built) — a peak no later test or earlier garbage can blur.
 *
 *   node --expose-gc out/test/unit/hostile/worker.js <case> [<pdf file>] [--core <compiled src/core>]
 *
 * `--core` runs a compiled copy of src/core instead of this tree's (the bench measures the code before
 * a fix that way).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { bigResult, deepArray, deepObject, invoice } from './inputs';

export interface CaseResult {
  /** Wall-clock time. */
  ms: number;
  /**
   * Processor time (user and system) of this process: what the bounds are checked against, as the
   * wall clock of a machine shared by many builds also counts the time others had the processor.
   */
  cpuMs: number;
  /** Peak resident memory above what the process held before, in MB. */
  extraMB: number;
  summary: unknown;
}

/* eslint-disable @typescript-eslint/no-require-imports -- modules of the core being measured, chosen at run time */
function load(core: string) {
  return {
    pageCount: require(join(core, 'documents/pageCount')) as typeof import('../../../src/core/documents/pageCount'),
    compare: require(join(core, 'expected/compare')) as typeof import('../../../src/core/expected/compare'),
    jsonPath: require(join(core, 'expected/jsonPath')) as typeof import('../../../src/core/expected/jsonPath'),
    expectedFile: require(
      join(core, 'expected/expectedFile'),
    ) as typeof import('../../../src/core/expected/expectedFile'),
    locate: require(join(core, 'expected/locate')) as typeof import('../../../src/core/expected/locate'),
    folder: require(join(core, 'batches/folder')) as typeof import('../../../src/core/batches/folder'),
  };
}
/* eslint-enable @typescript-eslint/no-require-imports */

type Core = ReturnType<typeof load>;

/** Each case: builds its input (not measured), then gives the operation to measure. */
const CASES: Record<string, (core: Core, file?: string) => () => unknown> = {
  pageCount: (core, file) => {
    const bytes = readFileSync(file!);
    return () => core.pageCount.countPdfPages(bytes);
  },
  /** `ignorePaths` `**.**.**.**.x` on a result 200 objects deep whose leaf changed. */
  ignoreDeep: core => {
    const e = deepObject(200, 1);
    const a = deepObject(200, 2);
    const ignore = [core.jsonPath.parsePattern('**.**.**.**.x')];
    return () => core.compare.compareResults(e, a, { ignore }).map(d => d.path.length);
  },
  /** An exclude glob with 12 `*`, against 100 paths it does not match. */
  globStars: core => {
    const rules = core.folder.excludeRules({}, [`${'*a'.repeat(12)}b`]);
    const paths = Array.from({ length: 100 }, (_, i) => `${'a'.repeat(40 + (i % 20))}.pdf`);
    return () => paths.filter(p => rules.excludes(p)).length;
  },
  /** 20,000 keyed differences (every amount of 20,000 line items changed), each located in the file. */
  locateKeyed: core => {
    const n = 20_000;
    const expected = invoice(n);
    const actual = invoice(n, 1);
    const text = core.expectedFile.serializeExpected({
      stepId: 's',
      document: 'd.pdf',
      sha256: '0'.repeat(64),
      result: expected,
    });
    const differences = core.compare.compareResults(expected, actual, {
      arrayKeys: [{ path: core.jsonPath.parsePattern('line_items'), field: 'description' }],
    });
    return () => {
      const locate = core.locate.resultLocator(text);
      let lines = 0;
      for (const d of differences) {
        lines += locate(d.segments)?.line ?? 0;
      }
      return { differences: differences.length, lines };
    };
  },
  /** A result 10,000 levels deep: compared, serialised as an expected file, read back and located. */
  deep: core => {
    const depth = 10_000;
    const e = deepObject(depth, 1);
    const a = deepObject(depth, 2);
    const list = deepArray(depth, 'x');
    return () => {
      const differences = core.compare.compareResults(e, a);
      const text = core.expectedFile.serializeExpected({
        stepId: 's',
        document: 'd.pdf',
        sha256: '0'.repeat(64),
        result: e,
      });
      const back = core.expectedFile.parseExpected(text, 's');
      const at = core.locate.resultLocator(text)(differences[0].segments);
      const listText = core.expectedFile.stableStringify(list);
      return {
        differences: differences.length,
        depth: differences[0].segments.length,
        bytes: text.length,
        readBack: core.compare.compareResults(back.result, e).length,
        line: at?.line,
        exact: at?.exact,
        listBytes: listText.length,
      };
    };
  },
  /** A 38 MB result written as a canonical expected file. */
  serialize38: core => {
    const result = bigResult(38 * 1024 * 1024);
    return () => ({
      bytes: core.expectedFile.serializeExpected({ stepId: 's', document: 'd.pdf', sha256: '0'.repeat(64), result })
        .length,
    });
  },
  /** The same result through JSON.stringify(…, null, 2): the floor any serialiser of it is measured against. */
  serialize38Native: () => {
    const result = bigResult(38 * 1024 * 1024);
    return () => ({ bytes: JSON.stringify(result, null, 2).length });
  },
};

export const CASE_NAMES = Object.keys(CASES);

function main(): void {
  const args = process.argv.slice(2);
  const coreAt = args.indexOf('--core');
  const core = coreAt >= 0 ? args.splice(coreAt, 2)[1] : join(__dirname, '..', '..', '..', 'src', 'core');
  const [name, file] = args;
  const make = CASES[name];
  if (!make) {
    throw new Error(`no case "${name}" (${CASE_NAMES.join(', ')})`);
  }
  const run = make(load(core), file);
  (globalThis as { gc?: () => void }).gc?.();
  const before = process.memoryUsage.rss();
  const cpu = process.cpuUsage();
  const started = performance.now();
  const summary = run();
  const ms = performance.now() - started;
  const used = process.cpuUsage(cpu);
  const peak = process.resourceUsage().maxRSS * 1024;
  const result: CaseResult = {
    ms,
    cpuMs: (used.user + used.system) / 1000,
    extraMB: Math.max(0, peak - before) / (1024 * 1024),
    summary,
  };
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

if (require.main === module) {
  main();
}
