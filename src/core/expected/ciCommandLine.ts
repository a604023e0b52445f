/**
 * The `docutray-steps check` line a CI job runs for a workspace's expected results, as "Copy Command Line
 * for CI" puts it on the clipboard: the command line from the release's tarball (through npx, nothing
 * installed), the folders that hold the documents with expected results, their step, and a readable report
 * plus a JUnit file. The API key is not in it: the CI gives it as DOCUTRAY_API_KEY from its secrets.
 */

export interface CiCommandLineInput {
  /** The extension's version: the release whose tarball has the matching command line. */
  version: string;
  /** The repository's address (package.json `repository.url`), e.g. https://github.com/owner/name. */
  repository: string;
  /** Each document with an expected result: its folder relative to the workspace folder ('' at its top), its step. */
  documents: readonly { folder: string; stepId: string }[];
  /** The steps in the settings, for a workspace without expected results yet. */
  configuredSteps: readonly string[];
}

/** Where the line came from: the step it checks, and whether that was a guess (no expected results yet). */
export interface CiCommandLine {
  line: string;
  stepId: string | undefined;
  folders: string[];
}

/** At most this many folders are named; more, and the whole workspace folder is checked. */
const MAX_FOLDERS = 4;

export function ciCommandLine(input: CiCommandLineInput): CiCommandLine {
  // The step with the most expected results; its documents' folders.
  const counts = new Map<string, number>();
  for (const d of input.documents) {
    counts.set(d.stepId, (counts.get(d.stepId) ?? 0) + 1);
  }
  const stepId =
    [...counts].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))[0]?.[0] ?? input.configuredSteps[0];
  const found = [...new Set(input.documents.filter(d => d.stepId === stepId).map(d => d.folder || '.'))].sort();
  const folders = found.length === 0 || found.length > MAX_FOLDERS || found.includes('.') ? ['.'] : found;
  const repository = input.repository.replace(/\.git$/, '').replace(/\/+$/, '');
  const tarball = `${repository}/releases/download/v${input.version}/docutray-steps-${input.version}.tgz`;
  const words = [
    'npx',
    '--yes',
    shellWord(`--package=${tarball}`),
    'docutray-steps',
    'check',
    ...folders.map(shellWord),
    '--step',
    // The placeholder is left bare, to be seen and replaced.
    stepId === undefined ? '<step-id>' : shellWord(stepId),
    '--reporter',
    'pretty',
    '--reporter',
    'junit=reports/docutray.xml',
  ];
  return { line: words.join(' '), stepId, folders };
}

/**
 * A word as POSIX shells read it: as it is when it holds only characters no shell treats specially,
 * else in single quotes (a quote inside closed, escaped and reopened). Folder names are data.
 */
export function shellWord(word: string): string {
  return /^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}
