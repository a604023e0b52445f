/**
 * The DocuTray service as the command line reaches it: the key from DOCUTRAY_API_KEY, the address from
 * DOCUTRAY_BASE_URL (https, or http on loopback only: the client's endpoint rules), Node's global fetch,
 * and one request budget for every request of the run, as the extension has one per key (with
 * `--shard i/n`, a budget for 1/n of the key's limit, as the other n-1 jobs take the rest).
 */
import { RequestBudget, SYSTEM_CLOCK, type BudgetClock } from '../core/api/budget';
import { MAX_TIMER_MS } from '../core/async/sleep';
import { DocuTrayClient } from '../core/client/client';
import { DEFAULT_BASE_URL } from '../core/api/endpoint';
import { DocuTrayError } from '../core/api/errors';
import { errorCode } from '../core/api/retry';
import { ConfigError } from './workspace';

export const API_KEY_ENV = 'DOCUTRAY_API_KEY';
export const BASE_URL_ENV = 'DOCUTRAY_BASE_URL';

export interface Service {
  client: DocuTrayClient;
  budget: RequestBudget;
}

/**
 * The budget's clock in the command line: its timers keep the process alive. The system clock's do not
 * (a pending wait must not hold an editor's extension host or a test open), but here a request waiting
 * for the rate limit is the run itself: with nothing else pending, Node would exit mid-run, exit 0.
 */
const CLI_CLOCK: BudgetClock = {
  now: SYSTEM_CLOCK.now,
  setTimer: (fn, ms) => setTimeout(fn, Math.min(ms, MAX_TIMER_MS)),
  clearTimer: SYSTEM_CLOCK.clearTimer,
};

/**
 * A client for the environment's key and service, with the key checked (`GET /api/usage`, which
 * costs nothing and is never rate limited). Throws ConfigError without a key, the client's errors
 * for a key refused, an address refused, a service out of reach.
 */
export async function connect(
  env: NodeJS.ProcessEnv,
  userAgent: string,
  opts: { share?: number } = {},
): Promise<Service> {
  const key = env[API_KEY_ENV]?.trim();
  if (!key) {
    throw new ConfigError(`Set ${API_KEY_ENV} to your DocuTray API key.`);
  }
  // `--shard i/n`: this job's part of the key's limit (budget.ts, "Shares").
  const budget = new RequestBudget({ share: opts.share, clock: CLI_CLOCK });
  const client = new DocuTrayClient({
    baseUrl: env[BASE_URL_ENV]?.trim() || DEFAULT_BASE_URL,
    apiKey: key,
    fetch: (url, init) => globalThis.fetch(url, init),
    userAgent,
    budget,
  });
  await client.checkKey();
  return { client, budget };
}

/** An error that stopped the whole run, in words for a terminal, with the variable to look at. */
export function describeFatal(e: unknown): string {
  if (e instanceof ConfigError) {
    return e.message;
  }
  if (e instanceof DocuTrayError) {
    switch (e.kind) {
      case 'authentication':
        return `DocuTray refused the API key (${e.status ?? 401}). Check ${API_KEY_ENV}.`;
      case 'insecureBaseUrl':
        return `${e.message} (${BASE_URL_ENV})`;
      case 'connection': {
        // A terminal is read by whoever can look the system code up: the words, then the code.
        const code = errorCode(e);
        return `${e.message} (${code ? `${code}; ` : ''}${BASE_URL_ENV})`;
      }
      default:
        return e.message;
    }
  }
  return e instanceof Error ? e.message : String(e);
}
