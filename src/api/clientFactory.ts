import vscode = require('vscode');
import { createHash } from 'node:crypto';
import { DocuTrayClient } from '../core/client/client';
import { BudgetRegistry, type RequestBudget } from '../core/api/budget';
import { learnedLimitStore } from '../core/api/learnedLimits';
import { ApiKeyStore } from './apiKeyStore';
import { ScopedLog } from '../log';
import * as settings from '../settings';

/**
 * Builds a client for the current settings. HTTP goes through VS Code's global `fetch`, which the
 * extension host routes through the user's proxy settings, PAC and system certificates; a bundled
 * HTTP client would bypass them.
 *
 * Every client of one API key (and base URL) shares one request budget: starts, status polls and key
 * checks of every run in this window are paced together by what DocuTray says of its rate limit. The
 * limit a budget learns is kept in the global state (shared by every window), by a digest of base URL
 * and key, so the next session starts at it.
 */
export class ClientFactory {
  private readonly budgets: BudgetRegistry;

  constructor(
    private readonly apiKeys: ApiKeyStore,
    private readonly log: ScopedLog,
    private readonly extensionVersion: string,
    globalState?: vscode.Memento,
  ) {
    const kept =
      globalState &&
      learnedLimitStore(globalState, {
        onError: e => this.log.warn(`could not remember the rate limit learned: ${String(e)}`),
      });
    this.budgets = new BudgetRegistry(
      {},
      kept && {
        get: id => kept.get(id),
        set: (id, limit) => {
          this.log.info(`DocuTray's rate limit for this key: ${limit.limit} requests per ${limit.limitType}`);
          kept.set(id, limit);
        },
      },
    );
  }

  /** @param apiKey a key to use instead of the stored one (to check a key before saving it) */
  create(apiKey?: string): DocuTrayClient {
    const base = settings.baseUrl();
    return new DocuTrayClient({
      baseUrl: base.url,
      apiKey: apiKey ?? (() => this.apiKeys.get()),
      fetch: (url, init) => globalThis.fetch(url, init),
      userAgent: `docutray-vscode/${this.extensionVersion} vscode/${vscode.version}`,
      // Starts (and their request ids) at info; the many status polls at trace.
      log: line => (line.startsWith('POST') ? this.log.info(line) : this.log.trace(line)),
      budget: key => this.budget(base.url, key),
    });
  }

  /** The request budget of a key at a base URL; undefined when no key is set. */
  async currentBudget(): Promise<RequestBudget | undefined> {
    const key = await this.apiKeys.get();
    return key === undefined ? undefined : this.budget(settings.baseUrl().url, key);
  }

  private budget(baseUrl: string, key: string): RequestBudget {
    // The registry is keyed by a digest: the key itself is held only by SecretStorage and the request.
    return this.budgets.forKey(createHash('sha256').update(`${baseUrl}\n${key}`).digest('hex'));
  }
}
