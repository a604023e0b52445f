#!/usr/bin/env node
// `npm run demo`: the whole flow in a real VS Code, against a local DocuTray stand-in, in one command.
//   - starts the stand-in (example steps: an invoice, a receipt, a slow one, a failing one, a flaky one) with a
//     demo key; the invoice and receipt steps answer each sample document with the fields printed on it
//     (stand-in/samples.ts), so a month of invoices reads as 24 invoices, not one invoice 24 times; the flaky
//     step's first starts fail as a real service's sometimes do, so Retry Failed and Review… can be seen;
//   - writes a sample workspace (PDFs, a PNG, a JPEG) into a temp folder, with a `samples/` folder whose
//     invoices have expected results (one of them no longer matching) for the Testing view and the CLI;
//   - opens the extension in a real VS Code already pointed at the stand-in
//     (DOCUTRAY_BASE_URL / DOCUTRAY_API_KEY, the extension's documented fallbacks):
//       desktop `code --extensionDevelopmentPath` when `code` is on PATH (and DOCUTRAY_DEMO_BROWSER is unset),
//       otherwise code-server (VS Code 1.139's own server and web workbench) on 127.0.0.1 — open the printed URL.
//   - Ctrl+C stops everything it started.
// The first run on a machine installs code-server (real-vscode/setup.sh, ~3 min, cached).
// usage: node demo/demo.js [--check]   (--check: start everything, verify, stop; for CI)
'use strict';
const { spawnSync, spawn } = require('child_process');
const fs = require('fs');
const path = require('path');
const crypto = require('crypto');
const h = require('../real-vscode/code-server');
const { createWorkspace, makePdf } = require('../real-vscode/workspace');

const log = h.makeLog('demo');
const argv = process.argv.slice(2);
const CHECK = argv.includes('--check');
const API_KEY = 'dt_demo_key_not_secret_0000';
const STEPS = [
  { id: 'example-invoice', name: 'Invoice', description: 'Vendor, customer, dates, line items and totals' },
  { id: 'example-receipt', name: 'Receipt', description: 'Merchant, items, tax and payment' },
  { id: 'example-slow', name: 'Slow step', description: 'Takes about 20 s: try cancelling it' },
  { id: 'example-failing', name: 'Failing step', description: 'Always ends in ERROR: see how failures look' },
  {
    id: 'example-flaky',
    name: 'Flaky step',
    description: 'Its first starts fail as a busy service does: run it on a folder, then Retry Failed and Review…',
  },
];

function haveDesktopCode() {
  if (process.env.DOCUTRAY_DEMO_BROWSER || CHECK) {
    return false;
  }
  return spawnSync('sh', ['-c', 'command -v code'], { stdio: 'ignore' }).status === 0;
}

/** The extension as VS Code installs it: the manifest, the bundle, media, strings, docs. */
function installUnpacked(profile) {
  const pkg = JSON.parse(fs.readFileSync(path.join(h.REPO, 'package.json'), 'utf8'));
  const dest = path.join(profile.extensionsDir, `${pkg.publisher}.${pkg.name}-${pkg.version}`);
  for (const f of [
    'package.json',
    'package.nls.json',
    'README.md',
    'CHANGELOG.md',
    'LICENSE',
    'dist',
    'media',
    'l10n',
  ]) {
    const from = path.join(h.REPO, f);
    if (fs.existsSync(from)) {
      fs.cpSync(from, path.join(dest, f), { recursive: true });
    }
  }
  return dest;
}

/** The sample documents and the steps that answer from them (built by `npm run compile-tests`). */
function samples() {
  return require(path.join(h.REPO, 'out', 'stand-in', 'samples.js'));
}

function sampleWorkspace(dir) {
  createWorkspace(dir);
  // An invoice, a receipt, and a month of invoices to try a folder run (a batch at the rate limit) and the
  // table export: each PDF shows its own number, lines and totals, and the steps answer with those.
  for (const doc of samples().sampleDocuments()) {
    const file = path.join(dir, ...doc.path.split('/'));
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, makePdf(doc.lines));
  }
  // Expected results for samples/ (one recorded before a "step change", so it fails), as Create Expected
  // Result writes them: the result, its step, and the SHA-256 of the document's bytes.
  const { serializeExpected, expectedFilePath } = require(
    path.join(h.REPO, 'out', 'src', 'core', 'expected', 'expectedFile.js'),
  );
  for (const e of samples().sampleExpectations()) {
    const bytes = fs.readFileSync(path.join(dir, ...e.path.split('/')));
    const text = serializeExpected({
      stepId: e.stepId,
      document: path.basename(e.path),
      sha256: crypto.createHash('sha256').update(bytes).digest('hex'),
      result: e.result,
    });
    fs.writeFileSync(path.join(dir, ...expectedFilePath(e.path, e.stepId).split('/')), text);
  }
  fs.writeFileSync(
    path.join(dir, 'README.md'),
    [
      '# DocuTray demo workspace',
      '',
      'Right-click a PDF or image in the Explorer and pick **Run DocuTray Step…**.',
      '',
      'The steps come from a local DocuTray stand-in: *Invoice* and *Receipt* answer with what each sample',
      'shows (its number, vendor, lines and totals); *Slow step* takes about 20 seconds (try cancelling it),',
      '*Failing step* always fails.',
      '',
      'Every run is kept in the **DocuTray Runs** view (the tray icon in the activity bar).',
      '',
      'Right-click the folder `invoices-2024-11` for a batch: 24 invoices, paced to the rate limit,',
      'with one progress notification. Then export the batch as a table from its node in the Runs view.',
      '',
      'Run *Flaky step* on that folder: its first starts fail as a busy service sometimes does. **Retry Failed**',
      'on the batch sends again what never started; **Review…** shows the document whose answer was lost.',
      '',
      'The `samples/` folder has expected results: open the **Testing** view (the flask) and run them.',
      '`invoice-002.pdf` fails (its expected total and vendor name are from before a step change): open the',
      'failure to see what changed, and **Accept as Expected** to record the new result.',
      '',
    ].join('\n'),
  );
}

/** The line to try the command line on the samples, from the demo workspace (printed, never run by hand here). */
function cliLine(ws, standInUrl) {
  const q = s => (/^[\w./:-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`);
  return (
    `cd ${q(ws)} && DOCUTRAY_BASE_URL=${standInUrl} DOCUTRAY_API_KEY=${API_KEY} ` +
    `node ${q(path.join(h.REPO, 'dist', 'cli.js'))} check samples --step example-invoice`
  );
}

/**
 * The block printed when everything answers: after minutes of install output the stand-in's address and key
 * are repeated here, with the first things to try and a command line to run.
 */
function readyBlock(url, standInUrl, cli) {
  return [
    '',
    '  DocuTray demo is ready. Open this in your browser:',
    '',
    `    ${url}`,
    '',
    `  DocuTray stand-in: ${standInUrl}   API key: ${API_KEY}   (already set in that VS Code)`,
    '',
    '  Try:',
    '    - Right-click invoice-2024-0042.pdf → Run DocuTray Step… → Invoice.',
    '    - Right-click invoices-2024-11 → Run DocuTray Step… → Flaky step, then Retry Failed and Review… on the batch.',
    '    - The Testing view (the flask): run the expected results of samples/ — invoice-002.pdf fails.',
    '    - The command line, docutray-steps, in another terminal (add --help for its options):',
    '',
    `      ${cli}`,
    '',
    '  Press Ctrl+C here to stop VS Code and the stand-in.',
    '',
  ].join('\n');
}

/**
 * Runs the printed command line's check on the samples: invoice-002 must fail, the others pass. Asynchronous:
 * the stand-in answers from this very process.
 */
async function checkSamples(ws, env) {
  const child = spawn(
    process.execPath,
    [path.join(h.REPO, 'dist', 'cli.js'), 'check', 'samples', '--step', 'example-invoice', '--reporter', 'json'],
    { cwd: ws, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', d => (stdout += d));
  child.stderr.on('data', d => (stderr += d));
  const status = await new Promise(resolve => child.on('close', resolve));
  let report;
  try {
    report = JSON.parse(stdout);
  } catch {
    return { ok: false, said: `docutray-steps check printed no JSON (exit ${status}): ${stderr.trim()}` };
  }
  const failed = (report.documents || []).filter(d => d.status !== 'passed').map(d => d.document);
  const ok = status === 1 && report.documents.length === 3 && failed.join() === 'samples/invoice-002.pdf';
  return { ok, said: `docutray-steps check on samples/: exit ${status}, not passed: ${failed.join(', ') || 'none'}` };
}

async function main() {
  h.installSignalHandlers();
  h.requireBuilt(['dist/extension.js', 'out/stand-in/server.js', 'out/stand-in/samples.js']);
  const run = h.createRunDir('docutray-demo-');
  const ws = path.join(run, 'DocuTray demo');
  fs.mkdirSync(ws, { recursive: true });
  sampleWorkspace(ws);
  const { url: standInUrl } = await h.startStandIn(API_KEY, {
    steps: samples().demoSteps(),
    faults: samples().demoFaults(),
  });
  log(`DocuTray stand-in on ${standInUrl} (key ${API_KEY}); steps: ${STEPS.map(s => s.id).join(', ')}`);
  const env = { DOCUTRAY_BASE_URL: standInUrl, DOCUTRAY_API_KEY: API_KEY };

  if (haveDesktopCode()) {
    const settingsDir = path.join(ws, '.vscode');
    fs.mkdirSync(settingsDir, { recursive: true });
    fs.writeFileSync(path.join(settingsDir, 'settings.json'), JSON.stringify({ 'docutray.steps': STEPS }, null, 2));
    log('opening desktop VS Code with the extension under development…');
    const child = spawn('code', ['--new-window', `--extensionDevelopmentPath=${h.REPO}`, ws], {
      env: { ...process.env, ...env },
      stdio: 'inherit',
    });
    child.on('error', e => log(`could not start code: ${e.message}`));
    log('the stand-in keeps running until you press Ctrl+C');
    await new Promise(() => {});
  }

  const cache = h.ensureInstalled(log);
  const profile = h.createProfile(path.join(run, 'profile'), {
    'docutray.steps': STEPS,
    'workbench.startupEditor': 'readme',
    'security.workspace.trust.enabled': false,
  });
  installUnpacked(profile);
  const server = await h.startCodeServer({ cache, profile, folder: ws, env });
  const url = h.workbenchUrl(server, ws);
  const cli = cliLine(ws, standInUrl);
  if (CHECK) {
    const answers = (await h.httpStatus(url)) === 200 && (await h.httpStatus(`${standInUrl}/api/usage`)) === 401;
    const checked = await checkSamples(ws, env);
    const ok = answers && checked.ok;
    log(`VS Code and the stand-in answer: ${answers ? 'yes' : 'NO'}; ${checked.said}`);
    log(ok ? 'demo check passed' : 'demo check FAILED');
    await h.finish(ok ? 0 : 1);
    return;
  }
  console.log(readyBlock(url, standInUrl, cli));
  await new Promise(() => {});
}

main().catch(async e => {
  console.error(`[demo] ${(e && e.stack) || e}`);
  await h.finish(1);
});
