/**
 * The `docutray.expected.*` settings, read the same way by the editor and by the command line (which
 * reads them from the workspace's `.vscode/settings.json`), so a check compares alike in both:
 *
 *   docutray.expected.folder             '' = beside each document; else a workspace-relative folder
 *   docutray.expected.absoluteTolerance  numbers this close are equal (default 0)
 *   docutray.expected.relativeTolerance  numbers within this fraction are equal (default 0)
 *   docutray.expected.strings            exact | whitespace | whitespaceAndCase
 *   docutray.expected.ignorePaths        patterns left out, for every step: ["processed_at", "**.confidence"]
 *   docutray.expected.arrayKeys          per step id (or "*" for all): { list pattern: key field },
 *                                        e.g. { "invoice-extract": { "line_items": "description" } }
 *
 * The caller gives a getter for `docutray.<name>`; a value of the wrong shape is a problem named in
 * words (the command line stops on it, the editor shows it) and its default is used.
 */
import { STRING_COMPARISONS, type ArrayKey, type CompareOptions, type StringComparison } from './compare';
import { ExpectedFolderError, normalizeExpectedFolder } from './expectedFile';
import { PathSyntaxError, parsePattern, type PatternSegment } from './jsonPath';

export const EXPECTED_SETTING_NAMES = [
  'expected.folder',
  'expected.absoluteTolerance',
  'expected.relativeTolerance',
  'expected.strings',
  'expected.ignorePaths',
  'expected.arrayKeys',
] as const;

export interface ExpectedSettings {
  /** Normalised: '' = beside each document. */
  folder: string;
  absoluteTolerance: number;
  relativeTolerance: number;
  strings: StringComparison;
  ignorePaths: string[];
  /** Step id (or `*`) → list pattern → key field. */
  arrayKeys: Record<string, Record<string, string>>;
}

export const DEFAULT_EXPECTED_SETTINGS: ExpectedSettings = {
  folder: '',
  absoluteTolerance: 0,
  relativeTolerance: 0,
  strings: 'exact',
  ignorePaths: [],
  arrayKeys: {},
};

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Reads the settings through `get('expected.folder')`…; undefined values take the defaults. */
export function readExpectedSettings(get: (name: string) => unknown): {
  settings: ExpectedSettings;
  problems: string[];
} {
  const problems: string[] = [];
  // No prototype behind the step and list maps: a step called "__proto__" is a step like any other.
  const s: ExpectedSettings = { ...DEFAULT_EXPECTED_SETTINGS, ignorePaths: [], arrayKeys: Object.create(null) };

  const folder = get('expected.folder');
  if (folder !== undefined && folder !== null) {
    if (typeof folder !== 'string') {
      problems.push('docutray.expected.folder must be a string (a workspace-relative folder).');
    } else {
      try {
        s.folder = normalizeExpectedFolder(folder);
      } catch (e) {
        problems.push(`docutray.expected.folder: ${(e as ExpectedFolderError).message}`);
      }
    }
  }
  for (const name of ['absoluteTolerance', 'relativeTolerance'] as const) {
    const v = get(`expected.${name}`);
    if (v === undefined || v === null) {
      continue;
    }
    if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) {
      problems.push(`docutray.expected.${name} must be a number of 0 or more.`);
    } else {
      s[name] = v;
    }
  }
  const strings = get('expected.strings');
  if (strings !== undefined && strings !== null) {
    if (STRING_COMPARISONS.includes(strings as StringComparison)) {
      s.strings = strings as StringComparison;
    } else {
      problems.push(`docutray.expected.strings must be one of ${STRING_COMPARISONS.join(', ')}.`);
    }
  }
  const ignore = get('expected.ignorePaths');
  if (ignore !== undefined && ignore !== null) {
    if (!Array.isArray(ignore) || !ignore.every(p => typeof p === 'string')) {
      problems.push('docutray.expected.ignorePaths must be a list of JSON paths, like ["processed_at"].');
    } else {
      for (const p of ignore) {
        const problem = patternProblem(p);
        if (problem) {
          problems.push(`docutray.expected.ignorePaths: ${problem}`);
        } else {
          s.ignorePaths.push(p);
        }
      }
    }
  }
  const keys = get('expected.arrayKeys');
  if (keys !== undefined && keys !== null) {
    if (!isObject(keys)) {
      problems.push(
        'docutray.expected.arrayKeys must map step IDs (or "*") to { list path: key field }, like {"invoice-extract": {"line_items": "description"}}.',
      );
    } else {
      for (const [step, lists] of Object.entries(keys)) {
        if (!isObject(lists)) {
          problems.push(`docutray.expected.arrayKeys["${step}"] must map list paths to key fields.`);
          continue;
        }
        for (const [list, field] of Object.entries(lists)) {
          const problem = patternProblem(list);
          if (problem) {
            problems.push(`docutray.expected.arrayKeys["${step}"]: ${problem}`);
          } else if (typeof field !== 'string' || field === '') {
            problems.push(`docutray.expected.arrayKeys["${step}"]["${list}"] must be the name of a field.`);
          } else {
            (s.arrayKeys[step] ??= Object.create(null) as Record<string, string>)[list] = field;
          }
        }
      }
    }
  }
  return { settings: s, problems };
}

function patternProblem(p: string): string | undefined {
  try {
    parsePattern(p);
    return undefined;
  } catch (e) {
    if (e instanceof PathSyntaxError) {
      return e.message;
    }
    throw e;
  }
}

/**
 * The comparison options of a step: the ignored paths, and the lists matched by key — the step's own
 * first, then those for every step (`*`). Patterns were checked by {@link readExpectedSettings}.
 */
export function compareOptionsFor(settings: ExpectedSettings, stepId: string): CompareOptions {
  const arrayKeys: ArrayKey[] = [];
  for (const scope of [stepId, '*']) {
    const lists = Object.prototype.hasOwnProperty.call(settings.arrayKeys, scope) ? settings.arrayKeys[scope] : {};
    for (const [list, field] of Object.entries(lists)) {
      arrayKeys.push({ path: parsePattern(list), field });
    }
  }
  return {
    absoluteTolerance: settings.absoluteTolerance,
    relativeTolerance: settings.relativeTolerance,
    strings: settings.strings,
    ignore: settings.ignorePaths.map((p): PatternSegment[] => parsePattern(p)),
    arrayKeys,
  };
}
