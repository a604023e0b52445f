#!/usr/bin/env node
// Two windows are real: code-server serves several browser windows on one user-data directory, each
// with its own extension host, all sharing the extension's global storage. This opens two workspaces
// at once (A and B) in the real web workbench and checks, against the DocuTray stand-in:
//   - A starts a slow run; B opens while it is in flight and does not poll it or mark it "may have
//     started" (no "took over" in any window's log; the run stays A's);
//   - B runs a step at the same time; both windows' Runs views list both runs (each follows the store),
//     and the store keeps both records;
//   - A reloads mid-run: exactly one window takes the run over (one "took over" line in all the logs),
//     it is polled to its end, and DocuTray saw exactly one start;
//   - every result is saved only in the workspace that holds its source (docutray.saveResults.mode
//     "folder"): B's folder never gets A's result, and nothing is saved twice.
// It builds nothing itself: `npm run test:e2e:windows` compiles and bundles first.
//
// usage: node test/e2e/two-windows.js [--timeout SEC] [--headed]
// exit:  0 passed, 1 failed (the stage is named), 2 timeout
'use strict';
const crypto = require('crypto');
const fs = require('fs');
const path = require('path');
const h = require('../../real-vscode/code-server');
const { createWorkspace, FILES } = require('../../real-vscode/workspace');
const wb = require('./workbench');
const { script } = require('./script');

const run = script('TWO-WINDOWS E2E', { logName: 'two-windows', defaultTimeoutS: 360 });
const { log, step, until } = run;
const HEADED = run.headed;
const SHOTS = path.join(h.REPO, 'test-output', 'e2e-two-windows');
const EXT_ID = 'docutray-community.docutray-steps';

const pages = {};

/** The unpacked extension, as `--install-extension` lays it out (faster than packaging a VSIX). */
function copyInstall(extensionsDir) {
  const pkg = JSON.parse(fs.readFileSync(path.join(h.REPO, 'package.json'), 'utf8'));
  const dest = path.join(extensionsDir, `${pkg.publisher}.${pkg.name}-${pkg.version}`);
  fs.mkdirSync(dest, { recursive: true });
  for (const f of fs
    .readdirSync(h.REPO)
    .filter(
      f =>
        ['package.json', 'dist', 'media', 'l10n', 'README.md', 'CHANGELOG.md', 'LICENSE'].includes(f) ||
        /^package\.nls.*\.json$/.test(f),
    )) {
    fs.cpSync(path.join(h.REPO, f), path.join(dest, f), { recursive: true });
  }
}

/** Every window's DocuTray log, joined (each extension host writes its own). */
function extensionLogs(userDataDir) {
  const found = [];
  const walk = d => {
    for (const e of fs.existsSync(d) ? fs.readdirSync(d, { withFileTypes: true }) : []) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) {
        walk(p);
      } else if (e.name === 'DocuTray.log') {
        found.push(p);
      }
    }
  };
  walk(path.join(userDataDir, 'logs'));
  return found.map(f => ({ file: f, text: fs.readFileSync(f, 'utf8') }));
}

const showRows = rows => (rows.length ? rows.map(r => `"${r.label}" [${r.description}]`).join(', ') : '(no rows)');

async function main() {
  h.installSignalHandlers();
  const cache = h.locateCache();
  h.requireBuilt(['dist/extension.js', 'dist/runtime.js']);
  fs.mkdirSync(SHOTS, { recursive: true });
  const tmp = h.createRunDir('docutray-two-windows-');
  log(`temp dir ${tmp}`);
  const apiKey = `dt-test-${crypto.randomBytes(6).toString('hex')}`;
  const standIn = await step('starting the DocuTray stand-in', () => h.startStandIn(apiKey));
  const wsA = createWorkspace(path.join(tmp, 'workspace-a')).dir;
  const wsB = createWorkspace(path.join(tmp, 'workspace-b')).dir;
  const profile = h.createProfile(path.join(tmp, 'profile'), {
    'docutray.saveResults.mode': 'folder',
    'docutray.openResult': 'none',
  });
  copyInstall(profile.extensionsDir);
  const storage = path.join(profile.userDataDir, 'User', 'globalStorage', EXT_ID);

  const server = await step('starting code-server', () =>
    h.startCodeServer({
      cache,
      profile,
      folder: wsA,
      smokeTestDriver: false,
      env: { DOCUTRAY_BASE_URL: standIn.url, DOCUTRAY_API_KEY: apiKey },
    }),
  );
  const { launchBrowser } = require('../../real-vscode/browser');
  const browser = await step('launching chromium', () =>
    launchBrowser(tmp, { headless: !HEADED, viewport: { width: 1100, height: 760 } }),
  );
  h.onCleanup('chromium', () => browser.close());
  pages.A = browser.page;
  pages.A.setDefaultTimeout(20000);

  const openWindow = async (page, ws) => {
    await page.goto(h.workbenchUrl(server, ws));
    await wb.explorerRow(page, FILES.pdf).waitFor({ timeout: 60000 });
    await page.waitForTimeout(1500);
  };
  const runFromExplorer = async (page, file, stepName) => {
    const item = await wb.openExplorerMenu(page, file, { expect: 'Run DocuTray Step…' });
    await wb.clickMenuItem(page, item);
    await wb.pick(page, stepName);
  };
  const slowScript = standIn.standIn.steps().find(s => s.id === 'example-slow');
  const executions = () => (standIn.standIn.executions ? standIn.standIn.executions() : []);

  await step('window A opens workspace A', () => openWindow(pages.A, wsA));

  let slow;
  await step('A starts "Slow (example)" on sample.pdf; the stand-in has it PROCESSING', async () => {
    standIn.standIn.setSteps({ ...slowScript, processingMs: 100000 }); // long enough to outlast the steps up to the reload
    await runFromExplorer(pages.A, FILES.pdf, 'Slow (example)');
    slow = await until(() => executions().find(e => e.stepId === 'example-slow' && e.status === 'PROCESSING'), {
      timeout: 30000,
      message: () =>
        `no PROCESSING example-slow execution: ${JSON.stringify(executions().map(e => [e.stepId, e.status]))}`,
    });
    standIn.standIn.setSteps(slowScript);
    log(`  execution ${slow.id}`);
  });

  await step("window B opens workspace B while A's run is in flight", async () => {
    pages.B = await browser.context.newPage();
    pages.B.setDefaultTimeout(20000);
    await openWindow(pages.B, wsB);
  });

  await step('B runs "Invoice (example)" on sample.png; its result is saved in workspace B only', async () => {
    await runFromExplorer(pages.B, FILES.png, 'Invoice (example)');
    const saved = path.join(wsB, 'docutray-results', `${FILES.png}.example-invoice.json`);
    await until(() => fs.existsSync(saved), { timeout: 30000, message: () => `${saved} was not written` });
    if (fs.existsSync(path.join(wsA, 'docutray-results', `${FILES.png}.example-invoice.json`))) {
      throw new Error("B's result was saved in workspace A");
    }
  });

  await step("neither window took A's run over while A is alive (B did not poll it nor mark it)", async () => {
    await new Promise(r => setTimeout(r, 6000)); // more than a heartbeat
    const logs = extensionLogs(profile.userDataDir);
    const tookOver = logs.filter(l => /took over run/.test(l.text));
    if (tookOver.length) {
      throw new Error(`a window took over a run whose window is alive: ${tookOver.map(l => l.file).join(', ')}`);
    }
    const resumed = logs.filter(l => /resuming execution/.test(l.text));
    if (resumed.length) {
      throw new Error(`a window polls the run another live window drives: ${resumed.map(l => l.file).join(', ')}`);
    }
    if (logs.some(l => /marked "may have started"/.test(l.text))) {
      throw new Error('a window marked a run "may have started"');
    }
    log(`  ${logs.length} extension-host log(s), none took a run over`);
  });

  await step("both windows' Runs views list both runs; the store holds both records", async () => {
    for (const name of ['A', 'B']) {
      const page = pages[name];
      await wb.showViewContainer(page, 'DocuTray', wb.treeRow(page, FILES.png, null));
      await until(
        async () => {
          const rows = await wb.treeRows(page);
          return (
            rows.some(r => r.label === FILES.pdf && /Slow \(example\)/.test(r.description)) &&
            rows.some(r => r.label === FILES.png && /Invoice \(example\)/.test(r.description))
          );
        },
        {
          timeout: 15000,
          message: async () => `window ${name}'s Runs view lacks a run: ${showRows(await wb.treeRows(page))}`,
        },
      );
      await page.screenshot({ path: path.join(SHOTS, `runs-view-${name}.png`) });
    }
    const records = fs
      .readdirSync(path.join(storage, 'runs'))
      .filter(n => n.endsWith('.json'))
      .map(n => JSON.parse(fs.readFileSync(path.join(storage, 'runs', n), 'utf8')));
    if (records.length !== 2) {
      throw new Error(`the store holds ${records.length} run records, expected 2`);
    }
  });

  const seqBefore = Math.max(0, ...standIn.standIn.requests().map(r => r.seq));
  await step('A reloads mid-run: exactly one window takes the run over and polls it to its end', async () => {
    const now = executions().find(e => e.id === slow.id);
    if (!now || now.status !== 'PROCESSING') {
      throw new Error(
        `the slow execution is no longer in flight before the reload (${now && now.status}): the machine was too slow for this test`,
      );
    }
    await pages.A.bringToFront();
    const reloaded = pages.A.waitForEvent('load', { timeout: 30000 });
    await wb.runFromPalette(pages.A, 'Developer: Reload Window');
    await reloaded;
    const done = await until(
      () => executions().find(e => e.id === slow.id && e.status === 'SUCCESS' && e.terminalServedAt),
      {
        timeout: 150000,
        message: () =>
          `the slow execution was not followed to its end: ${JSON.stringify(executions().find(e => e.id === slow.id))}`,
      },
    );
    await until(
      () => {
        const rec = fs
          .readdirSync(path.join(storage, 'runs'))
          .filter(n => n.endsWith('.json'))
          .map(n => JSON.parse(fs.readFileSync(path.join(storage, 'runs', n), 'utf8')))
          .find(r => r.executionId === slow.id);
        return rec && rec.state === 'SUCCESS';
      },
      { timeout: 15000, message: () => 'the run record did not become SUCCESS' },
    );
    const logs = extensionLogs(profile.userDataDir);
    const takeovers = logs.flatMap(l =>
      (l.text.match(/took over run [^\n]*/g) || []).map(m => `${path.relative(profile.userDataDir, l.file)}: ${m}`),
    );
    log(`  ${takeovers.join('\n  ') || '(no takeover)'}`);
    for (const l of logs) {
      log(
        `  ${path.relative(profile.userDataDir, l.file)}:\n    ${l.text
          .split('\n')
          .filter(x => /sample\.pdf|took over|resum|execution exec/.test(x))
          .join('\n    ')}`,
      );
    }
    if (takeovers.length !== 1) {
      throw new Error(`${takeovers.length} windows took the run over, expected exactly 1`);
    }
    const starts = standIn.standIn
      .requests()
      .filter(r => r.method === 'POST' && r.path === '/api/steps-async/example-slow').length;
    if (starts !== 1) {
      throw new Error(`DocuTray saw ${starts} starts of the slow step, expected 1`);
    }
    const polls = standIn.standIn
      .requests()
      .filter(r => r.seq > seqBefore && r.method === 'GET' && r.path.includes(slow.id)).length;
    log(
      `  ${polls} status request(s) after the reload; terminal answer served at ${new Date(done.terminalServedAt).toISOString()}`,
    );
  });

  await step(
    "A's result is saved only in workspace A, once (or nowhere when B took it over: B holds no folder of A)",
    async () => {
      await new Promise(r => setTimeout(r, 2000));
      const inA = fs.existsSync(path.join(wsA, 'docutray-results'))
        ? fs.readdirSync(path.join(wsA, 'docutray-results'))
        : [];
      const inB = fs.readdirSync(path.join(wsB, 'docutray-results'));
      log(`  workspace A: ${inA.join(', ') || '(nothing)'}; workspace B: ${inB.join(', ')}`);
      if (inB.some(n => n.startsWith(FILES.pdf))) {
        throw new Error(`A's result was saved in workspace B: ${inB.join(', ')}`);
      }
      const slowSaved = inA.filter(n => n.startsWith(`${FILES.pdf}.example-slow`));
      if (slowSaved.length > 1) {
        throw new Error(`A's result was saved more than once: ${inA.join(', ')}`);
      }
      // Who took it over: B's log is the one with B's own run on sample.png.
      const logs = extensionLogs(profile.userDataDir);
      const bLog = logs.find(l => /started for step example-invoice/.test(l.text));
      const byB = !!bLog && /took over run/.test(bLog.text);
      log(
        `  taken over by ${byB ? 'B (no folder of B holds sample.pdf: kept in storage only)' : 'A after its reload (saved in workspace A)'}`,
      );
      if (!byB && slowSaved.length !== 1) {
        throw new Error(`A took its run over but its result is not in workspace A: ${inA.join(', ') || '(nothing)'}`);
      }
      if (inA.some(n => n.startsWith(FILES.png))) {
        throw new Error(`B's result was saved in workspace A: ${inA.join(', ')}`);
      }
    },
  );

  await frozenWindow({ storage, wsA, standIn, profile, openWindow });
  return [];
}

/**
 * A window frozen past its lease while it drives a folder batch: its extension host is stopped (SIGSTOP) right
 * after DocuTray answered one of its starts (the answer not recorded yet, the next start being prepared), for
 * longer than LEASE_MS while B shows the Runs view, then continued. B takes the batch over; A finds out
 * before it sends anything more; a start A had on the wire when it froze records its execution id when the
 * answer arrives, and B polls it. Each document is started once, and each result is recorded.
 */
async function frozenWindow({ storage, wsA, standIn, profile }) {
  const FOLDER = 'frozen';
  const COUNT = 8;
  const hashes = new Map();
  const slowScript = standIn.standIn.steps().find(s => s.id === 'example-slow');
  const batchFile = () => {
    const dir = path.join(storage, 'batches');
    for (const n of fs.existsSync(dir) ? fs.readdirSync(dir).filter(f => /^batch_[^.]+\.json$/.test(f)) : []) {
      const b = JSON.parse(fs.readFileSync(path.join(dir, n), 'utf8'));
      if (b.scope && b.scope.kind === 'folder' && /frozen\/$/.test(b.scope.label)) {
        return b;
      }
    }
    return undefined;
  };
  const startsOf = () => {
    const counts = new Map(standIn.standIn.starts().map(s => [s.hash, s.count]));
    return [...hashes.entries()].map(([name, h]) => [name, counts.get(h) || 0]);
  };
  // Each run as the extension reads it: a record without an execution id whose start receipt has one is in
  // flight (the late answer of a start sent before the takeover), whatever its file still says.
  const runsOf = id =>
    fs
      .readdirSync(path.join(storage, 'runs'))
      .filter(n => n.startsWith(`${id}.`) && n.endsWith('.json'))
      .map(n => {
        const r = JSON.parse(fs.readFileSync(path.join(storage, 'runs', n), 'utf8'));
        const receipt = path.join(storage, 'runs', `${n}.started`);
        return !r.executionId && fs.existsSync(receipt)
          ? { ...r, state: `${r.state}, started as ${JSON.parse(fs.readFileSync(receipt, 'utf8')).executionId}` }
          : r;
      });

  await step(
    `A runs "Slow (example)" on ${FOLDER}/ (${COUNT} PDFs), one upload at a time, each answered 2 s late`,
    async () => {
      fs.mkdirSync(path.join(wsA, FOLDER), { recursive: true });
      for (let i = 0; i < COUNT; i++) {
        const bytes = Buffer.from(
          `%PDF-1.4\n% frozen ${i} ${Date.now()}\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n`,
          'latin1',
        );
        fs.writeFileSync(path.join(wsA, FOLDER, `f${i}.pdf`), bytes);
        hashes.set(`f${i}.pdf`, crypto.createHash('sha256').update(bytes).digest('hex'));
      }
      // One at a time, and each start answered 2 s late: the freeze finds starts still to send, and one on the wire.
      const settings = path.join(profile.userDataDir, 'User', 'settings.json');
      const current = JSON.parse(fs.readFileSync(settings, 'utf8'));
      fs.writeFileSync(settings, JSON.stringify({ ...current, 'docutray.maxConcurrentRuns': 1 }, null, 2));
      standIn.standIn.setSteps({ ...slowScript, enqueuedMs: 200, processingMs: 3000 });
      standIn.standIn.addFaults({
        kind: 'delay',
        ms: 2000,
        count: 1000,
        match: { method: 'POST', path: '/api/steps-async/example-slow' },
      });
      await pages.A.bringToFront();
      await wb.showViewContainer(pages.A, 'Explorer', wb.explorerRow(pages.A, FOLDER));
      const item = await wb.openExplorerMenu(pages.A, FOLDER, { expect: 'Run DocuTray Step…' });
      await wb.clickMenuItem(pages.A, item);
      await wb.pick(pages.A, 'Slow (example)');
      const dialog = pages.A.locator('.monaco-dialog-box').filter({
        hasText: /documents: DocuTray bills (?:about )?\d+ pages?\./,
      });
      await dialog.waitFor({ timeout: 20000 });
      await dialog.getByRole('button', { name: 'Run', exact: true }).click();
    },
  );

  let owner;
  let pid;
  await step(
    "A's extension host is stopped (SIGSTOP) right after a start's answer; B takes the batch over",
    async () => {
      const b = await until(batchFile, { timeout: 10000, message: () => 'no batch file for frozen/' });
      owner = b.owner;
      const presence = JSON.parse(fs.readFileSync(path.join(storage, 'windows', `${owner}.json`), 'utf8'));
      pid = presence.pid;
      // The moment the stand-in has answered A's second start: A has the answer (or is reading it) and has not
      // recorded it yet, and with one upload at a time its next start is being prepared.
      const answered = () =>
        standIn.standIn
          .requests()
          .filter(r => r.method === 'POST' && r.path === '/api/steps-async/example-slow' && r.status === 202).length;
      await until(() => answered() >= 2, {
        timeout: 60000,
        interval: 2,
        message: () => `A did not start two documents: ${JSON.stringify(startsOf())}`,
      });
      process.kill(pid, 'SIGSTOP');
      log(
        `  batch ${b.id} driven by window ${owner} (extension host pid ${pid}) stopped right after start answer 2; starts so far: ${JSON.stringify(startsOf())}`,
      );
      h.onCleanup('continue the stopped extension host', () => {
        try {
          process.kill(pid, 'SIGCONT');
        } catch {
          // already gone
        }
      });
      await until(() => (batchFile() || {}).owner !== owner, {
        timeout: 90000,
        interval: 1000,
        message: () => `no window took the batch over while A was stopped: owner ${(batchFile() || {}).owner}`,
      });
      log(`  taken over by window ${batchFile().owner}; starts: ${JSON.stringify(startsOf())}`);
      // Keep A stopped a little longer: B is driving now.
      await new Promise(r => setTimeout(r, 3000));
      process.kill(pid, 'SIGCONT');
    },
  );

  await step('A continues: each document is started once, and each result is recorded', async () => {
    const b = batchFile();
    // On a failure: what each window said about this batch, and which start receipts are on disk.
    const diagnose = () => {
      for (const l of extensionLogs(profile.userDataDir)) {
        const lines = l.text.split('\n').filter(t => t.includes(b.id) || /frozen\/|f\d\.pdf/.test(t));
        log(`  ${path.relative(profile.userDataDir, l.file)}:\n${lines.map(t => `    ${t}`).join('\n')}`);
      }
      const receipts = fs
        .readdirSync(path.join(storage, 'runs'))
        .filter(n => n.startsWith(`${b.id}.`) && n.endsWith('.started'));
      log(`  start receipts: ${receipts.join(', ') || 'none'}`);
    };
    try {
      const runs = await until(
        () => {
          const r = runsOf(b.id);
          return (
            r.length >= COUNT &&
            r.every(x => ['SUCCESS', 'ERROR', 'failed', 'unavailable', 'mayHaveStarted'].includes(x.state)) &&
            r
          );
        },
        {
          timeout: 180000,
          interval: 1000,
          message: () => `the batch did not end: ${JSON.stringify(runsOf(b.id).map(r => [r.sourceName, r.state]))}`,
        },
      );
      const starts = startsOf();
      log(`  starts: ${starts.map(([n, c]) => `${n} ×${c}`).join(', ')}`);
      log(`  runs: ${runs.map(r => `${r.sourceName} ${r.state}`).join(', ')}`);
      const twice = starts.filter(([, c]) => c > 1);
      if (twice.length) {
        throw new Error(`documents started more than once: ${JSON.stringify(twice)}`);
      }
      const notDone = runs.filter(r => r.state !== 'SUCCESS');
      if (notDone.length || runs.length !== COUNT || starts.some(([, c]) => c !== 1)) {
        throw new Error(
          `every document should be started once and recorded: ${JSON.stringify(runs.map(r => [r.sourceName, r.state]))}, starts ${JSON.stringify(starts)}`,
        );
      }
      const logs = extensionLogs(profile.userDataDir);
      if (!logs.some(l => /another window took it over while this one was not answering/.test(l.text))) {
        throw new Error('window A did not say it lost the batch');
      }
      if (!logs.some(l => /took over batch/.test(l.text))) {
        throw new Error('no window says it took the batch over');
      }
    } catch (e) {
      diagnose();
      throw e;
    }
    standIn.standIn.clearFaults();
    standIn.standIn.setSteps(slowScript);
  });
}

run.run(main, { pages: () => pages, shots: SHOTS });
