/**
 * Entry of dist/batches.js (see lazyBatches.ts): what only a batch or an export needs. The runtime
 * reaches these through lazyBatches(), never by a static import.
 */
export { runBatch } from './core/runs/batchRunner';
export { exportResults } from './commands/exportCommand';
