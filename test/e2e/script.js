// What every browser test script shares: its flags (--timeout SEC, --headed, and its own), its stages (each
// logged with its time, and named when it fails), waiting for a condition, and the run itself — a time
// limit, a failure screenshot of every page, one closing line, and the exit code (0 passed, 1 failed, 2
// timeout; 130 on SIGINT, from real-vscode/code-server.js).
'use strict';
const fs = require('fs');
const path = require('path');
const h = require('../../real-vscode/code-server');

/**
 * @param {string} name what the log lines and the closing line call this script ("E2E", "WALKTHROUGH E2E")
 * @param {{ logName: string, defaultTimeoutS: number }} o
 */
function script(name, { logName, defaultTimeoutS }) {
  const log = h.makeLog(logName);
  const argv = process.argv.slice(2);
  const argVal = (flag, def) => {
    const i = argv.indexOf(`--${flag}`);
    return i >= 0 ? argv[i + 1] : def;
  };
  const timeoutS = Number(argVal('timeout', process.env.DOCUTRAY_E2E_TIMEOUT || String(defaultTimeoutS)));
  let stage = 'starting';

  /** One stage: logged when it starts and ends, named if the run fails in it. */
  async function step(stageName, fn) {
    stage = stageName;
    const t = Date.now();
    log(`▶ ${stageName}`);
    const r = await fn();
    log(`  ✔ ${stageName} (${((Date.now() - t) / 1000).toFixed(1)} s)`);
    return r;
  }

  /** Polls `fn` until it returns a truthy value; on timeout throws `message()` (called then, to say what it saw). */
  async function until(fn, { timeout = 15000, interval = 250, message }) {
    const end = Date.now() + timeout;
    for (;;) {
      const v = await fn();
      if (v) {
        return v;
      }
      if (Date.now() > end) {
        throw new Error(await message());
      }
      await new Promise(r => setTimeout(r, interval));
    }
  }

  /**
   * Runs `main` to an exit code. `pages()` gives the pages to photograph when it fails (name → page);
   * `shots` is where the pictures go. `main` may resolve with notes to print.
   */
  function run(main, { pages = () => ({}), shots, ensureInstalled = false } = {}) {
    (async () => {
      let code = 0;
      if (ensureInstalled) {
        h.ensureInstalled(log); // before the timer: a first install takes minutes
      }
      const timer = new Promise(r => setTimeout(() => r('timeout'), timeoutS * 1000).unref());
      const t0 = Date.now();
      try {
        const r = await Promise.race([main(), timer]);
        if (r === 'timeout') {
          console.error(
            `\nTIMEOUT: ${timeoutS} s passed during stage "${stage}". Raise it with --timeout SEC or DOCUTRAY_E2E_TIMEOUT.`,
          );
          code = 2;
        } else if (Array.isArray(r) && r.length) {
          log(`notes:\n${r.join('\n')}`);
        }
      } catch (e) {
        if (!h.signalled()) {
          console.error(
            `\n${name} FAILED at stage "${stage}":\n  ${((e && e.message) || String(e)).split('\n').slice(0, 8).join('\n  ')}`,
          );
          if (process.env.VERBOSE && e && e.stack) {
            console.error(e.stack);
          }
        }
        code = 1;
      }
      if (code !== 0 && !h.signalled()) {
        for (const [pageName, page] of Object.entries(pages())) {
          if (page) {
            const f = path.join(shots, `zz-failure${pageName ? `-${pageName}` : ''}.png`);
            await page.screenshot({ path: f }).then(
              () => log(`failure screenshot: ${path.relative(h.REPO, f)}`),
              () => {},
            );
          }
        }
      }
      if (!h.signalled()) {
        log(
          `${code === 0 ? `${name} PASSED` : `${name} FAILED (exit ${code})`} in ${((Date.now() - t0) / 1000).toFixed(1)} s; screenshots in ${path.relative(h.REPO, shots)}/`,
        );
        if (code !== 0 && process.env.KEEP_TMP !== '1') {
          log('rerun with KEEP_TMP=1 to keep the code-server log and the profile');
        }
      }
      await h.finish(code);
    })();
  }

  return {
    log,
    argv,
    timeoutS,
    headed: argv.includes('--headed'),
    step,
    until,
    run,
    stage: () => stage,
  };
}

/** Makes the screenshot folder `dir`, without the pictures an earlier run left in it. */
function emptyShots(dir) {
  fs.mkdirSync(dir, { recursive: true });
  for (const f of fs.readdirSync(dir)) {
    if (/\.png$/.test(f)) {
      fs.rmSync(path.join(dir, f));
    }
  }
}

module.exports = { script, emptyShots };
