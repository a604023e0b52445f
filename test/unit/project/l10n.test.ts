import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { REPO } from '../../repo';

describe('l10n: the strings translators get', function () {
  this.timeout(60000);
  let dir: string;
  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'docutray-l10n-'));
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('l10n/bundle.l10n.json holds exactly the strings the code passes to l10n.t (npm run l10n refreshes it)', () => {
    const cli = path.join(REPO, 'node_modules', '@vscode', 'l10n-dev', 'dist', 'cli.js');
    execFileSync(process.execPath, [cli, 'export', '--outDir', dir, path.join(REPO, 'src')], {
      cwd: REPO,
      stdio: 'pipe',
    });
    const fresh = JSON.parse(fs.readFileSync(path.join(dir, 'bundle.l10n.json'), 'utf8')) as Record<string, string>;
    const committed = JSON.parse(fs.readFileSync(path.join(REPO, 'l10n', 'bundle.l10n.json'), 'utf8')) as Record<
      string,
      string
    >;
    // Every message shown through l10n.t, from the picker to the error wrapper, is found.
    assert.ok(Object.keys(fresh).length > 100, `only ${Object.keys(fresh).length} strings found`);
    assert.ok(
      "The step may have started, but DocuTray's answer was lost. It was not retried, so it does not run twice: see the log before running it again." in
        fresh,
    );
    assert.deepEqual(committed, fresh, 'l10n/bundle.l10n.json is out of date: run npm run l10n');
  });
});
