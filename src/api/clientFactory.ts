import vscode = require('vscode');
import { DocuTrayClient } from '../core/api/client';
import { ApiKeyStore } from './apiKeyStore';
import { ScopedLog } from '../log';
import * as settings from '../settings';

/**
 * Builds a client for the current settings. HTTP goes through VS Code's global `fetch`, which the
 * extension host routes through the user's proxy settings, PAC and system certificates; a bundled
 * HTTP client would bypass them.
 */
export class ClientFactory {
  constructor(
    private readonly apiKeys: ApiKeyStore,
    private readonly log: ScopedLog,
    private readonly extensionVersion: string,
  ) {}

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
    });
  }
}
