// Playwright helpers for driving VS Code's web workbench (code-server 4.139 = VS Code 1.139) the way a
// person does: explorer rows, context menus, quick picks, notifications, tabs, the status bar.
'use strict';

/** Monaco renders spaces in editors as U+00A0. */
const norm = s => (s || '').replace(/\u00a0/g, ' ');

function explorerRow(page, name) {
  // The row whose label is exactly `name` (hasText alone would also match "sample.pdf.x.json").
  return page.locator('.explorer-folders-view .monaco-list-row').filter({
    has: page.locator('.label-name', { hasText: new RegExp(`^${escapeRe(name)}$`) }),
  });
}

function escapeRe(s) {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** All menu item labels of the open context menu. */
async function menuLabels(page) {
  const items = page.locator('.monaco-menu .action-item:not(.disabled) .action-label');
  return (await items.allTextContents()).map(t => norm(t).trim()).filter(Boolean);
}

/**
 * Right-clicks the explorer row `name` and waits for the context menu. With `expect`, reopens the
 * menu (up to `attempts` times) until that item is there: right after start-up an extension's menu
 * contributions can register after the first right-click.
 */
async function openExplorerMenu(page, name, { expect, attempts = 10 } = {}) {
  const row = explorerRow(page, name);
  await row.waitFor({ timeout: 30000 });
  for (let attempt = 1; ; attempt++) {
    await row.click({ button: 'right' });
    await page.locator('.monaco-menu .action-item').first().waitFor({ timeout: 5000 });
    if (!expect) {
      return null;
    }
    const item = page.getByRole('menuitem', { name: expect });
    try {
      await item.first().waitFor({ timeout: 2000 });
      return item.first();
    } catch (e) {
      if (attempt >= attempts) {
        throw new Error(
          `the context menu of ${name} has no "${expect}" after ${attempts} tries; it has: ${(await menuLabels(page)).join(' | ')}`,
        );
      }
      await page.keyboard.press('Escape');
      await page.waitForTimeout(1000);
    }
  }
}

/**
 * Clicks a context-menu item and makes sure the menu took it (the menu closes). A click that lands
 * while the menu is still settling (just opened, or re-rendered because a context key changed) can
 * be ignored by the workbench: then it is clicked again.
 */
async function clickMenuItem(page, item, { attempts = 3 } = {}) {
  const menu = page.locator('.context-view .monaco-menu');
  for (let attempt = 1; ; attempt++) {
    await page.waitForTimeout(250);
    await item.click();
    try {
      await menu.waitFor({ state: 'hidden', timeout: 2000 });
      return;
    } catch (e) {
      if (attempt >= attempts) {
        throw new Error(`the context menu stayed open after clicking its item ${attempts} times`);
      }
    }
  }
}

/** The open quick input (quick pick / palette). */
function quickInput(page) {
  return page.locator('.quick-input-widget');
}

/** A row of the open quick pick whose label contains `text`. */
function quickPickRow(page, text) {
  return page.locator('.quick-input-widget .quick-input-list .monaco-list-row', { hasText: text }).first();
}

async function quickPickLabels(page) {
  return (
    await page
      .locator(
        '.quick-input-widget .quick-input-list .monaco-list-row .label-name, .quick-input-widget .quick-input-list .monaco-list-row .monaco-highlighted-label',
      )
      .allTextContents()
  )
    .map(t => norm(t).trim())
    .filter(Boolean);
}

/** Waits for the quick pick to show `label`, then picks it (click). */
async function pick(page, label, { timeout = 15000 } = {}) {
  const row = quickPickRow(page, label);
  try {
    await row.waitFor({ timeout });
  } catch {
    const labels = (await quickPickLabels(page)).join(' | ') || '(nothing)';
    if (!(await quickInput(page).isVisible())) {
      throw new Error(
        `the quick pick closed before "${label}" was picked (focus is on ${await focused(page)}); it last showed: ${labels}`,
      );
    }
    throw new Error(`the quick pick has no "${label}"; it shows: ${labels}`);
  }
  await row.click();
}

/** What has the keyboard focus, for error messages: tag and classes of document.activeElement. */
async function focused(page) {
  return page.evaluate(() => {
    const a = globalThis.document.activeElement; // runs in the page
    return a ? `<${a.tagName.toLowerCase()} class="${a.className}">` : 'nothing';
  });
}

/** F1, type a command (">" is prefilled by F1), wait for it in the list, move to it, Enter. */
async function runFromPalette(page, command, { beforeEnter } = {}) {
  await page.keyboard.press('F1');
  const input = page.locator('.quick-input-widget .quick-input-box input');
  await input.waitFor({ timeout: 10000 });
  await input.fill(`>${command}`);
  const row = quickPickRow(page, command.replace(/^[^:]+:\s*/, ''));
  try {
    await row.waitFor({ timeout: 10000 });
  } catch {
    throw new Error(
      `the command palette has no "${command}"; it shows: ${(await quickPickLabels(page)).join(' | ') || '(nothing)'}`,
    );
  }
  // Several commands may contain the text ("Run DocuTray Step" and "Run DocuTray Step on Workspace
  // Folder…"), the other one listed first: move down to the command named exactly (an ellipsis allowed).
  const exact = page.locator('.quick-input-widget .quick-input-list .monaco-list-row').filter({
    has: page.locator('.label-name', { hasText: new RegExp(`^\\s*${escapeRe(command)}…?\\s*$`) }),
  });
  if (await exact.count()) {
    for (let i = 0; i < 10 && !/\bfocused\b/.test((await exact.first().getAttribute('class')) || ''); i++) {
      await page.keyboard.press('ArrowDown');
    }
    if (!/\bfocused\b/.test((await exact.first().getAttribute('class')) || '')) {
      throw new Error(
        `the command palette does not get to "${command}"; it shows: ${(await quickPickLabels(page)).join(' | ')}`,
      );
    }
  }
  if (beforeEnter) {
    await beforeEnter();
  }
  await page.keyboard.press('Enter');
}

/** Ctrl+P, the file's name, wait for it in the list, Enter: the file opens in an editor (Quick Open). */
async function quickOpen(page, name) {
  await page.keyboard.press('Control+P');
  const input = page.locator('.quick-input-widget .quick-input-box input');
  await input.waitFor({ timeout: 10000 });
  await input.fill(name);
  await quickPickRow(page, name).waitFor();
  await page.keyboard.press('Enter');
}

/** A notification toast whose text contains `text`. */
function toast(page, text) {
  return page.locator('.notifications-toasts .notification-toast', { hasText: text }).first();
}

/** CSS attribute selector for a tab of resource `name` (VS Code 1.139 renders "a.json" as "a" + suffix ".json"). */
const tabSel = name => `.tab[data-resource-name=${JSON.stringify(name)}]`;

/** The tab whose resource name is `name`. */
function tab(page, name) {
  return page.locator(`.tabs-container ${tabSel(name)}`).first();
}

/** The text editor shown in the editor group whose active tab is `name`. */
function editorFor(page, name) {
  return page
    .locator('.editor-group-container')
    .filter({
      has: page.locator(`.tabs-container ${tabSel(name)}.active`),
    })
    .locator('.editor-container .monaco-editor')
    .first();
}

async function editorText(page, name) {
  return norm(await editorFor(page, name).locator('.view-lines').textContent());
}

/** Waits until the editor of tab `name` shows text matching `re`; returns the text. */
async function waitEditorText(page, name, re, { timeout = 20000 } = {}) {
  const until = Date.now() + timeout;
  let text = '';
  for (;;) {
    text = await editorText(page, name).catch(() => '');
    if (re.test(text)) {
      return text;
    }
    if (Date.now() > until) {
      throw new Error(
        `the editor ${name} does not show ${re} within ${timeout / 1000} s; it shows: ${text.slice(0, 300) || '(nothing)'}`,
      );
    }
    await page.waitForTimeout(250);
  }
}

/** Status-bar items whose text or accessible label contains `text`. */
function statusItem(page, text) {
  return page.locator('.statusbar .statusbar-item', { hasText: text }).first();
}

// ---------------------------------------------------------------------------------------------
// The activity bar, the side bar and tree views contributed by extensions
// ---------------------------------------------------------------------------------------------

/** The activity-bar entry whose title starts with `title` ("Explorer (Ctrl+Shift+E)", "DocuTray"). */
function activityItem(page, title) {
  return page
    .locator('.part.activitybar .action-item')
    .filter({
      has: page.locator(`.action-label[aria-label^=${JSON.stringify(title)}]`),
    })
    .first();
}

/**
 * Shows the view container `title` in the side bar by clicking its activity-bar entry (not when it is
 * showing already: a second click would hide the side bar). `ready` is a locator that must appear.
 */
async function showViewContainer(page, title, ready) {
  const item = activityItem(page, title);
  try {
    await item.waitFor({ timeout: 30000 });
  } catch {
    const labels = await page
      .locator('.part.activitybar .action-item .action-label')
      .evaluateAll(els => els.map(e => e.getAttribute('aria-label')));
    throw new Error(
      `the activity bar has no "${title}" entry; it has: ${labels.filter(Boolean).join(' | ') || '(nothing)'}`,
    );
  }
  const checked = /\bchecked\b/.test((await item.getAttribute('class')) || '');
  if (!checked || !(await page.locator('.part.sidebar').isVisible())) {
    await item.click();
  }
  if (ready) {
    await ready.waitFor({ timeout: 20000 });
  }
}

/** The rows of the tree in the side bar: [{ label, description, icon, selected }], top to bottom. */
async function treeRows(page, scope = page.locator('.part.sidebar')) {
  return scope
    .locator('.monaco-list-row')
    .evaluateAll(rows =>
      rows
        .map(r => ({
          top: parseFloat(r.style.top || '0'),
          label: (r.querySelector('.label-name') || {}).textContent || '',
          description: (r.querySelector('.label-description') || {}).textContent || '',
          icon: ((r.querySelector('.custom-view-tree-node-item-icon') || {}).className || '')
            .split(/\s+/)
            .filter(c => /^codicon-/.test(c))
            .join(' '),
        }))
        .sort((a, b) => a.top - b.top)
        .map(({ top: _top, ...r }) => r),
    )
    .then(rows => rows.map(r => ({ ...r, label: norm(r.label).trim(), description: norm(r.description).trim() })));
}

/** One tree row in the side bar labelled `label` (all of it, or a RegExp) whose description matches `description` (a RegExp or text). */
function treeRow(page, label, description, scope = page.locator('.part.sidebar')) {
  let row = scope.locator('.monaco-list-row').filter({
    has: page.locator('.label-name', { hasText: label instanceof RegExp ? label : new RegExp(`^${escapeRe(label)}$`) }),
  });
  if (description) {
    row = row.filter({ has: page.locator('.label-description', { hasText: description }) });
  }
  return row.first();
}

/** Right-clicks a tree row and returns the context-menu item `expect` (reopening the menu if it is not there yet). */
async function openRowMenu(page, row, expect, { attempts = 5, what = 'the row' } = {}) {
  await row.waitFor({ timeout: 20000 });
  for (let attempt = 1; ; attempt++) {
    await row.click({ button: 'right' });
    await page.locator('.monaco-menu .action-item').first().waitFor({ timeout: 5000 });
    const item = page.getByRole('menuitem', { name: expect, exact: true });
    try {
      await item.first().waitFor({ timeout: 2000 });
      return item.first();
    } catch {
      if (attempt >= attempts) {
        throw new Error(
          `the context menu of ${what} has no "${expect}" after ${attempts} tries; it has: ${(await menuLabels(page)).join(' | ')}`,
        );
      }
      await page.keyboard.press('Escape');
      await page.waitForTimeout(500);
    }
  }
}

/** Moves the mouse to a quiet spot (the activity bar's empty middle) so no hover sits in a screenshot. */
async function parkMouse(page) {
  const box = await page
    .locator('.part.activitybar')
    .boundingBox()
    .catch(() => null);
  const vp = page.viewportSize() || { width: 1400, height: 850 };
  await page.mouse.move(box ? box.x + box.width / 2 : 20, box ? box.y + box.height * 0.7 : vp.height * 0.7);
  await page.waitForTimeout(400); // a hover that was showing fades out
}

/**
 * True while the workbench shows a passing busy sign: a progress bar in the side bar, a progress badge on
 * an activity-bar entry (switching view containers makes the explorer refresh), "Activating Extensions…"
 * in the status bar (a context menu or a JSON editor activates some).
 */
async function isBusy(page) {
  const busy = page
    .locator('.part.sidebar .monaco-progress-container.active, .part.activitybar .progress-badge')
    .or(page.locator('.statusbar .statusbar-item', { hasText: 'Activating Extensions' }));
  for (const el of await busy.all()) {
    if (await el.isVisible().catch(() => false)) {
      return true;
    }
  }
  return false;
}

/** Waits (best effort, up to `timeout`) until isBusy() is false; returns false when still busy. */
async function waitQuiet(page, { timeout = 10000 } = {}) {
  const until = Date.now() + timeout;
  while (Date.now() < until) {
    if (!(await isBusy(page))) {
      return true;
    }
    await page.waitForTimeout(200);
  }
  return false;
}

/** Drags the sash on the side bar's right edge so the side bar is `width` px wide; returns the width it got. */
async function resizeSidebar(page, width) {
  const bar = await page.locator('.part.sidebar').boundingBox();
  if (!bar) {
    throw new Error('the side bar is not showing');
  }
  const edge = bar.x + bar.width;
  const sashes = await page.locator('.monaco-sash.vertical').evaluateAll(els =>
    els.map(e => {
      const r = e.getBoundingClientRect();
      return { x: r.x + r.width / 2, y: r.y + r.height / 2, h: r.height };
    }),
  );
  const sash = sashes.filter(s => Math.abs(s.x - edge) < 8 && s.h > bar.height / 2)[0];
  if (!sash) {
    throw new Error(
      `no sash at the side bar's edge (x ${edge.toFixed(0)}); vertical sashes at x ${sashes.map(s => s.x.toFixed(0)).join(', ')}`,
    );
  }
  await page.mouse.move(sash.x, sash.y);
  await page.mouse.down();
  await page.mouse.move(sash.x + (width - bar.width), sash.y, { steps: 8 });
  await page.mouse.up();
  await page.waitForTimeout(200);
  return (await page.locator('.part.sidebar').boundingBox()).width;
}

/**
 * Collects what the page's frames log about the Content Security Policy (a blocked script, style or
 * stylesheet): Chromium reports each violation on the console of the frame it happened in, and the
 * page's console event carries every frame's. Returns the list it fills.
 */
function collectCspViolations(page) {
  const seen = [];
  page.on('console', m => {
    if (/Content Security Policy|Refused to (apply|load|execute|create|connect|frame)/i.test(m.text())) {
      seen.push(`${m.text().slice(0, 300)} (${m.location().url || 'no url'})`);
    }
  });
  return seen;
}

/** A tab whose visible label contains `text` (a diff editor's tab shows its title, not a resource name). */
function tabWithText(page, text) {
  return page.locator('.tabs-container .tab', { hasText: text }).first();
}

module.exports = {
  norm,
  escapeRe,
  explorerRow,
  openExplorerMenu,
  clickMenuItem,
  menuLabels,
  quickInput,
  quickPickRow,
  quickPickLabels,
  pick,
  focused,
  runFromPalette,
  quickOpen,
  toast,
  tab,
  tabWithText,
  editorFor,
  editorText,
  waitEditorText,
  statusItem,
  activityItem,
  showViewContainer,
  treeRows,
  treeRow,
  openRowMenu,
  parkMouse,
  resizeSidebar,
  collectCspViolations,
  isBusy,
  waitQuiet,
};
