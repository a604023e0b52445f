/**
 * A billed execution id is never lost when a takeover and a late start answer meet (run-store.ts): the
 * window that took a batch over marks its starting run "may have started" (a claim, then an `interrupted`
 * write), while the window that lost it records the execution id DocuTray just gave it (`recordStart`).
 * Each of the two writes is read-then-write on its own copy, so whichever lands last would win.
 *
 * The two run as two actors whose every file operation waits for its turn; a seeded schedule decides whose
 * turn it is, so each interleaving is the same every run and a failure names it. Every interleaving must
 * end with the id recorded and the run waiting, owned by the window that took over (which then polls it).
 */
import * as assert from 'assert';
import { AsyncLocalStorage } from 'node:async_hooks';
// The module object itself (not an import's frozen copy): its functions are routed through the schedule.
// eslint-disable-next-line @typescript-eslint/no-require-imports
import fsp = require('node:fs/promises');
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { transition } from '../../../../src/core/runs/lifecycle';
import { RunStore } from '../../../../src/core/runs/runStore';
import { runRecord } from '../../run-records';

const GATED = ['readFile', 'writeFile', 'rename', 'link', 'rm', 'mkdir', 'unlink', 'readdir'] as const;

/** Lets one actor at a time take its next file-system step, as `choose` says. */
class Interleaver {
  private readonly actor = new AsyncLocalStorage<string>();
  private readonly waiting = new Map<string, () => void>();
  private alive = 0;
  readonly trace: string[] = [];

  constructor(private readonly choose: (ready: string[]) => string) {}

  gate(op: string): Promise<void> | undefined {
    const who = this.actor.getStore();
    if (!who) {
      return undefined;
    }
    return new Promise<void>(resolve => {
      this.waiting.set(who, () => {
        this.trace.push(`${who}:${op}`);
        resolve();
      });
      this.pick();
    });
  }

  private pick(): void {
    if (!this.waiting.size || this.waiting.size < this.alive) {
      return; // an actor is between two steps: wait until it is at a gate (or done)
    }
    const who = this.choose([...this.waiting.keys()].sort());
    const go = this.waiting.get(who) as () => void;
    this.waiting.delete(who);
    go();
  }

  async all(actors: Record<string, () => Promise<unknown>>): Promise<void> {
    const names = Object.keys(actors);
    this.alive = names.length;
    await Promise.all(
      names.map(async name => {
        try {
          await this.actor.run(name, actors[name]);
        } finally {
          this.alive--;
          this.pick();
        }
      }),
    );
  }
}

/** Routes the gated fs/promises functions through `current` while a test runs. */
function gateFileSystem(current: () => Interleaver | undefined): () => void {
  const mod = fsp as unknown as Record<string, (...args: unknown[]) => Promise<unknown>>;
  const originals = new Map<string, (...args: unknown[]) => Promise<unknown>>();
  for (const name of GATED) {
    const original = mod[name];
    originals.set(name, original);
    mod[name] = async (...args: unknown[]) => {
      await current()?.gate(name);
      return original(...args);
    };
  }
  return () => originals.forEach((fn, name) => (mod[name] = fn));
}

/** A small seeded generator (mulberry32): the same schedules every run. */
function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe('a start answer racing a takeover (run store)', () => {
  let dir: string;
  let current: Interleaver | undefined;
  let restore: () => void;
  before(() => {
    restore = gateFileSystem(() => current);
  });
  after(() => restore());
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'docutray-receipt-'));
  });
  afterEach(function () {
    this.timeout(60_000); // hundreds of small stores
    current = undefined;
    rmSync(dir, { recursive: true, force: true });
  });

  it('keeps the execution id in every one of 240 interleavings of the takeover and the late recordStart', async function () {
    this.timeout(120_000);
    const lost: string[] = [];
    const schedules = new Set<string>();
    for (let i = 0; i < 240; i++) {
      const store = join(dir, `s${i}`);
      const a = new RunStore(store);
      const b = new RunStore(store);
      await a.write(runRecord('r', 'starting', { owner: 'A', batchId: 'batch', startedAt: 1, updatedAt: 1 }));
      // Schedules lean one way or the other, so long runs of one actor happen as well as fine interleavings.
      const random = seeded(i + 1);
      const lean = (i % 9) / 8;
      current = new Interleaver(ready => (ready.length === 1 || random() < lean ? ready[0] : ready[1]));
      await current.all({
        // A, frozen while its start was on the wire, gets DocuTray's answer and records it.
        A: () => a.recordStart('r', { executionId: 'exec-1', sha256: 'abc' }),
        // B found A gone: claims the run, then marks it as it finds it stored now.
        B: async () => {
          if (await b.claim('r', 'B', 'A', () => false)) {
            await b.updateWith('r', 'B', stored => transition(stored, { type: 'interrupted' }));
          }
        },
      });
      const trace = current.trace.join(' ');
      current = undefined;
      schedules.add(trace);
      const after = await new RunStore(store).read('r');
      if (after?.executionId !== 'exec-1' || after.state !== 'ENQUEUED' || after.owner !== 'B') {
        lost.push(`${after?.state}/${after?.executionId}/${after?.owner} after ${trace}`);
      }
    }
    assert.deepStrictEqual(lost, [], `${lost.length} interleavings lost the id`);
    assert.ok(schedules.size >= 100, `only ${schedules.size} distinct interleavings were tried`);
  });

  it('a record rewritten from an older copy gets the id back from the receipt when read', async () => {
    const store = new RunStore(dir);
    await store.write(runRecord('r', 'starting', { owner: 'A', startedAt: 1, updatedAt: 1 }));
    const stale = await store.read('r');
    await store.recordStart('r', { executionId: 'exec-2', serviceStepName: 'Invoice' });
    // Written back from the copy read before the start answered (what a takeover's write does).
    await store.write({ ...(stale as NonNullable<typeof stale>), state: 'mayHaveStarted', owner: 'B', updatedAt: 5 });
    const read = await store.read('r');
    assert.strictEqual(read?.executionId, 'exec-2');
    assert.strictEqual(read?.state, 'ENQUEUED');
    assert.strictEqual(read?.serviceStepName, 'Invoice');
    assert.strictEqual((await store.list()).find(r => r.id === 'r')?.executionId, 'exec-2');
    // Removed with its run: nothing left to bring an id back to a later run of the same id.
    await store.remove([{ id: 'r', executionId: 'exec-2' }]);
    assert.deepStrictEqual(await fsp.readdir(join(dir, 'runs')), []);
  });
});
