import vscode = require('vscode');
import { randomUUID } from 'node:crypto';
import { rmSync } from 'node:fs';
import { hostname } from 'node:os';
import { HEARTBEAT_MS, LEASE_MS, WindowPresence, isAlive } from '../core/runs/ownership';
import type { RunStore } from '../core/runs/runStore';
import { ScopedLog } from '../log';

/** Whether a process with this id runs on this machine (EPERM: it does, as another user). */
function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * This window's presence in the shared store (core/runs/ownership.ts): written when the runtime loads,
 * refreshed every HEARTBEAT_MS with the results this window has open, removed when the window closes
 * or reloads (synchronously: the extension host may not wait for a promise then). Answers whether
 * another window is alive from the presences it last read.
 */
export class WindowPresenceKeeper implements vscode.Disposable {
  readonly id = randomUUID();
  private readonly host = hostname();
  private timer: ReturnType<typeof setInterval> | undefined;
  private started: Promise<void> | undefined;
  private presences = new Map<string, WindowPresence>();
  private ticking = false;
  /** When this window's presence was last written (its lease runs from then). */
  private lastBeatAt: number | undefined;

  constructor(
    private readonly store: RunStore,
    private readonly log: ScopedLog,
    private readonly showing: () => string[],
    private readonly onTick: () => Promise<void>,
  ) {}

  /** Writes the presence and starts the heartbeat, once. */
  start(): Promise<void> {
    this.started ??= (async () => {
      await this.beat();
      this.timer = setInterval(() => void this.tick(), HEARTBEAT_MS);
      this.timer.unref?.();
    })();
    return this.started;
  }

  /**
   * Whether this window's lease is surely still its own: its heartbeat was written well within LEASE_MS.
   * False after a freeze (a debugger pause, a stopped process, a busy machine): another window may have
   * taken its runs and batches over meanwhile, so it must look before it sends anything.
   */
  leaseFresh(): boolean {
    return this.lastBeatAt !== undefined && Date.now() - this.lastBeatAt < LEASE_MS / 2;
  }

  /** Writes the heartbeat now (after a freeze, before looking at what this window still owns). */
  async renew(): Promise<void> {
    await this.beat();
  }

  private async beat(): Promise<void> {
    const at = Date.now();
    try {
      await this.store.writePresence({
        id: this.id,
        pid: process.pid,
        host: this.host,
        heartbeatAt: at,
        showing: this.showing(),
      });
      this.lastBeatAt = at;
    } catch (e) {
      this.log.warn(`could not write this window's presence: ${(e as Error).message}`);
    }
    await this.refresh();
  }

  private async tick(): Promise<void> {
    if (this.ticking) {
      return;
    }
    this.ticking = true;
    try {
      await this.beat();
      await this.onTick();
    } catch (e) {
      this.log.warn(`ownership check failed: ${(e as Error).message}`);
    } finally {
      this.ticking = false;
    }
  }

  /** Reads every window's presence again. */
  async refresh(): Promise<void> {
    this.presences = await this.store.readPresences().catch(() => this.presences);
    // A crashed window leaves its file behind: once long stale, it goes.
    for (const p of this.presences.values()) {
      if (!this.alive(p.id) && Date.now() - p.heartbeatAt > 10 * LEASE_MS) {
        this.presences.delete(p.id);
        void this.store.removePresence(p.id);
      }
    }
  }

  /** Whether the window `windowId` is alive, as of the last read. */
  alive = (windowId: string): boolean =>
    windowId === this.id || isAlive(this.presences.get(windowId), Date.now(), this.host, pidAlive);

  /** Execution ids whose results any live window has open (this one included). */
  showingAnywhere(): Set<string> {
    const ids = new Set(this.showing());
    for (const p of this.presences.values()) {
      if (this.alive(p.id)) {
        p.showing?.forEach(id => ids.add(id));
      }
    }
    return ids;
  }

  dispose(): void {
    if (this.timer) {
      clearInterval(this.timer);
    }
    if (this.started) {
      try {
        rmSync(this.store.presencePath(this.id), { force: true });
      } catch {
        // the process-alive check still tells the others this window is gone
      }
    }
  }
}
