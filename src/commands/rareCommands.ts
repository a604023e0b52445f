/**
 * The commands a person uses now and then, not on the way to a run: the table export and recording expected
 * results. They are their own bundle (dist/rare-commands.js, see esbuild.mjs),
 * required by commandRunner.ts the first time one runs, so first use does not pay for them. What they hold
 * is data code (rows, files, expected files): every service they use (batches, history, the client) comes in
 * through the `Services` object of the runtime bundle. Nothing here may test an error of the runtime with
 * `instanceof` (this bundle has its own copy of the classes): Compare Two Steps asks for a key and tells a
 * refused one by its class, so it stays in the runtime.
 */
export { exportResults } from './exportCommand';
export { acceptAllFailures, createExpected, recordAgain, recordExpected } from '../testing/acceptCommands';
export { copyCommandLine } from './copyCommandLine';
