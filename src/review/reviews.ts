import vscode = require('vscode');
import type { Services } from '../services';
import type { ReviewPanels } from './reviewPanel';

const panels = new WeakMap<Services, ReviewPanels>();

/**
 * This window's review panels. Their code is its own bundle (dist/review.js, see esbuild.mjs): the
 * `require` below stays a require of that file, loaded the first time a review opens or comes back, so
 * the runtime bundle (first use) does not grow with it.
 */
export function reviewPanels(s: Services): ReviewPanels {
  let p = panels.get(s);
  if (!p) {
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- the lazy review bundle
    const { ReviewPanels } = require('./reviewPanel') as typeof import('./reviewPanel');
    const extension = vscode.extensions.all.find(
      e => e.packageJSON?.name === 'docutray-steps' && e.packageJSON?.publisher === 'docutray-community',
    );
    p = new ReviewPanels(s, extension!.extensionUri);
    panels.set(s, p);
  }
  return p;
}
