// A workbench as the browser tests of one window (and the review bench) open it, from the built tree:
// a profile with their settings, the extension copied in unpacked, code-server on the folder with the
// stand-in's address and key, and Debian's chromium on it.
'use strict';
const fs = require('fs');
const path = require('path');
const h = require('../../real-vscode/code-server');

/** The files of the repository the VSIX ships (and so the unpacked copy holds). */
const SHIPPED = ['package.json', 'dist', 'media', 'l10n', 'README.md', 'CHANGELOG.md', 'LICENSE'];

/**
 * The unpacked extension, as `--install-extension` lays it out (faster than packaging a VSIX). Returns
 * the folder it went to.
 */
function installUnpacked(extensionsDir) {
  const pkg = JSON.parse(fs.readFileSync(path.join(h.REPO, 'package.json'), 'utf8'));
  const dest = path.join(extensionsDir, `${pkg.publisher}.${pkg.name}-${pkg.version}`);
  for (const f of fs.readdirSync(h.REPO).filter(f => SHIPPED.includes(f) || /^package\.nls.*\.json$/.test(f))) {
    fs.cpSync(path.join(h.REPO, f), path.join(dest, f), { recursive: true });
  }
  return dest;
}

/**
 * Opens the workbench's parts, each as a stage of `step`: the profile (one step, `docutray`, in the
 * settings, results not opened, a light theme, the test results not popping up; `settings` add or
 * override), the unpacked extension (`installed(dest)` may change it before code-server starts),
 * code-server on `folder` with the stand-in's address and `apiKey` in its environment, and chromium
 * (closed when the run ends). The page is not navigated yet.
 * @returns {Promise<{ page: import('playwright-core').Page, browser: any, server: any, profile: any }>}
 */
async function openWorkbench({ step, tmp, cache, folder, standIn, apiKey, docutray, settings, headless, installed }) {
  const profile = h.createProfile(path.join(tmp, 'profile'), {
    'docutray.steps': [{ id: docutray.id, name: docutray.name }],
    'docutray.openResult': 'none',
    'workbench.colorTheme': 'Default Light Modern',
    'testing.automaticallyOpenTestResults': 'neverOpen',
    ...settings,
  });
  const dest = installUnpacked(profile.extensionsDir);
  installed?.(dest);
  const env = { DOCUTRAY_BASE_URL: standIn.url, DOCUTRAY_API_KEY: apiKey };
  const server = await step('starting code-server', () =>
    h.startCodeServer({ cache, profile, folder, smokeTestDriver: false, env }),
  );
  const { launchBrowser } = require('../../real-vscode/browser');
  const browser = await step('launching chromium', () =>
    launchBrowser(tmp, { headless, viewport: { width: 1400, height: 860 } }),
  );
  h.onCleanup('chromium', () => browser.close());
  const page = browser.page;
  page.setDefaultTimeout(20000);
  return { page, browser, server, profile };
}

module.exports = { installUnpacked, openWorkbench };
