// Checks a webview's page in its own frame: marks that are not text (axe checks text contrast) and the
// vscode-elements tabs both panels use, in each of the themes they are checked in. Shared by the review
// and grid browser tests.
'use strict';
const wb = require('./workbench');

/** The themes a panel is checked in (as the theme picker names them), and the kind each gives the webview's body. */
const THEMES = [
  { label: 'Light Modern', kind: 'vscode-light', file: 'light' },
  { label: 'Dark Modern', kind: 'vscode-dark', file: 'dark' },
  { label: 'Dark High Contrast', kind: 'vscode-high-contrast', file: 'hc-dark' },
  { label: 'Light High Contrast', kind: 'vscode-high-contrast-light', file: 'hc-light' },
];

/** Picks a colour theme as a person does (Preferences: Color Theme) and waits until the panel's frame has its kind. */
async function setTheme(page, frame, theme, until) {
  await wb.runFromPalette(page, 'Preferences: Color Theme');
  const input = page.locator('.quick-input-widget .quick-input-box input');
  await input.fill(theme.label);
  const row = page.locator('.quick-input-widget .quick-input-list .monaco-list-row').filter({
    has: page.locator('.label-name', { hasText: new RegExp(`^\\s*${theme.label}\\s*$`) }),
  });
  await row.first().click();
  const kind = () => frame.evaluate(() => document.body.dataset.vscodeThemeKind);
  await until(async () => (await kind()) === theme.kind, {
    timeout: 30000,
    message: async () => `the panel's theme is still ${await kind()}, not ${theme.kind}`,
  });
}
/* global document, getComputedStyle -- evaluated in the webview frame */

/**
 * The panel's marks that are not text (axe checks text contrast): each of `marks` (what → [selector,
 * ways, least contrast ratio]) must differ from what is behind it in the current theme by a background,
 * an outline or a border, by at least that ratio when given (WCAG's 3:1 for graphics). Returns what has
 * vanished.
 */
async function vanishedMarks(frame, marks) {
  return frame.evaluate(marks => {
    const rgba = c => (c.match(/[\d.]+/g) || []).map(Number);
    // Up the tree, out of a component's shadow root to its element.
    const up = e => e.parentElement ?? e.getRootNode().host ?? null;
    // `a >>> b`: b inside the shadow root of a (vscode-elements draw their marks there).
    const find = sel =>
      sel.split(' >>> ').reduce((at, part, i) => at && (i ? at.shadowRoot : at)?.querySelector(part), document);
    const behind = e => {
      for (let p = up(e); p; p = up(p)) {
        const c = rgba(getComputedStyle(p).backgroundColor);
        if (c.length === 3 || c[3] > 0) {
          return c.slice(0, 3).join();
        }
      }
      return '255,255,255';
    };
    const luminance = rgb =>
      rgb
        .map(v => v / 255)
        .map(v => (v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4))
        .reduce((l, v, i) => l + v * [0.2126, 0.7152, 0.0722][i], 0);
    const ratio = (a, b) => {
      const [x, y] = [luminance(a), luminance(b)].sort((p, q) => q - p);
      return (x + 0.05) / (y + 0.05);
    };
    let least = 1;
    const shows = (c, style, width, bg) => {
      const v = rgba(c);
      if (style === 'none' || width === '0px' || (v.length === 4 && v[3] === 0) || v.slice(0, 3).join() === bg) {
        return false;
      }
      // A colour with transparency has no one ratio: it only has to differ.
      return v.length === 4 && v[3] < 1 ? least <= 1 : ratio(v.slice(0, 3), bg.split(',').map(Number)) >= least;
    };
    const gone = [];
    for (const [what, [sel, ways, min]] of Object.entries(marks)) {
      least = min ?? 1;
      const e = find(sel);
      if (!e) {
        gone.push(`${what} (${sel}: none on the page)`);
        continue;
      }
      const s = getComputedStyle(e);
      const bg = behind(e);
      const seen = ways.some(w =>
        w === 'background'
          ? shows(s.backgroundColor, 'solid', '1px', bg)
          : shows(s[`${w}Color`], s[`${w}Style`], s[`${w}Width`], bg),
      );
      if (!seen) {
        gone.push(
          `${what} (${sel}: ${ways.map(w => (w === 'background' ? s.backgroundColor : `${w} ${s[w]}`)).join('; ')})`,
        );
      }
    }
    return gone;
  }, marks);
}

/** Which tab panel is shown, which header is selected and which has focus (by their `data-tab`). */
function tabState(frame) {
  return frame.evaluate(() => ({
    shown: [...document.querySelectorAll('vscode-tab-panel')]
      .filter(p => p.checkVisibility())
      .map(p => p.dataset.tab)
      .join(),
    selected: document.querySelector('vscode-tab-header[aria-selected="true"]')?.dataset.tab,
    focused: document.activeElement?.dataset?.tab,
  }));
}

/** Waits (with the script's `until`) until tab `key` is shown, selected and focused; `after` names what led there. */
function expectTabShown(frame, until, key, after) {
  return until(
    async () => {
      const s = await tabState(frame);
      return s.shown === key && s.selected === key && s.focused === key;
    },
    { message: async () => `after ${after}: ${JSON.stringify(await tabState(frame))}` },
  );
}

module.exports = { THEMES, setTheme, vanishedMarks, tabState, expectTabShown };
