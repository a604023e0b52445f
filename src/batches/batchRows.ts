import type { BatchDocument, BatchRecord } from '../core/batches/record';
import type { RunRecord } from '../core/runs/history';
import type { RunHistory } from '../runs/runHistory';
import type { BatchRecords } from './batchRecords';

/** A batch's rows as the Runs view lists them: its documents' runs, earlier attempts after each, reused results. */
export class BatchRows {
  constructor(
    private readonly records: BatchRecords,
    private readonly history: Pick<RunHistory, 'snapshot'>,
  ) {}

  /** A run of a batch's document that a later attempt replaced (Retry Failed, Review…): its batch names another. */
  isEarlierAttempt(r: RunRecord): boolean {
    const b = r.batchId ? this.records.get(r.batchId) : undefined;
    return !!b && !b.documents.some(d => d.runId === r.id);
  }

  /** A batch's documents as the Runs view lists them: each one's run (earlier attempts after it), or its reused result. */
  children(batch: BatchRecord): (RunRecord | BatchDocument)[] {
    const runs = this.history.snapshot().filter(r => r.batchId === batch.id);
    const out: (RunRecord | BatchDocument)[] = [];
    batch.documents.forEach((doc, index) => {
      if (doc.reused) {
        out.push(doc);
        return;
      }
      const first = `${batch.id}.${index}`;
      const attempts = runs.filter(r => r.id === doc.runId || r.id === first || r.id.startsWith(`${first}.`));
      out.push(
        ...attempts.sort((a, b) => (a.id === doc.runId ? -1 : b.id === doc.runId ? 1 : b.startedAt - a.startedAt)),
      );
    });
    return out;
  }
}
