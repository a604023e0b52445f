#!/usr/bin/env node
// Runs the mocha suite (out/test/integration/index.js → every out/test/integration/**/*.test.js) INSIDE a real
// VS Code extension host: code-server (VS Code's own server + web workbench, cached by real-vscode/setup.sh),
// opened in Debian's chromium through playwright-core, offline. `--vscode newest` (the default) is VS Code
// 1.139.1 (code-server 4.139.1); `--vscode oldest` is VS Code 1.99.3 (code-server 4.99.4), the oldest release
// package.json's engines.vscode admits.
//
// It starts the DocuTray stand-in in this process, writes the fixture workspace into a temp dir,
// starts code-server with the smoke-test driver (needed for the `payload` URL parameter that loads
// extensionDevelopmentPath/extensionTestsPath) and with DOCUTRAY_BASE_URL, DOCUTRAY_API_KEY and
// DOCUTRAY_STAND_IN_URL in its environment (the extension host inherits them), opens the workbench,
// prints the extension host's output (mocha's spec reporter) and exits with the suite's result.
// It builds nothing: `npm run test:integration` compiles first.
//
// usage: node test/harness/run-integration.js [--vscode newest|oldest] [--timeout SEC] [--grep PATTERN]
//                                            [--ext DIR] [--tests FILE] [--stand-in MODULE]
// It also sets DOCUTRAY_TEST_HOST=code-server, DOCUTRAY_TEST_VSCODE (the VS Code version code-server is) and
// DOCUTRAY_TEST_LOGS_DIR (VS Code's log folder) for the suite.
// env:   DOCUTRAY_VSCODE (newest|oldest, when --vscode is not given), DOCUTRAY_IT_TIMEOUT (s, default 600),
//        DOCUTRAY_TEST_GREP, DOCUTRAY_TEST_TIMEOUT (ms per test), DOCUTRAY_VSCODE_CACHE, CHROMIUM,
//        KEEP_TMP=1 (keep the temp dir and its logs), VERBOSE=1 (page errors and offline noise too),
//        SHOT=file.png (screenshot of the workbench at the end)
// exit:  0 passed, 1 failed or harness error, 2 timeout (no result from the extension host), 130 SIGINT
'use strict';
const fs = require('fs');
const path = require('path');
const util = require('util');
const crypto = require('crypto');
const h = require('../../real-vscode/code-server');
const { createWorkspace } = require('../../real-vscode/workspace');

const log = h.makeLog('integration');
const argv = process.argv.slice(2);
function arg(name, def) {
  const i = argv.indexOf(`--${name}`);
  if (i >= 0) {
    return argv[i + 1];
  }
  const eq = argv.find(a => a.startsWith(`--${name}=`));
  return eq ? eq.slice(name.length + 3) : def;
}
const TIMEOUT_S = Number(arg('timeout', process.env.DOCUTRAY_IT_TIMEOUT || '600'));
const GREP = arg('grep', process.env.DOCUTRAY_TEST_GREP || '');
const EXT = path.resolve(arg('ext', h.REPO));
const TESTS = path.resolve(arg('tests', path.join(h.REPO, 'out', 'test', 'integration', 'index.js')));
const STAND_IN_MODULE = arg('stand-in', '');

// Offline noise in the workbench's log that says nothing about the extension under test.
// The workbench's own start-up chatter (it shares the log channel with the extension host).
const CHATTER =
  /^(Creation of workbench contribution|Resolving connection token|Resolved connection token|Creating a socket|\[reconnection-grace-time\]|Updating additional builtin extensions cache|\[Service Worker\]|\[AgentHost|\[AccountPolicyGate\])/;
const NOISE =
  /open-vsx\.org|authentication provider 'github'|vsda|marketplace|ERR_BLOCKED_BY_CLIENT|Failed to fetch|update\.code\.visualstudio\.com|default\.extensionGallery/i;

let stage = 'starting';
const setStage = s => {
  stage = s;
  log(s);
};

async function main() {
  h.installSignalHandlers();
  if (!Number.isFinite(TIMEOUT_S) || TIMEOUT_S <= 0) {
    throw new Error(`bad --timeout ${TIMEOUT_S}`);
  }
  const cache = h.locateCache();
  if (!arg('ext') && !arg('tests')) {
    h.requireBuilt(['dist/extension.js', 'out/test/integration/index.js']);
  }
  if (!fs.existsSync(TESTS)) {
    throw new Error(`${TESTS} not found (npm run compile-tests)`);
  }

  const tmp = h.createRunDir('docutray-it-');
  log(`temp dir ${tmp}${process.env.KEEP_TMP === '1' ? ' (kept: KEEP_TMP=1)' : ''}`);

  setStage('starting the DocuTray stand-in');
  const apiKey = `dt-test-${crypto.randomBytes(6).toString('hex')}`;
  const standIn = STAND_IN_MODULE
    ? await (async () => {
        const s = await require(path.resolve(STAND_IN_MODULE)).startStandIn({ port: 0, apiKeys: [apiKey] });
        h.onCleanup('stand-in', () => s.close());
        return { url: s.url };
      })()
    : await h.startStandIn(apiKey);
  log(`stand-in at ${standIn.url}`);

  const ws = createWorkspace(path.join(tmp, 'workspace')).dir;
  const profile = h.createProfile(path.join(tmp, 'profile'));

  setStage(
    `starting code-server ${cache.versions.codeServer} (VS Code ${cache.versions.vscode}) with the smoke-test driver`,
  );
  const server = await h.startCodeServer({
    cache,
    profile,
    folder: ws,
    smokeTestDriver: true,
    env: {
      DOCUTRAY_BASE_URL: standIn.url,
      DOCUTRAY_API_KEY: apiKey,
      DOCUTRAY_STAND_IN_URL: standIn.url,
      DOCUTRAY_TEST_HOST: 'code-server',
      DOCUTRAY_TEST_VSCODE: cache.versions.vscode,
      // VS Code's log folder (output channels are written below it), for tests that read the extension's log.
      DOCUTRAY_TEST_LOGS_DIR: path.join(profile.userDataDir, 'logs'),
      ...(GREP ? { DOCUTRAY_TEST_GREP: GREP } : {}),
      ...(process.env.DOCUTRAY_TEST_TIMEOUT ? { DOCUTRAY_TEST_TIMEOUT: process.env.DOCUTRAY_TEST_TIMEOUT } : {}),
    },
  });
  log(`code-server at ${server.url} (process group ${server.pid})`);

  setStage('launching chromium');
  const { launchBrowser } = require('../../real-vscode/browser');
  const browser = await launchBrowser(tmp);
  h.onCleanup('chromium', () => browser.close());
  const page = browser.page;

  let resolveExit;
  const exited = new Promise(r => {
    resolveExit = r;
  });
  await page.exposeFunction('codeAutomationExit', code => resolveExit(Number(code)));
  // With the smoke-test driver on, the workbench forwards its log, including the extension host's
  // console (mocha's spec reporter), to window.codeAutomationLog(type, args).
  let hostLines = 0;
  await page.exposeFunction('codeAutomationLog', (type, args) => {
    const text = util.format(...(args || []));
    if (!process.env.VERBOSE && (NOISE.test(text) || CHATTER.test(text))) {
      return;
    }
    if (type !== 'error') {
      hostLines++;
    }
    (type === 'error' ? console.error : console.log)(text.trimEnd());
  });
  page.on('pageerror', e => {
    if (process.env.VERBOSE) {
      console.log('[pageerror]', e.message);
    }
  });
  if (process.env.VERBOSE) {
    page.on('console', m => {
      if (m.type() === 'error') {
        console.log('[page console]', m.text().slice(0, 500));
      }
    });
  }

  setStage('opening the workbench with the extension test payload');
  const url = h.workbenchUrl(server, ws, { extensionDevelopmentPath: EXT, extensionTestsPath: TESTS });
  const tOpen = Date.now();
  await page.goto(url);
  setStage('running the suite in the extension host');
  const code = await exited;
  log(
    `the extension host's test run finished with exit code ${code} after ${((Date.now() - tOpen) / 1000).toFixed(1)} s`,
  );
  if (hostLines === 0) {
    log('warning: no output came back from the extension host');
  }
  if (process.env.SHOT) {
    await page.screenshot({ path: process.env.SHOT }).catch(() => {});
  }
  return code;
}

(async () => {
  let code;
  h.ensureInstalled(log); // before the timer: a first install takes minutes
  const timer = new Promise(r => setTimeout(() => r('timeout'), TIMEOUT_S * 1000).unref());
  try {
    const result = await Promise.race([main(), timer]);
    if (result === 'timeout') {
      console.error(
        `\nTIMEOUT: ${TIMEOUT_S} s passed while ${stage} — no result from the extension host. ` +
          'Rerun with KEEP_TMP=1 VERBOSE=1 to keep the code-server log and see the workbench errors; raise the limit with --timeout SEC or DOCUTRAY_IT_TIMEOUT.',
      );
      code = 2;
    } else {
      code = result;
    }
  } catch (e) {
    if (!h.signalled()) {
      console.error(`\nERROR while ${stage}: ${(e && e.stack) || e}`);
    }
    code = 1;
  }
  if (!h.signalled()) {
    log(code === 0 ? 'INTEGRATION PASSED' : `INTEGRATION FAILED (exit ${code})`);
  }
  await h.finish(code);
})();
