// Launches Debian's /usr/bin/chromium through playwright-core (never a Playwright browser download),
// with a fresh profile and HOME inside the caller's temp dir, and aborts every request that does not
// go to the loopback: the tests run offline and must not reach out.
'use strict';
const fs = require('fs');
const path = require('path');
const { chromium } = require('playwright-core');

const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
const ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-dev-shm-usage',
  '--disable-features=Translate,MediaRouter',
  '--password-store=basic',
];

function isLoopback(u) {
  if (u.protocol === 'data:' || u.protocol === 'blob:' || u.protocol === 'about:') {
    return true;
  }
  const h = u.hostname.replace(/^\[|\]$/g, '');
  return h === '127.0.0.1' || h === 'localhost' || h === '::1' || h.endsWith('.localhost');
}

/**
 * @param {string} tmp the run's temp dir: the browser profile and HOME go below it.
 * @param {{ headless?: boolean, viewport?: { width: number, height: number }, onBlocked?: (url: string) => void }} [opts]
 * @returns {Promise<{ context: import('playwright-core').BrowserContext, page: import('playwright-core').Page, close(): Promise<void>, blocked: string[] }>}
 */
async function launchBrowser(tmp, opts = {}) {
  if (!fs.existsSync(CHROMIUM)) {
    throw new Error(
      `${CHROMIUM} not found: run real-vscode/setup.sh (installs Debian's chromium), or set CHROMIUM=/path/to/chromium`,
    );
  }
  const home = path.join(tmp, 'chromium-home');
  const profile = path.join(tmp, 'chromium-profile');
  fs.mkdirSync(home, { recursive: true });
  fs.mkdirSync(profile, { recursive: true });
  fs.mkdirSync(path.join(tmp, 't'), { recursive: true }); // chromium's TMPDIR: its socket directory goes there
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: opts.headless !== false,
    viewport: opts.viewport || { width: 1400, height: 850 },
    args: ARGS,
    env: {
      ...process.env,
      HOME: home,
      XDG_CONFIG_HOME: path.join(home, '.config'),
      XDG_CACHE_HOME: path.join(home, '.cache'),
      XDG_DATA_HOME: path.join(home, '.local/share'),
      TMPDIR: path.join(tmp, 't'),
    },
    // The runners own SIGINT/SIGTERM and close the browser themselves (see code-server.js).
    handleSIGINT: false,
    handleSIGTERM: false,
    handleSIGHUP: false,
  });
  const blocked = [];
  await context.route(
    url => !isLoopback(url),
    route => {
      const u = route.request().url();
      blocked.push(u);
      if (opts.onBlocked) {
        opts.onBlocked(u);
      }
      return route.abort('blockedbyclient');
    },
  );
  const page = context.pages()[0] || (await context.newPage());
  let closed = false;
  const close = async () => {
    if (closed) {
      return;
    }
    closed = true;
    await context.close().catch(() => {});
  };
  return { context, page, close, blocked };
}

module.exports = { launchBrowser, CHROMIUM };
