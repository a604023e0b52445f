/**
 * The Runs view's batch nodes, as plain shapes (no code of the batch bundle): `{ kind: 'batch', batch }`
 * is what the view passes to commands on a batch (Cancel, Resume, Export, Remove).
 */
import type { BatchFile, BatchRecord } from '../core/runs/batch';
import type { RunRecord } from '../core/runs/history';

/** A batch in the Runs view (exactly this shape: commands on it take `{ kind: 'batch', batch }`). */
export interface BatchNode {
  kind: 'batch';
  batch: BatchRecord;
}

/** A file of a batch that reused an earlier result (skipped: this step already processed the same content). */
export interface ReusedNode {
  kind: 'reused';
  batch: BatchRecord;
  file: BatchFile;
  /** The earlier run whose result is reused, when the history still holds it. */
  run?: RunRecord;
}

export function isBatchNode(v: unknown): v is BatchNode {
  return !!v && typeof v === 'object' && (v as BatchNode).kind === 'batch' && !!(v as BatchNode).batch;
}

export function isReusedNode(v: unknown): v is ReusedNode {
  return !!v && typeof v === 'object' && (v as ReusedNode).kind === 'reused';
}
