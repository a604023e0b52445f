/** Who drives a run in flight (src/core/runs/ownership.ts): pure decisions from a record, a time, an id and liveness. */
import * as assert from 'assert';
import {
  HANDOVER_GRACE_MS,
  LEASE_MS,
  WindowPresence,
  isAlive,
  mayClaimNow,
  mayWrite,
  parsePresence,
  resumeDecision,
} from '../../../../src/core/runs/ownership';

describe('one owner per run in flight', () => {
  const now = 1_000_000;
  const presence = (over: Partial<WindowPresence> = {}): WindowPresence => ({
    id: 'A',
    pid: 42,
    host: 'h',
    heartbeatAt: now - 1000,
    ...over,
  });

  it('a window is alive while its presence is fresh and its process runs', () => {
    assert.strictEqual(
      isAlive(presence(), now, 'h', () => true),
      true,
    );
    assert.strictEqual(
      isAlive(undefined, now, 'h', () => true),
      false,
      'closed or reloaded: its file is gone',
    );
    assert.strictEqual(
      isAlive(presence(), now, 'h', () => false),
      false,
      'its extension host process has exited',
    );
    assert.strictEqual(
      isAlive(presence({ heartbeatAt: now - LEASE_MS - 1 }), now, 'h', () => true),
      false,
      'no heartbeat for the lease: hung, or the pid was reused',
    );
    assert.strictEqual(
      isAlive(presence({ host: 'other' }), now, 'h', () => false),
      true,
      'a pid on another host is not checked here',
    );
  });

  it('leaves a run to its live owner, takes over a run whose owner is gone, and drives its own', () => {
    const alive = (o: string) => o === 'A';
    assert.strictEqual(resumeDecision({ state: 'PROCESSING', owner: 'A', executionId: 'e' }, 'B', alive), 'leave');
    assert.strictEqual(
      resumeDecision({ state: 'starting', owner: 'A' }, 'B', alive),
      'leave',
      'a window opened during another\'s upload does not mark it "may have started"',
    );
    assert.strictEqual(resumeDecision({ state: 'PROCESSING', owner: 'Z', executionId: 'e' }, 'B', alive), 'poll');
    assert.strictEqual(resumeDecision({ state: 'starting', owner: 'Z' }, 'B', alive), 'markMayHaveStarted');
    assert.strictEqual(
      resumeDecision({ state: 'ENQUEUED', executionId: 'e' }, 'B', alive),
      'poll',
      'a record from before owners: its window is gone',
    );
    assert.strictEqual(resumeDecision({ state: 'PROCESSING', owner: 'B', executionId: 'e' }, 'B', alive), 'mine');
    assert.strictEqual(resumeDecision({ state: 'SUCCESS', owner: 'Z', executionId: 'e' }, 'B', alive), 'none');
  });

  it('only the owner changes a run in flight; anyone a finished one', () => {
    assert.strictEqual(mayWrite({ state: 'PROCESSING', owner: 'A' }, 'B'), false);
    assert.strictEqual(mayWrite({ state: 'PROCESSING', owner: 'A' }, 'A'), true);
    assert.strictEqual(mayWrite({ state: 'PROCESSING' }, 'B'), true);
    assert.strictEqual(mayWrite({ state: 'SUCCESS', owner: 'A' }, 'B'), true);
  });

  it('lets a window holding the source take an orphan first; the others after a grace', () => {
    assert.strictEqual(mayClaimNow(true, true, now, now), true);
    assert.strictEqual(mayClaimNow(false, true, now, now), false);
    assert.strictEqual(
      mayClaimNow(false, true, now - HANDOVER_GRACE_MS, now),
      true,
      'nobody holding it came: take it, kept in storage only',
    );
    assert.strictEqual(mayClaimNow(false, false, now, now), true, 'a record from before owners: no grace');
  });

  it('reads a presence file leniently', () => {
    assert.deepStrictEqual(parsePresence(JSON.stringify(presence({ showing: ['x', 3 as unknown as string] }))), {
      ...presence(),
      showing: ['x'],
    });
    assert.strictEqual(parsePresence('{"id": 1}'), undefined);
    assert.strictEqual(parsePresence('not json'), undefined);
  });
});
