/** Waiting that outlasts one timer and wakes early on abort. */

/**
 * The longest delay a timer takes: Node and browsers fire a longer one at once (2^31 − 1 ms is about
 * 24.8 days), which turns a long wait into a busy loop. Longer waits are made of several timers.
 */
export const MAX_TIMER_MS = 2 ** 31 - 1;

/** Sleeps, waking early (rejecting with the signal's reason) when the signal aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason);
      return;
    }
    const end = Date.now() + Math.max(0, ms);
    let timer: ReturnType<typeof setTimeout>;
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    const arm = (left: number) => {
      timer = setTimeout(
        () => {
          const rest = end - Date.now();
          if (rest > 0 && left > MAX_TIMER_MS) {
            arm(rest);
            return;
          }
          signal?.removeEventListener('abort', onAbort);
          resolve();
        },
        Math.min(left, MAX_TIMER_MS),
      );
    };
    arm(Math.max(0, ms));
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
