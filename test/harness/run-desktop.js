#!/usr/bin/env node
// Runs the same mocha suite (out/test/integration/index.js) in desktop VS Code through @vscode/test-electron,
// with the DocuTray stand-in and the fixture workspace set up exactly as run-integration.js does.
// @vscode/test-electron downloads VS Code from Microsoft (cached in $DOCUTRAY_VSCODE_CACHE/vscode-desktop);
// on an offline machine that download fails and this runner says so and exits 3 — use
// `npm run test:integration` (VS Code 1.139 via code-server, offline) there.
//
// usage: node test/harness/run-desktop.js [--vscode-version VERSION] [--grep PATTERN]
// env:   VSCODE_EXECUTABLE_PATH (use an installed VS Code instead of downloading), DOCUTRAY_VSCODE_CACHE,
//        DOCUTRAY_TEST_GREP, DOCUTRAY_TEST_TIMEOUT (ms per test), KEEP_TMP=1
// exit:  0 passed, 1 failed or harness error, 3 VS Code desktop could not be downloaded, 130 SIGINT
'use strict';
const crypto = require('crypto');
const fs = require('fs');
const os = require('os');
const path = require('path');
const h = require('../../real-vscode/code-server');
const { createWorkspace } = require('../../real-vscode/workspace');

const log = h.makeLog('desktop');
const argv = process.argv.slice(2);
function arg(name, def) {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 ? argv[i + 1] : def;
}

function cacheDir() {
  const home = process.env.HOME || os.homedir();
  const cache = process.env.DOCUTRAY_VSCODE_CACHE || path.join(home, '.cache', 'docutray-vscode-test');
  return path.join(cache, 'vscode-desktop');
}

/** True when the error comes from fetching VS Code (release list or archive) rather than from the tests. */
function isDownloadFailure(e) {
  const text = `${e && e.message} ${e && e.code} ${e && e.cause && (e.cause.code || e.cause.message)}`;
  return /ENOTFOUND|EAI_AGAIN|ECONNREFUSED|ECONNRESET|ETIMEDOUT|ENETUNREACH|EHOSTUNREACH|getaddrinfo|socket hang up|Failed to get|download|update\.code\.visualstudio\.com|No downloaded version|TimeoutError|timed out/i.test(
    text,
  );
}

async function main() {
  const { runTests } = require('@vscode/test-electron');
  const grep = arg('grep', process.env.DOCUTRAY_TEST_GREP || '');
  h.requireBuilt(['dist/extension.js', 'out/test/integration/index.js']);
  const tmp = h.createRunDir('docutray-desktop-');
  log(`temp dir ${tmp}`);
  const apiKey = `dt-test-${crypto.randomBytes(6).toString('hex')}`;
  const standIn = await h.startStandIn(apiKey);
  log(`stand-in at ${standIn.url}`);
  const ws = createWorkspace(path.join(tmp, 'workspace')).dir;
  const profile = h.createProfile(path.join(tmp, 'profile')); // user settings incl. docutray.steps

  const cachePath = cacheDir();
  fs.mkdirSync(cachePath, { recursive: true });
  const options = {
    extensionDevelopmentPath: h.REPO,
    extensionTestsPath: path.join(h.REPO, 'out', 'test', 'integration', 'index.js'),
    launchArgs: [
      ws,
      '--disable-extensions',
      '--user-data-dir',
      profile.userDataDir,
      '--extensions-dir',
      profile.extensionsDir,
    ],
    extensionTestsEnv: {
      DOCUTRAY_BASE_URL: standIn.url,
      DOCUTRAY_API_KEY: apiKey,
      DOCUTRAY_STAND_IN_URL: standIn.url,
      DOCUTRAY_TEST_HOST: 'desktop',
      DOCUTRAY_TEST_LOGS_DIR: path.join(profile.userDataDir, 'logs'),
      ...(grep ? { DOCUTRAY_TEST_GREP: grep } : {}),
      ...(process.env.DOCUTRAY_TEST_TIMEOUT ? { DOCUTRAY_TEST_TIMEOUT: process.env.DOCUTRAY_TEST_TIMEOUT } : {}),
    },
    cachePath,
    timeout: 15000,
  };
  if (process.env.VSCODE_EXECUTABLE_PATH) {
    options.vscodeExecutablePath = process.env.VSCODE_EXECUTABLE_PATH;
  } else if (arg('vscode-version')) {
    options.version = arg('vscode-version');
  }
  log(
    options.vscodeExecutablePath
      ? `using ${options.vscodeExecutablePath}`
      : `getting VS Code ${options.version || 'stable'} (cache ${cachePath})`,
  );
  try {
    await runTests(options);
    return 0;
  } catch (e) {
    if (h.signalled()) {
      return 130;
    }
    if ((e && e.name === 'TestRunFailedError') || /Test run (failed|terminated)/.test(e && e.message)) {
      log(`the suite failed: ${e.message}`);
      return 1;
    }
    if (!options.vscodeExecutablePath && isDownloadFailure(e)) {
      console.error(
        `\nVS Code desktop could not be downloaded (${e && e.message}).\n` +
          '  This is expected on an offline machine: @vscode/test-electron fetches VS Code from update.code.visualstudio.com.\n' +
          '  Run the same suite offline in VS Code 1.139 (code-server) with `npm run test:integration`,\n' +
          '  or point VSCODE_EXECUTABLE_PATH at an installed VS Code.',
      );
      return 3;
    }
    throw e;
  }
}

(async () => {
  h.installSignalHandlers();
  let code;
  try {
    code = await main();
  } catch (e) {
    if (!h.signalled()) {
      console.error(`\nERROR: ${(e && e.stack) || e}`);
    }
    code = 1;
  }
  if (!h.signalled()) {
    log(code === 0 ? 'DESKTOP TESTS PASSED' : `DESKTOP TESTS FAILED (exit ${code})`);
  }
  await h.finish(code);
})();
