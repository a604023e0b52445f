/**
 * A folder of records, one file each (`<id>.json`), that several windows (processes) share: each
 * written whole under a unique temporary name and renamed into place, so a reader sees the old record
 * or the new one, never half of one, and two writers never collide. A record has an owner window; when
 * that window is gone, exactly one other window claims it (a token file created exclusively). A file
 * that cannot be read is moved aside as `<name>.bad-<time>`, never overwritten or deleted.
 *
 * The runs (runStore.ts) and the batches (batchStore.ts) are kept this way. Node's fs only; no `vscode`.
 */
import { randomBytes } from 'node:crypto';
import { link, mkdir, readFile, readdir, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { sleep } from '../async/sleep';
import { safeFileNamePart } from './fileNames';

export interface StoreProblem {
  /** The file that could not be read. */
  file: string;
  /** Where it was moved (kept for the user to look at), when it could be moved. */
  movedTo?: string;
  message: string;
}

export function code(e: unknown): string | undefined {
  return (e as NodeJS.ErrnoException | null)?.code;
}

/** A record's file name (`<id>.json`), as opposed to a temporary or a companion file beside it. */
export function isRecordFile(name: string): boolean {
  return name.endsWith('.json');
}

export function stamp(now: number): string {
  return new Date(now).toISOString().replace(/[:.]/g, '-');
}

/** A name beside `file` that no other writer (window, process) uses. */
export function uniqueTemp(file: string): string {
  return `${file}.${process.pid}-${randomBytes(6).toString('hex')}.tmp`;
}

/** Renames, retrying briefly where Windows refuses to replace a file another process is reading. */
export async function renameRetrying(from: string, to: string): Promise<void> {
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

/** What a folder holds: how to read a record from its JSON, and write it. */
export interface RecordKind<T extends { id: string; owner?: string }> {
  /** One word for messages: `run` gives "a run record was not a run". */
  noun: string;
  parse(value: unknown): T | undefined;
  serialize(record: T): string;
  /** Told of each record read (a batch sets aside its damaged entries here). */
  afterRead?(record: T, file: string): Promise<void>;
}

export interface RecordFolderOptions {
  /** Told about each file moved aside (or that could not be). */
  onProblem?: (p: StoreProblem) => void;
  now?: () => number;
}

export class RecordFolder<T extends { id: string; owner?: string }> {
  private readonly now: () => number;

  constructor(
    readonly dir: string,
    private readonly kind: RecordKind<T>,
    private readonly options: RecordFolderOptions = {},
  ) {
    this.now = options.now ?? Date.now;
  }

  fileOf(id: string): string {
    return join(this.dir, `${safeFileNamePart(id)}.json`);
  }

  /** Keeps a damaged file as `<name>.bad-<time>` and says so. */
  async moveAside(file: string, message: string): Promise<void> {
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
  async readAt(file: string): Promise<T | undefined> {
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (e) {
      if (code(e) === 'ENOENT') {
        return undefined; // removed meanwhile
      }
      throw e;
    }
    const { noun } = this.kind;
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch (e) {
      await this.moveAside(file, `a ${noun} record was not valid JSON (${(e as Error).message})`);
      return undefined;
    }
    const record = this.kind.parse(parsed);
    if (!record) {
      await this.moveAside(file, `a ${noun} record was not a ${noun}`);
    } else {
      await this.kind.afterRead?.(record, file);
    }
    return record;
  }

  async read(id: string): Promise<T | undefined> {
    return this.readAt(this.fileOf(id));
  }

  /** Every stored record, in no particular order (damaged files moved aside and left out). */
  async list(): Promise<T[]> {
    const records = await Promise.all((await this.fileNames()).map(n => this.readAt(join(this.dir, n))));
    return records.filter((r): r is Awaited<T> => !!r);
  }

  /** The names of the record files (`<id>.json`), without reading them. */
  async fileNames(): Promise<string[]> {
    return (await this.names()).filter(isRecordFile);
  }

  /** The names of every file in the folder (none while it does not exist yet). */
  names(): Promise<string[]> {
    return readdir(this.dir).catch(e => (code(e) === 'ENOENT' ? [] : Promise.reject(e)));
  }

  /** Writes a record whole (the window that creates it, or its owner). */
  async write(record: T): Promise<void> {
    await mkdir(this.dir, { recursive: true });
    await writeAtomic(this.fileOf(record.id), this.kind.serialize(record));
  }

  /**
   * Changes a record its owner holds: read fresh, changed by `change`, written back — only while `me` still
   * owns it (a window that lost it while frozen never writes itself back). Undefined when it is gone or not
   * `me`'s, or when `change` returns undefined (nothing to write).
   */
  async updateOwned(id: string, me: string, change: (stored: T) => T | undefined): Promise<T | undefined> {
    const stored = await this.read(id);
    if (!stored || stored.owner !== me) {
      return undefined;
    }
    const next = change(stored);
    if (next) {
      await this.write(next);
    }
    return next;
  }

  /** Creates a record only where none is; false when one was there. */
  async create(record: T): Promise<boolean> {
    await mkdir(this.dir, { recursive: true });
    return createExclusive(this.fileOf(record.id), this.kind.serialize(record));
  }

  /**
   * Takes over a record whose owner `from` is gone: exactly one window wins per owner, through a token
   * file created exclusively (`<id>.json.takeover-<from>`). A token whose claimer is itself gone
   * (`claimerAlive`) is broken once. True when `me` now owns the record.
   */
  async claim(
    id: string,
    me: string,
    from: string | undefined,
    claimerAlive: (windowId: string) => boolean,
  ): Promise<boolean> {
    await mkdir(this.dir, { recursive: true });
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

  /** Removes records with their takeover tokens. */
  async remove(ids: readonly string[]): Promise<void> {
    const names = await readdir(this.dir).catch(() => [] as string[]);
    await Promise.all(
      ids.map(async id => {
        const base = `${safeFileNamePart(id)}.json`;
        await rm(join(this.dir, base), { force: true });
        await Promise.all(
          names.filter(n => n.startsWith(`${base}.takeover-`)).map(n => rm(join(this.dir, n), { force: true })),
        );
      }),
    );
  }
}
