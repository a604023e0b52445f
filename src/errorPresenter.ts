import vscode = require('vscode');
import { l10n } from 'vscode';
import {
  BadRequestError,
  ConnectionError,
  ContentTypeRefusedError,
  DocuTrayError,
  ExecutionAccessError,
  InvalidInputError,
  NotFoundError,
  QuotaExceededError,
  RateLimitError,
  StartNotInitiatedError,
  StepFailedError,
  TimeoutError,
  UrlDownloadTimeoutError,
  badRequestDetail,
  connectionProblem,
} from './core/api/errors';
import { errorCode } from './core/api/retry';
import { formatNumber } from './api/usage';
import { plainText } from './core/text/plainText';
import { Log, ScopedLog } from './log';

export interface Action {
  title: string;
  run: () => unknown;
}

/** What a failed run was: its document and its step (names as the user knows them). */
export interface Subject {
  document: string;
  step: string;
}

export interface Presentation {
  message: string;
  actions: Action[];
  /** 'none' for a cancel: the user asked for it, nothing to tell. */
  severity: 'error' | 'warning' | 'none';
}

/**
 * The one place errors become messages. Every command runs through {@link ErrorPresenter.run}: the
 * error is logged, and one message names the fix, with buttons that apply it.
 */
export class ErrorPresenter {
  private readonly log: ScopedLog;

  constructor(private readonly logRoot: Log) {
    this.log = logRoot.scoped('error');
  }

  /** Runs a command body; on failure logs and shows one message. `retry` repeats the command. */
  async run<T>(command: string, body: () => Promise<T>, retry?: () => unknown): Promise<T | undefined> {
    try {
      return await body();
    } catch (e) {
      this.report(e, command, retry);
      return undefined;
    }
  }

  /**
   * Logs and shows one message. A run's failure names its `subject` (the document and the step) and may
   * lead with `actions` of its own (the next steps only the run knows, like Rerun with Another Step).
   */
  report(
    e: unknown,
    context: string,
    retry?: () => unknown,
    run: { subject?: Subject; actions?: Action[] } = {},
  ): void {
    const bare = this.present(e, retry, run.subject);
    const p = { ...bare, actions: [...(run.actions ?? []), ...bare.actions] };
    // The system code of a network failure (UND_ERR_SOCKET…) goes to the log only; messages word it.
    const code = e instanceof DocuTrayError ? errorCode(e) : undefined;
    const detail =
      e instanceof DocuTrayError
        ? `${e.kind}${e.status ? ` HTTP ${e.status}` : ''}${e.requestId ? ` request ${e.requestId}` : ''}${code ? ` code ${code}` : ''}: ${e.message}`
        : e instanceof Error
          ? `${e.name}: ${e.message}`
          : String(e);
    if (p.severity === 'none') {
      this.log.info(`${context}: ${detail}`);
      return;
    }
    this.log.error(`${context}: ${detail}`);
    const show = p.severity === 'error' ? vscode.window.showErrorMessage : vscode.window.showWarningMessage;
    // Not awaited: a command must not hang until someone dismisses its message. The message carries
    // names and the service's own words: plain text, so none of it can render as a (command) link.
    void show(plainText(p.message), ...p.actions.map(a => a.title)).then(choice =>
      p.actions.find(a => a.title === choice)?.run(),
    );
  }

  /** The message and buttons for an error; with a `subject`, the message names the document and the step. */
  present(e: unknown, retry?: () => unknown, subject?: Subject): Presentation {
    const p = this.presentError(e, retry);
    if (!subject || p.severity === 'none') {
      return p;
    }
    const step = subject.step;
    const document = subject.document;
    return {
      ...p,
      message:
        e instanceof StepFailedError
          ? l10n.t('DocuTray: {0} failed on {1}: {2}', step, document, e.failure.message)
          : l10n.t('DocuTray: {0} on {1}: {2}', step, document, p.message.replace(/^DocuTray: /, '')),
    };
  }

  private presentError(e: unknown, retry?: () => unknown): Presentation {
    const setKey: Action = {
      title: l10n.t('Set API Key'),
      run: () => vscode.commands.executeCommand('docutray.setApiKey'),
    };
    const showLog: Action = { title: l10n.t('Show Log'), run: () => this.logRoot.show() };
    const retryAction: Action[] = retry ? [{ title: l10n.t('Retry'), run: retry }] : [];
    const openSettings: Action = {
      title: l10n.t('Open Settings'),
      run: () => vscode.commands.executeCommand('workbench.action.openSettings', 'docutray.apiBaseUrl'),
    };
    if (!(e instanceof DocuTrayError)) {
      return {
        severity: 'error',
        message: l10n.t('DocuTray: something went wrong: {0}', e instanceof Error ? e.message : String(e)),
        actions: [showLog],
      };
    }
    const byReference = presentReferenceError(e, { showLog, retry: retryAction });
    if (byReference) {
      return byReference;
    }
    switch (e.kind) {
      case 'cancelled':
        return { severity: 'none', message: '', actions: [] };
      case 'missingApiKey':
        return {
          severity: 'warning',
          message: l10n.t('No DocuTray API key is set. Set one to run steps.'),
          actions: [setKey],
        };
      case 'authentication':
        return {
          severity: 'error',
          message: l10n.t('DocuTray refused the API key (401). Set a valid API key.'),
          actions: [setKey, showLog],
        };
      case 'permission':
        return {
          severity: 'error',
          message: l10n.t(
            'DocuTray did not allow this for your API key (403): {0}',
            e.serverMessage ?? l10n.t('permission denied'),
          ),
          actions: [setKey, showLog],
        };
      case 'notFound': {
        const nf = e as NotFoundError;
        if (nf.resource === 'step') {
          return {
            severity: 'error',
            message: l10n.t('DocuTray has no step "{0}" (404). Check the step ID.', nf.resourceId ?? ''),
            actions: [
              {
                title: l10n.t('Configure Steps'),
                run: () => vscode.commands.executeCommand('docutray.configureSteps'),
              },
              showLog,
            ],
          };
        }
        if (nf.resource === 'execution') {
          return {
            severity: 'error',
            message: l10n.t('DocuTray has no execution "{0}" (404).', nf.resourceId ?? ''),
            actions: [showLog],
          };
        }
        return {
          severity: 'error',
          message: l10n.t(
            'The DocuTray API was not found at the configured base URL (404). Check docutray.apiBaseUrl.',
          ),
          actions: [openSettings, showLog],
        };
      }
      case 'rateLimited': {
        const s = (e as RateLimitError).info.retryAfterSeconds;
        return {
          severity: 'warning',
          message:
            s !== undefined
              ? l10n.t("DocuTray's rate limit was reached (429). Try again in {0} s.", Math.ceil(s))
              : l10n.t("DocuTray's rate limit was reached (429). Try again later."),
          actions: [...retryAction, showLog],
        };
      }
      case 'server':
        return {
          severity: 'error',
          message:
            e instanceof StartNotInitiatedError
              ? l10n.t(
                  'DocuTray could not start the step ({0}): nothing started, so running it again bills it once.',
                  e.status ?? 500,
                )
              : l10n.t('DocuTray had a server error ({0}). Try again later.', e.status ?? 500),
          actions: [...retryAction, showLog],
        };
      case 'connection':
        return {
          severity: 'error',
          message: l10n.t(
            'Could not reach DocuTray at {0}: {1}. Check your network, the proxy settings (http.proxy) and docutray.apiBaseUrl.',
            e instanceof ConnectionError ? e.origin : l10n.t('the API base URL'),
            connectionWords(e instanceof ConnectionError ? e.code : undefined),
          ),
          actions: [
            ...retryAction,
            {
              title: l10n.t('Proxy Settings'),
              run: () => vscode.commands.executeCommand('workbench.action.openSettings', 'http.proxy'),
            },
            showLog,
          ],
        };
      case 'timeout': {
        const executionId = e instanceof TimeoutError ? e.executionId : undefined;
        return {
          severity: 'warning',
          message: executionId
            ? l10n.t('DocuTray has not finished execution {0} yet. It may still finish: check it later.', executionId)
            : l10n.t('DocuTray did not answer in time. Try again, or raise docutray.pollTimeoutSeconds.'),
          actions: [
            ...(executionId
              ? [
                  {
                    title: l10n.t('Check Execution'),
                    run: () => vscode.commands.executeCommand('docutray.checkExecution', executionId),
                  },
                ]
              : retryAction),
            showLog,
          ],
        };
      }
      case 'stepFailed':
        return {
          severity: 'error',
          message: l10n.t('The step reported an error: {0}', (e as StepFailedError).failure.message),
          actions: [showLog],
        };
      case 'startUncertain':
        // "Run Again…" (when offered) asks first, in a modal that says it may be billed twice.
        return {
          severity: 'error',
          message: e.requestId
            ? l10n.t(
                "The step may have started, but DocuTray's answer was lost (request {0}). It was not retried, so it does not run twice: see the log before running it again.",
                e.requestId,
              )
            : l10n.t(
                "The step may have started, but DocuTray's answer was lost. It was not retried, so it does not run twice: see the log before running it again.",
              ),
          actions: [...(retry ? [{ title: l10n.t('Run Again…'), run: retry }] : []), showLog],
        };
      case 'invalidInput':
        return {
          severity: 'error',
          message: e.message,
          actions: (e as InvalidInputError).reason === 'badApiKey' ? [setKey, showLog] : [showLog],
        };
      case 'payloadTooLarge':
      case 'badRequest':
      case 'invalidResponse':
      case 'http':
        return { severity: 'error', message: e.message, actions: [showLog] };
      case 'insecureBaseUrl':
        return { severity: 'error', message: e.message, actions: [openSettings] };
    }
    return { severity: 'error', message: e.message, actions: [showLog] };
  }
}

/**
 * The messages for the statuses DocuTray's API reference gives a meaning of their own
 * (DocuTray's API reference, https://docs.docutray.com/docs/api); undefined for every other error, which ErrorPresenter words by its kind.
 */
function presentReferenceError(
  e: DocuTrayError,
  actions: { showLog: Action; retry: Action[] },
): Presentation | undefined {
  const { showLog, retry } = actions;
  if (e instanceof NotFoundError && e.resource === 'step') {
    // A start's 403 and 404 alike: "Step not found or access denied" is about the step id, not the key.
    return {
      severity: 'error',
      message: l10n.t(
        'DocuTray has no step "{0}" that this API key may use ({1}: step not found or access denied). Check the step ID.',
        e.resourceId ?? '',
        e.status ?? 404,
      ),
      actions: [
        { title: l10n.t('Configure Steps'), run: () => vscode.commands.executeCommand('docutray.configureSteps') },
        showLog,
      ],
    };
  }
  if (e instanceof ExecutionAccessError) {
    return {
      severity: 'error',
      message: l10n.t(
        'Execution {0} belongs to another API key or organisation (403). Check it with the key that started it.',
        e.executionId,
      ),
      actions: [
        { title: l10n.t('Set API Key'), run: () => vscode.commands.executeCommand('docutray.setApiKey') },
        showLog,
      ],
    };
  }
  if (e instanceof QuotaExceededError) {
    // Never a Retry: the quota stays used up until it resets.
    return { severity: 'error', message: quotaMessage(e), actions: [showLog] };
  }
  if (e instanceof UrlDownloadTimeoutError) {
    return {
      severity: 'error',
      message: l10n.t(
        'DocuTray could not download {0} within 30 seconds (408). Check that the URL is reachable from the internet and answers quickly, or run the step on a downloaded copy.',
        e.url,
      ),
      actions: [...retry, showLog],
    };
  }
  if (e instanceof ContentTypeRefusedError) {
    return {
      severity: 'error',
      message: l10n.t(
        'DocuTray refused the content type of the request ({0}, 415). The extension sends it correctly: a proxy on the way may be rewriting requests. Request id: {1}.',
        e.requestContentType ?? l10n.t('unknown'),
        e.requestId ?? l10n.t('none'),
      ),
      actions: [
        {
          title: l10n.t('Proxy Settings'),
          run: () => vscode.commands.executeCommand('workbench.action.openSettings', 'http.proxy'),
        },
        showLog,
      ],
    };
  }
  if (e instanceof BadRequestError) {
    return {
      severity: 'error',
      message: l10n.t(
        'DocuTray rejected the request ({0}): {1}',
        e.status ?? 400,
        badRequestDetail(e.errors, e.serverMessage),
      ),
      actions: [showLog],
    };
  }
  return undefined;
}

function quotaMessage(e: QuotaExceededError): string {
  const { used, quota, resetDate } = e.info;
  const reset = resetDate ? formatDate(resetDate) : undefined;
  const figures =
    used !== undefined && quota !== undefined
      ? l10n.t('{0} of {1} used', formatNumber(used), formatNumber(quota))
      : undefined;
  if (figures && reset) {
    return l10n.t("DocuTray's quota is used up (402): {0}. It resets on {1}.", figures, reset);
  }
  if (figures) {
    return l10n.t("DocuTray's quota is used up (402): {0}.", figures);
  }
  if (reset) {
    return l10n.t("DocuTray's quota is used up (402). It resets on {0}.", reset);
  }
  return l10n.t(
    "DocuTray's quota is used up (402). Runs are refused until it resets: see your plan in the DocuTray dashboard.",
  );
}

function formatDate(text: string): string {
  const d = new Date(text);
  return Number.isNaN(d.getTime())
    ? text
    : new Intl.DateTimeFormat(vscode.env.language, { dateStyle: 'long', timeZone: 'UTC' }).format(d);
}

/** A connection failure in words, by what its system code means (never the code itself). */
function connectionWords(code: string | undefined): string {
  switch (connectionProblem(code)) {
    case 'closed':
      return l10n.t('the connection was closed by the service');
    case 'refused':
      return l10n.t('nothing answered at that address (the connection was refused)');
    case 'notFound':
      return l10n.t("the server's name could not be found");
    case 'unreachable':
      return l10n.t('the network could not reach the server');
    case 'timedOut':
      return l10n.t('the connection timed out');
    case 'certificate':
      return l10n.t("the server's certificate was not accepted");
    case 'other':
      return l10n.t('the connection failed');
  }
}
