// Playwright helpers for driving VS Code's web workbench (code-server 4.139 = VS Code 1.139) the way a
// person does: explorer rows, context menus, quick picks, notifications, tabs, the status bar.
'use strict';

/** Monaco renders spaces in editors as U+00A0. */
const norm = (s) => (s || '').replace(/\u00a0/g, ' ');

function explorerRow(page, name) {
  // The row whose label is exactly `name` (hasText alone would also match "sample.pdf.x.json").
  return page.locator('.explorer-folders-view .monaco-list-row').filter({
    has: page.locator('.label-name', { hasText: new RegExp(`^${escapeRe(name)}$`) }),
  });
}

function escapeRe(s) { return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'); }

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
    if (!expect) { return null; }
    const item = page.getByRole('menuitem', { name: expect });
    try {
      await item.first().waitFor({ timeout: 2000 });
      return item.first();
    } catch (e) {
      if (attempt >= attempts) {
        throw new Error(`the context menu of ${name} has no "${expect}" after ${attempts} tries; it has: ${(await menuLabels(page)).join(' | ')}`);
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
      if (attempt >= attempts) { throw new Error(`the context menu stayed open after clicking its item ${attempts} times`); }
    }
  }
}

/** The open quick input (quick pick / palette). */
function quickInput(page) { return page.locator('.quick-input-widget'); }

/** A row of the open quick pick whose label contains `text`. */
function quickPickRow(page, text) {
  return page.locator('.quick-input-widget .quick-input-list .monaco-list-row', { hasText: text }).first();
}

async function quickPickLabels(page) {
  return (await page.locator('.quick-input-widget .quick-input-list .monaco-list-row .label-name, .quick-input-widget .quick-input-list .monaco-list-row .monaco-highlighted-label').allTextContents())
    .map(t => norm(t).trim()).filter(Boolean);
}

/** Waits for the quick pick to show `label`, then picks it (click). */
async function pick(page, label, { timeout = 15000 } = {}) {
  const row = quickPickRow(page, label);
  try {
    await row.waitFor({ timeout });
  } catch {
    throw new Error(`the quick pick has no "${label}"; it shows: ${(await quickPickLabels(page)).join(' | ') || '(nothing)'}`);
  }
  await row.click();
}

/** F1, type a command (">" is prefilled by F1), wait for it in the list, Enter. */
async function runFromPalette(page, command, { beforeEnter } = {}) {
  await page.keyboard.press('F1');
  const input = page.locator('.quick-input-widget input');
  await input.waitFor({ timeout: 10000 });
  await input.fill(`>${command}`);
  const row = quickPickRow(page, command.replace(/^[^:]+:\s*/, ''));
  try {
    await row.waitFor({ timeout: 10000 });
  } catch {
    throw new Error(`the command palette has no "${command}"; it shows: ${(await quickPickLabels(page)).join(' | ') || '(nothing)'}`);
  }
  if (beforeEnter) { await beforeEnter(); }
  await page.keyboard.press('Enter');
}

/** A notification toast whose text contains `text`. */
function toast(page, text) {
  return page.locator('.notifications-toasts .notification-toast', { hasText: text }).first();
}

/** CSS attribute selector for a tab of resource `name` (VS Code 1.139 renders "a.json" as "a" + suffix ".json"). */
const tabSel = (name) => `.tab[data-resource-name=${JSON.stringify(name)}]`;

/** The tab whose resource name is `name`. */
function tab(page, name) {
  return page.locator(`.tabs-container ${tabSel(name)}`).first();
}

/** The text editor shown in the editor group whose active tab is `name`. */
function editorFor(page, name) {
  return page.locator('.editor-group-container').filter({
    has: page.locator(`.tabs-container ${tabSel(name)}.active`),
  }).locator('.editor-container .monaco-editor').first();
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
    if (re.test(text)) { return text; }
    if (Date.now() > until) {
      throw new Error(`the editor ${name} does not show ${re} within ${timeout / 1000} s; it shows: ${text.slice(0, 300) || '(nothing)'}`);
    }
    await page.waitForTimeout(250);
  }
}

/** Status-bar items whose text or accessible label contains `text`. */
function statusItem(page, text) {
  return page.locator('.statusbar .statusbar-item', { hasText: text }).first();
}

module.exports = {
  norm, explorerRow, openExplorerMenu, clickMenuItem, menuLabels, quickInput, quickPickRow, quickPickLabels, pick,
  runFromPalette, toast, tab, editorFor, editorText, waitEditorText, statusItem,
};
