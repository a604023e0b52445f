#!/usr/bin/env node
// What F5's "Extension Tests" (.vscode/launch.json) needs around desktop VS Code, which launch.json alone
// cannot give: the DocuTray stand-in, the fixture workspace and a throwaway profile with the test settings,
// as run-integration.js sets them up for code-server. Two tasks of .vscode/tasks.json run it:
//
//   node test/harness/f5.js stand-in   (background task) starts the stand-in on a free port with a new test key
//                                      and writes .vscode-test/f5/env, the launch's envFile: DOCUTRAY_BASE_URL,
//                                      DOCUTRAY_API_KEY, DOCUTRAY_STAND_IN_URL, DOCUTRAY_TEST_HOST,
//                                      DOCUTRAY_TEST_LOGS_DIR. Runs until the task is stopped.
//   node test/harness/f5.js fresh      (before every launch) a new fixture workspace and profile under
//                                      .vscode-test/f5/, and the running stand-in reset, so each F5 starts
//                                      where run-integration.js does.
//
// It builds nothing: the "watch" task compiles out/ (the suite, the stand-in) and bundles dist/.
'use strict';
const fs = require('fs');
const path = require('path');
const crypto = require('crypto');
const h = require('../../real-vscode/code-server');
const { createWorkspace } = require('../../real-vscode/workspace');

const F5 = path.join(h.REPO, '.vscode-test', 'f5');
const ENV_FILE = path.join(F5, 'env');
const WORKSPACE = path.join(F5, 'workspace');
const PROFILE = path.join(F5, 'profile');
// Where h.createProfile(PROFILE) puts them; launch.json names them (test/unit/project/vscode-folder.test.ts checks).
const USER_DATA_DIR = path.join(PROFILE, 'user-data');
const EXTENSIONS_DIR = path.join(PROFILE, 'extensions');
const log = (...a) => console.log('[f5]', ...a);

/** The problem matcher in tasks.json reads this shape. */
function fail(message) {
  console.error(`test/harness/f5.js: error: ${message}`);
  process.exit(1);
}

async function standIn() {
  log('starting the DocuTray stand-in');
  h.installSignalHandlers();
  h.requireBuilt(['out/stand-in/server.js']);
  const apiKey = `dt-test-${crypto.randomBytes(6).toString('hex')}`;
  const s = await h.startStandIn(apiKey);
  fs.mkdirSync(F5, { recursive: true });
  const env = {
    DOCUTRAY_BASE_URL: s.url,
    DOCUTRAY_API_KEY: apiKey,
    DOCUTRAY_STAND_IN_URL: s.url,
    DOCUTRAY_TEST_HOST: 'desktop',
    DOCUTRAY_TEST_LOGS_DIR: path.join(USER_DATA_DIR, 'logs'),
  };
  fs.writeFileSync(
    ENV_FILE,
    Object.entries(env)
      .map(([k, v]) => `${k}=${v}\n`)
      .join(''),
  );
  h.onCleanup('env file', () => fs.rmSync(ENV_FILE, { force: true }));
  // The background pattern in tasks.json ends the task's start-up at this line.
  log(`stand-in ready at ${s.url} (${path.relative(h.REPO, ENV_FILE)} written); stop this task to end it`);
}

async function fresh() {
  fs.rmSync(WORKSPACE, { recursive: true, force: true });
  fs.rmSync(PROFILE, { recursive: true, force: true });
  createWorkspace(WORKSPACE);
  const profile = h.createProfile(PROFILE);
  if (profile.userDataDir !== USER_DATA_DIR || profile.extensionsDir !== EXTENSIONS_DIR) {
    fail(
      `the profile's layout changed (${profile.userDataDir}, ${profile.extensionsDir}): update f5.js and launch.json`,
    );
  }
  log(`fresh workspace ${path.relative(h.REPO, WORKSPACE)} and profile ${path.relative(h.REPO, PROFILE)}`);
  const url = fs.existsSync(ENV_FILE) && /^DOCUTRAY_STAND_IN_URL=(.*)$/m.exec(fs.readFileSync(ENV_FILE, 'utf8'))?.[1];
  const reset = url && (await fetch(`${url}/__stand-in/reset`, { method: 'POST' }).catch(() => undefined));
  if (!reset || !reset.ok) {
    fail(
      `no stand-in answers${url ? ` at ${url}` : ''}: run the task "extension tests: stand-in" (F5's preLaunchTask does)`,
    );
  }
  log(`stand-in at ${url} reset`);
}

module.exports = { ENV_FILE, WORKSPACE, USER_DATA_DIR, EXTENSIONS_DIR };

if (require.main === module) {
  const mode = process.argv[2];
  if (mode === 'stand-in') {
    standIn().catch(e => fail((e && e.message) || String(e)));
  } else if (mode === 'fresh') {
    fresh().catch(e => fail((e && e.message) || String(e)));
  } else {
    fail('usage: node test/harness/f5.js stand-in|fresh');
  }
}
