/**
 * The journal of billed starts: every start DocuTray accepted for the command line, written down before
 * it is polled, so a run that ends before reading a result (Ctrl-C, the quota, a lost connection, a
 * crash) costs nothing more: the next `check` or `run` of the same step on the same document (same
 * SHA-256) reads that execution instead of starting it again.
 *
 * `<root>/.docutray/journal.jsonl`, one JSON object a line:
 *   {"executionId":"…","sha256":"…","stepId":"…","document":"samples/a.pdf","startedAt":"2026-…Z"}
 * A start is appended in one write; an entry is taken out once its result was read and the reports were
 * written (the file is removed when nothing is left). Appends and rewrites take a short lock file beside
 * it, so two runs in one repository lose none of each other's entries. Every write goes through the
 * containment checks (core/files): never outside the root, never through a link.
 */
import { readFile } from 'node:fs/promises';
import { open, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { appendFileInside, ensureFolderInside, removeFileInside, writeFileInside } from '../core/files/containment';

export const JOURNAL_PATH = '.docutray/journal.jsonl';

export interface JournalEntry {
  executionId: string;
  sha256: string;
  stepId: string;
  /** Root-relative, `/`-separated. */
  document: string;
  /** ISO time of the start. */
  startedAt: string;
}

const LOCK_STALE_MS = 30_000;

function isEntry(v: unknown): v is JournalEntry {
  const e = v as Partial<JournalEntry> | null;
  return (
    typeof e === 'object' &&
    e !== null &&
    typeof e.executionId === 'string' &&
    e.executionId.length > 0 &&
    typeof e.sha256 === 'string' &&
    /^[0-9a-f]{64}$/.test(e.sha256) &&
    typeof e.stepId === 'string' &&
    typeof e.document === 'string' &&
    typeof e.startedAt === 'string'
  );
}

export class Journal {
  readonly file: string;

  constructor(private readonly root: string) {
    this.file = join(root, ...JOURNAL_PATH.split('/'));
  }

  /** The entries on disk (lines that are not entries, such as one cut by a crash, are skipped). */
  async entries(): Promise<JournalEntry[]> {
    let text: string;
    try {
      text = await readFile(this.file, 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') {
        return [];
      }
      throw e;
    }
    const out: JournalEntry[] = [];
    for (const line of text.split('\n')) {
      if (!line.trim()) {
        continue;
      }
      try {
        const v: unknown = JSON.parse(line);
        if (isEntry(v)) {
          out.push(v);
        }
      } catch {
        // a line cut short by a crash: nothing to read
      }
    }
    return out;
  }

  /** Writes a start down (one append). */
  async record(entry: JournalEntry): Promise<void> {
    await this.locked(() => appendFileInside(this.root, this.file, `${JSON.stringify(entry)}\n`));
  }

  /** Takes out the entries of these executions (read and reported); removes the file when none is left. */
  async settle(executionIds: ReadonlySet<string>): Promise<void> {
    if (!executionIds.size) {
      return;
    }
    await this.locked(async () => {
      const all = await this.entries();
      const left = all.filter(e => !executionIds.has(e.executionId));
      if (left.length === all.length) {
        return;
      }
      if (left.length) {
        await writeFileInside(this.root, this.file, left.map(e => `${JSON.stringify(e)}\n`).join(''));
      } else {
        await removeFileInside(this.root, this.file).catch(e => {
          if ((e as NodeJS.ErrnoException).code !== 'ENOENT') {
            throw e;
          }
        });
      }
    });
  }

  /** Runs `fn` holding `<journal>.lock` (created exclusively; one left by a crash is taken over when stale). */
  private async locked<T>(fn: () => Promise<T>): Promise<T> {
    const folder = await ensureFolderInside(this.root, join(this.file, '..'));
    const lock = join(folder, 'journal.lock');
    for (let attempt = 0; ; attempt++) {
      try {
        const h = await open(lock, 'wx');
        await h.close();
        break;
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EEXIST') {
          throw e;
        }
        const age = await stat(lock).then(
          s => Date.now() - s.mtimeMs,
          () => 0,
        );
        if (age > LOCK_STALE_MS || attempt > 400) {
          await rm(lock, { force: true });
        } else {
          await new Promise(resolve => setTimeout(resolve, 25));
        }
      }
    }
    try {
      return await fn();
    } finally {
      await rm(lock, { force: true });
    }
  }
}

/** Finds, for documents about to run, the executions an earlier run started on the same bytes for this step. */
export function earlierStarts(
  entries: readonly JournalEntry[],
  stepId: string,
): (sha256: string, document: string) => JournalEntry | undefined {
  const bySha = new Map<string, JournalEntry[]>();
  for (const e of entries) {
    if (e.stepId === stepId) {
      const list = bySha.get(e.sha256) ?? [];
      list.push(e);
      bySha.set(e.sha256, list);
    }
  }
  return (sha256, document) => {
    const list = bySha.get(sha256);
    if (!list?.length) {
      return undefined;
    }
    // The same path first; each execution answers one document only.
    const i = Math.max(
      0,
      list.findIndex(e => e.document === document),
    );
    return list.splice(i, 1)[0];
  };
}
