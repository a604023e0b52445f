import * as path from 'node:path';

/** The repository's root, from a test compiled anywhere under out/test/. */
export const REPO = path.resolve(__dirname, '..', '..');
