import vscode = require('vscode');

const SECRET_KEY = 'docutray.apiKey';
const CONTEXT_KEY = 'docutray.hasApiKey';
export const API_KEY_ENV = 'DOCUTRAY_API_KEY';

export type ApiKeySourceKind = 'secretStorage' | 'environment';

/**
 * The API key lives in SecretStorage only; `DOCUTRAY_API_KEY` in the environment is the fallback when
 * nothing is stored. The context key `docutray.hasApiKey` follows both, across windows too
 * (SecretStorage fires onDidChange for changes made in other windows).
 */
export class ApiKeyStore implements vscode.Disposable {
  private readonly subscription: vscode.Disposable;
  private readonly changed = new vscode.EventEmitter<void>();
  readonly onDidChange = this.changed.event;

  constructor(private readonly secrets: vscode.SecretStorage) {
    this.subscription = secrets.onDidChange(e => {
      if (e.key === SECRET_KEY) {
        void this.refreshContext();
        this.changed.fire();
      }
    });
  }

  async get(): Promise<string | undefined> {
    return (await this.getWithSource())?.key;
  }

  async getWithSource(): Promise<{ key: string; source: ApiKeySourceKind } | undefined> {
    const stored = await this.secrets.get(SECRET_KEY);
    if (stored) {
      return { key: stored, source: 'secretStorage' };
    }
    const env = process.env[API_KEY_ENV]?.trim();
    return env ? { key: env, source: 'environment' } : undefined;
  }

  async store(key: string): Promise<void> {
    await this.secrets.store(SECRET_KEY, key.trim());
    await this.refreshContext();
  }

  async clear(): Promise<void> {
    await this.secrets.delete(SECRET_KEY);
    await this.refreshContext();
  }

  async refreshContext(): Promise<boolean> {
    const has = (await this.get()) !== undefined;
    await vscode.commands.executeCommand('setContext', CONTEXT_KEY, has);
    return has;
  }

  dispose(): void {
    this.subscription.dispose();
    this.changed.dispose();
  }
}
