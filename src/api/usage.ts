import vscode = require('vscode');
import { l10n } from 'vscode';
import type { ApiKeyStore } from './apiKeyStore';
import type { ClientFactory } from './clientFactory';
import { DocuTrayError } from '../core/api/errors';
import type { Usage } from '../core/api/usage';
import type { ScopedLog } from '../log';

/**
 * This month's usage (`GET /api/usage`: free, never refused for quota or rate), where a user looks
 * for it: the line above the Runs view's runs (see showUsageInView) and the status-bar item's tooltip.
 * Figures come from the key check, from the Runs view being shown while this window has none, and from
 * a refresh after a run or a batch ends — one request per batch, in the background: it is not a run,
 * is never shown as one, and nothing waits for it. A failed refresh keeps the last figures and is only
 * logged.
 */
export class UsageService implements vscode.Disposable {
  private current: Usage | undefined;
  private refreshing: Promise<void> | undefined;
  private readonly changed = new vscode.EventEmitter<Usage | undefined>();
  readonly onDidChange = this.changed.event;
  private readonly subscription: vscode.Disposable;

  constructor(
    private readonly clients: ClientFactory,
    private readonly apiKeys: ApiKeyStore,
    private readonly log: ScopedLog,
  ) {
    // Figures belong to a key: without one, there are none to show. (A new key brings its own, from its check.)
    this.subscription = apiKeys.onDidChange(
      () =>
        void apiKeys.get().then(key => {
          if (!key) {
            this.set(undefined);
          }
        }),
    );
  }

  get usage(): Usage | undefined {
    return this.current;
  }

  set(usage: Usage | undefined): void {
    this.current = usage;
    this.changed.fire(usage);
  }

  /** Fetches the figures only when this window has none yet (a failed fetch leaves none: tried again next time). */
  ensure(): Promise<void> {
    return this.current ? Promise.resolve() : this.refresh();
  }

  /** Fetches the figures again in the background; a refresh already under way is not doubled. */
  refresh(): Promise<void> {
    this.refreshing ??= this.fetch().finally(() => {
      this.refreshing = undefined;
    });
    return this.refreshing;
  }

  private async fetch(): Promise<void> {
    if (!(await this.apiKeys.get())) {
      return;
    }
    try {
      const usage = await this.clients.create().getUsage();
      this.log.info(
        `usage ${usage.year}-${String(usage.month).padStart(2, '0')}: ${usage.successfulPages} pages, ${usage.successfulConversions} conversions`,
      );
      this.set(usage);
    } catch (e) {
      this.log.info(
        `usage not refreshed: ${e instanceof DocuTrayError ? `${e.kind}${e.status ? ` HTTP ${e.status}` : ''}` : String(e)}`,
      );
    }
  }

  /** "November 2026: 1,234 pages processed", or undefined before any figures came. */
  describe(): string | undefined {
    const u = this.current;
    return u ? l10n.t('{0}: {1} pages processed', monthName(u), formatNumber(u.successfulPages)) : undefined;
  }

  dispose(): void {
    this.subscription.dispose();
    this.changed.dispose();
  }
}

/**
 * Shows the usage as the Runs view's message, the line above its runs. Not as the view's description:
 * that sits in the view's header, which VS Code folds into the side bar's title — without the
 * description — while the view is alone in its container, as it is by default. Not while the view is
 * empty either: a message hides the view's welcome (its first-step buttons). Showing the view fetches
 * the figures when this window has none yet.
 */
export function showUsageInView(
  tree: Pick<vscode.TreeView<unknown>, 'visible' | 'message' | 'onDidChangeVisibility'>,
  usage: UsageService,
  view: Pick<vscode.TreeDataProvider<unknown>, 'getChildren' | 'onDidChangeTreeData'>,
): vscode.Disposable {
  const update = async () => {
    if (!tree.visible) {
      return; // brought up to date when it is shown
    }
    const items = ((await view.getChildren()) ?? []).length;
    tree.message = items > 0 ? usage.describe() : undefined;
  };
  const shown = () => {
    if (tree.visible) {
      void update();
      void usage.ensure();
    }
  };
  shown();
  return vscode.Disposable.from(
    tree.onDidChangeVisibility(shown),
    usage.onDidChange(() => void update()),
    ...(view.onDidChangeTreeData ? [view.onDidChangeTreeData(() => void update())] : []),
  );
}

/** "November 2026", in the display language. */
export function monthName(u: Pick<Usage, 'year' | 'month'>): string {
  return new Intl.DateTimeFormat(vscode.env.language, { month: 'long', year: 'numeric', timeZone: 'UTC' }).format(
    Date.UTC(u.year, u.month - 1, 1),
  );
}

export function formatNumber(n: number): string {
  return new Intl.NumberFormat(vscode.env.language).format(n);
}
