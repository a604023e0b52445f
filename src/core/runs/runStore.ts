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
import { mkdir, readFile, readdir, rename, rm, stat, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { HISTORY_FILE, RunRecord, parseHistory, parseRunRecord, storedRunRecord } from './history';
import { transition } from './lifecycle';
import { WindowPresence, mayWrite, parsePresence } from './ownership';
import {
  RecordFolder,
  StoreProblem,
  code,
  createExclusive,
  isRecordFile,
  stamp,
  writeAtomic,
} from '../store/recordFolder';
import { safeFileNamePart } from '../store/fileNames';

export type { StoreProblem } from '../store/recordFolder';

export const RUNS_DIR = 'runs';
export const WINDOWS_DIR = 'windows';
export const RESULTS_DIR = 'results';

function serialize(r: RunRecord): string {
  return JSON.stringify(storedRunRecord(r), null, 1);
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
  private readonly records: RecordFolder<RunRecord>;

  constructor(
    readonly root: string,
    private readonly options: RunStoreOptions = {},
  ) {
    this.runsDir = join(root, RUNS_DIR);
    this.windowsDir = join(root, WINDOWS_DIR);
    this.resultsDir = join(root, RESULTS_DIR);
    this.now = options.now ?? Date.now;
    this.records = new RecordFolder(
      this.runsDir,
      { noun: 'run', parse: parseRunRecord, serialize, afterRead: (r, file) => this.mergeReceipt(r, file) },
      options,
    );
  }

  /** The start receipt of a run: `<run file>.started`, written once, never replaced (see recordStart). */
  receiptOf(runFile: string): string {
    return `${runFile}.started`;
  }

  /**
   * A record read without an execution id takes it from the run's start receipt, when there is one: a
   * window that wrote the record from a copy read before the receipt was made (a takeover marking the
   * run "may have started", a claim) cannot drop an id it never held.
   */
  private async mergeReceipt(r: RunRecord, file: string): Promise<void> {
    if (r.executionId) {
      return;
    }
    const receipt = await readReceipt(this.receiptOf(file));
    if (!receipt) {
      return;
    }
    const started = transition(r, { type: 'started', executionId: receipt.executionId });
    Object.assign(r, receiptFields(receipt, r), started ?? { executionId: receipt.executionId });
    r.updatedAt = Math.max(r.updatedAt, receipt.at);
    if (!started && r.state === 'failed') {
      // A run with an execution id is never `failed`: DocuTray has it, its result is still to be read.
      r.state = 'unavailable';
      r.error = { kind: 'startUncertain', message: `Started as execution ${receipt.executionId}: check it again.` };
    }
  }

  fileOf(id: string): string {
    return this.records.fileOf(id);
  }

  resultFileOf(executionId: string): string {
    return join(this.resultsDir, `${safeFileNamePart(executionId)}.json`);
  }

  /** Reads one record file (as a watcher names it); a damaged one is moved aside. */
  readAt(file: string): Promise<RunRecord | undefined> {
    return this.records.readAt(file);
  }

  read(id: string): Promise<RunRecord | undefined> {
    return this.records.read(id);
  }

  /** Every stored run, in no particular order. */
  list(): Promise<RunRecord[]> {
    return this.records.list();
  }

  /**
   * From one listing of the folder, without reading a file: the run files (`<id>.json`), and those of them
   * that have a start receipt.
   */
  async listing(): Promise<{ files: string[]; receipted: string[] }> {
    const names = await this.records.names();
    const suffix = this.receiptOf('');
    return {
      files: names.filter(isRecordFile),
      receipted: names
        .filter(n => n.endsWith(suffix))
        .map(n => n.slice(0, -suffix.length))
        .filter(isRecordFile),
    };
  }

  /** Writes a run whole (the window that creates it, or its owner). */
  write(run: RunRecord): Promise<void> {
    return this.records.write(run);
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
   * Creates a run only where none is: the fence before a start. False when a record with this id exists
   * (another window, or this one before a freeze, got there first): then nothing may be sent for it.
   */
  create(run: RunRecord): Promise<boolean> {
    return this.records.create(run);
  }

  /**
   * Like `update`, but the change is worked out from the stored record as read now (a takeover must not act
   * on a copy another window has changed since). `change` returns undefined to leave it as it is.
   */
  async updateWith(
    id: string,
    me: string,
    change: (stored: RunRecord) => Partial<RunRecord> | undefined,
  ): Promise<RunRecord | undefined> {
    const stored = await this.read(id);
    if (!stored || !mayWrite(stored, me)) {
      return undefined;
    }
    const patch = change(stored);
    if (!patch) {
      return stored;
    }
    const next: RunRecord = { ...stored, ...patch, id: stored.id };
    await this.write(next);
    return next;
  }

  /**
   * Records the execution id DocuTray gave a start, whoever owns the run by now: a window that was frozen
   * while its start was on the wire records the id when the answer arrives, so the window that took the run
   * over polls it instead of leaving it "may have started". It never replaces an id already recorded.
   *
   * The id goes into the run's start receipt (`<run file>.started`), a file created once and never
   * replaced, and not into the record: the record is read-then-written by its owner and by a takeover, and
   * a write here would race theirs (one would drop the other's change, the id or the new owner). Every read
   * of the record merges the receipt in (`mergeReceipt`), and the owner's next write keeps it. Resolves with
   * the record as read now, the id merged in.
   */
  async recordStart(id: string, change: Partial<RunRecord> & { executionId: string }): Promise<RunRecord | undefined> {
    const before = await this.read(id);
    if (!before || before.executionId) {
      return before;
    }
    const receipt: StartReceipt = {
      executionId: change.executionId,
      ...(change.serviceStepName ? { serviceStepName: change.serviceStepName } : {}),
      ...(change.stepName ? { stepName: change.stepName } : {}),
      ...(change.sha256 ? { sha256: change.sha256 } : {}),
      at: this.now(),
    };
    await mkdir(this.runsDir, { recursive: true });
    await createExclusive(this.receiptOf(this.fileOf(id)), JSON.stringify(receipt));
    return this.read(id);
  }

  /** Takes over a run whose owner `from` is gone: exactly one window wins (RecordFolder.claim). */
  claim(
    id: string,
    me: string,
    from: string | undefined,
    claimerAlive: (windowId: string) => boolean,
  ): Promise<boolean> {
    return this.records.claim(id, me, from, claimerAlive);
  }

  /**
   * Removes runs with everything that belongs to them: the record, its stored result, takeover
   * tokens. The one place runs are deleted (Remove, Clear Finished, the history bound).
   */
  async remove(runs: readonly Pick<RunRecord, 'id' | 'executionId'>[]): Promise<void> {
    await this.records.remove(runs.map(r => r.id));
    await Promise.all(runs.map(r => rm(this.receiptOf(this.fileOf(r.id)), { force: true })));
    await Promise.all(
      runs.filter(r => r.executionId).map(r => rm(this.resultFileOf(r.executionId as string), { force: true })),
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
      await this.records.moveAside(legacy, problem);
      return 0;
    }
    if (problem) {
      this.options.onProblem?.({ file: legacy, message: problem });
    }
    let migrated = 0;
    for (const r of runs) {
      if (await this.records.create(r)) {
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

/** What a start receipt holds: the execution id of a start DocuTray answered, with what the answer said. */
interface StartReceipt {
  executionId: string;
  serviceStepName?: string;
  stepName?: string;
  sha256?: string;
  at: number;
}

async function readReceipt(file: string): Promise<StartReceipt | undefined> {
  let value: unknown;
  try {
    value = JSON.parse(await readFile(file, 'utf8'));
  } catch {
    return undefined; // none (the usual case), or one being linked into place: the record says the rest
  }
  const r = value as Partial<StartReceipt> | null;
  if (!r || typeof r !== 'object' || typeof r.executionId !== 'string' || !r.executionId) {
    return undefined;
  }
  const text = (v: unknown) => (typeof v === 'string' && v ? v : undefined);
  return {
    executionId: r.executionId,
    serviceStepName: text(r.serviceStepName),
    stepName: text(r.stepName),
    sha256: text(r.sha256),
    at: typeof r.at === 'number' ? r.at : 0,
  };
}

/** The receipt's fields a record does not have yet. */
function receiptFields(receipt: StartReceipt, r: RunRecord): Partial<RunRecord> {
  return {
    ...(receipt.serviceStepName && !r.serviceStepName ? { serviceStepName: receipt.serviceStepName } : {}),
    ...(receipt.stepName ? { stepName: receipt.stepName } : {}),
    ...(receipt.sha256 && !r.sha256 ? { sha256: receipt.sha256 } : {}),
  };
}
