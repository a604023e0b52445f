import vscode = require('vscode');
import { l10n } from 'vscode';
import {
  BadRequestError, ContentTypeRefusedError, DocuTrayError, ExecutionAccessError, NotFoundError, QuotaExceededError,
  UrlDownloadTimeoutError, badRequestDetail,
} from '../core/api/errors';
import type { Action, Presentation } from './errorPresenter';

/**
 * The messages for the statuses DocuTray's API reference gives a meaning of their own
 * (docutray-api.md §0); undefined for every other error, which ErrorPresenter words as before.
 */
export function presentReferenceError(e: DocuTrayError, actions: { showLog: Action; retry: Action[] }): Presentation | undefined {
  const { showLog, retry } = actions;
  if (e instanceof NotFoundError && e.resource === 'step') {
    // A start's 403 and 404 alike: "Step not found or access denied" is about the step id, not the key.
    return {
      severity: 'error',
      message: l10n.t('DocuTray has no step "{0}" that this API key may use ({1}: step not found or access denied). Check the step ID.', e.resourceId ?? '', e.status ?? 404),
      actions: [{ title: l10n.t('Configure Steps'), run: () => vscode.commands.executeCommand('docutray.configureSteps') }, showLog],
    };
  }
  if (e instanceof ExecutionAccessError) {
    return {
      severity: 'error',
      message: l10n.t('Execution {0} belongs to another API key or organisation (403). Check it with the key that started it.', e.executionId),
      actions: [{ title: l10n.t('Set API Key'), run: () => vscode.commands.executeCommand('docutray.setApiKey') }, showLog],
    };
  }
  if (e instanceof QuotaExceededError) {
    // Never a Retry: the quota stays used up until it resets.
    return { severity: 'error', message: quotaMessage(e), actions: [showLog] };
  }
  if (e instanceof UrlDownloadTimeoutError) {
    return {
      severity: 'error',
      message: l10n.t('DocuTray could not download {0} within 30 seconds (408). Check that the URL is reachable from the internet and answers quickly, or run the step on a downloaded copy.', e.url),
      actions: [...retry, showLog],
    };
  }
  if (e instanceof ContentTypeRefusedError) {
    return {
      severity: 'error',
      message: l10n.t('DocuTray refused the content type of the request ({0}, 415). The extension sends it correctly: a proxy on the way may be rewriting requests. Request id: {1}.', e.requestContentType ?? l10n.t('unknown'), e.requestId ?? l10n.t('none')),
      actions: [{ title: l10n.t('Proxy Settings'), run: () => vscode.commands.executeCommand('workbench.action.openSettings', 'http.proxy') }, showLog],
    };
  }
  if (e instanceof BadRequestError) {
    return { severity: 'error', message: l10n.t('DocuTray rejected the request ({0}): {1}', e.status ?? 400, badRequestDetail(e.errors, e.serverMessage)), actions: [showLog] };
  }
  return undefined;
}

function quotaMessage(e: QuotaExceededError): string {
  const { used, quota, resetDate } = e.info;
  const reset = resetDate ? formatDate(resetDate) : undefined;
  const figures = used !== undefined && quota !== undefined ? l10n.t('{0} of {1} used', formatNumber(used), formatNumber(quota)) : undefined;
  if (figures && reset) {
    return l10n.t('DocuTray\'s quota is used up (402): {0}. It resets on {1}.', figures, reset);
  }
  if (figures) {
    return l10n.t('DocuTray\'s quota is used up (402): {0}.', figures);
  }
  if (reset) {
    return l10n.t('DocuTray\'s quota is used up (402). It resets on {0}.', reset);
  }
  return l10n.t('DocuTray\'s quota is used up (402). Runs are refused until it resets: see your plan in the DocuTray dashboard.');
}

export function formatNumber(n: number): string {
  return new Intl.NumberFormat(vscode.env.language).format(n);
}

function formatDate(text: string): string {
  const d = new Date(text);
  return Number.isNaN(d.getTime()) ? text : new Intl.DateTimeFormat(vscode.env.language, { dateStyle: 'long', timeZone: 'UTC' }).format(d);
}
