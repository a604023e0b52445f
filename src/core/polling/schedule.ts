/**
 * When to ask DocuTray for an execution's status. The official SDKs poll every 2 s flat, so a 1 s job
 * is seen after 2 s and a 5-minute job costs 150 requests. We look early and often while a result is
 * likely to land any moment, then back off in proportion to the time already spent (the delay after
 * elapsed time t is a fixed fraction of t), up to a cap: short jobs are seen within a few hundred
 * milliseconds, long ones within a small fraction of their duration, with no more requests than a
 * flat 2 s poll.
 */

export interface PollSchedule {
  /** Wait before the first status request after the start answered. */
  firstDelayMs: number;
  /** Shortest interval between two status requests. */
  minIntervalMs: number;
  /** Interval as a fraction of the time elapsed since the start. */
  growth: number;
  /** Longest interval between two status requests. */
  maxIntervalMs: number;
}

export const ADAPTIVE_SCHEDULE: PollSchedule = {
  firstDelayMs: 200,
  minIntervalMs: 300,
  growth: 0.17,
  maxIntervalMs: 10_000,
};

/** What the official SDKs do: ask at once, then every 2 s. Kept for the benchmark's comparison. */
export const FLAT_2S_SCHEDULE: PollSchedule = { firstDelayMs: 0, minIntervalMs: 2000, growth: 0, maxIntervalMs: 2000 };

/** Delay before the next status request, given the time since the start. */
export function nextPollDelay(schedule: PollSchedule, elapsedMs: number): number {
  return Math.round(Math.min(schedule.maxIntervalMs, Math.max(schedule.minIntervalMs, elapsedMs * schedule.growth)));
}

/** The instants (ms after the start) at which the schedule polls, up to `horizonMs`. For tests and docs. */
export function pollInstants(schedule: PollSchedule, horizonMs: number): number[] {
  const out: number[] = [];
  let t = schedule.firstDelayMs;
  while (t <= horizonMs) {
    out.push(t);
    t += nextPollDelay(schedule, t);
  }
  return out;
}
