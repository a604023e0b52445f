#!/usr/bin/env node
// Benchmark child (part 3 of `npm run bench`, or alone): sizes, and activation in the real extension host.
//   1. `vsce package` (which runs `node esbuild.mjs --production`) → the VSIX and its size, and the sizes
//      of dist/extension.js (what activation loads) and dist/runtime.js (loaded on first use).
//   2. code-server (VS Code 1.139) with that VSIX and a Hello World extension (the probe, below)
//      installed, the fixture workspace, and DOCUTRAY_BASE_URL/DOCUTRAY_API_KEY at a stand-in; chromium
//      opens the window, both extensions activate on onStartupFinished, the probe writes the host's
//      figures; the page is reloaded (a new extension host) and read again, `--samples` times in all.
//   3. A screenshot of Developer: Show Running Extensions.
// Prints progress on stderr and one JSON line on stdout: { sizes, activation } or { skipped, reason }.
// Every process it starts runs in its own process group and is ended by it; the temp dir is removed.
//
// usage: node bench/activation-run.js [--samples 11] [--screenshot <png>]
'use strict';
const crypto = require('crypto');
const fs = require('fs');
const path = require('path');
const h = require('../real-vscode/code-server');

const argv = process.argv.slice(2);
const argVal = (name, def) => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 ? argv[i + 1] : def;
};
const SAMPLES = Number(argVal('samples', '11'));
const SCREENSHOT = argVal('screenshot', path.join(h.REPO, 'test-output', 'bench', 'running-extensions.png'));
const log = (...a) => process.stderr.write(`  [activation] ${a.join(' ')}\n`);

const VSCE = path.join(h.REPO, 'node_modules', '@vscode', 'vsce', 'vsce');

/** `vsce package` (its vscode:prepublish runs `node esbuild.mjs --production`), then the sizes. */
async function sizes(tmp) {
  const vsix = path.join(tmp, 'x.vsix');
  const pack = await h.runGrouped(process.execPath, [VSCE, 'package', '--no-dependencies', '-o', vsix], {
    cwd: h.REPO,
    logFile: path.join(tmp, 'vsce.log'),
    timeoutMs: 240000,
  });
  if (pack.code !== 0 || !fs.existsSync(vsix)) {
    throw new Error(`vsce package exited ${pack.code}:\n${pack.output.slice(-2000)}`);
  }
  const bytes = name => fs.statSync(path.join(h.REPO, 'dist', name)).size;
  return {
    vsix,
    entryBytes: bytes('extension.js'),
    runtimeBytes: bytes('runtime.js'),
    vsixBytes: fs.statSync(vsix).size,
  };
}

/**
 * The smallest real extension — yo code's "Hello World": it loads the `vscode` API and registers one
 * command. Activated like ours (onStartupFinished) in the same window, it is the floor every extension
 * pays in this host; ours minus it is what our code costs.
 *
 * It is also the probe. The time Running Extensions shows starts before an `await` (the host fetches
 * localized messages), so it includes whatever else the single-threaded host runs meanwhile — at
 * onStartupFinished that is Git, GitHub, Emmet… activating too. The host's own performance marks
 * (globalThis.MonacoPerformanceMarks, shared by everything in the host) bracket just the require:
 * `willLoadExtensionCode`→`didLoadExtensionCode` (including the `vscode` API object made for it). The
 * activate() call is the host's activateCallTime, read from Developer: Startup Performance (its
 * will/didActivateExtension marks span every extension activated in the same batch). A few seconds
 * after start-up the probe writes both to $ACTIVATION_PROBE_DIR.
 */
async function baselineVsix(tmp) {
  const dir = path.join(tmp, 'baseline');
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(
    path.join(dir, 'package.json'),
    JSON.stringify(
      {
        name: 'activation-baseline',
        displayName: 'Activation Baseline',
        publisher: 'docutray-bench',
        version: '0.0.1',
        description: 'Hello World: the activation floor.',
        license: 'MIT',
        engines: { vscode: '^1.95.0' },
        main: './extension.js',
        activationEvents: ['onStartupFinished'],
      },
      null,
      2,
    ),
  );
  fs.writeFileSync(
    path.join(dir, 'extension.js'),
    [
      "'use strict';",
      "const vscode = require('vscode');",
      'exports.activate = function (context) {',
      "  context.subscriptions.push(vscode.commands.registerCommand('activationBaseline.hello', () => vscode.window.showInformationMessage('Hello')));",
      '  const dir = process.env.ACTIVATION_PROBE_DIR;',
      '  if (!dir) { return; }',
      '  setTimeout(async () => {',
      '    const marks = globalThis.MonacoPerformanceMarks.getMarks().filter(m => /^code\\/extHost\\/(will|did)LoadExtensionCode\\//.test(m.name));',
      "    let perf = '';",
      '    try {',
      "      await vscode.commands.executeCommand('perfview.show');",
      "      const doc = await vscode.workspace.openTextDocument(vscode.Uri.from({ scheme: 'perf', path: 'Startup Performance' }));",
      "      for (let i = 0; i < 80 && !doc.getText().includes('Extension Activation Stats'); i++) { await new Promise(r => setTimeout(r, 250)); } // it says Loading... first",
      '      perf = doc.getText();',
      '    } catch (e) { perf = String(e); }',
      "    await vscode.commands.executeCommand('workbench.action.closeAllEditors'); // not restored, so the next window starts as this one did",
      "    const file = require('path').join(dir, `marks-${process.pid}-${Date.now()}.json`);",
      "    require('fs').writeFileSync(file + '.tmp', JSON.stringify({ marks, perf }));",
      "    require('fs').renameSync(file + '.tmp', file);",
      '  }, 3000);',
      '};',
      '',
    ].join('\n'),
  );
  fs.writeFileSync(path.join(dir, 'LICENSE'), 'MIT\n');
  const vsix = path.join(tmp, 'baseline.vsix');
  const pack = await h.runGrouped(
    process.execPath,
    [VSCE, 'package', '--no-dependencies', '--allow-missing-repository', '--skip-license', '-o', vsix],
    { cwd: dir, logFile: path.join(tmp, 'vsce-baseline.log'), timeoutMs: 120000 },
  );
  if (pack.code !== 0 || !fs.existsSync(vsix)) {
    throw new Error(`vsce package (baseline) exited ${pack.code}:\n${pack.output.slice(-2000)}`);
  }
  return vsix;
}

const IDS = { ours: 'docutray-community.docutray-steps', baseline: 'docutray-bench.activation-baseline' };
/** Opens Developer: Show Running Extensions and waits until our row shows its activation time. */
async function showRunningExtensions(page, wb) {
  await wb.runFromPalette(page, 'Developer: Show Running Extensions');
  await page
    .locator('.monaco-list-row', { has: page.locator('.name', { hasText: 'DocuTray Steps' }) })
    .locator('.activation-time', { hasText: /\d+\s*ms/ })
    .waitFor({ timeout: 45000 });
}

/** The row of "Extension Activation Stats" in Developer: Startup Performance for `id`. */
function statsRow(perf, id) {
  const row = perf.split('\n').find(l => l.startsWith(`| ${id} `));
  if (!row) {
    return null;
  }
  const [, eager, load, call, finish] = row
    .split('|')
    .map(c => c.trim())
    .slice(1);
  return { eager: eager === 'true', load: Number(load), call: Number(call), finish: Number(finish) };
}

/**
 * Waits for the probe's next file (one per extension host) and returns, per extension: `load`, the
 * synchronous require of its code (the host's marks); `call`, the synchronous activate() call (the
 * host's activateCallTime); `total`, their sum; `shown`, what Running Extensions shows (the host's
 * codeLoadingTime, which includes waiting behind other extensions, plus the call).
 */
async function probeTimes(dir, seen) {
  const until = Date.now() + 90000;
  for (;;) {
    const fresh = fs.readdirSync(dir).filter(f => f.endsWith('.json') && !seen.has(f));
    if (fresh.length > 0) {
      seen.add(fresh[0]);
      const { marks, perf } = JSON.parse(fs.readFileSync(path.join(dir, fresh[0]), 'utf8'));
      const at = name => {
        const m = marks.find(x => x.name === name);
        return m ? m.startTime : NaN;
      };
      const out = {};
      for (const [key, id] of Object.entries(IDS)) {
        const load = at(`code/extHost/didLoadExtensionCode/${id}`) - at(`code/extHost/willLoadExtensionCode/${id}`);
        const stats = statsRow(perf, id);
        if (!Number.isFinite(load) || !stats || !Number.isFinite(stats.call)) {
          throw new Error(
            `no activation figures for ${id} in ${fresh[0]}: load ${load}, Startup Performance says ${perf.slice(0, 300)}`,
          );
        }
        out[key] = { load, call: stats.call, total: load + stats.call, shown: stats.load + stats.call };
      }
      return out;
    }
    if (Date.now() > until) {
      throw new Error(`the probe wrote nothing to ${dir} within 90 s`);
    }
    await new Promise(r => setTimeout(r, 250));
  }
}

/**
 * On a 2-core machine the browser's rendering and code-server relaying the window's messages take the CPU
 * from the extension host at random moments, adding whole time slices to a few-millisecond measurement.
 * So code-server (every process in its group: the VS Code server it forks relays those messages), the
 * browser and this process are confined to CPU 0 (taskset), and each new extension host may use both
 * CPUs: its main thread finds CPU 1 free, and its own helper threads (GC, compilers) need not queue
 * behind it (confining the host to CPU 1 alone made the figures worse). Both extensions measured run in
 * the same host.
 */
const CAN_PIN = (() => {
  if (require('os').cpus().length < 2) {
    return false;
  }
  try {
    require('child_process').execFileSync('taskset', ['-p', String(process.pid)], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();
const taskset = (cpu, pid) =>
  require('child_process').execFileSync('taskset', ['-a', '-p', '-c', String(cpu), String(pid)], { stdio: 'ignore' });

/** The processes in process group `pgid` (code-server's: its entry, the VS Code server it forks, their helpers). */
function groupProcesses(pgid) {
  const found = [];
  for (const p of fs.readdirSync('/proc').filter(x => /^\d+$/.test(x))) {
    try {
      const stat = fs.readFileSync(`/proc/${p}/stat`, 'utf8');
      if (Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[2]) === pgid) {
        found.push(Number(p));
      }
    } catch {
      // the process ended meanwhile
    }
  }
  return found;
}

/** Processes in process group `pgid` whose command line has `--type=extensionHost`. */
function extensionHosts(pgid) {
  return groupProcesses(pgid).filter(p => {
    try {
      return fs.readFileSync(`/proc/${p}/cmdline`, 'utf8').split('\0').includes('--type=extensionHost');
    } catch {
      return false;
    }
  });
}

/** Waits for the extension host the window just started and lets it use both CPUs again. */
async function pinNewExtensionHost(pgid, seen) {
  const until = Date.now() + 30000;
  for (;;) {
    const fresh = extensionHosts(pgid).filter(p => !seen.has(p));
    if (fresh.length === 1) {
      seen.add(fresh[0]);
      taskset('0,1', fresh[0]); // its own threads (GC, compilers) may use either CPU; the main one finds CPU 1 free
      return fresh[0];
    }
    if (Date.now() > until) {
      throw new Error(
        `no new extension host in process group ${pgid} within 30 s (found ${fresh.join(', ') || 'none'})`,
      );
    }
    await new Promise(r => setTimeout(r, 20));
  }
}

/** Opens one window and reads the activation times `samples` times, reloading the page between. */
async function measureHost({ cache, tmp, ws, profile, env }) {
  const probeDir = path.join(tmp, 'probe');
  fs.mkdirSync(probeDir);
  const server = await h.startCodeServer({
    cache,
    profile,
    folder: ws,
    smokeTestDriver: false,
    env: { ...env, ACTIVATION_PROBE_DIR: probeDir },
  });
  log(`code-server ${server.url} (process group ${server.pid})`);
  if (CAN_PIN) {
    // Every process code-server has started so far: its entry process forks the VS Code server, which
    // relays the window's messages and starts the extension hosts; what they start later inherits CPU 0.
    for (const p of groupProcesses(server.pid)) {
      try {
        taskset(0, p);
      } catch {
        /* ended meanwhile */
      }
    }
    taskset(0, process.pid); // and so the browser it launches
  }
  log(
    CAN_PIN
      ? 'pinned: code-server, the browser and this process to CPU 0; each extension host to CPUs 0-1'
      : 'not pinned (needs taskset and 2 CPUs)',
  );
  const hosts = new Set();
  const { launchBrowser } = require('../real-vscode/browser');
  const wb = require('../test/e2e/workbench');
  const browser = await launchBrowser(path.join(tmp, 'browser'));
  h.onCleanup('chromium', () => browser.close());
  const page = browser.page;
  page.setDefaultTimeout(20000);
  const samples = [];
  const seen = new Set();
  for (let i = 0; i < SAMPLES; i++) {
    // A page reload gives the window a new extension host, as "Developer: Reload Window" does.
    const loaded = i === 0 ? page.goto(h.workbenchUrl(server, ws)) : page.reload({ waitUntil: 'load', timeout: 60000 });
    if (CAN_PIN) {
      await pinNewExtensionHost(server.pid, hosts);
    }
    await loaded;
    await page.locator('.explorer-folders-view .monaco-list-row').first().waitFor({ timeout: 60000 });
    const t = await probeTimes(probeDir, seen);
    log(
      `sample ${i + 1}: ours ${t.ours.load} + ${t.ours.call} ms, Hello World ${t.baseline.load} + ${t.baseline.call} ms (load + activate call); Running Extensions shows ${t.ours.shown} / ${t.baseline.shown} ms`,
    );
    samples.push(t);
  }
  await showRunningExtensions(page, wb);
  await wb.parkMouse(page);
  fs.mkdirSync(path.dirname(SCREENSHOT), { recursive: true });
  await page.screenshot({ path: SCREENSHOT });
  log(`screenshot ${path.relative(h.REPO, SCREENSHOT)}`);
  await browser.close();
  await server.stop();
  return samples;
}

async function main() {
  h.installSignalHandlers();
  let cache;
  try {
    cache = h.ensureInstalled(log);
  } catch (e) {
    return {
      skipped: true,
      reason: `real-VS-Code harness cache missing — run npm run setup:vscode (${e.message.split('\n')[0]})`,
    };
  }
  const { CHROMIUM } = require('../real-vscode/browser');
  if (!fs.existsSync(CHROMIUM)) {
    return { skipped: true, reason: `${CHROMIUM} not found — run npm run setup:vscode` };
  }
  const tmp = h.createRunDir('docutray-bench-activation-');
  log('packaging the VSIX (production bundles)');
  const s = await sizes(tmp);
  log(`bundles ${s.entryBytes} B (activation) + ${s.runtimeBytes} B (on first use), VSIX ${s.vsixBytes} B`);
  const baseline = await baselineVsix(tmp);
  const apiKey = `dt-bench-${crypto.randomBytes(6).toString('hex')}`;
  const standIn = await h.startStandIn(apiKey);
  const { createWorkspace } = require('../real-vscode/workspace');
  const ws = createWorkspace(path.join(tmp, 'workspace')).dir;
  const profile = h.createProfile(path.join(tmp, 'profile'));
  await h.installExtension(cache, profile, s.vsix);
  await h.installExtension(cache, profile, baseline);
  const env = { DOCUTRAY_BASE_URL: standIn.url, DOCUTRAY_API_KEY: apiKey };
  const samples = await measureHost({ cache, tmp, ws, profile, env });
  await standIn.close();
  return {
    sizes: { entryBytes: s.entryBytes, runtimeBytes: s.runtimeBytes, vsixBytes: s.vsixBytes },
    samples,
    pinned: CAN_PIN,
    vscode: `code-server ${cache.versions.codeServer}`,
    screenshot: path.relative(h.REPO, SCREENSHOT),
  };
}

main().then(
  async r => {
    process.stdout.write(`${JSON.stringify(r)}\n`);
    await h.finish(0);
  },
  async e => {
    process.stderr.write(`activation benchmark failed: ${(e && e.message) || e}\n`);
    await h.finish(1);
  },
);
