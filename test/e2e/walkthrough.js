#!/usr/bin/env node
// The getting-started walkthrough in the real VS Code 1.139 web workbench (code-server 4.139.1) and
// Debian's chromium, from a fresh profile with VS Code's defaults for `workbench.welcomePage.walkthroughs.
// openOnInstall` (on) and `workbench.startupEditor` (the Welcome page, shown when the window opens: VS
// Code 1.139 opens an installed extension's walkthrough only in a window that has shown it), and no
// API key:
//   - the VSIX is installed the way a person does it in a window (right-click docutray-steps.vsix in the
//     Explorer → "Install Extension VSIX"), and the walkthrough opens by itself with its steps and
//     their pictures;
//   - Set API Key from the palette over the walkthrough (its step focused): the key typed on the keyboard
//     reaches the password box, though the walkthrough takes the focus back just after the box opens;
//     Configure Steps likewise: its quick pick is filtered and chosen with keys only;
//   - each step is done as it says: Set API Key (its button; the key typed in the password box, checked
//     with DocuTray), Configure Steps (its button; a step ID, a name), a right-click run on a PDF, a
//     right-click run on a folder (the batch's dialog), the Runs view (the batch, this month's usage
//     above the runs); then, in the window reloaded without the walkthrough (no Welcome page), Create
//     Expected Result on that run's result and Run Tests in the Testing view (the question, a pass); the
//     walkthrough opened afterwards ticks every step done, these two as well;
//   - each step's picture is taken in the Light and the Dark theme (Default Light Modern, Default Dark
//     Modern: the profile follows the system's colour scheme, which the browser is told to switch in
//     between), cropped to what the step is about. With
//     DOCUTRAY_UPDATE_DOCS=1 a run that passed copies them to media/walkthrough/<step>-light|dark.png,
//     and the walkthrough as it opened to docs/images/walkthrough.png.
//
// The server runs WITHOUT the smoke-test driver (it hides notification toasts), with DOCUTRAY_BASE_URL
// pointing the extension at the DocuTray stand-in started here; the key is entered, not inherited.
// Every screenshot goes to test-output/e2e-walkthrough/. It builds nothing itself: `npm run
// test:e2e:walkthrough` compiles and bundles first.
//
// usage: node test/e2e/walkthrough.js [--timeout SEC] [--headed]
// env:   DOCUTRAY_E2E_TIMEOUT (s, default 300), DOCUTRAY_UPDATE_DOCS=1, DOCUTRAY_VSCODE_CACHE, CHROMIUM, KEEP_TMP=1
// exit:  0 passed, 1 failed (the stage is named), 2 timeout, 130 SIGINT
'use strict';
const crypto = require('crypto');
const fs = require('fs');
const path = require('path');
const h = require('../../real-vscode/code-server');
const { createWorkspace, FILES, makePdf } = require('../../real-vscode/workspace');
const wb = require('./workbench');
const { emptyShots, script } = require('./script');

const run = script('WALKTHROUGH E2E', { logName: 'walkthrough', defaultTimeoutS: 300 });
const { log, step, until } = run;
const HEADED = run.headed;
const SHOTS = path.join(h.REPO, 'test-output', 'e2e-walkthrough');
const MEDIA = path.join(h.REPO, 'media', 'walkthrough');
const README_IMAGES = path.join(h.REPO, 'docs', 'images');
const PKG = JSON.parse(fs.readFileSync(path.join(h.REPO, 'package.json'), 'utf8'));
const NLS = JSON.parse(fs.readFileSync(path.join(h.REPO, 'package.nls.json'), 'utf8'));
const EXT_ID = `${PKG.publisher}.${PKG.name}`;
const VSIX_NAME = 'docutray-steps.vsix';

/** A manifest string as VS Code shows it ("%key%" looked up in package.nls.json). */
const nls = s => (typeof s === 'string' ? s.replace(/^%(.+)%$/, (_, k) => NLS[k] ?? s) : s);
const WALKTHROUGH = PKG.contributes.walkthroughs[0];
const STEP_IDS = WALKTHROUGH.steps.map(s => s.id);
/** The id VS Code gives a walkthrough step's element: <extension id>#<walkthrough id>#<step id>. */
const domStepId = id => `${EXT_ID}#${WALKTHROUGH.id}#${id}`;
/** The step whose picture each shot is: the file names media/walkthrough/<name>-<theme>.png, from package.json. */
const MEDIA_OF = Object.fromEntries(
  WALKTHROUGH.steps
    .filter(s => s.media.image)
    .map(s => [s.id, path.basename(s.media.image.light).replace(/-light\.png$/, '')]),
);
/** The steps whose media is a picture this test takes (the others show a theme-aware SVG from media/). */
const PICTURE_IDS = Object.keys(MEDIA_OF);
const THEMES = { light: 'Default Light Modern', dark: 'Default Dark Modern' };

const UI = {
  installVsix: 'Install Extension VSIX',
  menuItem: 'Run DocuTray Step…',
  // The step the walkthrough adds (the stand-in serves example-invoice).
  stepId: 'example-invoice',
  stepName: 'Invoices',
  stepDescription: 'Vendor, totals, line items',
  keyAccepted: /DocuTray API key accepted — [\d,.\s]+ pages processed in \S+ \d{4}/,
  stepSaved: 'Saved the DocuTray step "Invoices" in docutray.steps of your user settings.',
  batchConfirm: /Run Invoices on invoices\/\? 3 documents: DocuTray bills (?:about )?3 pages\./,
  batchDone: /^3 of 3 succeeded · [^·]+ · Invoices$/,
  usageLine: /^\S+ \d{4}: [\d,.\s]+ pages processed$/,
  invoiceField: /"invoice_number"\s*:\s*"INV-2024-0042"/,
  createExpected: NLS['command.expected.create'],
  // A batch's run: its state and time (the batch shows the step).
  succeeded: /^succeeded in \d+(\.\d+)? (ms|s|min)/,
};

const BATCH = {
  folder: 'invoices',
  pdfs: {
    'invoice-0101.pdf': 'Invoice 0101 Acme Tools',
    'invoice-0102.pdf': 'Invoice 0102 Northwind',
    'invoice-0103.pdf': 'Invoice 0103 Contoso Ltd',
  },
};

let page;
let profile;
let shotNo = 0;
/** name → { light, dark } file paths of the walkthrough's pictures; 'walkthrough' → the full window. */
const pictures = new Map();

function shotFile(name) {
  shotNo++;
  return path.join(SHOTS, `${String(shotNo).padStart(2, '0')}-${name}.png`);
}

/** The user settings file of the profile, as JSON (VS Code writes it as JSON without comments here). */
function readSettings() {
  return JSON.parse(fs.readFileSync(path.join(profile.userDataDir, 'User', 'settings.json'), 'utf8'));
}

/**
 * Switches the colour theme as the system's light or dark mode does: the profile follows it
 * (`window.autoDetectColorScheme`), and the browser is told the system changed (prefers-color-scheme).
 * Nothing in the window is touched, so an open input box, menu or dialog stays.
 */
async function useTheme(kind) {
  await page.emulateMedia({ colorScheme: kind });
  const want = kind === 'dark' ? 'vs-dark' : 'vs';
  await until(
    () =>
      page
        .locator('.monaco-workbench')
        .first()
        .evaluate((el, cls) => el.classList.contains(cls), want),
    { timeout: 15000, message: () => `the workbench did not switch to the ${THEMES[kind]} theme` },
  );
  await page.waitForTimeout(400); // colours settle (transitions)
}

/**
 * The rectangle around `locators` (their union), `pad` px wider on each side, at most `max` big (cut
 * at the right and the bottom: what matters is at the top left), inside the viewport: what a
 * walkthrough picture shows. The walkthrough shows a picture in about 40 % of the editor's width, so
 * a small frame keeps the text readable.
 */
async function clipAround(locators, { pad = 8, max = { width: Infinity, height: Infinity } } = {}) {
  const boxes = [];
  for (const l of locators) {
    const b = await l.boundingBox();
    if (!b) {
      throw new Error(`nothing to frame: ${l}`);
    }
    boxes.push(b);
  }
  const vp = page.viewportSize();
  const x0 = Math.max(0, Math.min(...boxes.map(b => b.x)) - pad);
  const y0 = Math.max(0, Math.min(...boxes.map(b => b.y)) - pad);
  const x1 = Math.min(vp.width, Math.max(...boxes.map(b => b.x + b.width)) + pad, x0 + max.width);
  const y1 = Math.min(vp.height, Math.max(...boxes.map(b => b.y + b.height)) + pad, y0 + max.height);
  return { x: Math.round(x0), y: Math.round(y0), width: Math.round(x1 - x0), height: Math.round(y1 - y0) };
}

/**
 * The walkthrough step's picture, in the Light then the Dark theme (then Light again). `frame` returns
 * the locators to frame (asked again in each theme: layout can move by a pixel).
 */
async function picture(stepId, frame, opts) {
  const name = MEDIA_OF[stepId];
  const files = {};
  for (const kind of ['light', 'dark']) {
    await useTheme(kind);
    await wb.waitQuiet(page, { timeout: 5000 });
    const clip = await clipAround(await frame(), opts);
    files[kind] = shotFile(`${name}-${kind}`);
    await page.screenshot({ path: files[kind], clip });
    log(`  picture ${path.relative(h.REPO, files[kind])} (${clip.width}×${clip.height})`);
  }
  await useTheme('light');
  pictures.set(stepId, files);
}

async function screenshot(name) {
  const f = shotFile(name);
  await page.screenshot({ path: f });
  log(`  screenshot ${path.relative(h.REPO, f)}`);
  return f;
}

/** vsce package → the VSIX, into `dir`. */
async function packageVsix(dir) {
  const vsix = path.join(dir, VSIX_NAME);
  const vsce = path.join(h.REPO, 'node_modules', '@vscode', 'vsce', 'vsce');
  const { code, output } = await h.runGrouped(process.execPath, [vsce, 'package', '--no-dependencies', '-o', vsix], {
    cwd: h.REPO,
    logFile: path.join(dir, '..', 'vsce.log'),
    timeoutMs: 240000,
  });
  if (code !== 0 || !fs.existsSync(vsix)) {
    throw new Error(`vsce package exited ${code}:\n${output.slice(-2000)}`);
  }
  return vsix;
}

// The walkthrough's parts, as VS Code 1.139 renders them (gettingStarted.ts).
const walkthroughPage = () => page.locator('.gettingStartedContainer');
const stepButton = id => page.locator(`button.getting-started-step[data-step-id=${JSON.stringify(domStepId(id))}]`);
const stepDone = id => page.locator(`.codicon[data-done-step-id=${JSON.stringify(domStepId(id))}]`);

/** Expands a walkthrough step (a click on its title) and returns the step's element. */
async function openStep(id) {
  const s = stepButton(id);
  await s.waitFor({ timeout: 15000 });
  if ((await s.getAttribute('aria-expanded')) !== 'true') {
    await s.locator('.step-title').click();
    await until(async () => (await s.getAttribute('aria-expanded')) === 'true', {
      timeout: 5000,
      message: () => `the walkthrough step ${id} did not expand`,
    });
  }
  return s;
}

/**
 * Right-clicks an Explorer row until its context menu offers `label` (a click that lands while the
 * workbench is busy — an editor closing, a hover — can open no menu at all).
 */
async function explorerMenu(name, label) {
  for (let attempt = 1; ; attempt++) {
    try {
      return await wb.openExplorerMenu(page, name, { expect: label });
    } catch (e) {
      if (attempt >= 3) {
        throw e;
      }
      await page.keyboard.press('Escape');
      await wb.parkMouse(page);
    }
  }
}

/** Clicks the button (a command link in the step's description) labelled `label` of an expanded step. */
async function clickStepButton(id, label) {
  const s = await openStep(id);
  const button = s.locator('.step-description-container').getByRole('button', { name: label, exact: true });
  await button.waitFor({ timeout: 5000 }).catch(async () => {
    const text = wb.norm(await s.locator('.step-description-container').textContent()).trim();
    throw new Error(`the walkthrough step ${id} has no "${label}" button: "${text}"`);
  });
  await button.click();
}

/**
 * Runs `command` from the palette with the walkthrough step `id` focused, as when the walkthrough opens (a
 * click selects the step, and focuses it 250 ms later): the Enter that runs the command is released over
 * the step, which takes the focus back just after the command's prompt opens.
 */
async function runOverStep(id, command) {
  await stepButton(id).locator('.step-title').click();
  await until(async () => /getting-started-step/.test(await wb.focused(page)), {
    timeout: 5000,
    message: async () => `the walkthrough step did not take the focus: ${await wb.focused(page)}`,
  });
  await page.waitForTimeout(600); // its own delayed focus, which would close a palette opened meanwhile
  await wb.runFromPalette(page, command);
}

/**
 * The colours a step's SVG is drawn in, wherever VS Code put it (inline, or in a webview's frame): the first
 * shape's fill (its background) and each text's fill; undefined while it is not shown.
 */
async function svgColours(file) {
  const source = fs.readFileSync(path.join(h.REPO, 'media', 'walkthrough', file), 'utf8');
  const marker = /<text[^>]*>(?:<tspan[^>]*>)?([^<]+)</.exec(source)[1].trim();
  for (const frame of page.frames()) {
    const colours = await frame
      .evaluate(m => {
        const svg = [...globalThis.document.querySelectorAll('svg')].find(e => e.textContent.includes(m));
        const shape = svg && svg.querySelector('rect');
        if (!shape) {
          return undefined;
        }
        const fill = e => globalThis.getComputedStyle(e).fill;
        const texts = [...svg.querySelectorAll('text, tspan')].filter(e => !e.querySelector('tspan'));
        return { background: fill(shape), text: texts.map(fill) };
      }, marker)
      .catch(() => undefined);
    if (colours) {
      return colours;
    }
  }
  return undefined;
}

/** The picture the walkthrough shows for the selected step: its src and whether it loaded. */
async function stepImage() {
  const img = page.locator('.gettingStartedContainer .getting-started-media img').first();
  await img.waitFor({ timeout: 10000 });
  return img.evaluate(i => ({ src: i.currentSrc || i.src, loaded: i.complete && i.naturalWidth > 0, alt: i.alt }));
}

async function main() {
  h.installSignalHandlers();
  const cache = h.locateCache();
  h.requireBuilt(['dist/extension.js']);
  emptyShots(SHOTS);
  const tmp = h.createRunDir('docutray-walkthrough-');
  log(`temp dir ${tmp}; screenshots in ${path.relative(h.REPO, SHOTS)}/`);
  const apiKey = `dt-walkthrough-${crypto.randomBytes(6).toString('hex')}`;
  const standIn = await step('starting the DocuTray stand-in', () => h.startStandIn(apiKey));
  const ws = createWorkspace(path.join(tmp, 'workspace')).dir;
  fs.mkdirSync(path.join(ws, BATCH.folder));
  for (const [name, text] of Object.entries(BATCH.pdfs)) {
    fs.writeFileSync(path.join(ws, BATCH.folder, name), makePdf(text));
  }
  const vsix = await step('packaging the VSIX into the workspace', () => packageVsix(ws));
  log(`  ${path.basename(vsix)} (${(fs.statSync(vsix).size / 1024).toFixed(0)} KiB)`);
  // VS Code's defaults where they matter here (the test profile's base settings turn them off): walkthroughs
  // open on install, in a window that showed its Welcome page. No steps configured yet.
  profile = h.createProfile(path.join(tmp, 'profile'), {
    'workbench.welcomePage.walkthroughs.openOnInstall': true,
    'workbench.startupEditor': 'welcomePage',
    'window.autoDetectColorScheme': true,
    'workbench.preferredLightColorTheme': THEMES.light,
    'workbench.preferredDarkColorTheme': THEMES.dark,
    'docutray.steps': [],
  });
  const server = await step('starting code-server (no smoke-test driver; no API key in its environment)', () =>
    h.startCodeServer({ cache, profile, folder: ws, smokeTestDriver: false, env: { DOCUTRAY_BASE_URL: standIn.url } }),
  );
  const { launchBrowser } = require('../../real-vscode/browser');
  const browser = await step('launching chromium', () =>
    launchBrowser(tmp, { headless: !HEADED, viewport: { width: 1400, height: 850 } }),
  );
  h.onCleanup('chromium', () => browser.close());
  page = browser.page;
  page.setDefaultTimeout(20000);
  await page.emulateMedia({ colorScheme: 'light' });

  await step('opening the workbench', async () => {
    await page.goto(h.workbenchUrl(server, ws));
    await wb.explorerRow(page, VSIX_NAME).waitFor({ timeout: 60000 });
    await page.waitForTimeout(1500); // the explorer settles
  });

  // 1. Installed in the window, the walkthrough opens by itself
  await step(`right-click ${VSIX_NAME} → "${UI.installVsix}": the walkthrough opens by itself`, async () => {
    if (fs.readdirSync(profile.extensionsDir).some(d => d.startsWith(`${EXT_ID}-`))) {
      throw new Error('the extension is installed before the test installs it');
    }
    const item = await explorerMenu(VSIX_NAME, UI.installVsix);
    await wb.clickMenuItem(page, item);
    const title = page
      .locator('.gettingStartedContainer .category-title', { hasText: nls(WALKTHROUGH.title) })
      .filter({ visible: true })
      .first();
    await title.waitFor({ timeout: 60000 }).catch(async () => {
      const tabs = (await page.locator('.tabs-container .tab').allTextContents()).map(t => wb.norm(t).trim());
      throw new Error(
        `the walkthrough "${nls(WALKTHROUGH.title)}" did not open after the install; tabs: ${tabs.join(' | ') || '(none)'}`,
      );
    });
    const titles = (await page.locator('.gettingStartedContainer .step-title').allTextContents()).map(t =>
      wb.norm(t).trim(),
    );
    const expected = WALKTHROUGH.steps.map(s => nls(s.title));
    if (titles.join(' | ') !== expected.join(' | ')) {
      throw new Error(`the walkthrough shows the steps ${titles.join(' | ')}; expected ${expected.join(' | ')}`);
    }
    log(`  steps: ${titles.join(' | ')}`);
    fs.rmSync(vsix); // out of the Explorer's pictures
  });

  await step('every step shows its picture (light theme), with its alternative text', async () => {
    for (const id of STEP_IDS) {
      await openStep(id);
      const want = WALKTHROUGH.steps.find(s => s.id === id);
      if (!want.media.image) {
        // An SVG: VS Code draws it inline, with the theme's colours.
        const svg = page
          .locator(
            '.gettingStartedContainer .getting-started-media svg, .gettingStartedContainer .getting-started-media iframe',
          )
          .first();
        await svg.waitFor({ timeout: 10000 }).catch(() => {
          throw new Error(`step ${id} shows no SVG (${want.media.svg})`);
        });
        // Drawn in the theme's colours, not all black: VS Code's webview for it drops <style> and style="".
        const colours = await until(() => svgColours(path.basename(want.media.svg)), {
          timeout: 10000,
          message: async () => `step ${id}'s SVG (${want.media.svg}) is not drawn`,
        });
        if (colours.text.some(c => c === colours.background) || new Set(colours.text).size < 2) {
          throw new Error(
            `step ${id}'s SVG (${want.media.svg}) draws its text in ${[...new Set(colours.text)].join(', ')} on ${colours.background}: the theme's colours did not apply`,
          );
        }
        continue;
      }
      const img = await until(
        async () => {
          const i = await stepImage();
          return i.src && i.src.includes(path.basename(want.media.image.light)) && i.loaded && i;
        },
        {
          timeout: 10000,
          message: async () =>
            `step ${id} does not show ${want.media.image.light} (loaded): ${JSON.stringify(await stepImage())}`,
        },
      );
      if (img.alt !== nls(want.media.altText)) {
        throw new Error(`step ${id}'s picture has the alternative text "${img.alt}", not "${nls(want.media.altText)}"`);
      }
    }
    await openStep(STEP_IDS[0]);
    await wb.parkMouse(page);
    pictures.set('walkthrough', await screenshot('walkthrough-opened'));
  });

  // 2. Set API Key from the palette over the walkthrough: the Enter that runs it is released over the
  // walkthrough's focused step, which takes the focus back 250 ms later; the box must keep the keyboard.
  await step(
    'F1 → "DocuTray: Set API Key" over the walkthrough: the key is typed (keyboard only) into the box',
    async () => {
      await runOverStep('apiKey', 'DocuTray: Set API Key');
      const input = page.locator('.quick-input-widget input[type="password"]');
      await input.waitFor({ timeout: 15000 });
      // Past the moment the walkthrough takes the focus back; then keys, not fill() (which focuses the box itself).
      await page.waitForTimeout(1500);
      await page.keyboard.type(apiKey);
      const typed = await input.inputValue();
      if (typed !== apiKey) {
        throw new Error(
          `the box holds ${typed.length} of the ${apiKey.length} characters typed: the keyboard went to ${await wb.focused(page)}`,
        );
      }
      await page.keyboard.press('Enter');
      await wb.toast(page, 'API key accepted').waitFor({ timeout: 20000 });
      await wb.runFromPalette(page, 'Notifications: Clear All Notifications');
      // The palette's path ticks the step as its button does.
      await until(async () => (await stepDone('apiKey').getAttribute('aria-checked')) === 'true', {
        timeout: 10000,
        message: () => 'the walkthrough does not tick "Set your API key" once the key is saved from the palette',
      });
    },
  );

  // 3. Set API Key: the step's button, the password box, DocuTray's check
  await step('"Set API Key" (the step\'s button): the key typed in the password box is checked and saved', async () => {
    await clickStepButton('apiKey', 'Set API Key');
    const input = page.locator('.quick-input-widget input[type="password"]');
    await input.waitFor({ timeout: 15000 });
    await input.fill(apiKey);
    await page.waitForTimeout(300);
    await picture('apiKey', () => [page.locator('.quick-input-widget')]);
    await input.press('Enter');
    const accepted = wb.toast(page, 'API key accepted').locator('.notification-list-item-message');
    await accepted.waitFor({ timeout: 20000 });
    const text = wb.norm(await accepted.textContent()).trim();
    log(`  notification: "${text}"`);
    if (!UI.keyAccepted.test(text)) {
      throw new Error(`the key check's message does not give this month's pages: "${text}"`);
    }
    await until(async () => (await stepDone('apiKey').getAttribute('aria-checked')) === 'true', {
      timeout: 10000,
      message: () => 'the walkthrough does not tick "Set your API key" once the key is saved',
    });
  });

  // 4. Configure Steps: the step's button, a step ID, a name, a description
  await step(`"Configure Steps" (the step's button): ${UI.stepId} named "${UI.stepName}"`, async () => {
    await clickStepButton('steps', 'Configure Steps');
    const input = page.locator('.quick-input-widget input');
    await page.locator('.quick-input-widget .quick-input-title', { hasText: 'DocuTray step ID' }).waitFor();
    await input.fill(UI.stepId);
    await page.waitForTimeout(300);
    await picture('steps', () => [page.locator('.quick-input-widget')]);
    await input.press('Enter');
    await page.locator('.quick-input-widget .quick-input-title', { hasText: `Name for step ${UI.stepId}` }).waitFor();
    await input.fill(UI.stepName);
    await input.press('Enter');
    await page.locator('.quick-input-widget .quick-input-title', { hasText: 'Description for step' }).waitFor();
    await input.fill(UI.stepDescription);
    await input.press('Enter');
    await wb.toast(page, UI.stepSaved).waitFor({ timeout: 10000 });
    const steps = readSettings()['docutray.steps'];
    const want = [{ id: UI.stepId, name: UI.stepName, description: UI.stepDescription }];
    if (JSON.stringify(steps) !== JSON.stringify(want)) {
      throw new Error(`docutray.steps in the user settings is ${JSON.stringify(steps)}, not ${JSON.stringify(want)}`);
    }
    await until(async () => (await stepDone('steps').getAttribute('aria-checked')) === 'true', {
      timeout: 10000,
      message: () => 'the walkthrough does not tick "Add your steps" once a step is saved',
    });
  });

  // 4b. A quick pick from the palette over the walkthrough keeps the keyboard as the input box does.
  await step(
    'F1 → "DocuTray: Configure Steps" over the walkthrough: the pick is chosen with the keyboard only',
    async () => {
      await runOverStep('steps', 'DocuTray: Configure Steps');
      await page.locator('.quick-input-widget .quick-input-title', { hasText: 'Configure DocuTray steps' }).waitFor();
      // Past the moment the walkthrough takes the focus back; then keys only.
      await page.waitForTimeout(1500);
      await page.keyboard.type('Add a step');
      await page.keyboard.press('Enter');
      await page
        .locator('.quick-input-widget .quick-input-title', { hasText: 'DocuTray step ID' })
        .waitFor({ timeout: 5000 })
        .catch(async () => {
          throw new Error(`the keys did not reach the pick: the keyboard went to ${await wb.focused(page)}`);
        });
      // The box that follows is held open against the walkthrough for its first moment, Escape too.
      await page.waitForTimeout(1600);
      await page.keyboard.press('Escape');
      await page.locator('.quick-input-widget').waitFor({ state: 'hidden', timeout: 5000 });
    },
  );

  await step("the walkthrough's tab closed", async () => {
    // The walkthrough's tab closed (its × button), so the runs below have the editor area to themselves.
    const welcome = wb.tabWithText(page, 'Welcome');
    await welcome.hover();
    await welcome.locator('.tab-actions .action-label').click();
    await walkthroughPage().waitFor({ state: 'hidden', timeout: 10000 });
  });

  // 5. A run on a file: right-click the PDF
  const resultTab = `${FILES.pdf} · ${UI.stepName}.json`;
  await step(`right-click ${FILES.pdf} → "${UI.menuItem}" → "${UI.stepName}": the result opens`, async () => {
    await wb.showViewContainer(page, 'Explorer', wb.explorerRow(page, FILES.pdf));
    await wb.waitQuiet(page);
    let item = await explorerMenu(FILES.pdf, UI.menuItem);
    if (
      !(await item.hover({ timeout: 3000 }).then(
        () => true,
        () => false,
      ))
    ) {
      item = await explorerMenu(FILES.pdf, UI.menuItem);
      await item.hover();
    }
    await picture(
      'run',
      async () => [wb.explorerRow(page, FILES.jpg), page.locator('.context-view .monaco-menu').first()],
      { pad: 8, max: { width: Infinity, height: 190 } },
    );
    await wb.clickMenuItem(page, item);
    await wb.pick(page, UI.stepName);
    await wb.tab(page, resultTab).waitFor({ timeout: 30000 });
    await wb.waitEditorText(page, resultTab, UI.invoiceField);
  });

  // 6. A folder run: right-click invoices/ → the dialog → one batch
  await step(
    `right-click ${BATCH.folder}/ → "${UI.menuItem}" → "${UI.stepName}": a dialog before the batch`,
    async () => {
      const item = await explorerMenu(BATCH.folder, UI.menuItem);
      await wb.clickMenuItem(page, item);
      await wb.pick(page, UI.stepName);
      const dialog = page.locator('.monaco-dialog-box').filter({ hasText: UI.batchConfirm });
      await dialog.waitFor({ timeout: 15000 }).catch(async () => {
        const any = await page.locator('.monaco-dialog-box').allTextContents();
        throw new Error(
          `no dialog "Run Invoices on invoices/? 3 documents, …": ${any.map(t => wb.norm(t)).join(' | ') || '(none)'}`,
        );
      });
      log(`  dialog: "${wb.norm(await dialog.textContent()).trim()}"`);
      await wb.parkMouse(page);
      await picture('batch', async () => [dialog], { pad: 16 });
      await dialog.getByRole('button', { name: 'Run', exact: true }).click();
      await dialog.waitFor({ state: 'detached', timeout: 10000 });
    },
  );

  // 7. The Runs view: the batch, the single run, this month's usage above them
  await step(
    'the Runs view: the batch "3 of 3 succeeded" with its files, the run, and this month\'s usage above',
    async () => {
      const sidebar = page.locator('.part.sidebar');
      // A batch is named by what it ran on ("invoices/"), described by its state, when and its step.
      const batchLabel = new RegExp(`^${wb.escapeRe(`${BATCH.folder}/`)}$`);
      await wb.showViewContainer(page, 'DocuTray', wb.treeRow(page, batchLabel, null, sidebar));
      await wb.resizeSidebar(page, 400); // the batch's files with their descriptions
      const batchRow = wb.treeRow(page, batchLabel, UI.batchDone, sidebar);
      await until(async () => (await batchRow.count()) > 0, {
        timeout: 60000,
        message: async () =>
          `no batch "${UI.stepName}" [3 of 3 succeeded] within 60 s: ${JSON.stringify(await wb.treeRows(page))}`,
      });
      if ((await batchRow.getAttribute('aria-expanded')) !== 'true') {
        await batchRow.locator('.monaco-tl-twistie').click();
      }
      await wb.treeRow(page, 'invoice-0103.pdf', UI.succeeded, sidebar).waitFor({ timeout: 10000 });
      const message = sidebar.locator('.tree-explorer-viewlet-tree-view .message');
      const usage = await until(
        async () => {
          const t = wb.norm(await message.textContent().catch(() => '')).trim();
          return UI.usageLine.test(t) && t;
        },
        {
          timeout: 15000,
          message: async () =>
            `the Runs view shows no usage line above its runs: "${wb.norm(await message.textContent().catch(() => '')).trim()}"`,
        },
      );
      log(`  above the runs: "${usage}"`);
      for (const r of await wb.treeRows(page)) {
        log(`    ${r.label} — ${r.description}`);
      }
      await wb.parkMouse(page);
      await picture('results', async () => [sidebar, wb.editorFor(page, resultTab)], {
        pad: 0,
        max: { width: 720, height: 240 },
      });
    },
  );

  // 7b. The walkthrough is not open in the window the next steps are done in: reloaded without it.
  await step('the window reloaded with no Welcome page: the walkthrough is not open', async () => {
    fs.writeFileSync(
      path.join(profile.userDataDir, 'User', 'settings.json'),
      JSON.stringify({ ...readSettings(), 'workbench.startupEditor': 'none' }, null, 2),
    );
    // The settings file is read again before the reload (a reload that raced it would open the Welcome page).
    await page.waitForTimeout(1500);
    await wb.runFromPalette(page, 'Developer: Reload Window');
    await page.waitForLoadState('domcontentloaded');
    await page.locator('.monaco-workbench').first().waitFor({ timeout: 60000 });
    await wb.activityItem(page, 'DocuTray').waitFor({ timeout: 60000 });
    // The side bar (the Runs view, as it was) and the editors are restored before anything is clicked: a
    // click on the activity bar while the side bar is still coming back would hide it.
    await page
      .locator('.part.sidebar')
      .waitFor({ timeout: 15000 })
      .catch(() => log('  (no side bar restored after the reload)'));
    await wb.waitQuiet(page, { timeout: 15000 });
    // The extension is active again when the Runs view lists the run (the side bar shown if it is not).
    const sidebar = page.locator('.part.sidebar');
    const runRow = wb.treeRow(page, FILES.pdf, UI.succeeded, sidebar);
    await until(
      async () => {
        if (await runRow.isVisible()) {
          return true;
        }
        // The activity-bar entry toggles the side bar: clicked only while the side bar is hidden.
        if (!(await sidebar.isVisible())) {
          await wb.activityItem(page, 'DocuTray').click();
        }
        return false;
      },
      {
        timeout: 60000,
        interval: 2000,
        message: async () => `the Runs view shows no run of ${FILES.pdf}: ${JSON.stringify(await wb.treeRows(page))}`,
      },
    );
    if (await walkthroughPage().isVisible()) {
      throw new Error('the walkthrough opened by itself after the reload: the next steps would be done under it');
    }
  });

  // 7c. Keep a result as expected: the run's result (its restored tab, or from the Runs view), its title bar's button
  const expectedFile = path.join(ws, `${FILES.pdf}.${UI.stepId}.expected.json`);
  await step(
    `the result of ${FILES.pdf} → "${UI.createExpected}" in its title bar: the expected file is written`,
    async () => {
      // The result's tab, as the reload restored it; else the run in the Runs view.
      if (await wb.tab(page, resultTab).isVisible()) {
        await wb.tab(page, resultTab).click();
      } else {
        await wb.treeRow(page, FILES.pdf, UI.succeeded).click();
      }
      await wb.waitEditorText(page, resultTab, UI.invoiceField);
      const create = page.locator(`.editor-actions .action-label[aria-label^=${JSON.stringify(UI.createExpected)}]`);
      await create.first().waitFor({ timeout: 15000 });
      await create.first().click();
      await until(() => fs.existsSync(expectedFile), {
        timeout: 15000,
        message: () => `no ${path.basename(expectedFile)} beside ${FILES.pdf}`,
      });
      const written = JSON.parse(fs.readFileSync(expectedFile, 'utf8'));
      if (written.result?.invoice_number !== 'INV-2024-0042') {
        throw new Error(`the expected file holds another result: ${JSON.stringify(written).slice(0, 300)}`);
      }
      await wb.parkMouse(page);
      await screenshot('expected-created');
    },
  );

  // 7d. Check against it: the Testing view's Run Tests, the question, the test passes
  const testRow = name => page.locator('.part.sidebar .monaco-list-row', { hasText: name }).first();
  await step(
    `the Testing view → Run Tests: ${FILES.pdf} runs once and passes against its expected result`,
    async () => {
      await wb.showViewContainer(page, 'Testing', testRow(FILES.pdf));
      await until(async () => testRow(FILES.pdf).isVisible(), {
        timeout: 30000,
        message: async () =>
          `the Testing view shows: ${(await page.locator('.part.sidebar .monaco-list-row').allTextContents()).join(' | ')}`,
      });
      // One document: it runs without a question (a check over several asks first, saying what it bills).
      const startsBefore = standIn.standIn.starts().reduce((n, s) => n + s.count, 0);
      await page.locator('.part.sidebar .action-label[aria-label^="Run Tests"]').first().click();
      await testRow(FILES.pdf).locator('.codicon-testing-passed-icon').waitFor({ timeout: 60000 });
      const started = standIn.standIn.starts().reduce((n, s) => n + s.count, 0) - startsBefore;
      if (started !== 1) {
        throw new Error(`the check started ${started} runs, not 1 (its one document)`);
      }
      await wb.parkMouse(page);
      await screenshot('testing-passed');
    },
  );

  // 8. The walkthrough again: the steps done are ticked
  await step('the walkthrough ticks the steps done', async () => {
    // The last input box may still be closing: F1 then would open nothing.
    await wb.quickInput(page).waitFor({ state: 'hidden', timeout: 10000 });
    await wb.runFromPalette(page, 'Welcome: Open Walkthrough');
    await wb.pick(page, nls(WALKTHROUGH.title));
    await walkthroughPage().waitFor({ timeout: 15000 });
    const done = {};
    for (const id of STEP_IDS) {
      done[id] = (await stepDone(id).getAttribute('aria-checked')) === 'true';
    }
    log(`  ${STEP_IDS.map(id => `${id} ${done[id] ? '✓' : '·'}`).join(', ')}`);
    // Each was done by a path other than its button: the file and the folder from the Explorer's menu, the
    // result opened by the run; the walkthrough ticks on what happened.
    // The expected result and the test run were done in a window where the walkthrough had not been open.
    const missing = ['apiKey', 'steps', 'run', 'batch', 'results', 'expected', 'testing'].filter(id => !done[id]);
    if (missing.length) {
      throw new Error(`the walkthrough does not tick ${missing.join(', ')}`);
    }
    await screenshot('walkthrough-done');
    // The two steps done before it opened, each expanded with its tick.
    for (const id of ['expected', 'testing']) {
      await openStep(id);
      await wb.parkMouse(page);
      await screenshot(`walkthrough-${id}-ticked`);
    }
  });

  // 9. The command line: its step's button copies the CI line, and the step ticks
  await step('"Copy Command Line for CI" (the step\'s button): the check line is copied, the step ticks', async () => {
    await clickStepButton('cli', 'Copy Command Line for CI');
    const copied = wb.toast(page, 'copied the command line').locator('.notification-list-item-message');
    await copied.waitFor({ timeout: 20000 });
    log(`  notification: "${wb.norm(await copied.textContent()).trim()}"`);
    await until(async () => (await stepDone('cli').getAttribute('aria-checked')) === 'true', {
      timeout: 10000,
      message: () => 'the walkthrough does not tick the command line step once the line is copied',
    });
    await openStep('cli');
    await wb.parkMouse(page);
    await screenshot('walkthrough-cli-done');
  });

  if (process.env.DOCUTRAY_UPDATE_DOCS === '1') {
    await step(`copying the pictures to ${path.relative(h.REPO, MEDIA)}/ and docs/images/walkthrough.png`, async () => {
      for (const id of PICTURE_IDS) {
        const files = pictures.get(id);
        if (!files) {
          throw new Error(`no picture was taken for the step ${id}`);
        }
        for (const kind of ['light', 'dark']) {
          const to = path.join(MEDIA, `${MEDIA_OF[id]}-${kind}.png`);
          fs.copyFileSync(files[kind], to);
          log(`  ${path.relative(h.REPO, files[kind])} → ${path.relative(h.REPO, to)}`);
        }
      }
      fs.copyFileSync(pictures.get('walkthrough'), path.join(README_IMAGES, 'walkthrough.png'));
    });
  }
  if (browser.blocked.length) {
    log(`  (blocked ${browser.blocked.length} non-loopback request(s), e.g. ${browser.blocked[0]})`);
  }
}

run.run(main, { pages: () => ({ '': page }), shots: SHOTS, ensureInstalled: true });
