/**
 * Entry of dist/batches.js (see lazyBatches.ts): what only a batch, an export or saving a result as a
 * file needs — not the first command, which pays for the runtime bundle. The runtime reaches these
 * through lazyBatches(), never by a static import.
 */
export { runBatch } from './core/runs/batchRunner';
export { exportResults } from './commands/exportCommand';
export { BatchService } from './runs/batchService';
export { batchKeepsRun } from './core/runs/batch';
export { sha256OfFile } from './core/documents/hash';
export {
  cancelBatchCommand,
  resumeBatchCommand,
  runFilesAsBatch,
  runStepOnFolder,
  runStepOnWorkspace,
} from './commands/batchCommands';
export { batchChildren, batchItem, reusedItem } from './runs/batchTree';
export { ResultSaver } from './results/resultSaver';
