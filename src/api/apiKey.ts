import vscode = require('vscode');
import { l10n } from 'vscode';
import { askInput } from '../ask';
import { DocuTrayError } from '../core/api/errors';
import type { Usage } from '../core/api/usage';
import type { Log } from '../log';
import type { ApiKeyStore } from './apiKeyStore';
import type { ClientFactory } from './clientFactory';
import { type UsageService, formatNumber, monthName } from './usage';

/** What the key commands use (the Services bag has all of it). */
export interface KeyServices {
  log: Log;
  apiKeys: ApiKeyStore;
  clients: ClientFactory;
  usage: UsageService;
}

function isUsage(v: unknown): v is { usage: Usage } {
  return typeof v === 'object' && v !== null && 'usage' in v;
}

/**
 * Asks for the key in a password box and checks it with DocuTray (`GET /api/usage`: needs the key,
 * spends nothing) before saving. A refused key is never stored (the previous one stays) and can be
 * entered again; when DocuTray can't be reached, saving it unchecked is an explicit choice. Resolves
 * true when a key was saved.
 */
export async function setApiKey(s: KeyServices): Promise<boolean> {
  const log = s.log.scoped('key');
  let value: string | undefined;
  for (;;) {
    value = await askInput({
      title: l10n.t('DocuTray API Key'),
      prompt: l10n.t("Paste your DocuTray API key. It is kept in VS Code's secret storage, never in settings."),
      password: true,
      ignoreFocusOut: true,
      value,
      validateInput: v =>
        v.trim()
          ? /\s/.test(v.trim())
            ? l10n.t('An API key has no spaces.')
            : undefined
          : l10n.t('Enter an API key.'),
    });
    if (value === undefined) {
      return false;
    }
    const key = value.trim();
    const verdict = await vscode.window.withProgress(
      {
        location: vscode.ProgressLocation.Notification,
        title: l10n.t('DocuTray: checking the API key…'),
        cancellable: true,
      },
      async (_p, token) => {
        const abort = new AbortController();
        token.onCancellationRequested(() => abort.abort());
        try {
          return { usage: await s.clients.create(key).checkKey({ signal: abort.signal }) };
        } catch (e) {
          return e;
        }
      },
    );
    if (isUsage(verdict)) {
      await s.apiKeys.store(key);
      s.usage.set(verdict.usage);
      log.info('API key checked (GET /api/usage) and saved to secret storage');
      void vscode.window.showInformationMessage(
        l10n.t(
          "DocuTray API key accepted — {0} pages processed in {1}. It is saved in VS Code's secret storage.",
          formatNumber(verdict.usage.successfulPages),
          monthName(verdict.usage),
        ),
      );
      return true;
    }
    const kind = verdict instanceof DocuTrayError ? verdict.kind : 'error';
    log.warn(`API key check failed: ${kind}`);
    if (kind === 'cancelled') {
      return false;
    }
    if (kind === 'authentication' || kind === 'permission') {
      // Never stored: the key that worked before (if any) stays in use.
      const again = await vscode.window.showErrorMessage(
        l10n.t(
          'DocuTray refused this API key ({0}); it was not saved. Check it and enter it again.',
          (verdict as DocuTrayError).status ?? 401,
        ),
        l10n.t('Enter Again'),
      );
      if (again) {
        continue;
      }
      return false;
    }
    if (kind === 'insecureBaseUrl') {
      throw verdict;
    }
    const save = await vscode.window.showWarningMessage(
      l10n.t(
        'Could not check the key with DocuTray, so it is not saved yet ({0}). Save it anyway, unchecked?',
        verdict instanceof Error ? verdict.message : String(verdict),
      ),
      l10n.t('Save Anyway'),
      l10n.t('Show Log'),
    );
    if (save === l10n.t('Save Anyway')) {
      await s.apiKeys.store(key);
      log.info('API key saved to secret storage without a check');
      return true;
    }
    if (save === l10n.t('Show Log')) {
      s.log.show();
    }
    return false;
  }
}

export async function clearApiKey(s: KeyServices): Promise<void> {
  await s.apiKeys.clear();
  s.log.scoped('key').info('API key removed from secret storage');
  const still = await s.apiKeys.getWithSource();
  void vscode.window.showInformationMessage(
    still?.source === 'environment'
      ? l10n.t('DocuTray API key cleared. The DOCUTRAY_API_KEY environment variable still provides one.')
      : l10n.t('DocuTray API key cleared.'),
  );
}

/** A run without a key asks for one, then continues. Resolves false when the user gave none. */
export async function ensureApiKey(s: KeyServices): Promise<boolean> {
  if (await s.apiKeys.get()) {
    return true;
  }
  return setApiKey(s);
}
