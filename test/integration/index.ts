/**
 * The mocha loader VS Code's extension host calls (`extensionTestsPath` → out/test/integration/index.js), in the
 * shape @vscode/test-electron expects: `run()` returns a promise that rejects when a test failed. Used by
 * test/harness/run-integration.js (code-server's extension host) and test/harness/run-desktop.js.
 *
 * It loads every out/test/integration/**\/*.test.js (harness.test.js, then activation.test.js first), reports
 * with mocha's spec reporter through console.log (forwarded to the runner) and ends with the line
 * `N passed, N failed, N skipped`.
 * Environment: DOCUTRAY_TEST_GREP (only tests matching this pattern), DOCUTRAY_TEST_TIMEOUT (ms per test,
 * default 30000).
 */
import * as fs from 'fs';
import * as path from 'path';
import Mocha from 'mocha';

function findTests(dir: string): string[] {
  const found: string[] = [];
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) {
      found.push(...findTests(full));
    } else if (entry.isFile() && entry.name.endsWith('.test.js')) {
      found.push(full);
    }
  }
  return found;
}

/**
 * harness.test.js first (if the harness is broken nothing else means anything), then
 * activation.test.js (it checks what activation alone loads, before other tests use the extension),
 * then by path.
 */
function order(files: string[]): string[] {
  const first = ['harness.test.js', 'activation.test.js'];
  const rank = (f: string) => (first.includes(path.basename(f)) ? first.indexOf(path.basename(f)) : first.length);
  return [...files].sort((a, b) => rank(a) - rank(b) || a.localeCompare(b));
}

export function run(): Promise<void> {
  const timeout = Number(process.env.DOCUTRAY_TEST_TIMEOUT) || 30000;
  const mocha = new Mocha({ ui: 'bdd', reporter: 'spec', color: false, timeout });
  if (process.env.DOCUTRAY_TEST_GREP) {
    mocha.grep(process.env.DOCUTRAY_TEST_GREP);
  }
  const files = order(findTests(__dirname));
  for (const f of files) {
    mocha.addFile(f);
  }
  return new Promise<void>((resolve, reject) => {
    try {
      const runner = mocha.run(failures => {
        const stats = runner.stats;
        console.log(`${stats?.passes ?? 0} passed, ${failures} failed, ${stats?.pending ?? 0} skipped`);
        if (failures > 0) {
          reject(new Error(`${failures} test${failures === 1 ? '' : 's'} failed.`));
        } else if (files.length === 0) {
          reject(new Error(`no *.test.js files found under ${__dirname}`));
        } else {
          resolve();
        }
      });
    } catch (err) {
      console.error(err);
      reject(err instanceof Error ? err : new Error(String(err)));
    }
  });
}
