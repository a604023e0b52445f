import vscode = require('vscode');

/**
 * The "DocuTray" log channel. Lines carry a [component] prefix; the level is the user's
 * ("Developer: Set Log Level…"). Never give it the API key or document contents.
 */
export class Log implements vscode.Disposable {
  readonly channel: vscode.LogOutputChannel;

  constructor() {
    this.channel = vscode.window.createOutputChannel('DocuTray', { log: true });
  }

  scoped(component: string): ScopedLog {
    return new ScopedLog(this.channel, component);
  }

  show(): void {
    this.channel.show(true);
  }

  dispose(): void {
    this.channel.dispose();
  }
}

export class ScopedLog {
  constructor(
    private readonly channel: vscode.LogOutputChannel,
    private readonly component: string,
  ) {}
  trace(msg: string): void {
    this.channel.trace(`[${this.component}] ${msg}`);
  }
  info(msg: string): void {
    this.channel.info(`[${this.component}] ${msg}`);
  }
  warn(msg: string): void {
    this.channel.warn(`[${this.component}] ${msg}`);
  }
  error(msg: string): void {
    this.channel.error(`[${this.component}] ${msg}`);
  }
}
