/** The scheme of read-only result documents (`docutray-result:/<document> · <step>.json?execution=<id>`). */
export const RESULT_SCHEME = 'docutray-result';
