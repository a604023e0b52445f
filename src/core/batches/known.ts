import type { RunGroup, RunRecord } from '../runs/history';
import { type BatchRecord, isBatchAlive, lookupIn } from './record';

/**
 * The batches a window holds in memory, as it last read or wrote them. Made before the run history and the
 * batches of the editor: the history's bound reads the groups from it, the batch records keep it current, and
 * neither has to reach into the other after both are built.
 */
export class KnownBatches {
  private readonly batches = new Map<string, BatchRecord>();
  private loadedOnce = false;
  private readonly listeners = new Set<() => void>();

  /** Told after every change (a batch set, forgotten, or a whole read). Returns a function that stops it. */
  onChange(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private changed(): void {
    this.listeners.forEach(l => l());
  }

  list(): BatchRecord[] {
    return [...this.batches.values()];
  }

  /** The batches as last read; undefined before the first whole read (the history bound then keeps every batch run). */
  known(): BatchRecord[] | undefined {
    return this.loadedOnce ? this.list() : undefined;
  }

  get(id: string): BatchRecord | undefined {
    return this.batches.get(id);
  }

  ids(): string[] {
    return [...this.batches.keys()];
  }

  /** Holds a batch (just written here, or read); `quiet`: part of a whole read, which tells once at its end. */
  set(batch: BatchRecord, quiet = false): void {
    this.batches.set(batch.id, batch);
    if (!quiet) {
      this.changed();
    }
  }

  /** Drops a batch seen gone; `quiet` as for `set`. */
  drop(id: string, quiet = false): void {
    this.batches.delete(id);
    if (!quiet) {
      this.changed();
    }
  }

  forget(ids: readonly string[]): void {
    ids.forEach(id => this.batches.delete(id));
    this.changed();
  }

  /** A whole read has ended: from now on the batches are known. */
  loaded(): void {
    this.loadedOnce = true;
    this.changed();
  }

  /**
   * The batches as groups of runs for the history bound (undefined before the first read): a batch is alive while
   * something is still to send or see finish, or while this window drives it (`held`).
   */
  groups(runs: readonly RunRecord[], held: (batchId: string) => boolean): RunGroup[] | undefined {
    const known = this.known();
    if (!known) {
      return undefined;
    }
    const lookup = lookupIn(runs);
    return known.map(b => ({
      id: b.id,
      runIds: runs.filter(r => r.batchId === b.id).map(r => r.id),
      alive: isBatchAlive(b, lookup) || held(b.id),
      createdAt: b.createdAt,
    }));
  }
}
