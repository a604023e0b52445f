import type { BatchRecord } from '../core/batches/record';

/** A batch in the Runs view (exactly this shape: commands on it take `{ kind: 'batch', batch }`). */
export interface BatchNode {
  kind: 'batch';
  batch: BatchRecord;
}

export function isBatchNode(v: unknown): v is BatchNode {
  return !!v && typeof v === 'object' && (v as BatchNode).kind === 'batch' && !!(v as BatchNode).batch;
}
