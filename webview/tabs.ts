/**
 * Tabs as both webviews show them: vscode-elements' `vscode-tabs` (registered by webview/elements.ts,
 * which the page loads before its own script), with the panels the page fills. The component names its
 * headers and panels itself (ids, `aria-controls`, `aria-labelledby`); each header and panel carries
 * `data-tab` with its key, for the page's styles and the browser tests.
 *
 * The component moves the focus with the arrow keys and selects on click or Enter; here the arrows also
 * select (the tabs' panels are cheap to show, so selection follows focus), and the panels are shown or
 * hidden at once, so a page that draws on selection sees the panel it selected. Tab goes from the
 * selected tab to its panel (a tab stop of its own, as the component makes it: a host with a negative
 * tabindex would take its content out of the tab order too), then into the panel's content.
 */
import type { VscodeTabs } from '@vscode-elements/elements/dist/vscode-tabs/vscode-tabs.js';
import { el } from './dom';
import './tabs.css';

export interface Tabs<K extends string> {
  /** The `vscode-tabs` element, to place in the page. */
  readonly element: HTMLElement;
  /** Each tab's panel, to fill. */
  readonly panels: Record<K, HTMLElement>;
}

/**
 * Tabs with `tabs` (key, label and the panel's class), `selected` shown first; `onSelect` hears every
 * later selection (pages save it in their state and draw the panel shown).
 */
export function makeTabs<K extends string>(
  tabs: readonly { key: K; label: string; panelClass?: string }[],
  selected: K,
  onSelect: (key: K) => void,
): Tabs<K> {
  // Types only: the classes are in the elements bundle, not in the page's.
  const element: VscodeTabs = el('vscode-tabs', 'tabs');
  const headers: HTMLElement[] = [];
  const panels = {} as Record<K, HTMLElement>;
  for (const tab of tabs) {
    const header = el('vscode-tab-header', 'tab', tab.label, { slot: 'header', 'data-tab': tab.key });
    const panel = el('vscode-tab-panel', `panel${tab.panelClass ? ` ${tab.panelClass}` : ''}`, undefined, {
      'data-tab': tab.key,
    });
    headers.push(header);
    panels[tab.key] = panel;
  }
  element.append(...headers, ...tabs.map(t => panels[t.key]));

  let current = selected;
  const show = (key: K, quiet = false) => {
    const index = Math.max(
      0,
      tabs.findIndex(t => t.key === key),
    );
    const chosen = tabs[index].key;
    // The component shows the panel when it next updates; the page may draw the panel right away.
    tabs.forEach((t, i) => (panels[t.key].hidden = i !== index));
    if (element.selectedIndex !== index) {
      element.selectedIndex = index;
    }
    if (chosen !== current) {
      current = chosen;
      if (!quiet) {
        onSelect(chosen);
      }
    }
  };
  element.addEventListener('vsc-tabs-select', e => show(tabs[e.detail.selectedIndex]?.key ?? tabs[0].key));
  element.addEventListener('keydown', e => {
    // After the component has moved the focus (its listener is inside, nearer the header): select there.
    const at = headers.indexOf(document.activeElement as HTMLElement);
    if ((e.key === 'ArrowLeft' || e.key === 'ArrowRight') && at >= 0 && headers.includes(e.target as HTMLElement)) {
      show(tabs[at].key);
    }
  });
  show(selected, true);
  return { element, panels };
}
