// axe-core run inside a webview's own frame (the review panel; the batch grid can call it the same way).
// A webview's CSP allows no inline script, so the engine is not added as a <script>: Playwright's evaluate
// runs outside the page's CSP, once per frame, then axe.run checks that frame's document.
'use strict';
/* global window, document -- evaluated in the webview frame */
const fs = require('fs');

const AXE = fs.readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');
const BLOCKING = ['serious', 'critical'];

/**
 * axe's violations in `frame`, worst first: `{ id, impact, help, nodes: ['selector: summary', ...] }`.
 * @param {import('playwright-core').Frame} frame
 */
async function axeViolations(frame) {
  if (!(await frame.evaluate(() => typeof window.axe === 'object'))) {
    await frame.evaluate(AXE);
  }
  const violations = await frame.evaluate(async () => {
    const r = await window.axe.run(document, { resultTypes: ['violations'] });
    return r.violations.map(v => ({
      id: v.id,
      impact: v.impact,
      help: v.help,
      nodes: v.nodes.map(n => `${n.target.join(' ')}: ${(n.failureSummary || '').replace(/\s+/g, ' ')}`),
    }));
  });
  const rank = i => ['critical', 'serious', 'moderate', 'minor'].indexOf(i);
  return violations.sort((a, b) => rank(a.impact) - rank(b.impact));
}

/**
 * Throws when axe finds anything serious or critical in `frame` (`what` names the view and theme in the
 * error); returns one line counting what it found, the lesser findings by rule.
 */
async function expectNoSeriousFindings(frame, what) {
  const all = await axeViolations(frame);
  const blocking = all.filter(v => BLOCKING.includes(v.impact));
  if (blocking.length) {
    throw new Error(
      `axe-core finds in ${what}:\n` +
        blocking.map(v => `${v.impact} ${v.id} (${v.help}):\n    ${v.nodes.slice(0, 4).join('\n    ')}`).join('\n'),
    );
  }
  const minor = all.map(v => `${v.id} (${v.impact}, ${v.nodes.length})`);
  return `axe-core in ${what}: 0 serious or critical${minor.length ? `; lesser: ${minor.join(', ')}` : ''}`;
}

module.exports = { axeViolations, expectNoSeriousFindings };
