/**
 * The runs of every window, in the extension's global storage, which all windows of a profile share.
 *
 * One file per run, `runs/<run id>.json`, each written whole under a unique temporary name and renamed
 * into place: a reader sees the old record or the new one, never half of one; two windows writing at
 * the same moment write different temporary files and never collide; and a window only ever rewrites
 * the records it changes, so it cannot erase another window's runs with a stale copy of the list (what
 * one shared `runs.json` did). Chosen over read-merge-write of one file under a lock because a lock
 * left by a crashed window has to be broken by guessing, and every write would have to wait for it.
 *
 * Beside it: `windows/<window id>.json` (presence, see ownership.ts), `results/<execution id>.json`
 * (results), and the `runs.json` of older versions, migrated once. A file that cannot be read is moved
 * aside as `<name>.bad-<time>`, never overwritten or deleted.
 *
 * Node's fs only (global storage is always a local folder for a Node extension host); no `vscode`.
 */
import { randomBytes } from 'node:crypto';
import { link, mkdir, readFile, readdir, rename, rm, stat, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { HISTORY_FILE, RunRecord, parseHistory, parseRunRecord } from './history';
import { WindowPresence, mayWrite, parsePresence } from './ownership';
import { safeFileNamePart } from '../results/naming';

export const RUNS_DIR = 'runs';
export const WINDOWS_DIR = 'windows';
export const RESULTS_DIR = 'results';

export interface StoreProblem {
  /** The file that could not be read. */
  file: string;
  /** Where it was moved (kept for the user to look at), when it could be moved. */
  movedTo?: string;
  message: string;
}

function code(e: unknown): string | undefined {
  return (e as NodeJS.ErrnoException | null)?.code;
}

function sleep(ms: number): Promise<void> {
  return new Promise(r => setTimeout(r, ms));
}

function stamp(now: number): string {
  return new Date(now).toISOString().replace(/[:.]/g, '-');
}

function uniqueTemp(file: string): string {
  return `${file}.${process.pid}-${randomBytes(6).toString('hex')}.tmp`;
}

/** Renames, retrying briefly where Windows refuses to replace a file another process is reading. */
async function renameRetrying(from: string, to: string): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    try {
      await rename(from, to);
      return;
    } catch (e) {
      if (attempt >= 20 || !['EPERM', 'EBUSY', 'EACCES'].includes(code(e) ?? '')) {
        throw e;
      }
      await sleep(10 + attempt * 5);
    }
  }
}

/** Writes `text` to `file` atomically: a unique temporary file beside it, then a rename over it. */
export async function writeAtomic(file: string, text: string): Promise<void> {
  const tmp = uniqueTemp(file);
  await writeFile(tmp, text, { encoding: 'utf8', flag: 'wx' });
  try {
    await renameRetrying(tmp, file);
  } catch (e) {
    await rm(tmp, { force: true });
    throw e;
  }
}

/** Creates `file` with `text` only if nothing is there; false when something was. Atomic. */
export async function createExclusive(file: string, text: string): Promise<boolean> {
  const tmp = uniqueTemp(file);
  await writeFile(tmp, text, { encoding: 'utf8', flag: 'wx' });
  try {
    await link(tmp, file); // fails with EEXIST when the name is taken, whoever took it
    return true;
  } catch (e) {
    if (code(e) === 'EEXIST') {
      return false;
    }
    // A file system without hard links: an exclusive create (the content lands after the name does).
    try {
      await writeFile(file, text, { encoding: 'utf8', flag: 'wx' });
      return true;
    } catch (e2) {
      if (code(e2) === 'EEXIST') {
        return false;
      }
      throw e2;
    }
  } finally {
    await rm(tmp, { force: true });
  }
}

function serialize(r: RunRecord): string {
  const { stage: _stage, ...rest } = r;
  return JSON.stringify(rest, null, 1);
}

export interface RunStoreOptions {
  /** Told about each file moved aside (or that could not be). */
  onProblem?: (p: StoreProblem) => void;
  now?: () => number;
}

export class RunStore {
  readonly runsDir: string;
  readonly windowsDir: string;
  readonly resultsDir: string;
  private readonly now: () => number;

  constructor(
    readonly root: string,
    private readonly options: RunStoreOptions = {},
  ) {
    this.runsDir = join(root, RUNS_DIR);
    this.windowsDir = join(root, WINDOWS_DIR);
    this.resultsDir = join(root, RESULTS_DIR);
    this.now = options.now ?? Date.now;
  }

  fileOf(id: string): string {
    return join(this.runsDir, `${safeFileNamePart(id)}.json`);
  }

  resultFileOf(executionId: string): string {
    return join(this.resultsDir, `${safeFileNamePart(executionId)}.json`);
  }

  /** Keeps a damaged file as `<name>.bad-<time>` and says so. */
  private async moveAside(file: string, message: string): Promise<void> {
    const movedTo = `${file}.bad-${stamp(this.now())}`;
    try {
      await rename(file, movedTo);
      this.options.onProblem?.({ file, movedTo, message });
    } catch (e) {
      if (code(e) !== 'ENOENT') {
        // ENOENT: another window moved it first and told its user
        this.options.onProblem?.({
          file,
          message: `${message}; it could not be moved aside (${(e as Error).message})`,
        });
      }
    }
  }

  /** Reads one record file (as a watcher names it); a damaged one is moved aside. */
  async readAt(file: string): Promise<RunRecord | undefined> {
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (e) {
      if (code(e) === 'ENOENT') {
        return undefined; // removed meanwhile
      }
      throw e;
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch (e) {
      await this.moveAside(file, `a run record was not valid JSON (${(e as Error).message})`);
      return undefined;
    }
    const record = parseRunRecord(parsed);
    if (!record) {
      await this.moveAside(file, 'a run record was not a run');
    }
    return record;
  }

  async read(id: string): Promise<RunRecord | undefined> {
    return this.readAt(this.fileOf(id));
  }

  /** Every stored run, in no particular order. */
  async list(): Promise<RunRecord[]> {
    const records = await Promise.all((await this.fileNames()).map(n => this.readAt(join(this.runsDir, n))));
    return records.filter((r): r is RunRecord => !!r);
  }

  /** The names of the run files (`<id>.json`), without reading them. */
  async fileNames(): Promise<string[]> {
    const names = await readdir(this.runsDir).catch(e => (code(e) === 'ENOENT' ? [] : Promise.reject(e)));
    return names.filter(n => n.endsWith('.json'));
  }

  /** Writes a run whole (the window that creates it, or its owner). */
  async write(run: RunRecord): Promise<void> {
    await mkdir(this.runsDir, { recursive: true });
    await writeAtomic(this.fileOf(run.id), serialize(run));
  }

  /**
   * Applies `change` to the stored run and writes it back; undefined when the run is gone (removed by
   * some window: it is not brought back) or when `me` may not change it (in flight, driven by another
   * window). Only that run's file is rewritten.
   */
  async update(id: string, change: Partial<RunRecord>, me: string): Promise<RunRecord | undefined> {
    const stored = await this.read(id);
    if (!stored || !mayWrite(stored, me)) {
      return undefined;
    }
    const next: RunRecord = { ...stored, ...change, id: stored.id };
    await this.write(next);
    return next;
  }

  /**
   * Takes over a run whose owner `from` is gone: exactly one window wins per owner, through a token
   * file created exclusively (`runs/<id>.takeover-<from>`). A token whose claimer is itself gone
   * (`claimerAlive`) is broken once. True when `me` now owns the run.
   */
  async claim(
    id: string,
    me: string,
    from: string | undefined,
    claimerAlive: (windowId: string) => boolean,
  ): Promise<boolean> {
    await mkdir(this.runsDir, { recursive: true });
    const token = `${this.fileOf(id)}.takeover-${safeFileNamePart(from ?? 'none')}`;
    let won = await createExclusive(token, me);
    if (!won) {
      const claimer = (await readFile(token, 'utf8').catch(() => '')).trim();
      if (claimer === me) {
        won = true;
      } else if (claimer && !claimerAlive(claimer)) {
        await rm(token, { force: true });
        won = await createExclusive(token, me);
      }
    }
    if (!won) {
      return false;
    }
    const stored = await this.read(id);
    if (!stored || stored.owner !== from) {
      return stored?.owner === me; // gone, or someone already moved it on
    }
    await this.write({ ...stored, owner: me });
    return true;
  }

  /**
   * Removes runs with everything that belongs to them: the record, its stored result, takeover
   * tokens. The one place runs are deleted (Remove, Clear Finished, the history bound).
   */
  async remove(runs: readonly Pick<RunRecord, 'id' | 'executionId'>[]): Promise<void> {
    let names: string[] = [];
    try {
      names = await readdir(this.runsDir);
    } catch {
      // nothing stored
    }
    await Promise.all(
      runs.map(async r => {
        const base = `${safeFileNamePart(r.id)}.json`;
        await rm(join(this.runsDir, base), { force: true });
        await Promise.all(
          names.filter(n => n.startsWith(`${base}.takeover-`)).map(n => rm(join(this.runsDir, n), { force: true })),
        );
        if (r.executionId) {
          await rm(this.resultFileOf(r.executionId), { force: true });
        }
      }),
    );
  }

  /**
   * Moves an older version's `runs.json` into per-run files, once. Safe when several windows do it at
   * once: each record is created only where no file exists (a record some window has changed since
   * is never replaced by the old copy), and the old file is then renamed to `runs.json.migrated-<time>`
   * (kept) by whichever window gets there first. An unreadable one is moved aside as `.bad-<time>`.
   */
  async migrateLegacy(): Promise<number> {
    const legacy = join(this.root, HISTORY_FILE);
    let text: string;
    try {
      text = await readFile(legacy, 'utf8');
    } catch (e) {
      if (code(e) === 'ENOENT') {
        return 0;
      }
      throw e;
    }
    const { runs, problem } = parseHistory(text);
    if (problem && !runs.length) {
      await this.moveAside(legacy, problem);
      return 0;
    }
    if (problem) {
      this.options.onProblem?.({ file: legacy, message: problem });
    }
    await mkdir(this.runsDir, { recursive: true });
    let migrated = 0;
    for (const r of runs) {
      if (await createExclusive(this.fileOf(r.id), serialize(r))) {
        migrated++;
      }
    }
    try {
      await rename(legacy, `${legacy}.migrated-${stamp(this.now())}`);
    } catch (e) {
      if (code(e) !== 'ENOENT') {
        throw e;
      }
    }
    return migrated;
  }

  /**
   * Deletes stored results no run refers to (left by a run removed while its result was being
   * written, or by a crash), and temporary files left by an interrupted write. Only files older than
   * `minAgeMs`, so a result being stored right now, before its run is written, is never touched.
   */
  async sweep(minAgeMs = 10 * 60_000): Promise<string[]> {
    const referenced = new Set(
      (await this.list()).filter(r => r.executionId).map(r => `${safeFileNamePart(r.executionId as string)}.json`),
    );
    const swept: string[] = [];
    const old = async (file: string) => {
      try {
        return this.now() - (await stat(file)).mtimeMs > minAgeMs;
      } catch {
        return false;
      }
    };
    const names = await readdir(this.resultsDir).catch(() => [] as string[]);
    for (const n of names) {
      const file = join(this.resultsDir, n);
      if (((n.endsWith('.json') && !referenced.has(n)) || n.endsWith('.tmp')) && (await old(file))) {
        await unlink(file).catch(() => undefined);
        swept.push(file);
      }
    }
    for (const n of await readdir(this.runsDir).catch(() => [] as string[])) {
      const file = join(this.runsDir, n);
      if (n.endsWith('.tmp') && (await old(file))) {
        await unlink(file).catch(() => undefined);
        swept.push(file);
      }
    }
    return swept;
  }

  // Presence of windows (ownership.ts).

  private presenceFile(windowId: string): string {
    return join(this.windowsDir, `${safeFileNamePart(windowId)}.json`);
  }

  async writePresence(p: WindowPresence): Promise<void> {
    await mkdir(this.windowsDir, { recursive: true });
    await writeAtomic(this.presenceFile(p.id), JSON.stringify(p));
  }

  async readPresences(): Promise<Map<string, WindowPresence>> {
    const found = new Map<string, WindowPresence>();
    const names = await readdir(this.windowsDir).catch(() => [] as string[]);
    await Promise.all(
      names
        .filter(n => n.endsWith('.json'))
        .map(async n => {
          const p = parsePresence(await readFile(join(this.windowsDir, n), 'utf8').catch(() => ''));
          if (p) {
            found.set(p.id, p);
          }
        }),
    );
    return found;
  }

  /** Path of a window's presence file, for a synchronous removal when the window closes. */
  presencePath(windowId: string): string {
    return this.presenceFile(windowId);
  }

  /** Removes presence files of windows long gone (a crash leaves one behind). */
  async removePresence(windowId: string): Promise<void> {
    await unlink(this.presenceFile(windowId)).catch(() => undefined);
  }
}
