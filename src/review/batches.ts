import vscode = require('vscode');
import type { Services } from '../services';
import type { BatchPanels } from './batchPanel';
import { reviewPanels } from './reviews';

const panels = new WeakMap<Services, BatchPanels>();

/**
 * This window's batch panels (a batch or a folder's results as a grid). Their code is its own bundle
 * (dist/batch-panel.js, see esbuild.mjs), loaded the first time a grid opens or comes back, so neither
 * activation nor first use grows with it. Enter on a cell opens this window's one set of review panels.
 */
export function batchPanels(s: Services): BatchPanels {
  let p = panels.get(s);
  if (!p) {
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- the lazy batch panel bundle
    const { BatchPanels } = require('./batchPanel') as typeof import('./batchPanel');
    const extension = vscode.extensions.all.find(
      e => e.packageJSON?.name === 'docutray-steps' && e.packageJSON?.publisher === 'docutray-community',
    );
    p = new BatchPanels(s, extension!.extensionUri, async (run, path) =>
      (await reviewPanels(s).open(run, path)).documentUri.toString(),
    );
    panels.set(s, p);
  }
  return p;
}
