import vscode = require('vscode');
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { BATCHES_DIR, type StoredBatch } from '../core/runs/batchFiles';
import type { BatchService } from './batchService';

/**
 * The runtime's handle on batches. The batch service itself (runs/batchService.ts, with the runner,
 * the planner, the skip rule and hashing) lives in dist/batches.js and is built on first need: a
 * batch started, or a batch found stored (the Runs view, a resume). A window that never ran a batch
 * only lists a folder.
 */
export class Batches implements vscode.Disposable {
  private impl: BatchService | undefined;
  private readonly changed = new vscode.EventEmitter<void>();
  readonly onDidChange = this.changed.event;
  private subscription: vscode.Disposable | undefined;

  constructor(
    private readonly storageDir: string,
    private readonly create: () => BatchService,
  ) {}

  /** The batch service (loads dist/batches.js the first time). */
  load(): BatchService {
    if (!this.impl) {
      this.impl = this.create();
      this.subscription = this.impl.onDidChange(() => this.changed.fire());
    }
    return this.impl;
  }

  /** The batch service when something loaded it already. */
  get loaded(): BatchService | undefined {
    return this.impl;
  }

  private async anyStored(): Promise<boolean> {
    return readdir(join(this.storageDir, BATCHES_DIR)).then(
      names => names.some(n => n.endsWith('.json')),
      () => false,
    );
  }

  /** The service when it is loaded or there are batches to show; undefined otherwise. */
  private async needed(): Promise<BatchService | undefined> {
    return this.impl ?? ((await this.anyStored()) ? this.load() : undefined);
  }

  async all(): Promise<StoredBatch[]> {
    return (await (await this.needed())?.all()) ?? [];
  }

  /** The batches as last loaded (for the history bound, which must not wait). */
  known(): StoredBatch[] {
    return this.impl?.known() ?? [];
  }

  async resume(): Promise<number> {
    return (await (await this.needed())?.resume()) ?? 0;
  }

  cancelAll(): number {
    return this.impl?.cancelAll() ?? 0;
  }

  describe(b: StoredBatch): string {
    return this.load().describe(b);
  }

  isDriving(id: string): boolean {
    return this.impl?.isDriving(id) ?? false;
  }

  drivenElsewhere(b: StoredBatch): boolean {
    return this.impl?.drivenElsewhere(b) ?? false;
  }

  isAlive(b: StoredBatch): boolean {
    return this.load().isAlive(b);
  }

  dispose(): void {
    this.subscription?.dispose();
    this.impl?.dispose();
    this.changed.dispose();
  }
}
