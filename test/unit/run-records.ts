/** A run record for unit tests: a file under /ws, step `s`; `extra` overrides anything. */
import type { RunRecord } from '../../src/core/runs/history';
import { workspaceSource } from '../../src/core/runs/source';

export function runRecord(id: string, state: RunRecord['state'], extra: Partial<RunRecord> = {}): RunRecord {
  const startedAt = extra.startedAt ?? 1000;
  return {
    id,
    source: workspaceSource(`file:///ws/${id}.pdf`),
    sourceName: `${id}.pdf`,
    stepId: 's',
    stepName: 'S',
    state,
    startedAt,
    updatedAt: startedAt,
    ...extra,
  };
}
