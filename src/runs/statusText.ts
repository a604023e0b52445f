import { l10n } from 'vscode';
import { statusKind } from '../core/api/execution';
import type { Execution } from '../core/api/types';
import { plainText } from '../core/text/plainText';
import type { ScopedLog } from '../log';

/**
 * The progress text for an execution's status: "queued", "processing 40%", or, for a status
 * DocuTray's reference does not list, that status as sent (polling goes on until the timeout).
 */
export function statusText(e: Pick<Execution, 'status' | 'progress'>): string {
  switch (statusKind(e.status)) {
    case 'queued':
      return l10n.t('queued');
    // A terminal status is seen just before the run is recorded as ended (its own stage and state
    // follow at once): until then it is still "processing", as the run's stage always said.
    case 'processing':
    case 'succeeded':
    case 'failed':
      return e.progress !== undefined ? l10n.t('processing {0}%', Math.round(e.progress)) : l10n.t('processing');
    case 'unknown':
      return l10n.t('status "{0}", still waiting', plainText(e.status));
  }
}

/** Logs each status DocuTray's reference does not list once per execution, however often it is polled. */
export function unknownStatusLogger(log: ScopedLog): (e: Execution) => void {
  const seen = new Set<string>();
  return e => {
    const key = `${e.id}\n${e.status}`;
    if (statusKind(e.status) === 'unknown' && !seen.has(key)) {
      seen.add(key);
      log.warn(
        `execution ${e.id} reported the status "${e.status}", which DocuTray's API reference does not list: still polling until it ends or the timeout`,
      );
    }
  };
}
