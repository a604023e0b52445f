/**
 * Two panes side by side with a divider between them: vscode-elements' `vscode-split-layout`
 * (registered by webview/elements.ts), which a mouse drags. The component's handle takes no focus, so
 * the divider is also a focusable `role=separator` here (the WAI-ARIA window splitter): Left and Right
 * move it, Home and End to its ends. Its position, in percent of the width, goes to `onChange` to be
 * kept in the page's state, and comes back as `position`.
 */
import type { VscodeSplitLayout } from '@vscode-elements/elements/dist/vscode-split-layout/vscode-split-layout.js';
import { el } from './dom';
import './split.css';

/** Neither pane narrower than this, in percent (the component stops the mouse there too). */
const MIN = 20;
const MAX = 100 - MIN;
/** How far one arrow key moves the divider, in percent. */
const STEP = 5;

/**
 * `start` and `end` side by side, the divider at `position` percent (half way when none); `start` (which
 * must have an id) gets the keyboard's divider at its end edge.
 */
export function makeSplit(
  start: HTMLElement,
  end: HTMLElement,
  options: { position?: number; label: string; onChange: (position: number) => void },
): HTMLElement {
  const clamp = (p: number) => Math.round(Math.min(MAX, Math.max(MIN, p)));
  let position = clamp(options.position ?? 50);
  const split: VscodeSplitLayout = el('vscode-split-layout', 'split', undefined, {
    split: 'vertical',
    'min-start': `${MIN}%`,
    'min-end': `${MIN}%`,
    'initial-handle-position': '50%',
    'handle-position': `${position}%`,
  });
  const divider = el('div', 'divider', undefined, {
    role: 'separator',
    tabindex: '0',
    'aria-orientation': 'vertical',
    'aria-valuemin': String(MIN),
    'aria-valuemax': String(MAX),
    'aria-valuenow': String(position),
    'aria-controls': start.id,
    'aria-label': options.label,
    title: options.label,
  });
  const moved = (to: number) => {
    position = clamp(to);
    divider.setAttribute('aria-valuenow', String(position));
    options.onChange(position);
  };
  divider.addEventListener('keydown', e => {
    const to =
      e.key === 'ArrowLeft'
        ? position - STEP
        : e.key === 'ArrowRight'
          ? position + STEP
          : e.key === 'Home'
            ? MIN
            : e.key === 'End'
              ? MAX
              : undefined;
    if (to === undefined) {
      return;
    }
    e.preventDefault();
    moved(to);
    split.handlePosition = `${position}%`;
  });
  // A drag ends: the component says where, in percent of its width.
  split.addEventListener('vsc-split-layout-change', e => moved(e.detail.positionInPercentage));
  start.slot = 'start';
  end.slot = 'end';
  start.append(divider);
  split.append(start, end);
  return split;
}
