/**
 * The batches of every window (batch.ts), in global storage beside the runs: one file per batch,
 * `batches/<batch id>.json`, kept as the runs are (recordFolder.ts): written atomically, so a reader
 * never sees half a batch and two windows never collide; damaged files moved aside, never deleted.
 *
 * A batch has an owner window (`owner`, the window id of ownership.ts): only it drives the batch while
 * it is alive. When that window is gone, one other window claims the batch (`claim`) and resumes it.
 */
import { join } from 'node:path';
import { BATCHES_DIR, StoredBatch, parseBatch, serializeBatch } from './batchFiles';
import { RecordFolder, RecordFolderOptions } from './recordFolder';

export class BatchStore extends RecordFolder<StoredBatch> {
  constructor(root: string, options: RecordFolderOptions = {}) {
    super(join(root, BATCHES_DIR), { noun: 'batch', parse: parseBatch, serialize: serializeBatch }, options);
  }
}
