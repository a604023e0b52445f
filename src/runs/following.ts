/**
 * What this window follows now: the runs it polls (RunService) and the batches whose drive is running
 * (BatchDriver). Made before the history and handed to it and to those that follow, so the history can tell a
 * run of this window that nobody follows (its start was answered after another window had taken it over) from
 * one being polled, without any of them reaching into another's fields.
 */
export class Following {
  private readonly runs = new Set<string>();
  private readonly batches = new Set<string>();
  private readonly held = new Map<string, Set<BatchHold>>();

  /** A run is polled (or being started) here from now until `unfollowRun`. */
  followRun(id: string): void {
    this.runs.add(id);
  }

  unfollowRun(id: string): void {
    this.runs.delete(id);
  }

  followsRun(id: string): boolean {
    return this.runs.has(id);
  }

  /** A batch's drive runs here (its drive follows the batch's runs) from now until `stopDriving`. */
  startDriving(batchId: string): void {
    this.batches.add(batchId);
  }

  stopDriving(batchId: string): void {
    this.batches.delete(batchId);
  }

  drivesBatch(batchId: string): boolean {
    return this.batches.has(batchId);
  }

  /**
   * A batch is held here (`drive`: a drive of it is under way, from its notification to its end; `reserve`: a
   * caller reserved it for a drive about to begin) until released for that reason: the history bound keeps it.
   */
  hold(batchId: string, why: BatchHold): void {
    const reasons = this.held.get(batchId) ?? new Set<BatchHold>();
    reasons.add(why);
    this.held.set(batchId, reasons);
  }

  release(batchId: string, why: BatchHold): void {
    const reasons = this.held.get(batchId);
    reasons?.delete(why);
    if (reasons && !reasons.size) {
      this.held.delete(batchId);
    }
  }

  holdsBatch(batchId: string): boolean {
    return this.held.has(batchId);
  }
}

export type BatchHold = 'drive' | 'reserve';

/** What the history asks of the registry. */
export type FollowingQuery = Pick<Following, 'followsRun' | 'drivesBatch' | 'holdsBatch'>;
