/**
 * The batch half of the runtime: folder runs, the batch runner and its planner, the skip rule, hashing
 * and the table export (src/batches.ts). Its own bundle, dist/batches.js, loaded on the first batch or
 * export — not with the runtime, whose first load every command pays (see esbuild.mjs).
 */
export function lazyBatches(): typeof import('./batches') {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- the lazy bundle, required on first use
  return require('./batches') as typeof import('./batches');
}
