/** The scheme of read-only result documents (`docutray-result:/<executionId>/<name>.json`). */
export const RESULT_SCHEME = 'docutray-result';
