/**
 * The batches of every window (batch.ts), in global storage beside the runs: one file per batch,
 * `batches/<batch id>.json`, written whole under a unique temporary name and renamed into place (as
 * runStore.ts does for runs), so a reader never sees half a batch and two windows never collide.
 *
 * A batch has an owner window (`owner`, the window id of ownership.ts): only it drives the batch while
 * it is alive. When that window is gone, one other window claims the batch (a token file created
 * exclusively, as RunStore.claim does) and resumes it. A file that cannot be read is moved aside as
 * `<name>.bad-<time>`, never overwritten or deleted.
 */
import { mkdir, readFile, readdir, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { BATCHES_DIR, StoredBatch, parseBatch, serializeBatch } from './batchFiles';
import { StoreProblem, createExclusive, writeAtomic } from './runStore';
import { safeFileNamePart } from '../results/naming';

function code(e: unknown): string | undefined {
  return (e as NodeJS.ErrnoException | null)?.code;
}

export class BatchStore {
  readonly dir: string;

  constructor(
    root: string,
    private readonly options: { onProblem?: (p: StoreProblem) => void; now?: () => number } = {},
  ) {
    this.dir = join(root, BATCHES_DIR);
  }

  fileOf(id: string): string {
    return join(this.dir, `${safeFileNamePart(id)}.json`);
  }

  async write(batch: StoredBatch): Promise<void> {
    await mkdir(this.dir, { recursive: true });
    await writeAtomic(this.fileOf(batch.id), serializeBatch(batch));
  }

  async read(id: string): Promise<StoredBatch | undefined> {
    return this.readAt(this.fileOf(id));
  }

  async readAt(file: string): Promise<StoredBatch | undefined> {
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (e) {
      if (code(e) === 'ENOENT') {
        return undefined;
      }
      throw e;
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch (e) {
      await this.moveAside(file, `a batch record was not valid JSON (${(e as Error).message})`);
      return undefined;
    }
    const batch = parseBatch(parsed);
    if (!batch) {
      await this.moveAside(file, 'a batch record was not a batch');
    }
    return batch;
  }

  /** Every stored batch (damaged files moved aside and left out). */
  async list(): Promise<StoredBatch[]> {
    const names = await readdir(this.dir).catch(e => (code(e) === 'ENOENT' ? [] : Promise.reject(e)));
    const batches = await Promise.all(
      names.filter(n => n.endsWith('.json')).map(n => this.readAt(join(this.dir, n)).catch(() => undefined)),
    );
    return batches.filter((b): b is StoredBatch => !!b);
  }

  async remove(id: string): Promise<void> {
    const base = `${safeFileNamePart(id)}.json`;
    const names = await readdir(this.dir).catch(() => [] as string[]);
    await Promise.all(
      names
        .filter(n => n === base || n.startsWith(`${base}.takeover-`))
        .map(n => rm(join(this.dir, n), { force: true })),
    );
  }

  /**
   * Takes over a batch whose owner `from` is gone: exactly one window wins per owner (a token file
   * created exclusively; a token whose claimer is gone too is broken once). True when `me` owns it now.
   */
  async claim(
    id: string,
    me: string,
    from: string | undefined,
    alive: (windowId: string) => boolean,
  ): Promise<boolean> {
    await mkdir(this.dir, { recursive: true });
    const token = `${this.fileOf(id)}.takeover-${safeFileNamePart(from ?? 'none')}`;
    let won = await createExclusive(token, me);
    if (!won) {
      const claimer = (await readFile(token, 'utf8').catch(() => '')).trim();
      if (claimer === me) {
        won = true;
      } else if (claimer && !alive(claimer)) {
        await rm(token, { force: true });
        won = await createExclusive(token, me);
      }
    }
    if (!won) {
      return false;
    }
    const stored = await this.read(id);
    if (!stored || stored.owner !== from) {
      return stored?.owner === me;
    }
    await this.write({ ...stored, owner: me });
    return true;
  }

  private async moveAside(file: string, message: string): Promise<void> {
    const movedTo = `${file}.bad-${new Date((this.options.now ?? Date.now)()).toISOString().replace(/[:.]/g, '-')}`;
    try {
      await rename(file, movedTo);
      this.options.onProblem?.({ file, movedTo, message });
    } catch (e) {
      if (code(e) !== 'ENOENT') {
        this.options.onProblem?.({
          file,
          message: `${message}; it could not be moved aside (${(e as Error).message})`,
        });
      }
    }
  }
}
